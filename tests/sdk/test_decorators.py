"""The step decorators on every kind of callable: spans, values, exceptions, signatures."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

import chainsight
from chainsight import semconv
from chainsight._runtime import RUNTIME
from chainsight.testing import CapturedSpans


class Boom(Exception):
    """A user exception."""


def plain(x: int, y: int = 2) -> int:
    """Add."""
    return x + y


async def coro(x: int, y: int = 2) -> int:
    """Add, later."""
    await asyncio.sleep(0)
    return x + y


def gen(x: int, y: int = 2) -> Iterator[int]:
    """Count."""
    yield x
    yield y


async def agen(x: int, y: int = 2) -> AsyncIterator[int]:
    """Count, later."""
    yield x
    await asyncio.sleep(0)
    yield y


RAISED: list[Boom] = []


def _boom(x: int) -> Boom:
    RAISED.append(Boom(f"bad {x}"))
    return RAISED[-1]


def failing_plain(x: int) -> int:
    raise _boom(x)


async def failing_coro(x: int) -> int:
    raise _boom(x)


def failing_gen(x: int) -> Iterator[int]:
    yield x
    raise _boom(x)


async def failing_agen(x: int) -> AsyncIterator[int]:
    yield x
    raise _boom(x)


def run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call any shape of function to completion, the way a caller would."""
    if inspect.isasyncgenfunction(func):

        async def consume() -> list[Any]:
            return [item async for item in func(*args, **kwargs)]

        return asyncio.run(consume())
    if inspect.iscoroutinefunction(func):
        return asyncio.run(func(*args, **kwargs))
    if inspect.isgeneratorfunction(func):
        return list(func(*args, **kwargs))
    return func(*args, **kwargs)


SHAPES = [plain, coro, gen, agen]
EXPECTED = {plain: 3, coro: 3, gen: [1, 2], agen: [1, 2]}
FAILING = [failing_plain, failing_coro, failing_gen, failing_agen]
IDS = ["sync", "async", "generator", "async-generator"]


@pytest.mark.parametrize("func", SHAPES, ids=IDS)
def test_bare_decorator_returns_the_value_and_records_one_span(
    capture_spans: CapturedSpans, func: Callable[..., Any]
) -> None:
    """Bare @trace keeps the result and emits one span named by the qualified name."""
    assert run(chainsight.trace(func), 1) == EXPECTED[func]
    (span,) = capture_spans.spans
    assert span.name == func.__qualname__
    assert span.attributes[semconv.OPENINFERENCE_SPAN_KIND] == "CHAIN"


@pytest.mark.parametrize("func", SHAPES, ids=IDS)
def test_decorator_with_arguments_uses_its_name_and_kind(
    capture_spans: CapturedSpans, func: Callable[..., Any]
) -> None:
    """@trace(name=..., kind=...) names the span and sets both kind attributes."""
    assert run(chainsight.trace(name="step", kind="retriever")(func), 1) == EXPECTED[func]
    span = capture_spans.by_name("step")
    assert span.attributes[semconv.CHAINSIGHT_SPAN_KIND] == "retriever"
    assert span.attributes[semconv.OPENINFERENCE_SPAN_KIND] == "RETRIEVER"
    assert span.attributes[semconv.GEN_AI_OPERATION_NAME] == "retrieval"


@pytest.mark.parametrize("func", SHAPES, ids=IDS)
def test_signature_name_and_docstring_are_unchanged(func: Callable[..., Any]) -> None:
    """inspect.signature, __name__, __qualname__, __doc__ and the function's shape survive."""
    wrapped = chainsight.llm(name="x")(func)
    assert inspect.signature(wrapped) == inspect.signature(func)
    assert (wrapped.__name__, wrapped.__qualname__, wrapped.__doc__) == (
        func.__name__,
        func.__qualname__,
        func.__doc__,
    )
    assert inspect.iscoroutinefunction(wrapped) == inspect.iscoroutinefunction(func)
    assert inspect.isgeneratorfunction(wrapped) == inspect.isgeneratorfunction(func)
    assert inspect.isasyncgenfunction(wrapped) == inspect.isasyncgenfunction(func)


