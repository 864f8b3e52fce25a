"""Backpressure and storage faults: 503 + Retry-After, never accept-then-drop, never 500.

The writer is held deterministically by a wrapper around the real DuckDB store whose
``write_spans`` waits on a ``threading.Event`` (a test double for timing only: every
write still goes to DuckDB)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import DEADLINE_S, RunningCollector
from decode_modes import WITH_WORKERS
from otlp_payloads import PROTOBUF, request, span

from chainsight.storage import StorageError, Store, open_store
from chainsight.storage.model import SpanRecord, WriteResult


class HeldStore:
    """The real store, with ``write_spans`` held until ``release`` is set."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def write_spans(self, spans: Sequence[SpanRecord]) -> WriteResult:
        self.entered.set()
        if not self.release.wait(DEADLINE_S):
            raise StorageError("test released nothing within the deadline")
        return self._inner.write_spans(spans)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class FailingStore(HeldStore):
    """The real store, whose writes fail as a full disk would."""

    def write_spans(self, spans: Sequence[SpanRecord]) -> WriteResult:
        raise StorageError("disk full (simulated)")


@pytest.fixture
def real_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"duckdb:///{tmp_path / 'held.duckdb'}")
    yield store
    store.close()


def _post(collector: RunningCollector, n: int) -> httpx.Response:
    body = request([span() for _ in range(n)]).SerializeToString()
    with collector.client() as client:
        return client.post("/v1/traces", content=body, headers={"content-type": PROTOBUF})


@WITH_WORKERS
def test_full_queue_answers_503_with_retry_after(
    real_store: Store, collector_factory: Callable[..., RunningCollector], decode_workers: int
) -> None:
    """While the writer holds a full queue, a new request gets 503 + Retry-After, and
    the held request is answered 200 once its commit completes."""
    held = HeldStore(real_store)
    collector = collector_factory(
        store=held, queue_max_spans=10, batch_max_spans=10, decode_workers=decode_workers
    )
    first: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: first.append(_post(collector, 10)))
    sender.start()
    assert held.entered.wait(DEADLINE_S)
    refused = _post(collector, 5)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    held.release.set()
    sender.join(DEADLINE_S)
    assert [r.status_code for r in first] == [200]
    assert _post(collector, 5).status_code == 200


def test_refused_spans_are_not_stored(
    real_store: Store, collector_factory: Callable[..., RunningCollector]
) -> None:
    """A 503 means nothing of that request was kept (the client will resend it)."""
    held = HeldStore(real_store)
    collector = collector_factory(store=held, queue_max_spans=10, batch_max_spans=10)
    sender = threading.Thread(target=_post, args=(collector, 10))
    sender.start()
    assert held.entered.wait(DEADLINE_S)
    s = span(name="refused")
    with collector.client() as client:
        body = request([s]).SerializeToString()
        assert (
            client.post("/v1/traces", content=body, headers={"content-type": PROTOBUF}).status_code
            == 503
        )
        held.release.set()
        sender.join(DEADLINE_S)
        assert client.get(f"/api/v1/traces/{s.trace_id.hex()}").status_code == 404


def test_storage_failure_answers_503_not_500(
    real_store: Store, collector_factory: Callable[..., RunningCollector]
) -> None:
    """A failed commit is transient to the client: 503 + Retry-After, which exporters retry."""
    collector = collector_factory(store=FailingStore(real_store))
    response = _post(collector, 3)
    assert response.status_code == 503
    assert "retry-after" in response.headers


def test_many_requests_share_one_commit(
    real_store: Store, collector_factory: Callable[..., RunningCollector]
) -> None:
    """Requests queued while a commit runs are committed together in the next one."""
    held = HeldStore(real_store)
    collector = collector_factory(store=held, queue_max_spans=1000, batch_max_spans=1000)
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(_post(collector, 2).status_code))
        for _ in range(6)
    ]
    threads[0].start()
    assert held.entered.wait(DEADLINE_S)
    for t in threads[1:]:
        t.start()
    while collector.state.queue.depth < 12:
        threading.Event().wait(0.01)
    held.release.set()
    for t in threads:
        t.join(DEADLINE_S)
    assert results == [200] * 6
    assert collector.state.queue.stats.batches == 2
