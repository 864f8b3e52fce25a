"""Decode worker processes: OTLP bodies in, Arrow IPC out (``decode_workers = N``).

Decode, normalization, pricing and building the Arrow table cost ≈ 25 µs per span of
GIL-held Python, about half of the collector's CPU per span; in one process they cap
ingest near 29-36k spans/s whatever the cores. Here N processes do steps 4-5 of
``ingest`` (decompress with the same ``max_body_bytes`` cap, decode, price) and
``SpanTable.from_columns``, and send the table back as an Arrow IPC stream. The collector
process keeps ≈ 3-4 µs per span: pickling the body to a worker and opening the reply
(docs/benchmarks.md, "Ingest decode").

Failure behaviour:

- errors keep their HTTP meaning: ``PayloadTooLarge`` (413) and ``UndecodableBody`` (400)
  are raised in the worker and re-raised here; ``partial_success`` counts and rejected
  reasons come back with the table;
- a worker that dies (SIGKILL, OOM) breaks the executor: the requests it held get
  ``Unavailable`` (503 + Retry-After, which exporters retry) and nothing of theirs was
  acknowledged; the pool is rebuilt at once and later requests are decoded as usual;
- workers are started with ``spawn``, never ``fork``: the parent holds DuckDB and threads.
  They start lazily (first ``start()`` sends a no-op to each) and exit with the collector:
  ``close()`` on shutdown, and a watchdog thread in each worker when the parent vanished
  without one (``kill -9``).

Prices: each task carries the price book's version and its entries (pickled once per
version, ≈ 10 KB); a worker rebuilds its ``PriceBook`` only when the version changed, so
an edit through the API applies to the next request.

>>> pool = DecodePool(2, limits=DecodeLimits(), max_body_bytes=1 << 26,
...                   pricebook=PriceBook.default, retry_after=1)  # doctest: +SKIP
>>> pool.start(); decoded = await pool.decode(body, "identity", PROTOBUF, None)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import NamedTuple

from chainsight.storage.model import SpanColumns, SpanTable

from .errors import Unavailable
from .ingest import Decoded, Decoder, decompress, make_decoder
from .limits import DecodeLimits
from .pricing import PriceBook

log = logging.getLogger("chainsight.collector.decode_pool")

PARENT_POLL_SECONDS = 0.5
"""How often a worker checks that the collector that started it is still alive."""

Reply = tuple[tuple[bytes, bytes | None] | None, int, str | None, Mapping[str, int]]
"""(Arrow IPC streams of the spans and their per-trace rollup, or None when no span was
kept; rejected; message; reasons)."""


@dataclass
class _Worker:
    """One worker process's state (module-global in the worker only; the parent has none)."""

    decoder: Decoder
    max_body_bytes: int
    version: int = -1
    book: PriceBook | None = None


_WORKER: _Worker | None = None


def _init_worker(limits: DecodeLimits, max_body_bytes: int, parent: int) -> None:
    """Worker initializer: build the decoder; exit when the parent is gone."""
    global _WORKER  # noqa: PLW0603 - one decoder per worker process
    # Ctrl-C reaches the whole process group; the collector decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    state = _Worker(make_decoder(limits, _book), max_body_bytes)
    _WORKER = state

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)  # orphaned (the collector was SIGKILLed): nothing here to flush

    threading.Thread(target=watch, name="chainsight-parent-watch", daemon=True).start()


def _book() -> PriceBook:
    if _WORKER is None or _WORKER.book is None:
        raise RuntimeError("decode worker used before its price book was set")
    return _WORKER.book


def _ready() -> int:
    """The no-op ``start`` sends to bring each worker up before the first request."""
    return os.getpid()


class Task(NamedTuple):
    """One request for a worker (pickled to it by the executor)."""

    raw: bytes
    encoding: str
    content_type: str
    project: str | None
    version: int
    prices: bytes


