"""Overview: the morning glance — volume, errors, latency, TTFT/TPOT, tokens and cost for
the chosen range, each against the previous period, plus the slowest and costliest traces."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from chainsight.dashboard import alert_client, charts, notices, state, tables
from chainsight.dashboard.data import fetch_metrics, fetch_status, fetch_traces, gather
from chainsight.storage.model import MetricPoint, MetricQuery

# (label, measure, formatter, higher-is-worse)
TILES: list[tuple[str, str, Callable[[float | None], str], bool]] = [
    ("Requests", "requests", tables.fmt_count, False),
    ("Error rate", "error_rate", tables.fmt_percent, True),
    ("p50 latency", "latency_ms.p50", tables.fmt_ms, True),
    ("p95 latency", "latency_ms.p95", tables.fmt_ms, True),
    ("p95 TTFT", "ttft_ms.p95", tables.fmt_ms, True),
    ("p95 TPOT", "tpot_ms.p95", tables.fmt_ms, True),
    ("Tokens", "total_tokens", tables.fmt_count, False),
    ("Cost", "cost", tables.fmt_usd, True),
]


def _summary(points: list[MetricPoint]) -> MetricPoint | None:
    return next((p for p in points if p.bucket_start is None), None)


def _delta(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    if before == 0:
        return None if now == 0 else "new"
    return f"{(now - before) / before * 100:+.0f}%"


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    window = state.current_window()
    st.title("Overview")
    if fetch_status(conn).spans == 0:
        notices.empty_state(conn)
        return
    flt = state.base_filter(window)
    prev_window = window.previous

    def queries(kind: str | None) -> list[Callable[[], object]]:
        return [
            lambda: fetch_metrics(
                conn, MetricQuery(filter=flt, start=window.start, end=window.end, kind=kind)
            ),
            lambda: fetch_metrics(
                conn,
                MetricQuery(
                    filter=state.base_filter(prev_window),
                    start=prev_window.start,
                    end=prev_window.end,
                    kind=kind,
                ),
            ),
            lambda: fetch_metrics(
                conn,
                MetricQuery(
                    filter=flt,
                    start=window.start,
                    end=window.end,
                    bucket_seconds=window.bucket_seconds,
                    kind=kind,
                ),
            ),
        ]

    kind: str | None = "llm"
    current, previous, series, slowest, costliest = gather(
        *queries(kind),
        lambda: fetch_traces(conn, flt, sort="duration_desc", limit=5),
        lambda: fetch_traces(conn, flt, sort="cost_desc", limit=5),
    )
    now = _summary(current)
    if now is None or now.requests == 0:
        kind = None  # no LLM spans: summarise every span instead
        current, previous, series = gather(*queries(kind))
        now = _summary(current)
    if now is None or now.requests == 0:
        notices.empty_state(conn)
        return
    prev = _summary(previous)
    scope = "LLM calls" if kind == "llm" else "Spans"
    st.caption(f"{scope} in the {window.label}; trends against the {prev_window.label}.")
    for row in (TILES[:4], TILES[4:]):
        for col, (label, name, fmt, worse_up) in zip(st.columns(len(row)), row, strict=True):
            value = charts.measure(now, name)
            before = charts.measure(prev, name) if prev is not None else None
            col.metric(
                label if name != "requests" else ("LLM calls" if kind == "llm" else "Spans"),
                fmt(value),
                delta=_delta(value, before),
                delta_color="inverse" if worse_up else "normal",
                chart_data=charts.sparkline_values(series, name),
                chart_type="line",
                border=True,
            )
    with st.container(border=True):
        st.markdown("**:material/notifications: Firing alerts**")
        firing = alert_client.fetch_firing(conn)
        if not firing:
            st.caption("Nothing firing.")
        for alert in firing:
            labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
            shown = "no data" if alert.value is None else f"{alert.value:.4g}"
            st.markdown(f":red[:material/error:] **{alert.rule}** {labels} — value {shown}")
    left, right = st.columns(2)
    for col, title, page, key in (
        (left, "Slowest traces", slowest, "overview_slowest"),
        (right, "Costliest traces", costliest, "overview_costliest"),
    ):
        with col:
            st.subheader(title)
            tables.trace_table(page.items, key=key, compact=True)


if __name__ == "__main__":
    render()
