"""Deterministic synthetic LLM spans for drift tests (``random.Random(seed)``).

``Profile`` describes a traffic distribution (models and their shares, input-length and
TTFT scales, language, topic); ``spans(profile, n, start_ns, end_ns, seed)`` draws ``n``
LLM spans from it, each with a parent chain span, spread evenly over the window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from chainsight.storage.model import SpanRecord

TOPICS: dict[str, tuple[str, ...]] = {
    "billing": tuple(
        [
            "invoice",
            "refund",
            "charge",
            "payment",
            "card",
            "subscription",
            "plan",
            "billing",
            "price",
            "receipt",
            "overcharged",
            "cancel",
            "renewal",
            "discount",
            "coupon",
            "tax",
        ]
    ),
    "travel": tuple(
        [
            "flight",
            "hotel",
            "booking",
            "trip",
            "passport",
            "luggage",
            "airport",
            "train",
            "ticket",
            "destination",
            "itinerary",
            "visa",
            "beach",
            "museum",
            "tour",
        ]
    ),
}
TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "How do I get help with the {a} and the {b}?",
        "What is the best way to handle my {a} for this {b}?",
        "Can you tell me why the {a} is different from the {b}?",
    ),
    "es": (
        "¿Cómo puedo obtener ayuda con el {a} y la {b}?",
        "¿Cuál es la mejor manera de gestionar mi {a} para esta {b}?",
        "¿Por qué el {a} es diferente de la {b}?",
    ),
}


@dataclass(frozen=True)
class Profile:
    """A traffic distribution."""

    models: dict[str, float] = field(
        default_factory=lambda: {"gpt-4o": 0.6, "claude-sonnet-4": 0.4}
    )
    input_mean: float = 400.0
    output_mean: float = 150.0
    ttft_ms: dict[str, float] = field(
        default_factory=lambda: {"gpt-4o": 300.0, "claude-sonnet-4": 450.0, "new-model": 250.0}
    )
    language: str = "en"
    topic: str = "billing"
    error_rate: float = 0.03


def spans(  # noqa: PLR0917  # window bounds read best positionally
    profile: Profile, n: int, start_ns: int, end_ns: int, seed: int, project: str = "drift"
) -> list[SpanRecord]:
    """``n`` LLM spans (plus their parent chain spans) drawn from ``profile``."""
    rng = random.Random(seed)
    names, weights = zip(*profile.models.items(), strict=True)
    out: list[SpanRecord] = []
    step = (end_ns - start_ns) // max(n, 1)
    for i in range(n):
        t0 = start_ns + i * step
        model = rng.choices(names, weights)[0]
        trace_id = f"{rng.getrandbits(128):032x}"
        root_id = f"{rng.getrandbits(64):016x}"
        input_tokens = max(1, round(rng.gammavariate(4.0, profile.input_mean / 4.0)))
        output_tokens = max(2, round(rng.gammavariate(3.0, profile.output_mean / 3.0)))
        ttft = rng.lognormvariate(0, 0.25) * profile.ttft_ms.get(model, 300.0)
        tpot = rng.uniform(15, 25)
        duration = ttft + tpot * (output_tokens - 1)
        words = TOPICS[profile.topic]
        question = rng.choice(TEMPLATES[profile.language]).format(
            a=rng.choice(words), b=rng.choice(words)
        )
        error = rng.random() < profile.error_rate
        end = t0 + int(duration * 1e6)
        out.append(
            SpanRecord(
                project=project,
                trace_id=trace_id,
                span_id=f"{rng.getrandbits(64):016x}",
                parent_span_id=root_id,
                name=f"chat {model}",
                kind="llm",
                service="bot",
                start_ns=t0,
                end_ns=end,
                duration_ms=duration,
                status="error" if error else "ok",
                operation="chat",
                model=model,
                request_model=model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                total_tokens=input_tokens + output_tokens,
                cost=(input_tokens * 2.5 + output_tokens * 10) / 1e6,
                ttft_ms=ttft,
                tpot_ms=tpot,
                finish_reason="stop" if rng.random() < 0.9 else "length",
                error_type="RateLimitError" if error else None,
                input=question,
                output=f"Sure, here is what I found about {rng.choice(words)}.",
            )
        )
        out.append(
            SpanRecord(
                project=project,
                trace_id=trace_id,
                span_id=root_id,
                parent_span_id=None,
                name="answer_question",
                kind="chain",
                service="bot",
                start_ns=t0,
                end_ns=end + 1000,
                duration_ms=duration + 0.001,
                status="ok",
            )
        )
    return out
