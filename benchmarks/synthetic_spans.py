"""Deterministic synthetic LLM traces for storage benchmarks (``random.Random(seed)``).

Traces of 3-8 spans: an agent or chain root over retriever, reranker, tool and 1-3 LLM
calls; several models, services, users and sessions; ~3% errored spans; streamed LLM calls
carry TTFT and TPOT. Trace starts are spread evenly over ``[end_ns - days, end_ns)`` in time
order, as a live collector would receive them.

    >>> from benchmarks.synthetic_spans import span_batches
    >>> batch = next(span_batches(total=1000, batch_size=500, seed=1))
    >>> len(batch)
    500
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from chainsight import semconv
from chainsight.storage.model import SpanRecord

# (provider, model, USD per 1M input, USD per 1M output)
MODELS = (
    ("openai", "gpt-4o", 2.5, 10.0),
    ("openai", "gpt-4o-mini", 0.15, 0.6),
    ("anthropic", "claude-sonnet-4", 3.0, 15.0),
    ("google", "gemini-2.0-flash", 0.1, 0.4),
    ("dashscope", "qwen-max", 1.6, 6.4),
    ("deepseek", "deepseek-chat", 0.27, 1.1),
    ("mistral", "mistral-large", 2.0, 6.0),
)
SERVICES = ("support-bot", "search-api", "summarizer", "agent-runner")
ROOT_NAMES = ("answer_question", "summarize_doc", "triage_ticket", "plan_and_act", "chat_turn")
TOOLS = ("web_search", "sql_query", "calculator", "send_email")
TAGS = ("prod", "beta", "eval", "vip", "mobile", "web")
WORDS = [
    "the",
    "a",
    "model",
    "answer",
    "question",
    "context",
    "user",
    "retrieval",
    "token",
    "latency",
    "price",
    "chunk",
]
DAY_NS = 86_400 * 1_000_000_000


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def trace(rng: random.Random, start_ns: int, project: str = "bench") -> list[SpanRecord]:
    """One trace of 3-8 spans starting at ``start_ns``; children listed before the root."""
    trace_id = _hex(rng, 128)
    root_id = _hex(rng, 64)
    service = rng.choice(SERVICES)
    user = f"user-{rng.randrange(500)}"
    session = f"session-{rng.randrange(5000)}"
    tags = tuple(sorted(rng.sample(TAGS, rng.randrange(3))))
    question = _text(rng, 12)
    n_children = rng.randrange(2, 8)
    kinds = ["retriever", "llm"] + [
        rng.choice(("llm", "llm", "tool", "reranker", "retriever")) for _ in range(n_children - 2)
    ]
    spans: list[SpanRecord] = []
    t = start_ns + rng.randrange(1_000_000, 5_000_000)
    any_error = False
    for kind in kinds:
        span_id = _hex(rng, 64)
        error = rng.random() < 0.03
        any_error |= error
        common = dict(
            project=project,
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=root_id,
            service=service,
            status="error" if error else "ok",
            status_message="upstream timeout" if error else None,
            error_type="TimeoutError" if error else None,
            session_id=session,
            user_id=user,
            tags=tags,
            resource=json.dumps({"service.name": service}),
        )
        if kind == "llm":
            provider, model, p_in, p_out = rng.choice(MODELS)
            inp = rng.randrange(200, 4000)
            out = 0 if error else rng.randrange(20, 800)
            cached = rng.choice((0, 0, inp // 2))
            stream = rng.random() < 0.7
            ttft = rng.lognormvariate(5.5, 0.5) if stream and not error else None
            tpot = rng.lognormvariate(3.0, 0.3) if stream and out > 1 else None
            dur_ms = (ttft or rng.lognormvariate(6.0, 0.4)) + (tpot or 15.0) * out
            cost = ((inp - cached) * p_in + cached * p_in / 2 + out * p_out) / 1e6
            priced = model != "mistral-large" or rng.random() < 0.5
            span = SpanRecord(
                name=f"chat {model}",
                kind="llm",
                start_ns=t,
                end_ns=t + int(dur_ms * 1e6),
                duration_ms=dur_ms,
                operation="chat",
                provider=provider,
                request_model=model,
                response_model=model,
                model=model,
                input_tokens=inp,
                output_tokens=out,
                cached_tokens=cached,
                total_tokens=inp + out,
                cost=cost if priced else None,
                price_id=f"{provider}/{model}" if priced else None,
                ttft_ms=ttft,
                tpot_ms=tpot,
                finish_reason="error" if error else "stop",
                input=question,
                output=None if error else _text(rng, 20),
                attributes=json.dumps({semconv.GEN_AI_REQUEST_TEMPERATURE: 0.2, "stream": stream}),
                **common,  # type: ignore[arg-type]
            )
        else:
            dur_ms = rng.lognormvariate(4.0, 0.8)
            name = rng.choice(TOOLS) if kind == "tool" else f"{kind} search"
            span = SpanRecord(
                name=name,
                kind=kind,
                start_ns=t,
                end_ns=t + int(dur_ms * 1e6),
                duration_ms=dur_ms,
                input=question if kind != "tool" else None,
                output=_text(rng, 8),
                **common,  # type: ignore[arg-type]
            )
        spans.append(span)
        t = span.end_ns + rng.randrange(100_000, 2_000_000)
    end = t + rng.randrange(100_000, 1_000_000)
    spans.append(
        SpanRecord(
            project=project,
            trace_id=trace_id,
            span_id=root_id,
            parent_span_id=None,
            name=rng.choice(ROOT_NAMES),
            kind=rng.choice(("agent", "chain")),
            service=service,
            start_ns=start_ns,
            end_ns=end,
            duration_ms=(end - start_ns) / 1e6,
            status="error" if any_error else "ok",
            session_id=session,
            user_id=user,
            tags=tags,
            input=question,
            output=spans[-1].output,
            resource=json.dumps({"service.name": service}),
        )
    )
    return spans


def span_batches(
    total: int,
    batch_size: int,
    *,
    seed: int = 42,
    end_ns: int = 1_767_225_600 * 1_000_000_000,  # 2026-01-01T00:00:00Z
    days: float = 7.0,
    project: str = "bench",
) -> Iterator[list[SpanRecord]]:
    """About ``total`` spans (whole traces) in batches of ``batch_size``, in time order."""
    rng = random.Random(seed)
    span_ns = int(days * DAY_NS)
    mean_spans = 6.5  # root + 2..7 children
    n_traces = max(1, int(total / mean_spans))
    step = span_ns / n_traces
    start0 = end_ns - span_ns
    batch: list[SpanRecord] = []
    emitted = 0
    i = 0
    while emitted < total:
        spans = trace(rng, start0 + int(i * step), project)
        i += 1
        batch.extend(spans)
        emitted += len(spans)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
