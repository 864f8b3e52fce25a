"""chainsight.instrument_openai with the real ``openai`` client against the bundled server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import openai
import pytest
from conftest import free_port
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

import chainsight
from chainsight import semconv
from chainsight._runtime import RUNTIME
from chainsight.testing import CapturedSpans

from .model_server import CLIENT_TIMEOUT_S, MESSAGES, QUESTION, client_options, long_conversation

MODEL = "gpt-4o-mini"
T = TypeVar("T")


def sync_client(base_url: str, **extra: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", **client_options(**extra))


def async_client(base_url: str, **extra: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{base_url}/v1", **client_options(**extra))


@pytest.fixture
def client(model_server: str) -> Iterator[openai.OpenAI]:
    """An instrumented OpenAI client on the bundled server, closed after the test."""
    with sync_client(model_server) as opened:
        yield chainsight.instrument_openai(opened)


def run_async(base_url: str, call: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
    """Run ``call`` with an instrumented AsyncOpenAI client, closed before the loop ends."""

    async def main() -> T:
        async with async_client(base_url) as opened:
            return await call(chainsight.instrument_openai(opened))

    return asyncio.run(main())


def only_span(captured: CapturedSpans) -> ReadableSpan:
    (span,) = captured.spans
    return span


def assert_llm_span(span: ReadableSpan, *, streamed: bool, usage: bool = True) -> None:
    """The facts every instrumented call records, whatever its API shape."""
    attributes = span.attributes or {}
    assert span.name == f"chat {MODEL}"
    assert span.status.status_code is StatusCode.UNSET
    assert attributes[semconv.CHAINSIGHT_SPAN_KIND] == "llm"
    assert attributes[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert attributes[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert attributes[semconv.GEN_AI_REQUEST_MODEL] == MODEL
    assert attributes[semconv.GEN_AI_RESPONSE_MODEL] == MODEL
    assert attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert QUESTION in str(attributes[semconv.INPUT_VALUE])
    assert "Thanks for reaching out" in str(attributes[semconv.OUTPUT_VALUE])
    output_tokens = attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]
    assert isinstance(output_tokens, int) and output_tokens > 1
    if usage:
        assert attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0  # type: ignore[operator]
        assert attributes[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 0
        assert semconv.CHAINSIGHT_USAGE_ESTIMATED not in attributes
    if streamed:
        assert attributes[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0  # type: ignore[operator]
        assert attributes[semconv.CHAINSIGHT_TPOT_S] > 0  # type: ignore[operator]
    else:
        assert semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK not in attributes


def test_sync_chat_completion_is_an_llm_span(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """OpenAI().chat.completions.create: model, provider, usage, finish reason, messages."""
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    span = only_span(capture_spans)
    assert_llm_span(span, streamed=False)
    attributes = span.attributes or {}
    assert attributes[semconv.GEN_AI_RESPONSE_ID] == completion.id
    assert completion.usage is not None
    assert attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == completion.usage.prompt_tokens
    assert json.loads(str(attributes[semconv.INPUT_VALUE])) == MESSAGES


def test_async_chat_completion_is_an_llm_span(
    model_server: str, capture_spans: CapturedSpans
) -> None:
    """AsyncOpenAI: the awaited completion is read, not the coroutine."""

    async def call(client: openai.AsyncOpenAI) -> openai.types.chat.ChatCompletion:
        return await client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]

    completion = run_async(model_server, call)
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert_llm_span(only_span(capture_spans), streamed=False)


def test_request_parameters_are_recorded(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """temperature, top_p, the token cap and stream as gen_ai.request.*; all parameters as JSON."""
    client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,  # type: ignore[arg-type]
        temperature=0.2,
        top_p=0.9,
        max_completion_tokens=64,
        seed=3,
        extra_headers={"x-trace": "1"},
    )
    stream = client.responses.create(model=MODEL, input=QUESTION, max_output_tokens=32, stream=True)
    stream.close()
    chat, responses = (span.attributes or {} for span in capture_spans.spans)
    assert chat[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert chat[semconv.GEN_AI_REQUEST_TOP_P] == 0.9
    assert chat[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert chat[semconv.GEN_AI_REQUEST_STREAM] is False
    assert json.loads(str(chat[semconv.LLM_INVOCATION_PARAMETERS])) == {
        "model": MODEL,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_completion_tokens": 64,
        "seed": 3,
    }
    assert responses[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 32
    assert responses[semconv.GEN_AI_REQUEST_STREAM] is True


def test_no_content_captured_when_capture_is_off(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """capture_content=False: messages and output stay out; model and usage are still there."""
    capture_spans.configure(capture_content=False)
    client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    for chunk in client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True):  # type: ignore[arg-type]
        assert chunk is not None
    for span in capture_spans.spans:
        attributes = span.attributes or {}
        assert semconv.INPUT_VALUE not in attributes
        assert semconv.OUTPUT_VALUE not in attributes
        assert QUESTION not in json.dumps(dict(attributes))
        assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 1  # type: ignore[operator]


def test_cached_prompt_tokens_are_recorded(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """prompt_tokens_details.cached_tokens becomes the cache-read token count."""
    completion = client.chat.completions.create(model=MODEL, messages=long_conversation())  # type: ignore[arg-type]
    assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
    cached = completion.usage.prompt_tokens_details.cached_tokens
    assert cached is not None and cached > 0
    attributes = only_span(capture_spans).attributes or {}
    assert attributes[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == cached
    assert attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == completion.usage.prompt_tokens


def test_stream_with_usage_keeps_the_stream_api(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """stream=True + include_usage: a context manager with .response; TTFT, TPOT, real usage."""
    with client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        assert stream.response.status_code == 200
        chunks = list(stream)
    assert chunks[-1].usage is not None
    span = only_span(capture_spans)
    assert_llm_span(span, streamed=True)
    attributes = span.attributes or {}
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == chunks[-1].usage.completion_tokens


def test_stream_without_usage_estimates_output_tokens(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """stream=True alone: output tokens counted from the text and marked estimated."""
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text.startswith("Thanks for reaching out")
    span = only_span(capture_spans)
    assert_llm_span(span, streamed=True, usage=False)
    attributes = span.attributes or {}
    assert attributes[semconv.CHAINSIGHT_USAGE_ESTIMATED] is True
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in attributes


def test_stream_closed_early_ends_the_span(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """close() after the first chunk ends the span with TTFT, leaving the rest unread."""
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    next(stream)
    next(stream)
    assert capture_spans.spans == []
    stream.close()
    attributes = only_span(capture_spans).attributes or {}
    assert attributes[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0  # type: ignore[operator]


def test_async_stream_close_ends_the_span(model_server: str, capture_spans: CapturedSpans) -> None:
    """``await stream.close()`` (the client's own close) ends the span at once."""

    async def call(client: openai.AsyncOpenAI) -> int:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
        await stream.__anext__()
        await stream.close()
        ended = len(capture_spans.spans)
        await stream.aclose()  # type: ignore[attr-defined]  # end it before the loop closes
        return ended

    assert run_async(model_server, call) == 1


@pytest.mark.parametrize("include_usage", [True, False], ids=["usage", "no-usage"])
def test_async_stream_is_an_llm_span(
    model_server: str, capture_spans: CapturedSpans, include_usage: bool
) -> None:
    """AsyncOpenAI stream=True under ``async with``: .response kept, TTFT/TPOT recorded."""
    options: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}

    async def call(client: openai.AsyncOpenAI) -> list[Any]:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
            **options,
        )
        async with stream:
            assert stream.response.status_code == 200
            return [chunk async for chunk in stream]

    chunks = run_async(model_server, call)
    assert chunks
    assert_llm_span(only_span(capture_spans), streamed=True, usage=include_usage)


