"""Streaming LLM steps: TTFT/TPOT, usage from the stream or counted, spans ending with it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

import chainsight
from chainsight import semconv, streaming
from chainsight.streaming import StreamStats, count_tokens
from chainsight.testing import CapturedSpans


def chat_chunk(content: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": extra.pop("finish_reason", None)}
    return {"object": "chat.completion.chunk", "model": "gpt-4o", "choices": [choice], **extra}


OPENAI_STREAM = [
    chat_chunk(""),
    chat_chunk("Hel"),
    chat_chunk("lo"),
    chat_chunk(" there"),
    chat_chunk(finish_reason="stop"),
    {
        "object": "chat.completion.chunk",
        "model": "gpt-4o",
        "choices": [],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
    },
]
ANTHROPIC_STREAM = [
    {
        "type": "message_start",
        "message": {
            "model": "claude-haiku-4-5",
            "usage": {"input_tokens": 9, "output_tokens": 1, "cache_read_input_tokens": 4},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " you"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 6}},
    {"type": "message_stop"},
]
RESPONSES_STREAM = [
    {
        "type": "response.created",
        "response": {"object": "response", "model": "o4-mini", "status": "in_progress"},
    },
    {"type": "response.output_text.delta", "delta": "Sure"},
    {"type": "response.output_text.delta", "delta": "!"},
    {
        "type": "response.completed",
        "response": {
            "object": "response",
            "model": "o4-mini",
            "status": "completed",
            "usage": {"input_tokens": 20, "output_tokens": 8},
        },
    },
]


def check_latency(span: ReadableSpan, output_tokens: int) -> None:
    """TTFT is first chunk - start; TPOT spreads the rest over output tokens - 1."""
    attrs = span.attributes
    assert span.start_time is not None and span.end_time is not None
    first = attrs[semconv.CHAINSIGHT_FIRST_TOKEN_NS]
    assert span.start_time <= first <= span.end_time
    assert attrs[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] == (first - span.start_time) / 1e9
    if output_tokens > 1:
        tpot = attrs[semconv.CHAINSIGHT_TPOT_S]
        assert 0 <= tpot * (output_tokens - 1) <= (span.end_time - first) / 1e9
    else:
        assert semconv.CHAINSIGHT_TPOT_S not in attrs


def test_generator_step_reads_openai_stream_usage(capture_spans: CapturedSpans) -> None:
    """A generator llm step: usage from the final chunk, not estimated; text captured."""

    @chainsight.llm
    def stream() -> Iterator[dict[str, Any]]:
        yield from OPENAI_STREAM

    assert list(stream()) == OPENAI_STREAM
    (span,) = capture_spans.spans
    attrs = span.attributes
    assert span.name == "chat gpt-4o"
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 11
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3
    assert semconv.CHAINSIGHT_USAGE_ESTIMATED not in attrs
    assert tuple(attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS]) == ("stop",)
    assert attrs[semconv.OUTPUT_VALUE] == "Hello there"
    check_latency(span, 3)


def test_usage_is_counted_and_marked_estimated_without_a_usage_chunk(
    capture_spans: CapturedSpans,
) -> None:
    """Plain text chunks: output tokens counted locally, chainsight.usage.estimated set."""
    words = ["The ", "answer ", "is ", "forty-two."]

    @chainsight.llm(name="gen")
    def stream() -> Iterator[str]:
        yield from words

    list(stream())
    attrs = capture_spans.by_name("gen").attributes
    expected = count_tokens("".join(words))
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == expected
    assert attrs[semconv.CHAINSIGHT_USAGE_ESTIMATED] is True
    check_latency(capture_spans.by_name("gen"), expected)


def test_heuristic_is_a_quarter_of_the_characters() -> None:
    """Without tiktoken the count is ceil(characters / 4) (documented heuristic)."""
    try:
        import tiktoken  # noqa: F401
    except ImportError:
        assert count_tokens("abcdefghi") == 3
    else:
        assert count_tokens("hello world") == 2


def test_explicit_set_usage_wins_over_counting(capture_spans: CapturedSpans) -> None:
    """set_usage inside a streaming step is kept and drives TPOT; nothing is estimated."""

    @chainsight.llm(name="gen")
    def stream() -> Iterator[str]:
        chainsight.current_span().set_usage(input_tokens=5, output_tokens=4)
        yield "a"
        yield "b"

    list(stream())
    span = capture_spans.by_name("gen")
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 4
    assert semconv.CHAINSIGHT_USAGE_ESTIMATED not in span.attributes
    check_latency(span, 4)


def test_explicit_set_usage_wins_over_the_usage_chunk(capture_spans: CapturedSpans) -> None:
    """Even a provider-reported usage chunk does not override set_usage."""

    @chainsight.llm(name="gen")
    def stream() -> Iterator[dict[str, Any]]:
        chainsight.current_span().set_usage(input_tokens=100, output_tokens=50)
        yield from OPENAI_STREAM

    list(stream())
    attrs = capture_spans.by_name("gen").attributes
    assert (
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS],
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS],
    ) == (
        100,
        50,
    )


def test_empty_role_chunk_is_not_the_first_token() -> None:
    """TTFT waits for content: OpenAI's role-only first chunk does not count."""
    stats = StreamStats(start_ns=1)
    stats.observe(chat_chunk(""))
    stats.observe(chat_chunk(None))
    assert stats.first_ns == 0
    stats.observe(chat_chunk("x"))
    assert stats.first_ns > 0


