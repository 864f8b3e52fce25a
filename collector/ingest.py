"""``POST /v1/traces``: the OTLP/HTTP receiver.

Order of checks, cheapest first, each before any work it guards (OTLP/HTTP spec,
opentelemetry-proto docs/specification.md v1.11.0):

1. content type (protobuf or JSON, else 415) and encoding (identity, gzip, deflate, else 415);
2. API key (401) — before reading a byte of the body;
3. the body, read from the stream and stopped at ``max_body_bytes`` (413): Starlette sets
   no limit of its own;
4. decompression with ``zlib.decompressobj(...).decompress(data, max_length)``: output
   is capped at the same limit (413) whatever the ratio, so a 10 KB gzip bomb that would
   inflate to 1 GB costs at most ``max_body_bytes`` of memory (the CVE-2024-36129 class);
5. decode + normalize + price (``otlp.decode_traces``) off the event loop: in a worker
   thread (``decode_workers = 0``), or, with ``decode_workers = N``, steps 4-5 and the
   Arrow table the writer inserts in N worker processes (``decode_pool``), so they do not
   hold the collector's GIL: ≈ 20-27 µs per span, i.e. 10-14 ms for a 512-span request;
6. enqueue for the group-commit writer and wait until the transaction holding these spans
   committed (503 + Retry-After when the queue is full or storage fails — never 500,
   which clients do not retry).

The reply is in the request's content type: an ``ExportTraceServiceResponse`` whose
``partial_success`` counts the spans refused by the decoder; errors are ``google.rpc.Status``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import anyio
from fastapi import APIRouter, Request
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from starlette.responses import Response

from chainsight.storage import StorageError
from chainsight.storage.model import SpanRecord

from .auth import Principal
from .batching import WriteQueue
from .errors import (
    JSON,
    OTLP_PATH,
    PROTOBUF,
    CollectorError,
    PayloadTooLarge,
    QueueFull,
    Unavailable,
    UndecodableBody,
    UnsupportedMediaType,
)
from .limits import DecodeLimits
from .otlp import DecodeError, decode_traces
from .pricing import PriceBook

log = logging.getLogger("chainsight.collector.ingest")

ENCODINGS = {"identity": None, "gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16}
# RFC 9110 "deflate" is the zlib format (what the OTel exporter's zlib.compress sends);
# some clients send raw DEFLATE, which is tried when the zlib header is absent.
DEFLATE_WBITS = (zlib.MAX_WBITS, -zlib.MAX_WBITS)


@dataclass(frozen=True, slots=True)
class Decoded:
    """What the decode step returns to the route (a view of otlp.DecodeResult)."""

    records: Sequence[SpanRecord]
    rejected: int
    error_message: str | None
    rejected_reasons: dict[str, int] = field(default_factory=dict)


Decoder = Callable[[bytes, str, str | None], Decoded]
"""(body, content type, project forced by the API key or None) -> Decoded.

Raises ``UndecodableBody`` for a body that is not OTLP."""


def decode_limits(
    max_spans: int, max_attributes: int, max_attribute_bytes: int, max_attribute_depth: int
) -> DecodeLimits:
    """The decoder's limits from the matching ``Settings`` fields."""
    return DecodeLimits(
        max_spans=max_spans,
        max_attributes_per_span=max_attributes,
        max_value_bytes=max_attribute_bytes,
        max_depth=max_attribute_depth,
    )


def make_decoder(limits: DecodeLimits, pricebook: Callable[[], PriceBook]) -> Decoder:
    """The ``Decoder`` the collector runs, in its thread or in a decode worker process.

    ``pricebook`` is called per request: the book is replaced whole when prices change.
    """
    kinds: dict[str, Literal["protobuf", "json"]] = {PROTOBUF: "protobuf", JSON: "json"}

    def decode(body: bytes, content_type: str, project: str | None) -> Decoded:
        try:
            result = decode_traces(
                body, kinds[content_type], project=project, pricebook=pricebook(), limits=limits
            )
        except DecodeError as exc:
            raise UndecodableBody(str(exc)) from exc
        return Decoded(
            result.records, result.rejected, result.error_message, dict(result.rejected_reasons)
        )

    return decode


