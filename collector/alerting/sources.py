"""Metric sources: where a rule's value comes from.

A source is ``fetch(store, query) -> list[Sample]``: one ``Sample`` (group labels, value,
sample count) per group seen in the window ``[query.now - query.window_s, query.now)``.
``MetricSources`` maps a metric name (``"ttft"``) or a name prefix ending in a dot
(``"drift."``) to a ``MetricSpec``: the source plus the unit thresholds are read in and the
aggregations it accepts. The span metrics below all call ``Store.metrics`` (exact
percentiles per group); nothing here writes SQL.

Extension point (drift, issue 6): register a prefix in ``default_sources``::

    sources.register(MetricSpec("drift.", unit="score", aggregations=("max",),
                                default_aggregation="max", fetch=drift_fetch))

``drift_fetch(store, query)`` receives the rule's filters, group-by label, window and
evaluation time in ``query`` (``query.metric`` is e.g. ``"drift.output_tokens"``) and returns
samples; ``value=None`` or ``samples=0`` means no data for that group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chainsight.storage import Store
from chainsight.storage.model import GroupBy, MetricPoint, MetricQuery, TraceFilter

from .units import Unit


@dataclass(frozen=True, slots=True)
class SourceQuery:
    """What a source is asked: the rule's metric, aggregation, filters, grouping and window."""

    metric: str
    aggregation: str
    filter: TraceFilter
    span_kind: str | None
    group_by: GroupBy | None
    window_s: float
    now: datetime

    @property
    def start(self) -> datetime:
        return self.now - timedelta(seconds=self.window_s)


@dataclass(frozen=True, slots=True)
class Sample:
    """One group's value in the window; ``labels`` is empty for an ungrouped rule."""

    labels: dict[str, str]
    value: float | None
    samples: int
    at: datetime | None = None  # bucket start, for series only


Fetch = Callable[[Store, SourceQuery], list[Sample]]
Series = Callable[[Store, SourceQuery, int], list[Sample]]
"""Tumbling buckets of ``bucket_seconds`` over ``[query.start, query.now)`` (for charts)."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric (or a prefix of metrics ending in '.') with its unit and aggregations."""

    name: str
    unit: Unit
    aggregations: tuple[str, ...]
    default_aggregation: str
    fetch: Fetch
    series: Series | None = None
    description: str = ""


@dataclass
class MetricSources:
    """The registry of metric sources a collector's rules may name."""

    specs: dict[str, MetricSpec] = field(default_factory=dict)

    def register(self, spec: MetricSpec) -> None:
        """Add or replace a metric; a name ending in '.' matches every name with that prefix."""
        self.specs[spec.name] = spec

    def get(self, metric: str) -> MetricSpec | None:
        """The spec serving ``metric``: an exact name first, then the longest prefix."""
        if metric in self.specs:
            return self.specs[metric]
        prefixes = [p for p in self.specs if p.endswith(".") and metric.startswith(p)]
        return self.specs[max(prefixes, key=len)] if prefixes else None

    def names(self) -> list[str]:
        """Registered names and prefixes (prefixes shown as ``drift.<name>``)."""
        return sorted(f"{n}<name>" if n.endswith(".") else n for n in self.specs)


# -- span metrics over Store.metrics ---------------------------------------------------------

_PERCENTILE_FIELDS = {"latency": "latency_ms", "ttft": "ttft_ms", "tpot": "tpot_ms"}
_PCT_AGGS = {"p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99", "avg": "mean", "max": "max"}
_COUNT_FIELDS = {
    "requests": "requests",
    "errors": "errors",
    "tokens": "total_tokens",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cost": "cost",
}


def _value(metric: str, aggregation: str, point: MetricPoint, window_s: float) -> float | None:
    if metric in _PERCENTILE_FIELDS:
        pct = getattr(point, _PERCENTILE_FIELDS[metric])
        value: float | None = getattr(pct, _PCT_AGGS[aggregation])
        return value
    if metric == "error_rate":
        return None if point.error_rate is None else float(point.error_rate)
    if metric == "tokens_per_s":
        return None if point.tokens_per_s is None else float(point.tokens_per_s)
    raw = getattr(point, _COUNT_FIELDS[metric])
    if raw is None:
        return None
    if aggregation == "rate":
        return float(raw) / window_s if window_s > 0 else None
    return float(raw)


def _labels(query: SourceQuery, point: MetricPoint) -> dict[str, str]:
    if query.group_by is None:
        return {}
    return {query.group_by: point.group or ""}


def _metric_query(query: SourceQuery, bucket_seconds: int | None) -> MetricQuery:
    return MetricQuery(
        filter=query.filter,
        start=query.start,
        end=query.now,
        bucket_seconds=bucket_seconds,
        group_by=query.group_by,
        kind=query.span_kind,
    )


def span_fetch(store: Store, query: SourceQuery) -> list[Sample]:
    """One sample per group from one ``Store.metrics`` summary query over the window."""
    points = store.metrics(_metric_query(query, None))
    return [
        Sample(
            _labels(query, p),
            _value(query.metric, query.aggregation, p, query.window_s),
            p.requests,
        )
        for p in points
    ]


def span_series(store: Store, query: SourceQuery, bucket_seconds: int) -> list[Sample]:
    """Per-bucket values from one bucketed ``Store.metrics`` query (the rule chart)."""
    points = store.metrics(_metric_query(query, bucket_seconds))
    return [
        Sample(
            _labels(query, p),
            _value(query.metric, query.aggregation, p, float(bucket_seconds)),
            p.requests,
            p.bucket_start,
        )
        for p in points
    ]


def _span_spec(name: str, unit: Unit, aggs: tuple[str, ...], default: str, doc: str) -> MetricSpec:
    return MetricSpec(name, unit, aggs, default, span_fetch, span_series, doc)


def default_sources() -> MetricSources:
    """The span metrics every collector serves (plus any registered by other parts)."""
    sources = MetricSources()
    pct = ("p50", "p90", "p95", "p99", "avg", "max")
    counts = ("sum", "count", "rate")
    for spec in (
        _span_spec("latency", "duration", pct, "p95", "span duration (ms)"),
        _span_spec("ttft", "duration", pct, "p95", "time to first token (ms)"),
        _span_spec("tpot", "duration", pct, "p95", "time per output token (ms)"),
        _span_spec("error_rate", "fraction", ("rate", "avg"), "rate", "errors / spans"),
        _span_spec("requests", "count", counts, "count", "spans in the window"),
        _span_spec("errors", "count", counts, "count", "spans with status error"),
        _span_spec("tokens", "count", counts, "sum", "total tokens"),
        _span_spec("input_tokens", "count", counts, "sum", "input tokens"),
        _span_spec("output_tokens", "count", counts, "sum", "output tokens"),
        _span_spec("tokens_per_s", "count", ("avg",), "avg", "output tokens per second"),
        _span_spec("cost", "money", counts, "sum", "USD spent in the window"),
    ):
        sources.register(spec)
    from chainsight.collector.drift.alert_source import register as register_drift

    register_drift(sources)
    return sources
