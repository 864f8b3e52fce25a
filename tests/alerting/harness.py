"""Test parts for alerting: OTLP/JSON spans with chosen times and TTFT, loopback webhook
receivers (http.server in a thread, bounded and self-stopping), and an evaluate-now call."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from chainsight import semconv

BASE = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
"""A fixed clock origin: spans are written at BASE + offsets and rules evaluated there."""


def at(minutes: float) -> datetime:
    return BASE + timedelta(minutes=minutes)


def _ns(value: datetime) -> int:
    return int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1000


def llm_span(
    start: datetime,
    *,
    ttft_s: float = 0.5,
    duration_s: float = 2.0,
    model: str = "gpt-4o",
    error: bool = False,
) -> dict[str, Any]:
    """One OTLP/JSON span of an LLM call starting at ``start``."""
    attrs = {
        semconv.CHAINSIGHT_SPAN_KIND: "llm",
        semconv.GEN_AI_OPERATION_NAME: "chat",
        semconv.GEN_AI_REQUEST_MODEL: model,
        semconv.GEN_AI_USAGE_INPUT_TOKENS: 10,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 50,
        semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: ttft_s,
    }
    values = [
        {
            "key": k,
            "value": {"doubleValue": v}
            if isinstance(v, float)
            else {"intValue": str(v)}
            if isinstance(v, int)
            else {"stringValue": v},
        }
        for k, v in attrs.items()
    ]
    start_ns = _ns(start)
    return {
        "traceId": os.urandom(16).hex(),
        "spanId": os.urandom(8).hex(),
        "name": "chat",
        "kind": 3,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + int(duration_s * 1e9)),
        "attributes": values,
        "status": {"code": 2 if error else 1},
    }


def send(client: httpx.Client, spans: list[dict[str, Any]], project: str = "test") -> None:
    """POST spans as OTLP/JSON; a 200 means committed (the collector's contract)."""
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": semconv.SERVICE_NAME, "value": {"stringValue": "bot"}},
                        {"key": semconv.CHAINSIGHT_PROJECT, "value": {"stringValue": project}},
                    ]
                },
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": spans}],
            }
        ]
    }
    response = client.post(
        "/v1/traces", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    response.raise_for_status()


def evaluate(client: httpx.Client, now: datetime, rule: str | None = None) -> list[dict[str, Any]]:
    """Run one evaluation at ``now`` through the API (saves state, sends notifications)."""
    params = {"now": now.isoformat()}
    if rule:
        params["rule"] = rule
    response = client.post("/api/v1/alerts/evaluate", params=params)
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()
    return result


def state_of(results: list[dict[str, Any]], rule: str) -> list[str]:
    return [i["state"] for r in results if r["rule"] == rule for i in r["instances"]]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1; ``status`` answers, ``hang`` blocks until released."""

    status: int = 200
    hang: threading.Event | None = None
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if owner.hang is not None:
                    owner.hang.wait(30)
                with owner.arrived:
                    owner.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    owner.arrived.notify_all()
                self.send_response(owner.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} requests within {timeout}s")
            return list(self.requests)

    def stop(self) -> None:
        if self.hang is not None:
            self.hang.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
