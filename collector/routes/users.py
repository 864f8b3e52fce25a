"""User routes: activity per end-user id."""

from __future__ import annotations

from fastapi import APIRouter

from chainsight.storage.model import UserSummary

from .params import Filter, Limit, Offset, StoreDep

router = APIRouter(prefix="/api/v1", tags=["users"])


@router.get("/users", response_model=list[UserSummary])
def list_users(
    store: StoreDep, filter: Filter, limit: Limit = 50, offset: Offset = 0
) -> list[UserSummary]:
    """End-users whose traces match the filters."""
    return store.list_users(filter, limit=limit, offset=offset)
