"""A real OTLP/HTTP receiver on 127.0.0.1 for the SDK export tests.

``http.server`` in a thread; each request is gunzipped and decoded with opentelemetry-proto.
Replies follow a script (status + headers per request, then 200), and ``hold`` makes every
reply wait for an event (bounded) to play a slow collector. Stops itself at context exit.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

HOLD_LIMIT_S = 30.0
"""A held reply is released after this long even if the test never releases it."""


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    rejected_spans: int = 0


@dataclass
class Received:
    """One request as the receiver saw it."""

    at: float
    status: int
    headers: dict[str, str]
    request: ExportTraceServiceRequest

    @property
    def spans(self) -> list[Span]:
        return [s for rs in self.request.resource_spans for ss in rs.scope_spans for s in ss.spans]


@dataclass
class OtlpReceiver:
    """Loopback OTLP receiver; use as a context manager."""

    script: list[Reply] = field(default_factory=list)
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    arrivals: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with receiver._lock:
                    receiver.arrivals += 1
                receiver.started.set()
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                request = ExportTraceServiceRequest.FromString(raw)
                if receiver.hold is not None:
                    receiver.hold.wait(HOLD_LIMIT_S)
                with receiver._lock:
                    reply = receiver.script.pop(0) if receiver.script else Reply()
                    receiver.received.append(
                        Received(time.monotonic(), reply.status, dict(self.headers), request)
                    )
                body = b""
                if 200 <= reply.status < 300:
                    response = ExportTraceServiceResponse()
                    if reply.rejected_spans:
                        response.partial_success.rejected_spans = reply.rejected_spans
                        response.partial_success.error_message = "refused by test"
                    body = response.SerializeToString()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests read ``received`` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def traces_url(self) -> str:
        return f"{self.endpoint}/v1/traces"

    def accepted(self) -> list[Received]:
        """Requests answered with 2xx."""
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def accepted_spans(self) -> list[Span]:
        return [s for r in self.accepted() for s in r.spans]

    def accepted_resources(self) -> Iterator[ResourceSpans]:
        for r in self.accepted():
            yield from r.request.resource_spans

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(HOLD_LIMIT_S)
