"""The features drift compares, where each comes from, and how one feature is compared.

Features are read from samples of three span populations (each sampled once per window):

- ``llm`` spans: the numeric call facts (tokens, latency, TTFT, TPOT, cost), the model, the
  finish reason, the input's language, and the input and output texts;
- ``all`` spans: the step name and the error type (``(none)`` for spans without an error,
  so a change in the error rate shows as a change of this distribution);
- ``embedding`` spans: the vectors the app's embedding steps recorded (OpenInference
  ``embedding.embeddings.<i>.embedding.vector``), when there are any.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from chainsight import semconv as sc
from chainsight.storage.model import DriftSample, FeatureDrift, FeatureType, HistogramBin, TermShift

from . import stats, text
from .stats import FloatArray, Statistic, TestResult, Thresholds

Population = Literal["llm", "all", "embedding"]
NONE_LABEL = "(none)"
OTHER_LABEL = "(other)"
MAX_CATEGORIES = 15
HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class PopulationSpec:
    """How one population is sampled: the span kind and the columns read."""

    kind: str | None
    columns: tuple[str, ...]


POPULATIONS: dict[Population, PopulationSpec] = {
    "llm": PopulationSpec(
        "llm",
        (
            "model",
            "input_tokens",
            "output_tokens",
            "duration_ms",
            "ttft_ms",
            "tpot_ms",
            "cost",
            "finish_reason",
            "input",
            "output",
        ),
    ),
    "all": PopulationSpec(None, ("name", "error_type")),
    "embedding": PopulationSpec("embedding", ("attributes",)),
}


@dataclass(frozen=True)
class Feature:
    """One compared feature: its name in reports and alert metrics (``drift.<name>``)."""

    name: str
    type: FeatureType
    population: Population
    column: str
    label: str
    text_only: bool = False  # read from the text subsample (costly per-row Python work)


FEATURES: tuple[Feature, ...] = (
    Feature("input_tokens", "numeric", "llm", "input_tokens", "Input tokens"),
    Feature("output_tokens", "numeric", "llm", "output_tokens", "Output tokens"),
    Feature("latency_ms", "numeric", "llm", "duration_ms", "Latency (ms)"),
    Feature("ttft_ms", "numeric", "llm", "ttft_ms", "TTFT (ms)"),
    Feature("tpot_ms", "numeric", "llm", "tpot_ms", "TPOT (ms)"),
    Feature("cost", "numeric", "llm", "cost", "Cost per call (USD)"),
    Feature("model", "categorical", "llm", "model", "Model"),
    Feature("finish_reason", "categorical", "llm", "finish_reason", "Finish reason"),
    Feature("input_language", "categorical", "llm", "input", "Input language", True),
    Feature("step_name", "categorical", "all", "name", "Step name"),
    Feature("error_type", "categorical", "all", "error_type", "Error type"),
    Feature("input_text", "text", "llm", "input", "Input text", True),
    Feature("output_text", "text", "llm", "output", "Output text", True),
    Feature("embedding", "embedding", "embedding", "attributes", "Embeddings"),
)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

_VECTOR_PREFIX = f"{sc.EMBEDDING_EMBEDDINGS}."
_VECTOR_SUFFIX = ".embedding.vector"


def embedding_vectors(attributes: Sequence[object]) -> list[list[float]]:
    """The vectors recorded on embedding spans (attributes JSON), of the most common length."""
    found: list[list[float]] = []
    for raw in attributes:
        if not isinstance(raw, str) or _VECTOR_SUFFIX not in raw:
            continue
        try:
            attrs = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(attrs, dict):
            continue
        for key, value in attrs.items():
            if key.startswith(_VECTOR_PREFIX) and key.endswith(_VECTOR_SUFFIX):
                vector = value
                if isinstance(vector, str):
                    try:
                        vector = json.loads(vector)
                    except ValueError:
                        continue
                if (
                    isinstance(vector, list)
                    and vector
                    and all(isinstance(v, int | float) for v in vector)
                ):
                    found.append([float(v) for v in vector])
    if not found:
        return []
    dim = Counter(len(v) for v in found).most_common(1)[0][0]
    return [v for v in found if len(v) == dim]


def values(feature: Feature, sample: DriftSample, text_limit: int) -> list[object]:
    """The feature's values in a sample (numbers, labels, texts or vectors)."""
    column = sample.column(feature.column)
    if feature.text_only:
        column = column[:text_limit]
    if feature.type == "numeric":
        return [float(v) for v in column if isinstance(v, int | float)]
    if feature.name == "input_language":
        return [text.language(text.plain_text(v)) for v in column if v is not None]
    if feature.type == "categorical":
        return [NONE_LABEL if v is None else str(v) for v in column]
    if feature.type == "text":
        texts = (text.plain_text(v) for v in column if v is not None)
        return [t for t in texts if t.strip()]
    return list(embedding_vectors(column))


