"""OTLP trace bodies (protobuf or JSON) → normalized, priced ``SpanRecord`` rows.

The one decode boundary of the collector: ``decode_traces`` is pure and synchronous
(the server runs it in a worker thread), and protobuf types never leave this module.

Interface note for the server: ``decode_traces`` also takes an optional keyword
``now_ns`` (the clock used for the "too far in the future" check; tests pin it), and
``DecodeResult`` carries ``rejected_reasons`` (reason → count, for ``/metrics``). Both
are additions with defaults; the brief's signature is otherwise unchanged.

Decisions (``docs/conventions.md``, "Decode"):

- Whole-body failures raise ``DecodeError`` (→ 400): unparsable protobuf (upb validates
  UTF-8 in string fields, so invalid UTF-8 is one), malformed JSON, unpaired UTF-16
  surrogates in JSON strings (they cannot be stored as UTF-8), a JSON body with more than
  ``max_json_objects`` objects, more than ``max_spans`` spans, or a wrong top-level shape.
- Per-span failures are counted in ``rejected`` with a summary message (→ 200 with
  ``partial_success``): trace id not 16 bytes or all zero, span id not 8 bytes or all
  zero, parent id neither empty nor 8 bytes, start before ``min_time_ns`` (2000-01-01),
  start or end more than ``max_future_ns`` (1 day) after the collector's clock, end
  before start, and (JSON) a span of the wrong shape.
- Caps that keep data: attributes beyond ``max_attributes_per_span`` (and events/links
  beyond theirs) are dropped and counted in the attributes JSON; strings longer than
  ``max_value_bytes`` are cut with a marker; arrays/kvlists deeper than ``max_depth``
  become a marker; nested elements beyond ``max_nested_items`` per span are dropped
  with a marker. NaN/±inf doubles become the strings ``"NaN"``/``"Infinity"``/``"-Infinity"``
  (the OTLP/JSON spelling), since the attributes column must be valid JSON.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Final, Literal

from google.protobuf.message import DecodeError as _ProtoDecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from chainsight import semconv as sc
from chainsight.storage.model import SpanRecord

from .limits import DEPTH_MARKER, ITEMS_MARKER, TRUNCATED_MARKER, DecodeLimits
from .normalize import Event, Link, ResourceContext, build_record, dumps
from .pricing import PriceBook

__all__ = ["DecodeError", "DecodeLimits", "DecodeResult", "decode_traces"]

DEFAULT_PROJECT: Final = "default"
_ZERO_TRACE: Final = bytes(16)
_ZERO_SPAN: Final = bytes(8)

# Rejection reasons: stable labels (also used as /metrics label values).
INVALID_TRACE_ID: Final = "invalid_trace_id"
INVALID_SPAN_ID: Final = "invalid_span_id"
INVALID_PARENT_ID: Final = "invalid_parent_span_id"
TIMESTAMP_TOO_OLD: Final = "timestamp_before_min"
TIMESTAMP_IN_FUTURE: Final = "timestamp_in_future"
NEGATIVE_DURATION: Final = "end_before_start"
MALFORMED_SPAN: Final = "malformed_span"
_REASON_TEXT: Final = {
    INVALID_TRACE_ID: "trace_id is not 16 bytes (32 hex chars in JSON) or is all zero",
    INVALID_SPAN_ID: "span_id is not 8 bytes (16 hex chars in JSON) or is all zero",
    INVALID_PARENT_ID: "parent_span_id is neither empty nor 8 bytes",
    TIMESTAMP_TOO_OLD: "start time before 2000-01-01 (or the configured minimum)",
    TIMESTAMP_IN_FUTURE: "start or end time too far in the future",
    NEGATIVE_DURATION: "end time before start time",
    MALFORMED_SPAN: "span fields of the wrong JSON type",
}


class DecodeError(ValueError):
    """The whole body is undecodable; the server answers 400 with this message."""


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """Normalized and priced records, plus what was refused (→ OTLP ``partial_success``)."""

    records: list[SpanRecord]
    rejected: int
    error_message: str | None
    rejected_reasons: Mapping[str, int] = field(default_factory=dict)


class _SpanRejected(Exception):
    """One span failed validation; carries the reason label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Walk:
    """Per-request state shared by the protobuf and JSON walks."""

    __slots__ = (
        "budget",
        "limits",
        "max_ns",
        "min_ns",
        "pricebook",
        "project",
        "records",
        "rejected",
        "str_fast",
    )

    def __init__(
        self, project: str | None, pricebook: PriceBook, limits: DecodeLimits, now_ns: int
    ) -> None:
        self.project = project
        self.pricebook = pricebook
        self.limits = limits
        self.min_ns = limits.min_time_ns
        self.max_ns = now_ns + limits.max_future_ns
        # A str of n code points has at most 4n UTF-8 bytes: below this no encode is needed.
        self.str_fast = limits.max_value_bytes // 4
        self.records: list[SpanRecord] = []
        self.rejected: Counter[str] = Counter()
        self.budget = 0

    def cap_str(self, s: str) -> str:
        raw = s.encode("utf-8", "surrogatepass")
        limit = self.limits.max_value_bytes
        if len(raw) <= limit:
            return s
        kept = raw[:limit].decode("utf-8", "ignore")
        return kept + TRUNCATED_MARKER.format(dropped=len(raw) - limit)

    def cap_bytes(self, b: bytes) -> str:
        limit = self.limits.max_value_bytes
        if len(b) <= limit:
            return base64.b64encode(b).decode("ascii")
        return base64.b64encode(b[:limit]).decode("ascii") + TRUNCATED_MARKER.format(
            dropped=len(b) - limit
        )

    def context(self, resource_attrs: dict[str, Any], scope: str | None) -> ResourceContext:
        project = self.project
        if project is None:
            found = _first_str(resource_attrs, sc.PROJECT_ALIASES)
            project = found if found is not None else DEFAULT_PROJECT
        service = resource_attrs.get(sc.SERVICE_NAME)
        return ResourceContext(
            project=project,
            service=service if type(service) is str else None,
            resource_json=dumps(resource_attrs) if resource_attrs else "{}",
            scope=scope or None,
        )

    def result(self) -> DecodeResult:
        total = sum(self.rejected.values())
        message = None
        if total:
            parts = [f"{n} {_REASON_TEXT[reason]}" for reason, n in self.rejected.most_common()]
            message = f"{total} span(s) rejected: " + "; ".join(parts)
        return DecodeResult(self.records, total, message, dict(self.rejected))


