"""OTLP decode: protobuf from the real OTel SDK, the OTLP/JSON quirks, invalid spans and limits."""

from __future__ import annotations

import base64
import json
import tracemalloc
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

import chainsight
from chainsight import semconv as sc
from chainsight.collector.limits import DecodeLimits
from chainsight.collector.otlp import DecodeError, DecodeResult, decode_traces
from chainsight.collector.pricing import PriceBook

NOW_NS = 1_780_000_000 * 10**9
START_NS = 1_768_471_200 * 10**9
TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
SPAN = bytes.fromhex("b7ad6b7169203331")
BOOK = PriceBook.default()


def _decode(body: bytes, kind: Any = "protobuf", **kwargs: Any) -> DecodeResult:
    return decode_traces(body, kind, project=None, pricebook=BOOK, now_ns=NOW_NS, **kwargs)


def _request(*spans: Span) -> bytes:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    return request.SerializeToString()


def _span(**fields: Any) -> Span:
    values: dict[str, Any] = {
        "trace_id": TRACE,
        "span_id": SPAN,
        "name": "s",
        "start_time_unix_nano": START_NS,
        "end_time_unix_nano": START_NS + 1_000_000,
    }
    values.update(fields)
    return Span(**values)


def _json_doc(**span_fields: Any) -> dict[str, Any]:
    span = {
        "traceId": TRACE.hex(),
        "spanId": SPAN.hex(),
        "name": "s",
        "startTimeUnixNano": str(START_NS),
        "endTimeUnixNano": str(START_NS + 1_000_000),
    }
    span.update(span_fields)
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | 0x80 if n else low)
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


# --- protobuf from the real SDK ------------------------------------------------------------------


