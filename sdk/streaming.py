"""Streaming LLM steps: TTFT, TPOT and usage from the chunks, and spans that end with the stream.

Two ways a step streams: a decorated generator / async generator yielding chunks (driven by
:mod:`chainsight.decorators`), or an ``llm`` step that *returns* an iterator or async iterator
(an OpenAI ``Stream``, a generator, ...), which :func:`wrap_stream` wraps in
:class:`SyncStream` / :class:`AsyncStream`. Either way :class:`StreamStats` sees each chunk.

Definitions (ARCHITECTURE.md, metric definitions):

* **TTFT** = first non-empty chunk - span start, written as
  ``gen_ai.response.time_to_first_chunk`` (seconds) plus the absolute
  ``chainsight.first_token_unix_nano``.
* **TPOT** = (end - first chunk) / (output tokens - 1), seconds, only when output tokens > 1.
* **Usage**: the provider's figures from the stream (OpenAI's final ``usage`` chunk, the
  Responses ``response.completed`` event, Anthropic's ``message_start``/``message_delta``).
  Without them, output tokens are counted from the streamed text — with ``tiktoken``
  (``o200k_base``) when it is importable, else ``ceil(characters / 4)`` (OpenAI's rule of
  thumb for English), else the number of non-empty chunks — and ``chainsight.usage.estimated``
  is set to true. An explicit ``set_usage`` always wins.

A stream's span ends when the stream is exhausted, raises, or is closed (``close()`` /
``aclose()`` / leaving its ``with`` block). A stream the caller simply drops is ended by a
``weakref.finalize`` callback as a last resort; generator steps end through the generator's
own ``try/finally``, which Python runs on ``close()`` and at collection.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from . import semconv
from ._runtime import RUNTIME
from .llm_response import LLMFacts, anthropic_usage, get, openai_usage, read_response

if TYPE_CHECKING:
    from .spans import Span

MAX_TEXT_CHARS = 1 << 20
"""Streamed text kept for counting and output capture; beyond it only characters are counted."""
TEXT_RUN = 256
"""Text chunks a stream wrapper may hand to :attr:`StreamStats.keep` between two ``observe``
calls, once the first token is stamped: a C-level ``list.append`` instead of a Python call per
chunk (the wrapper loop alone, measured: ~170-240 instead of ~360-500 ns per chunk on this
loaded machine); what they hold beyond the text cap is bounded by this many chunks."""


class _Encoding:
    """tiktoken's encoder, loaded once on first need; ``False`` once known unavailable."""

    __slots__ = ("encoder",)

    def __init__(self) -> None:
        self.encoder: Any = None

    def count(self, text: str) -> int | None:
        if self.encoder is False:
            return None
        if self.encoder is None:
            try:
                import tiktoken  # optional: counts like the OpenAI models do

                self.encoder = tiktoken.get_encoding("o200k_base")
            except Exception:  # not installed, or its encoding file cannot be fetched
                self.encoder = False
                return None
        return len(self.encoder.encode(text, disallowed_special=()))


_ENCODING = _Encoding()


def count_tokens(text: str) -> int:
    """Output tokens in ``text``: tiktoken when importable, else ``ceil(len / 4)``."""
    counted = _ENCODING.count(text)
    if counted is not None:
        return counted
    return (len(text) + 3) // 4


