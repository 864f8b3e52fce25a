"""Metric series and summaries over raw spans: exact percentiles per (bucket, group).

Percentiles are ``quantile_cont`` over every span in the (bucket, group) — linear
interpolation between order statistics, numpy's default — never averages of averages. The
time window is a ``start_ns`` range, which the zonemaps (schema.sql) turn into a scan of the
row groups it overlaps.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..errors import InvalidQuery
from ..model import MetricPoint, MetricQuery, Percentiles
from .filters import span_predicate
from .timestamps import from_ns, to_ns

# Whitelisted group-by expressions over spans s; tag fans a span out to each of its tags
# (untagged spans form the NULL group).
GROUPS: dict[str, str] = {
    "model": "s.model",
    "name": "s.name",
    "kind": "s.kind",
    "service": "s.service",
    "user": "s.user_id",
    "provider": "s.provider",
    "project": "s.project",
    "tag": "unnest(CASE WHEN len(s.tags) = 0 THEN [NULL::VARCHAR] ELSE s.tags END)",
}

MAX_BUCKETS = 100_000
_QUANTILES = "[0.5, 0.9, 0.95, 0.99]"


def _pct(col: str) -> str:
    # One holistic aggregate per GROUP BY, joined back: with all three quantile lists in one
    # parallel GROUP BY, combining the per-thread states cost 346 ms for 10k groups at 1M
    # spans; split, 55 ms (docs/storage.md, "metrics").
    return (
        f"(SELECT bk, grp, quantile_cont({col}, {_QUANTILES}) AS q, avg({col}) AS m,"
        f" max({col}) AS x FROM base GROUP BY bk, grp)"
    )


def _same(alias: str) -> str:
    return f"{alias}.bk IS NOT DISTINCT FROM agg.bk AND {alias}.grp IS NOT DISTINCT FROM agg.grp"


def metric_points(con: duckdb.DuckDBPyConnection, q: MetricQuery) -> list[MetricPoint]:
    """One ``MetricPoint`` per non-empty (bucket, group), ordered by bucket then group."""
    start, end = to_ns(q.start), to_ns(q.end)
    if end <= start:
        raise InvalidQuery("metric end must be after start")
    if q.group_by is not None and q.group_by not in GROUPS:
        raise InvalidQuery(f"unknown group_by {q.group_by!r}; one of {', '.join(GROUPS)}")
    params: list[Any] = []
    if q.bucket_seconds is not None:
        if q.bucket_seconds <= 0:
            raise InvalidQuery("bucket_seconds must be positive")
        if (end - start) // (q.bucket_seconds * 1_000_000_000) > MAX_BUCKETS:
            raise InvalidQuery(f"more than {MAX_BUCKETS} buckets; widen bucket_seconds")
        bucket_ns = q.bucket_seconds * 1_000_000_000
        bucket = "(s.start_ns // ?) * ?"
        params += [bucket_ns, bucket_ns]
    else:
        bucket = "NULL::BIGINT"
    group = GROUPS[q.group_by] if q.group_by is not None else "NULL::VARCHAR"
    where, where_params = span_predicate(q.filter)
    conds = ["s.start_ns >= ?", "s.start_ns < ?", where]
    params += [start, end, *where_params]
    if q.kind is not None:
        conds.append("s.kind = ?")
        params.append(q.kind)
    sql = f"""
    WITH base AS MATERIALIZED (
        SELECT {bucket} AS bk, {group} AS grp, s.status, s.duration_ms, s.ttft_ms,
               s.tpot_ms, s.input_tokens, s.output_tokens, s.total_tokens, s.cost, s.model
        FROM spans s WHERE {" AND ".join(conds)}
    ),
    agg AS (
        SELECT bk, grp, count(*) AS n, count(*) FILTER (WHERE status = 'error') AS errors,
               coalesce(sum(input_tokens), 0) AS input_tokens,
               coalesce(sum(output_tokens), 0) AS output_tokens,
               coalesce(sum(coalesce(total_tokens,
                   coalesce(input_tokens, 0) + coalesce(output_tokens, 0))), 0) AS total_tokens,
               sum(output_tokens) FILTER (WHERE output_tokens > 0)
                   / nullif(sum(duration_ms) FILTER (WHERE output_tokens > 0) / 1000.0, 0)
                   AS tokens_per_s,
               sum(cost) AS cost,
               count(*) FILTER (WHERE model IS NOT NULL AND cost IS NULL) AS unpriced
        FROM base GROUP BY bk, grp
    )
    SELECT agg.bk, agg.grp, agg.n, agg.errors, l.q, l.m, l.x, t.q, t.m, t.x, p.q, p.m, p.x,
           agg.input_tokens, agg.output_tokens, agg.total_tokens, agg.tokens_per_s, agg.cost,
           agg.unpriced
    FROM agg
    JOIN {_pct("duration_ms")} l ON {_same("l")}
    JOIN {_pct("ttft_ms")} t ON {_same("t")}
    JOIN {_pct("tpot_ms")} p ON {_same("p")}
    ORDER BY agg.bk NULLS FIRST, agg.grp NULLS FIRST
    """
    return [_point(r) for r in con.execute(sql, params).fetchall()]


def _percentiles(qs: list[float] | None, mean: float | None, top: float | None) -> Percentiles:
    if qs is None:
        return Percentiles(p50=None, p90=None, p95=None, p99=None, mean=None, max=None)
    return Percentiles(p50=qs[0], p90=qs[1], p95=qs[2], p99=qs[3], mean=mean, max=top)


def _point(r: tuple[Any, ...]) -> MetricPoint:
    requests, errors = r[2], r[3]
    return MetricPoint(
        bucket_start=None if r[0] is None else from_ns(r[0]),
        group=r[1],
        requests=requests,
        errors=errors,
        error_rate=errors / requests if requests else None,
        latency_ms=_percentiles(r[4], r[5], r[6]),
        ttft_ms=_percentiles(r[7], r[8], r[9]),
        tpot_ms=_percentiles(r[10], r[11], r[12]),
        input_tokens=r[13],
        output_tokens=r[14],
        total_tokens=r[15],
        tokens_per_s=r[16],
        cost=r[17],
        unpriced=r[18],
    )
