"""Conventions → one SpanRecord: every convention's spelling of a call yields the same facts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from chainsight import semconv as sc
from chainsight.collector.otlp import decode_traces
from chainsight.collector.pricing import PriceBook
from chainsight.collector.records import RECORD_FIELDS, new_record
from chainsight.storage.model import SpanRecord

FIXTURES = Path(__file__).parent / "fixtures"
NOW_NS = 1_780_000_000 * 10**9  # 2026-05-28, after the fixtures' 2026-01-15 spans
START_NS = 1_768_471_200 * 10**9
END_NS = START_NS + 2_500_000_000
CONVENTIONS = [
    "chainsight_sdk",
    "otel_genai_current",
    "otel_genai_deprecated",
    "openinference",
    "openllmetry",
]
SAME_CALL = {
    "kind": "llm",
    "provider": "openai",
    "model": "o4-mini-2025-04-16",
    "input_tokens": 1200,
    "output_tokens": 300,
    "cached_tokens": 200,
    "cache_write_tokens": None,
    "reasoning_tokens": 100,
    "total_tokens": 1500,
    "cost": pytest.approx((1000 * 1.10 + 200 * 0.275 + 200 * 4.40 + 100 * 4.40) / 1e6),
    "price_id": "openai/o4-mini@2025-04-01",
    "finish_reason": "stop",
    "ttft_ms": pytest.approx(500.0),
    "tpot_ms": pytest.approx(2000.0 / 299),
    "status": "ok",
}


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.default()


def _fixture(name: str, book: PriceBook) -> SpanRecord:
    body = (FIXTURES / f"{name}.json").read_bytes()
    result = decode_traces(body, "json", project=None, pricebook=book, now_ns=NOW_NS)
    assert result.rejected == 0
    [record] = result.records
    return record


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    return {"stringValue": v}


def _span(
    book: PriceBook,
    attrs: dict[str, Any],
    *,
    events: list[tuple[str, int, dict[str, Any]]] | None = None,
    status: dict[str, Any] | None = None,
    resource: dict[str, Any] | None = None,
    project: str | None = None,
    end_ns: int = END_NS,
) -> SpanRecord:
    span: dict[str, Any] = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "b7ad6b7169203331",
        "name": "step",
        "startTimeUnixNano": str(START_NS),
        "endTimeUnixNano": str(end_ns),
        "attributes": [{"key": k, "value": _value(v)} for k, v in attrs.items()],
        "events": [
            {
                "name": n,
                "timeUnixNano": str(t),
                "attributes": [{"key": k, "value": _value(v)} for k, v in a.items()],
            }
            for n, t, a in events or []
        ],
    }
    if status is not None:
        span["status"] = status
    doc = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": k, "value": _value(v)} for k, v in (resource or {}).items()
                    ]
                },
                "scopeSpans": [{"scope": {"name": "t"}, "spans": [span]}],
            }
        ]
    }
    result = decode_traces(
        json.dumps(doc).encode(), "json", project=project, pricebook=book, now_ns=NOW_NS
    )
    [record] = result.records
    return record


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_every_convention_yields_the_same_call(convention: str, book: PriceBook) -> None:
    """Model, provider, tokens, kind, finish reason, cost, TTFT, TPOT agree across conventions."""
    record = _fixture(convention, book)
    assert {k: getattr(record, k) for k in SAME_CALL} == SAME_CALL


def test_openllmetry_flattened_prompt_becomes_a_message_array(book: PriceBook) -> None:
    """gen_ai.prompt.N.role|content is rebuilt as a JSON array of {role, content}."""
    record = _fixture("openllmetry", book)
    assert json.loads(record.input or "") == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What is TTFT?"},
    ]
    assert json.loads(record.output or "")[0]["role"] == "assistant"


def test_openinference_flattened_messages_are_read_without_input_value(book: PriceBook) -> None:
    """llm.input_messages.N.message.* becomes the input when input.value is absent."""
    record = _span(
        book,
        {
            sc.OPENINFERENCE_SPAN_KIND: "LLM",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "hi",
        },
    )
    assert json.loads(record.input or "") == [{"role": "user", "content": "hi"}]
    assert record.attributes == "{}"


def test_promoted_attributes_leave_the_attributes_json(book: PriceBook) -> None:
    """Content and promoted facts are stored once; unknown attributes are kept."""
    record = _fixture("chainsight_sdk", book)
    attrs = json.loads(record.attributes)
    assert sc.INPUT_VALUE not in attrs
    assert sc.GEN_AI_USAGE_INPUT_TOKENS not in attrs
    assert attrs[sc.INPUT_MIME_TYPE] == "application/json"


def test_traceloop_workflow_is_a_chain(book: PriceBook) -> None:
    """traceloop.span.kind=workflow maps to chain, with the entity input/output as content."""
    record = _fixture("openllmetry_workflow", book)
    assert record.kind == "chain"
    assert json.loads(record.input or "") == {"question": "What is TTFT?"}


@pytest.mark.parametrize(
    ("attrs", "kind"),
    [
        ({sc.CHAINSIGHT_SPAN_KIND: "retriever", sc.OPENINFERENCE_SPAN_KIND: "LLM"}, "retriever"),
        ({sc.OPENINFERENCE_SPAN_KIND: "RERANKER", sc.TRACELOOP_SPAN_KIND: "tool"}, "reranker"),
        ({sc.TRACELOOP_SPAN_KIND: "task", sc.GEN_AI_OPERATION_NAME: "chat"}, "chain"),
        ({sc.GEN_AI_OPERATION_NAME: "embeddings"}, "embedding"),
        ({sc.GEN_AI_OPERATION_NAME: "execute_tool"}, "tool"),
        ({sc.GEN_AI_OPERATION_NAME: "invoke_agent"}, "agent"),
        ({sc.GEN_AI_OPERATION_NAME: "retrieval"}, "retriever"),
        ({sc.LLM_REQUEST_TYPE: "embedding"}, "embedding"),
        ({"http.method": "GET"}, "unknown"),
        ({sc.CHAINSIGHT_SPAN_KIND: "bogus"}, "unknown"),
    ],
)
def test_kind_precedence(attrs: dict[str, Any], kind: str, book: PriceBook) -> None:
    """chainsight > OpenInference > Traceloop > gen_ai.operation.name > llm.request.type."""
    assert _span(book, attrs).kind == kind


def test_ttft_from_the_absolute_first_token_time(book: PriceBook) -> None:
    """chainsight.first_token_unix_nano minus start gives TTFT, and TPOT follows."""
    record = _span(
        book,
        {
            sc.CHAINSIGHT_FIRST_TOKEN_NS: START_NS + 250_000_000,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 101,
        },
    )
    assert record.ttft_ms == pytest.approx(250.0)
    assert record.tpot_ms == pytest.approx(2250.0 / 100)


def test_explicit_tpot_wins(book: PriceBook) -> None:
    """chainsight.tpot_s is taken as is (seconds → ms)."""
    record = _span(
        book,
        {
            sc.CHAINSIGHT_TPOT_S: 0.02,
            sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: 0.1,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 50,
        },
    )
    assert record.tpot_ms == pytest.approx(20.0)


def test_tpot_is_undefined_for_a_single_output_token(book: PriceBook) -> None:
    """TPOT needs at least two output tokens."""
    record = _span(
        book, {sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: 0.1, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 1}
    )
    assert record.ttft_ms == pytest.approx(100.0)
    assert record.tpot_ms is None


def test_first_token_event_outside_the_span_is_ignored(book: PriceBook) -> None:
    """A first-token time after the span's end is not a TTFT."""
    record = _span(book, {}, events=[(sc.FIRST_TOKEN_EVENT, END_NS + 1, {})])
    assert record.ttft_ms is None


