"""Drift: has what users send, or what the model answers, changed? The current window (the
sidebar's range) against a baseline — the period just before, a saved reference period or
custom dates — feature by feature, with the distributions, the moved terms, the score over
time, and a button that turns a feature into an alert rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from chainsight.dashboard import alert_client, drift_charts, notices, state
from chainsight.dashboard.client import CollectorError
from chainsight.dashboard.data import Connection, fetch_status
from chainsight.dashboard.drift_client import (
    DriftRequest,
    fetch_references,
    fetch_report,
    fetch_series,
    save_reference,
)
from chainsight.storage.model import DriftReport, FeatureDrift, ReferencePeriod

BASELINES = {
    "previous": "The period just before",
    "reference": "A saved reference period",
    "custom": "Custom dates",
}
SERIES_POINTS = 8
"""Rolling windows in the score-over-time chart: each 1/8 of the current range."""
MIN_SERIES_WINDOW_S = 60


def _baseline(conn: Connection, window: state.TimeWindow) -> DriftRequest | None:
    """The request for the chosen baseline, or None when it cannot be built yet."""
    project = state.current_project()
    mode = state.param("baseline_mode", "previous")
    if mode not in BASELINES:
        mode = "previous"
    mode = st.radio(
        "Baseline",
        list(BASELINES),
        index=list(BASELINES).index(mode),
        format_func=BASELINES.__getitem__,
        horizontal=True,
        key="drift_baseline_mode",
    )
    state.set_param("baseline_mode", mode, "previous")
    request = DriftRequest(window.start, window.end, "previous", project=project)
    if mode == "reference":
        periods = fetch_references(conn, project)
        if not periods:
            st.info("No saved reference period yet: save one below, then pick it here.")
            return None
        names = [p.name for p in periods]
        chosen = st.selectbox("Reference period", names, key="drift_reference")
        return DriftRequest(window.start, window.end, chosen, project=project)
    if mode == "custom":
        today = datetime.now(UTC).date()
        days = st.date_input(
            "Baseline dates (UTC, inclusive)",
            value=(today - timedelta(days=14), today - timedelta(days=8)),
            max_value=today,
            key="drift_custom_days",
        )
        if not (isinstance(days, tuple) and len(days) == 2):
            st.info("Pick a start and an end date.")
            return None
        start_day, end_day = days
        if not (isinstance(start_day, date) and isinstance(end_day, date)):
            return None
        start = datetime.combine(start_day, time(0), tzinfo=UTC)
        end = datetime.combine(end_day, time(0), tzinfo=UTC) + timedelta(days=1)
        return DriftRequest(window.start, window.end, None, start, end, project=project)
    return request


def _verdict_banner(report: DriftReport) -> None:
    if report.verdict == "drift":
        st.error(report.message, icon=":material/trending_up:")
    elif report.verdict == "no_drift":
        st.success(report.message, icon=":material/check_circle:")
    else:
        st.warning(report.message, icon=":material/hourglass_empty:")
    cols = st.columns(4)
    cols[0].metric("Drifted features", f"{report.drifted} / {report.evaluated}")
    cols[1].metric("Share drifted", "n/a" if report.share is None else f"{report.share:.0%}")
    cols[2].metric("Baseline spans", f"{report.baseline.spans:,}")
    cols[3].metric("Current spans", f"{report.current.spans:,}")
    st.caption(
        f"Baseline {report.baseline.start:%Y-%m-%d %H:%M} → {report.baseline.end:%Y-%m-%d %H:%M}"
        f" ({report.baseline.label or 'fixed'}); current {report.current.start:%Y-%m-%d %H:%M}"
        f" → {report.current.end:%Y-%m-%d %H:%M} UTC. Each window is a uniform sample of at "
        f"most {max(report.baseline.sampled, report.current.sampled):,} spans."
    )


def _alert_form(conn: Connection, feature: FeatureDrift) -> None:
    """Create an alert rule on ``drift.<feature>`` through the alerting API."""
    aggregation = "psi" if feature.psi is not None else "distance"
    default = 0.2 if aggregation == "psi" else feature.threshold if feature.higher_is_drift else 0.1
    with st.form(f"drift_alert_{feature.feature}"):
        st.markdown(f"**Alert when `drift.{feature.feature}` ({aggregation}) goes above:**")
        c1, c2, c3 = st.columns(3)
        threshold = c1.number_input("Threshold", min_value=0.0, value=float(default), step=0.05)
        window = c2.text_input("Window", value="1h")
        hold = c3.text_input("For", value="30m")
        if st.form_submit_button("Create alert rule", icon=":material/notifications:"):
            project = state.current_project()
            spec = {
                "name": f"drift-{feature.feature}" + (f"-{project}" if project else ""),
                "metric": f"drift.{feature.feature}",
                "aggregation": aggregation,
                "window": window,
                "op": ">",
                "threshold": threshold,
                "for": hold,
                "filters": {"project": project} if project else {},
                "annotations": {"summary": f"{feature.feature} drifted from the window before"},
            }
            try:
                with alert_client.client(conn) as client:
                    saved = client.save_rule(spec, create=True)
            except CollectorError as exc:
                st.error(f"The rule was not created: {exc}")
            else:
                alert_client.clear()
                st.success(f"Alert rule {saved.get('name', spec['name'])!r} created.")


def _detail(conn: Connection, report: DriftReport, window: state.TimeWindow) -> None:
    names = [f.feature for f in report.features]
    wanted = state.param("feature", names[0])
    chosen = st.selectbox(
        "Feature", names, index=names.index(wanted) if wanted in names else 0, key="drift_feature"
    )
    state.set_param("feature", chosen, names[0])
    feature = next(f for f in report.features if f.feature == chosen)
    if feature.note:
        st.caption(feature.note)
    left, right = st.columns(2)
    if feature.bins:
        left.plotly_chart(drift_charts.distribution(feature), key="drift_dist")
    if feature.terms:
        left.plotly_chart(drift_charts.moved_terms(feature), key="drift_terms")
    seconds = int((window.end - window.start).total_seconds()) // SERIES_POINTS
    points = fetch_series(
        conn,
        feature.feature,
        window.start,
        window.end,
        max(MIN_SERIES_WINDOW_S, seconds),
        state.current_project(),
    )
    right.plotly_chart(drift_charts.score_series(points, feature.feature), key="drift_series")
    if points and all(p.score is None for p in points):
        right.caption(
            f"No rolling window of {max(MIN_SERIES_WINDOW_S, seconds) // 60} min held enough "
            "values for a score; widen the time range for a series."
        )
    _alert_form(conn, feature)


def _save_reference(conn: Connection, window: state.TimeWindow) -> None:
    with (
        st.expander("Save the current window as a reference period"),
        st.form("drift_save_reference"),
    ):
        name = st.text_input("Name", placeholder="launch week")
        description = st.text_input("Description (optional)")
        if st.form_submit_button("Save reference period") and name.strip():
            save_reference(
                conn,
                ReferencePeriod(
                    name=name.strip(),
                    start=window.start,
                    end=window.end,
                    project=state.current_project(),
                    description=description or None,
                ),
            )
            st.success(f"Saved {name.strip()!r}: pick it as the baseline above.")


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    window = state.current_window()
    st.title("Drift")
    if fetch_status(conn).spans == 0:
        notices.empty_state(conn)
        return
    st.caption(
        f"Current window: the sidebar's range ({window.label}). Numbers use KS below 1,000 "
        "sampled rows and normalized Wasserstein above; categories chi-square or "
        "Jensen-Shannon; texts the centroid distance of hashed n-grams. See docs/drift.md."
    )
    request = _baseline(conn, window)
    if request is None:
        _save_reference(conn, window)
        return
    with st.spinner("Comparing windows…"):
        report = fetch_report(conn, request)
    _verdict_banner(report)
    st.plotly_chart(drift_charts.feature_scores(report.features), key="drift_scores")
    st.dataframe(drift_charts.feature_table(report.features), hide_index=True)
    st.subheader("Feature detail")
    _detail(conn, report, window)
    _save_reference(conn, window)


if __name__ == "__main__":
    render()
