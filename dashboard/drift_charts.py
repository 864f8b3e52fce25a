"""Pure chart builders for the Drift page: report rows in, plotly figures out (no ``st.*``).

Colours carry the verdict everywhere: red drift, green no drift, grey no verdict; the
baseline is always blue and the current window orange.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from chainsight.storage.model import DriftPoint, FeatureDrift

VERDICT_COLORS: dict[str, str] = {
    "drift": "#D62728",
    "no_drift": "#54A24B",
    "insufficient_data": "#BAB0AC",
}
VERDICT_LABELS: dict[str, str] = {
    "drift": "drift",
    "no_drift": "no drift",
    "insufficient_data": "no verdict (too little data)",
}
BASELINE_COLOR = "#4C78A8"
CURRENT_COLOR = "#F58518"


def severity(feature: FeatureDrift) -> float | None:
    """The score in units of its threshold, oriented so that ≥ 1 means drift: score /
    threshold for distances, threshold / p for p-values (capped at 10 for p ≈ 0)."""
    if feature.score is None:
        return None
    if feature.higher_is_drift:
        return feature.score / feature.threshold if feature.threshold else None
    if feature.score <= 0:
        return 10.0
    return min(10.0, feature.threshold / feature.score)


def feature_scores(features: Sequence[FeatureDrift]) -> go.Figure:
    """One horizontal bar per feature: severity (score relative to its threshold), coloured
    by verdict, with the drift line at 1."""
    rows = list(reversed(features))
    values = [severity(f) or 0.0 for f in rows]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=[f.feature for f in rows],
            orientation="h",
            marker_color=[VERDICT_COLORS[f.verdict] for f in rows],
            text=[_score_text(f) for f in rows],
            textposition="auto",
            hovertext=[VERDICT_LABELS[f.verdict] for f in rows],
        )
    )
    fig.add_vline(x=1.0, line_dash="dash", line_color=VERDICT_COLORS["drift"])
    fig.update_layout(
        title="Drift by feature (score / threshold; ≥ 1 is drift)",
        xaxis_title="score relative to threshold",
        height=max(260, 28 * len(rows) + 80),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


def _score_text(feature: FeatureDrift) -> str:
    if feature.score is None:
        return "no verdict"
    op = "≥" if feature.higher_is_drift else "<"
    return f"{feature.statistic} {feature.score:.3g} (drift {op} {feature.threshold:g})"


def distribution(feature: FeatureDrift) -> go.Figure:
    """Baseline and current shares side by side: overlaid histogram bars for numbers, grouped
    bars per category."""
    labels = [b.label for b in feature.bins]
    fig = go.Figure()
    numeric = feature.type == "numeric"
    fig.add_bar(
        x=labels,
        y=[b.baseline for b in feature.bins],
        name="baseline",
        marker_color=BASELINE_COLOR,
        opacity=0.6 if numeric else 1.0,
    )
    fig.add_bar(
        x=labels,
        y=[b.current for b in feature.bins],
        name="current",
        marker_color=CURRENT_COLOR,
        opacity=0.6 if numeric else 1.0,
    )
    fig.update_layout(
        title=f"{feature.feature}: baseline vs current",
        barmode="overlay" if numeric else "group",
        yaxis_title="share of sample",
        yaxis_tickformat=".0%",
        xaxis_title="value range" if numeric else "category",
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def moved_terms(feature: FeatureDrift) -> go.Figure:
    """The words whose average weight grew (orange) or shrank (blue) the most."""
    terms = sorted(feature.terms, key=lambda t: t.delta)
    fig = go.Figure(
        go.Bar(
            x=[t.delta for t in terms],
            y=[t.term for t in terms],
            orientation="h",
            marker_color=[CURRENT_COLOR if t.delta > 0 else BASELINE_COLOR for t in terms],
        )
    )
    fig.update_layout(
        title=f"{feature.feature}: terms that moved most",
        xaxis_title="change in average weight (current - baseline)",
        height=max(260, 22 * len(terms) + 80),
    )
    return fig


def score_series(points: Sequence[DriftPoint], feature: str) -> go.Figure:
    """A feature's score per rolling window, markers coloured by verdict, with the threshold."""
    scored = [p for p in points if p.score is not None]
    fig = go.Figure(
        go.Scatter(
            x=[p.time for p in scored],
            y=[p.score for p in scored],
            mode="lines+markers",
            marker={"color": [VERDICT_COLORS[p.verdict] for p in scored], "size": 9},
            line={"color": "#888888"},
            name=feature,
        )
    )
    if points:
        fig.add_hline(
            y=points[-1].threshold,
            line_dash="dash",
            line_color=VERDICT_COLORS["drift"],
            annotation_text="threshold",
        )
    statistic = points[-1].statistic if points else ""
    fig.update_layout(
        title=f"{feature}: {statistic} over time (each window vs the one before)",
        xaxis_title="window end (UTC)",
        yaxis_title=statistic,
    )
    return fig


def feature_table(features: Sequence[FeatureDrift]) -> list[dict[str, Any]]:
    """Rows for the per-feature table."""
    return [
        {
            "feature": f.feature,
            "type": f.type,
            "verdict": VERDICT_LABELS[f.verdict],
            "statistic": f.statistic,
            "score": f.score,
            "threshold": f.threshold,
            "psi": f.psi,
            "baseline n": f.baseline_count,
            "current n": f.current_count,
            "note": f.note or "",
        }
        for f in features
    ]