class StreamStats:
    """What the chunks of one stream said, folded as they pass.

    A wrapper calls :meth:`observe` per chunk, except that after it returns ``n > 0`` the next
    ``n`` chunks that are ``str`` may go to :attr:`keep` instead (they carry only text, and
    TTFT is already stamped); they are folded in, in order, before anything else is read.
    """

    __slots__ = ("chars", "chunks", "facts", "first_ns", "keep", "parts", "pending", "start_ns")

    def __init__(self, start_ns: int) -> None:
        self.start_ns = start_ns
        self.first_ns = 0
        self.chunks = 0
        self.chars = 0
        self.parts: list[str] = []
        self.pending: list[str] = []
        self.keep = self.pending.append
        """Where a wrapper puts text chunks while it has room (see :data:`TEXT_RUN`)."""
        self.facts = LLMFacts()

    def observe(self, chunk: Any) -> int:
        """Fold one chunk in; the first non-empty one stamps TTFT. Never raises.

        Returns how many following ``str`` chunks may go to :attr:`keep` without a call.
        """
        if self.pending:
            self._fold()
        if type(chunk) is str:
            if not chunk:
                return TEXT_RUN if self.first_ns else 0
            text: str | None = chunk
        else:
            try:
                text = self._text(chunk)
            except Exception as exc:  # a chunk object whose properties raise
                RUNTIME.record_internal_error(exc)
                return 0
            if text is None:
                return TEXT_RUN if self.first_ns else 0
        if not self.first_ns:
            self.first_ns = time.time_ns()
        self.chunks += 1
        if text:
            if self.chars < MAX_TEXT_CHARS:
                self.parts.append(text)
            self.chars += len(text)
        return TEXT_RUN

    def _fold(self) -> None:
        """Count the text chunks handed to :attr:`keep` (all after the first token)."""
        pending = self.pending
        size = sum(map(len, pending))
        self.chunks += len(pending) - pending.count("")  # an empty chunk is not a chunk
        if self.chars + size <= MAX_TEXT_CHARS:  # nearly always: one extend, no loop
            self.parts.extend(pending)  # empty strings join to nothing
            self.chars += size
        else:
            for text in pending:
                if self.chars < MAX_TEXT_CHARS:
                    self.parts.append(text)
                self.chars += len(text)
        pending.clear()

    def _text(self, chunk: Any) -> str | None:
        """Text carried by ``chunk``: None when empty, ``""`` when non-empty but not text."""
        if isinstance(chunk, str):
            return chunk or None
        if isinstance(chunk, bytes):
            return chunk.decode("utf-8", errors="replace") or None
        if chunk is None:
            return None
        facts = self.facts
        kind = get(chunk, "object")
        if kind in ("chat.completion.chunk", "text_completion"):
            facts.provider = "openai"
            facts.model = get(chunk, "model") or facts.model
            usage = get(chunk, "usage")
            if usage is not None:
                facts.usage = openai_usage(usage)
            texts: list[str] = []
            tool_call = False
            for choice in get(chunk, "choices") or ():
                reason = get(choice, "finish_reason")
                if isinstance(reason, str):
                    facts.finish_reasons.append(reason)
                delta = get(choice, "delta")
                piece = get(delta, "content") if delta is not None else get(choice, "text")
                if isinstance(piece, str):
                    texts.append(piece)
                tool_call = tool_call or (delta is not None and bool(get(delta, "tool_calls")))
            joined = "".join(texts)
            # A tool-call delta is output without text: it counts for TTFT, not for the text.
            return joined or ("" if tool_call else None)
        event = get(chunk, "type")
        if isinstance(event, str):
            return self._event(chunk, event)
        for key in ("text", "content", "delta"):
            piece = get(chunk, key)
            if isinstance(piece, str):
                return piece or None
        return ""

    def _event(self, chunk: Any, event: str) -> str | None:
        """OpenAI Responses and Anthropic Messages streaming events."""
        facts = self.facts
        if event == "response.output_text.delta":
            delta = get(chunk, "delta")
            return delta if isinstance(delta, str) and delta else None
        if event in ("response.completed", "response.incomplete", "response.created"):
            done = read_response(get(chunk, "response"))
            if done is not None:
                usage = done.usage if not done.usage.empty() else facts.usage
                done.usage = usage
                self.facts = done
            return None
        if event == "message_start":
            message = get(chunk, "message")
            facts.provider = "anthropic"
            facts.model = get(message, "model") or facts.model
            facts.usage = anthropic_usage(get(message, "usage"))
            return None
        if event == "content_block_delta":
            delta = get(chunk, "delta")
            piece = get(delta, "text") or get(delta, "thinking") or get(delta, "partial_json")
            return piece if isinstance(piece, str) and piece else None
        if event == "message_delta":
            reason = get(get(chunk, "delta"), "stop_reason")
            if isinstance(reason, str):
                facts.finish_reasons.append(reason)
            out = get(get(chunk, "usage"), "output_tokens")
            if type(out) is int:
                facts.usage.output_tokens = out
            return None
        if event.startswith(("response.", "message_", "content_block_", "ping")):
            return None
        return ""

    def text(self) -> str:
        """The streamed text (up to :data:`MAX_TEXT_CHARS`)."""
        if self.pending:
            self._fold()
        return "".join(self.parts)

    def finish(self, span: Span) -> None:
        """Write TTFT, TPOT, usage, model and the streamed text onto ``span``."""
        otel = span.otel_span
        if not otel.is_recording():
            return
        if self.pending:
            self._fold()
        end_ns = time.time_ns()
        facts = self.facts
        estimated = False
        text: str | None = None  # joined once, for the count and the captured output
        if facts.usage.output_tokens is None and not span._usage_set and self.chunks:
            text = self.text()
            usage = facts.usage  # this stream's own object: updated in place
            usage.output_tokens = count_tokens(text) if text else self.chunks
            usage.reasoning_tokens = None  # a count of the text says nothing of reasoning
            estimated = True
        attributes: dict[str, Any] = {}
        span._facts(facts, attributes)
        if estimated:
            attributes[semconv.CHAINSIGHT_USAGE_ESTIMATED] = True
        if self.first_ns:
            attributes[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = (
                self.first_ns - self.start_ns
            ) / 1e9
            attributes[semconv.CHAINSIGHT_FIRST_TOKEN_NS] = self.first_ns
            output = span._output_tokens
            if output is not None and output > 1:
                attributes[semconv.CHAINSIGHT_TPOT_S] = (
                    (end_ns - self.first_ns) / 1e9 / (output - 1)
                )
        if not span._output_set and self.parts:
            text = text if text is not None else self.text()
            span._captured(text, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, attributes)
        otel.set_attributes(attributes)


def start_stats(span: Span) -> StreamStats:
    """Stats for a stream whose request started when ``span`` did."""
    start = getattr(span.otel_span, "start_time", None)
    return StreamStats(start if isinstance(start, int) else time.time_ns())


class Ending:
    """Ends a stream's span exactly once: on exhaustion, error, close, or collection.

    ``stats`` is None for a non-LLM generator step (nothing to measure, only the span to end).
    """

    __slots__ = ("done", "span", "stats")

    def __init__(self, span: Span, stats: StreamStats | None) -> None:
        self.span = span
        self.stats = stats
        self.done = False

    def __call__(self, exc: Exception | None = None) -> None:
        if self.done:
            return
        self.done = True
        span = self.span
        try:
            if self.stats is not None:
                self.stats.finish(span)
            if exc is not None:
                span.record_exception(exc)
        except Exception as internal:
            RUNTIME.record_internal_error(internal)
        finally:
            span._end()


class SyncStream:
    """An iterator of chunks that owns its LLM span; other attributes reach the inner stream."""

    __slots__ = ("__weakref__", "_ending", "_finalizer", "_inner", "_run")

    def __init__(self, inner: Iterator[Any], span: Span) -> None:
        self._inner = inner
        self._ending = Ending(span, start_stats(span))
        self._finalizer = weakref.finalize(self, self._ending)
        # Pulls run in the span's private context: current there, not in the caller's.
        self._run = span._runner()

    def __iter__(self) -> SyncStream:
        return self

    def __next__(self) -> Any:
        ending = self._ending
        if ending.done:
            raise StopIteration
        try:
            chunk = self._run(next, self._inner)
        except StopIteration:
            self._finalizer.detach()
            ending()
            raise
        except Exception as exc:
            self._finalizer.detach()
            ending(exc)
            raise
        ending.stats.observe(chunk)  # type: ignore[union-attr]
        return chunk

    def close(self) -> None:
        """Close the inner stream (if it can be) and end the span."""
        self._finalizer.detach()
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            self._ending()

    def __enter__(self) -> SyncStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class AsyncStream:
    """An async iterator of chunks that owns its LLM span."""

    __slots__ = ("__weakref__", "_ending", "_finalizer", "_inner")

    def __init__(self, inner: AsyncIterator[Any], span: Span) -> None:
        self._inner = inner
        self._ending = Ending(span, start_stats(span))
        self._finalizer = weakref.finalize(self, self._ending)

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> Any:
        ending = self._ending
        if ending.done:
            raise StopAsyncIteration
        span = ending.span
        span._attach()
        try:
            chunk = await self._inner.__anext__()
        except StopAsyncIteration:
            self._finalizer.detach()
            ending()
            raise
        except Exception as exc:
            self._finalizer.detach()
            ending(exc)
            raise
        finally:
            span._detach()
        ending.stats.observe(chunk)  # type: ignore[union-attr]
        return chunk

    async def aclose(self) -> None:
        """Close the inner stream (``aclose`` or ``close``) and end the span."""
        self._finalizer.detach()
        try:
            close = getattr(self._inner, "aclose", None) or getattr(self._inner, "close", None)
            if close is not None:
                result = close()
                if hasattr(result, "__await__"):
                    await result
        finally:
            self._ending()

    async def close(self) -> None:
        """The async clients' own ``close()`` (openai/anthropic ``AsyncStream``): as ``aclose``."""
        await self.aclose()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


_NOT_STREAMS = (str, bytes, bytearray, dict, list, tuple)


def wrap_stream(value: Any, span: Span) -> SyncStream | AsyncStream | None:
    """Wrap an iterator / async iterator an LLM step returned; None for anything else."""
    kind = type(value)
    if kind in _NOT_STREAMS:
        return None
    if hasattr(kind, "__next__") and hasattr(kind, "__iter__"):
        return SyncStream(value, span)
    if hasattr(kind, "__anext__"):
        return AsyncStream(value, span)
    return None