def _threshold(feature: Feature, result: TestResult, thresholds: Thresholds) -> TestResult:
    override = thresholds.overrides.get(feature.name)
    if override is None:
        return result
    return TestResult(result.statistic, result.score, override, result.higher_is_drift)


def _insufficient(  # noqa: PLR0917  # one row of the result, field by field
    feature: Feature,
    statistic: str,
    threshold: float,
    higher: bool,
    n_ref: int,
    n_cur: int,
    need: int,
) -> FeatureDrift:
    return FeatureDrift(
        feature=feature.name,
        type=feature.type,
        statistic=statistic,
        score=None,
        threshold=threshold,
        higher_is_drift=higher,
        verdict="insufficient_data",
        baseline_count=n_ref,
        current_count=n_cur,
        note=(
            f"no verdict: {n_ref} baseline and {n_cur} current values; "
            f"at least {need} in each window are needed"
        ),
    )


def _result(
    feature: Feature,
    result: TestResult,
    n_ref: int,
    n_cur: int,
    *,
    psi: float | None = None,
    note: str | None = None,
    bins: list[HistogramBin] | None = None,
    terms: list[TermShift] | None = None,
) -> FeatureDrift:
    return FeatureDrift(
        feature=feature.name,
        type=feature.type,
        statistic=result.statistic,
        score=result.score,
        threshold=result.threshold,
        higher_is_drift=result.higher_is_drift,
        verdict="drift" if result.drifted else "no_drift",
        baseline_count=n_ref,
        current_count=n_cur,
        psi=psi,
        note=note,
        bins=bins or [],
        terms=terms or [],
    )


def histogram(ref: FloatArray, cur: FloatArray) -> list[HistogramBin]:
    """Shares of both samples over equal-width bins spanning the 1st-99th percentile of the
    pooled values (outliers land in the end bins), for overlaid histograms."""
    pooled = np.concatenate([ref, cur])
    low, high = (float(x) for x in np.quantile(pooled, [0.01, 0.99]))
    if high <= low:
        low, high = float(pooled.min()), float(pooled.max())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
    inner = edges[1:-1]
    rs, cs = stats.binned_shares(ref, inner), stats.binned_shares(cur, inner)
    return [
        HistogramBin(
            label=f"{edges[i]:.4g}-{edges[i + 1]:.4g}",
            lower=float(edges[i]),
            upper=float(edges[i + 1]),
            baseline=float(rs[i]),
            current=float(cs[i]),
        )
        for i in range(HISTOGRAM_BINS)
    ]


def category_bins(
    cats: Sequence[object], ref_counts: FloatArray, cur_counts: FloatArray
) -> list[HistogramBin]:
    """Shares per category, the most common first, the tail folded into ``(other)``."""
    rs, cs = ref_counts / max(ref_counts.sum(), 1), cur_counts / max(cur_counts.sum(), 1)
    order = sorted(range(len(cats)), key=lambda i: -(rs[i] + cs[i]))
    bins = [
        HistogramBin(label=str(cats[i]), baseline=float(rs[i]), current=float(cs[i]))
        for i in order[:MAX_CATEGORIES]
    ]
    rest = order[MAX_CATEGORIES:]
    if rest:
        bins.append(
            HistogramBin(
                label=OTHER_LABEL,
                baseline=float(sum(rs[i] for i in rest)),
                current=float(sum(cs[i] for i in rest)),
            )
        )
    return bins


def compare(
    feature: Feature,
    ref_values: Sequence[object],
    cur_values: Sequence[object],
    thresholds: Thresholds,
    *,
    statistic: Statistic = "auto",
    seed: int = 0,
    detail: bool = True,
) -> FeatureDrift:
    """One feature's drift between two value lists (``detail``: histograms and terms)."""
    n_ref, n_cur = len(ref_values), len(cur_values)
    need = thresholds.min_sample
    compare_type: Callable[..., FeatureDrift] = _COMPARERS[feature.type]
    if n_ref < need or n_cur < need:
        probe = _PROBE[feature.type](thresholds, statistic, n_ref)
        return _insufficient(feature, *probe, n_ref, n_cur, need)
    return compare_type(
        feature,
        ref_values,
        cur_values,
        thresholds,
        statistic=statistic,
        seed=seed,
        detail=detail,
    )


