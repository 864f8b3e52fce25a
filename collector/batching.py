"""The write queue and its single group-commit writer thread.

Why one writer: DuckDB is built for bulk appends, not many small transactions, and a
single writer never conflicts with itself. Requests enqueue their decoded records and
wait on a future that is resolved only after ``store.write_spans`` returned for the
batch holding them — so "a 200 means committed". While the writer commits one batch,
the next requests pile up and are committed together in the next transaction (group
commit): under load, batches grow and the per-transaction cost is shared.

The queue is bounded in spans. ``submit`` refuses (``QueueFull``) instead of accepting
what it could not commit in time; the route turns that into 503 + Retry-After, which
the OTel exporters retry. Nothing is ever accepted and then dropped: on shutdown the
writer drains the queue before it stops.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from chainsight.storage import StorageError, Store
from chainsight.storage.model import SpanColumns, SpanRecord, SpanTable, WriteResult

from .errors import QueueFull

log = logging.getLogger("chainsight.collector.batching")

# Upper bounds (seconds) of the commit latency histogram exposed on /metrics.
COMMIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class CommitStats:
    """Counters of the writer, read by /metrics (plain ints: written by one thread)."""

    batches: int = 0
    spans_written: int = 0
    duplicates: int = 0
    failures: int = 0
    latency_sum: float = 0.0
    latency_buckets: list[int] = field(default_factory=lambda: [0] * len(COMMIT_BUCKETS))

    def observe(self, seconds: float) -> None:
        self.latency_sum += seconds
        for i, bound in enumerate(COMMIT_BUCKETS):
            if seconds <= bound:
                self.latency_buckets[i] += 1


@dataclass
class _Pending:
    records: Sequence[SpanRecord]
    future: Future[WriteResult]


class WriteQueue:
    """Bounded queue of decoded spans, committed by one background thread.

    >>> queue = WriteQueue(store, max_spans=100_000, batch_max_spans=20_000)  # doctest: +SKIP
    >>> queue.start(); result = queue.submit(records).result(); queue.stop()  # doctest: +SKIP
    """

    def __init__(
        self,
        store: Store,
        *,
        max_spans: int,
        batch_max_spans: int,
        linger_seconds: float = 0.0,
        retry_after: int = 1,
    ) -> None:
        self._store = store
        self._max_spans = max_spans
        self._batch_max = batch_max_spans
        self._linger = linger_seconds
        self._retry_after = retry_after
        self._items: deque[_Pending] = deque()
        self._depth = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.stats = CommitStats()

    @property
    def depth(self) -> int:
        """Spans accepted and not yet committed (including the batch being written)."""
        return self._depth

    @property
    def capacity(self) -> int:
        return self._max_spans

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chainsight-writer", daemon=True)
        self._thread.start()

    def submit(self, records: Sequence[SpanRecord]) -> Future[WriteResult]:
        """Enqueue records; the future resolves after their transaction committed.

        Raises ``QueueFull`` when the records do not fit. A single request larger than
        the whole queue is still taken when the queue is empty, or it could never pass.
        """
        future: Future[WriteResult] = Future()
        n = len(records)
        with self._cond:
            if self._stopping:
                raise QueueFull("collector is shutting down", self._retry_after)
            if self._depth + n > self._max_spans and self._depth > 0:
                raise QueueFull(
                    f"write queue full ({self._depth} of {self._max_spans} spans pending)",
                    self._retry_after,
                )
            self._items.append(_Pending(records, future))
            self._depth += n
            self._cond.notify()
        return future

    def stop(self, timeout: float = 30.0) -> None:
        """Commit everything queued, then stop the writer."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error(
                    "writer did not drain within %.0f s; %d spans pending", timeout, self._depth
                )

    def _take_batch(self) -> list[_Pending] | None:
        with self._cond:
            while not self._items and not self._stopping:
                self._cond.wait()
            if not self._items:
                return None  # stopping and drained
            if self._linger and not self._stopping:
                deadline = time.monotonic() + self._linger
                while self._queued_spans() < self._batch_max and not self._stopping:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
            batch: list[_Pending] = []
            size = 0
            while self._items and (
                not batch or size + len(self._items[0].records) <= self._batch_max
            ):
                item = self._items.popleft()
                batch.append(item)
                size += len(item.records)
            return batch

    def _queued_spans(self) -> int:
        return sum(len(item.records) for item in self._items)

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        # A waiter that gave up (client disconnected) cancelled its future; its spans are
        # still written, but its future must not be resolved twice.
        running = {id(item) for item in batch if item.future.set_running_or_notify_cancel()}

        def live(item: _Pending) -> bool:
            return id(item) in running

        records = _concat([item.records for item in batch])
        started = time.perf_counter()
        try:
            result = self._store.write_spans(records)
        except Exception as exc:  # the writer must outlive any one batch; callers answer 503
            self.stats.failures += 1
            log.warning("commit of %d spans failed: %s", len(records), exc)
            if not isinstance(exc, StorageError):
                exc = StorageError(f"write failed: {exc!r}")
            for item in batch:
                if live(item):
                    item.future.set_exception(exc)
        else:
            self.stats.batches += 1
            self.stats.spans_written += result.inserted
            self.stats.duplicates += result.duplicates
            self.stats.observe(time.perf_counter() - started)
            for item in batch:
                if live(item):
                    item.future.set_result(result)
        finally:
            with self._cond:
                self._depth -= len(records)


def _concat(parts: list[Sequence[SpanRecord]]) -> Sequence[SpanRecord]:
    """The batch's spans as one sequence; decoder output stays column-wise: ``SpanColumns``
    from the decode thread, ``SpanTable`` (Arrow) from the decode worker processes."""
    if all(type(part) is SpanColumns for part in parts):
        return SpanColumns.concat(part for part in parts if isinstance(part, SpanColumns))
    if all(type(part) is SpanTable for part in parts):
        return SpanTable.concat(part for part in parts if isinstance(part, SpanTable))
    records: list[SpanRecord] = []
    for part in parts:
        records.extend(part)
    return records
