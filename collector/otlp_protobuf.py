"""OTLP protobuf (``ExportTraceServiceRequest``, upb) → records: the protobuf half of ``otlp.py``.

Protobuf types never leave this module: each span becomes plain Python values handed
to ``normalize.build_row``. Costs are measured by ``benchmarks/bench_decode.py``.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Final

from google.protobuf.message import DecodeError as _ProtoDecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from .limits import DEPTH_MARKER, ITEMS_MARKER
from .normalize import Event, Link, build_row
from .otlp_walk import (
    INVALID_PARENT_ID,
    INVALID_SPAN_ID,
    INVALID_TRACE_ID,
    DecodeError,
    Walk,
    finite,
    time_reason,
)

_ZERO_TRACE: Final = bytes(16)
_ZERO_SPAN: Final = bytes(8)


def _pb_value(w: Walk, v: Any, depth: int) -> Any:
    which = v.WhichOneof("value")
    if which == "string_value":
        s = v.string_value
        return s if len(s) <= w.str_fast else w.cap_str(s)
    if which == "int_value":
        return v.int_value
    if which == "bool_value":
        return v.bool_value
    if which == "double_value":
        return finite(v.double_value)
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


def _pb_attrs(w: Walk, kvs: Any, cap: int) -> tuple[dict[str, Any], int]:
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


def decode_protobuf(body: bytes, w: Walk) -> None:
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
    rows = w.rows
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
                reason = time_reason(start, end, min_ns, max_ns)
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
                rows.append(
                    build_row(
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
