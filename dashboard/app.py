"""The dashboard's entry script (``streamlit run``): navigation, the global time range,
project and auto-refresh in the sidebar, and one place that turns a failed API call into
one clear message.

Run it with ``chainsight dashboard`` (which sets the collector address and key in the
environment) or directly: ``streamlit run dashboard/app.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import streamlit as st

from chainsight.dashboard import notices, state
from chainsight.dashboard.client import CollectorError
from chainsight.dashboard.data import Connection, fetch_projects

PAGES_DIR = Path(__file__).resolve().parent / "views"
ALL_PROJECTS = "(all projects)"
REFRESH_CHOICES: dict[str, int | None] = {"off": None, "10s": 10, "30s": 30, "1m": 60, "5m": 300}


def _pages() -> dict[str, list[st.Page]]:
    """The navigation, in sections."""

    def page(file: str, title: str, icon: str, default: bool = False) -> st.Page:
        return st.Page(
            PAGES_DIR / file,
            title=title,
            icon=icon,
            url_path=file.removesuffix(".py").replace("_", "-"),
            default=default,
        )

    return {
        "Monitor": [
            page("overview.py", "Overview", ":material/dashboard:", default=True),
            page("traces.py", "Traces", ":material/list:"),
            page("trace_detail.py", "Trace", ":material/account_tree:"),
            page("sessions.py", "Sessions", ":material/forum:"),
        ],
        "Analyze": [
            page("latency.py", "Latency", ":material/timer:"),
            page("cost.py", "Cost & tokens", ":material/payments:"),
            page("drift.py", "Drift", ":material/trending_up:"),
        ],
        "Operate": [
            page("alerts.py", "Alerts", ":material/notifications:"),
            page("settings.py", "Settings", ":material/settings:"),
        ],
    }


def _bind(widget_key: str, param: str, default: str) -> None:
    """Seed a widget from the URL the first time it is drawn (the URL wins on load)."""
    if widget_key not in st.session_state:
        st.session_state[widget_key] = state.param(param, default)


def _time_range() -> None:
    presets = [*state.PRESETS, state.CUSTOM]
    _bind("w_range", "range", state.DEFAULT_RANGE)
    if st.session_state["w_range"] not in presets:
        st.session_state["w_range"] = state.DEFAULT_RANGE
    choice = st.sidebar.selectbox(
        "Time range",
        presets,
        key="w_range",
        format_func=lambda k: "Custom dates…" if k == state.CUSTOM else f"Last {k}",
    )
    state.set_param("range", choice, state.DEFAULT_RANGE)
    if choice != state.CUSTOM:
        state.set_param("from", None)
        state.set_param("to", None)
        return
    today = datetime.now(UTC).date()
    if "w_days" not in st.session_state:
        start = state.parse_day(state.param("from")) or today - timedelta(days=6)
        end = state.parse_day(state.param("to")) or today
        st.session_state["w_days"] = (start, end)
    days = st.sidebar.date_input("Dates (UTC, inclusive)", key="w_days", max_value=today)
    if isinstance(days, tuple) and len(days) == 2:
        start_day, end_day = days
        if isinstance(start_day, date) and isinstance(end_day, date):
            state.set_param("from", start_day.isoformat())
            state.set_param("to", end_day.isoformat())


def _project(conn: Connection) -> None:
    projects = fetch_projects(conn)
    current = state.param("project")
    options = [ALL_PROJECTS, *sorted({*projects, *([current] if current else [])})]
    _bind("w_project", "project", ALL_PROJECTS)
    if st.session_state["w_project"] not in options:
        st.session_state["w_project"] = ALL_PROJECTS
    if len(options) > 2 or current:
        chosen = st.sidebar.selectbox("Project", options, key="w_project")
        state.set_param("project", None if chosen == ALL_PROJECTS else chosen)


def _auto_refresh() -> None:
    _bind("w_refresh", "refresh", "off")
    if st.session_state["w_refresh"] not in REFRESH_CHOICES:
        st.session_state["w_refresh"] = "off"
    choice = st.sidebar.selectbox("Auto-refresh", list(REFRESH_CHOICES), key="w_refresh")
    state.set_param("refresh", choice, "off")
    seconds = REFRESH_CHOICES[choice]
    if seconds is None:
        return
    # A full run disarms the ticker; the fragment's own timed run then reruns the app.
    st.session_state["_tick_armed"] = False

    @st.fragment(run_every=seconds)
    def ticker() -> None:
        if st.session_state.get("_tick_armed"):
            st.rerun(scope="app")
        st.session_state["_tick_armed"] = True

    with st.sidebar:
        ticker()


def main() -> None:
    """Draw the frame and run the selected page."""
    st.set_page_config(page_title="Chainsight", page_icon=":material/monitoring:", layout="wide")
    state.restore_globals()
    page = st.navigation(_pages())
    if page.url_path == "" and state.param("trace"):
        # A shared ``/?trace=<id>`` link opens the trace view (with every other parameter).
        st.switch_page(PAGES_DIR / "trace_detail.py", query_params=st.query_params.to_dict())
    conn = state.connection()
    _time_range()
    _auto_refresh()
    st.sidebar.caption(f"Collector: `{conn.url}`")
    try:
        _project(conn)
        page.run()
    except CollectorError as exc:
        notices.collector_error(conn, exc)


if __name__ == "__main__":
    main()
