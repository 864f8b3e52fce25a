"""``drift.<feature>`` as an alert metric: e.g. "PSI of input tokens > 0.2 for 30m" is the
rule ``metric: drift.input_tokens, aggregation: psi, op: >, threshold: 0.2, for: 30m``.

Each evaluation compares the rule's window ``[now - window, now)`` with the same-length
window before it (``report.drift_score``). Aggregations name the number read:

- ``psi``: PSI on baseline quantile bins (numbers) or categories;
- ``distance``: normalized Wasserstein (numbers), Jensen-Shannon distance (categories), the
  centroid cosine distance (text) or the mean-vector distance (embeddings);
- ``drifted``: 1 when the sample-size-aware test of the report says drift, else 0.

Text and embedding features read their one distance under every aggregation. Too few
values in either window is no data (``value=None``), never 0. ``group_by`` is not applied:
a drift score is computed over the rule's whole filter.
"""

from __future__ import annotations

from datetime import timedelta

from chainsight.storage import Store

from ..alerting.sources import MetricSources, MetricSpec, Sample, SourceQuery
from .features import BY_NAME
from .report import DriftOptions, drift_score
from .stats import Statistic

PREFIX = "drift."
AGGREGATIONS = ("distance", "psi", "drifted")
SERIES_SAMPLE = 2000
"""Spans sampled per window per evaluation: the evaluator runs every rule each interval."""


def _statistic(aggregation: str, feature_type: str) -> Statistic:
    if aggregation == "psi":
        return "psi"
    if aggregation == "distance":
        return "wasserstein" if feature_type == "numeric" else "jensenshannon"
    return "auto"


def drift_fetch(store: Store, query: SourceQuery) -> list[Sample]:
    """One sample: the feature's drift over the rule's window against the window before."""
    feature = BY_NAME.get(query.metric.removeprefix(PREFIX))
    if feature is None:
        raise ValueError(f"unknown drift feature in {query.metric!r}; known: {list(BY_NAME)}")
    options = DriftOptions(
        statistic=_statistic(query.aggregation, feature.type), sample_size=SERIES_SAMPLE
    )
    result = drift_score(
        store,
        feature.name,
        query.filter,
        query.now,
        timedelta(seconds=query.window_s),
        options=options,
    )
    samples = min(result.baseline_count, result.current_count)
    if result.score is None:
        return [Sample({}, None, samples)]
    if query.aggregation == "drifted":
        return [Sample({}, 1.0 if result.verdict == "drift" else 0.0, samples)]
    return [Sample({}, float(result.score), samples)]


def register(sources: MetricSources) -> None:
    """Add ``drift.<feature>`` to an alerting registry."""
    sources.register(
        MetricSpec(
            PREFIX,
            unit="score",
            aggregations=AGGREGATIONS,
            default_aggregation="distance",
            fetch=drift_fetch,
            description="drift of a feature vs the previous window (docs/drift.md)",
        )
    )
