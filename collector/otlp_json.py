"""OTLP/JSON → records: the JSON half of ``otlp.py``.

Follows the OTLP/JSON mapping (opentelemetry-proto docs/specification.md): keys in
lowerCamelCase (the proto field names are accepted too, as protobuf's JSON parsers
do), trace/span ids as case-insensitive **hex** (not base64, unlike generic protobuf
JSON), enums as integers (names accepted), 64-bit integers as decimal strings or
numbers, unknown fields ignored. Parsed with the stdlib ``json`` into our own walk.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any, Final

from .limits import DEPTH_MARKER, ITEMS_MARKER, DecodeLimits
from .normalize import Event, Link, ResourceContext, build_row
from .otlp_walk import (
    INVALID_PARENT_ID,
    INVALID_SPAN_ID,
    INVALID_TRACE_ID,
    MALFORMED_SPAN,
    DecodeError,
    SpanRejected,
    Walk,
    finite,
    time_reason,
)

_SPAN_KIND_NAMES: Final = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
_STATUS_NAMES: Final = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    """OTLP/JSON uses lowerCamelCase; protobuf's JSON parsers also accept the field name."""
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _json_int(value: Any) -> int:
    """int64/uint64 fields: decimal strings per the mapping, numbers accepted too."""
    if type(value) is int:
        return value
    if type(value) is str:
        return int(value)
    if type(value) is float and value.is_integer():
        return int(value)
    if value is None:
        return 0
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _json_enum(value: Any, names: Mapping[str, int]) -> int:
    if type(value) is int:
        return value
    if type(value) is str:
        return names.get(value, 0)
    return 0


def _hex_id(value: Any, size: int) -> str | None:
    """Lower-case hex of a ``size``-byte id, or None when absent/invalid/all zero."""
    if type(value) is not str or len(value) != 2 * size:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    if len(raw) != size or not any(raw):
        return None
    return value.lower()


def _json_double(value: Any) -> float | str:
    if type(value) is float:
        return finite(value)
    if type(value) is int:
        return float(value)
    if type(value) is str:  # "NaN", "Infinity", "-Infinity" or a numeral in a string
        return finite(float(value))
    raise TypeError("doubleValue must be a number")


_STRING, _INT, _BOOL, _DOUBLE, _ARRAY, _KVLIST, _BYTES = range(7)
_VALUE_KEYS: Final = {
    "stringValue": _STRING,
    "intValue": _INT,
    "boolValue": _BOOL,
    "doubleValue": _DOUBLE,
    "arrayValue": _ARRAY,
    "kvlistValue": _KVLIST,
    "bytesValue": _BYTES,
    "string_value": _STRING,
    "int_value": _INT,
    "bool_value": _BOOL,
    "double_value": _DOUBLE,
    "array_value": _ARRAY,
    "kvlist_value": _KVLIST,
    "bytes_value": _BYTES,
}
"""AnyValue's oneof keys, lowerCamelCase (the mapping) and the proto field names."""


def _json_value(w: Walk, v: Any, depth: int) -> Any:
    if type(v) is not dict:
        return None
    for key, x in v.items():
        code = _VALUE_KEYS.get(key)
        if code is None:
            continue  # unknown fields are ignored (OTLP/JSON mapping)
        if code == _STRING:
            if type(x) is not str:
                raise TypeError("stringValue must be a string")
            return x if len(x) <= w.str_fast else w.cap_str(x)
        if code == _INT:
            return _json_int(x)
        if code == _BOOL:
            return x if type(x) is bool else None
        if code == _DOUBLE:
            return _json_double(x)
        if code == _BYTES:
            return w.cap_bytes(base64.b64decode(x, validate=True))
        if depth >= w.limits.max_depth:
            return DEPTH_MARKER.format(depth=w.limits.max_depth)
        values = (x.get("values") or []) if type(x) is dict else []
        if code == _ARRAY:
            out: list[Any] = []
            for item in values:
                if w.budget <= 0:
                    out.append(ITEMS_MARKER.format(dropped=len(values) - len(out)))
                    break
                w.budget -= 1
                out.append(_json_value(w, item, depth + 1))
            return out
        obj: dict[str, Any] = {}
        for n, kv in enumerate(values):
            if w.budget <= 0:
                obj["…"] = ITEMS_MARKER.format(dropped=len(values) - n)
                break
            w.budget -= 1
            obj[str(kv.get("key", ""))] = _json_value(w, kv.get("value"), depth + 1)
        return obj
    return None


