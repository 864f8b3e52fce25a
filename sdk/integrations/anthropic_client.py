"""``chainsight.instrument_anthropic(client)``: ``messages.create``, ``messages.parse`` and
``messages.stream`` as ``llm`` spans.

``messages.stream(...)`` returns a manager that sends the request when its ``with`` block is
entered, through a request callable it keeps privately (``__api_request``). The patched
``stream`` swaps that callable for one that opens the span and returns the raw event stream
wrapped by :mod:`chainsight.streaming`, so TTFT, usage and the text are read from the same
events ``stream=True`` yields, and the span ends when the helper closes its stream. If a
future ``anthropic`` renames that attribute, the helper still works, untraced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .._runtime import RUNTIME
from ..steps import Step
from .patching import PATCHED_MARK, describe, finish, is_async, patch_method

C = TypeVar("C")

PROVIDER = "anthropic"
OPERATION = "chat"

_REQUEST_ATTRIBUTES = (
    "_MessageStreamManager__api_request",
    "_AsyncMessageStreamManager__api_request",
)
"""Where ``MessageStreamManager`` / ``AsyncMessageStreamManager`` keep the pending request."""


def _messages_input(kwargs: Mapping[str, Any]) -> object:
    messages = kwargs.get("messages")
    system = kwargs.get("system")
    if system is None:
        return messages
    return [{"role": "system", "content": system}, *(messages or ())]


def instrument_anthropic(client: C) -> C:
    """Trace every ``messages.create``, ``parse`` and ``stream`` of an Anthropic client.

    Works for ``Anthropic`` and ``AsyncAnthropic``, streaming (``stream=True``) or not; only
    this instance is patched, and calling it twice is harmless. Returns the client.

    >>> import anthropic, chainsight
    >>> client = chainsight.instrument_anthropic(anthropic.Anthropic())  # doctest: +SKIP
    """
    messages = getattr(client, "messages", None)
    if messages is None:
        return client
    for method in ("create", "parse"):  # parse() posts by itself
        patch_method(
            messages, method, provider=PROVIDER, operation=OPERATION, input_of=_messages_input
        )
    _patch_stream_helper(messages)
    return client


def _patch_stream_helper(messages: Any) -> None:
    original = getattr(messages, "stream", None)
    if original is None or not callable(original) or hasattr(original, PATCHED_MARK):
        return
    step = Step(OPERATION, "llm", named=False, provider=PROVIDER, operation=OPERATION)

    @functools.wraps(original)
    def stream(*args: Any, **kwargs: Any) -> Any:
        manager = original(*args, **kwargs)
        if RUNTIME.disabled:
            return manager
        described = {**kwargs, "stream": True}
        for name in _REQUEST_ATTRIBUTES:
            request = getattr(manager, name, None)
            if request is None:
                continue
            if callable(request):
                traced: Any = _traced_request(request, step, described)
            else:  # the async manager holds the request coroutine itself
                traced = _traced_awaitable(request, step, described)
            setattr(manager, name, traced)
            break
        return manager

    setattr(stream, PATCHED_MARK, original)
    messages.stream = stream


def _traced_request(
    request: Callable[[], Any], step: Step, kwargs: Mapping[str, Any]
) -> Callable[[], Any]:
    if is_async(request):

        async def send_async() -> Any:
            with step.start(None) as span:
                describe(span, kwargs, PROVIDER, _messages_input)
                return finish(span, await request(), kwargs)

        return send_async

    def send() -> Any:
        with step.start(None) as span:
            describe(span, kwargs, PROVIDER, _messages_input)
            return finish(span, request(), kwargs)

    return send


async def _traced_awaitable(request: Any, step: Step, kwargs: Mapping[str, Any]) -> Any:
    with step.start(None) as span:
        describe(span, kwargs, PROVIDER, _messages_input)
        return finish(span, await request, kwargs)
