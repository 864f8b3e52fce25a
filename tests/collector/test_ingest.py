"""OTLP/HTTP ingest: encodings, compression, replies and partial success, read back
through the query API."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import httpx
import pytest
from conftest import OtelPipeline, RunningCollector, wait_until
from decode_modes import POOLED, collector_fixture  # noqa: F401 - the fixture
from google.rpc import status_pb2
from otlp_payloads import JSON, PROTOBUF, export_response, llm_attributes, request, span, to_json


def _trace_ids(collector: RunningCollector, project: str = "test") -> set[str]:
    with collector.client() as client:
        page = client.get("/api/v1/traces", params={"project": project, "limit": 1000}).json()
    return {item["trace_id"] for item in page["items"]}


@POOLED
def test_sdk_spans_exported_with_the_otlp_exporter_are_queryable(
    collector: RunningCollector, pipeline_factory: Callable[..., OtelPipeline]
) -> None:
    """Spans from the real TracerProvider + OTLPSpanExporter (protobuf) come back as a tree."""
    pipeline = pipeline_factory(collector.otlp_url)
    with (
        pipeline.tracer.start_as_current_span("root") as root,
        pipeline.tracer.start_as_current_span("child", attributes=llm_attributes()),
    ):
        pass
    pipeline.flush()
    trace_id = format(root.get_span_context().trace_id, "032x")
    with collector.client() as client:
        tree = client.get(f"/api/v1/traces/{trace_id}").json()
    assert [s["name"] for s in tree["spans"]] == ["root", "child"]
    assert tree["spans"][1]["model"] == "gpt-4o-mini"


@POOLED
@pytest.mark.parametrize("compression", ["gzip", "deflate"])
def test_compressed_exports_are_accepted(
    collector: RunningCollector, pipeline_factory: Callable[..., OtelPipeline], compression: str
) -> None:
    """The exporter's gzip and deflate bodies are inflated and stored."""
    pipeline = pipeline_factory(collector.otlp_url, compression=compression)
    with pipeline.tracer.start_as_current_span("compressed") as root:
        pass
    pipeline.flush()
    assert format(root.get_span_context().trace_id, "032x") in _trace_ids(collector)


