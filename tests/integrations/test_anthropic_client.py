"""chainsight.instrument_anthropic with the real ``anthropic`` client against the bundled server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import anthropic
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

import chainsight
from chainsight import semconv
from chainsight._runtime import RUNTIME
from chainsight.testing import CapturedSpans

from .model_server import CLIENT_TIMEOUT_S, MESSAGES, QUESTION, client_options, long_conversation

MODEL = "claude-sonnet-4"
MAX_TOKENS = 256
T = TypeVar("T")


def sync_client(base_url: str, **extra: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=base_url, **client_options(**extra))


@pytest.fixture
def client(model_server: str) -> Iterator[anthropic.Anthropic]:
    """An instrumented Anthropic client on the bundled server, closed after the test."""
    with sync_client(model_server) as opened:
        yield chainsight.instrument_anthropic(opened)


def run_async(base_url: str, call: Callable[[anthropic.AsyncAnthropic], Awaitable[T]]) -> T:
    """Run ``call`` with an instrumented AsyncAnthropic client, closed before the loop ends."""

    async def main() -> T:
        async with anthropic.AsyncAnthropic(base_url=base_url, **client_options()) as opened:
            return await call(chainsight.instrument_anthropic(opened))

    return asyncio.run(main())


def only_span(captured: CapturedSpans) -> ReadableSpan:
    (span,) = captured.spans
    return span


def assert_llm_span(span: ReadableSpan, *, streamed: bool) -> None:
    """What every instrumented Messages call records."""
    attributes = span.attributes or {}
    assert span.name == f"chat {MODEL}"
    assert span.status.status_code is StatusCode.UNSET
    assert attributes[semconv.CHAINSIGHT_SPAN_KIND] == "llm"
    assert attributes[semconv.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert attributes[semconv.GEN_AI_REQUEST_MODEL] == MODEL
    assert attributes[semconv.GEN_AI_RESPONSE_MODEL] == MODEL
    assert attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("end_turn",)
    assert attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0  # type: ignore[operator]
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 1  # type: ignore[operator]
    assert semconv.CHAINSIGHT_USAGE_ESTIMATED not in attributes
    assert QUESTION in str(attributes[semconv.INPUT_VALUE])
    assert "Thanks for reaching out" in str(attributes[semconv.OUTPUT_VALUE])
    if streamed:
        assert attributes[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0  # type: ignore[operator]
        assert attributes[semconv.CHAINSIGHT_TPOT_S] > 0  # type: ignore[operator]
    else:
        assert semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK not in attributes


def test_messages_create_is_an_llm_span(
    client: anthropic.Anthropic, capture_spans: CapturedSpans
) -> None:
    """messages.create: model, usage, stop reason; the system prompt leads the input."""
    message = client.messages.create(
        model=MODEL,
        max_tokens=MAX_TOKENS,
        system="You are a support agent.",
        messages=MESSAGES,  # type: ignore[arg-type]
    )
    assert isinstance(message, anthropic.types.Message)
    span = only_span(capture_spans)
    assert_llm_span(span, streamed=False)
    attributes = span.attributes or {}
    assert attributes[semconv.GEN_AI_RESPONSE_ID] == message.id
    assert attributes[semconv.GEN_AI_REQUEST_MAX_TOKENS] == MAX_TOKENS
    assert attributes[semconv.GEN_AI_REQUEST_STREAM] is False
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == message.usage.output_tokens
    assert json.loads(str(attributes[semconv.INPUT_VALUE])) == [
        {"role": "system", "content": "You are a support agent."},
        *MESSAGES,
    ]


def test_cache_reads_count_inside_input_tokens(
    client: anthropic.Anthropic, capture_spans: CapturedSpans
) -> None:
    """Anthropic's input_tokens exclude cache reads; the span's input count includes them."""
    message = client.messages.create(
        model=MODEL,
        max_tokens=MAX_TOKENS,
        messages=long_conversation(),  # type: ignore[arg-type]
    )
    cached = message.usage.cache_read_input_tokens
    assert cached is not None and cached > 0
    attributes = only_span(capture_spans).attributes or {}
    assert attributes[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == cached
    assert attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == message.usage.input_tokens + cached


def test_stream_true_is_an_llm_span(
    client: anthropic.Anthropic, capture_spans: CapturedSpans
) -> None:
    """stream=True: usage from message_start/message_delta, TTFT from the first text delta."""
    with client.messages.create(
        model=MODEL,
        max_tokens=MAX_TOKENS,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
    ) as stream:
        assert stream.response.status_code == 200
        events = [event.type for event in stream]
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert_llm_span(only_span(capture_spans), streamed=True)


def test_stream_helper_is_traced(client: anthropic.Anthropic, capture_spans: CapturedSpans) -> None:
    """messages.stream(): the helper's text and final message work, and the call is traced."""
    with client.messages.stream(
        model=MODEL,
        max_tokens=MAX_TOKENS,
        messages=MESSAGES,  # type: ignore[arg-type]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.startswith("Thanks for reaching out")
    assert final.usage.output_tokens > 1
    span = only_span(capture_spans)
    assert_llm_span(span, streamed=True)
    attributes = span.attributes or {}
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == final.usage.output_tokens
    assert attributes[semconv.GEN_AI_REQUEST_STREAM] is True


def test_messages_parse_is_traced(
    client: anthropic.Anthropic, capture_spans: CapturedSpans
) -> None:
    """messages.parse posts by itself; it is traced like create."""
    message = client.messages.parse(model=MODEL, max_tokens=MAX_TOKENS, messages=MESSAGES)  # type: ignore[arg-type]
    assert message.content
    assert_llm_span(only_span(capture_spans), streamed=False)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_async_messages_are_llm_spans(
    model_server: str, capture_spans: CapturedSpans, stream: bool
) -> None:
    """AsyncAnthropic messages.create, plain and stream=True."""

    async def call(client: anthropic.AsyncAnthropic) -> None:
        if not stream:
            await client.messages.create(
                model=MODEL,
                max_tokens=MAX_TOKENS,
                messages=MESSAGES,  # type: ignore[arg-type]
            )
            return
        events = await client.messages.create(
            model=MODEL,
            max_tokens=MAX_TOKENS,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
        )
        async with events:
            assert [event.type async for event in events][-1] == "message_stop"

    run_async(model_server, call)
    assert_llm_span(only_span(capture_spans), streamed=stream)


def test_async_stream_helper_is_traced(model_server: str, capture_spans: CapturedSpans) -> None:
    """AsyncAnthropic messages.stream(): text and final message work, the call is traced."""

    async def call(client: anthropic.AsyncAnthropic) -> str:
        async with client.messages.stream(
            model=MODEL,
            max_tokens=MAX_TOKENS,
            messages=MESSAGES,  # type: ignore[arg-type]
        ) as stream:
            return "".join([text async for text in stream.text_stream])

    assert run_async(model_server, call).startswith("Thanks for reaching out")
    assert_llm_span(only_span(capture_spans), streamed=True)


ERRORS = [
    ("fail-500", anthropic.InternalServerError),
    ("fail-429", anthropic.RateLimitError),
    ("hang", anthropic.APITimeoutError),
]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize(("model", "error"), ERRORS, ids=[m for m, _ in ERRORS])
def test_failed_call_marks_the_span_error_and_propagates(
    model_server: str,
    capture_spans: CapturedSpans,
    model: str,
    error: type[Exception],
    stream: bool,
) -> None:
    """500, 429 and timeouts raise the client's own exception type and mark the span ERROR."""
    request: dict[str, Any] = {
        "model": model,
        "max_tokens": MAX_TOKENS,
        "messages": MESSAGES,
        "stream": stream,
    }
    with (
        sync_client(model_server, timeout=CLIENT_TIMEOUT_S) as plain,
        pytest.raises(error) as uninstrumented,
    ):
        plain.messages.create(**request)
    with sync_client(model_server, timeout=CLIENT_TIMEOUT_S) as client:
        chainsight.instrument_anthropic(client)
        with pytest.raises(error) as instrumented:
            client.messages.create(**request)
    assert type(instrumented.value) is type(uninstrumented.value)
    span = only_span(capture_spans)
    assert span.status.status_code is StatusCode.ERROR
    attributes = span.attributes or {}
    assert attributes[semconv.ERROR_TYPE] == f"anthropic.{type(instrumented.value).__name__}"
    assert span.name == f"chat {model}"


def test_instrumenting_twice_is_a_no_op(
    client: anthropic.Anthropic, capture_spans: CapturedSpans
) -> None:
    """A second instrument_anthropic changes nothing: one call, one span (helper included)."""
    methods = (client.messages.create, client.messages.parse, client.messages.stream)
    chainsight.instrument_anthropic(client)
    assert (client.messages.create, client.messages.parse, client.messages.stream) == methods
    client.messages.create(model=MODEL, max_tokens=MAX_TOKENS, messages=MESSAGES)  # type: ignore[arg-type]
    with client.messages.stream(model=MODEL, max_tokens=MAX_TOKENS, messages=MESSAGES) as helper:  # type: ignore[arg-type]
        helper.until_done()
    assert len(capture_spans.spans) == 2


def test_disabled_sdk_passes_calls_through(
    client: anthropic.Anthropic, capture_spans: CapturedSpans
) -> None:
    """With the SDK disabled the client answers as usual and no span is made."""
    RUNTIME.disabled = True
    message = client.messages.create(model=MODEL, max_tokens=MAX_TOKENS, messages=MESSAGES)  # type: ignore[arg-type]
    assert message.content
    with client.messages.stream(model=MODEL, max_tokens=MAX_TOKENS, messages=MESSAGES) as helper:  # type: ignore[arg-type]
        assert helper.get_final_text()
    assert capture_spans.spans == []
