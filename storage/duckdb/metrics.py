"""Metric series and summaries over raw spans: exact percentiles per (bucket, group).

Percentiles are ``quantile_cont`` over every span in the (bucket, group) — linear
interpolation between order statistics, numpy's default — never averages of averages. The
time window is a ``start_ns`` range, which the zonemaps (schema.sql) turn into a scan of the
row groups it overlaps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
from pydantic_core import to_json

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


def metric_points(con: duckdb.DuckDBPyConnection, q: MetricQuery) -> list[MetricPoint]:
    """One ``MetricPoint`` per non-empty (bucket, group), ordered by bucket then group."""
    return _points(_rows(con, q))


def metric_points_json(con: duckdb.DuckDBPyConnection, q: MetricQuery) -> bytes:
    """``metric_points`` encoded as the JSON of ``list[MetricPoint]``, without building models.

    A day by minute by model is ~10k points: as pydantic models they cost ~220 ms to build
    and ~60 ms more to dump, against ~40 ms for plain dicts and ~40 ms for
    ``pydantic_core.to_json`` (docs/benchmarks.md, "Queries at 1M and 10M spans"). The test
    suite checks the bytes validate to exactly ``metric_points``'s result.
    """
    return to_json(_dicts(_rows(con, q)), inf_nan_mode="null")


def _rows(con: duckdb.DuckDBPyConnection, q: MetricQuery) -> list[tuple[Any, ...]]:
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
    # One GROUP BY computing all three quantile lists. With DuckDB 2.0 this cost 99 ms CPU
    # for 10k groups (a day by minute by model at 1M spans) against 163 ms for the former
    # plan of one GROUP BY per quantile joined back (docs/benchmarks.md, "Queries at 1M and
    # 10M spans").
    sql = f"""
    SELECT bk, grp, n, errors,
           lat[1], lat[2], lat[3], lat[4], lat_mean, lat_max,
           ttft[1], ttft[2], ttft[3], ttft[4], ttft_mean, ttft_max,
           tpot[1], tpot[2], tpot[3], tpot[4], tpot_mean, tpot_max,
           input_tokens, output_tokens, total_tokens, tokens_per_s, cost, unpriced
    FROM (
        SELECT bk, grp, count(*) AS n, count(*) FILTER (WHERE status = 'error') AS errors,
               {_pct("duration_ms", "lat")}, {_pct("ttft_ms", "ttft")}, {_pct("tpot_ms", "tpot")},
               coalesce(sum(input_tokens), 0) AS input_tokens,
               coalesce(sum(output_tokens), 0) AS output_tokens,
               coalesce(sum(coalesce(total_tokens,
                   coalesce(input_tokens, 0) + coalesce(output_tokens, 0))), 0) AS total_tokens,
               sum(output_tokens) FILTER (WHERE output_tokens > 0)
                   / nullif(sum(duration_ms) FILTER (WHERE output_tokens > 0) / 1000.0, 0)
                   AS tokens_per_s,
               sum(cost) AS cost,
               count(*) FILTER (WHERE model IS NOT NULL AND cost IS NULL) AS unpriced
        FROM (
            SELECT {bucket} AS bk, {group} AS grp, s.status, s.duration_ms, s.ttft_ms,
                   s.tpot_ms, s.input_tokens, s.output_tokens, s.total_tokens, s.cost, s.model
            FROM spans s WHERE {" AND ".join(conds)}
        ) base
        GROUP BY bk, grp
    ) agg
    ORDER BY bk NULLS FIRST, grp NULLS FIRST
    """
    return con.execute(sql, params).fetchall()


def _pct(col: str, name: str) -> str:
    return (
        f"quantile_cont({col}, {_QUANTILES}) AS {name}, avg({col}) AS {name}_mean,"
        f" max({col}) AS {name}_max"
    )


def _points(rows: list[tuple[Any, ...]]) -> list[MetricPoint]:
    # A day by minute by model is ~10k points; each bucket's datetime is built once.
    starts: dict[int | None, datetime | None] = {None: None}
    out = []
    for r in rows:
        start = starts.get(r[0])
        if start is None and r[0] is not None:
            start = starts[r[0]] = from_ns(r[0])
        requests, errors = r[2], r[3]
        out.append(
            MetricPoint(
                bucket_start=start,
                group=r[1],
                requests=requests,
                errors=errors,
                error_rate=errors / requests if requests else None,
                latency_ms=_percentiles(r[4:10]),
                ttft_ms=_percentiles(r[10:16]),
                tpot_ms=_percentiles(r[16:22]),
                input_tokens=r[22],
                output_tokens=r[23],
                total_tokens=r[24],
                tokens_per_s=r[25],
                cost=r[26],
                unpriced=r[27],
            )
        )
    return out


def _dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    # The same fields as MetricPoint, in its order; bucket starts as pydantic writes UTC
    # datetimes ("...Z"), each built once.
    starts: dict[int | None, str | None] = {None: None}
    out = []
    for r in rows:
        start = starts.get(r[0])
        if start is None and r[0] is not None:
            start = starts[r[0]] = from_ns(r[0]).isoformat().replace("+00:00", "Z")
        requests, errors = r[2], r[3]
        out.append(
            {
                "bucket_start": start,
                "group": r[1],
                "requests": requests,
                "errors": errors,
                "error_rate": errors / requests if requests else None,
                "latency_ms": dict(zip(_STATS, r[4:10], strict=True)),
                "ttft_ms": dict(zip(_STATS, r[10:16], strict=True)),
                "tpot_ms": dict(zip(_STATS, r[16:22], strict=True)),
                "input_tokens": r[22],
                "output_tokens": r[23],
                "total_tokens": r[24],
                "tokens_per_s": r[25],
                "cost": r[26],
                "unpriced": r[27],
            }
        )
    return out


_STATS = ("p50", "p90", "p95", "p99", "mean", "max")


def _percentiles(v: tuple[Any, ...]) -> Percentiles:
    # The SQL unpacks the quantile lists: scalar columns convert to Python faster.
    return Percentiles(p50=v[0], p90=v[1], p95=v[2], p99=v[3], mean=v[4], max=v[5])