def _decode_task(task: Task) -> Reply:
    """In a worker: steps 4-5 of ``ingest`` and the Arrow table, as an IPC stream."""
    state = _WORKER
    if state is None:
        raise RuntimeError("decode task run outside a decode worker")
    if state.version != task.version:
        state.book = PriceBook(pickle.loads(task.prices))  # our own parent's bytes
        state.version = task.version
    body = decompress(task.raw, task.encoding, state.max_body_bytes)
    decoded = state.decoder(body, task.content_type, task.project)
    records = decoded.records
    if not isinstance(records, SpanColumns):  # make_decoder passes decode_traces' columns on
        raise TypeError(f"decoder returned {type(records).__name__}, not SpanColumns")
    ipc = SpanTable.from_columns(records).to_ipc() if len(records) else None
    return ipc, decoded.rejected, decoded.error_message, dict(decoded.rejected_reasons)


class DecodePool:
    """N spawn-started worker processes decoding OTLP bodies into Arrow tables."""

    def __init__(
        self,
        workers: int,
        *,
        limits: DecodeLimits,
        max_body_bytes: int,
        pricebook: Callable[[], PriceBook],
        retry_after: int,
    ) -> None:
        if workers < 1:
            raise ValueError("a decode pool needs at least one worker")
        self.workers = workers
        self._limits = limits
        self._max_body_bytes = max_body_bytes
        self._pricebook = pricebook
        self._retry_after = retry_after
        self._book: PriceBook | None = None
        self._version = 0
        self._prices = b""
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self.restarts = 0
        """Times the pool was rebuilt after a worker died."""

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self._limits, self._max_body_bytes, os.getpid()),
        )

    def start(self) -> None:
        """Create the executor and bring its workers up in the background (not awaited)."""
        with self._lock:
            if self._executor is None and not self._closed:
                self._executor = self._new_executor()
                for _ in range(self.workers):
                    self._executor.submit(_ready)

    def pids(self) -> list[int]:
        """The worker processes' ids (for tests and operators)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return sorted(processes)

    def busy(self) -> bool:
        """Whether a request is queued for or being decoded by a worker."""
        return bool(getattr(self._executor, "_pending_work_items", None))

    def _prices_for_task(self) -> tuple[int, bytes]:
        book = self._pricebook()
        with self._lock:
            if book is not self._book:  # replaced whole on every price change
                self._book = book
                self._version += 1
                self._prices = pickle.dumps(list(book.entries), pickle.HIGHEST_PROTOCOL)
            return self._version, self._prices

    def _submit(self, task: Task) -> tuple[ProcessPoolExecutor, Future[Reply]]:
        """Submit to the live executor; rebuild it once when it is already broken."""
        for _ in range(2):
            with self._lock:
                if self._closed:
                    raise Unavailable("collector is shutting down", self._retry_after)
                if self._executor is None:
                    self._executor = self._new_executor()
                executor = self._executor
            try:
                return executor, executor.submit(_decode_task, task)
            except BrokenProcessPool:
                self._rebuild(executor)
        raise Unavailable("decode workers are restarting", self._retry_after)

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        """Replace ``broken`` (a worker died) unless another request already did."""
        with self._lock:
            if self._executor is not broken or self._closed:
                return
            self.restarts += 1
            self._executor = self._new_executor()
        log.warning("a decode worker died; the pool was rebuilt (restart %d)", self.restarts)
        broken.shutdown(wait=False, cancel_futures=True)

    async def decode(
        self, raw: bytes, encoding: str, content_type: str, project: str | None
    ) -> Decoded:
        """Decode ``raw`` in a worker; the same errors as the thread path, 503 if one died."""
        version, prices = self._prices_for_task()
        executor, future = self._submit(Task(raw, encoding, content_type, project, version, prices))
        try:
            ipc, rejected, message, reasons = await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._rebuild(executor)
            raise Unavailable(
                "a decode worker died while decoding this request; retry", self._retry_after
            ) from exc
        records = SpanColumns.from_rows([]) if ipc is None else SpanTable.from_ipc(*ipc)
        return Decoded(records, rejected, message, dict(reasons))

    def close(self, timeout: float = 30.0) -> None:
        """Stop the workers: queued tasks are cancelled, running ones finish (bounded)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("decode worker %s did not stop; killing it", process.pid)
                process.kill()
                process.join(5)
