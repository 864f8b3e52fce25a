"""Model rows built in code for the pure chart and content tests (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainsight.storage.model import MetricPoint, Percentiles, SpanDetail, TraceTree

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def pct(value: float | None) -> Percentiles:
    return Percentiles(p50=value, p90=value, p95=value, p99=value, mean=value, max=value)


def point(
    minute: int | None,
    group: str | None,
    *,
    requests: int = 10,
    latency: float = 100.0,
    ttft: float | None = 50.0,
    cost: float | None = 0.01,
    errors: int = 0,
) -> MetricPoint:
    return MetricPoint(
        bucket_start=None if minute is None else T0 + timedelta(minutes=minute),
        group=group,
        requests=requests,
        errors=errors,
        error_rate=errors / requests if requests else None,
        latency_ms=pct(latency),
        ttft_ms=pct(ttft),
        tpot_ms=pct(20.0),
        input_tokens=100,
        output_tokens=50,
        total_tokens=150,
        tokens_per_s=40.0,
        cost=cost,
        unpriced=0,
    )


def span(  # noqa: PLR0917 - mirrors a waterfall row: id, parent, name, kind, start, length
    span_id: str,
    parent: str | None,
    name: str,
    kind: str,
    start_ms: float,
    duration_ms: float,
    *,
    depth: int,
    status: str = "ok",
    ttft_ms: float | None = None,
) -> SpanDetail:
    start_ns = int(T0.timestamp()) * 1_000_000_000 + round(start_ms * 1_000_000)
    end_ns = start_ns + int(duration_ms * 1e6)
    return SpanDetail(
        trace_id="a" * 32,
        span_id=span_id,
        parent_span_id=parent,
        project="p",
        name=name,
        kind=kind,
        otel_kind="internal",
        service="svc",
        start_time=datetime.fromtimestamp(start_ns / 1e9, UTC),
        end_time=datetime.fromtimestamp(end_ns / 1e9, UTC),
        start_ns=start_ns,
        end_ns=end_ns,
        duration_ms=duration_ms,
        status=status,
        status_message=None,
        operation=None,
        provider=None,
        request_model=None,
        response_model=None,
        model=None,
        input_tokens=None,
        output_tokens=None,
        cached_tokens=None,
        cache_write_tokens=None,
        reasoning_tokens=None,
        total_tokens=None,
        usage_estimated=False,
        cost=None,
        price_id=None,
        ttft_ms=ttft_ms,
        tpot_ms=None,
        finish_reason=None,
        error_type=None,
        session_id=None,
        user_id=None,
        tags=[],
        input=None,
        output=None,
        attributes={},
        events=[],
        links=[],
        resource={},
        depth=depth,
        orphan=False,
    )


def rag_tree() -> TraceTree:
    """root chain (0-300 ms) → retriever (5-60) → llm (70-290, TTFT 40 ms, error)."""
    spans = [
        span("r" * 16, None, "handle", "chain", 0, 300, depth=0),
        span("s" * 16, "r" * 16, "retrieve", "retriever", 5, 55, depth=1),
        span("l" * 16, "r" * 16, "chat", "llm", 70, 220, depth=1, status="error", ttft_ms=40),
    ]
    return TraceTree(trace_id="a" * 32, project="p", start_time=T0, duration_ms=300, spans=spans)
