"""Contract: list_sessions and list_users group the trace rollup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chainsight.storage.errors import InvalidQuery
from chainsight.storage.model import TraceFilter
from chainsight.storage.store import Store

BASE = datetime(2025, 6, 1, tzinfo=UTC)


def test_sessions_group_traces_most_recent_first(loaded: Store) -> None:
    """Each session lists its traces' count, errors, tokens, cost and time span."""
    sessions = loaded.list_sessions(TraceFilter())
    assert [(s.session_id, s.project) for s in sessions] == [("s2", "beta"), ("s1", "alpha")]
    s1 = sessions[1]
    assert (s1.trace_count, s1.error_count, s1.total_tokens) == (2, 1, 350)
    assert s1.cost == 0.01
    assert (s1.first_start, s1.last_end) == (BASE, BASE + timedelta(seconds=62))
    assert s1.user_id == "u1"


def test_sessions_honour_filters(loaded: Store) -> None:
    """Trace filters apply before grouping."""
    assert [s.session_id for s in loaded.list_sessions(TraceFilter(project="alpha"))] == ["s1"]


def test_users_count_traces_and_sessions(loaded: Store) -> None:
    """Users are listed most recently seen first with trace and session counts."""
    users = loaded.list_users(TraceFilter())
    assert [(u.user_id, u.project) for u in users] == [
        ("u3", "alpha"),
        ("u1", "beta"),
        ("u2", "alpha"),
        ("u1", "alpha"),
    ]
    u3 = users[0]
    assert (u3.trace_count, u3.session_count, u3.total_tokens, u3.cost) == (1, 0, 5000, 0.05)


def test_users_offset_pages(loaded: Store) -> None:
    """limit and offset page through users."""
    page = loaded.list_users(TraceFilter(), limit=2, offset=2)
    assert [u.user_id for u in page] == ["u2", "u1"]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (10, -1)])
def test_bad_page_is_invalid_query(loaded: Store, limit: int, offset: int) -> None:
    """Out-of-range limit or offset raises InvalidQuery."""
    with pytest.raises(InvalidQuery):
        loaded.list_sessions(TraceFilter(), limit=limit, offset=offset)
