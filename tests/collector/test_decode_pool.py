"""Decode worker processes (``decode_workers``): prices follow API edits, a killed worker
costs a retry and no acknowledged span, the workers stop with the collector, and the
stored rows equal those of the in-thread decoder."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CollectorProcess, OtelPipeline, RunningCollector, wait_until
from decode_modes import child_pids
from otlp_payloads import PROTOBUF, llm_attributes, new_span_id, new_trace_id, request, span


def _post(collector: RunningCollector, body: bytes) -> httpx.Response:
    with collector.client() as client:
        return client.post("/v1/traces", content=body, headers={"content-type": PROTOBUF})


def _llm_span(model: str) -> Any:
    return span(
        name=f"chat {model}",
        attributes=llm_attributes(model=model, input_tokens=1_000_000, output_tokens=1_000_000),
    )


def _cost(collector: RunningCollector, trace_id: bytes) -> Any:
    with collector.client() as client:
        return client.get(f"/api/v1/traces/{trace_id.hex()}").json()["spans"][0]["cost"]


def _price(price_id: str, model: str, input_price: float, output_price: float) -> dict[str, Any]:
    return {
        "id": price_id,
        "provider": "openai",
        "model_pattern": model,
        "effective_from": datetime(2020, 1, 1, tzinfo=UTC).isoformat(),
        "input": input_price,
        "output": output_price,
    }


def test_a_price_changed_through_the_api_is_used_by_the_workers(
    collector_factory: Callable[..., RunningCollector],
) -> None:
    """Workers that priced with the old table price the next request with the new one."""
    collector = collector_factory(decode_workers=2)
    with collector.client() as client:
        assert client.put("/api/v1/pricing/pool", json=_price("pool", "pool-1", 1, 2)).is_success
    before = [_llm_span("pool-1") for _ in range(4)]  # several requests: both workers price
    for s in before:
        assert _post(collector, request([s]).SerializeToString()).status_code == 200
    assert {_cost(collector, s.trace_id) for s in before} == {3.0}
    with collector.client() as client:
        assert client.put("/api/v1/pricing/pool", json=_price("pool", "pool-1", 5, 7)).is_success
    after = [_llm_span("pool-1") for _ in range(4)]
    for s in after:
        assert _post(collector, request([s]).SerializeToString()).status_code == 200
    assert {_cost(collector, s.trace_id) for s in after} == {12.0}


def test_pool_and_thread_store_the_same_rows(
    collector_factory: Callable[..., RunningCollector],
) -> None:
    """Duplicates, children before parents, orphans and LLM spans split over several
    requests give the same spans and trace rows with either decoder."""
    trace_a, trace_b = new_trace_id(), new_trace_id()
    root, child, orphan_parent = new_span_id(), new_span_id(), new_span_id()
    t0 = 1_760_000_000_000_000_000
    spans = [
        span(trace_id=trace_a, span_id=child, parent_span_id=root, name="child", start_ns=t0 + 5),
        span(trace_id=trace_b, parent_span_id=orphan_parent, name="orphan", start_ns=t0 + 7),
        span(
            trace_id=trace_b,
            name="llm",
            start_ns=t0 + 7,
            attributes=llm_attributes(model="gpt-4o-mini"),
        ),
    ]
    first = request(spans).SerializeToString()
    second = request(
        [span(trace_id=trace_a, span_id=root, name="root", start_ns=t0), spans[0]]
    ).SerializeToString()
    rows = []
    for workers in (0, 2):
        collector = collector_factory(decode_workers=workers)
        for body in (first, first, second):  # the first again: a retry (duplicates)
            assert _post(collector, body).status_code == 200
        with collector.client() as client:
            traces = client.get("/api/v1/traces", params={"project": "test"}).json()["items"]
            trees = [client.get(f"/api/v1/traces/{t.hex()}").json() for t in (trace_a, trace_b)]
        rows.append((sorted(traces, key=lambda t: t["trace_id"]), trees))
    assert rows[0] == rows[1]
    traces, trees = rows[1]
    assert [s["name"] for s in trees[0]["spans"]] == ["root", "child"]
    assert [t["has_orphans"] for t in traces if t["trace_id"] == trace_b.hex()] == [True]


def test_a_killed_worker_loses_no_acknowledged_span(
    collector_factory: Callable[..., RunningCollector],
    pipeline_factory: Callable[..., OtelPipeline],
) -> None:
    """SIGKILL of a worker during ingest from the real OTel exporter: the requests it held
    get 503 and are retried, every exported span is stored, and the pool is rebuilt."""
    collector = collector_factory(decode_workers=2)
    pool = collector.app.state.decode_pool
    pipeline = pipeline_factory(collector.otlp_url)
    wait_until(lambda: len(pool.pids()) == 2)
    victim = pool.pids()[0]
    names: list[str] = []
    for batch in range(10):
        for i in range(500):
            name = f"b{batch}-s{i}"
            with pipeline.tracer.start_as_current_span(name):
                names.append(name)
        if batch == 5:
            os.kill(victim, signal.SIGKILL)  # while the exporter sends this batch
        pipeline.flush()  # a batch fits the SDK's queue even while the exporter retries
    wait_until(lambda: pool.restarts >= 1)
    assert victim not in pool.pids()
    with collector.client() as client:
        stored = client.get("/api/v1/status").json()
        exposition = client.get("/metrics").text
    assert stored["spans"] == len(names)
    assert "chainsight_decode_workers 2" in exposition.splitlines()
    restarts = [
        line
        for line in exposition.splitlines()
        if line.startswith("chainsight_decode_worker_restarts_total ")
    ]
    assert len(restarts) == 1 and float(restarts[0].split()[1]) >= 1
    # Later requests are decoded by the rebuilt pool.
    assert _post(collector, request([span(name="after")]).SerializeToString()).status_code == 200


def test_a_request_held_by_a_dying_worker_gets_503_with_retry_after(
    collector_factory: Callable[..., RunningCollector],
) -> None:
    """Killing the workers while they decode a request answers it 503 + Retry-After."""
    collector = collector_factory(decode_workers=1)
    pool = collector.app.state.decode_pool
    before = request([span(name="before")]).SerializeToString()
    assert _post(collector, before).status_code == 200  # the worker is up and idle
    assert not pool.busy()
    big = request(
        [span(attributes={f"a{j}": "x" * 50 for j in range(50)}) for _ in range(20_000)]
    ).SerializeToString()
    replies: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: replies.append(_post(collector, big)))
    sender.start()
    wait_until(pool.busy, interval=0.005)
    for pid in pool.pids():
        os.kill(pid, signal.SIGKILL)
    sender.join(60)
    assert [r.status_code for r in replies] == [503]
    assert replies[0].headers["retry-after"] == "1"
    after = request([span(name="after")]).SerializeToString()
    assert _post(collector, after).status_code == 200  # the pool was rebuilt


def _gone(pids: list[int]) -> bool:
    return not any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_workers_exit_with_the_collector(
    collector_process_factory: Callable[..., CollectorProcess], tmp_path: Path, how: str
) -> None:
    """No decode worker outlives the collector, after SIGTERM or ``kill -9``."""
    process = collector_process_factory(tmp_path / "data", "--decode-workers", "2")
    assert _post_to(process).status_code == 200
    children = wait_until(lambda: (c := child_pids(process.proc.pid)) and len(c) >= 2 and c)
    if how == "sigterm":
        process.stop()
    else:
        process.kill()
    wait_until(lambda: _gone(children), timeout=10)


def _post_to(process: CollectorProcess) -> httpx.Response:
    body = request([span(name="x")]).SerializeToString()
    return httpx.post(
        f"{process.base_url}/v1/traces", content=body, headers={"content-type": PROTOBUF}
    )


def test_decode_workers_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHAINSIGHT_DECODE_WORKERS sets the pool size; a negative count is refused."""
    from pydantic import ValidationError

    from chainsight.collector.settings import Settings

    monkeypatch.delenv("CHAINSIGHT_DECODE_WORKERS", raising=False)
    assert Settings().decode_workers == 0
    monkeypatch.setenv("CHAINSIGHT_DECODE_WORKERS", "3")
    assert Settings().decode_workers == 3
    with pytest.raises(ValidationError):
        Settings(decode_workers=-1)