def test_anthropic_stream_events(capture_spans: CapturedSpans) -> None:
    """Anthropic message_start/message_delta give usage (input incl. cache) and stop reason."""

    @chainsight.llm
    def stream() -> Iterator[dict[str, Any]]:
        yield from ANTHROPIC_STREAM

    list(stream())
    (span,) = capture_spans.spans
    attrs = span.attributes
    assert span.name == "chat claude-haiku-4-5"
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 13
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 6
    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 4
    assert tuple(attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS]) == ("end_turn",)
    assert attrs[semconv.OUTPUT_VALUE] == "Hi you"


def test_openai_responses_stream_events(capture_spans: CapturedSpans) -> None:
    """Responses API: text from output_text.delta, usage from response.completed."""

    @chainsight.llm(name="gen")
    def stream() -> Iterator[dict[str, Any]]:
        yield from RESPONSES_STREAM

    list(stream())
    attrs = capture_spans.by_name("gen").attributes
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 20
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 8
    assert attrs[semconv.GEN_AI_RESPONSE_MODEL] == "o4-mini"
    assert attrs[semconv.OUTPUT_VALUE] == "Sure!"


def chunks(cleaned: list[str]) -> Iterator[dict[str, Any]]:
    """A provider stream stand-in that reports when it is closed."""
    try:
        yield from OPENAI_STREAM
    finally:
        cleaned.append("closed")


def test_returned_iterator_keeps_the_span_open_until_exhausted(
    capture_spans: CapturedSpans,
) -> None:
    """An llm step returning a stream: the span ends when the caller finishes reading."""

    @chainsight.llm(name="call")
    def call() -> Iterator[dict[str, Any]]:
        return chunks([])

    stream = call()
    assert capture_spans.spans == []
    assert list(stream) == OPENAI_STREAM
    span = capture_spans.by_name("call")
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3
    check_latency(span, 3)


def test_closing_a_returned_stream_ends_the_span(capture_spans: CapturedSpans) -> None:
    """close() on the wrapper closes the provider stream and ends the span."""
    cleaned: list[str] = []

    @chainsight.llm(name="call")
    def call() -> Iterator[dict[str, Any]]:
        return chunks(cleaned)

    stream = call()
    next(stream)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert cleaned == ["closed"]
    assert capture_spans.names() == ["call"]


def test_leaving_a_with_block_ends_a_returned_stream(capture_spans: CapturedSpans) -> None:
    """The wrapper is a context manager like OpenAI's Stream."""
    cleaned: list[str] = []

    @chainsight.llm(name="call")
    def call() -> Any:
        return chunks(cleaned)

    with call() as stream:
        next(stream)
    assert cleaned == ["closed"]
    assert capture_spans.names() == ["call"]


def test_dropped_stream_ends_its_span(capture_spans: CapturedSpans) -> None:
    """A stream the caller abandons without closing still ends its span (last resort)."""

    @chainsight.llm(name="call")
    def call() -> Iterator[dict[str, Any]]:
        return chunks([])

    stream = call()
    next(stream)
    del stream
    gc.collect()
    assert capture_spans.names() == ["call"]


def test_error_mid_stream_marks_the_span_error(capture_spans: CapturedSpans) -> None:
    """A provider stream that fails mid-way ends the span as ERROR; the error propagates."""

    def broken() -> Iterator[str]:
        yield "partial"
        raise ConnectionError("reset")

    @chainsight.llm(name="call")
    def call() -> Iterator[str]:
        return broken()

    stream = call()
    with pytest.raises(ConnectionError):
        list(stream)
    span = capture_spans.by_name("call")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.OUTPUT_VALUE] == "partial"


def test_returned_stream_forwards_other_attributes(capture_spans: CapturedSpans) -> None:
    """Attributes of the provider stream (e.g. ``response``) stay reachable."""

    class ProviderStream:
        response = "http-response"

        def __iter__(self) -> ProviderStream:
            return self

        def __next__(self) -> str:
            raise StopIteration

    @chainsight.llm(name="call")
    def call() -> ProviderStream:
        return ProviderStream()

    stream = call()
    assert stream.response == "http-response"
    list(stream)