def test_error_type_from_the_exception_event(book: PriceBook) -> None:
    """Without error.type, the exception event's exception.type names the error."""
    record = _span(
        book,
        {},
        events=[(sc.EXCEPTION_EVENT, START_NS + 1, {sc.EXCEPTION_TYPE: "RateLimitError"})],
        status={"code": 2, "message": "429"},
    )
    assert (record.status, record.status_message, record.error_type) == (
        "error",
        "429",
        "RateLimitError",
    )


def test_explicit_cost_wins_over_the_price_book(book: PriceBook) -> None:
    """A cost on the span is kept as is, with price_id "explicit"."""
    record = _span(
        book,
        {
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 1000,
            sc.LLM_COST_TOTAL: 0.5,
        },
    )
    assert (record.cost, record.price_id) == (0.5, "explicit")


def test_unknown_model_is_unpriced(book: PriceBook) -> None:
    """A model missing from the price book gets cost None, never 0."""
    record = _span(book, {sc.GEN_AI_REQUEST_MODEL: "my-finetune", sc.GEN_AI_USAGE_INPUT_TOKENS: 10})
    assert (record.model, record.cost, record.price_id) == ("my-finetune", None, None)


def test_session_user_and_tags(book: PriceBook) -> None:
    """gen_ai.conversation.id is the session; tag.tags may be a JSON string list."""
    record = _span(
        book,
        {
            sc.GEN_AI_CONVERSATION_ID: "c-1",
            sc.USER_ID: "u-1",
            sc.TAG_TAGS: '["a", "b"]',
        },
    )
    assert (record.session_id, record.user_id, record.tags) == ("c-1", "u-1", ("a", "b"))


