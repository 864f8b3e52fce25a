"""chainsight.context(): session, user, tags and metadata on every span inside."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import chainsight
from chainsight import semconv
from chainsight.testing import CapturedSpans


def test_context_attributes_land_on_every_span(capture_spans: CapturedSpans) -> None:
    """Spans started inside the block carry session, user, tags and metadata."""
    step = chainsight.trace(name="step")(lambda: None)
    with chainsight.context(
        session_id="s-1", user_id="u-9", tags=["beta"], metadata={"plan": "pro"}
    ):
        step()
        with chainsight.span("block"):
            pass
    for name in ("step", "block"):
        attrs = capture_spans.by_name(name).attributes
        assert attrs[semconv.SESSION_ID] == "s-1"
        assert attrs[semconv.USER_ID] == "u-9"
        assert tuple(attrs[semconv.TAG_TAGS]) == ("beta",)
        assert json.loads(attrs[semconv.METADATA]) == {"plan": "pro"}


def test_spans_outside_the_block_have_no_context(capture_spans: CapturedSpans) -> None:
    """The block's attributes end with the block."""
    with chainsight.context(session_id="s-1"):
        pass
    chainsight.trace(name="after")(lambda: None)()
    assert semconv.SESSION_ID not in capture_spans.by_name("after").attributes


def test_nested_blocks_merge(capture_spans: CapturedSpans) -> None:
    """Inner ids replace outer ones, tags accumulate, metadata merges."""
    with (
        chainsight.context(session_id="s-1", user_id="u-1", tags=["a"], metadata={"x": 1}),
        chainsight.context(user_id="u-2", tags=["b", "a"], metadata={"y": 2}),
        chainsight.span("inner"),
    ):
        pass
    attrs = capture_spans.by_name("inner").attributes
    assert (attrs[semconv.SESSION_ID], attrs[semconv.USER_ID]) == ("s-1", "u-2")
    assert tuple(attrs[semconv.TAG_TAGS]) == ("a", "b")
    assert json.loads(attrs[semconv.METADATA]) == {"x": 1, "y": 2}


def test_context_follows_asyncio_tasks(capture_spans: CapturedSpans) -> None:
    """Tasks created inside the block keep its attributes; parallel blocks stay separate."""

    @chainsight.tool(name="work")
    async def work() -> None:
        await asyncio.sleep(0)

    async def request(session: str) -> None:
        with chainsight.context(session_id=session):
            await asyncio.gather(work(), asyncio.create_task(work()))

    async def main() -> None:
        await asyncio.gather(request("a"), request("b"))

    asyncio.run(main())
    sessions = sorted(s.attributes[semconv.SESSION_ID] for s in capture_spans.spans)
    assert sessions == ["a", "a", "b", "b"]


def test_context_reaches_executor_threads_with_bind_context(capture_spans: CapturedSpans) -> None:
    """bind_context carries chainsight.context() into worker threads too."""
    work = chainsight.tool(name="work")(lambda: None)
    with chainsight.context(user_id="u-7"), ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(chainsight.bind_context(work)).result()
    assert capture_spans.by_name("work").attributes[semconv.USER_ID] == "u-7"


def test_unserializable_metadata_does_not_raise(capture_spans: CapturedSpans) -> None:
    """Metadata values that are not JSON are shown by their string form."""
    with chainsight.context(metadata={"when": object}), chainsight.span("s"):
        pass
    meta = json.loads(capture_spans.by_name("s").attributes[semconv.METADATA])
    assert meta["when"].startswith("<class")


def test_cyclic_metadata_does_not_raise(capture_spans: CapturedSpans) -> None:
    """A self-referencing metadata value never breaks the block."""
    loop: dict[str, object] = {}
    loop["self"] = loop
    with chainsight.context(metadata={"loop": loop}), chainsight.span("s"):
        pass
    assert semconv.METADATA in capture_spans.by_name("s").attributes