@pytest.mark.parametrize("func", FAILING, ids=IDS)
def test_exception_propagates_untouched_and_marks_the_span_error(
    capture_spans: CapturedSpans, func: Callable[..., Any]
) -> None:
    """The very exception object reaches the caller; the span is ERROR with the exception."""
    traced = chainsight.trace(name="failing")(func)
    with pytest.raises(Boom, match="bad 7") as info:
        run(traced, 7)
    assert info.value is RAISED[-1]
    span = capture_spans.by_name("failing")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE].endswith("Boom")
    (event,) = [e for e in span.events if e.name == semconv.EXCEPTION_EVENT]
    assert event.attributes[semconv.EXCEPTION_TYPE].endswith("Boom")
    assert event.attributes[semconv.EXCEPTION_MESSAGE] == "bad 7"
    assert "raise _boom(x)" in event.attributes[semconv.EXCEPTION_STACKTRACE]


def test_the_raised_object_is_the_one_the_function_raised(capture_spans: CapturedSpans) -> None:
    """Identity, not just type: no wrapping or re-creation of user exceptions."""
    original = Boom("mine")

    @chainsight.tool
    def fail() -> None:
        raise original

    with pytest.raises(Boom) as info:
        fail()
    assert info.value is original


def test_async_exception_is_the_same_object(capture_spans: CapturedSpans) -> None:
    """Async steps re-raise the function's own exception object."""
    original = Boom("mine")

    @chainsight.agent
    async def fail() -> None:
        raise original

    with pytest.raises(Boom) as info:
        asyncio.run(fail())
    assert info.value is original


class Service:
    """Methods of every flavour."""

    def __init__(self) -> None:
        self.calls = 0

    @chainsight.trace
    def method(self, q: str) -> str:
        self.calls += 1
        return q.upper()

    @chainsight.tool(name="lookup")
    @classmethod
    def klass(cls, q: str) -> str:
        return f"{cls.__name__}:{q}"

    @staticmethod
    @chainsight.trace
    def static(q: str) -> str:
        return q * 2

    @chainsight.trace
    async def amethod(self, q: str) -> str:
        return q.lower()


def test_methods_bind_self_and_drop_it_from_the_input(capture_spans: CapturedSpans) -> None:
    """A method sees its own self; the captured input has only the real arguments."""
    service = Service()
    assert service.method("hi") == "HI"
    assert service.calls == 1
    span = capture_spans.by_name("Service.method")
    assert span.attributes[semconv.INPUT_VALUE] == '{"q": "hi"}'


def test_classmethod_and_staticmethod_are_traced(capture_spans: CapturedSpans) -> None:
    """Decorating above @classmethod or below @staticmethod both work."""
    assert Service.klass("x") == "Service:x"
    assert Service().static("ab") == "abab"
    assert capture_spans.by_name("lookup").attributes[semconv.INPUT_VALUE] == '{"q": "x"}'
    assert capture_spans.by_name("Service.static").attributes[semconv.OUTPUT_VALUE] == "abab"


def test_async_method_is_traced(capture_spans: CapturedSpans) -> None:
    """An async method keeps self and its result."""
    assert asyncio.run(Service().amethod("HI")) == "hi"
    assert capture_spans.names() == ["Service.amethod"]


