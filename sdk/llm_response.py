"""Read model, provider, finish reasons and token usage from what an LLM step returns.

Recognised shapes, as SDK objects (attribute access) or plain dicts (the same keys):

* OpenAI chat completion (``object == "chat.completion"``) and completion
  (``"text_completion"``): ``usage.prompt_tokens``/``completion_tokens``,
  ``prompt_tokens_details.cached_tokens``, ``completion_tokens_details.reasoning_tokens``;
  one finish reason per choice.
* OpenAI Responses (``object == "response"``): ``usage.input_tokens``/``output_tokens`` with
  ``input_tokens_details.cached_tokens`` and ``output_tokens_details.reasoning_tokens``.
* Anthropic messages (``type == "message"``): ``stop_reason``; ``usage.input_tokens`` excludes
  cache reads and writes, so the GenAI input count is their sum (the convention counts cached
  tokens inside ``gen_ai.usage.input_tokens``).

Anything else yields ``None``. Readers never raise on odd shapes (missing or mistyped fields
are skipped); only a genuinely broken object (a property that raises) reaches the caller,
which records it as an internal error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OPENAI = "openai"
ANTHROPIC = "anthropic"
CHAT = "chat"
TEXT_COMPLETION = "text_completion"


@dataclass(slots=True)
class Usage:
    """Token counts in GenAI terms (input includes cached; output includes reasoning)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None

    def empty(self) -> bool:
        return self.input_tokens is None and self.output_tokens is None


@dataclass(slots=True)
class LLMFacts:
    """What one response says about itself."""

    provider: str | None = None
    operation: str | None = None
    model: str | None = None
    response_id: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


def get(obj: Any, name: str) -> Any:
    """``obj[name]`` for mappings, ``obj.name`` otherwise; None when absent."""
    if type(obj) is dict or isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def openai_usage(usage: Any) -> Usage:
    """Usage from an OpenAI chat/completion (``prompt_tokens``) or Responses (``input_tokens``)."""
    if usage is None:
        return Usage()
    inp = _int(get(usage, "prompt_tokens"))
    out = _int(get(usage, "completion_tokens"))
    in_details = get(usage, "prompt_tokens_details")
    out_details = get(usage, "completion_tokens_details")
    if inp is None and out is None:
        inp = _int(get(usage, "input_tokens"))
        out = _int(get(usage, "output_tokens"))
        in_details = get(usage, "input_tokens_details")
        out_details = get(usage, "output_tokens_details")
    return Usage(
        input_tokens=inp,
        output_tokens=out,
        cached_tokens=_int(get(in_details, "cached_tokens")) if in_details is not None else None,
        reasoning_tokens=(
            _int(get(out_details, "reasoning_tokens")) if out_details is not None else None
        ),
    )


def anthropic_usage(usage: Any) -> Usage:
    """Usage from an Anthropic message; input made inclusive of cache reads and writes."""
    if usage is None:
        return Usage()
    inp = _int(get(usage, "input_tokens"))
    read = _int(get(usage, "cache_read_input_tokens"))
    write = _int(get(usage, "cache_creation_input_tokens"))
    if inp is not None:
        inp += (read or 0) + (write or 0)
    return Usage(
        input_tokens=inp,
        output_tokens=_int(get(usage, "output_tokens")),
        cached_tokens=read,
        cache_write_tokens=write,
    )


def read_response(obj: Any) -> LLMFacts | None:
    """Facts from an OpenAI or Anthropic response object or dict; None if unrecognised."""
    if obj is None or isinstance(obj, str | bytes | int | float | list | tuple):
        return None
    kind = get(obj, "object")
    if kind in ("chat.completion", "text_completion"):
        facts = LLMFacts(
            provider=OPENAI,
            operation=CHAT if kind == "chat.completion" else TEXT_COMPLETION,
            model=_str(get(obj, "model")),
            response_id=_str(get(obj, "id")),
            usage=openai_usage(get(obj, "usage")),
        )
        for choice in get(obj, "choices") or ():
            reason = _str(get(choice, "finish_reason"))
            if reason is not None:
                facts.finish_reasons.append(reason)
        return facts
    if kind == "response":
        status = _str(get(obj, "status"))
        details = get(obj, "incomplete_details")
        reason = _str(get(details, "reason")) if details is not None else None
        return LLMFacts(
            provider=OPENAI,
            operation=CHAT,
            model=_str(get(obj, "model")),
            response_id=_str(get(obj, "id")),
            finish_reasons=[reason or ("stop" if status == "completed" else status or "")]
            if status
            else [],
            usage=openai_usage(get(obj, "usage")),
        )
    if get(obj, "type") == "message" and get(obj, "role") == "assistant":
        stop = _str(get(obj, "stop_reason"))
        return LLMFacts(
            provider=ANTHROPIC,
            operation=CHAT,
            model=_str(get(obj, "model")),
            response_id=_str(get(obj, "id")),
            finish_reasons=[stop] if stop else [],
            usage=anthropic_usage(get(obj, "usage")),
        )
    return None
