"""Ingest decode benchmark: µs per span for OTLP protobuf and JSON requests.

Builds deterministic 512-span ``ExportTraceServiceRequest`` bodies of realistic LLM
traces (the attributes our SDK writes: chainsight/OpenInference kinds, OTel GenAI model,
provider and tokens, content of a few hundred bytes to a few KB, first-token events)
and times, on one core:

- ``parse``: upb ``ExportTraceServiceRequest.FromString`` (protobuf) or ``json.loads`` (JSON);
- ``decode+normalize+price``: the whole ``decode_traces`` call the collector runs per request.

Run: ``.venv/bin/python benchmarks/bench_decode.py [--spans 512] [--requests 20] [--rounds 7]``
Results are recorded in ``docs/benchmarks.md`` ("Ingest decode").
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pyarrow as pa
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from chainsight import semconv as sc
from chainsight.collector.otlp import decode_traces
from chainsight.collector.pricing import PriceBook
from chainsight.storage.duckdb.writes import columns_to_arrow, unique_columns
from chainsight.storage.model import SpanColumns

MODELS = [
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    ("openai", "gpt-4.1", "gpt-4.1-2025-04-14"),
    ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
    ("gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash"),
    ("deepseek", "deepseek-chat", "deepseek-chat"),
]
WORDS = [
    "the",
    "a",
    "retrieval",
    "answer",
    "context",
    "model",
    "token",
    "latency",
    "user",
    "query",
    "document",
    "cost",
]


def _text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, list):
        arr = AnyValue()
        for item in value:
            arr.array_value.values.add(string_value=item)
        return KeyValue(key=key, value=arr)
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _span_attrs(rng: random.Random, kind: str, session: str, user: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        sc.CHAINSIGHT_SPAN_KIND: kind,
        sc.OPENINFERENCE_SPAN_KIND: kind.upper(),
        sc.SESSION_ID: session,
        sc.USER_ID: user,
        "code.function": "answer_question",
    }
    if kind == "llm":
        provider, request, response = rng.choice(MODELS)
        output_tokens = rng.randint(20, 600)
        messages = [
            {"role": "system", "content": _text(rng, 30)},
            {"role": "user", "content": _text(rng, rng.randint(40, 200))},
        ]
        attrs |= {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: provider,
            sc.GEN_AI_REQUEST_MODEL: request,
            sc.GEN_AI_RESPONSE_MODEL: response,
            sc.GEN_AI_REQUEST_TEMPERATURE: 0.2,
            sc.GEN_AI_REQUEST_MAX_TOKENS: 1024,
            sc.GEN_AI_REQUEST_STREAM: True,
            sc.GEN_AI_RESPONSE_ID: f"chatcmpl-{rng.getrandbits(64):x}",
            sc.GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
            sc.GEN_AI_USAGE_INPUT_TOKENS: rng.randint(200, 4000),
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens,
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: rng.choice([0, 0, 128, 1024]),
            sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: rng.uniform(0.1, 1.5),
            sc.INPUT_VALUE: json.dumps(messages),
            sc.INPUT_MIME_TYPE: "application/json",
            sc.OUTPUT_VALUE: _text(rng, output_tokens // 2),
            sc.OUTPUT_MIME_TYPE: "text/plain",
        }
    elif kind == "retriever":
        attrs |= {
            sc.INPUT_VALUE: _text(rng, 15),
            sc.OUTPUT_VALUE: json.dumps([_text(rng, 60) for _ in range(4)]),
        }
    elif kind == "tool":
        attrs |= {
            sc.GEN_AI_OPERATION_NAME: "execute_tool",
            sc.GEN_AI_TOOL_NAME: "search",
            sc.INPUT_VALUE: json.dumps({"q": _text(rng, 8)}),
            sc.OUTPUT_VALUE: _text(rng, 40),
        }
    else:
        attrs |= {sc.INPUT_VALUE: _text(rng, 25), sc.OUTPUT_VALUE: _text(rng, 60)}
    return attrs


TRACE_SHAPE = ["chain", "retriever", "llm", "tool", "llm", "chain", "llm", "embedding"]


def build_request(n_spans: int, seed: int, start_ns: int) -> ExportTraceServiceRequest:
    """A deterministic request of ``n_spans`` spans in traces of eight steps."""
    rng = random.Random(seed)
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    for key, value in {
        sc.SERVICE_NAME: "rag-api",
        sc.CHAINSIGHT_PROJECT: "bench",
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": "1.45.2",
    }.items():
        rs.resource.attributes.append(_kv(key, value))
    ss = rs.scope_spans.add()
    ss.scope.name = "chainsight"
    trace_id = root = b""
    for i in range(n_spans):
        step = TRACE_SHAPE[i % len(TRACE_SHAPE)]
        if i % len(TRACE_SHAPE) == 0:
            trace_id = rng.getrandbits(128).to_bytes(16, "big")
            root = b""
        span_id = rng.getrandbits(64).to_bytes(8, "big")
        t0 = start_ns + i * 10_000_000
        span = Span(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=root,
            name=f"{step} step",
            kind=Span.SPAN_KIND_CLIENT if step == "llm" else Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=t0,
            end_time_unix_nano=t0 + rng.randint(5, 3000) * 1_000_000,
            status=Status(code=Status.STATUS_CODE_OK),
        )
        if not root:
            root = span_id
        session, user = f"s-{i // 64}", f"u-{i // 128}"
        for key, value in _span_attrs(rng, step, session, user).items():
            span.attributes.append(_kv(key, value))
        if step == "llm":
            event = span.events.add(name=sc.FIRST_TOKEN_EVENT, time_unix_nano=t0 + 300_000_000)
            event.attributes.append(_kv("chunk.index", 0))
        ss.spans.append(span)
    return request


def to_otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """OTLP/JSON: json_format's dict with the id fields re-encoded as hex (not base64)."""
    doc = json_format.MessageToDict(request)

    def fix(obj: Any) -> None:
        if isinstance(obj, dict):
            for key in ("traceId", "spanId", "parentSpanId"):
                if key in obj:
                    obj[key] = base64.b64decode(obj[key]).hex()
            for value in obj.values():
                fix(value)
        elif isinstance(obj, list):
            for value in obj:
                fix(value)

    fix(doc)
    return json.dumps(doc).encode()


