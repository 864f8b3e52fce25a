"""``TraceFilter`` to SQL predicates, always with ``?`` parameters, never spliced values.

Two shapes: over ``traces`` (the list, sessions, users: "any span matches" through the
rollup's text sets) and over ``spans`` (metrics, re-pricing: the span itself matches).
"""

from __future__ import annotations

from typing import Any

from ..model import TraceFilter
from .timestamps import to_ns
from .writes import SET_SEP

Predicate = tuple[str, list[Any]]
"""SQL boolean expression and its parameters, in order."""


def _member(value: str) -> str:
    return f"{SET_SEP}{value}{SET_SEP}"


def trace_predicate(f: TraceFilter, alias: str = "t") -> Predicate:
    """Predicate on the ``traces`` row ``alias``; ``TRUE`` when the filter is empty."""
    a = alias
    parts: list[str] = []
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        parts.append(sql)
        params.extend(values)

    if f.project is not None:
        add(f"{a}.project = ?", f.project)
    if f.start is not None:
        add(f"{a}.start_ns >= ?", to_ns(f.start))
    if f.end is not None:
        add(f"{a}.start_ns < ?", to_ns(f.end))
    if f.status is not None:
        add(f"{a}.status = ?", f.status)
    for value, column in (
        (f.model, "models"),
        (f.name, "names"),
        (f.kind, "kinds"),
        (f.service, "services"),
        (f.tag, "tags"),
    ):
        if value is not None:
            add(f"contains({a}.{column}, ?)", _member(value))
    if f.user_id is not None:
        add(f"{a}.user_id = ?", f.user_id)
    if f.session_id is not None:
        add(f"{a}.session_id = ?", f.session_id)
    if f.min_latency_ms is not None:
        add(f"{a}.duration_ms >= ?", f.min_latency_ms)
    if f.max_latency_ms is not None:
        add(f"{a}.duration_ms <= ?", f.max_latency_ms)
    if f.min_cost is not None:
        add(f"{a}.cost >= ?", f.min_cost)
    if f.search is not None:
        # Spans of a trace start at or after the trace's start, and no later than its end:
        # the bounds prune the spans scan by zonemap. The upper bound is the latest end of
        # the traces in the window (exact: late spans of an in-window trace are inside it),
        # which DuckDB evaluates once; a bound of the window's end would miss those spans.
        match, sub_params = text_match("s", f.search)
        sub = [match]
        if f.start is not None:
            sub.append("s.start_ns >= ?")
            sub_params.append(to_ns(f.start))
        if f.end is not None:
            window = ["w.start_ns < ?"]
            window_params: list[Any] = [to_ns(f.end)]
            if f.start is not None:
                window.append("w.start_ns >= ?")
                window_params.append(to_ns(f.start))
            sub.append(
                f"s.start_ns <= (SELECT max(w.end_ns) FROM traces w WHERE {' AND '.join(window)})"
            )
            sub_params += window_params
        if f.project is not None:
            sub.append("s.project = ?")
            sub_params.append(f.project)
        add(
            f"{a}.trace_id IN (SELECT s.trace_id FROM spans s WHERE {' AND '.join(sub)})",
            *sub_params,
        )
    return (" AND ".join(parts) if parts else "TRUE", params)


def span_predicate(f: TraceFilter, alias: str = "s") -> Predicate:
    """Predicate on the ``spans`` row ``alias``: each filter field applies to the span."""
    a = alias
    parts: list[str] = []
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        parts.append(sql)
        params.extend(values)

    if f.project is not None:
        add(f"{a}.project = ?", f.project)
    if f.start is not None:
        add(f"{a}.start_ns >= ?", to_ns(f.start))
    if f.end is not None:
        add(f"{a}.start_ns < ?", to_ns(f.end))
    for value, column in (
        (f.status, "status"),
        (f.model, "model"),
        (f.name, "name"),
        (f.kind, "kind"),
        (f.service, "service"),
        (f.user_id, "user_id"),
        (f.session_id, "session_id"),
    ):
        if value is not None:
            add(f"{a}.{column} = ?", value)
    if f.tag is not None:
        add(f"list_contains({a}.tags, ?)", f.tag)
    if f.min_latency_ms is not None:
        add(f"{a}.duration_ms >= ?", f.min_latency_ms)
    if f.max_latency_ms is not None:
        add(f"{a}.duration_ms <= ?", f.max_latency_ms)
    if f.min_cost is not None:
        add(f"{a}.cost >= ?", f.min_cost)
    if f.search is not None:
        match, values = text_match(a, f.search)
        add(match, *values)
    return (" AND ".join(parts) if parts else "TRUE", params)


LIKE_SPECIAL = frozenset("%_\\")
"""Characters ``ILIKE`` would not take literally."""


def text_match(alias: str, search: str) -> tuple[str, list[Any]]:
    """Whether span ``alias``'s input or output contains ``search``, case folded.

    ``ILIKE '%word%'`` folds case on both sides without building a lower-cased copy of every
    scanned text: over the 1.2M spans of a day at 10M spans, 79-151 ms against 116-118 ms
    for ``contains(lower(...))``. With an ``ESCAPE`` clause DuckDB no longer takes that path
    (237-258 ms), so a search holding ``%``, ``_`` or ``\\`` uses ``contains(lower(...))``,
    where every character is literal (docs/benchmarks.md, "Queries at 1M and 10M spans").
    """
    if LIKE_SPECIAL.isdisjoint(search):
        pattern = f"%{search}%"
        return f"({alias}.input ILIKE ? OR {alias}.output ILIKE ?)", [pattern, pattern]
    return (
        f"(contains(lower({alias}.input), lower(?)) OR contains(lower({alias}.output), lower(?)))",
        [search, search],
    )


def split_set(encoded: str) -> list[str]:
    """The members of a delimited text set from ``traces`` (schema.sql)."""
    return [m for m in encoded.split(SET_SEP) if m]
