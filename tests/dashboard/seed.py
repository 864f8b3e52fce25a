"""Deterministic demo traces for the dashboard's tests, screenshots and benchmark: a support
bot's RAG turns (chain → retriever → LLM, sometimes a tool), sent as OTLP/JSON to the real
collector's ``POST /v1/traces``. Attribute names come from ``chainsight.semconv`` only.

``random.Random(seed)`` makes every run produce the same traces relative to ``now``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from chainsight import semconv as sc

MODELS = (  # (model, provider, mean latency ms, share)
    ("gpt-4o-mini", "openai", 900.0, 0.5),
    ("gpt-4o", "openai", 1800.0, 0.25),
    ("claude-3-5-sonnet-20241022", "anthropic", 2200.0, 0.2),
    ("acme-llm-1", "acme", 1200.0, 0.05),  # deliberately unpriced
)
USERS = tuple(f"user-{i}" for i in range(1, 9))
QUESTIONS = (
    "How do I get a refund?",
    "Where is my order #1042?",
    "Can I change my delivery address?",
    "Do you ship to Canada?",
    "My discount code does not work.",
)
STACK = (
    'Traceback (most recent call last):\n  File "bot.py", line 42, in answer\n'
    "RateLimitError: rate limited by provider"
)
DOCS = (
    "Refunds are processed within 5 business days.",
    "Orders ship from our Berlin warehouse within 24 hours.",
    "Delivery addresses can be changed until the order ships.",
    "We ship to the EU, the UK, the US and Canada.",
    "Discount codes cannot be combined with sale items.",
)


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_value(v) for v in value]}}
    return {"stringValue": str(value)}


def _attrs(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in attributes.items() if v is not None]


@dataclass
class DemoSpan:
    """One span as the generator builds it (before OTLP/JSON encoding)."""

    trace_id: str
    span_id: str
    parent: str | None
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    error: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def otlp(self) -> dict[str, Any]:
        """The OTLP/JSON span object."""
        body: dict[str, Any] = {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "name": self.name,
            "kind": 1,
            "startTimeUnixNano": str(self.start_ns),
            "endTimeUnixNano": str(self.end_ns),
            "attributes": _attrs(self.attributes),
            "events": self.events,
            "status": {"code": 2, "message": self.error} if self.error else {"code": 1},
        }
        if self.parent:
            body["parentSpanId"] = self.parent
        return body


@dataclass
class DemoTrace:
    """A generated trace and the facts tests assert on."""

    trace_id: str
    spans: list[DemoSpan]
    user_id: str
    session_id: str
    model: str
    error: bool


def _hex(rng: random.Random, nbytes: int) -> str:
    return f"{rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"


def make_trace(rng: random.Random, start_ns: int, *, user: str, session: str) -> DemoTrace:
    """One RAG turn: chain root → retriever → (tool) → streaming LLM."""
    trace_id = _hex(rng, 16)
    model, provider, mean_ms, _ = rng.choices(MODELS, weights=[m[3] for m in MODELS])[0]
    q = rng.randrange(len(QUESTIONS))
    root_id, ret_id, llm_id = _hex(rng, 8), _hex(rng, 8), _hex(rng, 8)
    ms = 1_000_000
    t = start_ns + rng.randint(1, 5) * ms
    ret_end = t + int(rng.uniform(40, 160) * ms)
    ranked = sorted(range(len(DOCS)), key=lambda i: (i != q, rng.random()))[:3]
    docs = [
        {"id": f"doc-{i}", "content": DOCS[i], "score": round(0.92 - 0.17 * r, 3)}
        for r, i in enumerate(ranked)
    ]
    common = {sc.SESSION_ID: session, sc.USER_ID: user}
    spans = [
        DemoSpan(
            trace_id,
            ret_id,
            root_id,
            "retrieve_docs",
            t,
            ret_end,
            {
                sc.CHAINSIGHT_SPAN_KIND: "retriever",
                **common,
                sc.INPUT_VALUE: json.dumps({"query": QUESTIONS[q]}),
                sc.OUTPUT_VALUE: json.dumps(docs),
            },
        ),
    ]
    t = ret_end + ms
    if q == 1:  # order questions call a tool
        tool_id = _hex(rng, 8)
        tool_end = t + int(rng.uniform(20, 90) * ms)
        spans.append(
            DemoSpan(
                trace_id,
                tool_id,
                root_id,
                "lookup_order",
                t,
                tool_end,
                {
                    sc.CHAINSIGHT_SPAN_KIND: "tool",
                    **common,
                    sc.INPUT_VALUE: json.dumps(
                        {"name": "lookup_order", "arguments": {"order_id": 1042}}
                    ),
                    sc.OUTPUT_VALUE: json.dumps({"status": "shipped", "eta": "2 days"}),
                },
            )
        )
        t = tool_end + ms
    error = rng.random() < 0.06
    duration = max(150.0, rng.gauss(mean_ms, mean_ms * 0.35))
    ttft = duration * rng.uniform(0.15, 0.4)
    in_tok, out_tok = rng.randint(300, 1500), rng.randint(20, 400)
    llm_end = t + int(duration * ms)
    messages = [
        {"role": "system", "content": "You are a helpful support assistant."},
        {"role": "user", "content": QUESTIONS[q]},
    ]
    answer = f"{DOCS[q]} Anything else I can help with?"
    llm = DemoSpan(
        trace_id,
        llm_id,
        root_id,
        f"chat {model}",
        t,
        llm_end,
        {
            sc.CHAINSIGHT_SPAN_KIND: "llm",
            **common,
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: provider,
            sc.GEN_AI_REQUEST_MODEL: model,
            sc.GEN_AI_RESPONSE_MODEL: model,
            sc.GEN_AI_REQUEST_STREAM: True,
            sc.GEN_AI_USAGE_INPUT_TOKENS: in_tok,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: None if error else out_tok,
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: rng.choice((0, 0, 256)),
            sc.CHAINSIGHT_FIRST_TOKEN_NS: t + int(ttft * ms),
            sc.INPUT_VALUE: json.dumps(messages),
            sc.OUTPUT_VALUE: None
            if error
            else json.dumps([{"role": "assistant", "content": answer}]),
        },
        error="rate limited by provider" if error else None,
    )
    if error:
        llm.attributes[sc.ERROR_TYPE] = "RateLimitError"
        llm.events.append(
            {
                "timeUnixNano": str(llm_end),
                "name": sc.EXCEPTION_EVENT,
                "attributes": _attrs(
                    {
                        sc.EXCEPTION_TYPE: "RateLimitError",
                        sc.EXCEPTION_MESSAGE: "rate limited by provider",
                        sc.EXCEPTION_STACKTRACE: STACK,
                    }
                ),
            }
        )
    spans.append(llm)
    root = DemoSpan(
        trace_id,
        root_id,
        None,
        "handle_question",
        start_ns,
        llm_end + 2 * ms,
        {
            sc.CHAINSIGHT_SPAN_KIND: "chain",
            **common,
            sc.TAG_TAGS: ["support", "rag"],
            sc.INPUT_VALUE: QUESTIONS[q],
            sc.OUTPUT_VALUE: None if error else answer,
        },
        error="RateLimitError" if error else None,
    )
    return DemoTrace(trace_id, [root, *spans], user, session, model, error)


def demo_traces(n: int, *, now_ns: int, hours: float = 6.0, seed: int = 7) -> Iterator[DemoTrace]:
    """``n`` traces spread over the ``hours`` before ``now_ns``, in sessions of 1-4 turns."""
    rng = random.Random(seed)
    span_ns = int(hours * 3600e9)
    made = 0
    while made < n:
        user = rng.choice(USERS)
        session = f"sess-{_hex(rng, 4)}"
        start = now_ns - rng.randint(int(span_ns * 0.02), span_ns)
        for _ in range(min(rng.randint(1, 4), n - made)):
            trace = make_trace(rng, start, user=user, session=session)
            yield trace
            made += 1
            start = trace.spans[0].end_ns + rng.randint(5, 60) * 1_000_000_000


def otlp_body(
    traces: list[DemoTrace], *, project: str = "support-bot", service: str = "support-api"
) -> dict[str, Any]:
    """One OTLP/JSON ExportTraceServiceRequest holding ``traces``."""
    resource = _attrs({sc.SERVICE_NAME: service, sc.CHAINSIGHT_PROJECT: project})
    spans = [s.otlp() for t in traces for s in t.spans]
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": resource},
                "scopeSpans": [{"scope": {"name": "seed"}, "spans": spans}],
            }
        ]
    }


def send(
    base_url: str,
    traces: list[DemoTrace],
    *,
    api_key: str | None = None,
    batch: int = 200,
    project: str = "support-bot",
) -> int:
    """POST the traces in batches (a 200 means committed); returns spans sent."""
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    sent = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for i in range(0, len(traces), batch):
            chunk = traces[i : i + batch]
            response = client.post(
                "/v1/traces", content=json.dumps(otlp_body(chunk, project=project))
            )
            response.raise_for_status()
            sent += sum(len(t.spans) for t in chunk)
    return sent
