"""Conventions → one span row in ``SpanRecord`` field order: the attribute logic of ingest.

The decoder (``otlp.py``) hands each span over as plain Python values: a fresh
attribute dict (ours to consume), events and links as tuples. ``build_row`` reads
every fact through the alias tuples of ``chainsight.semconv`` — our own names, OTel
GenAI current and deprecated, OpenInference, OpenLLMetry/Traceloop — and *pops* the
attributes it promotes to columns, so the attributes JSON keeps only the rest and no
content is stored twice. ``docs/conventions.md`` is the table of what maps where.

Hot path: one dict pop per alias, no regex, no per-span JSON parsing except the
OpenInference finish-reason fallback (only when nothing else names it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from chainsight import semconv as sc
from chainsight.storage.model import SpanStatus

from .pricing import PriceBook, canonical_provider
from .records import dumps

__all__ = ["Event", "Link", "ResourceContext", "build_row"]

Event = tuple[str, int, dict[str, Any]]
"""(name, time_unix_nano, attributes) of one span event."""
Link = tuple[str, str, dict[str, Any]]
"""(trace_id hex, span_id hex, attributes) of one span link."""

_STATUS: Final[tuple[SpanStatus, SpanStatus, SpanStatus]] = ("unset", "ok", "error")
_OTEL_KINDS: Final = ("internal", "internal", "server", "client", "producer", "consumer")
_KINDS: Final = frozenset(sc.SPAN_KINDS)
_TRACELOOP_KINDS: Final = {"workflow": "chain", "task": "chain", "agent": "agent", "tool": "tool"}
_OPERATION_KINDS: Final = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "retrieval": "retriever",
}
_REQUEST_TYPE_KINDS: Final = {
    "chat": "llm",
    "completion": "llm",
    "embedding": "embedding",
    "rerank": "reranker",
}
_REQUEST_TYPE_OPERATIONS: Final = {
    "chat": "chat",
    "completion": "text_completion",
    "embedding": "embeddings",
}
_FIRST_TOKEN_EVENTS: Final = frozenset(sc.FIRST_TOKEN_EVENT_ALIASES)
_PROMPT_PREFIX: Final = sc.GEN_AI_PROMPT + "."
_COMPLETION_PREFIX: Final = sc.GEN_AI_COMPLETION + "."
_OI_INPUT_PREFIX: Final = sc.LLM_INPUT_MESSAGES + "."
_OI_OUTPUT_PREFIX: Final = sc.LLM_OUTPUT_MESSAGES + "."
_INT64_MAX: Final = 2**63 - 1

_MODEL_KEYS: Final = frozenset(
    sc.PROVIDER_ALIASES + sc.REQUEST_MODEL_ALIASES + sc.RESPONSE_MODEL_ALIASES
)
_USAGE_KEYS: Final = frozenset(
    sc.INPUT_TOKENS_ALIASES
    + sc.OUTPUT_TOKENS_ALIASES
    + sc.CACHE_READ_TOKENS_ALIASES
    + sc.CACHE_WRITE_TOKENS_ALIASES
    + sc.REASONING_TOKENS_ALIASES
    + sc.TOTAL_TOKENS_ALIASES
    + sc.COST_ALIASES
    + (sc.CHAINSIGHT_USAGE_ESTIMATED,)
)
_TIMING_KEYS: Final = frozenset(
    (*sc.TTFT_ALIASES, sc.CHAINSIGHT_TPOT_S, sc.CHAINSIGHT_FIRST_TOKEN_NS)
)
_CONTENT_KEYS: Final = frozenset(
    (
        *sc.INPUT_ALIASES,
        *sc.OUTPUT_ALIASES,
        *sc.INPUT_FALLBACK_ALIASES,
        *sc.OUTPUT_FALLBACK_ALIASES,
        f"{_PROMPT_PREFIX}0.{sc.FLAT_ROLE}",
        f"{_PROMPT_PREFIX}0.{sc.FLAT_CONTENT}",
        f"{_COMPLETION_PREFIX}0.{sc.FLAT_ROLE}",
        f"{_COMPLETION_PREFIX}0.{sc.FLAT_CONTENT}",
        f"{_OI_INPUT_PREFIX}0.{sc.OPENINFERENCE_MESSAGE_ROLE}",
        f"{_OI_INPUT_PREFIX}0.{sc.OPENINFERENCE_MESSAGE_CONTENT}",
        f"{_OI_OUTPUT_PREFIX}0.{sc.OPENINFERENCE_MESSAGE_ROLE}",
        f"{_OI_OUTPUT_PREFIX}0.{sc.OPENINFERENCE_MESSAGE_CONTENT}",
    )
)
_CONTEXT_KEYS: Final = frozenset(
    (
        *sc.FINISH_REASON_ALIASES,
        *sc.SESSION_ID_ALIASES,
        sc.ERROR_TYPE,
        sc.USER_ID,
        sc.TAG_TAGS,
    )
)
_KIND_KEYS: Final = frozenset(
    (
        sc.CHAINSIGHT_SPAN_KIND,
        sc.OPENINFERENCE_SPAN_KIND,
        sc.TRACELOOP_SPAN_KIND,
        sc.GEN_AI_OPERATION_NAME,
        sc.LLM_REQUEST_TYPE,
    )
)
_PROMOTED: Final = (
    _MODEL_KEYS | _USAGE_KEYS | _TIMING_KEYS | _CONTENT_KEYS | _CONTEXT_KEYS | _KIND_KEYS
)
"""Every attribute a column may be read from: one intersection per span gates each group."""


@dataclass(frozen=True, slots=True)
class ResourceContext:
    """What every span of one (resource, scope) pair shares; built once per scope."""

    project: str
    service: str | None
    resource_json: str
    scope: str | None


def _take(attrs: dict[str, Any], names: tuple[str, ...]) -> Any:
    """First present value of ``names``; pops every alias (they are one fact)."""
    found = None
    for name in names:
        value = attrs.pop(name, None)
        if found is None:
            found = value
    return found


def _take_first(attrs: dict[str, Any], names: tuple[str, ...]) -> Any:
    """First present value of ``names``; pops only that one (the others are other content)."""
    for name in names:
        value = attrs.pop(name, None)
        if value is not None:
            return value
    return None


def _int(value: Any) -> int | None:
    """A token count: ints, integral floats and decimal strings; negatives and junk → None."""
    if type(value) is int:
        n = value
    elif type(value) is float:
        if not math.isfinite(value):
            return None
        n = int(value)
    elif type(value) is str:
        try:
            n = int(value.strip())
        except ValueError:
            return None
    else:
        return None
    return n if 0 <= n <= _INT64_MAX else None


def _float(value: Any) -> float | None:
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is int:
        return float(value)
    if type(value) is str:
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        return value or None
    if type(value) is list:
        return _str(value[0]) if value else None
    return str(value)


def _content(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return dumps(value)


def _flat_messages(
    attrs: dict[str, Any], prefix: str, role_suffix: str, content_suffix: str
) -> str | None:
    """Rebuild ``prefix.N.role|content`` flattened lists as a JSON array of {role, content}."""
    role = attrs.pop(f"{prefix}0.{role_suffix}", None)
    content = attrs.pop(f"{prefix}0.{content_suffix}", None)
    if role is None and content is None:
        return None
    messages = []
    i = 0
    while role is not None or content is not None:
        messages.append({"role": role, "content": content})
        i += 1
        role = attrs.pop(f"{prefix}{i}.{role_suffix}", None)
        content = attrs.pop(f"{prefix}{i}.{content_suffix}", None)
    return dumps(messages)


def _finish_from_output(output: str) -> str | None:
    """OpenInference has no finish-reason attribute; its LLM spans carry the provider's
    response JSON in ``output.value`` (OpenAI ``choices[0].finish_reason``, Anthropic
    ``stop_reason``, Gemini ``candidates[0].finish_reason``). Parsed only when the key is there."""
    if not output.startswith("{"):
        return None
    if (
        sc.FLAT_FINISH_REASON not in output
        and "stop_reason" not in output
        and "finishReason" not in output
    ):
        return None
    try:
        doc = json.loads(output)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    for list_key in ("choices", "candidates"):
        items = doc.get(list_key)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            reason = items[0].get(sc.FLAT_FINISH_REASON) or items[0].get("finishReason")
            if isinstance(reason, str):
                return reason.lower() if list_key == "candidates" else reason
    reason = doc.get("stop_reason")
    return reason if isinstance(reason, str) else None


def _kind(attrs: dict[str, Any], operation: str | None) -> str:
    """chainsight > OpenInference > Traceloop > gen_ai.operation.name > llm.request.type."""
    value = attrs.pop(sc.CHAINSIGHT_SPAN_KIND, None)
    if type(value) is str and value.lower() in _KINDS:
        return value.lower()
    value = attrs.get(sc.OPENINFERENCE_SPAN_KIND)
    if type(value) is str and value.lower() in _KINDS:
        del attrs[sc.OPENINFERENCE_SPAN_KIND]
        return value.lower()
    value = attrs.get(sc.TRACELOOP_SPAN_KIND)
    if type(value) is str and value.lower() in _TRACELOOP_KINDS:
        del attrs[sc.TRACELOOP_SPAN_KIND]
        return _TRACELOOP_KINDS[value.lower()]
    if operation is not None and operation in _OPERATION_KINDS:
        return _OPERATION_KINDS[operation]
    value = attrs.get(sc.LLM_REQUEST_TYPE)
    if type(value) is str and value.lower() in _REQUEST_TYPE_KINDS:
        return _REQUEST_TYPE_KINDS[value.lower()]
    return "unknown"


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is list:
        return tuple(str(v) for v in value if v is not None)
    if type(value) is str:
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except ValueError:
                return (value,)
            if isinstance(parsed, list):
                return tuple(str(v) for v in parsed if v is not None)
        return (value,) if value else ()
    return (str(value),)


def _event_json(events: Sequence[Event]) -> str:
    return dumps([{"name": n, "time_ns": t, "attributes": a} for n, t, a in events])


def _link_json(links: Sequence[Link]) -> str:
    return dumps([{"trace_id": t, "span_id": s, "attributes": a} for t, s, a in links])


def build_row(  # noqa: PLR0917 - positional on purpose: called per span, ~0.3 µs cheaper
    ctx: ResourceContext,
    trace_id: str,
    span_id: str,
    parent_span_id: str | None,
    name: str,
    otel_kind: int,
    start_ns: int,
    end_ns: int,
    status_code: int,
    status_message: str | None,
    attrs: dict[str, Any],
    events: Sequence[Event],
    links: Sequence[Link],
    pricebook: PriceBook,
    dropped: tuple[int, int, int] = (0, 0, 0),
) -> tuple[Any, ...]:
    """Normalize one decoded span (ids validated, ``attrs`` owned and consumed) and price it.

    Returns the span as a row: its ``SpanRecord`` field values in ``records.RECORD_FIELDS``
    order (``SpanColumns.from_rows`` stacks them; a tuple costs ~0.2 µs where a
    ``SpanRecord`` costs ~2 µs). ``dropped`` is (attributes, events, links) dropped by the
    sender or the decoder's caps; non-zero counts are kept in the attributes JSON under
    ``chainsight.dropped_*``.
    """
    present = _PROMOTED.intersection(attrs)
    operation = _str(attrs.pop(sc.GEN_AI_OPERATION_NAME, None))
    kind = _kind(attrs, operation) if present else "unknown"
    if operation is None and sc.LLM_REQUEST_TYPE in present:
        request_type = attrs[sc.LLM_REQUEST_TYPE]
        if type(request_type) is str:
            operation = _REQUEST_TYPE_OPERATIONS.get(request_type.lower())
            if operation is not None:
                del attrs[sc.LLM_REQUEST_TYPE]

    provider = request_model = response_model = model = None
    if not present.isdisjoint(_MODEL_KEYS):
        provider = canonical_provider(_str(_take(attrs, sc.PROVIDER_ALIASES)))
        request_model = _str(_take(attrs, sc.REQUEST_MODEL_ALIASES))
        response_model = _str(_take(attrs, sc.RESPONSE_MODEL_ALIASES))
        model = response_model or request_model

    input_tokens = output_tokens = cached_tokens = cache_write_tokens = None
    reasoning_tokens = total_tokens = None
    usage_estimated = False
    explicit_cost = None
    if not present.isdisjoint(_USAGE_KEYS):
        input_tokens = _int(_take(attrs, sc.INPUT_TOKENS_ALIASES))
        output_tokens = _int(_take(attrs, sc.OUTPUT_TOKENS_ALIASES))
        cached_tokens = _int(_take(attrs, sc.CACHE_READ_TOKENS_ALIASES))
        cache_write_tokens = _int(_take(attrs, sc.CACHE_WRITE_TOKENS_ALIASES))
        reasoning_tokens = _int(_take(attrs, sc.REASONING_TOKENS_ALIASES))
        total_tokens = _int(_take(attrs, sc.TOTAL_TOKENS_ALIASES))
        usage_estimated = attrs.pop(sc.CHAINSIGHT_USAGE_ESTIMATED, None) is True
        explicit_cost = _float(_take(attrs, sc.COST_ALIASES))
    if total_tokens is None and (input_tokens is not None or output_tokens is not None):
        total_tokens = (input_tokens or 0) + (output_tokens or 0)
    if explicit_cost is not None:
        cost: float | None = explicit_cost
        price_id: str | None = "explicit"
    elif model is None:
        cost = price_id = None
    else:
        cost, price_id = pricebook.cost(
            provider,
            model,
            start_ns,
            input_tokens,
            output_tokens,
            cached_tokens,
            cache_write_tokens,
            reasoning_tokens,
        )

    # TTFT: explicit seconds > absolute first-token time > first-token event (ARCHITECTURE.md).
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    first_ns: int | None = None
    timing = not present.isdisjoint(_TIMING_KEYS)
    if timing:
        first_ns = _int(attrs.pop(sc.CHAINSIGHT_FIRST_TOKEN_NS, None))
    if first_ns is None and events:
        for ev_name, ev_time, _ in events:
            if ev_name in _FIRST_TOKEN_EVENTS:
                first_ns = ev_time
                break
    if first_ns is not None and not start_ns <= first_ns <= end_ns:
        first_ns = None
    if timing:
        ttft_s = _float(_take(attrs, sc.TTFT_ALIASES))
        if ttft_s is not None and ttft_s >= 0:
            ttft_ms = ttft_s * 1000.0
            if first_ns is None:
                first_ns = start_ns + int(ttft_s * 1e9)
        tpot_s = _float(attrs.pop(sc.CHAINSIGHT_TPOT_S, None))
        if tpot_s is not None and tpot_s >= 0:
            tpot_ms = tpot_s * 1000.0
    if ttft_ms is None and first_ns is not None:
        ttft_ms = (first_ns - start_ns) / 1e6
    if tpot_ms is None and first_ns is not None and output_tokens is not None and output_tokens > 1:
        tpot_ms = max(end_ns - first_ns, 0) / 1e6 / (output_tokens - 1)

    input_value = output_value = None
    if not present.isdisjoint(_CONTENT_KEYS):
        input_value = _content(_take_first(attrs, sc.INPUT_ALIASES))
        if input_value is None:
            input_value = _content(_take_first(attrs, sc.INPUT_FALLBACK_ALIASES))
        if input_value is None:
            input_value = _flat_messages(attrs, _PROMPT_PREFIX, sc.FLAT_ROLE, sc.FLAT_CONTENT)
        if input_value is None:
            input_value = _flat_messages(
                attrs,
                _OI_INPUT_PREFIX,
                sc.OPENINFERENCE_MESSAGE_ROLE,
                sc.OPENINFERENCE_MESSAGE_CONTENT,
            )
        output_value = _content(_take_first(attrs, sc.OUTPUT_ALIASES))
        if output_value is None:
            output_value = _content(_take_first(attrs, sc.OUTPUT_FALLBACK_ALIASES))
        if output_value is None:
            output_value = _flat_messages(attrs, _COMPLETION_PREFIX, sc.FLAT_ROLE, sc.FLAT_CONTENT)
        if output_value is None:
            output_value = _flat_messages(
                attrs,
                _OI_OUTPUT_PREFIX,
                sc.OPENINFERENCE_MESSAGE_ROLE,
                sc.OPENINFERENCE_MESSAGE_CONTENT,
            )

    finish_reason = error_type = session_id = user_id = None
    tags: tuple[str, ...] = ()
    if not present.isdisjoint(_CONTEXT_KEYS):
        finish_reason = _str(_take(attrs, sc.FINISH_REASON_ALIASES))
        error_type = _str(attrs.pop(sc.ERROR_TYPE, None))
        session_id = _str(_take(attrs, sc.SESSION_ID_ALIASES))
        user_id = _str(attrs.pop(sc.USER_ID, None))
        tags = _tags(attrs.pop(sc.TAG_TAGS, None))
    if finish_reason is None and kind == "llm" and output_value is not None:
        finish_reason = _finish_from_output(output_value)
    if error_type is None and events:
        for ev_name, _, ev_attrs in events:
            if ev_name == sc.EXCEPTION_EVENT:
                error_type = _str(ev_attrs.get(sc.EXCEPTION_TYPE))
                break

    dropped_attrs, dropped_events, dropped_links = dropped
    if dropped_attrs:
        attrs[sc.CHAINSIGHT_DROPPED_ATTRIBUTES_COUNT] = dropped_attrs
    if dropped_events:
        attrs[sc.CHAINSIGHT_DROPPED_EVENTS_COUNT] = dropped_events
    if dropped_links:
        attrs[sc.CHAINSIGHT_DROPPED_LINKS_COUNT] = dropped_links

    return (  # in records.RECORD_FIELDS order
        ctx.project,
        trace_id,
        span_id,
        parent_span_id,
        name,
        kind,
        ctx.service,
        start_ns,
        end_ns,
        (end_ns - start_ns) / 1e6,
        _STATUS[status_code] if 0 <= status_code <= 2 else "unset",
        status_message or None,
        _OTEL_KINDS[otel_kind] if 0 <= otel_kind <= 5 else "internal",
        operation,
        provider,
        request_model,
        response_model,
        model,
        input_tokens,
        output_tokens,
        cached_tokens,
        cache_write_tokens,
        reasoning_tokens,
        total_tokens,
        usage_estimated,
        cost,
        price_id,
        ttft_ms,
        tpot_ms,
        finish_reason,
        error_type,
        session_id,
        user_id,
        tags,
        input_value,
        output_value,
        dumps(attrs) if attrs else "{}",
        _event_json(events) if events else "[]",
        _link_json(links) if links else "[]",
        ctx.resource_json,
        ctx.scope,
    )