def _time(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(CPU, wall) seconds of the best of ``rounds`` runs. CPU time of this thread
    (``time.thread_time``) is the figure to compare: on a shared machine wall time also
    counts the time other processes held the core."""
    cpu, wall = [], []
    for _ in range(rounds):
        c0, w0 = time.thread_time(), time.perf_counter()
        fn()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


_WORKER_BOOK: PriceBook | None = None


def decode_to_ipc(body: bytes) -> bytes:
    """In a worker process: decode, build the Arrow table the writer inserts, serialize it."""
    global _WORKER_BOOK  # noqa: PLW0603 - one price book per worker process
    if _WORKER_BOOK is None:
        _WORKER_BOOK = PriceBook.default()
    spans = decode_traces(body, "protobuf", project=None, pricebook=_WORKER_BOOK).records
    if not isinstance(spans, SpanColumns):
        raise SystemExit("decode_traces did not return SpanColumns")
    table = columns_to_arrow(unique_columns(spans)[0])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def process_pool(bodies: list[bytes], workers: int, rounds: int, spans: int) -> None:
    """What decoding in worker processes would leave on the collector process.

    The collector's share is the CPU of *this* process, all threads: the executor's
    threads pickle each body and unpickle each reply. The workers' CPU is not counted;
    it is the in-thread figure printed above, spent in parallel processes.
    """
    n = spans * len(bodies)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(decode_to_ipc, bodies[:workers]))  # start the workers
        best_cpu = best_wall = float("inf")
        size = 0
        for _ in range(rounds):
            c0, w0 = time.process_time(), time.perf_counter()
            replies = list(pool.map(decode_to_ipc, bodies))
            tables = [pa.ipc.open_stream(r).read_all() for r in replies]
            best_cpu = min(best_cpu, time.process_time() - c0)
            best_wall = min(best_wall, time.perf_counter() - w0)
            if sum(t.num_rows for t in tables) != n:
                raise SystemExit("worker replies lost spans")
            size = sum(map(len, replies))
    print(
        f"{'protobuf':<9} {f'{workers} workers: this process':<26} {best_cpu / n * 1e6:11.2f} "
        f"{n / best_cpu:12,.0f} {best_wall / n * 1e6:8.2f}"
    )
    print(f"(Arrow IPC reply: {size / n:.0f} bytes per span)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=512, help="spans per request")
    parser.add_argument("--requests", type=int, default=20, help="distinct requests per round")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per stage")
    parser.add_argument(
        "--process-pool",
        type=int,
        default=0,
        metavar="N",
        help="also time decode in N worker processes returning Arrow IPC (see process_pool)",
    )
    args = parser.parse_args()
    start_ns = time.time_ns() - 3600 * 10**9
    requests = [build_request(args.spans, seed, start_ns) for seed in range(args.requests)]
    proto_bodies = [r.SerializeToString() for r in requests]
    json_bodies = [to_otlp_json(r) for r in requests]
    book = PriceBook.default()
    n = args.spans * args.requests

    def run(bodies: list[bytes], kind: Any) -> None:
        for body in bodies:
            result = decode_traces(body, kind, project=None, pricebook=book)
            if result.rejected or len(result.records) != args.spans:
                raise SystemExit(f"unexpected rejection: {result.error_message}")

    rows = [
        (
            "protobuf",
            "parse (upb FromString)",
            lambda: [ExportTraceServiceRequest.FromString(b) for b in proto_bodies],
        ),
        ("protobuf", "decode+normalize+price", lambda: run(proto_bodies, "protobuf")),
        (
            "protobuf",
            "decode + columns to Arrow",
            lambda: [
                columns_to_arrow(
                    unique_columns(
                        decode_traces(b, "protobuf", project=None, pricebook=book).records
                    )[0]
                )
                for b in proto_bodies
            ],
        ),
        ("json", "parse (json.loads)", lambda: [json.loads(b) for b in json_bodies]),
        ("json", "decode+normalize+price", lambda: run(json_bodies, "json")),
    ]
    size_pb = sum(map(len, proto_bodies)) / len(proto_bodies) / 1024
    size_js = sum(map(len, json_bodies)) / len(json_bodies) / 1024
    print(
        f"{args.requests} requests x {args.spans} spans; body ~{size_pb:.0f} KiB protobuf, "
        f"~{size_js:.0f} KiB JSON; {args.rounds} rounds, one core"
    )
    print(f"{'format':<9} {'stage':<26} {'CPU µs/span':>11} {'spans/s/core':>12} {'wall µs':>8}")
    for fmt, stage, fn in rows:
        fn()  # warm caches (price matches, interned keys)
        cpu, wall = _time(fn, args.rounds)
        print(f"{fmt:<9} {stage:<26} {cpu / n * 1e6:11.2f} {n / cpu:12,.0f} {wall / n * 1e6:8.2f}")
    if args.process_pool:
        process_pool(proto_bodies, args.process_pool, args.rounds, args.spans)


if __name__ == "__main__":
    main()
