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
        pattern = like_pattern(f.search)
        sub = [
            f"(s.input ILIKE ? ESCAPE '{LIKE_ESCAPE}' OR s.output ILIKE ? ESCAPE '{LIKE_ESCAPE}')"
        ]
        sub_params: list[Any] = [pattern, pattern]
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
        pattern = like_pattern(f.search)
        add(_text_match(a), pattern, pattern)
    return (" AND ".join(parts) if parts else "TRUE", params)


LIKE_ESCAPE = "\\"
"""The escape character of :func:`like_pattern`'s patterns."""


def like_pattern(text: str) -> str:
    """An ``ILIKE`` pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` literal.

    ``ILIKE`` folds case like ``lower()`` on both sides, without building a lower-cased copy
    of every scanned text: a 24 h search over 10M spans scanned 1.2M input/output pairs in
    ~60 instead of ~95 ms (docs/benchmarks.md, "Queries at 1M and 10M spans").
    """
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_match(alias: str) -> str:
    """Whether span ``alias``'s input or output contains a :func:`like_pattern` (twice bound)."""
    like = f"ILIKE ? ESCAPE '{LIKE_ESCAPE}'"
    return f"({alias}.input {like} OR {alias}.output {like})"


def split_set(encoded: str) -> list[str]:
    """The members of a delimited text set from ``traces`` (schema.sql)."""
    return [m for m in encoded.split(SET_SEP) if m]
