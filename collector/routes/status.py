"""``GET /api/v1/status``: what the dashboard needs before it has a key."""

from __future__ import annotations

from fastapi import APIRouter

from chainsight import __version__

from .params import StateDep

router = APIRouter(prefix="/api/v1", tags=["status"])


@router.get("/status")
def status(state: StateDep) -> dict[str, object]:
    """Whether auth is on, the version and the number of stored spans (no key needed)."""
    return {
        "auth": state.auth.enabled,
        "version": __version__,
        "spans": state.store.stats().get("spans", 0),
    }
