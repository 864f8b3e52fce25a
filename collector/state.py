"""The running collector's parts, built by the app's lifespan and read by the routes."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chainsight.storage import Pricer, Store
from chainsight.storage.model import PriceEntry

from .auth import Authenticator
from .batching import WriteQueue
from .ingest import Ingest
from .settings import Settings


@dataclass
class CollectorState:
    """Everything a request may need; one per app, never module-global."""

    settings: Settings
    store: Store
    auth: Authenticator
    queue: WriteQueue
    ingest: Ingest
    make_pricebook: Callable[[Sequence[PriceEntry]], Any]
    """Builds a ``collector.pricing.PriceBook`` from price entries."""
    make_pricer: Callable[[Any], Pricer]
    """Adapts a price book to the store's ``Pricer`` (for re-pricing stored spans)."""
    pricebook: Any = None
    """The price book ingest uses; replaced whole (never mutated) when prices change."""
    started_at: float = field(default_factory=time.time)
    status_counts: Any = None
    """``routes.metrics.StatusCounts`` filled by the status-counting middleware."""
    retention_runs: int = 0
    retention_deleted: int = 0

    def reload_prices(self) -> None:
        """Rebuild the price book from the store after an edit; ingest sees it at once."""
        self.pricebook = self.make_pricebook(self.store.prices.list())

    def pricer(self) -> Pricer:
        return self.make_pricer(self.pricebook)
