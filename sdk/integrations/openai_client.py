"""``chainsight.instrument_openai(client)``: chat completions and Responses as ``llm`` spans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .patching import patch_method

C = TypeVar("C")

PROVIDER = "openai"


def _chat_input(kwargs: Mapping[str, Any]) -> object:
    return kwargs.get("messages")


def _responses_input(kwargs: Mapping[str, Any]) -> object:
    instructions = kwargs.get("instructions")
    given = kwargs.get("input")
    if instructions is None:
        return given
    return {"instructions": instructions, "input": given}


def instrument_openai(client: C) -> C:
    """Trace every ``chat.completions.create`` and ``responses.create`` of ``client``.

    Works for ``OpenAI`` and ``AsyncOpenAI`` (and Azure/compatible clients of the same
    shape), streaming or not; only this instance is patched, and calling it twice is
    harmless. Returns the client.

    >>> import chainsight, openai
    >>> client = chainsight.instrument_openai(openai.OpenAI())  # doctest: +SKIP
    """
    chat = getattr(client, "chat", None)
    completions = getattr(chat, "completions", None) if chat is not None else None
    if completions is not None:
        patch_method(
            completions, "create", provider=PROVIDER, operation="chat", input_of=_chat_input
        )
    responses = getattr(client, "responses", None)
    if responses is not None:
        patch_method(
            responses, "create", provider=PROVIDER, operation="chat", input_of=_responses_input
        )
    return client
