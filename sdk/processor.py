"""The span processor that queues ended spans and exports them from one background thread.

Why not the stock ``BatchSpanProcessor`` (REFERENCE.md §2): a full queue silently evicts the
oldest span, a failed export is not counted per reason, and ``force_flush`` cannot say whether
the spans actually reached the collector. This processor:

* ``on_end`` is O(1): it appends to a bounded deque under a lock and, when the queue is full,
  drops the *new* span and counts it (reason ``queue_full``), logging once per reason;
* the worker sends batches of ``max_export_batch_size`` spans, or whatever is queued after
  ``schedule_delay`` seconds, or at once when someone flushes;
* every span gets a sequence number at ``on_end``; ``flush(timeout)`` waits until every span
  ended before the call has an outcome and returns True only if all of them were delivered
  (2xx, none refused), and False on timeout or any drop since the previous completed flush;
* ``shutdown(timeout)`` flushes within the timeout, cancels retries, counts what is left as
  ``shutdown`` drops, and joins the (daemon) worker.

Memory is bounded by ``max_queue_size`` spans plus one batch in flight.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from .export import Delivery, OTLPHTTPExporter, Outcome

_logger = logging.getLogger("chainsight.export")

QUEUE_FULL = "queue_full"
"""Drop reason: the in-memory queue held ``max_queue_size`` spans when this one ended."""
EXPORT_FAILED = "export_failed"
"""Drop reason: an injected (non-Chainsight) exporter returned FAILURE or raised."""
DROP_REASONS = (
    QUEUE_FULL,
    Outcome.REJECTED.value,
    Outcome.RETRIES_EXHAUSTED.value,
    Outcome.SHUTDOWN.value,
    EXPORT_FAILED,
)
"""Every reason a span can be dropped for, as reported by :class:`ExportStats`."""

_MAX_DROP_RANGES = 256
"""Drop ranges kept for flush(); beyond it the oldest merge (flush may then say False early)."""


@dataclass(frozen=True, slots=True)
class ExportStats:
    """A snapshot of the export pipeline's counters (``chainsight.export_stats()``)."""

    delivered: int = 0
    """Spans acknowledged by the collector."""
    dropped: MappingProxyType[str, int] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(DROP_REASONS, 0))
    )
    """Spans dropped, by reason (see ``DROP_REASONS``)."""
    queued: int = 0
    """Spans waiting in memory (not counting a batch in flight)."""

    @property
    def dropped_total(self) -> int:
        """All dropped spans, whatever the reason."""
        return sum(self.dropped.values())


class BatchSender(Protocol):
    """What the worker needs from an exporter: one batch in, one outcome out."""

    def __call__(self, spans: list[ReadableSpan]) -> Delivery: ...


def _sender_for(exporter: SpanExporter) -> BatchSender:
    if isinstance(exporter, OTLPHTTPExporter):
        return exporter.deliver

    def send(spans: list[ReadableSpan]) -> Delivery:
        try:
            result = exporter.export(spans)
        except Exception as exc:  # a third-party exporter's bug must not kill the worker
            return Delivery(Outcome.REJECTED, detail=f"exporter raised {exc!r}")
        if result is SpanExportResult.SUCCESS:
            return Delivery(Outcome.DELIVERED)
        return Delivery(Outcome.REJECTED, detail="exporter returned FAILURE")

    return send


