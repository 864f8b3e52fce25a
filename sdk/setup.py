"""``chainsight.init()``, ``flush()``, ``shutdown()`` and the export counters.

Which ``TracerProvider`` carries our spans, decided once per ``init()``:

1. ``tracer_provider=`` given: use it, add our processor, touch no OTel global (tests, apps
   that manage their own provider explicitly).
2. The app already set an OTel SDK ``TracerProvider`` globally: add our processor to *it*, so
   its resource, sampler and other processors stay as the app configured them (our
   ``sample_rate`` does not apply there; the exporter still stamps ``chainsight.project``).
3. Otherwise: build our own provider (resource with ``service.name`` and the project, a
   parent-based trace-id-ratio sampler) and install it as the global provider, so spans from
   any third-party OTel instrumentation are exported with ours.

``init()`` is idempotent: calling it again with the same export settings only refreshes the
content settings (capture, scrubbing, redaction, value cap); different export settings close
the previous pipeline (flushing it within 5 s) and start a new one on the same provider.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import (
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from . import semconv
from ._runtime import INSTRUMENTATION_NAME, RUNTIME
from .config import Config, Redactor, resolve
from .export import OTLPHTTPExporter
from .processor import ExportStats, QueueingSpanProcessor

_logger = logging.getLogger("chainsight")

VERSION = "0.1.0"


class RatioSampler(Sampler):
    """Trace-id ratio sampling whose ratio a later ``init()`` may change on our own provider."""

    def __init__(self, rate: float) -> None:
        self._inner = TraceIdRatioBased(rate)

    def set_rate(self, rate: float) -> None:
        """Swap the ratio (one reference assignment: safe against concurrent sampling)."""
        self._inner = TraceIdRatioBased(rate)

    def should_sample(  # noqa: PLR0917 (the OTel Sampler signature)
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        """Delegate to OTel's ``TraceIdRatioBased`` (deterministic in the trace id)."""
        return self._inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        """Shown by OTel tooling."""
        return f"Chainsight{self._inner.get_description()}"


def build_tracer_provider(
    config: Config,
    *,
    id_generator: IdGenerator | None = None,
    shutdown_on_exit: bool = True,
) -> tuple[TracerProvider, RatioSampler]:
    """Our own provider: resource (service + project) and parent-based ratio sampling.

    >>> provider, _ = build_tracer_provider(resolve({}, sample_rate=0.5), shutdown_on_exit=False)
    >>> provider.resource.attributes["chainsight.project"]
    'default'
    """
    attributes: dict[str, str] = dict(config.resource_attributes)
    attributes[semconv.SERVICE_NAME] = config.service_name
    for key in semconv.PROJECT_ALIASES:
        attributes[key] = config.project
    ratio = RatioSampler(config.sample_rate)
    provider = TracerProvider(
        resource=Resource.create(attributes),
        sampler=ParentBased(root=ratio),
        id_generator=id_generator,
        shutdown_on_exit=shutdown_on_exit,
    )
    return provider, ratio


@dataclass(slots=True)
class _Pipeline:
    key: tuple[object, ...]
    provider: TracerProvider
    processor: QueueingSpanProcessor
    tracer: trace.Tracer


