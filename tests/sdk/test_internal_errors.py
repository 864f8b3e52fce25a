"""Chainsight's own failures degrade to no-op and are logged once; the app never notices."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import chainsight
from chainsight import semconv
from chainsight._runtime import RUNTIME
from chainsight.testing import CapturedSpans


class HookBroke(Exception):
    """Raised by a deliberately broken redact hook."""


class TracerBroke(Exception):
    """Raised by a deliberately broken tracer."""


class UserError(Exception):
    """The app's own exception."""


def broken_redact(path: str, value: object) -> object:
    raise HookBroke(path)


class BrokenTracer:
    """A tracer whose start_span fails, standing in for an SDK bug."""

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        raise TracerBroke("start_span")


def test_broken_redact_hook_drops_content_keeps_span_logs_once(
    capture_spans: CapturedSpans, caplog: pytest.LogCaptureFixture
) -> None:
    """The value is dropped (never exported unredacted), the span survives, one warning."""
    RUNTIME.raise_internal_errors = False
    capture_spans.configure(redact=broken_redact)
    step = chainsight.trace(name="step")(lambda text: text.upper())
    with caplog.at_level(logging.WARNING, logger="chainsight"):
        assert step("secret") == "SECRET"
        assert step("secret") == "SECRET"
    spans = [s for s in capture_spans.spans if s.name == "step"]
    assert len(spans) == 2
    for span in spans:
        assert semconv.INPUT_VALUE not in span.attributes
        assert semconv.OUTPUT_VALUE not in span.attributes
    warnings = [r for r in caplog.records if "HookBroke" in r.getMessage()]
    assert len(warnings) == 1


def test_broken_tracer_degrades_to_no_span(capture_spans: CapturedSpans) -> None:
    """If spans cannot be started at all, the function still runs and returns."""
    RUNTIME.raise_internal_errors = False
    RUNTIME.tracer = BrokenTracer()  # type: ignore[assignment]
    assert chainsight.trace(lambda x: x + 1)(1) == 2
    with chainsight.span("block") as s:
        s.set_attribute("k", "v")
    assert capture_spans.spans == []


def test_user_exception_still_propagates_when_capture_fails(capture_spans: CapturedSpans) -> None:
    """Our failure never replaces the app's own exception."""
    RUNTIME.raise_internal_errors = False
    capture_spans.configure(redact=broken_redact)
    original = UserError("app")

    @chainsight.trace(name="step")
    def step(x: int) -> None:
        raise original

    with pytest.raises(UserError) as info:
        step(1)
    assert info.value is original


def test_internal_errors_fail_tests_under_the_fixture(capture_spans: CapturedSpans) -> None:
    """capture_spans re-raises SDK errors so bugs cannot hide behind the no-op path."""
    capture_spans.configure(redact=broken_redact)
    with pytest.raises(HookBroke):
        chainsight.trace(name="step")(lambda text: text)("x")
