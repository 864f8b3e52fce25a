"""Dependencies shared by the query routes: the caller, the store and the trace filter.

The project a request may see is decided here once (``Principal.scope``), so no route
can forget to confine an API key to its project.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from chainsight.storage import Store
from chainsight.storage.model import SpanStatus, TraceFilter

from ..auth import Principal
from ..state import CollectorState


def state(request: Request) -> CollectorState:
    """The running collector's parts (set by the app's lifespan)."""
    value: CollectorState = request.app.state.collector
    return value


def principal(request: Request) -> Principal:
    """The authenticated caller (401 when a key is required and missing or wrong)."""
    return state(request).auth.authenticate(request.headers.get("authorization"))


def store(request: Request) -> Store:
    return state(request).store


def trace_filter(  # noqa: PLR0917  # FastAPI reads one query parameter per argument
    caller: Annotated[Principal, Depends(principal)],
    project: Annotated[str | None, Query(description="project name")] = None,
    start: Annotated[
        datetime | None, Query(description="RFC 3339; traces starting at/after")
    ] = None,
    end: Annotated[datetime | None, Query(description="RFC 3339; traces starting before")] = None,
    status: Annotated[SpanStatus | None, Query()] = None,
    model: Annotated[str | None, Query()] = None,
    name: Annotated[str | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
    service: Annotated[str | None, Query()] = None,
    user_id: Annotated[str | None, Query()] = None,
    session_id: Annotated[str | None, Query()] = None,
    tag: Annotated[str | None, Query()] = None,
    min_latency_ms: Annotated[float | None, Query(ge=0)] = None,
    max_latency_ms: Annotated[float | None, Query(ge=0)] = None,
    min_cost: Annotated[float | None, Query(ge=0)] = None,
    search: Annotated[str | None, Query(max_length=1000)] = None,
) -> TraceFilter:
    """The common trace filters of every list and metric route, project-scoped."""
    return TraceFilter(
        project=caller.scope(project),
        start=start,
        end=end,
        status=status,
        model=model,
        name=name,
        kind=kind,
        service=service,
        user_id=user_id,
        session_id=session_id,
        tag=tag,
        min_latency_ms=min_latency_ms,
        max_latency_ms=max_latency_ms,
        min_cost=min_cost,
        search=search,
    )


Caller = Annotated[Principal, Depends(principal)]
StoreDep = Annotated[Store, Depends(store)]
StateDep = Annotated[CollectorState, Depends(state)]
Filter = Annotated[TraceFilter, Depends(trace_filter)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]
