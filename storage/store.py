"""The ``Store`` protocol: everything the collector may ask of storage.

Backends (``chainsight.storage.duckdb`` now, ClickHouse later) implement it; the
collector and its tests see only this protocol and the types in ``model``. No SQL,
DataFrames or driver types cross it. Errors from drivers are raised as
``StorageError`` (see ``chainsight.storage.errors``).

Writes are durable when ``write_spans`` returns: the collector acknowledges an OTLP
request only after the write holding its spans has returned.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from .model import (
    AlertInstance,
    AlertNotification,
    AlertRuleRow,
    AlertTransition,
    ApiKeyInfo,
    DriftSample,
    MetricPoint,
    MetricQuery,
    PriceEntry,
    ReferencePeriod,
    SessionSummary,
    Silence,
    SpanRecord,
    StoredKey,
    TraceFilter,
    TracePage,
    TraceSort,
    TraceTree,
    UnpricedModel,
    UserSummary,
    WriteResult,
)


@dataclass(frozen=True, slots=True)
class UsageForPricing:
    """The facts a pricer needs about one stored span (for re-pricing past spans)."""

    provider: str | None
    model: str | None
    start_ns: int
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None


Pricer = Callable[[UsageForPricing], tuple[float | None, str | None]]
"""Returns (cost in USD or None when unpriced, price entry id) for a span's usage."""


@runtime_checkable
class PriceStore(Protocol):
    """Pricing table kept beside the spans."""

    def list(self) -> builtins.list[PriceEntry]: ...
    def upsert(self, entries: Sequence[PriceEntry]) -> None: ...
    def delete(self, price_id: str) -> bool: ...
    def unpriced_models(self, project: str | None = None) -> builtins.list[UnpricedModel]: ...


@runtime_checkable
class KeyStore(Protocol):
    """Per-project API keys; only salted hashes are stored."""

    def add(self, key: StoredKey, name: str | None, masked: str) -> ApiKeyInfo: ...
    def list(self, project: str | None = None) -> builtins.list[ApiKeyInfo]: ...
    def revoke(self, key_id: str) -> bool: ...
    def lookup(self, key_id: str) -> StoredKey | None: ...
    def any_active(self) -> bool: ...


@runtime_checkable
class AlertStore(Protocol):
    """Alerting state beside the spans: rules, instances, transitions, silences, deliveries.

    Small tables written by the collector's alert evaluator; every method is one short
    transaction, so a crash never leaves an instance without its transition.
    """

    def list_rules(self) -> builtins.list[AlertRuleRow]: ...
    def put_rule(self, rule: AlertRuleRow) -> None: ...
    def delete_rule(self, name: str) -> bool: ...
    def list_instances(self, rule: str | None = None) -> builtins.list[AlertInstance]: ...
    def save_evaluation(
        self, instances: Sequence[AlertInstance], transitions: Sequence[AlertTransition]
    ) -> None:
        """Upsert instances (by rule + fingerprint) and append transitions, atomically."""
        ...

    def delete_instances(self, rule: str) -> int: ...
    def list_transitions(
        self, rule: str | None = None, since: datetime | None = None, limit: int = 500
    ) -> builtins.list[AlertTransition]:
        """Newest first."""
        ...

    def list_silences(self) -> builtins.list[Silence]: ...
    def put_silence(self, silence: Silence) -> None: ...
    def delete_silence(self, silence_id: str) -> bool: ...
    def put_notification(self, notification: AlertNotification) -> None:
        """Insert or replace by id (the dedupe key)."""
        ...

    def list_notifications(
        self, delivery: str | None = None, limit: int = 500
    ) -> builtins.list[AlertNotification]:
        """Newest first; ``delivery`` filters by delivery state (e.g. ``pending``)."""
        ...


@runtime_checkable
class ReferenceStore(Protocol):
    """Saved drift reference periods, named per project (``None`` = no project)."""

    def list(self, project: str | None = None) -> builtins.list[ReferencePeriod]: ...
    def get(self, name: str, project: str | None = None) -> ReferencePeriod | None: ...
    def put(self, period: ReferencePeriod) -> ReferencePeriod: ...
    def delete(self, name: str, project: str | None = None) -> bool: ...


@runtime_checkable
class Store(Protocol):
    """A span store. One instance per process; methods are thread-safe."""

    prices: PriceStore
    keys: KeyStore
    references: ReferenceStore
    alerts: AlertStore

    def write_spans(self, spans: Sequence[SpanRecord]) -> WriteResult:
        """Insert spans in one transaction, ignoring (trace_id, span_id) already stored."""
        ...

    def list_traces(
        self,
        filter: TraceFilter,
        sort: TraceSort = "start_desc",
        limit: int = 50,
        cursor: str | None = None,
    ) -> TracePage: ...

    def get_trace(self, trace_id: str, project: str | None = None) -> TraceTree | None: ...

    def list_projects(self) -> list[str]:
        """The projects that have stored traces, sorted; cheap (no span scan)."""
        ...

    def list_sessions(
        self, filter: TraceFilter, limit: int = 50, offset: int = 0
    ) -> list[SessionSummary]: ...

    def list_users(
        self, filter: TraceFilter, limit: int = 50, offset: int = 0
    ) -> list[UserSummary]: ...

    def metrics(self, query: MetricQuery) -> list[MetricPoint]: ...

    def metrics_json(self, query: MetricQuery) -> bytes:
        """The JSON of ``list[MetricPoint]`` for ``metrics(query)``, what the API sends.

        A backend may build it without pydantic models (10k points as models cost more
        than the query itself); it must validate to exactly ``metrics(query)``.
        """
        ...

    def reprice(self, pricer: Pricer, filter: TraceFilter) -> int:
        """Recompute cost of stored spans without an explicit cost; returns rows changed."""
        ...

    def prune(self, older_than: datetime) -> int:
        """Delete traces whose root started before ``older_than``; returns spans deleted."""
        ...

    def drift_sample(
        self,
        filter: TraceFilter,
        start: datetime,
        end: datetime,
        columns: Sequence[str],
        limit: int,
        *,
        seed: int = 0,
        kind: str | None = None,
    ) -> DriftSample:
        """A uniform sample (at most ``limit`` rows, drawn inside the database) of the spans
        starting in ``[start, end)`` that match ``filter`` and ``kind``; ``filter.start`` and
        ``filter.end`` are ignored. Columns: see the backend's whitelist."""
        ...

    def stats(self) -> dict[str, int]:
        """Counters for /metrics: at least ``spans`` and ``bytes`` (storage size)."""
        ...

    def close(self) -> None: ...
