"""Session routes: traces grouped by session id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chainsight.storage.model import SessionSummary, TraceFilter, TracePage

from ..errors import NotFound
from .params import Caller, Filter, Limit, Offset, StoreDep

router = APIRouter(prefix="/api/v1", tags=["sessions"])


@router.get("/sessions", response_model=list[SessionSummary])
def list_sessions(
    store: StoreDep, filter: Filter, limit: Limit = 50, offset: Offset = 0
) -> list[SessionSummary]:
    """Sessions whose traces match the filters, most recent first."""
    return store.list_sessions(filter, limit=limit, offset=offset)


@router.get("/sessions/{session_id}", response_model=TracePage)
def get_session(
    session_id: str,
    caller: Caller,
    store: StoreDep,
    project: Annotated[str | None, Query()] = None,
    limit: Limit = 1000,
) -> TracePage:
    """The session's traces in start order (ascending)."""
    filter = TraceFilter(project=caller.scope(project), session_id=session_id)
    page = store.list_traces(filter, sort="start_asc", limit=limit)
    if not page.items:
        raise NotFound(f"session {session_id} not found")
    return page
