"""The drift statistics agree with scipy (a test-only dependency) and with hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

from chainsight.collector.drift import stats as ds

CASES = [(50, 60, 0.0), (200, 300, 0.3), (1000, 800, 0.1), (40, 35, 1.0)]


def _pair(n: int, m: int, shift: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, n), rng.normal(shift, 1.5, m)


@pytest.mark.parametrize(("n", "m", "shift"), CASES)
def test_ks_statistic_equals_scipy(n: int, m: int, shift: float) -> None:
    """D is the largest gap between the empirical CDFs, exactly as scipy computes it."""
    a, b = _pair(n, m, shift, 1)
    assert ds.ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


def test_ks_statistic_handles_ties_like_scipy() -> None:
    """Integer token counts repeat; ties must not inflate D."""
    a = np.array([1, 1, 2, 2, 2, 3, 5, 5], dtype=float)
    b = np.array([1, 2, 2, 3, 3, 3, 4, 6, 6], dtype=float)
    assert ds.ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)


@pytest.mark.parametrize(("n", "m", "shift"), CASES)
def test_ks_p_value_is_close_to_scipy(n: int, m: int, shift: float) -> None:
    """The asymptotic p (with Stephens' correction) is within 0.02 of scipy's exact p."""
    a, b = _pair(n, m, shift, 2)
    assert ds.ks_test(a, b)[1] == pytest.approx(stats.ks_2samp(a, b).pvalue, abs=0.02)


@pytest.mark.parametrize("x", [0.1, 0.3, 0.5, 0.8, 1.0, 1.36, 2.0, 3.0])
def test_kolmogorov_survival_equals_scipy(x: float) -> None:
    """The Kolmogorov distribution's tail matches scipy.special.kolmogorov."""
    assert ds.kolmogorov_sf(x) == pytest.approx(float(special.kolmogorov(x)), abs=1e-10)


@pytest.mark.parametrize(("n", "m", "shift"), CASES)
def test_wasserstein_equals_scipy(n: int, m: int, shift: float) -> None:
    """W1 between two samples equals scipy.stats.wasserstein_distance."""
    a, b = _pair(n, m, shift, 3)
    assert ds.wasserstein(a, b) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9)


def test_normalized_wasserstein_divides_by_the_reference_std() -> None:
    """Evidently's normalization: W1 / std(reference)."""
    a, b = _pair(500, 500, 0.5, 4)
    expected = stats.wasserstein_distance(a, b) / np.std(a)
    assert ds.normalized_wasserstein(a, b) == pytest.approx(expected, rel=1e-9)


def test_chisquare_equals_scipy_contingency() -> None:
    """χ² and p of the 2xk homogeneity test equal chi2_contingency without correction."""
    ref = np.array([10.0, 20, 30, 5])
    cur = np.array([12.0, 15, 40, 1])
    chi2, p, *_ = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    ours = ds.chisquare_test(ref, cur)
    assert ours == pytest.approx((chi2, p), rel=1e-9)


@pytest.mark.parametrize(("a", "x"), [(0.5, 0.3), (1.5, 1.5), (3, 10), (10, 2), (25, 40)])
def test_upper_incomplete_gamma_equals_scipy(a: float, x: float) -> None:
    """Q(a, x) behind the chi-square p-value equals scipy.special.gammaincc."""
    assert ds.gammaincc(a, x) == pytest.approx(float(special.gammaincc(a, x)), rel=1e-9)


def test_jensenshannon_equals_scipy() -> None:
    """The JS distance (natural log) equals scipy.spatial.distance.jensenshannon."""
    ref = np.array([10.0, 20, 30, 5, 0])
    cur = np.array([12.0, 15, 40, 0, 3])
    assert ds.jensenshannon(ref, cur) == pytest.approx(float(jensenshannon(ref, cur)), rel=1e-9)


def test_psi_by_hand() -> None:
    """PSI = Σ (r - c)·ln(r/c) on fixed shares, computed term by term."""
    ref = np.array([0.25, 0.25, 0.25, 0.25])
    cur = np.array([0.10, 0.20, 0.30, 0.40])
    expected = sum((r - c) * math.log(r / c) for r, c in zip(ref, cur, strict=True))
    assert ds.psi_from_shares(ref, cur) == pytest.approx(expected)
    assert expected == pytest.approx(0.2282, abs=1e-4)


def test_psi_gives_empty_bins_an_epsilon() -> None:
    """An empty current bin is finite: (0.5 - ε)·ln(0.5/ε) + (0.5 - 1)·ln(0.5/1)."""
    eps = ds.PSI_EPSILON
    expected = (0.5 - eps) * math.log(0.5 / eps) + (0.5 - 1.0) * math.log(0.5 / 1.0)
    value = ds.psi_from_shares(np.array([0.5, 0.5]), np.array([0.0, 1.0]))
    assert value == pytest.approx(expected)


def test_psi_uses_reference_quantile_bins() -> None:
    """Deciles of the reference hold 10% each, so the reference against itself is 0."""
    ref = np.random.default_rng(5).gamma(2.0, 100.0, 5000)
    edges = ds.quantile_edges(ref, 10)
    assert ds.binned_shares(ref, edges) == pytest.approx(np.full(10, 0.1), abs=0.002)
    assert ds.psi_numeric(ref, ref) == pytest.approx(0.0, abs=1e-9)


def test_small_reference_samples_use_ks_and_chisquare() -> None:
    """Up to 1000 reference rows the hypothesis tests are chosen (REFERENCE.md §6)."""
    a, b = _pair(1000, 1000, 0.0, 6)
    assert ds.numeric_test(a, b, ds.Thresholds()).statistic == "ks"
    counts = np.array([600.0, 400.0])
    assert ds.categorical_test(counts, counts, ds.Thresholds()).statistic == "chisquare"


def test_large_reference_samples_use_wasserstein_and_jensenshannon() -> None:
    """Above 1000 reference rows the effect sizes are chosen."""
    a, b = _pair(1001, 1000, 0.0, 7)
    assert ds.numeric_test(a, b, ds.Thresholds()).statistic == "wasserstein"
    counts = np.array([601.0, 400.0])
    assert ds.categorical_test(counts, counts, ds.Thresholds()).statistic == "jensenshannon"


def test_p_value_statistics_drift_below_their_threshold() -> None:
    """For KS and chi-square a small p-value is drift; for distances a large value is."""
    assert ds.TestResult("ks", 0.01, 0.05, higher_is_drift=False).drifted
    assert not ds.TestResult("ks", 0.2, 0.05, higher_is_drift=False).drifted
    assert ds.TestResult("psi", 0.2, 0.1, higher_is_drift=True).drifted


def test_mean_vector_distance_is_euclidean_between_means() -> None:
    """Embedding drift: ‖mean(ref) - mean(cur)‖₂ on fixed vectors."""
    ref = np.array([[0.0, 0.0], [2.0, 0.0]])
    cur = np.array([[1.0, 3.0], [1.0, 5.0]])
    assert ds.mean_vector_distance(ref, cur) == pytest.approx(4.0)
