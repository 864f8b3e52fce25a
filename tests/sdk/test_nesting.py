"""Parent/child links through OTel context: await, tasks, executors, third-party spans."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from opentelemetry.sdk.trace import ReadableSpan

import chainsight
from chainsight._runtime import RUNTIME
from chainsight.testing import CapturedSpans


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def test_sync_calls_nest(capture_spans: CapturedSpans) -> None:
    """A decorated call inside another becomes its child; siblings share the parent."""

    @chainsight.retriever
    def search() -> list[str]:
        return ["d"]

    @chainsight.trace
    def answer() -> str:
        search()
        search()
        return "a"

    answer()
    root = capture_spans.by_name(answer.__qualname__)
    children = [s for s in capture_spans.spans if s.name == search.__qualname__]
    assert len(children) == 2
    assert all(parent_of(c) == span_id(root) for c in children)
    assert root.parent is None


def test_nesting_survives_await(capture_spans: CapturedSpans) -> None:
    """A child awaited after a suspension still nests under the awaiting step."""

    @chainsight.llm(name="call")
    async def call() -> str:
        await asyncio.sleep(0)
        return "x"

    @chainsight.agent(name="agent")
    async def agent() -> str:
        await asyncio.sleep(0)
        return await call()

    asyncio.run(agent())
    assert parent_of(capture_spans.by_name("call")) == span_id(capture_spans.by_name("agent"))


def test_nesting_into_create_task_and_gather(capture_spans: CapturedSpans) -> None:
    """Tasks copy the context at creation, so spans in them nest under the creator."""

    @chainsight.tool(name="fetch")
    async def fetch(i: int) -> int:
        await asyncio.sleep(0)
        return i

    @chainsight.trace(name="fan_out")
    async def fan_out() -> list[int]:
        task = asyncio.create_task(fetch(0))
        rest = await asyncio.gather(fetch(1), fetch(2))
        return [await task, *rest]

    assert asyncio.run(fan_out()) == [0, 1, 2]
    root = span_id(capture_spans.by_name("fan_out"))
    fetches = [s for s in capture_spans.spans if s.name == "fetch"]
    assert len(fetches) == 3
    assert {parent_of(s) for s in fetches} == {root}


def test_concurrent_tasks_do_not_leak_into_each_other(capture_spans: CapturedSpans) -> None:
    """Interleaved tasks keep their own parents."""

    @chainsight.tool(name="leaf")
    async def leaf() -> None:
        await asyncio.sleep(0)

    @chainsight.trace
    async def branch(name: str) -> None:
        for _ in range(3):
            await leaf()

    async def main() -> None:
        await asyncio.gather(branch("a"), branch("b"))

    asyncio.run(main())
    branches = {span_id(s) for s in capture_spans.spans if s.name == branch.__qualname__}
    leaves = [s for s in capture_spans.spans if s.name == "leaf"]
    assert len(leaves) == 6
    for parent in branches:
        assert sum(parent_of(s) == parent for s in leaves) == 3


def test_executor_with_bind_context_nests(capture_spans: CapturedSpans) -> None:
    """bind_context carries the parent into thread-pool workers."""

    @chainsight.tool(name="work")
    def work(i: int) -> int:
        return i * 2

    @chainsight.trace(name="batch")
    def batch() -> list[int]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            bound = chainsight.bind_context(work)
            return list(pool.map(bound, range(4)))

    assert batch() == [0, 2, 4, 6]
    root = span_id(capture_spans.by_name("batch"))
    assert [parent_of(s) for s in capture_spans.spans if s.name == "work"] == [root] * 4


def test_executor_without_bind_context_starts_new_traces(capture_spans: CapturedSpans) -> None:
    """Why bind_context exists: plain executor workers see an empty context."""

    @chainsight.tool(name="work")
    def work() -> None:
        return None

    @chainsight.trace(name="batch")
    def batch() -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(work).result()

    batch()
    assert capture_spans.by_name("work").parent is None


def test_run_in_executor_with_bind_context_nests(capture_spans: CapturedSpans) -> None:
    """loop.run_in_executor also needs bind_context; with it the span nests."""

    @chainsight.embedding(name="embed")
    def embed(text: str) -> list[float]:
        return [float(len(text))]

    @chainsight.trace(name="index")
    async def index() -> list[float]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, chainsight.bind_context(embed), "abc")

    assert asyncio.run(index()) == [3.0]
    assert parent_of(capture_spans.by_name("embed")) == span_id(capture_spans.by_name("index"))


def test_third_party_span_nests_under_ours(capture_spans: CapturedSpans) -> None:
    """An OTel span started by other instrumentation inside our step is our child."""
    other = capture_spans.provider.get_tracer("third.party")

    @chainsight.llm(name="call")
    def call() -> None:
        with other.start_as_current_span("HTTP POST"):
            pass

    call()
    assert parent_of(capture_spans.by_name("HTTP POST")) == span_id(capture_spans.by_name("call"))


def test_our_span_nests_under_a_third_party_span(capture_spans: CapturedSpans) -> None:
    """Our step inside someone else's current span is their child, same trace."""
    other = capture_spans.provider.get_tracer("web.framework")

    @chainsight.trace(name="handler_step")
    def step() -> None:
        return None

    with other.start_as_current_span("GET /chat") as outer:
        step()
    ours = capture_spans.by_name("handler_step")
    assert parent_of(ours) == outer.get_span_context().span_id
    assert ours.context is not None
    assert ours.context.trace_id == outer.get_span_context().trace_id


def test_current_span_inside_a_third_party_child_is_that_span(capture_spans: CapturedSpans) -> None:
    """current_span() returns the innermost span even when it is not ours."""
    other = capture_spans.provider.get_tracer("third.party")

    @chainsight.trace(name="outer")
    def outer() -> None:
        with other.start_as_current_span("inner"):
            chainsight.current_span().set_attribute("marked", True)

    outer()
    assert capture_spans.by_name("inner").attributes["marked"] is True
    assert "marked" not in capture_spans.by_name("outer").attributes


def test_current_span_is_restored_after_a_step(capture_spans: CapturedSpans) -> None:
    """After a child returns, current_span() is the parent again."""

    @chainsight.trace(name="child")
    def child() -> None:
        return None

    @chainsight.trace(name="parent")
    def parent() -> None:
        child()
        chainsight.current_span().set_attribute("after_child", True)

    parent()
    assert capture_spans.by_name("parent").attributes["after_child"] is True


def test_global_tracer_provider_is_never_used(capture_spans: CapturedSpans) -> None:
    """Spans come from the injected provider (RUNTIME.tracer), not OTel's global one."""
    chainsight.trace(name="x")(lambda: None)()
    assert capture_spans.names() == ["x"]
    assert RUNTIME.tracer is not None
