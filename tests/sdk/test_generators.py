"""Generator steps: span lifetime and context discipline across yields."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

import chainsight
from chainsight.testing import CapturedSpans


def test_generator_span_ends_on_exhaustion(capture_spans: CapturedSpans) -> None:
    """The span ends when the generator is exhausted, not before."""

    @chainsight.trace(name="g")
    def g() -> Iterator[int]:
        yield 1
        yield 2

    it = g()
    assert next(it) == 1
    assert capture_spans.spans == []
    assert list(it) == [2]
    assert capture_spans.names() == ["g"]


def test_generator_span_ends_on_close(capture_spans: CapturedSpans) -> None:
    """close() on a half-consumed generator ends the span and runs the body's finally."""
    cleaned: list[bool] = []

    @chainsight.trace(name="g")
    def g() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            cleaned.append(True)

    it = g()
    next(it)
    it.close()
    assert cleaned == [True]
    span = capture_spans.by_name("g")
    assert span.status.status_code is StatusCode.UNSET


def test_generator_span_ends_on_error(capture_spans: CapturedSpans) -> None:
    """An exception inside the body ends the span as ERROR and reaches the caller."""

    @chainsight.trace(name="g")
    def g() -> Iterator[int]:
        yield 1
        raise KeyError("gone")

    it = g()
    next(it)
    with pytest.raises(KeyError):
        next(it)
    assert capture_spans.by_name("g").status.status_code is StatusCode.ERROR


def test_abandoned_generator_ends_its_span_when_collected(capture_spans: CapturedSpans) -> None:
    """A generator dropped mid-way is closed by Python, and our finally ends the span."""

    @chainsight.trace(name="g")
    def g() -> Iterator[int]:
        yield 1
        yield 2

    it = g()
    next(it)
    del it
    gc.collect()
    assert capture_spans.names() == ["g"]


def test_span_is_not_current_between_yields(capture_spans: CapturedSpans) -> None:
    """Between yields the caller's current span is its own, never the generator's."""

    @chainsight.trace(name="g")
    def g() -> Iterator[str]:
        yield "a"
        yield "b"

    with chainsight.span("caller") as caller:
        for _ in g():
            assert trace.get_current_span() is caller.otel_span


def test_children_inside_the_generator_body_nest_under_it(capture_spans: CapturedSpans) -> None:
    """Spans started by the body between yields are children of the generator's span."""

    @chainsight.tool(name="child")
    def child() -> None:
        return None

    @chainsight.retriever(name="g")
    def g() -> Iterator[int]:
        child()
        yield 1
        child()
        yield 2

    list(g())
    parent = capture_spans.by_name("g").context
    assert parent is not None
    children = [s for s in capture_spans.spans if s.name == "child"]
    assert [c.parent.span_id for c in children if c.parent] == [parent.span_id] * 2


def test_send_and_throw_reach_the_body(capture_spans: CapturedSpans) -> None:
    """send() values and throw() exceptions are forwarded to the wrapped generator."""
    received: list[object] = []

    @chainsight.trace(name="g")
    def g() -> Iterator[int]:
        while True:
            try:
                received.append((yield len(received)))
            except ValueError as exc:
                received.append(f"caught {exc}")

    it = g()
    next(it)
    it.send("hello")
    it.throw(ValueError("x"))
    it.close()
    assert received == ["hello", "caught x"]
    assert capture_spans.names() == ["g"]


def test_generator_return_value_is_kept(capture_spans: CapturedSpans) -> None:
    """``return value`` inside a generator still reaches ``yield from`` callers."""

    @chainsight.trace(name="g")
    def g() -> Iterator[int]:
        yield 1
        return 42

    def outer() -> Iterator[int]:
        result = yield from g()
        yield result

    assert list(outer()) == [1, 42]


def test_async_generator_span_ends_on_exhaustion_and_nests(capture_spans: CapturedSpans) -> None:
    """Async generators: children nest, the caller is not inside the span between items."""

    @chainsight.tool(name="child")
    async def child() -> None:
        await asyncio.sleep(0)

    @chainsight.trace(name="ag")
    async def ag() -> AsyncIterator[int]:
        await child()
        yield 1
        await child()
        yield 2

    async def main() -> list[int]:
        out = []
        with chainsight.span("caller") as caller:
            async for item in ag():
                assert trace.get_current_span() is caller.otel_span
                out.append(item)
        return out

    assert asyncio.run(main()) == [1, 2]
    parent = capture_spans.by_name("ag").context
    assert parent is not None
    assert [c.parent.span_id for c in capture_spans.spans if c.name == "child" and c.parent] == [
        parent.span_id
    ] * 2


def test_async_generator_span_ends_on_aclose(capture_spans: CapturedSpans) -> None:
    """aclose() on a half-consumed async generator ends the span and runs its finally."""
    cleaned: list[bool] = []

    @chainsight.trace(name="ag")
    async def ag() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            cleaned.append(True)

    async def main() -> None:
        it = ag()
        await it.__anext__()
        await it.aclose()

    asyncio.run(main())
    assert cleaned == [True]
    assert capture_spans.names() == ["ag"]


def test_async_generator_error_marks_error(capture_spans: CapturedSpans) -> None:
    """An exception in an async generator body ends the span as ERROR and propagates."""

    @chainsight.trace(name="ag")
    async def ag() -> AsyncIterator[int]:
        yield 1
        raise KeyError("gone")

    async def main() -> None:
        async for _ in ag():
            pass

    with pytest.raises(KeyError):
        asyncio.run(main())
    assert capture_spans.by_name("ag").status.status_code is StatusCode.ERROR


def test_async_generator_athrow_is_forwarded(capture_spans: CapturedSpans) -> None:
    """athrow() reaches the body, which may handle it and continue."""

    @chainsight.trace(name="ag")
    async def ag() -> AsyncIterator[str]:
        try:
            yield "first"
        except ValueError:
            yield "recovered"

    async def main() -> list[str]:
        it = ag()
        got = [await it.__anext__(), await it.athrow(ValueError("x"))]
        await it.aclose()
        return got

    assert asyncio.run(main()) == ["first", "recovered"]
    assert capture_spans.names() == ["ag"]


def test_break_out_of_async_for_ends_the_span(capture_spans: CapturedSpans) -> None:
    """An async generator abandoned by ``break`` is finalized by asyncio.run's shutdown."""

    @chainsight.trace(name="ag")
    async def ag() -> AsyncIterator[int]:
        yield 1
        yield 2

    async def main() -> None:
        async for _ in ag():
            break

    asyncio.run(main())
    assert capture_spans.names() == ["ag"]