def test_service_and_project_come_from_the_resource(book: PriceBook) -> None:
    """service.name and chainsight.project are read from the resource."""
    record = _span(book, {}, resource={sc.SERVICE_NAME: "api", sc.CHAINSIGHT_PROJECT: "p"})
    assert (record.service, record.project) == ("api", "p")


def test_openinference_project_is_an_alias(book: PriceBook) -> None:
    """openinference.project.name names the project when chainsight.project is absent."""
    record = _span(book, {}, resource={sc.OPENINFERENCE_PROJECT: "oi"})
    assert record.project == "oi"


def test_a_project_scoped_key_overrides_the_resource(book: PriceBook) -> None:
    """The project of the API key wins over whatever the resource claims."""
    record = _span(book, {}, resource={sc.CHAINSIGHT_PROJECT: "other"}, project="mine")
    assert record.project == "mine"


def test_project_defaults_to_default(book: PriceBook) -> None:
    """No key project and no resource project: "default"."""
    assert _span(book, {}).project == "default"


def test_negative_token_counts_are_dropped(book: PriceBook) -> None:
    """A negative or non-numeric token count is treated as unknown."""
    record = _span(book, {sc.GEN_AI_USAGE_INPUT_TOKENS: -5, sc.GEN_AI_USAGE_OUTPUT_TOKENS: "x"})
    assert (record.input_tokens, record.output_tokens, record.total_tokens) == (None, None, None)


def test_fast_record_factory_equals_the_dataclass_constructor() -> None:
    """records.new_record builds exactly what SpanRecord(**fields) builds."""
    values = {f.name: f"v-{i}" for i, f in enumerate(dataclasses.fields(SpanRecord))}
    fast = new_record(*(values[name] for name in RECORD_FIELDS))
    assert fast == SpanRecord(**values)
    assert set(RECORD_FIELDS) == set(values)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        ({"choices": [{"finish_reason": "length"}]}, "length"),
        ({"stop_reason": "end_turn"}, "end_turn"),
        ({"candidates": [{"finishReason": "STOP"}]}, "stop"),
        ({"choices": []}, None),
    ],
)
def test_openinference_finish_reason_from_the_response_json(
    response: dict[str, Any], reason: str | None, book: PriceBook
) -> None:
    """OpenInference LLM spans carry no finish-reason attribute: it is read from output.value."""
    record = _span(book, {sc.OPENINFERENCE_SPAN_KIND: "LLM", sc.OUTPUT_VALUE: json.dumps(response)})
    assert record.finish_reason == reason
