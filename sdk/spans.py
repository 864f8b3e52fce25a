"""The span handle users touch (``chainsight.span()``'s result, ``current_span()``) and its
lifecycle.

:class:`chainsight.steps.Step` opens the OTel span; the :class:`Span` it returns is a context
manager that makes the span current (OTel context, so third-party instrumentation nests under it),
records an exception as status ERROR plus an ``exception`` event, and always ends the span
unless a stream wrapper took it over (see :mod:`chainsight.streaming`).

Our own failures never reach the app: they go to ``RUNTIME.record_internal_error`` (logged
once; re-raised when ``RUNTIME.raise_internal_errors`` is set, as tests do) and the call
continues without a span (:class:`NoopSpan`) or without the failed attribute.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from . import capture, semconv
from ._runtime import RUNTIME
from .llm_response import LLMFacts, Usage, read_response
from .scrubbing import scrubber_for
from .streaming import wrap_stream

if TYPE_CHECKING:
    from .steps import Step

PRIMITIVES = (str, bool, int, float)
"""Attribute value types OTel takes as they are."""

_HANDLE_KEY = otel_context.create_key("chainsight-span")
"""Our handle rides in the same OTel ``Context`` as its span, so making a span current is one
``ContextVar`` set, and the Context is built once per span (a generator step re-attaches it at
every resume)."""


class Span:
    """A live step. Use it as a context manager, or reach it with ``current_span()``.

    >>> import chainsight
    >>> with chainsight.span("rerank", kind="reranker") as s:
    ...     s.set_attribute("top_k", 5)
    """

    __slots__ = (
        "_context",
        "_model",
        "_operation",
        "_otel",
        "_otel_token",
        "_output_set",
        "_output_tokens",
        "_run_context",
        "_step",
        "_stream",
        "_usage_set",
    )

    def __init__(self, otel: trace.Span, step: Step | None) -> None:
        self._otel = otel
        self._step = step
        self._otel_token: object = None
        self._context: otel_context.Context | None = None
        self._run_context: contextvars.Context | None = None
        self._usage_set = False
        self._output_set = False
        self._output_tokens: int | None = None
        self._stream = False
        self._model: str | None = None
        self._operation: str | None = None

    # --- public API --------------------------------------------------------------------------
    @property
    def otel_span(self) -> trace.Span:
        """The underlying OpenTelemetry span."""
        return self._otel

    def is_recording(self) -> bool:
        """False for the no-op span (disabled SDK, unsampled trace, internal failure)."""
        return self._otel.is_recording()

    def set_attribute(self, key: str, value: object) -> None:
        """Set one attribute; non-primitive values are captured as scrubbed, capped JSON."""
        try:
            if isinstance(value, PRIMITIVES):
                self._otel.set_attribute(key, value)
            elif _is_primitive_sequence(value):
                self._otel.set_attribute(key, list(value))  # type: ignore[call-overload]
            else:
                config = RUNTIME.config
                text, _ = capture.encode(
                    value,
                    path=key,
                    max_bytes=config.max_value_bytes,
                    scrubber=scrubber_for(config),
                    redact=getattr(config, "redact", None),
                )
                self._otel.set_attribute(key, text)
        except Exception as exc:
            RUNTIME.record_internal_error(exc)

    def set_model(
        self, model: str, provider: str | None = None, *, response_model: str | None = None
    ) -> None:
        """Record the requested model (and provider, and the model that answered if known).

        >>> import chainsight
        >>> chainsight.current_span().set_model("gpt-4o-mini", provider="openai")
        """
        self._model = model
        attributes: dict[str, str] = {semconv.GEN_AI_REQUEST_MODEL: model}
        if provider is not None:
            attributes[semconv.GEN_AI_PROVIDER_NAME] = provider
        if response_model is not None:
            attributes[semconv.GEN_AI_RESPONSE_MODEL] = response_model
        self._otel.set_attributes(attributes)

    def set_usage(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        *,
        cached_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        """Record token usage; it wins over anything read from a response or stream.

        ``input_tokens`` includes ``cached_tokens``; ``output_tokens`` includes
        ``reasoning_tokens`` (GenAI conventions).

        >>> import chainsight
        >>> chainsight.current_span().set_usage(input_tokens=812, output_tokens=95)
        """
        self._usage_set = True
        self._write_usage(
            Usage(input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens)
        )

    def set_input(self, value: object) -> None:
        """Record the step's input (replacing the captured arguments), subject to capture."""
        self._content(value, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, "input")

    def set_output(self, value: object) -> None:
        """Record the step's output; the decorator then keeps it instead of the return value."""
        self._output_set = True
        self._content(value, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, "output")

    def record_exception(self, exc: BaseException) -> None:
        """Record ``exc`` (type, message, stack trace) and mark the span ERROR."""
        otel = self._otel
        otel.record_exception(exc)
        otel.set_attribute(semconv.ERROR_TYPE, _qualified(type(exc)))
        otel.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Span:
        self._attach()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if isinstance(exc, Exception):
                self.record_exception(exc)
        except Exception as internal:
            RUNTIME.record_internal_error(internal)
        finally:
            self._detach()
            if not self._stream:
                self._end()

    def _attach(self) -> None:
        context = self._context
        if context is None:
            context = otel_context.set_value(
                _HANDLE_KEY, self, trace.set_span_in_context(self._otel)
            )
            self._context = context
        self._otel_token = otel_context.attach(context)

    def _runner(self) -> Callable[..., Any]:
        """``Context.run`` of a private context in which this span is current.

        Copied from the caller's context once (so ``chainsight.context()`` and other
        contextvars seen at the first step are visible to the body); what the body sets there
        stays there instead of leaking into the caller between items.
        """
        run_context = self._run_context
        if run_context is None:
            run_context = contextvars.copy_context()
            context = self._context
            if context is None:
                context = otel_context.set_value(
                    _HANDLE_KEY, self, trace.set_span_in_context(self._otel)
                )
                self._context = context
            # Never detached: the private context is dropped with the span.
            run_context.run(otel_context.attach, context)
            self._run_context = run_context
        return run_context.run

    def _detach(self) -> None:
        if self._otel_token is not None:
            otel_context.detach(self._otel_token)  # type: ignore[arg-type]
            self._otel_token = None

    def _end(self, end_time: int | None = None) -> None:
        step = self._step
        try:
            if step is not None and step.rename:
                model = self._model or step.model
                if model is not None:
                    self._otel.update_name(f"{self._operation or step.operation} {model}")
        except Exception as exc:
            RUNTIME.record_internal_error(exc)
        finally:
            self._context = None  # it holds this handle: no cycle outlives the span
            self._run_context = None
            self._otel.end(end_time)

    def _result(self, value: Any) -> Any:
        """Record what the step returned; an LLM step's stream is wrapped to keep the span."""
        step = self._step
        if step is None:
            return value
        try:
            attributes: dict[str, Any] = {}
            if step.is_llm:
                stream = wrap_stream(value, self)
                if stream is not None:
                    self._stream = True
                    return stream
                facts = read_response(value)
                if facts is not None:
                    self._facts(facts, attributes)
            if step.capture_output and not self._output_set:
                self._captured(value, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, attributes)
            if attributes:
                # One write: each set_attribute(s) call takes the span's lock and validates.
                self._otel.set_attributes(attributes)
        except Exception as exc:
            RUNTIME.record_internal_error(exc)
        return value

    def _facts(self, facts: LLMFacts, attributes: dict[str, Any]) -> None:
        """Add what a response or stream said, never overriding explicit values."""
        if facts.provider is not None:
            attributes[semconv.GEN_AI_PROVIDER_NAME] = facts.provider
        if facts.operation is not None and self._step is not None and self._step.is_llm:
            self._operation = facts.operation
            attributes[semconv.GEN_AI_OPERATION_NAME] = facts.operation
        if facts.model is not None:
            attributes[semconv.GEN_AI_RESPONSE_MODEL] = facts.model
            if self._model is None:
                self._model = facts.model
                attributes[semconv.GEN_AI_REQUEST_MODEL] = facts.model
        if facts.response_id is not None:
            attributes[semconv.GEN_AI_RESPONSE_ID] = facts.response_id
        if facts.finish_reasons:
            attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = facts.finish_reasons
        if not self._usage_set and not facts.usage.empty():
            self._usage(facts.usage, attributes)

    def _usage(self, usage: Usage, attributes: dict[str, Any]) -> None:
        if usage.output_tokens is not None:
            self._output_tokens = usage.output_tokens
        for key, value in (
            (semconv.GEN_AI_USAGE_INPUT_TOKENS, usage.input_tokens),
            (semconv.GEN_AI_USAGE_OUTPUT_TOKENS, usage.output_tokens),
            (semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cached_tokens),
            (semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cache_write_tokens),
            (semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning_tokens),
        ):
            if value is not None:
                attributes[key] = value

    def _write_usage(self, usage: Usage) -> None:
        attributes: dict[str, Any] = {}
        self._usage(usage, attributes)
        self._otel.set_attributes(attributes)

    def _content(self, value: object, key: str, mime_key: str, path: str) -> None:
        """Capture ``value`` under ``key`` now (explicit set_input/set_output)."""
        attributes: dict[str, Any] = {}
        self._captured(value, key, mime_key, attributes)
        if attributes:
            self._otel.set_attributes(attributes)

    def _captured(self, value: object, key: str, mime_key: str, attributes: dict[str, Any]) -> None:
        """Add ``value`` under ``key`` if the config and the step allow capturing it."""
        config = RUNTIME.config
        step = self._step
        if key == semconv.INPUT_VALUE:
            path = "input"
            allowed = config.capture_inputs and (step is None or step.capture_input)
        else:
            path = "output"
            allowed = config.capture_outputs and (step is None or step.capture_output)
        if not allowed or not self._otel.is_recording():
            return
        try:
            text, mime = capture.encode(
                value,
                path=path,
                max_bytes=config.max_value_bytes,
                scrubber=scrubber_for(config),
                redact=getattr(config, "redact", None),
            )
        except Exception as exc:  # a broken redact hook: drop the value, never leak it
            RUNTIME.record_internal_error(exc)
            return
        attributes[key] = text
        attributes[mime_key] = mime


