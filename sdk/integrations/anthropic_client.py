"""``chainsight.instrument_anthropic(client)``: ``messages.create`` as ``llm`` spans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .patching import patch_method

C = TypeVar("C")

PROVIDER = "anthropic"


def _messages_input(kwargs: Mapping[str, Any]) -> object:
    messages = kwargs.get("messages")
    system = kwargs.get("system")
    if system is None:
        return messages
    return [{"role": "system", "content": system}, *(messages or ())]


def instrument_anthropic(client: C) -> C:
    """Trace every ``messages.create`` of an ``Anthropic`` or ``AsyncAnthropic`` client.

    Streaming (``stream=True``) included; only this instance is patched. Returns the client.

    >>> import anthropic, chainsight
    >>> client = chainsight.instrument_anthropic(anthropic.Anthropic())  # doctest: +SKIP
    """
    messages = getattr(client, "messages", None)
    if messages is not None:
        patch_method(
            messages, "create", provider=PROVIDER, operation="chat", input_of=_messages_input
        )
    return client
