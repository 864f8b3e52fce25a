"""``SpanColumns``, the decoder's column-wise batch: a sequence of records, stored alike."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

from chainsight.storage.duckdb import DuckDBStore
from chainsight.storage.model import SpanColumns, SpanRecord, TraceFilter

from .storage_fixtures import load_spans, span


def _columns(records: list[SpanRecord]) -> SpanColumns:
    return SpanColumns.from_rows(astuple(r) for r in records)


def test_span_columns_is_a_sequence_of_the_same_records() -> None:
    """Indexing, slicing, iterating and comparing give back the records it was built from."""
    records = load_spans()
    cols = _columns(records)
    assert len(cols) == len(records)
    assert cols[3] == records[3]
    assert list(cols[2:5]) == records[2:5]
    assert cols == records
    assert SpanColumns.concat([cols[:4], cols[4:]]) == cols
    assert SpanColumns.from_rows([]) == []


def test_columns_and_records_are_stored_the_same(tmp_path: Path) -> None:
    """The same batches written as SpanColumns and as SpanRecord lists give the same traces."""
    spans = load_spans()
    first = [
        *spans[:7],
        spans[0],  # an in-batch duplicate
        span("a", "1"),
        span("a", "3", parent="2", start_ms=5, status="error"),  # orphan until "2" arrives
        span("b", "1", parent="9", tags=("x",), model="m1", cost=0.5),  # an orphan root
    ]
    second = [
        *spans[5:],  # overlaps the first batch: stored duplicates
        span("a", "2", parent="1", start_ms=2, model="m2", input_tokens=3),
        span("b", "2", parent="1", service=None, tags=("y", "x"), model="m0", cost=None),
    ]
    as_columns = DuckDBStore.open(tmp_path / "columns.duckdb")
    as_records = DuckDBStore.open(tmp_path / "records.duckdb")
    try:
        for batch in (first, second):
            assert as_columns.write_spans(_columns(batch)) == as_records.write_spans(batch)
        every = TraceFilter()
        from_columns = as_columns.list_traces(every, limit=100).items
        from_records = as_records.list_traces(every, limit=100).items
        assert from_columns == from_records
        assert {t.trace_id for t in from_columns} >= {"a" * 32, "b" * 32}
        for t in from_records:
            assert as_columns.get_trace(t.trace_id) == as_records.get_trace(t.trace_id)
    finally:
        as_columns.close()
        as_records.close()


def test_a_stored_orphan_is_cleared_when_its_parent_arrives_as_columns(tmp_path: Path) -> None:
    """Merging a column batch into a stored trace recomputes has_orphans."""
    store = DuckDBStore.open(tmp_path / "store.duckdb")
    try:
        store.write_spans(_columns([span("c", "1"), span("c", "3", parent="2", start_ms=4)]))
        [before] = store.list_traces(TraceFilter()).items
        store.write_spans(_columns([span("c", "2", parent="1", start_ms=2)]))
        [after] = store.list_traces(TraceFilter()).items
        assert (before.has_orphans, after.has_orphans, after.span_count) == (True, False, 3)
    finally:
        store.close()
