"""Shared fixtures: the real collector under uvicorn on a free loopback port, over a real
DuckDB file in ``tmp_path``, and the real OTel SDK + OTLP exporter pointed at it.

- ``collector``: one running collector per test (default settings, open mode).
- ``collector_factory(store=None, **settings)``: start collectors with custom settings
  (tiny queues, retention, a wrapped store); all are stopped at teardown.
- ``CollectorProcess``: the collector as a subprocess (``python -m chainsight serve``),
  for ``kill -9`` and memory measurements.
- ``otel_pipeline(collector)``: a ``TracerProvider`` exporting to it with the real
  ``OTLPSpanExporter``; ``flush()`` returns only after the collector answered.
- ``wait_until(predicate)``: the deadline poll for the few asynchronous cases.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

DEADLINE_S = 20.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], Any], timeout: float = DEADLINE_S, interval: float = 0.02
) -> Any:
    """Poll ``predicate`` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class RunningCollector:
    """A collector served by uvicorn in a thread of the test process."""

    base_url: str
    settings: Any  # chainsight.collector.settings.Settings
    app: Any  # FastAPI
    server: Any  # uvicorn.Server
    thread: threading.Thread

    @property
    def state(self) -> Any:
        """The app's CollectorState (store, queue, auth, counters)."""
        return self.app.state.collector

    @property
    def otlp_url(self) -> str:
        return f"{self.base_url}/v1/traces"

    def client(self, api_key: str | None = None) -> httpx.Client:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=DEADLINE_S)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(DEADLINE_S)
        if self.thread.is_alive():
            raise RuntimeError("collector thread did not stop within the deadline")


@contextmanager
def run_collector(
    data_dir: Path, store: Any = None, **overrides: Any
) -> Iterator[RunningCollector]:
    """Start a collector on a free loopback port; stop it (draining the writer) on exit."""
    import uvicorn

    from chainsight.collector.app import create_app
    from chainsight.collector.settings import Settings

    port = free_port()
    settings = Settings(**{"host": "127.0.0.1", "port": port, "data_dir": data_dir, **overrides})
    app = create_app(settings, store=store)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    exits: list[SystemExit] = []

    def serve() -> None:
        try:
            server.run()
        except SystemExit as exc:  # uvicorn calls sys.exit(3) when the lifespan fails
            exits.append(exc)

    thread = threading.Thread(target=serve, name=f"collector-{port}", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive())
        if not server.started:
            raise RuntimeError(f"collector failed to start (exit {exits}; see the log above)")
        running = RunningCollector(f"http://127.0.0.1:{port}", settings, app, server, thread)
        yield running
    finally:
        server.should_exit = True
        thread.join(DEADLINE_S)


@pytest.fixture
def collector_factory(tmp_path: Path) -> Iterator[Callable[..., RunningCollector]]:
    """Start collectors with custom settings (and optionally a given store)."""
    stack: list[Any] = []

    def start(
        store: Any = None, data_dir: Path | None = None, **overrides: Any
    ) -> RunningCollector:
        manager = run_collector(
            data_dir or tmp_path / f"data{len(stack)}", store=store, **overrides
        )
        running = manager.__enter__()
        stack.append(manager)
        return running

    yield start
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def collector(collector_factory: Callable[..., RunningCollector]) -> RunningCollector:
    """A running collector with default settings over a fresh DuckDB file."""
    return collector_factory()


@dataclass
class OtelPipeline:
    """A real TracerProvider exporting with the real OTLP/HTTP exporter."""

    provider: Any
    tracer: Any

    def flush(self) -> None:
        if not self.provider.force_flush(int(DEADLINE_S * 1000)):
            raise TimeoutError("the exporter did not flush within the deadline")

    def shutdown(self) -> None:
        self.provider.shutdown()


def otel_pipeline(
    endpoint: str,
    *,
    api_key: str | None = None,
    project: str | None = "test",
    service: str = "test-service",
    compression: str = "none",
) -> OtelPipeline:
    """TracerProvider → BatchSpanProcessor → OTLPSpanExporter(endpoint), with the project."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from chainsight import semconv

    attributes: dict[str, str] = {semconv.SERVICE_NAME: service}
    if project is not None:
        attributes[semconv.CHAINSIGHT_PROJECT] = project
    headers = {"authorization": f"Bearer {api_key}"} if api_key else None
    exporter = OTLPSpanExporter(
        endpoint=endpoint, headers=headers, compression=Compression(compression), timeout=DEADLINE_S
    )
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return OtelPipeline(provider, provider.get_tracer("chainsight.tests"))


@pytest.fixture
def pipeline_factory() -> Iterator[Callable[..., OtelPipeline]]:
    """Build OTel pipelines (shut down at teardown)."""
    made: list[OtelPipeline] = []

    def make(endpoint: str, **kwargs: Any) -> OtelPipeline:
        made.append(otel_pipeline(endpoint, **kwargs))
        return made[-1]

    yield make
    for pipeline in made:
        pipeline.shutdown()


class CollectorProcess:
    """``python -m chainsight serve`` as a child process on a free loopback port."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "chainsight", "serve", "--host", "127.0.0.1"]
        args += [
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--log-level",
            "warning",
            *extra,
        ]
        self.log_path = data_dir.parent / f"collector-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            wait_until(self._ready, timeout=60)
        except TimeoutError:
            self.kill()
            raise RuntimeError(
                f"collector process did not start: {self.log_path.read_text()}"
            ) from None

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"collector exited: {self.log_path.read_text()}")
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def peak_rss_bytes(self) -> int:
        """The process's resident-set high-water mark (VmHWM, Linux)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmHWM not found")

    def kill(self) -> None:
        """``kill -9``: no shutdown hook runs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(DEADLINE_S)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(DEADLINE_S)
        self._log.close()


@pytest.fixture
def collector_process_factory(tmp_path: Path) -> Iterator[Callable[..., CollectorProcess]]:
    """Start collector subprocesses; all are stopped at teardown."""
    started: list[CollectorProcess] = []

    def start(data_dir: Path | None = None, *extra: str, **kwargs: Any) -> CollectorProcess:
        started.append(CollectorProcess(data_dir or tmp_path / "data", *extra, **kwargs))
        return started[-1]

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.stop()