def test_responses_create_is_an_llm_span(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """responses.create: input and instructions captured, usage read from the Response."""
    response = client.responses.create(model=MODEL, input=QUESTION, instructions="Be brief.")
    assert response.output_text.startswith("Thanks for reaching out")
    span = only_span(capture_spans)
    assert_llm_span(span, streamed=False)
    attributes = span.attributes or {}
    assert json.loads(str(attributes[semconv.INPUT_VALUE])) == {
        "instructions": "Be brief.",
        "input": QUESTION,
    }
    assert response.usage is not None
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == response.usage.output_tokens


def test_responses_stream_is_an_llm_span(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """responses.create(stream=True): TTFT from the first text delta, usage from completed."""
    with client.responses.create(model=MODEL, input=QUESTION, stream=True) as stream:
        events = [event.type for event in stream]
    assert events[0] == "response.created" and events[-1] == "response.completed"
    assert_llm_span(only_span(capture_spans), streamed=True)


def test_async_responses_stream_is_an_llm_span(
    model_server: str, capture_spans: CapturedSpans
) -> None:
    """AsyncOpenAI responses.create(stream=True) is traced like the sync one."""

    async def call(client: openai.AsyncOpenAI) -> list[str]:
        stream = await client.responses.create(model=MODEL, input=QUESTION, stream=True)
        return [event.type async for event in stream]

    assert run_async(model_server, call)[-1] == "response.completed"
    assert_llm_span(only_span(capture_spans), streamed=True)


def test_stream_helpers_are_traced(client: openai.OpenAI, capture_spans: CapturedSpans) -> None:
    """chat.completions.stream() and responses.stream() go through create: both traced."""
    with client.chat.completions.stream(model=MODEL, messages=MESSAGES) as chat:  # type: ignore[arg-type]
        text = chat.get_final_completion().choices[0].message.content
    assert text is not None and text.startswith("Thanks for reaching out")
    with client.responses.stream(model=MODEL, input=QUESTION) as responses:
        assert responses.get_final_response().output_text.startswith("Thanks")
    chat_span, responses_span = capture_spans.spans
    assert_llm_span(chat_span, streamed=True, usage=False)
    assert_llm_span(responses_span, streamed=True)


def test_parse_methods_are_traced(client: openai.OpenAI, capture_spans: CapturedSpans) -> None:
    """parse() posts by itself: traced on chat.completions, responses and beta.chat too."""
    parsed = client.chat.completions.parse(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    assert parsed.choices[0].message.content is not None
    response = client.responses.parse(model=MODEL, input=QUESTION)
    assert response.output_text.startswith("Thanks for reaching out")
    client.beta.chat.completions.parse(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    spans = capture_spans.spans
    assert len(spans) == 3
    for span in spans:
        assert_llm_span(span, streamed=False)


def test_with_raw_response_is_traced_and_unchanged(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """with_raw_response still returns the raw response; the span has the parsed usage."""
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    assert raw.http_response.status_code == 200
    completion = raw.parse()
    assert completion.usage is not None
    span = only_span(capture_spans)
    assert_llm_span(span, streamed=False)
    attributes = span.attributes or {}
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == completion.usage.completion_tokens


def test_with_streaming_response_is_not_broken(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """with_streaming_response leaves the body to the caller; the span records the request."""
    with client.chat.completions.with_streaming_response.create(
        model=MODEL,
        messages=MESSAGES,  # type: ignore[arg-type]
    ) as response:
        completion = response.parse()
    assert completion.choices[0].message.content is not None
    attributes = only_span(capture_spans).attributes or {}
    assert attributes[semconv.GEN_AI_REQUEST_MODEL] == MODEL


ERRORS = [
    ("fail-500", openai.InternalServerError),
    ("fail-429", openai.RateLimitError),
    ("hang", openai.APITimeoutError),
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
    with (
        sync_client(model_server, timeout=CLIENT_TIMEOUT_S) as plain,
        pytest.raises(error) as uninstrumented,
    ):
        plain.chat.completions.create(model=model, messages=MESSAGES, stream=stream)  # type: ignore[call-overload]
    with sync_client(model_server, timeout=CLIENT_TIMEOUT_S) as client:
        chainsight.instrument_openai(client)
        with pytest.raises(error) as instrumented:
            client.chat.completions.create(model=model, messages=MESSAGES, stream=stream)  # type: ignore[call-overload]
    assert type(instrumented.value) is type(uninstrumented.value)
    span = only_span(capture_spans)
    assert span.status.status_code is StatusCode.ERROR
    attributes = span.attributes or {}
    assert attributes[semconv.ERROR_TYPE] == f"openai.{type(instrumented.value).__name__}"
    assert attributes[semconv.GEN_AI_REQUEST_MODEL] == model
    assert span.name == f"chat {model}"


def test_connection_error_propagates(capture_spans: CapturedSpans) -> None:
    """Nothing listening: APIConnectionError, as without instrumentation; span ERROR."""
    with sync_client(f"http://127.0.0.1:{free_port()}") as client:
        chainsight.instrument_openai(client)
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    span = only_span(capture_spans)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[semconv.ERROR_TYPE] == "openai.APIConnectionError"


def test_async_failed_call_propagates(model_server: str, capture_spans: CapturedSpans) -> None:
    """AsyncOpenAI: a 429 raises RateLimitError through the wrapper, span ERROR."""

    async def call(client: openai.AsyncOpenAI) -> None:
        await client.chat.completions.create(model="fail-429", messages=MESSAGES)  # type: ignore[arg-type]

    with pytest.raises(openai.RateLimitError):
        run_async(model_server, call)
    assert only_span(capture_spans).status.status_code is StatusCode.ERROR


def test_instrumenting_twice_is_a_no_op(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """A second instrument_openai keeps one wrapper: one call, one span."""
    wrapper = client.chat.completions.create
    assert chainsight.instrument_openai(client) is client
    assert client.chat.completions.create is wrapper
    client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    assert len(capture_spans.spans) == 1


def test_spans_nest_under_a_traced_step(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """Calls made inside @chainsight.trace are its children, streams included."""

    @chainsight.trace(name="answer")
    def answer() -> str:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
        stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    answer()
    root = capture_spans.by_name("answer")
    children = [s for s in capture_spans.spans if s is not root]
    assert len(children) == 2
    for child in children:
        assert child.parent is not None and child.parent.span_id == root.context.span_id
        assert child.context.trace_id == root.context.trace_id


def test_disabled_sdk_passes_calls_through(
    client: openai.OpenAI, capture_spans: CapturedSpans
) -> None:
    """With the SDK disabled the client answers as usual and no span is made."""
    RUNTIME.disabled = True
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    assert type(stream) is openai.Stream
    assert completion.choices[0].message.content is not None
    assert [c for c in stream]
    assert capture_spans.spans == []


def test_importing_chainsight_imports_no_llm_client() -> None:
    """The SDK stays light: neither openai nor anthropic is imported by ``import chainsight``."""
    code = (
        "import sys, chainsight\n"
        "loaded = sorted({'openai', 'anthropic'} & set(sys.modules))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
