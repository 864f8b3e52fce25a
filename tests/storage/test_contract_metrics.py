"""Contract: metrics are exact per (bucket, group), checked against numpy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import TypeAdapter

from chainsight.storage.errors import InvalidQuery
from chainsight.storage.model import MetricPoint, MetricQuery, TraceFilter
from chainsight.storage.store import Store

from .storage_fixtures import span

BASE = datetime(2025, 6, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _llm_spans(n: int = 200) -> list:  # type: ignore[type-arg]
    rng = random.Random(5)
    out = []
    for i in range(n):
        start = rng.randrange(0, 120_000)  # two minutes
        dur = rng.randrange(50, 5000)
        out.append(
            span(
                f"{i:04x}",
                "1",
                kind="llm",
                start_ms=start,
                end_ms=start + dur,
                model=rng.choice(["m1", "m2"]),
                ttft_ms=rng.lognormvariate(5, 0.6),
                tpot_ms=None if i % 7 == 0 else rng.uniform(5, 30),
                status="error" if i % 10 == 0 else "ok",
                input_tokens=100,
                output_tokens=i % 50,
                cost=None if i % 9 == 0 else 0.001,
                tags=("a", "b") if i % 3 == 0 else ("a",) if i % 3 == 1 else (),
            )
        )
    return out


def _pcts(values: list[float]) -> list[float]:
    return [float(np.percentile(values, q)) for q in (50, 90, 95, 99)]


def test_summary_percentiles_match_numpy(store: Store) -> None:
    """p50/p90/p95/p99, mean and max of latency, TTFT and TPOT equal numpy's over raw rows."""
    spans = _llm_spans()
    store.write_spans(spans)
    (point,) = store.metrics(MetricQuery(start=BASE, end=BASE + HOUR))
    for got, attr in (
        (point.latency_ms, "duration_ms"),
        (point.ttft_ms, "ttft_ms"),
        (point.tpot_ms, "tpot_ms"),
    ):
        values = [getattr(s, attr) for s in spans if getattr(s, attr) is not None]
        assert [got.p50, got.p90, got.p95, got.p99] == pytest.approx(_pcts(values), rel=1e-9)
        assert got.mean == pytest.approx(float(np.mean(values)), rel=1e-9)
        assert got.max == max(values)
    assert (point.requests, point.errors, point.error_rate) == (200, 20, 0.1)


