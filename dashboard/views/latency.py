"""Latency: TTFT, TPOT and end-to-end percentiles over time per model (or name/service),
their distributions, and output speed, against the SLO lines (TTFT 5 s and TPOT 200 ms by
default; set them here and they stay in the URL)."""

from __future__ import annotations

import streamlit as st

from chainsight.dashboard import charts, notices, state
from chainsight.dashboard.data import fetch_metrics, fetch_status, fetch_traces
from chainsight.storage.model import GroupBy, MetricPoint, MetricQuery

DEFAULT_TTFT_SLO_MS = 5000.0
DEFAULT_TPOT_SLO_MS = 200.0
GROUPS: dict[str, GroupBy] = {"model": "model", "span name": "name", "service": "service"}
# Histograms are drawn from the latest traces only: bounded, and enough for a shape.
SAMPLE_TRACES = 500
VIEWS = ("Over time", "Percentiles", "Distributions")


def _number(label: str, param: str, default: float) -> float:
    value = state.parse_float(state.param(param)) or default
    chosen = st.number_input(label, min_value=1.0, value=value, step=50.0, key=f"lat_{param}")
    state.set_param(param, f"{chosen:g}", f"{default:g}")
    return float(chosen)


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    window = state.current_window()
    st.title("Latency")
    if fetch_status(conn).spans == 0:
        notices.empty_state(conn)
        return
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        group_label = st.selectbox("Group by", list(GROUPS), key="lat_group")
    with c2:
        stat = st.selectbox("Percentile", list(charts.PERCENTILES), index=2, key="lat_stat")
    with c3:
        ttft_slo = _number("TTFT SLO (ms)", "slo_ttft", DEFAULT_TTFT_SLO_MS)
    with c4:
        tpot_slo = _number("TPOT SLO (ms)", "slo_tpot", DEFAULT_TPOT_SLO_MS)
    group = GROUPS[group_label]
    flt = state.base_filter(window)
    # One section at a time: each plotly chart costs the browser ~0.2 s to draw (measured
    # at 1M spans, docs/benchmarks.md), so nine at once made this the slowest page.
    view_key = "lat_view"
    if view_key not in st.session_state:
        wanted = state.param("view", VIEWS[0])
        st.session_state[view_key] = wanted if wanted in VIEWS else VIEWS[0]
    view = st.segmented_control("Show", VIEWS, key=view_key) or VIEWS[0]
    state.set_param("view", view, VIEWS[0])
    if view == VIEWS[0]:
        series = fetch_metrics(
            conn,
            MetricQuery(
                filter=flt,
                start=window.start,
                end=window.end,
                bucket_seconds=window.bucket_seconds,
                group_by=group,
                kind="llm",
            ),
        )
        if not series:
            st.info("No LLM spans in this range: TTFT and TPOT come from LLM calls.")
        st.caption(
            f"LLM spans in the {window.label}, {window.bucket_seconds} s buckets, "
            f"grouped by {group_label}. Dashed red lines are the SLOs."
        )
        _over_time(series, stat, group_label, ttft_slo, tpot_slo)
    elif view == VIEWS[1]:
        summary = fetch_metrics(
            conn,
            MetricQuery(filter=flt, start=window.start, end=window.end, group_by=group, kind="llm"),
        )
        st.caption(f"Exact percentiles of LLM spans over the {window.label}, by {group_label}.")
        cols = st.columns(3)
        cols[0].plotly_chart(
            charts.percentile_bars(summary, "ttft_ms", title="TTFT", slo=ttft_slo), key="ttft_pct"
        )
        cols[1].plotly_chart(
            charts.percentile_bars(summary, "tpot_ms", title="TPOT", slo=tpot_slo), key="tpot_pct"
        )
        cols[2].plotly_chart(
            charts.percentile_bars(summary, "latency_ms", title="Latency"), key="lat_pct"
        )
    else:
        sample = fetch_traces(conn, flt, limit=SAMPLE_TRACES).items
        st.caption(f"The latest {len(sample)} traces in the range.")
        left, right = st.columns(2)
        left.plotly_chart(
            charts.histogram([t.duration_ms for t in sample], title="End-to-end trace duration"),
            key="dur_hist",
        )
        ttfts = [t.ttft_ms for t in sample if t.ttft_ms is not None]
        right.plotly_chart(
            charts.histogram(ttfts, title="TTFT (first streaming LLM call)", slo=ttft_slo),
            key="ttft_hist",
        )


def _over_time(
    series: list[MetricPoint], stat: str, group_label: str, ttft_slo: float, tpot_slo: float
) -> None:
    left, right = st.columns(2)
    left.plotly_chart(
        charts.timeseries(
            series,
            f"ttft_ms.{stat}",
            title=f"{stat} TTFT by {group_label}",
            slo=ttft_slo,
            slo_label="TTFT SLO",
        ),
        key="ttft_series",
    )
    right.plotly_chart(
        charts.timeseries(
            series,
            f"tpot_ms.{stat}",
            title=f"{stat} TPOT by {group_label}",
            slo=tpot_slo,
            slo_label="TPOT SLO",
        ),
        key="tpot_series",
    )
    left, right = st.columns(2)
    left.plotly_chart(
        charts.timeseries(series, f"latency_ms.{stat}", title=f"{stat} latency by {group_label}"),
        key="lat_series",
    )
    right.plotly_chart(
        charts.timeseries(series, "tokens_per_s", title=f"Output speed by {group_label}"),
        key="tps_series",
    )


if __name__ == "__main__":
    render()
