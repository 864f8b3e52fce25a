"""``DuckDBStore``: the embedded backend of the ``Store`` protocol.

Connections: one write connection, used under a lock (DuckDB is one writer per process and
batches beat many small transactions), and one read cursor per thread (``con.cursor()``),
the pattern of datasette's ``database.py``. Readers run on their own MVCC snapshot, so a
read never waits for the writer's transaction, only for CPU.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from ..errors import StorageError, StorageUnavailable
from ..model import (
    DriftSample,
    MetricPoint,
    MetricQuery,
    SessionSummary,
    SpanRecord,
    TraceFilter,
    TracePage,
    TraceSort,
    TraceTree,
    UserSummary,
    WriteResult,
)
from ..store import AlertStore, KeyStore, Pricer, PriceStore, ReferenceStore
from . import drift, maintenance, metrics, people, traces, writes
from .alerts import AlertTable
from .catalog import KeyTable, PriceTable
from .migrations import migrate
from .timestamps import to_ns
from .tracefilter import StoredTraces

MEMORY = ":memory:"


class DuckDBStore:
    """A span store in one DuckDB file (or in memory). Thread-safe; one per process.

    >>> store = DuckDBStore.open(":memory:")
    >>> store.stats()["spans"]
    0
    >>> store.close()
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self._con = con
        self._path = path
        self._write_lock = threading.Lock()
        self._readers_lock = threading.Lock()
        self._readers: list[duckdb.DuckDBPyConnection] = []
        self._local = threading.local()
        self._closed = False
        self._stored_traces = StoredTraces(con)
        # Typed as the protocols: a protocol attribute is invariant.
        self.prices: PriceStore = PriceTable(self)
        self.keys: KeyStore = KeyTable(self)
        self.alerts: AlertStore = AlertTable(self)
        self.references: ReferenceStore = drift.ReferenceTable(self)

    @classmethod
    def open(cls, path: str | Path) -> DuckDBStore:
        """Open (creating and migrating if needed) the database at ``path`` or ``":memory:"``.

        Raises StorageUnavailable when another process holds the file: DuckDB allows one
        writing process per file.
        """
        target: Path | None = None if str(path) in ("", MEMORY) else Path(path)
        try:
            if target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(MEMORY if target is None else str(target))
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                raise StorageUnavailable(
                    f"{target} is open in another process; only one Chainsight collector "
                    f"may open a DuckDB file ({e})"
                ) from e
            raise StorageUnavailable(f"cannot open {target}: {e}") from e
        except (duckdb.Error, OSError) as e:
            raise StorageUnavailable(f"cannot open {target}: {e}") from e
        try:
            migrate(con)
        except duckdb.Error as e:
            con.close()
            raise StorageUnavailable(f"cannot migrate {target}: {e}") from e
        except StorageError:
            con.close()
            raise
        return cls(con, target)

    # -- connections ------------------------------------------------------------------------

    def _reader(self) -> duckdb.DuckDBPyConnection:
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
            with self._readers_lock:
                self._readers.append(cur)
        return cur

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This thread's read cursor; driver errors become StorageError."""
        if self._closed:
            raise StorageError("store is closed")
        try:
            yield self._reader()
        except duckdb.Error as e:
            raise StorageError(f"query failed: {e}") from e

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The write connection, held exclusively; driver errors become StorageError."""
        with self._write_lock:
            if self._closed:
                raise StorageError("store is closed")
            try:
                yield self._con
            except duckdb.Error as e:
                raise StorageError(f"write failed: {e}") from e

    @property
    def path(self) -> Path | None:
        """The database file, None in memory."""
        return self._path

    # -- Store protocol ---------------------------------------------------------------------

    def write_spans(self, spans: Sequence[SpanRecord]) -> WriteResult:
        """Insert spans in one transaction, ignoring (trace_id, span_id) already stored."""
        with self.writing() as con:
            return writes.write_spans(con, spans, self._stored_traces)

    def list_traces(
        self,
        filter: TraceFilter,
        sort: TraceSort = "start_desc",
        limit: int = 50,
        cursor: str | None = None,
    ) -> TracePage:
        """A page of trace summaries; ``cursor`` continues a previous page."""
        with self.reading() as con:
            return traces.list_traces(con, filter, sort, limit, cursor)

    def get_trace(self, trace_id: str, project: str | None = None) -> TraceTree | None:
        """One trace as a depth-first span tree, or None."""
        with self.reading() as con:
            return traces.get_trace(con, trace_id, project)

    def list_projects(self) -> list[str]:
        """The projects that have stored traces, sorted; see ``traces.list_projects``."""
        with self.reading() as con:
            return traces.list_projects(con)

    def list_sessions(
        self, filter: TraceFilter, limit: int = 50, offset: int = 0
    ) -> list[SessionSummary]:
        """Sessions of the matching traces, most recently active first."""
        with self.reading() as con:
            return people.list_sessions(con, filter, limit, offset)

    def list_users(
        self, filter: TraceFilter, limit: int = 50, offset: int = 0
    ) -> list[UserSummary]:
        """Users of the matching traces, most recently seen first."""
        with self.reading() as con:
            return people.list_users(con, filter, limit, offset)

    def metrics(self, query: MetricQuery) -> list[MetricPoint]:
        """Exact aggregates per (bucket, group); see ``metrics.metric_points``."""
        with self.reading() as con:
            return metrics.metric_points(con, query)

    def metrics_json(self, query: MetricQuery) -> bytes:
        """``metrics(query)`` as the JSON of ``list[MetricPoint]``, built without models."""
        with self.reading() as con:
            return metrics.metric_points_json(con, query)

    def reprice(self, pricer: Pricer, filter: TraceFilter) -> int:
        """Recompute cost of stored spans without an explicit cost; returns rows changed."""
        with self.writing() as con:
            return maintenance.reprice(con, pricer, filter)

    def prune(self, older_than: datetime) -> int:
        """Delete traces whose first span started before ``older_than``; returns spans deleted."""
        with self.writing() as con:
            return maintenance.prune(con, older_than)

    def drift_sample(
        self,
        filter: TraceFilter,
        start: datetime,
        end: datetime,
        columns: Sequence[str],
        limit: int,
        *,
        seed: int = 0,
        kind: str | None = None,
    ) -> DriftSample:
        """A reservoir sample of a window's spans; see ``drift.drift_sample``."""
        with self.reading() as con:
            return drift.drift_sample(
                con, filter, to_ns(start), to_ns(end), columns, limit, seed, kind
            )

    def stats(self) -> dict[str, int]:
        """``spans``, ``traces`` and ``bytes`` (database file plus WAL)."""
        with self.reading() as con:
            return maintenance.stats(con, self._path)

    def close(self) -> None:
        """Close every cursor and the database; later calls raise StorageError. Idempotent."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            with self._readers_lock:
                readers, self._readers = self._readers, []
            try:
                for cur in readers:
                    cur.close()
                self._con.close()
            except duckdb.Error as e:
                raise StorageError(f"close failed: {e}") from e
