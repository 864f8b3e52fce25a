"""`kill -9` during ingest: after a restart on the same data dir, every span that was
acknowledged with a 200 is queryable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest import CollectorProcess, wait_until
from decode_modes import WITH_WORKERS
from otlp_payloads import PROTOBUF, new_trace_id, request, span

SPANS_PER_REQUEST = 64


@WITH_WORKERS
def test_every_acknowledged_span_survives_kill_9(
    collector_process_factory: Callable[..., CollectorProcess], tmp_path: Path, decode_workers: int
) -> None:
    """Concurrent clients post until the collector is SIGKILLed mid-ingest; all acked
    traces are complete after restart (decoding in a thread or in worker processes)."""
    data_dir = tmp_path / "data"
    process = collector_process_factory(data_dir, "--decode-workers", str(decode_workers))
    acked: list[bytes] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=10) as http:
            while not stop.is_set():
                trace_id = new_trace_id()
                body = request(
                    [span(trace_id=trace_id, name=f"s{i}") for i in range(SPANS_PER_REQUEST)]
                )
                try:
                    response = http.post(
                        f"{process.base_url}/v1/traces",
                        content=body.SerializeToString(),
                        headers={"content-type": PROTOBUF},
                    )
                except httpx.HTTPError:
                    continue  # the collector died mid-request: not acknowledged
                if response.status_code == 200:
                    with lock:
                        acked.append(trace_id)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    wait_until(lambda: len(acked) >= 40, timeout=60)
    process.kill()
    stop.set()
    for t in threads:
        t.join(30)
    with lock:
        acknowledged = list(acked)

    restarted = collector_process_factory(data_dir)
    with httpx.Client(base_url=restarted.base_url, timeout=10) as http:
        missing = []
        for trace_id in acknowledged:
            response = http.get(f"/api/v1/traces/{trace_id.hex()}")
            if response.status_code != 200 or len(response.json()["spans"]) != SPANS_PER_REQUEST:
                missing.append(trace_id.hex())
    assert missing == []
