"""``chainsight.instrument_openai(client)``: chat completions and Responses as ``llm`` spans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .patching import patch_method

C = TypeVar("C")

PROVIDER = "openai"
OPERATION = "chat"
METHODS = ("create", "parse")
"""Methods that send a request themselves (the ``stream()`` helpers call ``create``)."""


def _chat_input(kwargs: Mapping[str, Any]) -> object:
    return kwargs.get("messages")


def _responses_input(kwargs: Mapping[str, Any]) -> object:
    instructions = kwargs.get("instructions")
    given = kwargs.get("input")
    if instructions is None:
        return given
    return {"instructions": instructions, "input": given}


def instrument_openai(client: C) -> C:
    """Trace every chat completion and Responses call of ``client``.

    ``create`` and ``parse`` of ``chat.completions`` and ``responses`` are patched, which covers
    the ``stream()`` helpers and ``with_raw_response`` too. Works for ``OpenAI`` and
    ``AsyncOpenAI`` (and Azure/compatible clients of the same shape), streaming or not; only
    this instance is patched, and calling it twice is harmless. Returns the client.

    >>> import chainsight, openai
    >>> client = chainsight.instrument_openai(openai.OpenAI())  # doctest: +SKIP
    """
    chat = getattr(client, "chat", None)
    completions = getattr(chat, "completions", None) if chat is not None else None
    responses = getattr(client, "responses", None)
    for resource, input_of in ((completions, _chat_input), (responses, _responses_input)):
        if resource is None:
            continue
        # parse() posts by itself; stream() and with_raw_response go through create().
        for method in METHODS:
            patch_method(
                resource, method, provider=PROVIDER, operation=OPERATION, input_of=input_of
            )
    return client