def _time_reason(start: int, end: int, min_ns: int, max_ns: int) -> str | None:
    """Why a span's times are refused, or None when they are plausible."""
    if start < min_ns:
        return TIMESTAMP_TOO_OLD
    if start > max_ns or end > max_ns:
        return TIMESTAMP_IN_FUTURE
    if end < start:
        return NEGATIVE_DURATION
    return None


def _first_str(attrs: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = attrs.get(name)
        if type(value) is str and value:
            return value
    return None


def _finite(d: float) -> float | str:
    if math.isfinite(d):
        return d
    if math.isnan(d):
        return "NaN"
    return "Infinity" if d > 0 else "-Infinity"


# ---------------------------------------------------------------------------------------------
# Protobuf
# ---------------------------------------------------------------------------------------------


def _pb_value(w: _Walk, v: Any, depth: int) -> Any:
    which = v.WhichOneof("value")
    if which == "string_value":
        s = v.string_value
        return s if len(s) <= w.str_fast else w.cap_str(s)
    if which == "int_value":
        return v.int_value
    if which == "bool_value":
        return v.bool_value
    if which == "double_value":
        return _finite(v.double_value)
    if which == "array_value":
        if depth >= w.limits.max_depth:
            return DEPTH_MARKER.format(depth=w.limits.max_depth)
        values = v.array_value.values
        out: list[Any] = []
        for item in values:
            if w.budget <= 0:
                out.append(ITEMS_MARKER.format(dropped=len(values) - len(out)))
                break
            w.budget -= 1
            out.append(_pb_value(w, item, depth + 1))
        return out
    if which == "kvlist_value":
        if depth >= w.limits.max_depth:
            return DEPTH_MARKER.format(depth=w.limits.max_depth)
        pairs = v.kvlist_value.values
        obj: dict[str, Any] = {}
        for n, kv in enumerate(pairs):
            if w.budget <= 0:
                obj["…"] = ITEMS_MARKER.format(dropped=len(pairs) - n)
                break
            w.budget -= 1
            obj[kv.key] = _pb_value(w, kv.value, depth + 1)
        return obj
    if which == "bytes_value":
        return w.cap_bytes(v.bytes_value)
    return None


def _pb_attrs(w: _Walk, kvs: Any, cap: int) -> tuple[dict[str, Any], int]:
    """Attributes as a dict, first ``cap`` in wire order; returns (dict, number dropped)."""
    n = len(kvs)
    attrs: dict[str, Any] = {}
    str_fast = w.str_fast
    # Most of the decode cost (~0.5 µs per attribute, mostly upb wrapper objects). Strings
    # are most attributes: reading string_value first skips WhichOneof for them (-1.3 µs
    # per span); an empty string falls through to WhichOneof, which tells "" from unset.
    for kv in islice(kvs, cap) if n > cap else kvs:
        v = kv.value
        s = v.string_value
        if s:
            attrs[kv.key] = s if len(s) <= str_fast else w.cap_str(s)
        else:
            attrs[kv.key] = _pb_value(w, v, 0)
    return attrs, n - cap if n > cap else 0


def _decode_protobuf(body: bytes, w: _Walk) -> None:
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except _ProtoDecodeError as exc:
        raise DecodeError(f"invalid OTLP protobuf body: {exc}") from exc
    limits = w.limits
    total = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    if total > limits.max_spans:
        raise DecodeError(
            f"{total} spans in one request exceed the limit of {limits.max_spans}; "
            "send smaller batches"
        )
    records = w.records
    rejected = w.rejected
    pricebook = w.pricebook
    max_attrs = limits.max_attributes_per_span
    max_events = limits.max_events_per_span
    max_links = limits.max_links_per_span
    min_ns = w.min_ns
    max_ns = w.max_ns
    for rs in request.resource_spans:
        w.budget = limits.max_nested_items
        resource_attrs, _ = _pb_attrs(w, rs.resource.attributes, max_attrs)
        for ss in rs.scope_spans:
            ctx = w.context(resource_attrs, ss.scope.name)
            for span in ss.spans:
                trace_id = span.trace_id
                if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
                    rejected[INVALID_TRACE_ID] += 1
                    continue
                span_id = span.span_id
                if len(span_id) != 8 or span_id == _ZERO_SPAN:
                    rejected[INVALID_SPAN_ID] += 1
                    continue
                parent = span.parent_span_id
                if parent and len(parent) != 8:
                    rejected[INVALID_PARENT_ID] += 1
                    continue
                start = span.start_time_unix_nano
                end = span.end_time_unix_nano
                reason = _time_reason(start, end, min_ns, max_ns)
                if reason is not None:
                    rejected[reason] += 1
                    continue
                w.budget = limits.max_nested_items
                attrs, dropped_attrs = _pb_attrs(w, span.attributes, max_attrs)
                dropped_attrs += span.dropped_attributes_count
                events: list[Event] = []
                dropped_events = span.dropped_events_count
                pb_events = span.events
                if pb_events:
                    for ev in pb_events[:max_events]:
                        ev_attrs, _ = _pb_attrs(w, ev.attributes, max_attrs)
                        events.append((ev.name, ev.time_unix_nano, ev_attrs))
                    dropped_events += max(len(pb_events) - max_events, 0)
                links: list[Link] = []
                dropped_links = span.dropped_links_count
                pb_links = span.links
                if pb_links:
                    for link in pb_links[:max_links]:
                        link_attrs, _ = _pb_attrs(w, link.attributes, max_attrs)
                        links.append((link.trace_id.hex(), link.span_id.hex(), link_attrs))
                    dropped_links += max(len(pb_links) - max_links, 0)
                status = span.status
                records.append(
                    build_record(
                        ctx,
                        trace_id.hex(),
                        span_id.hex(),
                        parent.hex() if parent and parent != _ZERO_SPAN else None,
                        span.name,
                        span.kind,
                        start,
                        end,
                        status.code,
                        status.message,
                        attrs,
                        events,
                        links,
                        pricebook,
                        (dropped_attrs, dropped_events, dropped_links),
                    )
                )


# ---------------------------------------------------------------------------------------------
# JSON (OTLP/JSON mapping: lowerCamelCase keys, hex ids, int64 as strings, enums as ints)
# ---------------------------------------------------------------------------------------------

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
        return _finite(value)
    if type(value) is int:
        return float(value)
    if type(value) is str:  # "NaN", "Infinity", "-Infinity" or a numeral in a string
        return _finite(float(value))
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


def _json_value(w: _Walk, v: Any, depth: int) -> Any:
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
            return bool(x)
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


def _json_attrs(w: _Walk, kvs: Any, cap: int) -> tuple[dict[str, Any], int]:
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


def _json_span(w: _Walk, ctx: ResourceContext, s: Any) -> SpanRecord:
    if type(s) is not dict:
        raise TypeError("span must be an object")
    limits = w.limits
    trace_id = _hex_id(_get(s, "traceId", "trace_id"), 16)
    if trace_id is None:
        raise _SpanRejected(INVALID_TRACE_ID)
    span_id = _hex_id(_get(s, "spanId", "span_id"), 8)
    if span_id is None:
        raise _SpanRejected(INVALID_SPAN_ID)
    parent_raw = _get(s, "parentSpanId", "parent_span_id")
    parent = None
    if parent_raw:
        if type(parent_raw) is str and len(parent_raw) == 16 and parent_raw.strip("0") == "":
            parent = None  # an all-zero parent means "root", as an empty one does
        else:
            parent = _hex_id(parent_raw, 8)
            if parent is None:
                raise _SpanRejected(INVALID_PARENT_ID)
    start = _json_int(_get(s, "startTimeUnixNano", "start_time_unix_nano"))
    end = _json_int(_get(s, "endTimeUnixNano", "end_time_unix_nano"))
    reason = _time_reason(start, end, w.min_ns, w.max_ns)
    if reason is not None:
        raise _SpanRejected(reason)
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
    return build_record(
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


def _decode_json(body: bytes, w: _Walk) -> None:
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
                    w.records.append(_json_span(w, ctx, s))
                except _SpanRejected as rejected:
                    w.rejected[rejected.reason] += 1
                except (TypeError, ValueError, KeyError, AttributeError):
                    w.rejected[MALFORMED_SPAN] += 1


def decode_traces(
    body: bytes,
    content_type: Literal["protobuf", "json"],
    *,
    project: str | None,
    pricebook: PriceBook,
    limits: DecodeLimits = DecodeLimits(),  # noqa: B008 - frozen, so a shared default is safe
    now_ns: int | None = None,
) -> DecodeResult:
    """Decode an OTLP ``ExportTraceServiceRequest`` body into normalized, priced records.

    ``project`` (from a project-scoped API key) overrides the resource's
    ``chainsight.project``/``openinference.project.name``; without either, "default".
    Raises ``DecodeError`` when the body as a whole cannot be decoded.

    >>> from chainsight.collector.pricing import PriceBook
    >>> decode_traces(b"", "protobuf", project=None, pricebook=PriceBook([])).records
    []
    """
    w = _Walk(project, pricebook, limits, time.time_ns() if now_ns is None else now_ns)
    if content_type == "protobuf":
        _decode_protobuf(body, w)
    elif content_type == "json":
        _decode_json(body, w)
    else:
        raise DecodeError(f"unsupported content type {content_type!r}")
    return w.result()
