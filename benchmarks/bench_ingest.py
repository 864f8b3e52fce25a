"""Sustained OTLP ingest with ack-after-commit: spans/s, request p50/p99, all acked stored.

Starts ``python -m chainsight serve`` as a subprocess on 127.0.0.1 over a fresh data dir,
runs N client threads posting 512-span protobuf requests of realistic LLM traces (64
traces x 8 spans: chain root, retriever, embedding, two LLM calls with messages and
usage, a tool, a reranker, a guardrail) for a bounded duration, then checks through the
API that every acknowledged span is stored. Bodies are serialized once; each request
gets fresh trace ids by replacing one 8-byte sentinel shared by all its trace ids, so
the clients spend microseconds, not milliseconds, per request.

    .venv/bin/python benchmarks/bench_ingest.py --clients 8 --seconds 20
    .venv/bin/python benchmarks/bench_ingest.py --clients 16 --seconds 20 --decode-workers 2

Server CPU is the collector process plus its children (the decode worker processes of
``--decode-workers N``); ``collector_process_cpu_us_per_span`` is the collector alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from chainsight import semconv

SENTINEL = b"\xa5\x5a\xc3\x3c\x96\x69\x0f\xf0"
TRACES_PER_REQUEST = 64
SPANS_PER_TRACE = 8
MS = 1_000_000
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4", "gemini-2.5-flash", "deepseek-chat"]


def _kv(key: str, value: Any) -> common_pb2.KeyValue:
    if isinstance(value, bool):
        any_value = common_pb2.AnyValue(bool_value=value)
    elif isinstance(value, int):
        any_value = common_pb2.AnyValue(int_value=value)
    elif isinstance(value, float):
        any_value = common_pb2.AnyValue(double_value=value)
    elif isinstance(value, list):
        any_value = common_pb2.AnyValue(
            array_value=common_pb2.ArrayValue(
                values=[common_pb2.AnyValue(string_value=v) for v in value]
            )
        )
    else:
        any_value = common_pb2.AnyValue(string_value=str(value))
    return common_pb2.KeyValue(key=key, value=any_value)


def _span(
    *,
    trace_id: bytes,
    span_id: bytes,
    parent: bytes,
    name: str,
    start: int,
    dur_ms: float,
    attrs: dict[str, Any],
) -> trace_pb2.Span:
    return trace_pb2.Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=trace_pb2.Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(dur_ms * MS),
        attributes=[_kv(k, v) for k, v in attrs.items()],
        status=trace_pb2.Status(code=trace_pb2.Status.STATUS_CODE_OK),
    )


def _trace(rng: random.Random, index: int, now_ns: int) -> list[trace_pb2.Span]:
    trace_id = SENTINEL + index.to_bytes(8, "big")
    ids = [rng.randbytes(8) for _ in range(SPANS_PER_TRACE)]
    start = now_ns - rng.randrange(60_000) * MS
    question = " ".join(
        rng.choice(["refund", "order", "shipping", "invoice", "account", "late"]) for _ in range(30)
    )
    session = {
        semconv.SESSION_ID: f"s-{rng.randrange(500)}",
        semconv.USER_ID: f"u-{rng.randrange(200)}",
    }
    model = rng.choice(MODELS)
    messages = json.dumps(
        [
            {"role": "system", "content": "You are a support bot."},
            {"role": "user", "content": question},
        ]
    )

    def llm(tokens_in: int, tokens_out: int) -> dict[str, Any]:
        return {
            semconv.CHAINSIGHT_SPAN_KIND: "llm",
            semconv.GEN_AI_OPERATION_NAME: "chat",
            semconv.GEN_AI_PROVIDER_NAME: "openai",
            semconv.GEN_AI_REQUEST_MODEL: model,
            semconv.GEN_AI_RESPONSE_MODEL: model,
            semconv.GEN_AI_USAGE_INPUT_TOKENS: tokens_in,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: tokens_out,
            semconv.INPUT_VALUE: messages,
            semconv.OUTPUT_VALUE: "Your refund was processed on Monday; it takes 5 days. " * 4,
            semconv.GEN_AI_REQUEST_TEMPERATURE: 0.2,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
            **session,
        }

    root = _span(
        trace_id=trace_id,
        span_id=ids[0],
        parent=b"",
        name="support-handler",
        start=start,
        dur_ms=2400,
        attrs={
            semconv.CHAINSIGHT_SPAN_KIND: "chain",
            semconv.INPUT_VALUE: question,
            semconv.TAG_TAGS: ["prod", "v2"],
            **session,
        },
    )
    kids = [
        ("retrieve docs", "retriever", 120, {semconv.INPUT_VALUE: question}),
        ("embed query", "embedding", 40, {}),
        (f"chat {model}", None, 900, llm(1800, 120)),
        ("lookup_order", "tool", 60, {semconv.INPUT_VALUE: '{"order_id": 1234}'}),
        (f"chat {model}", None, 1100, llm(2300, 260)),
        ("rerank", "reranker", 30, {}),
        ("moderation", "guardrail", 20, {}),
    ]
    spans = [root]
    offset = 1
    for i, (name, kind, dur, extra) in enumerate(kids, start=1):
        attrs = extra if kind is None else {semconv.CHAINSIGHT_SPAN_KIND: kind, **extra, **session}
        spans.append(
            _span(
                trace_id=trace_id,
                span_id=ids[i],
                parent=ids[0],
                name=name,
                start=start + offset * MS,
                dur_ms=dur,
                attrs=attrs,
            )
        )
        offset += int(dur) + 1
    return spans


def build_body(seed: int, now: int | None = None) -> bytes:
    """One 512-span request whose trace ids all start with SENTINEL; its traces end near ``now``
    (Unix ns, default the present)."""
    rng = random.Random(seed)
    now = time.time_ns() if now is None else now
    spans = [s for i in range(TRACES_PER_REQUEST) for s in _trace(rng, i, now)]
    resource = resource_pb2.Resource(
        attributes=[
            _kv(semconv.SERVICE_NAME, "support-bot"),
            _kv(semconv.CHAINSIGHT_PROJECT, "bench"),
        ]
    )
    request = trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=resource,
                scope_spans=[
                    trace_pb2.ScopeSpans(
                        scope=common_pb2.InstrumentationScope(name="bench"), spans=spans
                    )
                ],
            )
        ]
    )
    body = request.SerializeToString()
    if body.count(SENTINEL) != TRACES_PER_REQUEST * SPANS_PER_TRACE:
        raise RuntimeError("sentinel collides with other bytes; change the seed")
    return body


class Timeline:
    """Request bodies whose spans are as old as a live app's: one body per second of the run.

    Real traffic at tens of thousands of spans per second spreads over time, so each group
    commit's spans cover a narrow, advancing time range (which the writer's duplicate probe
    and the row-group zonemaps rely on). One body for the whole run would give every
    request the same timestamps. ``body()`` is the body for the current second; past the
    last one, the last one.
    """

    def __init__(self, seconds: float, seed: int = 7) -> None:
        base = time.time_ns()
        self.bodies = [build_body(seed, base + k * 1_000_000_000) for k in range(int(seconds) + 2)]
        self.t0 = time.monotonic()

    def body(self) -> bytes:
        return self.bodies[min(int(time.monotonic() - self.t0), len(self.bodies) - 1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("collector exited during startup")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("collector did not start")


def get_json(port: int, path: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    return json.loads(conn.getresponse().read())


class Client(threading.Thread):
    """Posts requests until the deadline; records latency and acked spans."""

    def __init__(self, port: int, bodies: Timeline, deadline: float, worker: int) -> None:
        super().__init__(daemon=True)
        self.port, self.bodies, self.deadline, self.worker = port, bodies, deadline, worker
        self.latencies: list[float] = []
        self.acked_spans = 0
        self.refused = 0
        self.errors = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"content-type": "application/x-protobuf"}
        n = 0
        while time.monotonic() < self.deadline:
            n += 1
            request_id = (self.worker << 40 | n).to_bytes(8, "big")
            body = self.bodies.body().replace(SENTINEL, request_id)
            started = time.perf_counter()
            try:
                conn.request("POST", "/v1/traces", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                self.errors += 1
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            if response.status == 200:
                self.latencies.append(time.perf_counter() - started)
                self.acked_spans += TRACES_PER_REQUEST * SPANS_PER_TRACE
            elif response.status == 503:
                self.refused += 1
                time.sleep(0.05)
            else:
                self.errors += 1


def commit_totals(port: int) -> tuple[float, float]:
    """(group commits so far, seconds spent in them) from the collector's /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/metrics")
    values = {}
    for line in conn.getresponse().read().decode().splitlines():
        name, _, value = line.partition(" ")
        if name in ("chainsight_commit_seconds_count", "chainsight_commit_seconds_sum"):
            values[name] = float(value)
    return values["chainsight_commit_seconds_count"], values["chainsight_commit_seconds_sum"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``: the decode workers (and multiprocessing's resource tracker)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of ``pid`` and of each of its live children, by pid."""
    return {p: cpu_seconds(p) for p in [pid, *child_pids(pid)]}


def in_process(rounds: int, requests: int, group: int, arrow: bool = False) -> int:
    """Decode + write without HTTP: CPU µs per span of each stage, in this process.

    The collector's two stages on the same bodies: ``decode_traces`` per request, then
    ``Store.write_spans`` per group of ``group`` requests (one group commit) into a fresh
    DuckDB file per round. CPU time (``time.process_time``: every thread, DuckDB's
    included) is steadier than wall time on a shared machine; the median round is printed.

    With ``arrow`` (``--arrow``), the decode stage is what a decode worker process does
    (``decode_traces``, then the Arrow table, its per-trace rollup and their IPC streams)
    and the write stage is what stays in the collector: opening the IPC replies and
    ``write_spans`` of their concatenation.
    """
    from chainsight.collector.otlp import decode_traces
    from chainsight.collector.pricing import PriceBook, load_default_prices
    from chainsight.storage import open_store
    from chainsight.storage.model import SpanTable

    # One request per 10 ms of span time, as a 50k spans/s app would send them (see Timeline).
    base = time.time_ns()
    timeline = [build_body(7, base + k * 10_000_000) for k in range(requests + 1)]
    body = timeline[0]
    book = PriceBook(load_default_prices())
    spans = requests * TRACES_PER_REQUEST * SPANS_PER_TRACE
    decode_us: list[float] = []
    write_us: list[float] = []
    serial = 0
    with tempfile.TemporaryDirectory(prefix="cs-bench-") as tmp:
        for r in range(rounds):
            store = open_store(f"duckdb:///{tmp}/round{r}.duckdb")
            try:
                # Warm-up write: pyarrow and DuckDB pay one-time costs on their first batch.
                serial += 1
                warm = body.replace(SENTINEL, serial.to_bytes(8, "big"))
                store.write_spans(
                    decode_traces(warm, "protobuf", project=None, pricebook=book).records
                )
                bodies = []
                for k in range(requests):
                    serial += 1
                    bodies.append(timeline[k + 1].replace(SENTINEL, serial.to_bytes(8, "big")))
                t0 = time.process_time()
                decoded = [
                    decode_traces(b, "protobuf", project=None, pricebook=book).records
                    for b in bodies
                ]
                if arrow:
                    replies = [SpanTable.from_columns(d).to_ipc() for d in decoded]
                t1 = time.process_time()
                if arrow:
                    decoded = [SpanTable.from_ipc(*reply) for reply in replies]
                for i in range(0, requests, group):
                    store.write_spans(_join(decoded[i : i + group]))
                t2 = time.process_time()
            finally:
                store.close()
            decode_us.append((t1 - t0) / spans * 1e6)
            write_us.append((t2 - t1) / spans * 1e6)
    result = {
        "arrow": arrow,
        "rounds": rounds,
        "spans_per_round": spans,
        "spans_per_commit": group * TRACES_PER_REQUEST * SPANS_PER_TRACE,
        "decode_cpu_us_per_span": round(statistics.median(decode_us), 1),
        "write_cpu_us_per_span": round(statistics.median(write_us), 1),
        "total_cpu_us_per_span": round(
            statistics.median(d + w for d, w in zip(decode_us, write_us, strict=True)), 1
        ),
    }
    print(json.dumps(result, indent=2))
    return 0


def _join(parts: list[Any]) -> Any:
    """One group commit's spans, joined the way the collector's write queue joins them."""
    try:
        from chainsight.collector.batching import _concat  # the write queue's own join
    except ImportError:  # a tree from before the column-wise queue: a plain list
        return [r for part in parts for r in part]
    return _concat(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--serve-arg", action="append", default=[], help="extra `serve` flag (repeatable)"
    )
    parser.add_argument(
        "--decode-workers",
        type=int,
        default=None,
        help="`serve --decode-workers N`: decode in N worker processes (0 = in a thread)",
    )
    parser.add_argument(
        "--start-from",
        type=Path,
        default=None,
        help="a DuckDB file copied in as the collector's store before it starts (e.g. "
        "bench_queries.py's 10M-span file), to measure ingest into a full store",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="no server: CPU per span of decode and of write_spans (see in_process)",
    )
    parser.add_argument(
        "--arrow",
        action="store_true",
        help="with --in-process: the decode workers' split (decode + Arrow | IPC + write)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="with --in-process")
    parser.add_argument("--requests", type=int, default=40, help="with --in-process")
    parser.add_argument("--group", type=int, default=8, help="requests per commit, --in-process")
    args = parser.parse_args()
    if args.in_process:
        return in_process(args.rounds, args.requests, args.group, args.arrow)

    with tempfile.TemporaryDirectory(prefix="cs-bench-") as tmp:
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "chainsight",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        cmd += ["--data-dir", str(Path(tmp) / "data"), "--log-level", "warning", *args.serve_arg]
        if args.start_from is not None:
            (Path(tmp) / "data").mkdir()
            shutil.copyfile(args.start_from, Path(tmp) / "data" / "chainsight.duckdb")
        if args.decode_workers is not None:
            cmd += ["--decode-workers", str(args.decode_workers)]
        proc = subprocess.Popen(cmd)
        try:
            wait_ready(port, proc)
            initial = get_json(port, "/api/v1/status")["spans"]  # > 0 with --start-from
            bodies = Timeline(args.warmup + args.seconds + 5)
            body = bodies.bodies[0]
            warm = [
                Client(port, bodies, time.monotonic() + args.warmup, 1000 + i)
                for i in range(args.clients)
            ]
            for c in warm:
                c.start()
            for c in warm:
                c.join()
            warm_spans = sum(c.acked_spans for c in warm)
            commits0, commit_s0 = commit_totals(port)
            cpu0 = tree_cpu(proc.pid)
            load0 = os.getloadavg()[0]
            client_cpu0 = time.process_time()
            t0 = time.monotonic()
            clients = [Client(port, bodies, t0 + args.seconds, i) for i in range(args.clients)]
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            elapsed = time.monotonic() - t0
            cpu1 = tree_cpu(proc.pid)
            load1 = os.getloadavg()[0]
            # Workers that died or were replaced mid-run are not counted (there are none
            # unless one crashed; the pool logs it).
            main_cpu = cpu1[proc.pid] - cpu0[proc.pid]
            cpu = main_cpu + sum(cpu1[p] - cpu0[p] for p in cpu1 if p != proc.pid and p in cpu0)
            client_cpu = time.process_time() - client_cpu0
            acked = sum(c.acked_spans for c in clients)
            latencies = sorted(x for c in clients for x in c.latencies)
            commits1, commit_s1 = commit_totals(port)
            commits = max(commits1 - commits0, 1)
            stored = get_json(port, "/api/v1/status")["spans"]
            expected = initial + acked + warm_spans
            result = {
                "clients": args.clients,
                "seconds": round(elapsed, 1),
                "spans_per_request": TRACES_PER_REQUEST * SPANS_PER_TRACE,
                "request_bytes": len(body),
                "acked_spans": acked,
                "spans_per_s": round(acked / elapsed),
                "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1)
                if latencies
                else None,
                "spans_per_commit": round(acked / commits),
                "commit_ms_mean": round((commit_s1 - commit_s0) / commits * 1000, 1),
                "responses_503": sum(c.refused for c in clients),
                "errors": sum(c.errors for c in clients),
                "decode_workers": args.decode_workers,
                "server_cpu_cores": round(cpu / elapsed, 2),
                "server_cpu_us_per_span": round(cpu / max(acked, 1) * 1e6, 1),
                "collector_process_cpu_us_per_span": round(main_cpu / max(acked, 1) * 1e6, 1),
                "load_average_1m": [round(load0, 2), round(load1, 2)],
                "client_cpu_cores": round(client_cpu / elapsed, 2),
                "stored_spans": stored,
                "all_acked_stored": stored == expected,
            }
            print(json.dumps(result, indent=2))
            return 0 if stored == expected else 1
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


if __name__ == "__main__":
    sys.exit(main())