def _json_attrs(w: Walk, kvs: Any, cap: int) -> tuple[dict[str, Any], int]:
    if not kvs:
        return {}, 0
    if type(kvs) is not list:
        raise TypeError("attributes must be a list")
    n = len(kvs)
    attrs: dict[str, Any] = {}
    for kv in islice(kvs, cap) if n > cap else kvs:
        key = kv["key"]
        if type(key) is not str:
            raise TypeError("attribute key must be a string")
        attrs[key] = _json_value(w, kv.get("value"), 0)
    return attrs, max(n - cap, 0)


def _json_list(obj: dict[str, Any], camel: str, snake: str) -> list[Any]:
    value = _get(obj, camel, snake)
    if value is None:
        return []
    if type(value) is not list:
        raise TypeError(f"{camel} must be a list")
    return value


def _json_span(w: Walk, ctx: ResourceContext, s: Any) -> tuple[Any, ...]:
    if type(s) is not dict:
        raise TypeError("span must be an object")
    limits = w.limits
    trace_id = _hex_id(_get(s, "traceId", "trace_id"), 16)
    if trace_id is None:
        raise SpanRejected(INVALID_TRACE_ID)
    span_id = _hex_id(_get(s, "spanId", "span_id"), 8)
    if span_id is None:
        raise SpanRejected(INVALID_SPAN_ID)
    parent_raw = _get(s, "parentSpanId", "parent_span_id")
    parent = None
    if parent_raw:
        if type(parent_raw) is str and len(parent_raw) == 16 and parent_raw.strip("0") == "":
            parent = None  # an all-zero parent means "root", as an empty one does
        else:
            parent = _hex_id(parent_raw, 8)
            if parent is None:
                raise SpanRejected(INVALID_PARENT_ID)
    start = _json_int(_get(s, "startTimeUnixNano", "start_time_unix_nano"))
    end = _json_int(_get(s, "endTimeUnixNano", "end_time_unix_nano"))
    reason = time_reason(start, end, w.min_ns, w.max_ns)
    if reason is not None:
        raise SpanRejected(reason)
    w.budget = limits.max_nested_items
    attrs, dropped_attrs = _json_attrs(w, s.get("attributes"), limits.max_attributes_per_span)
    dropped_attrs += _json_int(_get(s, "droppedAttributesCount", "dropped_attributes_count"))
    raw_events = _json_list(s, "events", "events")
    events: list[Event] = []
    for ev in raw_events[: limits.max_events_per_span]:
        ev_attrs, _ = _json_attrs(w, ev.get("attributes"), limits.max_attributes_per_span)
        name = ev.get("name")
        events.append(
            (
                name if type(name) is str else "",
                _json_int(_get(ev, "timeUnixNano", "time_unix_nano")),
                ev_attrs,
            )
        )
    dropped_events = max(len(raw_events) - limits.max_events_per_span, 0) + _json_int(
        _get(s, "droppedEventsCount", "dropped_events_count")
    )
    raw_links = _json_list(s, "links", "links")
    links: list[Link] = []
    for link in raw_links[: limits.max_links_per_span]:
        link_attrs, _ = _json_attrs(w, link.get("attributes"), limits.max_attributes_per_span)
        link_trace = _get(link, "traceId", "trace_id")
        link_span = _get(link, "spanId", "span_id")
        links.append(
            (
                link_trace.lower() if type(link_trace) is str else "",
                link_span.lower() if type(link_span) is str else "",
                link_attrs,
            )
        )
    dropped_links = max(len(raw_links) - limits.max_links_per_span, 0) + _json_int(
        _get(s, "droppedLinksCount", "dropped_links_count")
    )
    status = s.get("status") or {}
    if type(status) is not dict:
        raise TypeError("status must be an object")
    message = status.get("message")
    name = s.get("name")
    return build_row(
        ctx,
        trace_id,
        span_id,
        parent,
        name if type(name) is str else "",
        _json_enum(s.get("kind"), _SPAN_KIND_NAMES),
        start,
        end,
        _json_enum(status.get("code"), _STATUS_NAMES),
        message if type(message) is str else None,
        attrs,
        events,
        links,
        w.pricebook,
        (dropped_attrs, dropped_events, dropped_links),
    )


