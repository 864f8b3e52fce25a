"""LLM steps read model, provider, finish reasons and usage from what they return."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import chainsight
from chainsight import semconv
from chainsight.llm_response import read_response
from chainsight.testing import CapturedSpans

OPENAI_CHAT: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
    ],
    "usage": {
        "prompt_tokens": 812,
        "completion_tokens": 95,
        "total_tokens": 907,
        "prompt_tokens_details": {"cached_tokens": 512},
        "completion_tokens_details": {"reasoning_tokens": 40},
    },
}
OPENAI_COMPLETION: dict[str, Any] = {
    "id": "cmpl-1",
    "object": "text_completion",
    "model": "gpt-3.5-turbo-instruct",
    "choices": [{"text": "Hi", "index": 0, "finish_reason": "length"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
}
OPENAI_RESPONSES: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "status": "completed",
    "model": "o4-mini",
    "output": [],
    "usage": {
        "input_tokens": 100,
        "output_tokens": 50,
        "input_tokens_details": {"cached_tokens": 20},
        "output_tokens_details": {"reasoning_tokens": 30},
    },
}
ANTHROPIC_MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "Hi"}],
    "stop_reason": "end_turn",
    "usage": {
        "input_tokens": 10,
        "output_tokens": 20,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 5,
    },
}


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class Message(BaseModel):
    role: str
    content: str


class Choice(BaseModel):
    index: int
    message: Message
    finish_reason: str


class ChatCompletion(BaseModel):
    """Shaped like ``openai.types.chat.ChatCompletion`` (attribute access, not a dict)."""

    id: str
    object: str
    model: str
    choices: list[Choice]
    usage: Usage


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (OPENAI_CHAT, ("openai", "chat", "gpt-4o-mini-2024-07-18", ["stop"], 812, 95, 512, 40)),
        (
            OPENAI_COMPLETION,
            ("openai", "text_completion", "gpt-3.5-turbo-instruct", ["length"], 5, 7, None, None),
        ),
        (OPENAI_RESPONSES, ("openai", "chat", "o4-mini", ["stop"], 100, 50, 20, 30)),
        (
            ANTHROPIC_MESSAGE,
            ("anthropic", "chat", "claude-sonnet-4-5", ["end_turn"], 115, 20, 100, None),
        ),
    ],
    ids=["openai-chat", "openai-completion", "openai-responses", "anthropic"],
)
def test_read_response_shapes(response: dict[str, Any], expected: tuple[Any, ...]) -> None:
    """Each provider shape yields provider, operation, model, finish reasons and usage."""
    facts = read_response(response)
    assert facts is not None
    usage = facts.usage
    got = (
        facts.provider,
        facts.operation,
        facts.model,
        facts.finish_reasons,
        usage.input_tokens,
        usage.output_tokens,
        usage.cached_tokens,
        usage.reasoning_tokens,
    )
    assert got == expected


def test_anthropic_cache_writes_are_kept_separately() -> None:
    """Anthropic cache-creation tokens land in their own field (and inside input)."""
    facts = read_response(ANTHROPIC_MESSAGE)
    assert facts is not None
    assert facts.usage.cache_write_tokens == 5


def test_unrecognised_values_are_not_responses() -> None:
    """Strings, lists and arbitrary dicts are not mistaken for responses."""
    assert read_response("text") is None
    assert read_response([1]) is None
    assert read_response({"object": "list"}) is None


def test_llm_step_records_usage_from_an_sdk_object(capture_spans: CapturedSpans) -> None:
    """A pydantic response object (attribute access) is read like the dict form."""

    @chainsight.llm
    def ask(question: str) -> ChatCompletion:
        return ChatCompletion.model_validate(
            OPENAI_CHAT | {"usage": {"prompt_tokens": 3, "completion_tokens": 4}}
        )

    ask("hi")
    (span,) = capture_spans.spans
    attrs = span.attributes
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 3
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 4
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert attrs[semconv.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert tuple(attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS]) == ("stop",)


def test_unnamed_llm_span_is_named_operation_and_model(capture_spans: CapturedSpans) -> None:
    """GenAI convention "{operation} {model}" when the user gave no name; qualname kept."""

    @chainsight.llm
    def ask() -> dict[str, Any]:
        return OPENAI_CHAT

    ask()
    (span,) = capture_spans.spans
    assert span.name == "chat gpt-4o-mini-2024-07-18"
    assert span.attributes[semconv.CODE_FUNCTION_NAME] == ask.__qualname__
    assert span.attributes[semconv.GEN_AI_OPERATION_NAME] == "chat"


def test_named_llm_span_keeps_its_name(capture_spans: CapturedSpans) -> None:
    """An explicit name= is never replaced by the model convention."""
    chainsight.llm(name="answer")(lambda: OPENAI_CHAT)()
    assert capture_spans.names() == ["answer"]


def test_llm_span_without_a_model_keeps_the_qualname(capture_spans: CapturedSpans) -> None:
    """No model known: the default name (the function's qualified name) stays."""

    @chainsight.llm
    def ask() -> str:
        return "plain text"

    ask()
    assert capture_spans.names() == [ask.__qualname__]


def test_set_model_names_the_span_and_sets_provider(capture_spans: CapturedSpans) -> None:
    """current_span().set_model() feeds the request model, provider and the span name."""

    @chainsight.llm
    def ask() -> str:
        chainsight.current_span().set_model("gpt-4o-mini", provider="openai")
        return "ok"

    ask()
    (span,) = capture_spans.spans
    assert span.name == "chat gpt-4o-mini"
    assert span.attributes[semconv.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert span.attributes[semconv.GEN_AI_PROVIDER_NAME] == "openai"


def test_explicit_set_usage_wins_over_the_response(capture_spans: CapturedSpans) -> None:
    """set_usage() values are kept even when the response reports different ones."""

    @chainsight.llm(name="ask")
    def ask() -> dict[str, Any]:
        chainsight.current_span().set_usage(
            input_tokens=1, output_tokens=2, cached_tokens=0, reasoning_tokens=0
        )
        return OPENAI_CHAT

    ask()
    attrs = capture_spans.by_name("ask").attributes
    assert (
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS],
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS],
    ) == (
        1,
        2,
    )
    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 0


def test_usage_includes_cached_and_reasoning_tokens(capture_spans: CapturedSpans) -> None:
    """Cached and reasoning tokens are written under their GenAI names."""
    chainsight.llm(name="ask")(lambda: OPENAI_CHAT)()
    attrs = capture_spans.by_name("ask").attributes
    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 512
    assert attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 40


def test_decorator_model_and_provider_are_static_attributes(capture_spans: CapturedSpans) -> None:
    """llm(model=..., provider=...) sets the request attributes before the call."""
    chainsight.llm(model="mistral-small", provider="mistral_ai")(lambda: "x")()
    (span,) = capture_spans.spans
    assert span.name == "chat mistral-small"
    assert span.attributes[semconv.GEN_AI_REQUEST_MODEL] == "mistral-small"
    assert span.attributes[semconv.GEN_AI_PROVIDER_NAME] == "mistral_ai"
