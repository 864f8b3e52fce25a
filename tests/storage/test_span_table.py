"""``SpanTable``, the decode workers' Arrow batch: stored exactly like ``SpanColumns``,
whether the writer uses the workers' per-request rollups or rolls the batch up itself."""

from __future__ import annotations

import random
from dataclasses import astuple, replace
from pathlib import Path

import pytest

from chainsight.storage.duckdb import DuckDBStore
from chainsight.storage.model import SpanColumns, SpanRecord, SpanTable, TraceFilter

from .storage_fixtures import load_spans, span


def _columns(records: list[SpanRecord]) -> SpanColumns:
    return SpanColumns.from_rows(astuple(r) for r in records)


def _table(records: list[SpanRecord]) -> SpanTable:
    """One request's spans as a decode worker sends them (through Arrow IPC)."""
    return SpanTable.from_ipc(*SpanTable.from_columns(_columns(records)).to_ipc())


def test_span_table_is_a_sequence_of_the_same_records() -> None:
    """Indexing, slicing and iterating give back the records, sorted by start."""
    records = sorted(load_spans(), key=lambda r: r.start_ns)
    table = _table(records)
    assert len(table) == len(records)
    assert table[3] == records[3]
    assert list(table[2:5]) == records[2:5]
    assert list(table) == records


def _store_both(tmp_path: Path, groups: list[list[list[SpanRecord]]]) -> None:
    """Write each group commit (a list of requests) both ways; assert equal results."""
    as_columns = DuckDBStore.open(tmp_path / "columns.duckdb")
    as_tables = DuckDBStore.open(tmp_path / "tables.duckdb")
    try:
        for group in groups:
            expected = as_columns.write_spans(SpanColumns.concat(_columns(r) for r in group))
            got = as_tables.write_spans(SpanTable.concat(_table(r) for r in group))
            assert got == expected
        every = TraceFilter()
        from_columns = as_columns.list_traces(every, limit=1000).items
        assert as_tables.list_traces(every, limit=1000).items == from_columns
        for t in from_columns:
            assert as_tables.get_trace(t.trace_id) == as_columns.get_trace(t.trace_id)
    finally:
        as_columns.close()
        as_tables.close()


def test_tables_and_columns_are_stored_the_same(tmp_path: Path) -> None:
    """Disjoint requests (workers' rollups used), a trace split over two requests of one
    commit, in-batch and stored duplicates, orphans: the same traces and trees."""
    spans = load_spans()
    groups = [
        [spans[:4], [span("b", "1", parent="9", tags=("x",), model="m1", cost=0.5)]],
        [
            [span("a", "1"), span("a", "3", parent="2", start_ms=5, status="error")],
            [span("a", "2", parent="1", start_ms=2, model="m2", input_tokens=3)],
        ],
        [[*spans[3:7], spans[3]], [span("b", "2", parent="1", service=None, model="m0")]],
        [spans[6:]],
        # A stored trace sent again in full beside a new one, in two requests of one commit.
        [[span("b", "1", parent="9", tags=("x",), model="m1", cost=0.5)], [span("c", "1")]],
    ]
    _store_both(tmp_path, groups)


@pytest.mark.parametrize("seed", range(3))
def test_random_batches_are_stored_the_same(tmp_path: Path, seed: int) -> None:
    """Random traces cut into random requests and commits, with retries, give equal rows."""
    rng = random.Random(seed)
    spans: list[SpanRecord] = []
    for t in range(40):
        trace = f"{t + 1:032x}"
        ids = [f"{t * 100 + i + 1:016x}" for i in range(rng.randint(1, 8))]
        for i, sid in enumerate(ids):
            parent = None if i == 0 else rng.choice([*ids[:i], f"{999_999 - i:016x}"])
            spans.append(
                replace(
                    span("1", "1"),
                    trace_id=trace,
                    span_id=sid,
                    parent_span_id=parent if rng.random() > 0.1 else None,
                    start_ns=span("1", "1").start_ns + rng.randint(0, 5) * 10**6,
                    model=rng.choice([None, "m1", "m2"]),
                    cost=rng.choice([None, 0.25]),
                    input=rng.choice([None, "in " * rng.randint(1, 200)]),
                    user_id=rng.choice([None, "u1", "u2"]),
                    tags=tuple(rng.sample(["a", "b", "c"], rng.randint(0, 2))),
                    status=rng.choice(["ok", "error", "unset"]),
                )
            )
    rng.shuffle(spans)
    requests = []
    while spans:
        n = rng.randint(1, 25)
        part, spans = spans[:n], spans[n:]
        if requests and rng.random() < 0.2:
            part = part + rng.sample(requests[-1], 1)  # a retried span
        requests.append(part)
    groups = []
    while requests:
        n = rng.randint(1, 4)
        groups.append(requests[:n])
        requests = requests[n:]
    _store_both(tmp_path, groups)