class NoopSpan(Span):
    """Stands in when the SDK is disabled or failed: every method does nothing."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(trace.INVALID_SPAN, None)

    def set_attribute(self, key: str, value: object) -> None:
        """No-op."""

    def set_model(
        self, model: str, provider: str | None = None, *, response_model: str | None = None
    ) -> None:
        """No-op."""

    def set_usage(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        *,
        cached_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        """No-op."""

    def set_input(self, value: object) -> None:
        """No-op."""

    def set_output(self, value: object) -> None:
        """No-op."""

    def record_exception(self, exc: BaseException) -> None:
        """No-op."""

    def __enter__(self) -> Span:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def _attach(self) -> None:
        pass

    def _runner(self) -> Callable[..., Any]:
        return _call

    def _detach(self) -> None:
        pass

    def _end(self, end_time: int | None = None) -> None:
        pass

    def _result(self, value: Any) -> Any:
        return value


def _call(func: Callable[..., Any], *args: Any) -> Any:
    return func(*args)


NOOP_SPAN = NoopSpan()
"""The shared no-op span."""


def current_span() -> Span:
    """The innermost active span (ours or a third-party OTel span), or a no-op span.

    >>> import chainsight
    >>> chainsight.current_span().set_attribute("retrieved", 3)
    """
    if RUNTIME.disabled:
        return NOOP_SPAN
    otel = trace.get_current_span()
    handle = otel_context.get_value(_HANDLE_KEY)
    if isinstance(handle, Span) and handle._otel is otel:
        return handle
    if otel.is_recording():
        return Span(otel, None)
    return NOOP_SPAN


def _qualified(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _is_primitive_sequence(value: object) -> bool:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        return False
    first = type(value[0])
    return first in PRIMITIVES and all(type(v) is first for v in value)