def test_user_kwargs_are_passed_through_untouched(capture_spans: CapturedSpans) -> None:
    """Keyword arguments named like our options reach the function unchanged."""

    @chainsight.trace(name="options")
    def takes_all(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    sent = {"name": "user", "kind": "mine", "capture_input": False, "session_id": "s"}
    assert takes_all(**sent) == sent


@pytest.mark.parametrize(
    ("decorator", "kind"),
    [
        (chainsight.trace, "chain"),
        (chainsight.llm, "llm"),
        (chainsight.retriever, "retriever"),
        (chainsight.embedding, "embedding"),
        (chainsight.reranker, "reranker"),
        (chainsight.tool, "tool"),
        (chainsight.agent, "agent"),
        (chainsight.guardrail, "guardrail"),
        (chainsight.evaluator, "evaluator"),
    ],
)
def test_each_decorator_sets_its_kind(
    capture_spans: CapturedSpans, decorator: chainsight.StepDecorator, kind: str
) -> None:
    """Every kind decorator writes chainsight.span.kind and the upper-case OpenInference kind."""
    decorator(plain)(1)
    (span,) = capture_spans.spans
    assert span.attributes[semconv.CHAINSIGHT_SPAN_KIND] == kind
    assert span.attributes[semconv.OPENINFERENCE_SPAN_KIND] == kind.upper()


def test_tool_and_agent_name_themselves(capture_spans: CapturedSpans) -> None:
    """Tools carry gen_ai.tool.name and agents gen_ai.agent.name."""
    chainsight.tool(name="search_orders")(plain)(1)
    chainsight.agent(name="planner")(plain)(1)
    tool = capture_spans.by_name("search_orders")
    assert tool.attributes[semconv.GEN_AI_TOOL_NAME] == "search_orders"
    assert capture_spans.by_name("planner").attributes[semconv.GEN_AI_AGENT_NAME] == "planner"


def test_unknown_kind_is_rejected_at_decoration() -> None:
    """A typo in kind= fails loudly when the module loads, not silently per call."""
    with pytest.raises(ValueError, match="kind='llmm'"):
        chainsight.trace(kind="llmm")(plain)


def test_static_attributes_are_added(capture_spans: CapturedSpans) -> None:
    """attributes= lands on every span of the step."""
    chainsight.trace(attributes={"team": "search", "version": 3})(plain)(1)
    (span,) = capture_spans.spans
    assert (span.attributes["team"], span.attributes["version"]) == ("search", 3)


@pytest.mark.parametrize("func", SHAPES, ids=IDS)
def test_disabled_runtime_makes_no_span_and_captures_nothing(
    capture_spans: CapturedSpans, func: Callable[..., Any]
) -> None:
    """With RUNTIME.disabled the decorator is a pass-through: same result, no span."""
    traced = chainsight.llm(func)
    RUNTIME.disabled = True
    assert run(traced, 1) == EXPECTED[func]
    assert capture_spans.spans == []


def test_disabled_runtime_never_touches_the_arguments(capture_spans: CapturedSpans) -> None:
    """No capture when disabled: an argument whose repr would explode is never looked at."""

    class Untouchable:
        def __repr__(self) -> str:
            raise AssertionError("captured while disabled")

    traced = chainsight.trace(lambda value: "ok")
    RUNTIME.disabled = True
    assert traced(Untouchable()) == "ok"


def test_span_context_manager_records_block_exception(capture_spans: CapturedSpans) -> None:
    """chainsight.span() marks ERROR and lets the block's exception through."""
    with pytest.raises(Boom), chainsight.span("rerank", kind="reranker"):
        raise Boom("in block")
    span = capture_spans.by_name("rerank")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.OPENINFERENCE_SPAN_KIND] == "RERANKER"


def test_span_handle_sets_input_output_and_attributes(capture_spans: CapturedSpans) -> None:
    """The span handle records input, output and attributes of any shape."""
    with chainsight.span("rerank", kind="reranker") as s:
        s.set_input({"query": "refunds", "k": 2})
        s.set_output(["doc-3", "doc-1"])
        s.set_attribute("top_k", 2)
        s.set_attribute("ids", ["a", "b"])
        s.set_attribute("config", {"model": "bge"})
    span = capture_spans.by_name("rerank")
    assert span.attributes[semconv.INPUT_VALUE] == '{"query": "refunds", "k": 2}'
    assert span.attributes[semconv.OUTPUT_VALUE] == '["doc-3", "doc-1"]'
    assert span.attributes[semconv.OUTPUT_MIME_TYPE] == "application/json"
    assert span.attributes["top_k"] == 2
    assert tuple(span.attributes["ids"]) == ("a", "b")
    assert span.attributes["config"] == '{"model": "bge"}'


def test_set_output_wins_over_the_return_value(capture_spans: CapturedSpans) -> None:
    """An explicit set_output is kept; the decorator does not overwrite it."""

    @chainsight.trace
    def step() -> str:
        chainsight.current_span().set_output("summary")
        return "raw"

    assert step() == "raw"
    (span,) = capture_spans.spans
    assert span.attributes[semconv.OUTPUT_VALUE] == "summary"
    assert span.attributes[semconv.OUTPUT_MIME_TYPE] == "text/plain"


def test_current_span_outside_any_span_is_a_noop(capture_spans: CapturedSpans) -> None:
    """current_span() with nothing active accepts every call and records nothing."""
    s = chainsight.current_span()
    assert not s.is_recording()
    s.set_usage(input_tokens=1, output_tokens=1)
    s.set_model("m")
    s.set_output("x")
    assert capture_spans.spans == []
