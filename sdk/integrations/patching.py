"""Replace one bound method of a client resource with a version that opens an ``llm`` span.

The wrapper reuses the SDK's machinery end to end: :class:`chainsight.steps.Step` opens the
span (with the ``chainsight.context()`` attributes), ``Span._result`` reads the response
(:mod:`chainsight.llm_response`) or wraps the stream (:mod:`chainsight.streaming`, which
stamps TTFT/TPOT and folds usage chunks), and the ``with`` block records exceptions, which
propagate unchanged.

Sync or async is decided once, at patch time, from the unwrapped method: the OpenAI and
Anthropic SDKs wrap ``create`` in a plain-function argument checker (``required_args``), so
the bound method itself does not look like a coroutine function.

Raw responses (``client.chat.completions.with_raw_response.create(...)``) come back through
the patched method, since the raw wrapper is built from it: their parsed body is read
(``parse()`` caches it, so the caller gets the same object) unless the call streams.
``with_streaming_response`` defers reading the body to the caller, so its span records the
request only.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .. import semconv
from .._runtime import RUNTIME
from ..spans import Span
from ..steps import Step

PATCHED_MARK = "__chainsight_original__"
"""Attribute on a wrapper pointing at the original method (a second ``instrument_*`` is a no-op)."""

RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"
"""Header the OpenAI/Anthropic SDKs add to ``with_raw_response`` calls ("true" or "raw": the
body is read) and ``with_streaming_response`` calls ("stream": the caller reads the body)."""

NOT_PARAMETERS = frozenset(
    {"messages", "input", "instructions", "system", "prompt"}  # content: captured as input
    | {"extra_headers", "extra_query", "extra_body", "timeout"}  # transport, not the model's
)
"""Keyword arguments left out of ``llm.invocation_parameters``."""

OMITTED = frozenset({"NotGiven", "Omit"})
"""Class names of the clients' "argument not given" sentinels (their helpers pass them on)."""

MAX_TOKENS_PARAMETERS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
"""The output-token cap under its chat completions, Anthropic and Responses names."""

InputOf = Callable[[Mapping[str, Any]], object]
"""Picks what to record as the span's input from a call's keyword arguments."""


def patch_method(
    resource: Any, method: str, *, provider: str, operation: str, input_of: InputOf
) -> bool:
    """Wrap ``resource.<method>`` on this instance; False when absent or already wrapped."""
    original = getattr(resource, method, None)
    if original is None or not callable(original):
        return False
    if getattr(original, PATCHED_MARK, None) is not None:
        return False
    step = Step(operation, "llm", named=False, provider=provider, operation=operation)
    if is_async(original):
        wrapper = _async_wrapper(original, step, provider, input_of)
    else:
        wrapper = _sync_wrapper(original, step, provider, input_of)
    setattr(wrapper, PATCHED_MARK, original)
    setattr(resource, method, wrapper)
    return True


def is_async(function: Callable[..., Any]) -> bool:
    """True for a coroutine function, also behind ``functools.wraps`` decorators."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        inspect.unwrap(function)
    )


def describe(span: Span, kwargs: Mapping[str, Any], provider: str, input_of: InputOf) -> None:
    """Model, parameters and input of the request, written before the call so a failed call
    keeps them."""
    model = kwargs.get("model")
    if isinstance(model, str) and model:
        span.set_model(model, provider=provider)
    if not span.is_recording():
        return
    try:
        parameters = {
            key: value
            for key, value in kwargs.items()
            if key not in NOT_PARAMETERS and type(value).__name__ not in OMITTED
        }
        span.otel_span.set_attributes(request_attributes(parameters))
        span.set_attribute(semconv.LLM_INVOCATION_PARAMETERS, parameters)
        value = input_of(kwargs)
    except Exception as exc:  # an odd argument shape never breaks the app's call
        RUNTIME.record_internal_error(exc)
        return
    if value is not None:
        span.set_input(value)


def request_attributes(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The GenAI ``gen_ai.request.*`` attributes of a call's parameters."""
    attributes: dict[str, Any] = {}
    for key, name in (
        (semconv.GEN_AI_REQUEST_TEMPERATURE, "temperature"),
        (semconv.GEN_AI_REQUEST_TOP_P, "top_p"),
    ):
        value = parameters.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            attributes[key] = value
    for name in MAX_TOKENS_PARAMETERS:
        value = parameters.get(name)
        if type(value) is int:
            attributes[semconv.GEN_AI_REQUEST_MAX_TOKENS] = value
            break
    attributes[semconv.GEN_AI_REQUEST_STREAM] = parameters.get("stream") is True
    return attributes


def finish(span: Span, value: Any, kwargs: Mapping[str, Any]) -> Any:
    """Record what the call returned; returns what the caller gets (``value`` or its stream)."""
    mode = _raw_mode(kwargs)
    if mode is None:
        return span._result(value)
    if mode != "stream" and not kwargs.get("stream"):
        parse = getattr(value, "parse", None)
        if parse is not None and not is_async(parse):
            try:
                parsed = parse()
            except Exception as exc:  # the caller's own parse() will raise it again
                RUNTIME.record_internal_error(exc)
                return value
            span._result(parsed)
    return value


def _raw_mode(kwargs: Mapping[str, Any]) -> str | None:
    headers = kwargs.get("extra_headers")
    if not isinstance(headers, Mapping):
        return None
    mode = headers.get(RAW_RESPONSE_HEADER)
    return mode if isinstance(mode, str) else None


def _sync_wrapper(
    original: Callable[..., Any], step: Step, provider: str, input_of: InputOf
) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        if RUNTIME.disabled:
            return original(*args, **kwargs)
        with step.start(None) as span:
            describe(span, kwargs, provider, input_of)
            return finish(span, original(*args, **kwargs), kwargs)

    return create


def _async_wrapper(
    original: Callable[..., Any], step: Step, provider: str, input_of: InputOf
) -> Callable[..., Any]:
    @functools.wraps(original)
    async def create(*args: Any, **kwargs: Any) -> Any:
        if RUNTIME.disabled:
            return await original(*args, **kwargs)
        with step.start(None) as span:
            describe(span, kwargs, provider, input_of)
            return finish(span, await original(*args, **kwargs), kwargs)

    return create