@POOLED
def test_json_body_is_accepted_and_answered_in_json(collector: RunningCollector) -> None:
    """OTLP/JSON (hex ids, string int64s) is decoded and the reply is JSON."""
    s = span(name="from-json")
    with collector.client() as client:
        response = client.post(
            "/v1/traces", content=to_json(request([s])), headers={"content-type": JSON}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert s.trace_id.hex() in _trace_ids(collector)


@POOLED
def test_protobuf_body_is_answered_in_protobuf(collector: RunningCollector) -> None:
    """A protobuf request gets a protobuf ExportTraceServiceResponse."""
    body = request([span()]).SerializeToString()
    with collector.client() as client:
        response = client.post("/v1/traces", content=body, headers={"content-type": PROTOBUF})
    assert response.status_code == 200
    assert response.headers["content-type"] == PROTOBUF
    assert not export_response(response.content, PROTOBUF).HasField("partial_success")


@POOLED
@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_invalid_ids_are_refused_as_partial_success(
    collector: RunningCollector, content_type: str
) -> None:
    """A span with a malformed id is counted in partial_success; its valid sibling is stored."""
    good = span(name="good")
    bad = span(name="bad", span_id=b"\x01\x02")
    message = request([good, bad])
    body = message.SerializeToString() if content_type == PROTOBUF else to_json(message)
    with collector.client() as client:
        response = client.post("/v1/traces", content=body, headers={"content-type": content_type})
    assert response.status_code == 200
    reply = export_response(response.content, content_type)
    assert reply.partial_success.rejected_spans == 1
    assert reply.partial_success.error_message
    assert good.trace_id.hex() in _trace_ids(collector)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_unsupported_content_type_is_415(collector: RunningCollector, content_type: str) -> None:
    """Only protobuf and JSON are OTLP/HTTP bodies."""
    with collector.client() as client:
        response = client.post("/v1/traces", content=b"x", headers={"content-type": content_type})
    assert response.status_code == 415


def test_unsupported_content_encoding_is_415(collector: RunningCollector) -> None:
    """Encodings other than identity, gzip and deflate are refused."""
    headers = {"content-type": PROTOBUF, "content-encoding": "br"}
    with collector.client() as client:
        response = client.post("/v1/traces", content=b"x", headers=headers)
    assert response.status_code == 415


@POOLED
@pytest.mark.parametrize(
    ("content_type", "body"),
    [(PROTOBUF, b"\xff\xff\xff\xff not protobuf"), (JSON, b"{not json"), (JSON, b"[1, 2]")],
)
def test_undecodable_body_is_400_with_a_status_message(
    collector: RunningCollector, content_type: str, body: bytes
) -> None:
    """Garbage bodies get 400 and a google.rpc.Status saying why, in the request's encoding."""
    with collector.client() as client:
        response = client.post("/v1/traces", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    status = status_pb2.Status()
    if content_type == JSON:
        assert response.json()["message"]
    else:
        status.ParseFromString(response.content)
        assert status.message


@POOLED
def test_corrupt_gzip_is_400(collector: RunningCollector) -> None:
    """A body that claims gzip but is not gzip is a client error, not a crash."""
    headers = {"content-type": PROTOBUF, "content-encoding": "gzip"}
    with collector.client() as client:
        response = client.post("/v1/traces", content=b"\x1f\x8bnot really", headers=headers)
    assert response.status_code == 400


@POOLED
def test_raw_deflate_without_zlib_header_is_accepted(collector: RunningCollector) -> None:
    """Some clients send raw DEFLATE for Content-Encoding: deflate; it is tried too."""
    s = span(name="raw-deflate")
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = compressor.compress(request([s]).SerializeToString()) + compressor.flush()
    headers = {"content-type": PROTOBUF, "content-encoding": "deflate"}
    with collector.client() as client:
        assert client.post("/v1/traces", content=body, headers=headers).status_code == 200
    assert s.trace_id.hex() in _trace_ids(collector)


@POOLED
def test_same_batch_twice_stores_no_duplicates(collector: RunningCollector) -> None:
    """Exporter retries are idempotent on (trace_id, span_id)."""
    trace_id = bytes(range(16))
    spans = [span(trace_id=trace_id, name=f"s{i}") for i in range(5)]
    body = gzip.compress(request(spans).SerializeToString())
    headers = {"content-type": PROTOBUF, "content-encoding": "gzip"}
    with collector.client() as client:
        for _ in range(2):
            assert client.post("/v1/traces", content=body, headers=headers).status_code == 200
        tree = client.get(f"/api/v1/traces/{trace_id.hex()}").json()
    assert len(tree["spans"]) == 5


@POOLED
def test_children_before_parents_and_orphans_are_kept(collector: RunningCollector) -> None:
    """A child sent first is linked once its parent arrives; a child whose parent never
    arrives is kept and flagged as an orphan."""
    trace_id = bytes(range(1, 17))
    root = span(trace_id=trace_id, name="root", duration_ns=50_000_000)
    child = span(trace_id=trace_id, parent_span_id=root.span_id, name="child")
    orphan = span(trace_id=trace_id, parent_span_id=b"\x09" * 8, name="orphan")
    with collector.client() as client:
        for batch in ([child, orphan], [root]):
            body = request(batch).SerializeToString()
            assert (
                client.post(
                    "/v1/traces", content=body, headers={"content-type": PROTOBUF}
                ).status_code
                == 200
            )
        tree = client.get(f"/api/v1/traces/{trace_id.hex()}").json()
        listed = client.get("/api/v1/traces", params={"project": "test"}).json()["items"]
    flags = {s["name"]: (s["depth"], s["orphan"]) for s in tree["spans"]}
    assert flags == {"root": (0, False), "child": (1, False), "orphan": (0, True)}
    assert [t["has_orphans"] for t in listed if t["trace_id"] == trace_id.hex()] == [True]


@POOLED
def test_a_200_means_the_spans_are_already_queryable(collector: RunningCollector) -> None:
    """Ack after commit: the trace is readable the moment the export returned, no polling."""
    s = span(name="committed")
    with collector.client() as client:
        assert (
            client.post(
                "/v1/traces",
                content=request([s]).SerializeToString(),
                headers={"content-type": PROTOBUF},
            ).status_code
            == 200
        )
        assert client.get(f"/api/v1/traces/{s.trace_id.hex()}").status_code == 200


def test_healthz_answers_ok(collector: RunningCollector) -> None:
    """/healthz is up without a key."""
    response = httpx.get(f"{collector.base_url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_wait_until_helper_times_out() -> None:
    """The deadline helper raises instead of hanging."""
    with pytest.raises(TimeoutError):
        wait_until(lambda: False, timeout=0.05)
