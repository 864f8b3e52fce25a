"""The collector never traces its own requests, even in a process with a global OTel provider.

FastAPI 0.16x traces every route through the global providers; a collector embedded in an app
whose provider exports to it would send a span back to ``/v1/traces`` for every export. The
check runs in a subprocess so this test process's OTel globals stay untouched.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import free_port

SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    import httpx, uvicorn
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from chainsight.collector.app import create_app
    from chainsight.collector.settings import Settings

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    with trace.get_tracer("probe").start_as_current_span("probe"):
        pass  # proves the global provider records spans
    app = create_app(Settings(data_dir=sys.argv[1], port=int(sys.argv[2])))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[2]),
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{sys.argv[2]}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    httpx.get(base + "/api/v1/traces", timeout=10).raise_for_status()
    httpx.post(base + "/v1/traces", content=b"{}", timeout=10,
               headers={"content-type": "application/json"}).raise_for_status()
    server.should_exit = True
    thread.join(30)
    print(sorted(s.name for s in exporter.get_finished_spans()))
    """
)


def test_collector_requests_produce_no_spans_under_a_global_provider(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(free_port())],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "['probe']"
