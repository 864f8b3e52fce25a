"""Two-sample drift statistics, in numpy only (scipy is a test dependency, never a runtime one).

Which test runs is chosen by the reference sample's size, as Evidently's defaults do
(REFERENCE.md §6): up to ``small_sample`` (1000) reference rows a hypothesis test answers
"could these two samples come from one distribution?" (KS for numbers, chi-square for
categories, drift when p < 0.05); above it those tests flag differences too small to matter
(p-values shrink as n grows), so an effect size is used instead: Wasserstein distance
normalized by the reference's standard deviation (numbers) or Jensen-Shannon distance
(categories), drift at ≥ 0.1. PSI on baseline quantile bins is reported beside either.

Each function's formula follows its scipy counterpart (tests/drift/test_stats.py compares
them): ``ks_2samp`` (asymptotic p), ``chi2_contingency`` (no continuity correction),
``wasserstein_distance``, ``spatial.distance.jensenshannon`` (natural log).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Statistic = Literal["auto", "ks", "wasserstein", "psi", "chisquare", "jensenshannon"]
FloatArray = npt.NDArray[np.float64]

PSI_EPSILON = 1e-4
"""Share given to an empty bin so ln(ref/cur) stays finite (Evidently uses 1e-4 too)."""


@dataclass(frozen=True)
class Thresholds:
    """Drift thresholds per statistic and the sample sizes that choose between them."""

    ks_p: float = 0.05
    chisquare_p: float = 0.05
    wasserstein: float = 0.1
    jensenshannon: float = 0.1
    psi: float = 0.1
    text: float = 0.05
    embedding: float = 0.2
    small_sample: int = 1000
    min_sample: int = 30
    psi_bins: int = 10
    share: float = 0.5
    overrides: dict[str, float] = field(default_factory=dict)  # feature -> threshold


@dataclass(frozen=True)
class TestResult:
    """A statistic's value and whether it indicates drift under its threshold."""

    statistic: str
    score: float
    threshold: float
    higher_is_drift: bool

    @property
    def drifted(self) -> bool:
        """Distance ≥ threshold, or p-value < threshold."""
        if self.higher_is_drift:
            return self.score >= self.threshold
        return self.score < self.threshold


def as_array(values: Iterable[float]) -> FloatArray:
    """Finite values as a float array (NaN and infinities dropped)."""
    arr = np.asarray(list(values), dtype=np.float64)
    return arr[np.isfinite(arr)]


# -- numeric ------------------------------------------------------------------------------------


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution: 2 Σ (-1)^(k-1) exp(-2k²x²) (scipy's
    ``special.kolmogorov``); the series converges fast for x ≥ 0.2, below it P ≈ 1."""
    if x <= 0:
        return 1.0
    if x < 0.2:
        # The alternating series needs many terms here; use the theta-function form.
        s = sum(math.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8 * x * x)) for k in range(1, 6))
        return max(0.0, min(1.0, 1.0 - math.sqrt(2 * math.pi) / x * s))
    total = 0.0
    for k in range(1, 101):
        term = 2.0 * (-1) ** (k - 1) * math.exp(-2.0 * k * k * x * x)
        total += term
        if abs(term) < 1e-16:
            break
    return max(0.0, min(1.0, total))


def ks_statistic(ref: FloatArray, cur: FloatArray) -> float:
    """Largest gap between the two empirical CDFs (ties handled as scipy does)."""
    a, b = np.sort(ref), np.sort(cur)
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / a.size
    cdf_b = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_test(ref: FloatArray, cur: FloatArray) -> tuple[float, float]:
    """(D, p) of the two-sided two-sample KS test, asymptotic p with Stephens' small-sample
    correction λ = (√n_e + 0.12 + 0.11/√n_e)·D (Numerical Recipes §14.3)."""
    d = ks_statistic(ref, cur)
    en = ref.size * cur.size / (ref.size + cur.size)
    lam = (math.sqrt(en) + 0.12 + 0.11 / math.sqrt(en)) * d
    return d, kolmogorov_sf(lam)


def wasserstein(ref: FloatArray, cur: FloatArray) -> float:
    """First Wasserstein (earth mover's) distance: ∫ |F_ref - F_cur| over the merged support."""
    a, b = np.sort(ref), np.sort(cur)
    grid = np.sort(np.concatenate([a, b]))
    deltas = np.diff(grid)
    cdf_a = np.searchsorted(a, grid[:-1], side="right") / a.size
    cdf_b = np.searchsorted(b, grid[:-1], side="right") / b.size
    return float(np.sum(np.abs(cdf_a - cdf_b) * deltas))


def normalized_wasserstein(ref: FloatArray, cur: FloatArray) -> float:
    """Wasserstein distance in units of the reference's standard deviation (Evidently's
    ``wasserstein`` test): scale-free, so one threshold (0.1) fits tokens and milliseconds.
    A constant reference falls back to its absolute mean, then to 1."""
    norm = float(np.std(ref))
    if norm <= 0:
        norm = abs(float(np.mean(ref))) or 1.0
    return wasserstein(ref, cur) / norm


def quantile_edges(ref: FloatArray, bins: int) -> FloatArray:
    """Inner bin edges at the reference's quantiles, deduplicated (ties collapse bins)."""
    qs = np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(qs)


def binned_shares(values: FloatArray, edges: FloatArray) -> FloatArray:
    """Share of ``values`` per bin: (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    idx = np.searchsorted(edges, values, side="left")
    counts = np.bincount(idx, minlength=edges.size + 1).astype(np.float64)
    return counts / max(values.size, 1)


def psi_from_shares(ref: FloatArray, cur: FloatArray, epsilon: float = PSI_EPSILON) -> float:
    """PSI = Σ (ref% - cur%)·ln(ref%/cur%), empty bins set to ``epsilon``."""
    r = np.where(ref > 0, ref, epsilon)
    c = np.where(cur > 0, cur, epsilon)
    return float(np.sum((r - c) * np.log(r / c)))


def psi_numeric(ref: FloatArray, cur: FloatArray, bins: int = 10) -> float:
    """PSI over ``bins`` quantile bins of the reference (equal-population baseline bins)."""
    edges = quantile_edges(ref, bins)
    return psi_from_shares(binned_shares(ref, edges), binned_shares(cur, edges))


def numeric_test(
    ref: FloatArray, cur: FloatArray, thresholds: Thresholds, statistic: Statistic = "auto"
) -> TestResult:
    """The sample-size-aware numeric test (or the one asked for)."""
    chosen = statistic
    if chosen == "auto":
        chosen = "ks" if ref.size <= thresholds.small_sample else "wasserstein"
    if chosen == "ks":
        return TestResult("ks", ks_test(ref, cur)[1], thresholds.ks_p, False)
    if chosen == "wasserstein":
        return TestResult(
            "wasserstein", normalized_wasserstein(ref, cur), thresholds.wasserstein, True
        )
    if chosen == "psi":
        return TestResult("psi", psi_numeric(ref, cur, thresholds.psi_bins), thresholds.psi, True)
    if chosen == "jensenshannon":
        edges = quantile_edges(ref, thresholds.psi_bins)
        js = jensenshannon(binned_shares(ref, edges), binned_shares(cur, edges))
        return TestResult("jensenshannon", js, thresholds.jensenshannon, True)
    raise ValueError(f"statistic {statistic!r} does not apply to numeric features")


# -- categorical --------------------------------------------------------------------------------


def category_counts(
    ref: Sequence[Hashable], cur: Sequence[Hashable]
) -> tuple[list[Hashable], FloatArray, FloatArray]:
    """(categories, reference counts, current counts) over the union of categories,
    ordered by reference frequency then name."""
    rc, cc = Counter(ref), Counter(cur)
    cats = sorted(set(rc) | set(cc), key=lambda c: (-rc.get(c, 0), -cc.get(c, 0), str(c)))
    return (
        cats,
        np.array([rc.get(c, 0) for c in cats], dtype=np.float64),
        np.array([cc.get(c, 0) for c in cats], dtype=np.float64),
    )


def gammaincc(a: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(a, x) (Numerical Recipes §6.2: series below
    a + 1, Lentz continued fraction above)."""
    if x <= 0:
        return 1.0
    gln = math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - gln))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - gln) * h)


