"""Cost & tokens: spend and token volume over time by model, user, service or tag; the
costliest traces and users; and models without a price (their cost is unknown, not 0)."""

from __future__ import annotations

import streamlit as st

from chainsight.dashboard import charts, notices, state, tables
from chainsight.dashboard.data import (
    fetch_metrics,
    fetch_status,
    fetch_traces,
    fetch_unpriced,
    gather,
)
from chainsight.storage.model import GroupBy, MetricQuery

GROUPS: dict[str, GroupBy] = {
    "model": "model",
    "user": "user",
    "service": "service",
    "tag": "tag",
    "provider": "provider",
}
MEASURES = {
    "cost": "Cost",
    "total_tokens": "Tokens",
    "input_tokens": "Input tokens",
    "output_tokens": "Output tokens",
}


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    window = state.current_window()
    st.title("Cost & tokens")
    if fetch_status(conn).spans == 0:
        notices.empty_state(conn)
        return
    c1, c2 = st.columns(2)
    group_label = c1.selectbox("Group by", list(GROUPS), key="cost_group")
    what = c2.selectbox(
        "Measure", list(MEASURES), format_func=MEASURES.__getitem__, key="cost_measure"
    )
    group = GROUPS[group_label]
    flt = state.base_filter(window)
    series, summary, users, costly, unpriced = gather(
        lambda: fetch_metrics(
            conn,
            MetricQuery(
                filter=flt,
                start=window.start,
                end=window.end,
                bucket_seconds=window.bucket_seconds,
                group_by=group,
                kind="llm",
            ),
        ),
        lambda: fetch_metrics(
            conn,
            MetricQuery(filter=flt, start=window.start, end=window.end, group_by=group, kind="llm"),
        ),
        lambda: fetch_metrics(
            conn,
            MetricQuery(
                filter=flt, start=window.start, end=window.end, group_by="user", kind="llm"
            ),
        ),
        lambda: fetch_traces(conn, flt, sort="cost_desc", limit=10),
        lambda: fetch_unpriced(conn),
    )
    total_cost = sum(p.cost or 0.0 for p in summary)
    total_tokens = sum(p.total_tokens for p in summary)
    unpriced_spans = sum(p.unpriced for p in summary)
    cols = st.columns(3)
    cols[0].metric("Cost", tables.fmt_usd(total_cost), border=True)
    cols[1].metric("Tokens", tables.fmt_count(total_tokens), border=True)
    cols[2].metric("Unpriced LLM calls", tables.fmt_count(unpriced_spans), border=True)
    st.plotly_chart(
        charts.stacked_bars(series, what, title=f"{MEASURES[what]} by {group_label}"),
        key="cost_series",
    )
    left, right = st.columns(2)
    left.plotly_chart(
        charts.group_bars(summary, what, title=f"{MEASURES[what]} by {group_label}, whole range"),
        key="cost_groups",
    )
    right.plotly_chart(
        charts.group_bars(users, "cost", title="Cost by user, top 15"), key="cost_users"
    )
    st.subheader("Costliest traces")
    tables.trace_table(costly.items, key="costly_traces")
    st.subheader("Unpriced models")
    if not unpriced:
        st.caption("Every model seen has a price.")
        return
    st.warning(
        "These models have no price, so their cost is unknown (not zero).",
        icon=":material/price_change:",
    )
    st.dataframe(
        [
            {
                "model": u.model,
                "provider": u.provider,
                "spans": u.span_count,
                "first seen": u.first_seen,
                "last seen": u.last_seen,
            }
            for u in unpriced
        ],
        hide_index=True,
        width="stretch",
    )
    st.page_link(
        tables.PAGES_DIR / "settings.py", label="Set a price in Settings", icon=":material/edit:"
    )


if __name__ == "__main__":
    render()
