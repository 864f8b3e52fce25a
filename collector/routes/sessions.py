"""Session routes: traces grouped by session id."""

from __future__ import annotations

from fastapi import APIRouter

from chainsight.storage.model import SessionSummary, TracePage

from ..errors import NotFound
from .params import Filter, Limit, Offset, StoreDep

router = APIRouter(prefix="/api/v1", tags=["sessions"])


@router.get("/sessions", response_model=list[SessionSummary])
def list_sessions(
    store: StoreDep, filter: Filter, limit: Limit = 50, offset: Offset = 0
) -> list[SessionSummary]:
    """Sessions whose traces match the filters, most recent first."""
    return store.list_sessions(filter, limit=limit, offset=offset)


@router.get("/sessions/{session_id}", response_model=TracePage)
def get_session(session_id: str, store: StoreDep, filter: Filter, limit: Limit = 1000) -> TracePage:
    """The session's traces in start order (ascending)."""
    page = store.list_traces(
        filter.model_copy(update={"session_id": session_id}), sort="start_asc", limit=limit
    )
    if not page.items:
        raise NotFound(f"session {session_id} not found")
    return page
