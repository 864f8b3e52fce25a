"""Static facts of a traced step, decided once, and the opening of its span per call.

A :class:`Step` holds what is known before any call: name, kind, the static attributes, the
capture switches and (for decorators) a :class:`Binder` built from the signature.
``Step.start()`` opens one OTel span per call, already carrying those attributes, the
``chainsight.context()`` attributes and the captured input, so the sampler sees them and no
per-attribute lock is taken; it returns the :class:`chainsight.spans.Span` handle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import capture, semconv
from ._runtime import RUNTIME
from .context import current_attributes
from .scrubbing import scrubber_for
from .spans import NOOP_SPAN, PRIMITIVES, Span

OPERATION_BY_KIND = {
    "llm": "chat",
    "embedding": "embeddings",
    "tool": "execute_tool",
    "agent": "invoke_agent",
    "retriever": "retrieval",
}
"""``gen_ai.operation.name`` written for each step kind (GenAI conventions' operation list)."""


class Step:
    """Static facts of one traced step, decided once (at decoration or ``span()`` time)."""

    __slots__ = (
        "attributes",
        "binder",
        "capture_input",
        "capture_output",
        "is_llm",
        "kind",
        "model",
        "name",
        "operation",
        "rename",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        *,
        named: bool,
        capture_input: bool = True,
        capture_output: bool = True,
        model: str | None = None,
        provider: str | None = None,
        operation: str | None = None,
        attributes: Mapping[str, object] | None = None,
        function: str | None = None,
    ) -> None:
        if kind not in semconv.SPAN_KINDS:
            raise ValueError(f"kind={kind!r} is not one of {', '.join(semconv.SPAN_KINDS)}")
        self.name = name
        self.kind = kind
        self.model = model
        self.is_llm = kind == "llm"
        # "{operation} {model}" (GenAI span name convention) only when the user gave no name.
        self.rename = self.is_llm and not named
        self.operation = operation or OPERATION_BY_KIND.get(kind)
        self.capture_input = capture_input
        self.capture_output = capture_output
        self.binder: Binder | None = None
        static: dict[str, Any] = {
            semconv.CHAINSIGHT_SPAN_KIND: kind,
            semconv.OPENINFERENCE_SPAN_KIND: kind.upper(),
        }
        if self.operation is not None:
            static[semconv.GEN_AI_OPERATION_NAME] = self.operation
        if kind == "tool":
            static[semconv.GEN_AI_TOOL_NAME] = name
        elif kind == "agent":
            static[semconv.GEN_AI_AGENT_NAME] = name
        if model is not None:
            static[semconv.GEN_AI_REQUEST_MODEL] = model
        if provider is not None:
            static[semconv.GEN_AI_PROVIDER_NAME] = provider
        if function is not None and self.rename:
            static[semconv.CODE_FUNCTION_NAME] = function
        for key, value in (attributes or {}).items():
            static[key] = value if isinstance(value, PRIMITIVES) else str(value)
        self.attributes = static

    def start_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span:
        """Open the span of one call, capturing its bound arguments when enabled."""
        binder = self.binder
        if binder is None or not RUNTIME.config.capture_inputs:
            return self.start(None)
        try:
            arguments = binder.bind(args, kwargs)
        except Exception as exc:
            RUNTIME.record_internal_error(exc)
            arguments = None
        return self.start(arguments)

    def start(self, arguments: Mapping[str, object] | None) -> Span:
        """Open the OTel span (not yet current); a :class:`NoopSpan` if that fails."""
        try:
            attributes = self.attributes
            scoped = current_attributes()
            if scoped is not None or arguments is not None:
                attributes = {**attributes, **scoped} if scoped is not None else dict(attributes)
                if arguments is not None:
                    _capture_arguments(arguments, attributes)
            otel = RUNTIME.tracer.start_span(self.name, attributes=attributes)
            return Span(otel, self)
        except Exception as exc:
            RUNTIME.record_internal_error(exc)
            return NOOP_SPAN


def _capture_arguments(arguments: Mapping[str, object], attributes: dict[str, Any]) -> None:
    """Add ``input.value`` for a call's arguments; on failure (a broken redact hook) skip it."""
    config = RUNTIME.config
    try:
        attributes[semconv.INPUT_VALUE] = capture.encode_arguments(
            arguments,
            max_bytes=config.max_value_bytes,
            scrubber=scrubber_for(config),
            redact=getattr(config, "redact", None),
        )
    except Exception as exc:
        RUNTIME.record_internal_error(exc)
        return
    attributes[semconv.INPUT_MIME_TYPE] = capture.JSON_MIME


class Binder:
    """Maps a call's positional and keyword arguments to parameter names, without ``inspect``.

    Built once per decorated function from its signature; ``self``/``cls`` are dropped,
    extra positionals go under the ``*args`` name, extra keywords are kept flat.
    """

    __slots__ = ("drop", "names", "varargs")

    def __init__(self, names: tuple[str, ...], varargs: str | None, drop: str | None) -> None:
        self.names = names
        self.varargs = varargs
        self.drop = drop

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        names = self.names
        bound = dict(zip(names, args, strict=False))
        if self.varargs is not None and len(args) > len(names):
            bound[self.varargs] = args[len(names) :]
        if kwargs:
            bound.update(kwargs)
        if self.drop is not None:
            bound.pop(self.drop, None)
        return bound


def span(
    name: str,
    *,
    kind: str = "chain",
    model: str | None = None,
    provider: str | None = None,
    operation: str | None = None,
    capture_output: bool = True,
    attributes: Mapping[str, object] | None = None,
) -> Span:
    """A span for a block of code, with the same features as the decorators.

    Use it in a ``with`` statement; the block's exception marks it ERROR and propagates.

    >>> import chainsight
    >>> with chainsight.span("rerank", kind="reranker") as s:
    ...     s.set_input({"query": "refund policy", "k": 5})
    ...     s.set_output(["doc-3", "doc-1"])
    """
    if RUNTIME.disabled:
        return NOOP_SPAN
    step = Step(
        name,
        kind,
        named=True,
        capture_output=capture_output,
        model=model,
        provider=provider,
        operation=operation,
        attributes=attributes,
    )
    return step.start(None)
