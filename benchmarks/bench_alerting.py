"""Alerting benchmarks: breach-to-delivery latency through a real collector, and the cost of
one evaluation of 100 rules over a 1M-span DuckDB store.

    .venv/bin/python -m benchmarks.bench_alerting --dir /tmp/cs-bench-alerts \
        --spans 1000000 --rules 100 --interval 1 --breaches 10

Latency: a collector (uvicorn, loopback) evaluates every ``--interval`` seconds a rule
``ttft > 5s`` grouped by model, ``for: 0s``; each breach is one slow span of a new model
sent over OTLP/JSON; the time is from just before the POST (whose 200 means committed) to
the webhook receiver's arrival. Expected: about interval/2 on average, at most interval +
delivery. Evaluation cost: the evaluator over a store holding ``--spans`` synthetic spans
(7 days), 100 rules mixing metrics, aggregations, filters and group-bys; median of 5.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from chainsight import semconv
from chainsight.collector.alerting.evaluator import Evaluator
from chainsight.storage import open_store
from chainsight.storage.model import AlertRuleRow

from .synthetic_spans import MODELS, SERVICES, span_batches

END_NS = 1_767_225_600 * 1_000_000_000  # 2026-01-01T00:00:00Z, the synthetic data's end


def _rules(count: int) -> list[dict[str, Any]]:
    """``count`` varied rules over the synthetic data's metrics, filters and groupings."""
    shapes: list[dict[str, Any]] = [
        {"metric": "ttft", "aggregation": "p95", "threshold": "2s"},
        {"metric": "tpot", "aggregation": "p99", "threshold": "80ms"},
        {"metric": "latency", "aggregation": "p95", "threshold": "10s"},
        {"metric": "error_rate", "threshold": "5%"},
        {"metric": "cost", "threshold": "$5"},
        {"metric": "tokens", "aggregation": "rate", "threshold": 1000},
        {"metric": "requests", "threshold": 100},
        {"metric": "tokens_per_s", "threshold": 20, "op": "<"},
    ]
    out = []
    for i in range(count):
        rule = {"name": f"bench-{i:03d}", "window": "5m", "for": "1m", "channels": []}
        rule.update(shapes[i % len(shapes)])
        if i % 3 == 1:
            rule["group_by"] = ["model"]
        if i % 4 == 2:
            rule["filters"] = {"service": SERVICES[i % len(SERVICES)]}
        if i % 5 == 3:
            rule["filters"] = {"model": MODELS[i % len(MODELS)][1], "span_kind": "llm"}
        out.append(rule)
    return out


def evaluation_cost(directory: Path, spans: int, rule_count: int) -> dict[str, Any]:
    path = directory / f"alerts-{spans}.duckdb"
    if not path.exists():
        store = open_store(f"duckdb:///{path}")
        for batch in span_batches(spans, 20_000, seed=3, end_ns=END_NS, days=7.0):
            store.write_spans(batch)
        store.close()
    store = open_store(f"duckdb:///{path}")
    try:
        for row in store.alerts.list_rules():
            store.alerts.delete_rule(row.name)
        now = datetime.fromtimestamp(END_NS / 1e9, UTC)
        for spec in _rules(rule_count):
            store.alerts.put_rule(AlertRuleRow(name=spec["name"], spec=spec, updated_at=now))
        evaluator = Evaluator(store, interval=0, timeout=120)
        evaluator.start()
        try:
            timings = []
            for k in range(5):
                t0 = time.perf_counter()
                results = evaluator.evaluate(now - timedelta(hours=k))
                timings.append(time.perf_counter() - t0)
            errors = [r.error for r in results if r.error]
        finally:
            evaluator.stop()
        median = statistics.median(timings)
        return {
            "spans": store.stats()["spans"],
            "rules": len(results),
            "instances": sum(len(r.instances) for r in results),
            "evaluation_ms_median": round(median * 1000, 1),
            "evaluation_ms_max": round(max(timings) * 1000, 1),
            "per_rule_ms": round(median * 1000 / max(1, len(results)), 2),
            "errors": errors,
        }
    finally:
        store.close()


