"""Sessions and users: the ``traces`` rollup grouped by session id or user id."""

from __future__ import annotations

import duckdb

from ..errors import InvalidQuery
from ..model import SessionSummary, TraceFilter, UserSummary
from .filters import trace_predicate
from .timestamps import from_ns

MAX_LIMIT = 1000


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be within 1..{MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise InvalidQuery(f"offset must be >= 0, got {offset}")


def list_sessions(
    con: duckdb.DuckDBPyConnection, f: TraceFilter, limit: int, offset: int
) -> list[SessionSummary]:
    """Sessions of the traces matching ``f``, most recently active first."""
    _check_page(limit, offset)
    where, params = trace_predicate(f)
    rows = con.execute(
        f"""
        SELECT t.session_id, t.project, arg_min(t.user_id, t.start_ns), min(t.start_ns),
               max(t.end_ns), count(*), count(*) FILTER (WHERE t.status = 'error'),
               sum(t.total_tokens), sum(t.cost)
        FROM traces t WHERE t.session_id IS NOT NULL AND {where}
        GROUP BY t.project, t.session_id
        ORDER BY max(t.end_ns) DESC, t.session_id, t.project
        LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    ).fetchall()
    return [
        SessionSummary(
            session_id=r[0],
            project=r[1],
            user_id=r[2],
            first_start=from_ns(r[3]),
            last_end=from_ns(r[4]),
            trace_count=r[5],
            error_count=r[6],
            total_tokens=r[7],
            cost=r[8],
        )
        for r in rows
    ]


def list_users(
    con: duckdb.DuckDBPyConnection, f: TraceFilter, limit: int, offset: int
) -> list[UserSummary]:
    """Users of the traces matching ``f``, most recently seen first."""
    _check_page(limit, offset)
    where, params = trace_predicate(f)
    # The page's users first, then their aggregates: count(DISTINCT session_id) over every
    # user's traces was three quarters of the query (35 -> 18 ms CPU at 1M spans).
    rows = con.execute(
        f"""
        WITH page AS (
            SELECT t.project, t.user_id FROM traces t
            WHERE t.user_id IS NOT NULL AND {where}
            GROUP BY t.project, t.user_id
            ORDER BY max(t.end_ns) DESC, t.user_id, t.project
            LIMIT ? OFFSET ?
        )
        SELECT t.user_id, t.project, min(t.start_ns), max(t.end_ns), count(*),
               count(DISTINCT t.session_id), count(*) FILTER (WHERE t.status = 'error'),
               sum(t.total_tokens), sum(t.cost)
        FROM traces t SEMI JOIN page ON t.project = page.project AND t.user_id = page.user_id
        WHERE t.user_id IS NOT NULL AND {where}
        GROUP BY t.project, t.user_id
        ORDER BY max(t.end_ns) DESC, t.user_id, t.project
        """,
        [*params, limit, offset, *params],
    ).fetchall()
    return [
        UserSummary(
            user_id=r[0],
            project=r[1],
            first_seen=from_ns(r[2]),
            last_seen=from_ns(r[3]),
            trace_count=r[4],
            session_count=r[5],
            error_count=r[6],
            total_tokens=r[7],
            cost=r[8],
        )
        for r in rows
    ]
