"""The step decorators: ``trace``, ``llm``, ``retriever``, ``embedding``, ``reranker``, ``tool``,
``agent``, ``guardrail``, ``evaluator``.

One decorator shape (a :class:`StepDecorator` per kind), bare or with arguments. Everything
static is decided at decoration time: the span name (``name=`` or the function's
``__qualname__``), the kind and its attributes, which arguments are captured (the signature
is read once), and which wrapper applies — sync, async, generator or async generator. Each
wrapper is a few lines around :class:`chainsight.spans.Span`, opened by
:class:`chainsight.steps.Step`:

* sync/async functions: ``with step.start_call(...) as span: return span._result(f())``;
* generators/async generators: the span is made current only while the generator body runs
  (each ``send``/``throw`` step), never across a ``yield``, and ends on exhaustion, error,
  ``close()``/``aclose()`` or collection (the wrapper's own ``try/finally``). A sync
  generator's body runs in a private ``contextvars.Context`` where the span is current (one
  ``Context.run`` per step); an async generator's steps run in the awaiting task, so there the
  span is attached and detached around each step instead.

Options travel only through the decorator's own arguments; the user's ``**kwargs`` are passed
through untouched. With ``RUNTIME.disabled`` a call costs one attribute check.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from ._runtime import RUNTIME
from .spans import NOOP_SPAN
from .steps import Binder, Step
from .streaming import Ending, start_stats

P = ParamSpec("P")
R = TypeVar("R")


class _Decorate(Protocol):
    def __call__(self, func: Callable[P, R], /) -> Callable[P, R]: ...


class StepDecorator:
    """A decorator for one step kind; ``kind=`` overrides it (``trace(kind="llm")``).

    >>> import chainsight
    >>> @chainsight.retriever
    ... def search(query: str, k: int = 3) -> list[str]:
    ...     return ["doc-1", "doc-2"][:k]
    >>> search("refunds")
    ['doc-1', 'doc-2']
    """

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"<chainsight step decorator kind={self.kind!r}>"

    @overload
    def __call__(self, func: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def __call__(
        self,
        func: None = None,
        /,
        *,
        name: str | None = None,
        kind: str | None = None,
        capture_input: bool = True,
        capture_output: bool = True,
        model: str | None = None,
        provider: str | None = None,
        operation: str | None = None,
        attributes: Mapping[str, object] | None = None,
    ) -> _Decorate: ...

    def __call__(
        self,
        func: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        kind: str | None = None,
        capture_input: bool = True,
        capture_output: bool = True,
        model: str | None = None,
        provider: str | None = None,
        operation: str | None = None,
        attributes: Mapping[str, object] | None = None,
    ) -> Any:
        """Decorate ``func``, or (called with options only) return a decorator."""
        options: dict[str, Any] = {
            "name": name,
            "kind": kind or self.kind,
            "capture_input": capture_input,
            "capture_output": capture_output,
            "model": model,
            "provider": provider,
            "operation": operation,
            "attributes": attributes,
        }
        if func is None:
            return functools.partial(_decorate, **options)
        return _decorate(func, **options)


def _decorate(func: Any, *, name: str | None, kind: str, **options: Any) -> Any:
    if isinstance(func, classmethod | staticmethod):
        return type(func)(_decorate(func.__func__, name=name, kind=kind, **options))
    if not callable(func):
        raise TypeError(f"chainsight decorators apply to callables, not {func!r}")
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    step = Step(name or qualname, kind, named=name is not None, function=qualname, **options)
    if options["capture_input"]:
        step.binder = _binder(func)
    if inspect.isasyncgenfunction(func):
        wrapper = _async_generator(func, step)
    elif inspect.isgeneratorfunction(func):
        wrapper = _generator(func, step)
    elif inspect.iscoroutinefunction(func):
        wrapper = _coroutine(func, step)
    else:
        wrapper = _function(func, step)
    return functools.wraps(func)(wrapper)


def _binder(func: Callable[..., Any]) -> Binder | None:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # some builtins and C callables have none
        return None
    names: list[str] = []
    varargs = None
    for param in signature.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            names.append(param.name)
        elif param.kind is param.VAR_POSITIONAL:
            varargs = param.name
    drop = names[0] if names and names[0] in ("self", "cls") else None
    return Binder(tuple(names), varargs, drop)


def _function(func: Callable[..., Any], step: Step) -> Callable[..., Any]:
    runtime = RUNTIME

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if runtime.disabled:
            return func(*args, **kwargs)
        with step.start_call(args, kwargs) as span:
            return span._result(func(*args, **kwargs))

    return wrapper


def _coroutine(func: Callable[..., Any], step: Step) -> Callable[..., Any]:
    runtime = RUNTIME

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if runtime.disabled:
            return await func(*args, **kwargs)
        with step.start_call(args, kwargs) as span:
            return span._result(await func(*args, **kwargs))

    return wrapper


def _generator(func: Callable[..., Generator[Any, Any, Any]], step: Step) -> Callable[..., Any]:
    runtime = RUNTIME

    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        if runtime.disabled:
            return (yield from func(*args, **kwargs))
        span = step.start_call(args, kwargs)
        ending = Ending(span, start_stats(span) if step.is_llm else None)
        observe, keep = _observers(ending)
        room = 0  # text chunks that may go straight to keep() (StreamStats.observe says)
        inner = func(*args, **kwargs)
        # The body runs inside the span's own contextvars.Context: current there, never in
        # the caller's context, and no attach/detach per item (measured ~2 µs per chunk).
        run = span._runner()
        send = inner.send  # bound once, not per item
        sent: Any = None
        error: Exception | None = None
        try:
            while True:
                try:
                    item = run(send, sent) if error is None else run(inner.throw, error)
                except StopIteration as stop:
                    if stop.value is not None:
                        span._result(stop.value)
                    return stop.value
                finally:
                    error = None
                if room and type(item) is str:
                    room -= 1
                    keep(item)
                elif observe is not None:
                    room = observe(item)
                try:
                    sent = yield item
                except GeneratorExit:
                    run(inner.close)
                    raise
                except Exception as exc:  # gen.throw(exc): forwarded into the body
                    error, sent = exc, None
        except Exception as exc:
            ending(exc)
            raise
        finally:
            ending()

    return wrapper


def _async_generator(
    func: Callable[..., AsyncGenerator[Any, Any]], step: Step
) -> Callable[..., Any]:
    runtime = RUNTIME

    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        span = NOOP_SPAN if runtime.disabled else step.start_call(args, kwargs)
        ending = Ending(span, start_stats(span) if step.is_llm and span is not NOOP_SPAN else None)
        observe, keep = _observers(ending)
        room = 0
        inner = func(*args, **kwargs)
        sent: Any = None
        error: Exception | None = None
        try:
            while True:
                span._attach()
                try:
                    if error is None:
                        item = await inner.asend(sent)
                    else:
                        item = await inner.athrow(error)
                except StopAsyncIteration:
                    return
                finally:
                    error = None
                    span._detach()
                if room and type(item) is str:
                    room -= 1
                    keep(item)
                elif observe is not None:
                    room = observe(item)
                try:
                    sent = yield item
                except GeneratorExit:
                    span._attach()
                    try:
                        await inner.aclose()
                    finally:
                        span._detach()
                    raise
                except Exception as exc:  # agen.athrow(exc): forwarded into the body
                    error, sent = exc, None
        except Exception as exc:
            ending(exc)
            raise
        finally:
            ending()

    return wrapper


def _observers(ending: Ending) -> tuple[Callable[[Any], int] | None, Callable[[str], None]]:
    """``(observe, keep)`` of an LLM stream's stats; ``(None, <unused>)`` for other steps."""
    stats = ending.stats
    if stats is None:
        return None, _unused
    return stats.observe, stats.keep


def _unused(text: str) -> None:
    """``keep`` of a step without stats: never called, since ``room`` stays 0."""


trace = StepDecorator("chain")
"""A chain step (any function); ``kind=`` makes it any other kind.

>>> import chainsight
>>> @chainsight.trace
... def answer(question: str) -> str:
...     return "42"
"""
llm = StepDecorator("llm")
"""A model call: reads model, usage and finish reasons from the response; measures streams."""
retriever = StepDecorator("retriever")
"""A retrieval step (vector search, BM25, ...)."""
embedding = StepDecorator("embedding")
"""An embedding call."""
reranker = StepDecorator("reranker")
"""A reranking step."""
tool = StepDecorator("tool")
"""A tool the model calls (``gen_ai.tool.name`` = the span name)."""
agent = StepDecorator("agent")
"""An agent invocation (``gen_ai.agent.name`` = the span name)."""
guardrail = StepDecorator("guardrail")
"""A guardrail / moderation check."""
evaluator = StepDecorator("evaluator")
"""An evaluation of another step's output."""
