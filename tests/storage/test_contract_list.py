"""Contract: list_traces filters, sorts and pages with an opaque keyset cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chainsight.storage.errors import InvalidQuery
from chainsight.storage.model import TraceFilter, TraceSort
from chainsight.storage.store import Store

from .storage_fixtures import span

BASE = datetime(2025, 6, 1, tzinfo=UTC)
SORTS: list[TraceSort] = ["start_desc", "start_asc", "duration_desc", "cost_desc", "tokens_desc"]


def _ids(store: Store, f: TraceFilter, sort: TraceSort = "start_desc") -> list[str]:
    return [t.trace_id[0] for t in store.list_traces(f, sort=sort, limit=100).items]


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (TraceFilter(), ["5", "4", "3", "2", "1"]),
        (TraceFilter(project="beta"), ["3"]),
        (TraceFilter(start=BASE + timedelta(seconds=60)), ["5", "4", "3", "2"]),
        (TraceFilter(end=BASE + timedelta(seconds=60)), ["1"]),
        (TraceFilter(status="error"), ["2"]),
        (TraceFilter(status="ok"), ["5", "4", "3", "1"]),
        (TraceFilter(model="gpt-4o"), ["5", "4", "1"]),
        (TraceFilter(name="web_search"), ["2"]),
        (TraceFilter(kind="retriever"), ["1"]),
        (TraceFilter(service="triage-svc"), ["2"]),
        (TraceFilter(user_id="u1"), ["3", "1"]),
        (TraceFilter(session_id="s1"), ["2", "1"]),
        (TraceFilter(tag="vip"), ["3"]),
        (TraceFilter(min_latency_ms=5000), ["5", "3"]),
        (TraceFilter(max_latency_ms=1000), ["4", "1"]),
        (TraceFilter(min_cost=0.005), ["5", "1"]),
        (TraceFilter(search="quarterly report"), ["3"]),
        (TraceFilter(search="DUCKDB", project="alpha"), ["1"]),
        (TraceFilter(project="alpha", model="gpt-4o", min_cost=0.02), ["5"]),
    ],
    ids=lambda v: repr(v) if isinstance(v, list) else None,
)
def test_filter_selects_matching_traces(loaded: Store, f: TraceFilter, expected: list[str]) -> None:
    """Each filter field selects exactly the fixture traces it describes."""
    assert _ids(loaded, f) == expected


def test_model_filter_does_not_match_a_prefix(loaded: Store) -> None:
    """model=gpt-4 matches no trace: set membership is exact, not a substring."""
    assert _ids(loaded, TraceFilter(model="gpt-4")) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("start_desc", ["5", "4", "3", "2", "1"]),
        ("start_asc", ["1", "2", "3", "4", "5"]),
        ("duration_desc", ["5", "3", "2", "1", "4"]),
        ("cost_desc", ["5", "1", "3", "4", "2"]),
        ("tokens_desc", ["5", "3", "2", "1", "4"]),
    ],
)
def test_sort_orders(loaded: Store, sort: TraceSort, expected: list[str]) -> None:
    """Each sort orders the fixture traces as expected (unpriced cost sorts last)."""
    assert _ids(loaded, TraceFilter(), sort) == expected


def _many(store: Store, n: int = 23) -> None:
    # Ties on purpose: durations and costs repeat, so the trace_id tie-breaker matters.
    spans = [
        span(
            f"{i:02x}",
            "1",
            start_ms=i * 1000 // 2 * 2,
            end_ms=i * 1000 // 2 * 2 + (i % 4) * 10 + 5,
            cost=None if i % 5 == 0 else float(i % 3),
            input_tokens=i % 4,
        )
        for i in range(n)
    ]
    store.write_spans(spans)


@pytest.mark.parametrize("sort", SORTS)
def test_pagination_visits_every_trace_once(store: Store, sort: TraceSort) -> None:
    """Following next_cursor with small pages yields every trace exactly once, in order."""
    _many(store)
    full = [t.trace_id for t in store.list_traces(TraceFilter(), sort=sort, limit=100).items]
    seen: list[str] = []
    cursor = None
    for _ in range(30):
        page = store.list_traces(TraceFilter(), sort=sort, limit=4, cursor=cursor)
        seen += [t.trace_id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == full
    assert len(set(seen)) == 23


def test_last_page_has_no_cursor(loaded: Store) -> None:
    """A page that reaches the end returns next_cursor None."""
    assert loaded.list_traces(TraceFilter(), limit=5).next_cursor is None
    assert loaded.list_traces(TraceFilter(), limit=4).next_cursor is not None


def test_pagination_is_stable_when_new_traces_arrive(store: Store) -> None:
    """Traces written between pages do not shift the next page (keyset, not offset)."""
    _many(store)
    first = store.list_traces(TraceFilter(), sort="start_asc", limit=5)
    store.write_spans([span("ff", "1", start_ms=-5000)])
    second = store.list_traces(TraceFilter(), sort="start_asc", limit=5, cursor=first.next_cursor)
    assert second.items[0].trace_id == "05" * 16


@pytest.mark.parametrize("cursor", ["garbage!", "e30", "eyJzIjoic3RhcnRfZGVzYyJ9", ""])
def test_bad_cursor_is_invalid_query(loaded: Store, cursor: str) -> None:
    """A cursor that was not issued by the store raises InvalidQuery."""
    with pytest.raises(InvalidQuery):
        loaded.list_traces(TraceFilter(), cursor=cursor)


def test_cursor_of_another_sort_is_invalid_query(loaded: Store) -> None:
    """A cursor is only valid for the sort that issued it."""
    cursor = loaded.list_traces(TraceFilter(), limit=1).next_cursor
    with pytest.raises(InvalidQuery):
        loaded.list_traces(TraceFilter(), sort="cost_desc", cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 100_000])
def test_limit_out_of_range_is_invalid_query(loaded: Store, limit: int) -> None:
    """Limits outside 1..1000 raise InvalidQuery."""
    with pytest.raises(InvalidQuery):
        loaded.list_traces(TraceFilter(), limit=limit)


def test_unknown_sort_is_invalid_query(loaded: Store) -> None:
    """A sort key outside the whitelist raises InvalidQuery (never reaches SQL)."""
    with pytest.raises(InvalidQuery):
        loaded.list_traces(TraceFilter(), sort="name; DROP TABLE spans")  # type: ignore[arg-type]


def test_summary_fields_of_fixture_trace(loaded: Store) -> None:
    """The summary of trace 1 carries the root's facts and previews."""
    s = loaded.list_traces(TraceFilter(user_id="u1", project="alpha")).items[0]
    assert (s.name, s.kind, s.service, s.span_count) == ("answer", "chain", "bot", 3)
    assert s.start_time == BASE
    assert s.duration_ms == 1000.0
    assert (s.user_id, s.session_id, s.tags) == ("u1", "s1", ["prod"])
    assert s.input_preview == "What is DuckDB?"
    assert s.output_preview == "An embedded analytical database."
    assert not s.has_orphans


