"""Request-scoped facts (session, user, tags, metadata) applied to every span started inside.

They live in a ``contextvars.ContextVar``, so they follow the code the same way OTel's own
context does: across ``await``, into ``asyncio`` tasks (which copy the context at creation),
and into ``asyncio.to_thread``. Thread pools do *not* copy contextvars; wrap the callable with
:func:`bind_context` (which carries the OTel parent span too).

The attributes are precomputed when the block is entered, so starting a span inside costs one
``ContextVar.get`` and a dict merge, not a re-encoding.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from . import semconv

P = ParamSpec("P")
R = TypeVar("R")

AttributeValue = str | bool | int | float | tuple[str, ...]


class _Scope:
    """What one ``context()`` block (merged with its enclosing blocks) adds to spans."""

    __slots__ = ("attributes", "metadata", "session_id", "tags", "user_id")

    def __init__(
        self,
        session_id: str | None,
        user_id: str | None,
        tags: tuple[str, ...],
        metadata: dict[str, object],
    ) -> None:
        self.session_id = session_id
        self.user_id = user_id
        self.tags = tags
        self.metadata = metadata
        attributes: dict[str, AttributeValue] = {}
        if session_id is not None:
            attributes[semconv.SESSION_ID] = session_id
        if user_id is not None:
            attributes[semconv.USER_ID] = user_id
        if tags:
            attributes[semconv.TAG_TAGS] = tags
        if metadata:
            # OpenInference: ``metadata`` is a JSON object string.
            try:
                text = json.dumps(metadata, default=str, sort_keys=True)
            except ValueError:  # a cycle: keep the block working, show the keys
                text = json.dumps({key: "<unserializable>" for key in metadata}, sort_keys=True)
            attributes[semconv.METADATA] = text
        self.attributes = attributes


_SCOPE: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "chainsight_scope", default=None
)


def current_attributes() -> Mapping[str, AttributeValue] | None:
    """The span attributes of the innermost ``context()`` block, or None outside any."""
    scope = _SCOPE.get()
    return scope.attributes if scope is not None else None


@contextmanager
def context(
    *,
    session_id: str | None = None,
    user_id: str | None = None,
    tags: Iterable[str] | None = None,
    metadata: Mapping[str, object] | None = None,
) -> Iterator[None]:
    """Attach session, user, tags and metadata to every span started inside the block.

    Nested blocks inherit: an inner ``session_id``/``user_id`` replaces the outer one, tags
    accumulate (order kept, no duplicates) and metadata keys merge (inner wins).

    >>> import chainsight
    >>> with chainsight.context(session_id="s-1", user_id="u-9", tags=["beta"]):
    ...     pass
    """
    outer = _SCOPE.get()
    merged_tags: tuple[str, ...] = outer.tags if outer is not None else ()
    if tags is not None:
        if isinstance(tags, str):
            tags = (tags,)
        merged_tags = tuple(dict.fromkeys((*merged_tags, *(str(t) for t in tags))))
    merged_meta = dict(outer.metadata) if outer is not None else {}
    if metadata:
        merged_meta.update({str(k): v for k, v in metadata.items()})
    scope = _Scope(
        str(session_id) if session_id is not None else (outer.session_id if outer else None),
        str(user_id) if user_id is not None else (outer.user_id if outer else None),
        merged_tags,
        merged_meta,
    )
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def bind_context(func: Callable[P, R]) -> Callable[P, R]:
    """Return ``func`` bound to the caller's current context, for thread pools.

    ``concurrent.futures`` executors and ``loop.run_in_executor`` run callables in worker
    threads with an empty context, so spans started there would become new roots. Capture the
    context where the work is submitted::

        with ThreadPoolExecutor() as pool:
            pool.submit(chainsight.bind_context(fetch), url)

    Each call runs in its own copy of the captured context (a ``Context`` may only be entered
    by one thread at a time), so one bound callable can be submitted many times.
    """
    captured = contextvars.copy_context()

    def bound(*args: P.args, **kwargs: P.kwargs) -> R:
        return captured.copy().run(func, *args, **kwargs)

    bound.__wrapped__ = func  # type: ignore[attr-defined]
    return bound
