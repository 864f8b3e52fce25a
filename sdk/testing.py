"""Test your own instrumentation: spans captured in memory, no collector, no OTel globals.

Installed as a pytest plugin (entry point ``pytest11: chainsight``), so the fixture is
available in any project that has chainsight installed::

    import chainsight

    @chainsight.tool
    def lookup(order_id: str) -> str:
        return "shipped"

    def test_lookup_is_traced(capture_spans):
        lookup("A-1")
        (span,) = capture_spans.spans
        assert span.name == "lookup"
        assert span.attributes["openinference.span.kind"] == "TOOL"

The fixture builds its own ``TracerProvider`` with an in-memory exporter and points
Chainsight's runtime at it for the test's duration (restoring it after); it never calls
``opentelemetry.trace.set_tracer_provider``. Chainsight's own internal errors are raised
instead of logged, so a bug in the SDK fails the test rather than hiding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ._runtime import INSTRUMENTATION_NAME, RUNTIME


class CapturedSpans:
    """Finished spans of the current test, oldest first."""

    def __init__(self, provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
        self.provider = provider
        self.exporter = exporter

    @property
    def spans(self) -> list[ReadableSpan]:
        """Every span ended so far (a span appears once it ends)."""
        return list(self.exporter.get_finished_spans())

    def names(self) -> list[str]:
        """Names of the ended spans, in end order."""
        return [s.name for s in self.spans]

    def by_name(self, name: str) -> ReadableSpan:
        """The one ended span called ``name`` (raises ``LookupError`` if none or several)."""
        found = [s for s in self.spans if s.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} spans named {name!r}; have {self.names()}")
        return found[0]

    def clear(self) -> None:
        """Forget the spans captured so far."""
        self.exporter.clear()

    def configure(self, **fields: Any) -> None:
        """Replace configuration fields for the rest of the test (restored afterwards).

        >>> capture_spans.configure(capture_content=False)  # doctest: +SKIP
        """
        RUNTIME.config = dataclasses.replace(RUNTIME.config, **fields)


@contextmanager
def capturing(**config_changes: Any) -> Iterator[CapturedSpans]:
    """Route Chainsight's spans to memory inside the block (the fixture's engine).

    ``config_changes`` replace fields of the active configuration for the block, e.g.
    ``capturing(capture_content=False)`` or ``capturing(hide_inputs=True)``.
    """
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    saved = (RUNTIME.config, RUNTIME.tracer, RUNTIME.disabled, RUNTIME.raise_internal_errors)
    config = dataclasses.replace(saved[0], **config_changes) if config_changes else saved[0]
    RUNTIME.configure(config, provider.get_tracer(INSTRUMENTATION_NAME))
    RUNTIME.disabled = False
    RUNTIME.raise_internal_errors = True
    try:
        yield CapturedSpans(provider, exporter)
    finally:
        RUNTIME.configure(saved[0], saved[1])
        RUNTIME.disabled = saved[2]
        RUNTIME.raise_internal_errors = saved[3]
        provider.shutdown()


@pytest.fixture
def capture_spans() -> Iterator[CapturedSpans]:
    """Chainsight spans of this test, captured in memory (see the module docstring)."""
    with capturing() as captured:
        yield captured
