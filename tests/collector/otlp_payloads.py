"""Hand-built OTLP requests for the collector tests: protobuf messages and their
OTLP/JSON form (hex ids, string int64s), plus LLM attributes spelled via semconv."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from chainsight import semconv

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def new_trace_id() -> bytes:
    return os.urandom(16)


def new_span_id() -> bytes:
    return os.urandom(8)


def any_value(value: Any) -> common_pb2.AnyValue:
    if isinstance(value, bool):
        return common_pb2.AnyValue(bool_value=value)
    if isinstance(value, int):
        return common_pb2.AnyValue(int_value=value)
    if isinstance(value, float):
        return common_pb2.AnyValue(double_value=value)
    if isinstance(value, bytes):
        return common_pb2.AnyValue(bytes_value=value)
    if isinstance(value, (list, tuple)):
        return common_pb2.AnyValue(
            array_value=common_pb2.ArrayValue(values=[any_value(v) for v in value])
        )
    if isinstance(value, dict):
        return common_pb2.AnyValue(kvlist_value=common_pb2.KeyValueList(values=key_values(value)))
    return common_pb2.AnyValue(string_value=str(value))


def key_values(attributes: Mapping[str, Any]) -> list[common_pb2.KeyValue]:
    return [common_pb2.KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def span(
    *,
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    parent_span_id: bytes = b"",
    name: str = "op",
    start_ns: int | None = None,
    duration_ns: int = 5_000_000,
    attributes: Mapping[str, Any] | None = None,
    error: bool = False,
) -> trace_pb2.Span:
    start = start_ns if start_ns is not None else time.time_ns() - 60_000_000_000
    status = trace_pb2.Status(
        code=trace_pb2.Status.STATUS_CODE_ERROR if error else trace_pb2.Status.STATUS_CODE_OK
    )
    return trace_pb2.Span(
        trace_id=trace_id or new_trace_id(),
        span_id=span_id or new_span_id(),
        parent_span_id=parent_span_id,
        name=name,
        kind=trace_pb2.Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration_ns,
        attributes=key_values(attributes or {}),
        status=status,
    )


def llm_attributes(
    model: str = "gpt-4o-mini", input_tokens: int = 100, output_tokens: int = 20
) -> dict[str, Any]:
    return {
        semconv.CHAINSIGHT_SPAN_KIND: "llm",
        semconv.GEN_AI_OPERATION_NAME: "chat",
        semconv.GEN_AI_PROVIDER_NAME: "openai",
        semconv.GEN_AI_REQUEST_MODEL: model,
        semconv.GEN_AI_USAGE_INPUT_TOKENS: input_tokens,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens,
    }


def request(
    spans: Sequence[trace_pb2.Span], *, project: str | None = "test", service: str = "svc"
) -> trace_service_pb2.ExportTraceServiceRequest:
    resource: dict[str, Any] = {semconv.SERVICE_NAME: service}
    if project is not None:
        resource[semconv.CHAINSIGHT_PROJECT] = project
    return trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=resource_pb2.Resource(attributes=key_values(resource)),
                scope_spans=[
                    trace_pb2.ScopeSpans(
                        scope=common_pb2.InstrumentationScope(name="tests"), spans=spans
                    )
                ],
            )
        ]
    )


def to_json(message: trace_service_pb2.ExportTraceServiceRequest) -> bytes:
    """OTLP/JSON: like protobuf's JSON mapping, but ids are hex, not base64."""
    data = json_format.MessageToDict(message)
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for item in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in item:
                        item[key] = _b64_to_hex(item[key])
    return json.dumps(data).encode()


def _b64_to_hex(value: str) -> str:
    import base64

    return base64.b64decode(value).hex()


def export_response(
    content: bytes, content_type: str
) -> trace_service_pb2.ExportTraceServiceResponse:
    """Parse the collector's reply in either encoding."""
    reply = trace_service_pb2.ExportTraceServiceResponse()
    if content_type.startswith(JSON):
        json_format.Parse(content, reply)
    else:
        reply.ParseFromString(content)
    return reply


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def nested_array_request(depth: int, *, project: str = "test") -> tuple[bytes, bytes]:
    """A protobuf request whose one span carries an array nested ``depth`` levels deep —
    deeper than the protobuf library will build, so the wire bytes are written by hand.
    Returns (body, trace id)."""
    value = common_pb2.AnyValue(string_value="leaf").SerializeToString()
    for _ in range(depth):
        value = _field(5, _field(1, value))  # AnyValue.array_value -> ArrayValue.values
    attribute = _field(1, b"app.deep") + _field(2, value)  # KeyValue{key, value}
    base = span(name="deep")
    span_bytes = base.SerializeToString() + _field(9, attribute)  # Span.attributes
    template = request([], project=project).resource_spans[0]
    scope = trace_pb2.ScopeSpans(scope=template.scope_spans[0].scope).SerializeToString()
    resource = trace_pb2.ResourceSpans(resource=template.resource).SerializeToString()
    body = _field(1, resource + _field(2, scope + _field(2, span_bytes)))
    return body, base.trace_id
