"""The few messages every page may show instead of data: collector down, key refused,
nothing stored yet. One clear sentence and what to do, never a stack trace."""

from __future__ import annotations

import streamlit as st

from .client import ApiError, AuthError, CollectorError, CollectorUnreachable, NotFound
from .data import Connection

FIRST_TRACE_SNIPPET = """\
import chainsight
chainsight.init(project="my-app", endpoint="{url}")
with chainsight.span("hello", kind="chain"): pass"""
"""Three lines that send a first trace to this collector."""

COLLECTOR_DOWN_TITLE = "Cannot reach the collector"
BAD_KEY_TITLE = "The collector refused the API key"


def collector_error(conn: Connection, exc: CollectorError) -> None:
    """Show one clear message for a failed API call."""
    if isinstance(exc, CollectorUnreachable):
        st.error(
            f"**{COLLECTOR_DOWN_TITLE}** at `{conn.url}`.\n\n"
            "Start it with `chainsight serve` (or `chainsight up` for collector and dashboard "
            "together), or point the dashboard elsewhere with `--collector URL` / "
            "`CHAINSIGHT_COLLECTOR_URL`.",
            icon=":material/cloud_off:",
        )
    elif isinstance(exc, AuthError):
        st.error(
            f"**{BAD_KEY_TITLE}** ({exc}).\n\n"
            "Pass a valid project key with `--api-key KEY` or `CHAINSIGHT_API_KEY`; "
            "create one with `chainsight keys create --project NAME`.",
            icon=":material/key_off:",
        )
    elif isinstance(exc, NotFound):
        st.warning(f"Not found: {exc}", icon=":material/search_off:")
    elif isinstance(exc, ApiError):
        st.error(f"The collector answered with an error: {exc.message} ({exc.code}).")
    else:
        st.error(f"The collector could not answer: {exc}")


def empty_state(conn: Connection, what: str = "traces") -> None:
    """Nothing to show yet: say how to send a first trace."""
    st.info(
        f"No {what} in this time range yet. Send a first trace to this collector:",
        icon=":material/rocket_launch:",
    )
    st.code(FIRST_TRACE_SNIPPET.format(url=conn.url), language="python")
    st.caption("Or widen the time range in the sidebar. See docs/sdk.md for the whole SDK.")
