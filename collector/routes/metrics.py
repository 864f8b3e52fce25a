"""``GET /metrics``: Prometheus text exposition of the collector's own health.

Exposed without a key (counts only, no span content), like most Prometheus targets.
Request counts by status come from ``StatusCounter``, a pure ASGI middleware: it adds
one dict increment per request, where a ``BaseHTTPMiddleware`` would add a task hop.
"""

from __future__ import annotations

import threading
from collections import Counter

import anyio
from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..batching import COMMIT_BUCKETS
from .params import StateDep

router = APIRouter(tags=["health"])

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class StatusCounts:
    """HTTP responses by (route family, status code), shared by the middleware and /metrics."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, int]] = Counter()
        self.lock = threading.Lock()

    def add(self, family: str, status: int) -> None:
        with self.lock:
            self.counts[(family, status)] += 1

    def snapshot(self) -> dict[tuple[str, int], int]:
        with self.lock:
            return dict(self.counts)


class StatusCounter:
    """Counts HTTP responses by (route family, status code)."""

    def __init__(self, app: ASGIApp, counts: StatusCounts) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        family = "otlp" if path == "/v1/traces" else "api" if path.startswith("/api/") else "other"

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.counts.add(family, int(message["status"]))
            await send(message)

        await self.app(scope, receive, counting_send)


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus(state: StateDep, request: Request) -> PlainTextResponse:
    """Spans accepted/rejected by reason, requests by status, queue depth, commit latency,
    storage size, decode workers."""
    stats = await anyio.to_thread.run_sync(state.store.stats)
    counters = state.ingest.counters
    with counters.lock:
        accepted = counters.spans_accepted
        rejected = dict(counters.spans_rejected)
        refused = dict(counters.requests_refused)
    lines = [
        "# HELP chainsight_spans_accepted_total Spans committed and acknowledged.",
        "# TYPE chainsight_spans_accepted_total counter",
        _line("chainsight_spans_accepted_total", accepted),
        "# HELP chainsight_spans_rejected_total Spans refused, by reason.",
        "# TYPE chainsight_spans_rejected_total counter",
    ]
    for reason in sorted({"invalid", "queue_full", "storage_error", *rejected}):
        lines.append(
            _line("chainsight_spans_rejected_total", rejected.get(reason, 0), {"reason": reason})
        )
    lines += [
        "# HELP chainsight_ingest_requests_refused_total OTLP requests refused whole, by reason.",
        "# TYPE chainsight_ingest_requests_refused_total counter",
    ]
    for reason, n in sorted(refused.items()):
        lines.append(_line("chainsight_ingest_requests_refused_total", n, {"reason": reason}))
    lines += [
        "# HELP chainsight_http_requests_total HTTP responses by route family and status.",
        "# TYPE chainsight_http_requests_total counter",
    ]
    counts: StatusCounts | None = state.status_counts
    if counts is not None:
        by_status = counts.snapshot()
        for (family, code), n in sorted(by_status.items()):
            lines.append(
                _line("chainsight_http_requests_total", n, {"route": family, "status": str(code)})
            )
    queue = state.queue
    commit = queue.stats
    lines += [
        "# HELP chainsight_queue_depth_spans Spans accepted and not yet committed.",
        "# TYPE chainsight_queue_depth_spans gauge",
        _line("chainsight_queue_depth_spans", queue.depth),
        "# HELP chainsight_queue_capacity_spans Spans the write queue holds before answering 503.",
        "# TYPE chainsight_queue_capacity_spans gauge",
        _line("chainsight_queue_capacity_spans", queue.capacity),
        "# HELP chainsight_commit_duplicates_total Spans ignored as already stored.",
        "# TYPE chainsight_commit_duplicates_total counter",
        _line("chainsight_commit_duplicates_total", commit.duplicates),
        "# HELP chainsight_commit_failures_total Group commits that failed (answered 503).",
        "# TYPE chainsight_commit_failures_total counter",
        _line("chainsight_commit_failures_total", commit.failures),
        "# HELP chainsight_commit_seconds Duration of one group commit.",
        "# TYPE chainsight_commit_seconds histogram",
    ]
    for bound, n in zip(COMMIT_BUCKETS, commit.latency_buckets, strict=True):
        lines.append(_line("chainsight_commit_seconds_bucket", n, {"le": str(bound)}))
    lines += [
        _line("chainsight_commit_seconds_bucket", commit.batches, {"le": "+Inf"}),
        _line("chainsight_commit_seconds_sum", round(commit.latency_sum, 6)),
        _line("chainsight_commit_seconds_count", commit.batches),
        "# HELP chainsight_stored_spans Spans in storage.",
        "# TYPE chainsight_stored_spans gauge",
        _line("chainsight_stored_spans", stats.get("spans", 0)),
        "# HELP chainsight_storage_bytes Size of the storage on disk.",
        "# TYPE chainsight_storage_bytes gauge",
        _line("chainsight_storage_bytes", stats.get("bytes", 0)),
        "# HELP chainsight_retention_deleted_spans_total Spans deleted by retention.",
        "# TYPE chainsight_retention_deleted_spans_total counter",
        _line("chainsight_retention_deleted_spans_total", state.retention_deleted),
    ]
    pool = getattr(request.app.state, "decode_pool", None)
    lines += [
        "# HELP chainsight_decode_workers Decode worker processes configured (0: in a thread).",
        "# TYPE chainsight_decode_workers gauge",
        _line("chainsight_decode_workers", pool.workers if pool is not None else 0),
        "# HELP chainsight_decode_worker_restarts_total Times the decode pool was rebuilt after"
        " a worker died.",
        "# TYPE chainsight_decode_worker_restarts_total counter",
        _line("chainsight_decode_worker_restarts_total", pool.restarts if pool is not None else 0),
    ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type=PROMETHEUS_TEXT)
