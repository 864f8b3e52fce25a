"""A rule's query, and its metric over time for the dashboard chart.

Sources with a ``series`` (the span metrics) answer the chart with one bucketed
``Store.metrics`` query; others are evaluated at each bucket's end with the rule's window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chainsight.storage import Store

from .rules import Rule
from .sources import Sample, SourceQuery

MAX_SERIES_POINTS = 500
"""Buckets in one chart; a longer range widens the buckets."""


def rule_query(rule: Rule, now: datetime, window_s: float | None = None) -> SourceQuery:
    """What a rule asks its metric source at ``now`` (its own window unless given)."""
    return SourceQuery(
        metric=rule.metric,
        aggregation=rule.aggregation_resolved,
        filter=rule.filters.trace_filter(),
        span_kind=rule.filters.span_kind,
        group_by=rule.group_label,
        window_s=rule.window if window_s is None else window_s,
        now=now,
    )


def rule_series(
    store: Store, rule: Rule, start: datetime, end: datetime, bucket_seconds: int
) -> tuple[list[Sample], int]:
    """(samples with ``at`` set, the bucket size used) over [start, end)."""
    span_s = (end - start).total_seconds()
    bucket_seconds = max(bucket_seconds, int(span_s // MAX_SERIES_POINTS) + 1)
    if rule.spec.series is not None:
        return rule.spec.series(
            store, rule_query(rule, end, span_s), bucket_seconds
        ), bucket_seconds
    samples: list[Sample] = []
    at = start + timedelta(seconds=bucket_seconds)
    while at <= end:
        samples += [
            Sample(s.labels, s.value, s.samples, at)
            for s in rule.spec.fetch(store, rule_query(rule, at))
        ]
        at += timedelta(seconds=bucket_seconds)
    return samples, bucket_seconds
