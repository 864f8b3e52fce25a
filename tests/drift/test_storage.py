"""Drift support in the DuckDB store: reservoir samples of a window, and reference periods."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from chainsight.storage import InvalidQuery, Store, open_store
from chainsight.storage.model import ReferencePeriod, TraceFilter

from .synthetic import Profile, spans

T0 = 1_790_000_000 * 10**9
HOUR_NS = 3600 * 10**9
START = datetime.fromtimestamp(T0 / 1e9, UTC)
END = START + timedelta(hours=1)
CALLS = 3000


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"duckdb:///{tmp_path / 'drift.duckdb'}")
    opened.write_spans(spans(Profile(), CALLS, T0, T0 + HOUR_NS, seed=3))
    yield opened
    opened.close()


def test_sample_is_bounded_and_counts_every_match(store: Store) -> None:
    """At most ``limit`` rows come back; ``total`` counts all matching spans."""
    sample = store.drift_sample(TraceFilter(), START, END, ["model", "input_tokens"], 500)
    assert sample.total == 2 * CALLS
    assert sample.size == 500
    assert len(sample.column("input_tokens")) == 500


def test_sample_takes_every_row_when_the_window_is_small(store: Store) -> None:
    """A limit above the match count returns every matching span."""
    sample = store.drift_sample(TraceFilter(), START, END, ["name"], 10_000, kind="llm")
    assert (sample.total, sample.size) == (CALLS, CALLS)


def test_sample_applies_kind_and_filter(store: Store) -> None:
    """Only LLM spans of the filtered model are drawn."""
    sample = store.drift_sample(
        TraceFilter(model="gpt-4o"), START, END, ["model", "name"], 200, kind="llm"
    )
    assert set(sample.column("model")) == {"gpt-4o"}
    assert 0 < sample.total < CALLS


def test_sample_is_spread_over_the_window(store: Store) -> None:
    """A uniform sample's start times centre on the window's middle (not its first rows)."""
    sample = store.drift_sample(TraceFilter(), START, END, ["start_ns"], 600, kind="llm")
    starts = [v for v in sample.column("start_ns") if isinstance(v, int)]
    middle = T0 + HOUR_NS / 2
    assert abs(sum(starts) / len(starts) - middle) < HOUR_NS * 0.1


def test_sample_ignores_the_filter_time_bounds(store: Store) -> None:
    """The window arguments bound the sample; the filter's start/end do not."""
    flt = TraceFilter(start=START - timedelta(days=9), end=START - timedelta(days=8))
    assert store.drift_sample(flt, START, END, ["name"], 10).total == 2 * CALLS


def test_sample_accepts_any_seed(store: Store) -> None:
    """A negative seed is folded into DuckDB's range instead of failing the query."""
    assert store.drift_sample(TraceFilter(), START, END, ["name"], 10, seed=-1).size == 10


def test_sample_refuses_unknown_columns(store: Store) -> None:
    """Column names are whitelisted, never spliced from input."""
    with pytest.raises(InvalidQuery):
        store.drift_sample(TraceFilter(), START, END, ["name; DROP TABLE spans"], 10)


def test_reference_periods_round_trip(store: Store) -> None:
    """put → get → list → delete, named per project."""
    period = ReferencePeriod(name="launch week", start=START, end=END, project="shop")
    saved = store.references.put(period)
    assert saved.created_at is not None
    assert store.references.get("launch week", "shop") == saved
    assert store.references.get("launch week", "other") is None
    assert [p.name for p in store.references.list("shop")] == ["launch week"]
    assert store.references.delete("launch week", "shop")
    assert store.references.list() == []


def test_reference_period_with_the_same_name_is_replaced(store: Store) -> None:
    """Saving a name again moves the period instead of duplicating it."""
    store.references.put(ReferencePeriod(name="q1", start=START, end=END))
    store.references.put(ReferencePeriod(name="q1", start=START, end=END + timedelta(hours=1)))
    [period] = store.references.list()
    assert period.end == END + timedelta(hours=1)


def test_reference_period_must_end_after_it_starts(store: Store) -> None:
    """An empty or inverted range is refused."""
    with pytest.raises(InvalidQuery):
        store.references.put(ReferencePeriod(name="bad", start=END, end=START))


def test_a_version_1_database_gains_the_reference_table(tmp_path: Path) -> None:
    """Opening a database at schema version 1 migrates it forward (schema_v2.sql)."""
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    schema = resources.files("chainsight.storage.duckdb").joinpath("schema.sql").read_text()
    con.execute(schema)
    con.execute("INSERT INTO schema_version VALUES (1, 0)")
    con.close()
    store = open_store(f"duckdb:///{path}")
    try:
        store.references.put(ReferencePeriod(name="old", start=START, end=END))
        assert [p.name for p in store.references.list()] == ["old"]
    finally:
        store.close()