def _parse_json(body: bytes, limits: DecodeLimits) -> dict[str, Any]:
    objects = body.count(b"{")
    if objects > limits.max_json_objects:
        raise DecodeError(
            f"JSON body holds {objects} objects, over the limit of {limits.max_json_objects}; "
            "send smaller batches"
        )
    try:
        doc = json.loads(body)
    except RecursionError as exc:
        raise DecodeError("JSON body nested too deeply") from exc
    except ValueError as exc:  # includes UnicodeDecodeError for invalid UTF-8
        raise DecodeError(f"invalid JSON body: {exc}") from exc
    if b"\\ud" in body or b"\\uD" in body:
        # Escaped UTF-16 surrogates: pairs decode to one code point, lone ones cannot be
        # stored as UTF-8. Checked only when an escape is present (rare, so not measured).
        try:
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DecodeError("JSON body has an unpaired UTF-16 surrogate escape") from exc
        except RecursionError as exc:
            raise DecodeError("JSON body nested too deeply") from exc
    if type(doc) is not dict:
        raise DecodeError("OTLP/JSON body must be an object with resourceSpans")
    return doc


def _scopes(doc: dict[str, Any]) -> Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]:
    resource_spans = _get(doc, "resourceSpans", "resource_spans") or []
    if type(resource_spans) is not list:
        raise DecodeError("resourceSpans must be a list")
    for rs in resource_spans:
        if type(rs) is not dict:
            raise DecodeError("each resourceSpans item must be an object")
        scope_spans = _get(rs, "scopeSpans", "scope_spans") or []
        if type(scope_spans) is not list or any(type(ss) is not dict for ss in scope_spans):
            raise DecodeError("scopeSpans must be a list of objects")
        yield rs, scope_spans


def decode_json(body: bytes, w: Walk) -> None:
    doc = _parse_json(body, w.limits)
    limits = w.limits
    total = 0
    for _, scope_spans in _scopes(doc):
        for ss in scope_spans:
            spans = ss.get("spans") or []
            if type(spans) is not list:
                raise DecodeError("spans must be a list")
            total += len(spans)
    if total > limits.max_spans:
        raise DecodeError(
            f"{total} spans in one request exceed the limit of {limits.max_spans}; "
            "send smaller batches"
        )
    for rs, scope_spans in _scopes(doc):
        resource = rs.get("resource") or {}
        w.budget = limits.max_nested_items
        try:
            if type(resource) is not dict:
                raise TypeError("resource must be an object")
            resource_attrs, _ = _json_attrs(
                w, resource.get("attributes"), limits.max_attributes_per_span
            )
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise DecodeError(f"invalid resource attributes: {exc}") from exc
        for ss in scope_spans:
            scope = ss.get("scope") or {}
            scope_name = scope.get("name") if type(scope) is dict else None
            ctx = w.context(resource_attrs, scope_name if type(scope_name) is str else None)
            for s in ss.get("spans") or []:
                try:
                    w.rows.append(_json_span(w, ctx, s))
                except SpanRejected as rejected:
                    w.rejected[rejected.reason] += 1
                except (TypeError, ValueError, KeyError, AttributeError):
                    w.rejected[MALFORMED_SPAN] += 1
