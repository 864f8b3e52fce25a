"""Chat and embedding calls sent through the real OTel SDK to a collector, for the drift
end-to-end tests (attribute names from ``chainsight.semconv`` only)."""

from __future__ import annotations

import random
from datetime import datetime

from conftest import OtelPipeline  # the shared tests/conftest.py

from chainsight import semconv as sc

from .synthetic import TEMPLATES, TOPICS

CALLS = 200  # per window: the small-sample tests (KS, chi-square) run
VECTOR = sc.EMBEDDING_EMBEDDINGS + ".0.embedding.vector"


def _ns(t: datetime) -> int:
    return int(t.timestamp()) * 10**9


def send_calls(pipeline: OtelPipeline, start: datetime, language: str, offset: float) -> None:
    """CALLS chat calls in ``language`` and CALLS embedding calls around ``offset``, spread
    over the hour from ``start``."""
    # Seeded by language only: the values must not depend on when the test runs (a seed
    # taken from the clock made a 1-in-20-ish false drift of output_tokens possible).
    rng = random.Random(f"drift-e2e-{language}")
    step = 3600 * 10**9 // CALLS
    for i in range(CALLS):
        t0 = _ns(start) + i * step
        words = TOPICS["billing"]
        question = rng.choice(TEMPLATES[language]).format(a=rng.choice(words), b=rng.choice(words))
        span = pipeline.tracer.start_span("chat gpt-4o", start_time=t0)
        span.set_attribute(sc.GEN_AI_OPERATION_NAME, "chat")
        span.set_attribute(sc.GEN_AI_REQUEST_MODEL, "gpt-4o")
        span.set_attribute(sc.GEN_AI_USAGE_INPUT_TOKENS, rng.randint(300, 500))
        span.set_attribute(sc.GEN_AI_USAGE_OUTPUT_TOKENS, rng.randint(100, 200))
        span.set_attribute(sc.INPUT_VALUE, question)
        span.set_attribute(sc.OUTPUT_VALUE, "Here is how to do that.")
        span.end(end_time=t0 + rng.randint(400, 900) * 10**6)
        emb = pipeline.tracer.start_span("embeddings text-embedding-3-small", start_time=t0)
        emb.set_attribute(sc.GEN_AI_OPERATION_NAME, "embeddings")
        emb.set_attribute(sc.GEN_AI_REQUEST_MODEL, "text-embedding-3-small")
        emb.set_attribute(VECTOR, [offset + rng.gauss(0, 0.1) for _ in range(8)])
        emb.end(end_time=t0 + 50 * 10**6)
    pipeline.flush()