class QueueingSpanProcessor(SpanProcessor):
    """Bounded queue + one export thread + a flush that reports delivery."""

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        max_queue_size: int = 2048,
        max_export_batch_size: int = 512,
        schedule_delay: float = 1.0,
    ) -> None:
        self._exporter = exporter
        self._send = _sender_for(exporter)
        self._foreign = not isinstance(exporter, OTLPHTTPExporter)
        self._max_queue = max_queue_size
        self._batch_size = max(1, min(max_export_batch_size, max_queue_size))
        self._delay = schedule_delay
        self._cond = threading.Condition(threading.Lock())
        self._queue: collections.deque[tuple[int, ReadableSpan]] = collections.deque()
        self._next_seq = 0
        self._inflight: tuple[int, int, int] | None = None  # (lo, hi, count) being sent
        self._abandoned: tuple[int, int, int] | None = None  # in flight when close() gave up
        self._drops: list[list[int]] = []  # merged [lo, hi) seq ranges not delivered
        self._flushed_to = 0
        self._flushers = 0
        self._stopping = False
        self._closed = False
        self._delivered = 0
        self._dropped = dict.fromkeys(DROP_REASONS, 0)
        self._logged: set[str] = set()
        self._to_log: list[tuple[str, int, str]] = []  # emitted outside the lock
        self._worker = self._start_worker()
        if hasattr(os, "register_at_fork"):
            # Pre-fork servers (gunicorn, multiprocessing): the child inherits no thread and
            # maybe a held lock, so it gets fresh ones (as OTel's BatchSpanProcessor does).
            reinit = weakref.WeakMethod(self._after_fork_in_child)
            os.register_at_fork(after_in_child=lambda: (method := reinit()) and method())

    def _start_worker(self) -> threading.Thread:
        worker = threading.Thread(target=self._run, name="chainsight-export", daemon=True)
        worker.start()
        return worker

    def _after_fork_in_child(self) -> None:
        """The parent's queued spans stay the parent's to send; the child starts empty."""
        self._cond = threading.Condition(threading.Lock())
        self._queue.clear()
        self._inflight = self._abandoned = None
        self._flushers = 0
        self._drops = []
        self._flushed_to = self._next_seq
        reset = getattr(self._exporter, "reset_after_fork", None)
        if callable(reset):
            reset()
        if not self._closed:
            self._worker = self._start_worker()

    # --- SpanProcessor -------------------------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Nothing to do when a span starts."""

    def on_end(self, span: ReadableSpan) -> None:
        """Enqueue (O(1)); never blocks on the network, never raises."""
        if self._closed or not (span.context and span.context.trace_flags.sampled):
            return
        with self._cond:
            seq = self._next_seq
            self._next_seq = seq + 1
            if self._closed or len(self._queue) >= self._max_queue:
                # A span racing close() counts as a shutdown drop; after close it is ignored.
                reason = Outcome.SHUTDOWN.value if self._closed else QUEUE_FULL
                self._drop_locked(seq, seq + 1, reason, 1)
                first = reason not in self._logged
                self._logged.add(reason)
            else:
                self._queue.append((seq, span))
                if len(self._queue) == self._batch_size:
                    self._cond.notify_all()
                return
        if first:
            self._log_drop(reason, 1, "")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """OTel interface over :meth:`flush`."""
        return self.flush(timeout_millis / 1000)

    def shutdown(self) -> None:
        """OTel interface (called by ``TracerProvider.shutdown`` and at exit)."""
        self.close(timeout=5.0)

    # --- Chainsight API ------------------------------------------------------------------------
    def flush(self, timeout: float = 5.0) -> bool:
        """Block until every span ended so far is delivered (True) or dropped/timed out (False)."""
        deadline = time.monotonic() + max(0.0, timeout)
        # Even taking the lock is bounded: flush(timeout) must return by its deadline.
        if not self._cond.acquire(timeout=max(0.0, timeout)):
            return False
        try:
            target = self._next_seq
            since = self._flushed_to
            self._flushers += 1
            self._cond.notify_all()
            try:
                while not self._settled_locked(target):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
            finally:
                self._flushers -= 1
            ok = not any(lo < target and hi > since for lo, hi in self._drops)
            if target > self._flushed_to:
                self._flushed_to = target
                self._drops = [r for r in self._drops if r[1] > target]
            return ok
        finally:
            self._cond.release()

    def close(self, timeout: float = 5.0) -> bool:
        """Flush within ``timeout``, then stop; spans still queued are dropped and counted."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            if self._closed:
                return True
            self._stopping = True
            self._cond.notify_all()
        delivered = self.flush(timeout)
        cancel = getattr(self._exporter, "cancel", None)
        if callable(cancel):
            cancel()
        with self._cond:
            self._closed = True
            if self._inflight is not None:
                # The worker may sit in an HTTP attempt up to the request timeout; count the
                # batch now so close() stays bounded and stats() is final when it returns.
                self._abandoned = self._inflight
                lo, hi, n = self._inflight
                self._drop_locked(lo, hi, Outcome.SHUTDOWN.value, n)
                self._log_once(Outcome.SHUTDOWN.value, n, "in flight at shutdown")
            if self._queue:
                lo, hi, n = self._queue[0][0], self._queue[-1][0] + 1, len(self._queue)
                self._queue.clear()
                self._drop_locked(lo, hi, Outcome.SHUTDOWN.value, n)
                self._log_once(Outcome.SHUTDOWN.value, n, "still queued at shutdown")
            self._cond.notify_all()
        self._emit_logs()
        self._worker.join(max(0.0, deadline - time.monotonic()))
        try:
            self._exporter.shutdown()
        except Exception as exc:  # the exporter's own teardown must not break ours
            _logger.warning("chainsight: exporter shutdown failed: %r", exc)
        return delivered

    def stats(self) -> ExportStats:
        """Counters right now (cheap; takes the queue lock briefly)."""
        with self._cond:
            return ExportStats(
                delivered=self._delivered,
                dropped=MappingProxyType(dict(self._dropped)),
                queued=len(self._queue),
            )

    # --- worker --------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                deadline = time.monotonic() + self._delay
                while not self._closed and not self._ready_locked():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if not self._queue:
                    if self._closed or self._stopping:
                        return
                    continue
                take = min(self._batch_size, len(self._queue))
                batch = [self._queue.popleft() for _ in range(take)]
                lo, hi = batch[0][0], batch[-1][0] + 1
                self._inflight = (lo, hi, take)
            try:
                result = self._send([span for _, span in batch])
            except Exception as exc:  # e.g. an attribute the encoder rejects: keep the worker
                result = Delivery(Outcome.REJECTED, detail=f"could not send: {exc!r}")
            with self._cond:
                self._inflight = None
                if self._abandoned == (lo, hi, take):
                    # close() already counted this batch as a shutdown drop; correct it if the
                    # collector acknowledged it after all.
                    self._abandoned = None
                    if result.outcome is Outcome.DELIVERED:
                        self._dropped[Outcome.SHUTDOWN.value] -= take
                        self._delivered += take
                else:
                    self._settle_locked(lo, hi, take, result)
                self._cond.notify_all()
            if self._to_log:
                self._emit_logs()

    def _ready_locked(self) -> bool:
        if len(self._queue) >= self._batch_size:
            return True
        return bool(self._queue) and (self._flushers > 0 or self._stopping)

    def _settled_locked(self, target: int) -> bool:
        """No span with seq < target is queued or in flight."""
        if self._inflight is not None and self._inflight[0] < target:
            return False
        return not self._queue or self._queue[0][0] >= target

    def _settle_locked(self, lo: int, hi: int, count: int, result: Delivery) -> None:
        if result.outcome is Outcome.DELIVERED:
            refused = min(result.rejected_spans, count)
            self._delivered += count - refused
            if refused:
                self._drop_locked(lo, hi, Outcome.REJECTED.value, refused)
                self._log_once(Outcome.REJECTED.value, refused, "collector refused (partial)")
            return
        reason = EXPORT_FAILED if self._foreign else result.outcome.value
        self._drop_locked(lo, hi, reason, count)
        self._log_once(reason, count, result.detail)

    def _drop_locked(self, lo: int, hi: int, reason: str, count: int) -> None:
        self._dropped[reason] = self._dropped.get(reason, 0) + count
        last = self._drops[-1] if self._drops else None
        if last is not None and lo <= last[1] and hi >= last[0]:
            last[0], last[1] = min(last[0], lo), max(last[1], hi)
        else:
            self._drops.append([lo, hi])
        if len(self._drops) > _MAX_DROP_RANGES:
            second = self._drops.pop(1)
            first = self._drops[0]
            first[0], first[1] = min(first[0], second[0]), max(first[1], second[1])

    def _log_once(self, reason: str, count: int, detail: str) -> None:
        """Queue the first warning per reason; called under the lock, emitted after it."""
        if reason not in self._logged:
            self._logged.add(reason)
            self._to_log.append((reason, count, detail))

    def _emit_logs(self) -> None:
        # Never log under our lock: a log handler that makes spans would re-enter on_end.
        with self._cond:
            pending, self._to_log = self._to_log, []
        for reason, count, detail in pending:
            self._log_drop(reason, count, detail)

    @staticmethod
    def _log_drop(reason: str, count: int, detail: str) -> None:
        _logger.warning(
            "chainsight dropped %d span(s): %s%s (logged once per reason; "
            "see chainsight.export_stats())",
            count,
            reason,
            f" ({detail})" if detail else "",
        )
