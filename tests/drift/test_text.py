"""Text features without a model: message extraction, language/script labels, hashed
vectors and the moved-terms explanation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainsight.collector.drift import text


@pytest.mark.parametrize(
    ("sample", "label"),
    [
        ("How do I reset my password for this account?", "en"),
        ("¿Cómo puedo restablecer la contraseña de mi cuenta?", "es"),
        ("Comment puis-je réinitialiser le mot de passe de mon compte ?", "fr"),
        ("Wie kann ich das Passwort für mein Konto zurücksetzen?", "de"),
        ("Как сбросить пароль от моей учётной записи?", "cyrillic"),
        ("パスワードをリセットするにはどうすればいいですか", "ja"),
        ("如何重置我的账户密码", "han"),
        ("비밀번호를 재설정하려면 어떻게 해야 하나요", "ko"),
        ("كيف يمكنني إعادة تعيين كلمة المرور", "arabic"),
        ("12345 !!!", "none"),
    ],
)
def test_language_labels_script_and_latin_languages(sample: str, label: str) -> None:
    """The dominant script names the label; Latin text gets a stopword language guess."""
    assert text.language(sample) == label


def test_plain_text_reads_message_contents() -> None:
    """A JSON message list becomes its contents: keys and roles are not language."""
    messages = [
        {"role": "system", "content": "Eres un asistente."},
        {"role": "user", "content": [{"type": "text", "text": "¿Qué tal?"}]},
    ]
    assert text.plain_text(json.dumps(messages)) == "Eres un asistente. ¿Qué tal?"


def test_plain_text_keeps_plain_strings() -> None:
    """A plain prompt (or malformed JSON) is used as it is."""
    assert text.plain_text("[not json") == "[not json"
    assert text.plain_text(None) == ""


def test_vectors_are_unit_length_and_stable() -> None:
    """Each text's hashed vector has norm 1, and hashing is the same in every process."""
    vectors = text.vectorize(["refund my invoice", "book a flight"], text.Hasher())
    assert np.linalg.norm(vectors.matrix, axis=1) == pytest.approx([1.0, 1.0])
    assert text.Hasher().index("refund") == text.Hasher().index("refund")


def test_moved_terms_name_gains_and_losses() -> None:
    """Words that appear only now gain, words that vanished lose, shared words barely move."""
    hasher = text.Hasher()
    ref = text.vectorize(["refund the invoice"] * 20, hasher)
    cur = text.vectorize(["book the flight"] * 20, hasher)
    moved = {w: c - b for w, b, c in text.moved_terms(ref, cur)}
    assert moved["flight"] > 0 and moved["book"] > 0
    assert moved["refund"] < 0 and moved["invoice"] < 0
    topic = ("book", "flight", "refund", "invoice")
    assert abs(moved.get("the", 0.0)) < min(abs(moved[w]) for w in topic)


def test_identical_windows_have_zero_centroid_distance() -> None:
    """The same texts on both sides are distance 0."""
    hasher = text.Hasher()
    a = text.vectorize(["hello there", "general kenobi"], hasher)
    assert text.centroid_distance(a, a) == pytest.approx(0.0, abs=1e-12)
