"""The view state every page shares: the collector connection, the time window and the
filters, all kept in the URL (``st.query_params``) so a view can be shared by copying it.

Streamlit drops query parameters when the user switches pages, so the global ones
(range, project, refresh) are mirrored in session state and written back on every run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from chainsight.storage.model import TraceFilter

from .client import API_KEY_ENV, COLLECTOR_URL_ENV, DEFAULT_COLLECTOR_URL
from .data import Connection

PRESETS: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_RANGE = "24h"
CUSTOM = "custom"
GLOBAL_PARAMS = ("range", "from", "to", "project", "refresh")
"""Query parameters that follow the user from page to page."""

# Round the window's end up to this step so reruns within it share cache entries.
_END_STEP_S = 10
# Aim for about this many buckets in a time series: readable lines, cheap queries.
_TARGET_BUCKETS = 60
_NICE_BUCKETS_S = (10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)


def connection() -> Connection:
    """The collector address and key, read from the environment at run time."""
    url = os.environ.get(COLLECTOR_URL_ENV) or DEFAULT_COLLECTOR_URL
    key = os.environ.get(API_KEY_ENV) or None
    return Connection(url.rstrip("/"), key)


@dataclass(frozen=True)
class TimeWindow:
    """The chosen range ``[start, end)`` and its label."""

    start: datetime
    end: datetime
    label: str

    @property
    def previous(self) -> TimeWindow:
        """The period of equal length just before, for trends."""
        length = self.end - self.start
        return TimeWindow(self.start - length, self.start, f"previous {self.label}")

    @property
    def bucket_seconds(self) -> int:
        """A round bucket width giving about 60 points over the window."""
        seconds = (self.end - self.start).total_seconds() / _TARGET_BUCKETS
        for nice in _NICE_BUCKETS_S:
            if nice >= seconds:
                return nice
        return _NICE_BUCKETS_S[-1]


def window_for(
    range_key: str, now: datetime, start_day: date | None = None, end_day: date | None = None
) -> TimeWindow:
    """The window a preset (or custom days, whole UTC days inclusive) means at ``now``."""
    if range_key == CUSTOM and start_day is not None and end_day is not None:
        start = datetime.combine(start_day, time(0), tzinfo=UTC)
        end = datetime.combine(end_day, time(0), tzinfo=UTC) + timedelta(days=1)
        return TimeWindow(start, end, f"{start_day.isoformat()} → {end_day.isoformat()}")
    span = PRESETS.get(range_key, PRESETS[DEFAULT_RANGE])
    epoch = int(now.timestamp())
    end = datetime.fromtimestamp(epoch - epoch % _END_STEP_S + _END_STEP_S, tz=UTC)
    label = range_key if range_key in PRESETS else DEFAULT_RANGE
    return TimeWindow(end - span, end, f"last {label}")


def param(name: str, default: str = "") -> str:
    """A query parameter's value, or ``default``."""
    value = st.query_params.get(name)
    return value if value else default


def set_param(name: str, value: str | None, default: str = "") -> None:
    """Write a query parameter, removing it when it holds the default (short URLs)."""
    if value is None or value in (default, ""):
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value
    if name in GLOBAL_PARAMS:
        st.session_state[f"_global_{name}"] = value


def restore_globals() -> None:
    """Carry the global parameters across page switches (Streamlit clears the URL)."""
    for name in GLOBAL_PARAMS:
        stored = st.session_state.get(f"_global_{name}")
        if name in st.query_params:
            st.session_state[f"_global_{name}"] = st.query_params[name]
        elif stored:
            st.query_params[name] = stored


def parse_day(text: str) -> date | None:
    """An ISO date from the URL, or None when absent or malformed."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_float(text: str) -> float | None:
    """A number from the URL, or None when absent or malformed."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def current_window() -> TimeWindow:
    """The window described by the URL right now."""
    return window_for(
        param("range", DEFAULT_RANGE),
        datetime.now(UTC),
        parse_day(param("from")),
        parse_day(param("to")),
    )


def current_project() -> str | None:
    """The project chosen in the sidebar (None: all the key can see)."""
    return param("project") or None


def base_filter(window: TimeWindow | None = None) -> TraceFilter:
    """The filter every page starts from: the project and the time window."""
    window = window or current_window()
    return TraceFilter(project=current_project(), start=window.start, end=window.end)