class _Receiver:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        self.cond = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                arrived = time.perf_counter()
                with owner.cond:
                    owner.arrivals.append((arrived, json.loads(body)))
                    owner.cond.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_model(self, model: str, timeout: float) -> float:
        def seen() -> float | None:
            for arrived, body in self.arrivals:
                if any(a["labels"].get("model") == model for a in body["alerts"]):
                    return arrived
            return None

        with self.cond:
            if not self.cond.wait_for(lambda: seen() is not None, timeout):
                raise TimeoutError(f"no notification for {model}")
            value = seen()
            assert value is not None
            return value


def _span(model: str) -> dict[str, Any]:
    now = time.time_ns() - 1_000_000_000
    attrs = [
        {"key": semconv.CHAINSIGHT_SPAN_KIND, "value": {"stringValue": "llm"}},
        {"key": semconv.GEN_AI_REQUEST_MODEL, "value": {"stringValue": model}},
        {"key": semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, "value": {"doubleValue": 9.0}},
    ]
    return {
        "traceId": os.urandom(16).hex(),
        "spanId": os.urandom(8).hex(),
        "name": "chat",
        "kind": 3,
        "startTimeUnixNano": str(now - 900_000_000),
        "endTimeUnixNano": str(now),
        "attributes": attrs,
        "status": {"code": 1},
    }


def breach_latency(directory: Path, interval: float, breaches: int) -> dict[str, Any]:
    import uvicorn

    from chainsight.collector.app import create_app
    from chainsight.collector.settings import Settings

    receiver = _Receiver()
    port = receiver.server.server_address[1]
    rules = directory / "latency-rules.yaml"
    rule = {
        "name": "bench-ttft",
        "metric": "ttft",
        "threshold": "5s",
        "window": "1m",
        "group_by": ["model"],
        "channels": ["hook"],
    }
    hook = {
        "name": "hook",
        "type": "webhook",
        "url": f"http://127.0.0.1:{port}/",
        "allow_private": True,
    }
    rules.write_text(yaml.safe_dump({"rules": [rule], "channels": [hook]}), encoding="utf-8")
    data = directory / "latency-data"
    settings = Settings(
        data_dir=data, port=0, alert_rules=rules, alert_interval=interval, log_level="warning"
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("collector did not start")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    latencies = []
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for i in range(breaches):
                model = f"model-{os.getpid()}-{time.time_ns()}-{i}"
                resource = {
                    "attributes": [{"key": semconv.SERVICE_NAME, "value": {"stringValue": "bench"}}]
                }
                body = {
                    "resourceSpans": [
                        {"resource": resource, "scopeSpans": [{"spans": [_span(model)]}]}
                    ]
                }
                t0 = time.perf_counter()
                client.post(
                    "/v1/traces",
                    content=json.dumps(body),
                    headers={"content-type": "application/json"},
                ).raise_for_status()
                arrived = receiver.wait_model(model, interval + 30)
                latencies.append(arrived - t0)
                time.sleep((i % 4) * interval / 4)  # land breaches at different loop phases
    finally:
        server.should_exit = True
        thread.join(30)
        receiver.server.shutdown()
    return {
        "interval_s": interval,
        "breaches": len(latencies),
        "latency_s_median": round(statistics.median(latencies), 3),
        "latency_s_max": round(max(latencies), 3),
        "target_s": interval + 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--breaches", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    args.dir.mkdir(parents=True, exist_ok=True)
    print(
        json.dumps({"breach_to_delivery": breach_latency(args.dir, args.interval, args.breaches)})
    )
    print(json.dumps({"evaluation": evaluation_cost(args.dir, args.spans, args.rules)}))


if __name__ == "__main__":
    main()
