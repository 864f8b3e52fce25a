"""``GET /healthz``: liveness for load balancers and tests (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter

from chainsight import __version__

from .params import StateDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(state: StateDep) -> dict[str, object]:
    """Answers from the event loop without touching storage, so it reflects liveness only."""
    return {
        "status": "ok",
        "version": __version__,
        "queue_depth": state.queue.depth,
        "queue_capacity": state.queue.capacity,
    }
