"""Trace tables and the number formats every page shares (units always shown).

A row click opens the trace: the table reruns with the selection and the page switches to
the trace view with ``?trace=<id>``, which is also the shareable deep link.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from chainsight.storage.model import TraceSummary

PAGES_DIR = Path(__file__).resolve().parent / "views"
TRACE_PAGE = PAGES_DIR / "trace_detail.py"
STATUS_MARK = {"error": "✖ error", "ok": "✔ ok", "unset": "· unset"}


def fmt_ms(value: float | None) -> str:
    """Milliseconds, switching to seconds above 10 s."""
    if value is None:
        return "—"
    return f"{value / 1000:,.2f} s" if value >= 10_000 else f"{value:,.0f} ms"


def fmt_usd(value: float | None) -> str:
    """US dollars with enough digits for per-call cents."""
    if value is None:
        return "—"
    return f"${value:,.2f}" if value >= 1 else f"${value:,.4f}"


def fmt_count(value: float | None) -> str:
    """An integer count with thousands separators."""
    return "—" if value is None else f"{value:,.0f}"


def fmt_percent(value: float | None) -> str:
    """A percentage (the value is already in percent)."""
    return "—" if value is None else f"{value:.1f}%"


def trace_rows(items: Sequence[TraceSummary]) -> list[dict[str, object]]:
    """Table rows for trace summaries: the columns of the Traces page."""
    return [
        {
            "time": t.start_time,
            "name": t.name,
            "status": STATUS_MARK.get(t.status, t.status),
            "duration_ms": t.duration_ms,
            "ttft_ms": t.ttft_ms,
            "tokens": t.total_tokens,
            "cost": t.cost,
            "model": ", ".join(t.models),
            "user": t.user_id,
            "session": t.session_id,
            "spans": t.span_count,
            "trace_id": t.trace_id,
        }
        for t in items
    ]


COLUMNS = {
    "time": st.column_config.DatetimeColumn("time (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "name": st.column_config.TextColumn("root name"),
    "duration_ms": st.column_config.NumberColumn("duration", format="%.0f ms"),
    "ttft_ms": st.column_config.NumberColumn("TTFT", format="%.0f ms"),
    "tokens": st.column_config.NumberColumn("tokens", format="%d"),
    "cost": st.column_config.NumberColumn("cost", format="$%.4f"),
    "trace_id": st.column_config.TextColumn("trace id"),
}


def open_trace(trace_id: str) -> None:
    """Go to the trace view for ``trace_id`` (the URL becomes the deep link)."""
    st.switch_page(TRACE_PAGE, query_params={"trace": trace_id})


def trace_table(items: Sequence[TraceSummary], *, key: str, compact: bool = False) -> None:
    """A trace table; selecting a row opens that trace."""
    if not items:
        st.caption("No traces match.")
        return
    rows = trace_rows(items)
    order = (
        ["time", "name", "status", "duration_ms", "cost", "model"]
        if compact
        else [
            "time",
            "name",
            "status",
            "duration_ms",
            "ttft_ms",
            "tokens",
            "cost",
            "model",
            "user",
            "session",
            "spans",
            "trace_id",
        ]
    )
    event = st.dataframe(
        rows,
        key=key,
        column_order=order,
        column_config=COLUMNS,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        width="stretch",
    )
    selected = event.selection.rows if event is not None else []
    if selected:
        open_trace(items[selected[0]].trace_id)
