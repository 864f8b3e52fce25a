"""Background retention: delete traces older than ``retention_days``.

Runs in the app's lifespan as one asyncio task; the delete itself runs in a worker
thread (``Store.prune`` is a blocking bulk delete) so ingest keeps flowing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import anyio

from chainsight.storage import StorageError

from .state import CollectorState

log = logging.getLogger("chainsight.collector.retention")


def prune_once(state: CollectorState, now: datetime | None = None) -> int:
    """Delete traces older than the retention window once; returns spans deleted."""
    days = state.settings.retention_days
    if days is None:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    deleted = state.store.prune(cutoff)
    state.retention_runs += 1
    state.retention_deleted += deleted
    if deleted:
        log.info("retention deleted %d spans older than %s", deleted, cutoff.isoformat())
    return deleted


async def run_retention(state: CollectorState) -> None:
    """Prune now, then every ``retention_interval_seconds``, until cancelled."""
    while True:
        try:
            await anyio.to_thread.run_sync(prune_once, state)
        except StorageError as exc:  # transient: try again next interval
            log.warning("retention prune failed: %s", exc)
        await asyncio.sleep(state.settings.retention_interval_seconds)
