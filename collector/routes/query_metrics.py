"""``GET /api/v1/metrics``: latency, TTFT, TPOT, counts, tokens and cost series."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from chainsight.storage.model import GroupBy, MetricPoint, MetricQuery

from ..errors import BadRequest
from .params import Filter, StoreDep

router = APIRouter(prefix="/api/v1", tags=["metrics"])


@router.get("/metrics", response_model=list[MetricPoint])
def metric_series(
    store: StoreDep,
    filter: Filter,
    bucket_seconds: Annotated[int | None, Query(ge=1, le=366 * 86400)] = None,
    group_by: Annotated[GroupBy | None, Query()] = None,
    span_kind: Annotated[str | None, Query()] = None,
) -> Response:
    """Aggregates over spans in [start, end): per bucket when ``bucket_seconds`` is given,
    else one summary row per group. ``start`` and ``end`` are required here.

    The body is the store's own JSON encoding (``Store.metrics_json``): a day by minute by
    model is ~10k points, and building and re-serializing them as models took longer than
    the query. ``response_model`` still documents the shape."""
    start: datetime | None = filter.start
    end: datetime | None = filter.end
    if start is None or end is None:
        raise BadRequest("start and end are required for metrics")
    if end <= start:
        raise BadRequest("end must be after start")
    if bucket_seconds is not None and (end - start).total_seconds() / bucket_seconds > 100_000:
        raise BadRequest("too many buckets: widen bucket_seconds or narrow the range")
    query = MetricQuery(
        filter=filter.model_copy(update={"start": None, "end": None}),
        start=start,
        end=end,
        bucket_seconds=bucket_seconds,
        group_by=group_by,
        kind=span_kind,
    )
    return Response(store.metrics_json(query), media_type="application/json")
