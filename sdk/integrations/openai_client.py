"""``chainsight.instrument_openai(client)``: chat completions and Responses as ``llm`` spans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .patching import InputOf, patch_method

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


RESOURCES: tuple[tuple[tuple[str, ...], InputOf], ...] = (
    (("chat", "completions"), _chat_input),
    (("beta", "chat", "completions"), _chat_input),  # its own instance (older parse() examples)
    (("responses",), _responses_input),
    (("beta", "responses"), _responses_input),
)
"""Where the traced methods live on a client, and what each records as input."""


def instrument_openai(client: C) -> C:
    """Trace every chat completion and Responses call of ``client``.

    ``create`` and ``parse`` of ``chat.completions`` and ``responses`` (and of their ``beta``
    twins) are patched, which covers the ``stream()`` helpers and ``with_raw_response`` too.
    Works for ``OpenAI`` and ``AsyncOpenAI`` (and Azure/compatible clients of the same shape),
    streaming or not; only this instance is patched, and calling it twice is harmless.
    Returns the client.

    >>> import chainsight, openai
    >>> client = chainsight.instrument_openai(openai.OpenAI())  # doctest: +SKIP
    """
    for path, input_of in RESOURCES:
        resource: Any = client
        for name in path:
            resource = getattr(resource, name, None)
            if resource is None:
                break
        else:
            for method in METHODS:
                patch_method(
                    resource, method, provider=PROVIDER, operation=OPERATION, input_of=input_of
                )
    return client