def chi2_sf(x: float, dof: int) -> float:
    """Survival function of the chi-square distribution."""
    return gammaincc(dof / 2.0, x / 2.0)


def chisquare_test(ref_counts: FloatArray, cur_counts: FloatArray) -> tuple[float, float]:
    """(χ², p) of the test of homogeneity on the 2xk table of counts (no continuity
    correction). One category only → no evidence of change: (0, 1)."""
    keep = (ref_counts + cur_counts) > 0
    table = np.vstack([ref_counts[keep], cur_counts[keep]])
    if table.shape[1] < 2:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    return chi2, chi2_sf(chi2, table.shape[1] - 1)


def jensenshannon(p: FloatArray, q: FloatArray) -> float:
    """Jensen-Shannon distance (the square root of the divergence, natural log), of the two
    count or share vectors normalized to sum 1."""
    p = p / p.sum()
    q = q / q.sum()
    m = (p + q) / 2

    def kl(a: FloatArray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / m[mask])))

    return math.sqrt(max(0.0, (kl(p) + kl(q)) / 2))


def psi_categorical(ref_counts: FloatArray, cur_counts: FloatArray) -> float:
    """PSI over categories (each category a bin)."""
    return psi_from_shares(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum())


def categorical_test(
    ref_counts: FloatArray,
    cur_counts: FloatArray,
    thresholds: Thresholds,
    statistic: Statistic = "auto",
) -> TestResult:
    """The sample-size-aware categorical test (or the one asked for)."""
    chosen = statistic
    if chosen == "auto":
        chosen = "chisquare" if ref_counts.sum() <= thresholds.small_sample else "jensenshannon"
    if chosen in ("chisquare", "ks"):
        return TestResult(
            "chisquare", chisquare_test(ref_counts, cur_counts)[1], thresholds.chisquare_p, False
        )
    if chosen in ("jensenshannon", "wasserstein"):
        return TestResult(
            "jensenshannon",
            jensenshannon(ref_counts, cur_counts),
            thresholds.jensenshannon,
            True,
        )
    if chosen == "psi":
        return TestResult("psi", psi_categorical(ref_counts, cur_counts), thresholds.psi, True)
    raise ValueError(f"statistic {statistic!r} does not apply to categorical features")


# -- vectors ------------------------------------------------------------------------------------


def mean_vector_distance(ref: FloatArray, cur: FloatArray) -> float:
    """Euclidean distance between the mean vectors of two (n, d) matrices (Phoenix's former
    embedding-drift metric; REFERENCE.md §6)."""
    return float(np.linalg.norm(ref.mean(axis=0) - cur.mean(axis=0)))
