"""The Drift page's pure chart builders: report rows in, plotly figures out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chainsight.dashboard import drift_charts
from chainsight.storage.model import DriftPoint, FeatureDrift, HistogramBin, TermShift


def _feature(
    name: str, verdict: str, score: float | None, *, p_value: bool = False
) -> FeatureDrift:
    return FeatureDrift(
        feature=name,
        type="numeric",
        statistic="ks" if p_value else "wasserstein",
        score=score,
        threshold=0.05 if p_value else 0.1,
        higher_is_drift=not p_value,
        verdict=verdict,  # type: ignore[arg-type]
        baseline_count=100,
        current_count=100,
        bins=[HistogramBin(label="0-1", lower=0, upper=1, baseline=0.5, current=0.2)],
    )


def test_severity_is_one_at_the_threshold_for_distances_and_p_values() -> None:
    """Score / threshold for distances, threshold / p for p-values: ≥ 1 means drift."""
    assert drift_charts.severity(_feature("a", "drift", 0.1)) == pytest.approx(1.0)
    assert drift_charts.severity(_feature("b", "drift", 0.025, p_value=True)) == pytest.approx(2.0)
    assert drift_charts.severity(_feature("c", "drift", 0.0, p_value=True)) == 10.0
    assert drift_charts.severity(_feature("d", "insufficient_data", None)) is None


def test_feature_scores_colour_bars_by_verdict() -> None:
    """Red drift, green no drift, grey no verdict, one bar per feature."""
    features = [
        _feature("a", "drift", 0.3),
        _feature("b", "no_drift", 0.01),
        _feature("c", "insufficient_data", None),
    ]
    fig = drift_charts.feature_scores(features)
    bar = fig.data[0]
    colours = dict(zip(bar.y, bar.marker.color, strict=True))
    assert colours == {
        "a": drift_charts.VERDICT_COLORS["drift"],
        "b": drift_charts.VERDICT_COLORS["no_drift"],
        "c": drift_charts.VERDICT_COLORS["insufficient_data"],
    }


def test_distribution_overlays_baseline_and_current_shares() -> None:
    """Two bar traces, baseline then current, overlaid for numbers."""
    fig = drift_charts.distribution(_feature("a", "drift", 0.3))
    assert [t.name for t in fig.data] == ["baseline", "current"]
    assert list(fig.data[1].y) == [0.2]
    assert fig.layout.barmode == "overlay"


def test_moved_terms_colour_gains_and_losses() -> None:
    """Gains in the current colour, losses in the baseline colour, sorted by change."""
    feature = _feature("t", "drift", 0.4).model_copy(
        update={
            "terms": [
                TermShift(term="flight", baseline=0.0, current=0.3, delta=0.3),
                TermShift(term="refund", baseline=0.3, current=0.0, delta=-0.3),
            ]
        }
    )
    bar = drift_charts.moved_terms(feature).data[0]
    assert list(bar.y) == ["refund", "flight"]
    assert list(bar.marker.color) == [drift_charts.BASELINE_COLOR, drift_charts.CURRENT_COLOR]


def test_score_series_skips_windows_without_a_verdict() -> None:
    """Points without a score are not drawn; the threshold line is."""
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    points = [
        DriftPoint(
            time=t0 + timedelta(hours=i),
            score=None if i == 0 else 0.05 * i,
            threshold=0.1,
            verdict="insufficient_data" if i == 0 else "drift" if i > 1 else "no_drift",
            statistic="psi",
            baseline_count=0 if i == 0 else 50,
            current_count=50,
        )
        for i in range(3)
    ]
    fig = drift_charts.score_series(points, "input_tokens")
    assert len(fig.data[0].x) == 2
    assert fig.layout.shapes[0].y0 == 0.1
