"""Trace list (keyset-paginated, over the ``traces`` rollup) and one trace as a span tree."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from ..cursor import decode_cursor, encode_cursor
from ..errors import InvalidQuery
from ..model import SpanDetail, TraceFilter, TracePage, TraceSort, TraceSummary, TraceTree
from .filters import split_set, trace_predicate
from .timestamps import from_ns, to_ns
from .writes import SPAN_COLUMNS

MAX_LIMIT = 1000

# Whitelisted sort keys: (SQL expression on traces t, descending?). NULL cost/tokens sort
# last in a descending list, so they map to -1 (real values are never negative).
SORTS: dict[str, tuple[str, bool]] = {
    "start_desc": ("t.start_ns", True),
    "start_asc": ("t.start_ns", False),
    "duration_desc": ("t.duration_ms", True),
    "cost_desc": ("coalesce(t.cost, -1.0)", True),
    "tokens_desc": ("coalesce(t.total_tokens, -1)", True),
}

_SUMMARY_COLUMNS = (
    "t.trace_id, t.project, t.name, t.kind, t.service, t.start_ns, t.duration_ms, t.status,"
    " t.span_count, t.error_count, t.ttft_ms, t.input_tokens, t.output_tokens,"
    " t.total_tokens, t.cost, t.models, t.user_id, t.session_id, t.tags, t.input_preview,"
    " t.output_preview, coalesce(t.has_orphans, false)"
)


def summary_from_row(row: tuple[Any, ...]) -> TraceSummary:
    """A ``TraceSummary`` from a row of ``_SUMMARY_COLUMNS``."""
    return TraceSummary(
        trace_id=row[0],
        project=row[1],
        name=row[2],
        kind=row[3],
        service=row[4],
        start_time=from_ns(row[5]),
        duration_ms=row[6],
        status=row[7],
        span_count=row[8],
        error_count=row[9],
        ttft_ms=row[10],
        input_tokens=row[11],
        output_tokens=row[12],
        total_tokens=row[13],
        cost=row[14],
        models=split_set(row[15]),
        user_id=row[16],
        session_id=row[17],
        tags=split_set(row[18]),
        input_preview=row[19],
        output_preview=row[20],
        has_orphans=row[21],
    )


def list_traces(
    con: duckdb.DuckDBPyConnection,
    f: TraceFilter,
    sort: TraceSort,
    limit: int,
    cursor: str | None,
) -> TracePage:
    """One page of traces matching ``f`` in ``sort`` order, after ``cursor``."""
    if sort not in SORTS:
        raise InvalidQuery(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be within 1..{MAX_LIMIT}, got {limit}")
    after = decode_cursor(cursor, sort) if cursor is not None else None
    # Two steps in one snapshot. The top-N reads only the sort key, the filter columns and
    # trace_id; the page's 22 columns (previews included) are then fetched for those ids
    # through the primary-key index. Reading every column for the top-N scanned all of
    # traces: cost_desc took 31 ms CPU at 1M spans this way against 10 + 8 ms in two steps
    # (docs/benchmarks.md, "Queries at 1M and 10M spans").
    con.execute("BEGIN TRANSACTION")
    try:
        keys = _newest_search_keys(con, f, sort, limit, after)
        if keys is None:
            keys = _page_keys(con, f, sort, limit, after)
        page = keys[:limit]
        rows: dict[str, tuple[Any, ...]] = {}
        if page:
            marks = ", ".join("?" * len(page))
            fetched = con.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM traces t WHERE t.trace_id IN ({marks})",
                [k[0] for k in page],
            ).fetchall()
            rows = {r[0]: r for r in fetched}
        con.execute("COMMIT")
    except Exception:
        # Not swallowed: close this cursor's transaction so its next query can run.
        con.execute("ROLLBACK")
        raise
    items = [summary_from_row(rows[k[0]]) for k in page]
    next_cursor = None
    if len(keys) > limit:
        last = keys[limit - 1]
        next_cursor = encode_cursor(sort, (last[1], last[0]))
    return TracePage(items=items, next_cursor=next_cursor)


def _page_keys(
    con: duckdb.DuckDBPyConnection,
    f: TraceFilter,
    sort: TraceSort,
    limit: int,
    after: tuple[Any, str] | None,
) -> list[tuple[Any, ...]]:
    """(trace_id, sort key) of up to ``limit + 1`` traces, in page order."""
    key_sql, desc = SORTS[sort]
    where, params = trace_predicate(f)
    op, order = ("<", "DESC") if desc else (">", "ASC")
    if after is not None:
        value, last_id = after
        where += f" AND ({key_sql} {op} ? OR ({key_sql} = ? AND t.trace_id {op} ?))"
        params += [value, value, last_id]
    return con.execute(
        f"SELECT t.trace_id, {key_sql} AS sort_key FROM traces t WHERE {where}"
        f" ORDER BY sort_key {order}, t.trace_id {order} LIMIT ?",
        [*params, limit + 1],
    ).fetchall()


SEARCH_WINDOW_NS = 3600 * 1_000_000_000
"""A text search, newest first, tries the last hour before the whole range."""


def _newest_search_keys(
    con: duckdb.DuckDBPyConnection,
    f: TraceFilter,
    sort: TraceSort,
    limit: int,
    after: tuple[Any, str] | None,
) -> list[tuple[Any, ...]] | None:
    """The page keys of a ``start_desc`` text search found in its newest hour, or None.

    A search scans span text, and it collects every matching trace before the top-N: a
    common word cost 6 s over 10M spans. When the newest hour alone fills the page, every
    trace outside it started earlier and sorts after the page, so the page (and its cursor)
    is the one the whole range would give. Otherwise the caller runs the whole range.
    """
    # Not with an ``end``: the spans subquery has no upper bound (late spans of in-range
    # traces), so a past range's hour would scan up to now and then the range again.
    if f.search is None or sort != "start_desc" or f.end is not None:
        return None
    if after is not None:
        newest = int(after[0])
    else:
        row = con.execute("SELECT max(start_ns) FROM traces").fetchone()
        if row is None or row[0] is None:
            return None
        newest = int(row[0]) + 1
    lo = newest - SEARCH_WINDOW_NS
    if f.start is not None and to_ns(f.start) >= lo:
        return None
    keys = _page_keys(con, f.model_copy(update={"start": from_ns(lo)}), sort, limit, after)
    return keys if len(keys) > limit else None


def list_projects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Distinct projects of the ``traces`` rollup, sorted.

    One row per trace, not per span, and the project column is dictionary-compressed, so
    this reads a sixth of what the spans would (docs/storage.md, "Query semantics").
    """
    rows = con.execute("SELECT DISTINCT project FROM traces ORDER BY project").fetchall()
    return [r[0] for r in rows]