def _numeric(
    feature: Feature,
    ref_values: Sequence[object],
    cur_values: Sequence[object],
    thresholds: Thresholds,
    *,
    statistic: Statistic,
    seed: int,
    detail: bool,
) -> FeatureDrift:
    ref = np.asarray(ref_values, dtype=np.float64)
    cur = np.asarray(cur_values, dtype=np.float64)
    result = _threshold(feature, stats.numeric_test(ref, cur, thresholds, statistic), thresholds)
    psi = stats.psi_numeric(ref, cur, thresholds.psi_bins)
    bins = histogram(ref, cur) if detail else []
    return _result(feature, result, ref.size, cur.size, psi=psi, bins=bins)


def _categorical(
    feature: Feature,
    ref_values: Sequence[object],
    cur_values: Sequence[object],
    thresholds: Thresholds,
    *,
    statistic: Statistic,
    seed: int,
    detail: bool,
) -> FeatureDrift:
    cats, rc, cc = stats.category_counts([str(v) for v in ref_values], [str(v) for v in cur_values])
    result = _threshold(feature, stats.categorical_test(rc, cc, thresholds, statistic), thresholds)
    psi = stats.psi_categorical(rc, cc)
    bins = category_bins(cats, rc, cc) if detail else []
    return _result(feature, result, len(ref_values), len(cur_values), psi=psi, bins=bins)


def _text(
    feature: Feature,
    ref_values: Sequence[object],
    cur_values: Sequence[object],
    thresholds: Thresholds,
    *,
    statistic: Statistic,
    seed: int,
    detail: bool,
) -> FeatureDrift:
    hasher = text.Hasher()
    ref = text.vectorize((str(v) for v in ref_values), hasher)
    cur = text.vectorize((str(v) for v in cur_values), hasher)
    distance = text.centroid_distance(ref, cur)
    chance = text.null_quantile(ref, cur, seed=seed)
    floor = thresholds.overrides.get(feature.name, thresholds.text)
    threshold = max(floor, chance)
    result = TestResult("centroid_cosine", distance, threshold, True)
    terms = (
        [
            TermShift(term=w, baseline=b, current=c, delta=c - b)
            for w, b, c in text.moved_terms(ref, cur)
        ]
        if detail
        else []
    )
    note = (
        f"threshold = max({floor:g}, {chance:.3g}): the 95th percentile of the distance "
        f"between random re-splits of these texts"
    )
    return _result(feature, result, ref.size, cur.size, terms=terms, note=note)


def _embedding(
    feature: Feature,
    ref_values: Sequence[object],
    cur_values: Sequence[object],
    thresholds: Thresholds,
    *,
    statistic: Statistic,
    seed: int,
    detail: bool,
) -> FeatureDrift:
    ref = np.asarray(ref_values, dtype=np.float64)
    cur = np.asarray(cur_values, dtype=np.float64)
    if ref.shape[1] != cur.shape[1]:
        return FeatureDrift(
            feature=feature.name,
            type=feature.type,
            statistic="euclidean_mean",
            score=None,
            threshold=thresholds.embedding,
            higher_is_drift=True,
            verdict="insufficient_data",
            baseline_count=ref.shape[0],
            current_count=cur.shape[0],
            note=f"no verdict: vector sizes differ ({ref.shape[1]} vs {cur.shape[1]})",
        )
    threshold = thresholds.overrides.get(feature.name, thresholds.embedding)
    result = TestResult("euclidean_mean", stats.mean_vector_distance(ref, cur), threshold, True)
    return _result(feature, result, ref.shape[0], cur.shape[0])


_COMPARERS: dict[str, Callable[..., FeatureDrift]] = {
    "numeric": _numeric,
    "categorical": _categorical,
    "text": _text,
    "embedding": _embedding,
}


def _probe_numeric(t: Thresholds, statistic: Statistic, n: int) -> tuple[str, float, bool]:
    chosen = statistic if statistic != "auto" else ("ks" if n <= t.small_sample else "wasserstein")
    return {
        "ks": ("ks", t.ks_p, False),
        "wasserstein": ("wasserstein", t.wasserstein, True),
        "psi": ("psi", t.psi, True),
    }.get(chosen, ("jensenshannon", t.jensenshannon, True))


def _probe_categorical(t: Thresholds, statistic: Statistic, n: int) -> tuple[str, float, bool]:
    if statistic == "auto":
        statistic = "chisquare" if n <= t.small_sample else "jensenshannon"
    if statistic in ("chisquare", "ks"):
        return ("chisquare", t.chisquare_p, False)
    if statistic == "psi":
        return ("psi", t.psi, True)
    return ("jensenshannon", t.jensenshannon, True)


_PROBE: dict[str, Callable[[Thresholds, Statistic, int], tuple[str, float, bool]]] = {
    "numeric": _probe_numeric,
    "categorical": _probe_categorical,
    "text": lambda t, s, n: ("centroid_cosine", t.text, True),
    "embedding": lambda t, s, n: ("euclidean_mean", t.embedding, True),
}