def test_async_returned_stream_and_aclose(capture_spans: CapturedSpans) -> None:
    """An async llm step returning an async iterator: consumed or aclose()d, the span ends."""
    cleaned: list[str] = []

    async def provider() -> AsyncIterator[dict[str, Any]]:
        try:
            for chunk in OPENAI_STREAM:
                await asyncio.sleep(0)
                yield chunk
        finally:
            cleaned.append("closed")

    @chainsight.llm(name="full")
    async def full() -> AsyncIterator[dict[str, Any]]:
        return provider()

    @chainsight.llm(name="partial")
    async def partial() -> AsyncIterator[dict[str, Any]]:
        return provider()

    async def main() -> None:
        assert [c async for c in await full()] == OPENAI_STREAM
        stream = await partial()
        await stream.__anext__()
        await stream.aclose()  # type: ignore[attr-defined]

    asyncio.run(main())
    assert cleaned == ["closed", "closed"]
    check_latency(capture_spans.by_name("full"), 3)
    assert capture_spans.by_name("partial").end_time is not None


def test_async_generator_llm_step_measures_the_stream(capture_spans: CapturedSpans) -> None:
    """An async generator llm step gets TTFT, usage and the streamed text."""

    @chainsight.llm(name="gen")
    async def stream() -> AsyncIterator[dict[str, Any]]:
        for chunk in OPENAI_STREAM:
            await asyncio.sleep(0)
            yield chunk

    async def main() -> list[dict[str, Any]]:
        return [c async for c in stream()]

    assert asyncio.run(main()) == OPENAI_STREAM
    span = capture_spans.by_name("gen")
    assert span.attributes[semconv.OUTPUT_VALUE] == "Hello there"
    check_latency(span, 3)


def test_single_token_stream_has_no_tpot(capture_spans: CapturedSpans) -> None:
    """TPOT is undefined for one output token (ARCHITECTURE.md)."""

    @chainsight.llm(name="gen")
    def stream() -> Iterator[str]:
        chainsight.current_span().set_usage(output_tokens=1)
        yield "ok"

    list(stream())
    check_latency(capture_spans.by_name("gen"), 1)


def test_non_llm_step_returning_an_iterator_is_not_wrapped(capture_spans: CapturedSpans) -> None:
    """Only llm steps wrap returned iterators; a chain step's span ends at return."""
    items = iter([1, 2])

    @chainsight.trace(name="step", capture_output=False)
    def step() -> Iterator[int]:
        return items

    assert step() is items
    assert capture_spans.names() == ["step"]


def test_returned_stream_pulls_nest_under_the_span_but_do_not_leak(
    capture_spans: CapturedSpans,
) -> None:
    """Work done while pulling a chunk nests under the LLM span; the caller stays outside it."""
    other = capture_spans.provider.get_tracer("http.client")

    def provider() -> Iterator[str]:
        for piece in ("a", "b"):
            with other.start_as_current_span("read chunk"):
                pass
            yield piece

    @chainsight.llm(name="call")
    def call() -> Iterator[str]:
        return provider()

    with chainsight.span("caller") as caller:
        for _ in call():
            assert chainsight.current_span() is caller
    llm_span = capture_spans.by_name("call").context
    assert llm_span is not None
    reads = [s for s in capture_spans.spans if s.name == "read chunk"]
    assert [r.parent.span_id for r in reads if r.parent] == [llm_span.span_id] * 2


LONG_STREAM: list[Any] = ["", "", *(["ab", ""] * 300), chat_chunk("Z"), *(["cd"] * 300)]
"""More text chunks than TEXT_RUN, empty ones before and after the first token, an object
chunk in the middle: the wrapper's keep() shortcut must fold in as if each chunk were seen."""


def _folded_like_a_wrapper(chunks: list[Any]) -> StreamStats:
    stats, room = StreamStats(start_ns=1), 0
    for chunk in chunks:
        if room and type(chunk) is str:
            room -= 1
            stats.keep(chunk)
        else:
            room = stats.observe(chunk)
    return stats


def test_text_chunks_handed_to_keep_fold_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks passed to keep() count exactly as observed ones, in order, text cap included."""
    monkeypatch.setattr(streaming, "MAX_TEXT_CHARS", 700)
    reference = StreamStats(start_ns=1)
    for chunk in LONG_STREAM:
        reference.observe(chunk)
    stats = _folded_like_a_wrapper(LONG_STREAM)
    assert stats.text() == reference.text()
    assert (stats.chunks, stats.chars) == (reference.chunks, reference.chars) == (601, 1201)
    assert 700 <= len(stats.text()) < 710


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_long_text_stream_is_captured_whole(capture_spans: CapturedSpans, flavour: str) -> None:
    """A generator step streaming hundreds of text chunks records all of them, in order."""
    expected = "ab" * 300 + "Z" + "cd" * 300

    @chainsight.llm(name="sync")
    def stream() -> Iterator[Any]:
        yield from LONG_STREAM

    @chainsight.llm(name="async")
    async def astream() -> AsyncIterator[Any]:
        for chunk in LONG_STREAM:
            yield chunk

    async def drain() -> list[Any]:
        return [c async for c in astream()]

    assert (list(stream()) if flavour == "sync" else asyncio.run(drain())) == LONG_STREAM
    span = capture_spans.by_name(flavour)
    assert span.attributes[semconv.OUTPUT_VALUE] == expected
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == count_tokens(expected)
    check_latency(span, count_tokens(expected))