_SPAN_SELECT = ", ".join(SPAN_COLUMNS)


def get_trace(
    con: duckdb.DuckDBPyConnection, trace_id: str, project: str | None
) -> TraceTree | None:
    """The trace's spans depth-first (children by start), roots and orphans at depth 0."""
    where = "trace_id = ?"
    params: list[Any] = [trace_id]
    if project is not None:
        where += " AND project = ?"
        params.append(project)
    head = con.execute(
        f"SELECT project, start_ns, end_ns FROM traces WHERE {where}", params
    ).fetchone()
    if head is None:
        return None
    # The rollup's window bounds every span of the trace, so this is exact; the zonemaps
    # make it a scan of the few row groups that overlap it.
    rows = con.execute(
        f"SELECT {_SPAN_SELECT} FROM spans WHERE {where} AND start_ns BETWEEN ? AND ?",
        [*params, head[1], head[2]],
    ).fetchall()
    spans = [dict(zip(SPAN_COLUMNS, r, strict=True)) for r in rows]
    return TraceTree(
        trace_id=trace_id,
        project=head[0],
        start_time=from_ns(head[1]),
        duration_ms=(head[2] - head[1]) / 1e6,
        spans=_depth_first(spans),
    )


def _depth_first(spans: list[dict[str, Any]]) -> list[SpanDetail]:
    spans.sort(key=lambda s: (s["start_ns"], s["span_id"]))
    ids = {s["span_id"] for s in spans}
    children: dict[str, list[dict[str, Any]]] = {}
    roots: list[dict[str, Any]] = []
    for s in spans:
        parent = s["parent_span_id"]
        if parent is not None and parent in ids and parent != s["span_id"]:
            children.setdefault(parent, []).append(s)
        else:
            roots.append(s)
    out: list[SpanDetail] = []
    seen: set[str] = set()

    def visit(start: dict[str, Any]) -> None:
        stack = [(start, 0)]
        while stack:
            span, depth = stack.pop()
            if span["span_id"] in seen:
                continue
            seen.add(span["span_id"])
            out.append(
                _detail(span, depth, orphan=depth == 0 and span["parent_span_id"] is not None)
            )
            stack.extend((c, depth + 1) for c in reversed(children.get(span["span_id"], [])))

    for root in roots:
        visit(root)
    # Spans caught in a parent cycle are reachable from no root: show them as orphans.
    for s in spans:
        if s["span_id"] not in seen:
            visit(s)
    return out


def _detail(s: dict[str, Any], depth: int, orphan: bool) -> SpanDetail:
    return SpanDetail(
        **{k: v for k, v in s.items() if k not in ("attributes", "events", "links", "resource")},
        start_time=from_ns(s["start_ns"]),
        end_time=from_ns(s["end_ns"]),
        attributes=json.loads(s["attributes"]),
        events=json.loads(s["events"]),
        links=json.loads(s["links"]),
        resource=json.loads(s["resource"]),
        depth=depth,
        orphan=orphan,
    )
