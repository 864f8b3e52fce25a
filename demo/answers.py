"""What the support bot's users ask and what the bundled models answer.

Two phases of users: English questions about a web shop, then (the demo's input shift)
Spanish ones — the Drift page sees ``input_language`` and ``input_text`` move.
"""

from __future__ import annotations

import random
import re

DOCUMENTS = [
    "Refunds: items can be returned within 30 days of delivery for a full refund.",
    "Shipping: standard delivery takes 3-5 business days; express takes 1-2 days.",
    "Orders can be tracked from the account page or with the order number.",
    "Warranty: electronics carry a 2-year warranty covering manufacturing defects.",
    "Payment: we accept cards, PayPal and bank transfer; invoices are emailed.",
    "Cancellation: an order can be cancelled until it ships, from the account page.",
    "Reembolsos: los artículos se pueden devolver en 30 días para un reembolso completo.",
    "Envíos: la entrega estándar tarda de 3 a 5 días hábiles; la exprés de 1 a 2 días.",
    "Los pedidos se pueden seguir desde la cuenta o con el número de pedido.",
    "Garantía: la electrónica tiene 2 años de garantía por defectos de fabricación.",
]

QUESTIONS_EN = [
    "How do I return a jacket I bought last week?",
    "Where is my order #{n}? It has not arrived yet.",
    "How long does express shipping take?",
    "Can I cancel order #{n} before it ships?",
    "Does the warranty cover a broken laptop screen?",
    "Which payment methods do you accept?",
    "I was charged twice for order #{n}, can you check?",
    "Can I get a refund if the item arrived damaged?",
]
QUESTIONS_ES = [
    "¿Cómo devuelvo una chaqueta que compré la semana pasada?",
    "¿Dónde está mi pedido #{n}? Todavía no ha llegado.",
    "¿Cuánto tarda el envío exprés?",
    "¿Puedo cancelar el pedido #{n} antes de que se envíe?",
    "¿La garantía cubre una pantalla de portátil rota?",
    "¿Qué métodos de pago aceptan?",
    "Me cobraron dos veces el pedido #{n}, ¿pueden revisarlo?",
    "¿Me devuelven el dinero si el artículo llegó dañado?",
]
FOLLOW_UPS_EN = ["Thanks! And what about the shipping cost?", "OK, and how do I do that?"]
FOLLOW_UPS_ES = ["¡Gracias! ¿Y cuánto cuesta el envío?", "Vale, ¿y cómo lo hago?"]

_SENTENCES_EN = [
    "Thanks for reaching out.",
    "You can return any item within 30 days of delivery for a full refund.",
    "Standard shipping takes three to five business days.",
    "I have checked your order and it left our warehouse yesterday.",
    "You will receive a confirmation email with the tracking link shortly.",
    "Our warranty covers manufacturing defects for two years.",
    "If anything else comes up, just reply to this message.",
    "Please keep the original packaging when you send it back.",
]
_SENTENCES_ES = [
    "Gracias por escribirnos.",
    "Puede devolver cualquier artículo en un plazo de 30 días para un reembolso completo.",
    "El envío estándar tarda de tres a cinco días hábiles.",
    "He revisado su pedido y salió de nuestro almacén ayer.",
    "Recibirá un correo de confirmación con el enlace de seguimiento en breve.",
    "Nuestra garantía cubre defectos de fabricación durante dos años.",
    "Si necesita algo más, responda a este mensaje.",
]
_SPANISH = re.compile(r"[¿¡ñáéíóú]|\b(el|la|los|mi|qué|cómo|pedido)\b", re.IGNORECASE)
_ORDER = re.compile(r"#(\d+)|\b(order|pedido)\b", re.IGNORECASE)


def is_spanish(text: str) -> bool:
    """A crude language guess, enough to answer in the asker's language."""
    return bool(_SPANISH.search(text))


def answer_for(question: str, rng: random.Random) -> list[str]:
    """The streamed pieces (one per token, roughly a word) of an answer to ``question``."""
    sentences = _SENTENCES_ES if is_spanish(question) else _SENTENCES_EN
    chosen = [sentences[0], *rng.sample(sentences[1:], k=rng.randint(2, 4))]
    words = " ".join(chosen).split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def looks_like_order_question(question: str) -> bool:
    """Questions naming an order get a ``lookup_order`` tool call first."""
    return "#" in question and bool(_ORDER.search(question))


def order_id_in(question: str) -> str:
    """The order number in ``question`` (``"unknown"`` when none is written)."""
    found = re.search(r"#(\d+)", question)
    return found.group(1) if found else "unknown"
