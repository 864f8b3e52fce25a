"""``StoredTraces``, the writer's filter of stored trace ids: never misses a stored trace
(else a retried span would be stored twice), skips DuckDB for batches of new traces, and
survives growth, reopening and retention."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from chainsight.storage.duckdb import DuckDBStore, tracefilter
from chainsight.storage.model import SpanRecord, TraceFilter

from .storage_fixtures import span


def _hashes(store: DuckDBStore, ids: list[str]) -> np.ndarray:
    con = store._con
    con.register("_cs_batch", pa.table({"trace_id": ids}))
    try:
        return tracefilter.batch_hashes(con)
    finally:
        con.unregister("_cs_batch")


def _traces(rng: random.Random, n: int) -> list[SpanRecord]:
    """n one-span traces with random ids (as real exporters make them)."""
    base = span("ab", "1")
    return [
        replace(
            base,
            trace_id=f"{rng.getrandbits(128):032x}",
            span_id=f"{rng.getrandbits(64):016x}",
        )
        for _ in range(n)
    ]


def _every_stored_id_is_held(store: DuckDBStore) -> bool:
    ids = [r[0] for r in store._con.execute("SELECT trace_id FROM traces").fetchall()]
    f = store._stored_traces
    return all(f.may_hold_any(h[None]) for h in _hashes(store, ids))


def test_stored_ids_are_held_and_new_ones_mostly_not(tmp_path: Path) -> None:
    """No false negatives; false positives rare (well under 1% per id at this fill)."""
    rng = random.Random(7)
    store = DuckDBStore.open(tmp_path / "f.duckdb")
    try:
        for _ in range(5):
            store.write_spans(_traces(rng, 400))
        assert _every_stored_id_is_held(store)
        fresh = [f"{rng.getrandbits(128):032x}" for _ in range(5000)]
        f = store._stored_traces
        positives = sum(f.may_hold_any(h[None]) for h in _hashes(store, fresh))
        assert positives < 50
    finally:
        store.close()


def test_filter_grows_and_is_refilled_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its capacity it is rebuilt twice as large from the table; a reopened store
    fills it from the file; retried spans of every stored trace are still recognised."""
    monkeypatch.setattr(tracefilter, "MIN_CAPACITY", 16)
    rng = random.Random(11)
    path = tmp_path / "g.duckdb"
    store = DuckDBStore.open(path)
    written: list[SpanRecord] = []
    try:
        capacities = set()
        for _ in range(12):
            batch = _traces(rng, 50)
            written += batch
            store.write_spans(batch)
            capacities.add(store._stored_traces.capacity)
        assert len(capacities) >= 3  # grew more than once
        assert _every_stored_id_is_held(store)
    finally:
        store.close()
    store = DuckDBStore.open(path)
    try:
        assert store._stored_traces.count == len(written)
        result = store.write_spans(rng.sample(written, 100))
        assert (result.inserted, result.duplicates) == (0, 100)
    finally:
        store.close()


def test_a_batch_of_new_traces_skips_the_lookup(tmp_path: Path) -> None:
    """The point of the filter: new ids are reported absent, so DuckDB is not asked."""
    rng = random.Random(3)
    store = DuckDBStore.open(tmp_path / "h.duckdb")
    try:
        store.write_spans(_traces(rng, 500))
        fresh = [f"{rng.getrandbits(128):032x}" for _ in range(64)]
        assert not store._stored_traces.may_hold_any(_hashes(store, fresh))
    finally:
        store.close()


def test_retention_leaves_only_false_positives(tmp_path: Path) -> None:
    """Pruned traces stay in the filter (a lookup then finds nothing): re-sent, they are
    stored again, as without the filter."""
    store = DuckDBStore.open(tmp_path / "r.duckdb")
    try:
        old = span("cd", "1")
        store.write_spans([old])
        assert store.prune(datetime.now(UTC) + timedelta(days=1)) == 1
        assert store.stats()["spans"] == 0
        assert store._stored_traces.may_hold_any(_hashes(store, [old.trace_id]))
        result = store.write_spans([old])
        assert (result.inserted, result.duplicates) == (1, 0)
        assert len(store.list_traces(TraceFilter()).items) == 1
    finally:
        store.close()
