"""Hostile and broken OTLP bodies: each gets a clear 4xx (or partial_success), the
server stays up, and what was stored before is unharmed."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CollectorProcess, RunningCollector
from decode_modes import POOLED, WITH_WORKERS, child_pids, collector_fixture, peak_rss_bytes  # noqa: F401 - the fixture
from otlp_payloads import (
    JSON,
    PROTOBUF,
    export_response,
    nested_array_request,
    request,
    span,
    to_json,
)

MIB = 1024 * 1024


@pytest.fixture
def seeded(collector: RunningCollector) -> Iterator[tuple[RunningCollector, str]]:
    """A collector holding one known trace, checked intact after the test."""
    known = span(name="known")
    with collector.client() as client:
        body = request([known]).SerializeToString()
        assert (
            client.post("/v1/traces", content=body, headers={"content-type": PROTOBUF}).status_code
            == 200
        )
    yield collector, known.trace_id.hex()
    with collector.client() as client:
        assert client.get("/healthz").status_code == 200
        tree = client.get(f"/api/v1/traces/{known.trace_id.hex()}").json()
        assert [s["name"] for s in tree["spans"]] == ["known"]


def _post(
    collector: RunningCollector, body: bytes | Iterator[bytes], **headers: str
) -> httpx.Response:
    headers.setdefault("content-type", PROTOBUF)
    with collector.client() as client:
        return client.post("/v1/traces", content=body, headers=headers)


def test_body_over_the_limit_is_413_before_decompression(
    collector_factory: Callable[..., RunningCollector],
) -> None:
    """A raw body larger than max_body_bytes is refused without being read to the end."""
    collector = collector_factory(max_body_bytes=10_000)
    assert _post(collector, b"\x00" * 20_000).status_code == 413


def test_chunked_body_over_the_limit_is_413(
    collector_factory: Callable[..., RunningCollector],
) -> None:
    """Without Content-Length the streamed read stops at the cap."""
    collector = collector_factory(max_body_bytes=10_000)

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"\x00" * 4096

    assert _post(collector, chunks()).status_code == 413


@WITH_WORKERS
def test_body_over_the_limit_after_decompression_is_413(
    collector_factory: Callable[..., RunningCollector], decode_workers: int
) -> None:
    """A small gzip body that inflates past max_body_bytes is refused."""
    collector = collector_factory(max_body_bytes=10_000, decode_workers=decode_workers)
    body = gzip.compress(b"\x00" * 100_000)
    assert len(body) < 10_000
    assert _post(collector, body, **{"content-encoding": "gzip"}).status_code == 413


def _gzip_bomb(inflated: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\x00" * MIB
    parts = [compressor.compress(block) for _ in range(inflated // MIB)]
    return b"".join(parts) + compressor.flush()


@WITH_WORKERS
def test_gzip_bomb_is_refused_with_flat_memory(
    collector_process_factory: Callable[..., CollectorProcess], tmp_path: Path, decode_workers: int
) -> None:
    """A 1 GB gzip bomb is refused (413) while the server's peak RSS grows by far less
    than the inflated size (bounded by max_body_bytes, 64 MiB by default); with decode
    workers, the worker that inflated it too."""
    process = collector_process_factory(tmp_path / "data", "--decode-workers", str(decode_workers))
    bomb = _gzip_bomb(1024 * MIB)
    before = process.peak_rss_bytes()
    response = httpx.post(
        f"{process.base_url}/v1/traces",
        content=bomb,
        headers={"content-type": PROTOBUF, "content-encoding": "gzip"},
        timeout=60,
    )
    assert response.status_code == 413
    growth = process.peak_rss_bytes() - before
    assert growth < 200 * MIB, f"peak RSS grew by {growth / MIB:.0f} MiB"
    for pid in child_pids(process.proc.pid):  # the decode workers
        peak = peak_rss_bytes(pid)
        print(f"decode worker {pid}: peak RSS {peak / MIB:.0f} MiB")
        assert peak < 400 * MIB, f"decode worker peak RSS {peak / MIB:.0f} MiB"
    assert httpx.get(f"{process.base_url}/healthz").status_code == 200


@POOLED
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (PROTOBUF, b"\x0a\xff\xff\xff\xff\x0f"),  # length prefix far past the end
        (JSON, b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": '),
        (JSON, b'{"resourceSpans": "not a list"}'),
        (JSON, b"\xff\xfe\x00 not utf-8"),
    ],
)
def test_malformed_bodies_are_400(
    seeded: tuple[RunningCollector, str], content_type: str, body: bytes
) -> None:
    """Truncated protobuf, truncated JSON, wrong JSON types and non-UTF-8 JSON are 400."""
    collector, _ = seeded
    assert _post(collector, body, **{"content-type": content_type}).status_code == 400


@POOLED
def test_invalid_utf8_in_a_protobuf_string_is_refused(seeded: tuple[RunningCollector, str]) -> None:
    """Invalid UTF-8 in a string field is a 400 or a refused span, never stored garbage."""
    collector, _ = seeded
    good = request([span(name="PLACEHOLDER")]).SerializeToString()
    body = good.replace(b"PLACEHOLDER", b"BAD\xff\xfeNAME")
    response = _post(collector, body)
    if response.status_code == 200:
        assert export_response(response.content, PROTOBUF).partial_success.rejected_spans == 1
    else:
        assert response.status_code == 400


@POOLED
@pytest.mark.parametrize("start_ns", [1, 2**63 - 1])
def test_absurd_timestamps_are_refused_spans(
    seeded: tuple[RunningCollector, str], start_ns: int
) -> None:
    """A start in 1970 or the far future is reported in partial_success, not stored."""
    collector, _ = seeded
    bad = span(name="absurd", start_ns=start_ns, duration_ns=0)
    response = _post(collector, request([bad]).SerializeToString())
    assert response.status_code == 200
    assert export_response(response.content, PROTOBUF).partial_success.rejected_spans == 1
    with collector.client() as client:
        assert client.get(f"/api/v1/traces/{bad.trace_id.hex()}").status_code == 404


def test_negative_duration_is_never_stored_negative(seeded: tuple[RunningCollector, str]) -> None:
    """A span ending before it starts is refused or stored with a non-negative duration."""
    collector, _ = seeded
    bad = span(name="backwards", duration_ns=-5_000_000)
    message = request([bad])
    message.resource_spans[0].scope_spans[0].spans[0].end_time_unix_nano = (
        bad.start_time_unix_nano - 5_000_000
    )
    response = _post(collector, message.SerializeToString())
    assert response.status_code == 200
    with collector.client() as client:
        found = client.get(f"/api/v1/traces/{bad.trace_id.hex()}")
    if export_response(response.content, PROTOBUF).partial_success.rejected_spans == 1:
        assert found.status_code == 404
    else:
        assert found.json()["spans"][0]["duration_ms"] >= 0


@POOLED
def test_huge_attribute_value_is_truncated(seeded: tuple[RunningCollector, str]) -> None:
    """A 5 MB attribute value is accepted but stored cut to max_attribute_bytes."""
    collector, _ = seeded
    big = span(name="big", attributes={"app.blob": "x" * (5 * MIB)})
    response = _post(
        collector, gzip.compress(request([big]).SerializeToString()), **{"content-encoding": "gzip"}
    )
    assert response.status_code == 200
    with collector.client() as client:
        detail = client.get(f"/api/v1/traces/{big.trace_id.hex()}").json()["spans"][0]
    assert (
        len(str(detail["attributes"]["app.blob"])) <= collector.settings.max_attribute_bytes + 200
    )


@POOLED
@pytest.mark.parametrize("depth", [20, 500])
def test_deeply_nested_attribute_is_handled(
    seeded: tuple[RunningCollector, str], depth: int
) -> None:
    """Arrays nested 20 or 500 levels deep are refused (400) or stored cut at max depth;
    the server never recurses itself to death."""
    collector, _ = seeded
    body, trace_id = nested_array_request(depth)
    response = _post(collector, body)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        with collector.client() as client:
            detail = client.get(f"/api/v1/traces/{trace_id.hex()}").json()["spans"][0]
        text = json.dumps(detail["attributes"]["app.deep"])
        assert text.count("[") <= collector.settings.max_attribute_depth + 1


@POOLED
def test_a_million_attributes_are_capped(seeded: tuple[RunningCollector, str]) -> None:
    """A span with 1,000,000 attributes is stored with at most max_attributes of them."""
    collector, _ = seeded
    many = span(name="many", attributes={f"a{i}": i for i in range(1_000_000)})
    body = gzip.compress(request([many]).SerializeToString(), compresslevel=1)
    response = _post(collector, body, **{"content-encoding": "gzip"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        with collector.client() as client:
            detail = client.get(f"/api/v1/traces/{many.trace_id.hex()}").json()["spans"][0]
        assert len(detail["attributes"]) <= collector.settings.max_attributes + 10


@POOLED
def test_json_with_wrong_id_length_is_partial_success(seeded: tuple[RunningCollector, str]) -> None:
    """Hex ids of the wrong length in OTLP/JSON are refused spans, not a crash."""
    collector, _ = seeded
    body = to_json(request([span(name="short-id")])).replace(b'"spanId": "', b'"spanId": "ab', 1)
    response = _post(collector, body, **{"content-type": JSON})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert export_response(response.content, JSON).partial_success.rejected_spans == 1
