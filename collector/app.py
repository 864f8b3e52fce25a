"""The collector's app factory.

``create_app(settings, store=None)`` builds the FastAPI app; its lifespan opens the
store (unless one is given), refuses open mode on a public address, seeds the price
table, starts the group-commit writer, the decode worker processes (``decode_workers``)
and the retention task — and on shutdown stops the workers and drains the writer (every
accepted span is committed) before closing what it opened.

>>> app = create_app(Settings(data_dir="/tmp/cs"))  # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=4318)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from chainsight import __version__
from chainsight.storage import Pricer, Store, UsageForPricing, open_store
from chainsight.storage.model import PriceEntry

from . import ingest as ingest_module
from .alerting.evaluator import start_alerting
from .auth import Authenticator, Principal, check_bind
from .batching import WriteQueue
from .decode_pool import DecodePool
from .errors import ConfigurationError, install_error_handlers
from .ingest import Ingest, decode_limits, make_decoder
from .retention import run_retention
from .routes import alerts as alerts_routes
from .routes import drift as drift_routes
from .routes import health, keys, metrics, pricing, query_metrics, sessions, status, traces, users
from .settings import Settings
from .state import CollectorState

log = logging.getLogger("chainsight.collector")


def open_configured_store(settings: Settings) -> Store:
    """Open the store the settings name, creating the data directory for DuckDB."""
    if settings.store_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_store(settings.store_url_resolved)


def _make_pricebook(entries: Sequence[PriceEntry]) -> Any:
    from .pricing import PriceBook

    return PriceBook(list(entries))


def _make_pricer(book: Any) -> Pricer:
    def price(usage: UsageForPricing) -> tuple[float | None, str | None]:
        cost, price_id = book.price(usage)
        return cost, price_id

    return price


def seed_prices(store: Store, settings: Settings) -> None:
    """Store the shipped defaults (unless edited through the API) and the pricing file."""
    from .pricing import load_default_prices, load_price_file

    existing = {entry.id: entry for entry in store.prices.list()}
    defaults = [
        e
        for e in load_default_prices()
        if e.id not in existing or existing[e.id].source == "default"
    ]
    store.prices.upsert(defaults)
    if settings.pricing_file is not None:
        try:
            entries = load_price_file(settings.pricing_file)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot load pricing file {settings.pricing_file}: {exc}"
            ) from exc
        store.prices.upsert([e.model_copy(update={"source": "file"}) for e in entries])


def untraced() -> dict[str, Any]:
    """``FastAPI(**untraced())``: no spans, metrics or logs of the app's own requests.

    FastAPI 0.16x traces every route through the *global* OpenTelemetry providers. In a
    process whose global provider exports to this collector (an app embedding it, a test, the
    demo), each ``POST /v1/traces`` would produce a span sent back to ``/v1/traces``: traffic
    feeding itself, and server spans mixed into the user's project. Older FastAPI releases
    have no ``telemetry`` argument and trace nothing, so nothing is passed to them.
    """
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    return {}


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The collector as an ASGI app; ``store`` overrides the one ``settings`` names."""
    counts = metrics.StatusCounts()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        active = open_configured_store(settings) if store is None else store
        try:
            check_bind(settings, active.keys.any_active())
            seed_prices(active, settings)
            queue = WriteQueue(
                active,
                max_spans=settings.queue_max_spans,
                batch_max_spans=settings.batch_max_spans,
                linger_seconds=settings.batch_linger_ms / 1000,
                retry_after=settings.retry_after_seconds,
            )
            auth = Authenticator(
                active.keys,
                require_keys=not settings.is_loopback and not settings.allow_open_remote,
            )
            limits = decode_limits(
                settings.max_spans_per_request,
                settings.max_attributes,
                settings.max_attribute_bytes,
                settings.max_attribute_depth,
            )
            pool = (
                DecodePool(
                    settings.decode_workers,
                    limits=limits,
                    max_body_bytes=settings.max_body_bytes,
                    pricebook=lambda: state.pricebook,
                    retry_after=settings.retry_after_seconds,
                )
                if settings.decode_workers
                else None
            )
            pipeline = Ingest(
                make_decoder(limits, lambda: state.pricebook),
                queue,
                max_body_bytes=settings.max_body_bytes,
                retry_after=settings.retry_after_seconds,
                offload=None if pool is None else pool.decode,
            )
            state = CollectorState(
                settings=settings,
                store=active,
                auth=auth,
                queue=queue,
                ingest=pipeline,
                make_pricebook=_make_pricebook,
                make_pricer=_make_pricer,
                status_counts=counts,
            )
            state.reload_prices()
            app.state.collector = state
            app.state.decode_pool = pool
            app.state.alerts = start_alerting(settings, active)
            queue.start()
            if pool is not None:
                pool.start()
            retention = (
                asyncio.create_task(run_retention(state)) if settings.retention_days else None
            )
            try:
                yield
            finally:
                if retention is not None:
                    retention.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await retention
                app.state.alerts.stop()
                if pool is not None:
                    pool.close()
                queue.stop()
        finally:
            if owned:
                active.close()

    app = FastAPI(
        title="Chainsight collector",
        version=__version__,
        description="OTLP/HTTP trace receiver and query API for LLM observability.",
        lifespan=lifespan,
        **untraced(),
    )
    install_error_handlers(app)
    app.add_middleware(metrics.StatusCounter, counts=counts)

    def get_state(request: Request) -> CollectorState:
        value: CollectorState = request.app.state.collector
        return value

    def get_principal(request: Request) -> Principal:
        return get_state(request).auth.authenticate(request.headers.get("authorization"))

    app.include_router(ingest_module.router(lambda r: get_state(r).ingest, get_principal))
    for module in (health, metrics, status, traces, sessions, users, query_metrics, pricing, keys):
        app.include_router(module.router)
    app.include_router(drift_routes.router)
    app.include_router(alerts_routes.router)
    return app
