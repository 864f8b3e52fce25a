"""Replace one bound method of a client resource with a version that opens an ``llm`` span.

The wrapper reuses the SDK's machinery end to end: :class:`chainsight.steps.Step` opens the
span (with the ``chainsight.context()`` attributes), ``Span._result`` reads the response
(:mod:`chainsight.llm_response`) or wraps the stream (:mod:`chainsight.streaming`, which
stamps TTFT/TPOT and folds usage chunks), and the ``with`` block records exceptions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .._runtime import RUNTIME
from ..steps import Step

PATCHED_MARK = "__chainsight_original__"
"""Attribute on a wrapper pointing at the original method (a second ``instrument_*`` is a no-op)."""

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
    if inspect.iscoroutinefunction(original):
        wrapper = _async_wrapper(original, step, provider, input_of)
    else:
        wrapper = _sync_wrapper(original, step, provider, input_of)
    setattr(wrapper, PATCHED_MARK, original)
    setattr(resource, method, wrapper)
    return True


def _describe(span: Any, kwargs: Mapping[str, Any], provider: str, input_of: InputOf) -> None:
    """Model and input of the request, written before the call so a failed call keeps them."""
    model = kwargs.get("model")
    if isinstance(model, str) and model:
        span.set_model(model, provider=provider)
    try:
        value = input_of(kwargs)
    except Exception as exc:  # an odd argument shape never breaks the app's call
        RUNTIME.record_internal_error(exc)
        return
    if value is not None:
        span.set_input(value)


def _sync_wrapper(
    original: Callable[..., Any], step: Step, provider: str, input_of: InputOf
) -> Callable[..., Any]:
    def create(*args: Any, **kwargs: Any) -> Any:
        if RUNTIME.disabled:
            return original(*args, **kwargs)
        with step.start(None) as span:
            _describe(span, kwargs, provider, input_of)
            return span._result(original(*args, **kwargs))

    return create


def _async_wrapper(
    original: Callable[..., Any], step: Step, provider: str, input_of: InputOf
) -> Callable[..., Any]:
    async def create(*args: Any, **kwargs: Any) -> Any:
        if RUNTIME.disabled:
            return await original(*args, **kwargs)
        with step.start(None) as span:
            _describe(span, kwargs, provider, input_of)
            return span._result(await original(*args, **kwargs))

    return create