def test_bucketed_grouped_percentiles_match_numpy(store: Store) -> None:
    """Per-minute, per-model p95 TTFT equals numpy's over exactly that bucket's spans."""
    spans = _llm_spans()
    store.write_spans(spans)
    q = MetricQuery(start=BASE, end=BASE + HOUR, bucket_seconds=60, group_by="model")
    points = store.metrics(q)
    assert len(points) == 4
    for p in points:
        assert p.bucket_start is not None
        minute = int((p.bucket_start - BASE).total_seconds() // 60)
        values = [
            s.ttft_ms
            for s in spans
            if s.model == p.group and (s.start_ns // 10**9 - int(BASE.timestamp())) // 60 == minute
        ]
        assert p.requests == len(values)
        assert p.ttft_ms.p95 == pytest.approx(float(np.percentile(values, 95)), rel=1e-9)


def test_group_by_tag_counts_a_span_once_per_tag(store: Store) -> None:
    """Grouping by tag fans spans out to each tag; untagged spans form the None group."""
    spans = _llm_spans(30)
    store.write_spans(spans)
    points = store.metrics(MetricQuery(start=BASE, end=BASE + HOUR, group_by="tag"))
    counts = {p.group: p.requests for p in points}
    assert counts == {None: 10, "a": 20, "b": 10}


def test_tokens_cost_and_unpriced(store: Store) -> None:
    """Token sums, tokens/s, priced cost and the unpriced count are exact."""
    spans = _llm_spans(50)
    store.write_spans(spans)
    (p,) = store.metrics(MetricQuery(start=BASE, end=BASE + HOUR))
    out = [s for s in spans if s.output_tokens]
    assert (p.input_tokens, p.output_tokens) == (5000, sum(s.output_tokens or 0 for s in spans))
    assert p.total_tokens == p.input_tokens + p.output_tokens
    expected_tps = sum(s.output_tokens or 0 for s in out) / (sum(s.duration_ms for s in out) / 1e3)
    assert p.tokens_per_s == pytest.approx(expected_tps)
    unpriced = [s for s in spans if s.cost is None]
    assert p.unpriced == len(unpriced)
    assert p.cost == pytest.approx(0.001 * (50 - len(unpriced)))


def test_kind_and_filter_restrict_spans(loaded: Store) -> None:
    """kind= keeps only that span kind; filter fields apply to each span."""
    q = MetricQuery(start=BASE, end=BASE + HOUR, kind="llm", group_by="project")
    assert {p.group: p.requests for p in loaded.metrics(q)} == {"alpha": 4, "beta": 1}
    q2 = MetricQuery(start=BASE, end=BASE + HOUR, filter=TraceFilter(model="gpt-4o"))
    assert [p.requests for p in loaded.metrics(q2)] == [3]


def test_empty_window_has_no_points(loaded: Store) -> None:
    """A window without spans returns no rows."""
    assert loaded.metrics(MetricQuery(start=BASE - HOUR, end=BASE)) == []


def test_percentiles_are_none_without_values(loaded: Store) -> None:
    """A group whose spans carry no TTFT has None percentiles, not zeros."""
    (p,) = loaded.metrics(MetricQuery(start=BASE, end=BASE + HOUR, kind="tool"))
    assert p.ttft_ms.p95 is None and p.ttft_ms.mean is None


@pytest.mark.parametrize(
    "q",
    [
        MetricQuery(start=BASE, end=BASE),
        MetricQuery(start=BASE, end=BASE + HOUR, bucket_seconds=0),
        MetricQuery(start=BASE, end=BASE + 1000 * HOUR, bucket_seconds=1),
        # Bypasses pydantic's Literal check: the store must refuse it on its own.
        MetricQuery.model_construct(
            filter=TraceFilter(),
            start=BASE,
            end=BASE + HOUR,
            bucket_seconds=None,
            group_by="nope",
            kind=None,
        ),
    ],
)
def test_bad_metric_query_is_invalid(loaded: Store, q: MetricQuery) -> None:
    """Empty windows, bad buckets and unknown groups raise InvalidQuery."""
    with pytest.raises(InvalidQuery):
        loaded.metrics(q)


_POINTS = TypeAdapter(list[MetricPoint])


@pytest.mark.parametrize(
    "q",
    [
        MetricQuery(start=BASE, end=BASE + HOUR),
        MetricQuery(start=BASE, end=BASE + HOUR, bucket_seconds=60, group_by="model"),
        MetricQuery(start=BASE, end=BASE + HOUR, bucket_seconds=7, group_by="tag"),
        MetricQuery(start=BASE, end=BASE + HOUR, kind="llm", group_by="user"),
        MetricQuery(start=BASE - HOUR, end=BASE, bucket_seconds=60),
    ],
)
def test_metrics_json_is_metrics_encoded(store: Store, q: MetricQuery) -> None:
    """metrics_json (what the API sends) is byte for byte pydantic's encoding of metrics()."""
    store.write_spans(_llm_spans())
    body = store.metrics_json(q)
    assert body == _POINTS.dump_json(store.metrics(q))
    assert _POINTS.validate_json(body) == store.metrics(q)


def test_metrics_json_refuses_bad_queries(loaded: Store) -> None:
    """The JSON path validates like metrics()."""
    with pytest.raises(InvalidQuery):
        loaded.metrics_json(MetricQuery(start=BASE, end=BASE))
