"""Cached reads from the collector, one ``fetch_*`` per API call.

Pages call these, never the client directly, so a rerun (every widget change) costs a
dictionary lookup instead of an HTTP round trip. Cache keys are plain values only: the
connection as two strings and filters/queries as their canonical JSON, because
``st.cache_data`` hashes arguments and pydantic models hash poorly. TTLs are short
(seconds) so the dashboard stays live; writes clear the caches they invalidate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from chainsight.storage.model import (
    ApiKeyInfo,
    MetricPoint,
    MetricQuery,
    PriceEntry,
    SessionSummary,
    TraceFilter,
    TracePage,
    TraceSort,
    TraceTree,
    UnpricedModel,
    UserSummary,
)

from .client import CollectorClient, CollectorStatus, NewKey

LIVE_TTL_S = 10
"""Lists and metrics: new spans show up within one auto-refresh period."""
TRACE_TTL_S = 60
"""A trace tree changes only while late spans arrive, so it may be cached longer."""
PROJECTS_TTL_S = 60
"""The project list is asked on every page but changes rarely (0.5 s at 1M spans)."""


class Connection(NamedTuple):
    """Where the collector is and the key to use (both plain strings: hashable cache keys)."""

    url: str
    api_key: str | None


def _client(conn: Connection) -> CollectorClient:
    return CollectorClient(conn.url, conn.api_key)


def gather(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent fetches concurrently; results in call order, first error raised.

    A page's API calls are independent and each waits on the collector (0.3 s for a metric
    series at 1M spans), so running them side by side makes a page cost its slowest call
    rather than their sum. Each worker gets the script-run context so caching works.
    """
    ctx = get_script_run_ctx()

    def run(call: Callable[[], Any]) -> Any:
        if ctx is not None:
            add_script_run_ctx(threading.current_thread(), ctx)
        return call()

    with ThreadPoolExecutor(max_workers=max(1, len(calls))) as pool:
        return list(pool.map(run, calls))


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _status(url: str, key: str | None) -> CollectorStatus:
    with CollectorClient(url, key) as client:
        return client.status()


def fetch_status(conn: Connection) -> CollectorStatus:
    """Auth mode, version and stored span count."""
    return _status(conn.url, conn.api_key)


@st.cache_data(ttl=PROJECTS_TTL_S, show_spinner=False)
def _projects(url: str, key: str | None) -> list[str]:
    with CollectorClient(url, key) as client:
        return client.projects()


def fetch_projects(conn: Connection) -> list[str]:
    """Projects visible to the key."""
    return _projects(conn.url, conn.api_key)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _traces(  # noqa: PLR0917 - st.cache_data keys on positional plain values
    url: str, key: str | None, flt: str, sort: TraceSort, limit: int, cursor: str | None
) -> TracePage:
    with CollectorClient(url, key) as client:
        return client.traces(
            TraceFilter.model_validate_json(flt), sort=sort, limit=limit, cursor=cursor
        )


def fetch_traces(
    conn: Connection,
    flt: TraceFilter,
    *,
    sort: TraceSort = "start_desc",
    limit: int = 50,
    cursor: str | None = None,
) -> TracePage:
    """One page of trace summaries (the server paginates; never more than ``limit`` rows)."""
    return _traces(conn.url, conn.api_key, flt.model_dump_json(), sort, limit, cursor)


@st.cache_data(ttl=TRACE_TTL_S, show_spinner=False)
def _trace(url: str, key: str | None, trace_id: str) -> TraceTree:
    with CollectorClient(url, key) as client:
        return client.trace(trace_id)


def fetch_trace(conn: Connection, trace_id: str) -> TraceTree:
    """One trace tree; raises NotFound for an unknown id."""
    return _trace(conn.url, conn.api_key, trace_id)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _sessions(url: str, key: str | None, flt: str, limit: int, offset: int) -> list[SessionSummary]:
    with CollectorClient(url, key) as client:
        return client.sessions(TraceFilter.model_validate_json(flt), limit=limit, offset=offset)


def fetch_sessions(
    conn: Connection, flt: TraceFilter, *, limit: int = 50, offset: int = 0
) -> list[SessionSummary]:
    """Sessions in the window, most recent first."""
    return _sessions(conn.url, conn.api_key, flt.model_dump_json(), limit, offset)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _session(url: str, key: str | None, session_id: str) -> TracePage:
    with CollectorClient(url, key) as client:
        return client.session(session_id)


def fetch_session(conn: Connection, session_id: str) -> TracePage:
    """The traces of one session, in start order."""
    return _session(conn.url, conn.api_key, session_id)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _users(url: str, key: str | None, flt: str, limit: int, offset: int) -> list[UserSummary]:
    with CollectorClient(url, key) as client:
        return client.users(TraceFilter.model_validate_json(flt), limit=limit, offset=offset)


def fetch_users(
    conn: Connection, flt: TraceFilter, *, limit: int = 50, offset: int = 0
) -> list[UserSummary]:
    """End-users active in the window."""
    return _users(conn.url, conn.api_key, flt.model_dump_json(), limit, offset)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _metrics(url: str, key: str | None, query: str) -> list[MetricPoint]:
    with CollectorClient(url, key) as client:
        return client.metrics(MetricQuery.model_validate_json(query))


def fetch_metrics(conn: Connection, query: MetricQuery) -> list[MetricPoint]:
    """Server-side aggregates (exact percentiles) per bucket and group."""
    return _metrics(conn.url, conn.api_key, query.model_dump_json())


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _pricing(url: str, key: str | None) -> list[PriceEntry]:
    with CollectorClient(url, key) as client:
        return client.pricing()


def fetch_pricing(conn: Connection) -> list[PriceEntry]:
    """The pricing table."""
    return _pricing(conn.url, conn.api_key)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _unpriced(url: str, key: str | None) -> list[UnpricedModel]:
    with CollectorClient(url, key) as client:
        return client.unpriced()


def fetch_unpriced(conn: Connection) -> list[UnpricedModel]:
    """Models seen without a price."""
    return _unpriced(conn.url, conn.api_key)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _keys(url: str, key: str | None) -> list[ApiKeyInfo]:
    with CollectorClient(url, key) as client:
        return client.keys()


def fetch_keys(conn: Connection) -> list[ApiKeyInfo]:
    """API keys, masked."""
    return _keys(conn.url, conn.api_key)


# -- writes: never cached; each clears what it changes -------------------------------------


def _clear_costs() -> None:
    for cached in (_pricing, _unpriced, _metrics, _traces, _trace, _sessions, _users):
        cached.clear()


def save_price(conn: Connection, entry: PriceEntry, *, reprice: bool = True) -> PriceEntry:
    """Store a pricing row and (by default) recompute stored costs with it."""
    with _client(conn) as client:
        saved = client.put_price(entry)
        if reprice:
            client.reprice()
    _clear_costs()
    return saved


def delete_price(conn: Connection, price_id: str) -> None:
    """Remove a pricing row."""
    with _client(conn) as client:
        client.delete_price(price_id)
    _clear_costs()


def create_key(conn: Connection, project: str, name: str | None) -> NewKey:
    """Create an API key; the secret is returned once."""
    with _client(conn) as client:
        created = client.create_key(project, name)
    _keys.clear()
    return created


def revoke_key(conn: Connection, key_id: str) -> None:
    """Revoke an API key."""
    with _client(conn) as client:
        client.revoke_key(key_id)
    _keys.clear()