def test_sdk_spans_round_trip_through_protobuf() -> None:
    """Spans made by the real OTel SDK and its OTLP encoder decode to matching records."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({sc.SERVICE_NAME: "svc", sc.CHAINSIGHT_PROJECT: "proj"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("round-trip")
    with tracer.start_as_current_span("root") as root:
        root.set_attribute(sc.CHAINSIGHT_SPAN_KIND, "chain")
        with tracer.start_as_current_span(
            "chat gpt-4o",
            kind=SpanKind.CLIENT,
            links=[Link(root.get_span_context(), {"why": "follows"})],
        ) as child:
            child.set_attribute(sc.GEN_AI_OPERATION_NAME, "chat")
            child.set_attribute(sc.GEN_AI_PROVIDER_NAME, "openai")
            child.set_attribute(sc.GEN_AI_REQUEST_MODEL, "gpt-4o")
            child.set_attribute(sc.GEN_AI_USAGE_INPUT_TOKENS, 100)
            child.set_attribute(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 20)
            child.set_attribute("flags", [True, False])
            child.set_attribute("ratio", 0.5)
            child.add_event("note", {"n": 1})
            child.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()
    sdk_spans = exporter.get_finished_spans()
    body = encode_spans(sdk_spans).SerializeToString()
    result = decode_traces(body, "protobuf", project=None, pricebook=BOOK)
    by_name = {r.name: r for r in result.records}
    root_rec, child_rec = by_name["root"], by_name["chat gpt-4o"]
    assert result.rejected == 0
    assert child_rec.trace_id == f"{sdk_spans[0].context.trace_id:032x}"
    assert child_rec.parent_span_id == root_rec.span_id
    assert (child_rec.kind, child_rec.otel_kind, child_rec.status) == ("llm", "client", "error")
    assert (child_rec.status_message, child_rec.service, child_rec.project) == (
        "boom",
        "svc",
        "proj",
    )
    assert child_rec.cost == pytest.approx((100 * 2.5 + 20 * 10.0) / 1e6)
    assert json.loads(child_rec.attributes) == {"flags": [True, False], "ratio": 0.5}
    assert json.loads(child_rec.events)[0]["attributes"] == {"n": 1}
    assert json.loads(child_rec.links)[0] == {
        "trace_id": root_rec.trace_id,
        "span_id": root_rec.span_id,
        "attributes": {"why": "follows"},
    }
    assert (root_rec.kind, root_rec.parent_span_id, root_rec.scope) == ("chain", None, "round-trip")


def test_our_sdk_llm_span_is_normalized_and_priced(capture_spans: Any) -> None:
    """A span from our own @chainsight.llm decorator decodes with its usage priced."""

    @chainsight.llm
    def ask(question: str) -> dict[str, Any]:
        return {
            "object": "chat.completion",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant"}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "prompt_tokens_details": {"cached_tokens": 40},
            },
        }

    ask("q")
    body = encode_spans(capture_spans.spans).SerializeToString()
    [record] = decode_traces(body, "protobuf", project=None, pricebook=BOOK).records
    assert (record.kind, record.provider, record.model, record.finish_reason) == (
        "llm",
        "openai",
        "gpt-4o-mini-2024-07-18",
        "stop",
    )
    assert (record.input_tokens, record.output_tokens, record.cached_tokens) == (100, 20, 40)
    assert record.cost == pytest.approx((60 * 0.15 + 40 * 0.075 + 20 * 0.60) / 1e6)
    assert record.input == '{"question": "q"}'


def test_empty_protobuf_body_is_an_empty_request() -> None:
    """An empty ExportTraceServiceRequest is valid and yields nothing."""
    assert _decode(b"") == DecodeResult([], 0, None)


def test_all_zero_parent_id_means_root() -> None:
    """Some exporters send eight zero bytes instead of an empty parent id."""
    [record] = _decode(_request(_span(parent_span_id=bytes(8)))).records
    assert record.parent_span_id is None


# --- OTLP/JSON quirks ----------------------------------------------------------------------------


def test_json_hex_ids_are_case_insensitive() -> None:
    """Upper-case hex ids are accepted and stored lower-case."""
    doc = _json_doc(traceId=TRACE.hex().upper(), spanId=SPAN.hex().upper())
    [record] = _decode(json.dumps(doc).encode(), "json").records
    assert (record.trace_id, record.span_id) == (TRACE.hex(), SPAN.hex())


def test_json_int64_as_strings_or_numbers() -> None:
    """Timestamps and intValue may be decimal strings or plain numbers."""
    doc = _json_doc(
        startTimeUnixNano=START_NS,
        endTimeUnixNano=str(START_NS + 5_000_000),
        attributes=[
            {"key": "a", "value": {"intValue": "9007199254740993"}},
            {"key": "b", "value": {"intValue": 7}},
        ],
    )
    [record] = _decode(json.dumps(doc).encode(), "json").records
    assert record.duration_ms == 5.0
    assert json.loads(record.attributes) == {"a": 9007199254740993, "b": 7}


def test_json_enums_are_integers() -> None:
    """Span kind and status code come as integers (names are tolerated)."""
    doc = _json_doc(kind=3, status={"code": 2, "message": "bad"})
    [record] = _decode(json.dumps(doc).encode(), "json").records
    assert (record.otel_kind, record.status, record.status_message) == ("client", "error", "bad")


def test_json_unknown_fields_are_ignored() -> None:
    """Fields the mapping does not know are skipped, at every level."""
    doc = _json_doc(futureField={"x": 1}, attributes=[{"key": "k", "value": {"newValue": 1}}])
    doc["resourceSpans"][0]["schemaUrl"] = "https://example.com"
    doc["somethingElse"] = True
    [record] = _decode(json.dumps(doc).encode(), "json").records
    assert json.loads(record.attributes) == {"k": None}


def test_json_accepts_proto_field_names() -> None:
    """snake_case field names (what protobuf JSON parsers also accept) decode too."""
    doc = {
        "resource_spans": [
            {
                "scope_spans": [
                    {
                        "spans": [
                            {
                                "trace_id": TRACE.hex(),
                                "span_id": SPAN.hex(),
                                "start_time_unix_nano": str(START_NS),
                                "end_time_unix_nano": str(START_NS + 1),
                            }
                        ]
                    }
                ]
            }
        ]
    }
    assert len(_decode(json.dumps(doc).encode(), "json").records) == 1


def test_json_nested_values_and_special_doubles() -> None:
    """arrayValue, kvlistValue, bytesValue and "NaN"/"Infinity" decode to JSON-safe values."""
    doc = _json_doc(
        attributes=[
            {
                "key": "nested",
                "value": {
                    "kvlistValue": {
                        "values": [
                            {
                                "key": "xs",
                                "value": {"arrayValue": {"values": [{"boolValue": True}]}},
                            }
                        ]
                    }
                },
            },
            {"key": "raw", "value": {"bytesValue": base64.b64encode(b"\x00\x01").decode()}},
            {"key": "nan", "value": {"doubleValue": "NaN"}},
            {"key": "inf", "value": {"doubleValue": "-Infinity"}},
        ]
    )
    [record] = _decode(json.dumps(doc).encode(), "json").records
    assert json.loads(record.attributes) == {
        "nested": {"xs": [True]},
        "raw": "AAE=",
        "nan": "NaN",
        "inf": "-Infinity",
    }


def test_json_base64_ids_are_rejected_with_a_hex_hint() -> None:
    """OTLP/JSON ids are hex; base64 ids (generic protobuf JSON) are refused per span."""
    doc = _json_doc(traceId=base64.b64encode(TRACE).decode())
    result = _decode(json.dumps(doc).encode(), "json")
    assert (result.rejected, result.rejected_reasons) == (1, {"invalid_trace_id": 1})
    assert "32 hex" in (result.error_message or "")


def test_json_span_of_the_wrong_shape_is_rejected_alone() -> None:
    """A span whose fields have the wrong JSON types is refused; its neighbours are kept."""
    doc = _json_doc()
    good = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    bad = dict(good, spanId="1111111111111111", attributes="not-a-list")
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"].append(bad)
    result = _decode(json.dumps(doc).encode(), "json")
    assert (len(result.records), result.rejected_reasons) == (1, {"malformed_span": 1})


# --- invalid spans → partial success ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"trace_id": bytes(16)}, "invalid_trace_id"),
        ({"trace_id": b"\x01" * 8}, "invalid_trace_id"),
        ({"span_id": bytes(8)}, "invalid_span_id"),
        ({"span_id": b"\x01" * 16}, "invalid_span_id"),
        ({"parent_span_id": b"\x01" * 4}, "invalid_parent_span_id"),
        ({"start_time_unix_nano": 1000, "end_time_unix_nano": 2000}, "timestamp_before_min"),
        (
            {
                "start_time_unix_nano": NOW_NS + 2 * 86_400 * 10**9,
                "end_time_unix_nano": NOW_NS + 2 * 86_400 * 10**9,
            },
            "timestamp_in_future",
        ),
        ({"end_time_unix_nano": NOW_NS + 2 * 86_400 * 10**9}, "timestamp_in_future"),
        ({"end_time_unix_nano": START_NS - 1}, "end_before_start"),
        ({"end_time_unix_nano": 0}, "end_before_start"),
    ],
)
def test_invalid_span_is_rejected_and_counted(fields: dict[str, Any], reason: str) -> None:
    """Each invalid span is refused with its reason; valid spans beside it are kept."""
    good = _span(span_id=b"\x09" * 8)
    result = _decode(_request(good, _span(**fields)))
    assert [r.span_id for r in result.records] == [(b"\x09" * 8).hex()]
    assert (result.rejected, dict(result.rejected_reasons)) == (1, {reason: 1})
    assert (result.error_message or "").startswith("1 span(s) rejected: ")


def test_rejection_message_summarizes_every_reason() -> None:
    """Several reasons are counted separately in one message."""
    result = _decode(
        _request(_span(trace_id=bytes(16)), _span(trace_id=bytes(16)), _span(span_id=bytes(8)))
    )
    assert result.rejected == 3
    assert result.rejected_reasons == {"invalid_trace_id": 2, "invalid_span_id": 1}
    assert "2 trace_id" in (result.error_message or "")


# --- undecodable bodies → DecodeError ------------------------------------------------------------


def _invalid_utf8_protobuf() -> bytes:
    return _request(_span(name="MARK")).replace(b"MARK", b"\xff\xfe\xfd\xfc")


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (b"\x0a\xff\xff\xff\xff", "protobuf", "invalid OTLP protobuf"),
        (b"not protobuf at all", "protobuf", "invalid OTLP protobuf"),
        (_invalid_utf8_protobuf(), "protobuf", "UTF-8"),
        (b'{"resourceSpans": [', "json", "invalid JSON"),
        (b'{"resourceSpans": [], "x": "\xff"}', "json", "invalid JSON"),
        (b"[]", "json", "must be an object"),
        (b'{"resourceSpans": {"a": 1}}', "json", "must be a list"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": 5}]}]}', "json", "spans must be a list"),
        (
            b'{"resourceSpans": [{"resource": {"attributes": [{"value": {}}]}}]}',
            "json",
            "resource",
        ),
        (b'{"resourceSpans": [], "x": "\\ud800"}', "json", "surrogate"),
        (b"[" * 100_000 + b"]" * 100_000, "json", "nested too deeply"),
    ],
)
def test_undecodable_body_raises(body: bytes, kind: str, message: str) -> None:
    """A body that cannot be decoded as a whole raises DecodeError with a clear message."""
    with pytest.raises(DecodeError, match=message):
        _decode(body, kind)


def test_paired_surrogate_escapes_are_accepted() -> None:
    """An escaped surrogate pair is one valid code point, not an error."""
    body = json.dumps(_json_doc(name="smile \U0001f600"), ensure_ascii=True).encode()
    [record] = _decode(body, "json").records
    assert record.name == "smile \U0001f600"


def test_unsupported_content_type_raises() -> None:
    """Only protobuf and json are decoded."""
    with pytest.raises(DecodeError, match="content type"):
        _decode(b"", "xml")


def test_too_many_spans_raise() -> None:
    """A request over max_spans is refused as a whole: send smaller batches."""
    body = _request(*(_span(span_id=bytes([1, i, 0, 0, 0, 0, 0, 1])) for i in range(3)))
    with pytest.raises(DecodeError, match="smaller batches"):
        _decode(body, limits=DecodeLimits(max_spans=2))


def test_json_with_too_many_objects_is_refused_before_parsing() -> None:
    """The object count bound keeps JSON decoding memory of the order of the body size."""
    attrs = [{"key": f"k{i}", "value": {"intValue": i}} for i in range(2000)]
    body = json.dumps(_json_doc(attributes=attrs)).encode()
    with pytest.raises(DecodeError, match="objects"):
        _decode(body, "json", limits=DecodeLimits(max_json_objects=1000))


# --- limits ---------------------------------------------------------------------------------------


def test_attributes_over_the_cap_are_dropped_and_counted() -> None:
    """The first N attributes are kept; the rest are counted in the attributes JSON."""
    attrs = [KeyValue(key=f"k{i}", value=AnyValue(int_value=i)) for i in range(10)]
    [record] = _decode(
        _request(_span(attributes=attrs, dropped_attributes_count=2)),
        limits=DecodeLimits(max_attributes_per_span=4),
    ).records
    stored = json.loads(record.attributes)
    assert [k for k in stored if k.startswith("k")] == ["k0", "k1", "k2", "k3"]
    assert stored[sc.CHAINSIGHT_DROPPED_ATTRIBUTES_COUNT] == 8


def test_a_million_attributes_cost_python_memory_below_the_body_size() -> None:
    """A span with 1,000,000 attributes decodes to the capped attributes with bounded memory."""
    span = _span(name="big").SerializeToString()
    one = _field(9, KeyValue(key="k", value=AnyValue(string_value="v")).SerializeToString())
    body = _field(1, _field(2, _field(2, span + one * 1_000_000)))
    tracemalloc.start()
    try:
        result = _decode(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stored = json.loads(result.records[0].attributes)
    assert stored[sc.CHAINSIGHT_DROPPED_ATTRIBUTES_COUNT] == 1_000_000 - 1024
    assert peak < len(body) // 10


def test_huge_string_value_is_truncated_with_a_marker() -> None:
    """A string over max_value_bytes keeps its first bytes (whole code points) and a marker."""
    value = "é" * 1000  # 2000 UTF-8 bytes
    attrs = [KeyValue(key="big", value=AnyValue(string_value=value))]
    [record] = _decode(
        _request(_span(attributes=attrs)), limits=DecodeLimits(max_value_bytes=101)
    ).records
    stored = json.loads(record.attributes)["big"]
    assert stored.startswith("é" * 50)
    assert stored.endswith("[chainsight: truncated 1899 bytes]")
    assert "é" * 51 not in stored


def test_huge_bytes_value_is_truncated_with_a_marker() -> None:
    """bytes values are stored as base64 of at most max_value_bytes bytes."""
    attrs = [KeyValue(key="blob", value=AnyValue(bytes_value=b"\x01" * 300))]
    [record] = _decode(
        _request(_span(attributes=attrs)), limits=DecodeLimits(max_value_bytes=30)
    ).records
    stored = json.loads(record.attributes)["blob"]
    assert base64.b64decode(stored.split("…")[0]) == b"\x01" * 30


def _nested_protobuf(depth: int) -> AnyValue:
    value = AnyValue(string_value="leaf")
    for _ in range(depth):
        outer = AnyValue()
        outer.array_value.values.append(value)
        value = outer
    return value


def test_deep_nesting_is_cut_at_max_depth() -> None:
    """Arrays nested deeper than max_depth become a marker, never a recursion error."""
    attrs = [KeyValue(key="deep", value=_nested_protobuf(30))]
    [record] = _decode(_request(_span(attributes=attrs)), limits=DecodeLimits(max_depth=3)).records
    stored = json.loads(record.attributes)["deep"]
    assert stored == [[["[chainsight: nesting deeper than 3 levels dropped]"]]]


def test_deep_json_nesting_is_cut_at_max_depth() -> None:
    """The JSON walk applies the same depth cap."""
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(30):
        value = {"arrayValue": {"values": [value]}}
    doc = _json_doc(attributes=[{"key": "deep", "value": value}])
    [record] = _decode(json.dumps(doc).encode(), "json", limits=DecodeLimits(max_depth=2)).records
    assert json.loads(record.attributes)["deep"] == [
        ["[chainsight: nesting deeper than 2 levels dropped]"]
    ]


def test_nested_items_over_the_budget_are_dropped_with_a_marker() -> None:
    """Elements of nested values beyond max_nested_items per span are cut, with a count."""
    arr = AnyValue()
    for i in range(50):
        arr.array_value.values.add(int_value=i)
    [record] = _decode(
        _request(_span(attributes=[KeyValue(key="xs", value=arr)])),
        limits=DecodeLimits(max_nested_items=10),
    ).records
    stored = json.loads(record.attributes)["xs"]
    assert stored == [*range(10), "[chainsight: 40 more items dropped]"]


def test_events_over_the_cap_are_dropped_and_counted() -> None:
    """Only max_events_per_span events are kept; the excess is counted."""
    events = [Span.Event(name=f"e{i}", time_unix_nano=START_NS) for i in range(5)]
    [record] = _decode(
        _request(_span(events=events)), limits=DecodeLimits(max_events_per_span=2)
    ).records
    assert [e["name"] for e in json.loads(record.events)] == ["e0", "e1"]
    assert json.loads(record.attributes)[sc.CHAINSIGHT_DROPPED_EVENTS_COUNT] == 3


def test_nan_double_is_stored_as_a_string() -> None:
    """The attributes column is strict JSON: NaN becomes "NaN"."""
    attrs = [KeyValue(key="x", value=AnyValue(double_value=float("nan")))]
    [record] = _decode(_request(_span(attributes=attrs))).records
    assert json.loads(record.attributes) == {"x": "NaN"}