class _State:
    """What init() built; guarded by one lock (init/shutdown are rare, never per call)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pipeline: _Pipeline | None = None
        self.last_stats = ExportStats()
        self.own_provider: TracerProvider | None = None
        self.own_sampler: RatioSampler | None = None


_STATE = _State()


def _export_key(config: Config, provider: object, exporter: object) -> tuple[object, ...]:
    return (
        config.project,
        config.traces_endpoint,
        config.api_key,
        config.headers,
        config.export_timeout,
        config.service_name,
        config.resource_attributes,
        config.sample_rate,
        config.max_queue_size,
        config.max_export_batch_size,
        config.schedule_delay,
        config.retry_budget,
        id(provider) if provider is not None else None,
        id(exporter) if exporter is not None else None,
    )


def _choose_provider(config: Config, injected: TracerProvider | None) -> TracerProvider:
    if injected is not None:
        return injected
    current = trace.get_tracer_provider()
    if current is _STATE.own_provider and _STATE.own_sampler is not None:
        _STATE.own_sampler.set_rate(config.sample_rate)
        return _STATE.own_provider
    if isinstance(current, TracerProvider):
        _logger.info("chainsight: adding its exporter to the application's TracerProvider")
        if config.sample_rate != 1.0:
            _logger.warning(
                "chainsight: sample_rate=%s ignored: the application's TracerProvider samples",
                config.sample_rate,
            )
        return current
    provider, sampler = build_tracer_provider(config)
    if isinstance(current, trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    else:
        _logger.warning(
            "chainsight: the global TracerProvider is %s, not an SDK provider; "
            "Chainsight exports only its own spans",
            type(current).__name__,
        )
    _STATE.own_provider, _STATE.own_sampler = provider, sampler
    return provider


def _close_locked(timeout: float) -> bool:
    pipeline = _STATE.pipeline
    if pipeline is None:
        return True
    _STATE.pipeline = None
    delivered = pipeline.processor.close(timeout)
    _STATE.last_stats = pipeline.processor.stats()
    return delivered


def init(
    project: str | None = None,
    *,
    endpoint: str | None = None,
    api_key: str | None = None,
    service_name: str | None = None,
    disabled: bool | None = None,
    capture_content: bool | None = None,
    sample_rate: float | None = None,
    redact: Redactor | None = None,
    max_value_bytes: int | None = None,
    scrub: bool | None = None,
    extra_scrub_patterns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    export_timeout: float | None = None,
    max_queue_size: int | None = None,
    max_export_batch_size: int | None = None,
    schedule_delay: float | None = None,
    retry_budget: float | None = None,
    tracer_provider: TracerProvider | None = None,
    exporter: SpanExporter | None = None,
) -> None:
    """Configure Chainsight once at startup; every argument overrides its env var.

    Arguments left ``None`` come from ``CHAINSIGHT_*``, then ``OTEL_*``, then defaults (see
    docs/configuration.md). Raises ``chainsight.config.ConfigError`` on an invalid value.

    >>> import chainsight
    >>> chainsight.init(project="support-bot", endpoint="http://127.0.0.1:4318", disabled=True)
    >>> chainsight.shutdown()
    True
    """
    config = resolve(
        project=project,
        endpoint=endpoint,
        api_key=api_key,
        service_name=service_name,
        disabled=disabled,
        capture_content=capture_content,
        sample_rate=sample_rate,
        redact=redact,
        max_value_bytes=max_value_bytes,
        scrub=scrub,
        extra_scrub_patterns=extra_scrub_patterns,
        headers=headers,
        export_timeout=export_timeout,
        max_queue_size=max_queue_size,
        max_export_batch_size=max_export_batch_size,
        schedule_delay=schedule_delay,
        retry_budget=retry_budget,
    )
    with _STATE.lock:
        if config.disabled:
            _close_locked(5.0)
            RUNTIME.configure(config, trace.get_tracer(INSTRUMENTATION_NAME, VERSION))
            return
        key = _export_key(config, tracer_provider, exporter)
        current = _STATE.pipeline
        if current is not None and current.key == key:
            RUNTIME.configure(config, current.tracer)
            return
        _close_locked(5.0)
        provider = _choose_provider(config, tracer_provider)
        span_exporter = exporter or OTLPHTTPExporter(
            config.traces_endpoint,
            project=config.project,
            api_key=config.api_key,
            headers=config.headers,
            timeout=config.export_timeout,
            retry_budget=config.retry_budget,
        )
        processor = QueueingSpanProcessor(
            span_exporter,
            max_queue_size=config.max_queue_size,
            max_export_batch_size=config.max_export_batch_size,
            schedule_delay=config.schedule_delay,
        )
        provider.add_span_processor(processor)
        tracer = provider.get_tracer(INSTRUMENTATION_NAME, VERSION)
        _STATE.pipeline = _Pipeline(key, provider, processor, tracer)
        RUNTIME.configure(config, tracer)


def flush(timeout: float = 5.0) -> bool:
    """Block until every span ended so far is delivered (True) or ``timeout`` s pass (False).

    False also when a span ended since the previous flush was dropped. Serverless handlers
    call this before returning. Without ``init()`` there is nothing of ours to wait for: True.

    >>> import chainsight
    >>> chainsight.flush(timeout=1.0)
    True
    """
    pipeline = _STATE.pipeline
    if pipeline is None:
        return True
    return pipeline.processor.flush(timeout)


def shutdown(timeout: float = 5.0) -> bool:
    """Flush within ``timeout``, stop the export thread and forget ``init()``.

    Returns what the final flush returned. A provider the app or a test supplied is left
    running (only our processor stops); spans ended afterwards are not exported by us.
    """
    with _STATE.lock:
        delivered = _close_locked(timeout)
        RUNTIME.reset()
        return delivered


def export_stats() -> ExportStats:
    """Delivered/dropped (by reason)/queued counts of the current (or last) pipeline.

    >>> import chainsight
    >>> chainsight.export_stats().dropped_total
    0
    """
    pipeline = _STATE.pipeline
    return pipeline.processor.stats() if pipeline is not None else _STATE.last_stats


def dropped_spans() -> int:
    """Spans dropped so far for any reason (``export_stats().dropped`` has them by reason)."""
    return export_stats().dropped_total