def test_list_projects_names_each_project_once(loaded: Store) -> None:
    """list_projects gives every project with stored traces, sorted, each once."""
    assert loaded.list_projects() == ["alpha", "beta"]


def test_list_projects_of_an_empty_store(store: Store) -> None:
    """An empty store has no projects."""
    assert store.list_projects() == []


def test_search_pages_newest_first_across_hours(store: Store) -> None:
    """A text search pages newest first, whether or not its newest hour fills a page."""
    hour = 3_600_000
    store.write_spans(
        [
            span("a", "1", input="find the needle", start_ms=0),
            span("b", "1", output="a NEEDLE here", start_ms=3 * hour),
            span("c", "1", input="needle again", start_ms=3 * hour + 60_000),
            span("d", "1", input="only hay", start_ms=3 * hour + 120_000),
        ]
    )
    f = TraceFilter(search="needle")
    seen, cursor = [], None
    for _ in range(4):
        page = store.list_traces(f, limit=1, cursor=cursor)
        seen += [t.trace_id[0] for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["c", "b", "a"]
    assert [t.trace_id[0] for t in store.list_traces(f, limit=5).items] == ["c", "b", "a"]


def test_search_treats_like_wildcards_literally(store: Store) -> None:
    """``%``, ``_`` and ``\\`` in a search are plain characters; case folds, also beyond ASCII."""
    store.write_spans(
        [
            span("a", "1", input="done 100% of it", start_ms=0),
            span("b", "1", input="done 1000 of it", start_ms=1000),
            span("c", "1", output="a_b and C:\\Temp", start_ms=2000),
            span("d", "1", output="axb and C:Temp", start_ms=3000),
            span("e", "1", input="ÉCOLE Straße", start_ms=4000),
        ]
    )
    assert _ids(store, TraceFilter(search="100%")) == ["a"]
    assert _ids(store, TraceFilter(search="a_b")) == ["c"]
    assert _ids(store, TraceFilter(search="c:\\temp")) == ["c"]
    assert _ids(store, TraceFilter(search="école")) == ["e"]
    assert _ids(store, TraceFilter(search="%")) == ["a"]


def test_search_in_a_window_finds_late_spans_of_its_traces(store: Store) -> None:
    """A span that starts after the window's end still counts for a trace that started in it;
    a trace that started after the window does not."""
    minute = 60_000
    store.write_spans(
        [
            span("a", "1", input="root", start_ms=0, end_ms=30 * minute),
            span("a", "2", "1", output="the late needle", start_ms=20 * minute),
            span("b", "1", input="needle too late", start_ms=15 * minute),
        ]
    )
    window = TraceFilter(start=BASE, end=BASE + timedelta(minutes=10), search="NEEDLE")
    assert _ids(store, window) == ["a"]
    assert _ids(store, window.model_copy(update={"start": None})) == ["a"]
    assert _ids(store, TraceFilter(search="needle")) == ["b", "a"]