@dataclass
class IngestCounters:
    """Counters for /metrics, shared by the event loop and worker threads."""

    spans_accepted: int = 0
    spans_rejected: Counter[str] = field(default_factory=Counter)
    requests_refused: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, n: int) -> None:
        with self.lock:
            self.spans_accepted += n

    def reject_spans(self, reason: str, n: int) -> None:
        if n:
            with self.lock:
                self.spans_rejected[reason] += n

    def refuse(self, reason: str) -> None:
        with self.lock:
            self.requests_refused[reason] += 1


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower-cased; 415 unless OTLP."""
    value = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if value not in (PROTOBUF, JSON):
        raise UnsupportedMediaType(
            f"unsupported content type {value or '(none)'!r}: use {PROTOBUF} or {JSON}"
        )
    return value


def content_encoding(request: Request) -> str:
    value = request.headers.get("content-encoding", "identity").strip().lower() or "identity"
    if value not in ENCODINGS and value != "deflate":
        raise UnsupportedMediaType(
            f"unsupported content encoding {value!r}: use identity, gzip or deflate"
        )
    return value


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decompress(data: bytes, encoding: str, limit: int) -> bytes:
    """Inflate ``data`` producing at most ``limit`` bytes (413 beyond, 400 if corrupt)."""
    if encoding == "identity":
        return data
    if encoding == "deflate":
        for wbits in DEFLATE_WBITS:
            try:
                return _inflate(data, wbits, limit)
            except zlib.error:
                continue
        raise UndecodableBody("body is not valid deflate data")
    try:
        return _inflate(data, ENCODINGS[encoding] or 0, limit)
    except zlib.error as exc:
        raise UndecodableBody(f"body is not valid {encoding} data: {exc}") from exc


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    out: list[bytes] = []
    produced = 0
    rest = data
    while rest:  # gzip allows several members back to back (RFC 1952 §2.2)
        inflater = zlib.decompressobj(wbits)
        chunk = inflater.decompress(rest, limit - produced + 1)
        produced += len(chunk)
        if produced > limit or inflater.unconsumed_tail:
            raise PayloadTooLarge(f"decompressed body exceeds the limit of {limit} bytes")
        if not inflater.eof:
            raise zlib.error("truncated compressed body")
        out.append(chunk)
        rest = inflater.unused_data if wbits & 16 else b""
    return b"".join(out)


def export_response(rejected: int, message: str | None, content_type: str) -> Response:
    """An ``ExportTraceServiceResponse``, with ``partial_success`` when spans were refused."""
    reply = trace_service_pb2.ExportTraceServiceResponse()
    if rejected or message:
        reply.partial_success.rejected_spans = rejected
        reply.partial_success.error_message = message or ""
    if content_type == JSON:
        return Response(json_format.MessageToJson(reply, indent=None), 200, media_type=JSON)
    return Response(reply.SerializeToString(), 200, media_type=PROTOBUF)


class Ingest:
    """The ingest pipeline around the pure decoder: limits, threads, queue, counters."""

    def __init__(
        self,
        decoder: Decoder,
        queue: WriteQueue,
        *,
        max_body_bytes: int,
        retry_after: int,
        offload: Callable[[bytes, str, str, str | None], Awaitable[Decoded]] | None = None,
    ) -> None:
        self.decoder = decoder
        self.offload = offload
        """Decode in other processes instead of a thread: (raw body, encoding, content type,
        project) -> Decoded, with the same errors (``decode_pool.DecodePool.decode``)."""
        self.queue = queue
        self.max_body_bytes = max_body_bytes
        self.retry_after = retry_after
        self.counters = IngestCounters()

    def _decode(self, raw: bytes, encoding: str, content_type: str, project: str | None) -> Decoded:
        body = decompress(raw, encoding, self.max_body_bytes)
        return self.decoder(body, content_type, project)

    async def export(self, request: Request, principal: Principal) -> Response:
        content_type = media_type(request)
        encoding = content_encoding(request)
        raw = await read_body(request, self.max_body_bytes)
        if self.offload is not None:
            decoded = await self.offload(raw, encoding, content_type, principal.project)
        else:
            decoded = await anyio.to_thread.run_sync(
                self._decode, raw, encoding, content_type, principal.project
            )
        for reason, n in decoded.rejected_reasons.items():
            self.counters.reject_spans(reason, n)
        self.counters.reject_spans(
            "invalid", decoded.rejected - sum(decoded.rejected_reasons.values())
        )
        if decoded.records:
            n = len(decoded.records)
            try:
                future = self.queue.submit(decoded.records)
            except QueueFull:
                self.counters.reject_spans("queue_full", n)
                raise
            try:
                await asyncio.wrap_future(future)
            except StorageError as exc:
                self.counters.reject_spans("storage_error", n)
                raise Unavailable(f"storage failed: {exc}", self.retry_after) from exc
            self.counters.accept(n)
        return export_response(decoded.rejected, decoded.error_message, content_type)


def router(
    get_ingest: Callable[[Request], Ingest], get_principal: Callable[[Request], Principal]
) -> APIRouter:
    """The OTLP route, bound to the app's ingest pipeline and authenticator."""
    api = APIRouter()

    @api.post(OTLP_PATH, include_in_schema=True, tags=["otlp"], summary="OTLP/HTTP trace export")
    async def export_traces(request: Request) -> Response:
        """Receive an ``ExportTraceServiceRequest`` (protobuf or JSON, gzip/deflate)."""
        ingest = get_ingest(request)
        try:
            return await ingest.export(request, get_principal(request))
        except CollectorError as exc:
            ingest.counters.refuse(exc.code)
            raise

    return api
