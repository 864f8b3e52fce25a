"""Operations: /metrics counters, retention pruning, settings and their environment."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunningCollector, wait_until
from otlp_payloads import PROTOBUF, request, span
from pydantic import ValidationError

from chainsight.collector.settings import Settings

DAY_NS = 86_400 * 10**9


def _metric(collector: RunningCollector, name: str, labels: str = "") -> float:
    with collector.client() as client:
        text = client.get("/metrics").text
    pattern = re.escape(name + (f"{{{labels}}}" if labels else "")) + r" ([0-9.e+]+)"
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def _post(collector: RunningCollector, body: bytes, content_type: str = PROTOBUF) -> int:
    with collector.client() as client:
        return client.post(
            "/v1/traces", content=body, headers={"content-type": content_type}
        ).status_code


def test_accepted_spans_counter_moves(collector: RunningCollector) -> None:
    """chainsight_spans_accepted_total grows by the spans committed."""
    before = _metric(collector, "chainsight_spans_accepted_total")
    assert _post(collector, request([span(), span(), span()]).SerializeToString()) == 200
    assert _metric(collector, "chainsight_spans_accepted_total") == before + 3


def test_rejected_spans_counter_moves(collector: RunningCollector) -> None:
    """Spans refused by the decoder are counted by reason."""
    assert _post(collector, request([span(span_id=b"\x01")]).SerializeToString()) == 200
    with collector.client() as client:
        text = client.get("/metrics").text
    counts = [
        float(v) for v in re.findall(r"chainsight_spans_rejected_total\{[^}]*\} ([0-9.]+)", text)
    ]
    assert sum(counts) == 1


def test_refused_requests_and_statuses_are_counted(collector: RunningCollector) -> None:
    """A 415 shows up by reason and in the per-status request counter."""
    assert _post(collector, b"x", "text/plain") == 415
    assert (
        _metric(
            collector, "chainsight_ingest_requests_refused_total", 'reason="unsupported_media_type"'
        )
        == 1
    )
    assert _metric(collector, "chainsight_http_requests_total", 'route="otlp",status="415"') == 1


def test_queue_commit_and_storage_gauges_are_exposed(collector: RunningCollector) -> None:
    """Queue depth, the commit histogram and storage size are in the exposition."""
    assert _post(collector, request([span()]).SerializeToString()) == 200
    assert _metric(collector, "chainsight_commit_seconds_count") >= 1
    assert _metric(collector, "chainsight_stored_spans") >= 1
    assert _metric(collector, "chainsight_storage_bytes") > 0
    with collector.client() as client:
        assert "chainsight_queue_depth_spans 0" in client.get("/metrics").text


def test_retention_prunes_old_traces_in_the_background(
    collector_factory: Callable[..., RunningCollector],
) -> None:
    """With retention_days=1, a 3-day-old trace disappears and a fresh one stays."""
    collector = collector_factory(retention_days=1, retention_interval_seconds=0.05)
    old = span(name="old", start_ns=time.time_ns() - 3 * DAY_NS)
    fresh = span(name="fresh")
    assert _post(collector, request([old, fresh]).SerializeToString()) == 200
    with collector.client() as client:
        wait_until(lambda: client.get(f"/api/v1/traces/{old.trace_id.hex()}").status_code == 404)
        assert client.get(f"/api/v1/traces/{fresh.trace_id.hex()}").status_code == 200
    assert collector.state.retention_deleted >= 1


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CHAINSIGHT_DATA_DIR and friends configure the collector; the store URL follows."""
    monkeypatch.setenv("CHAINSIGHT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHAINSIGHT_MAX_BODY_BYTES", "12345")
    settings = Settings()
    assert settings.max_body_bytes == 12345
    assert settings.store_url_resolved == f"duckdb:///{tmp_path.resolve() / 'chainsight.duckdb'}"


def test_explicit_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit value (a CLI flag) beats CHAINSIGHT_*."""
    monkeypatch.setenv("CHAINSIGHT_PORT", "9999")
    assert Settings(port=4319).port == 4319


def test_invalid_settings_raise_a_clear_error() -> None:
    """A batch larger than the queue is refused at construction."""
    with pytest.raises(ValidationError, match="batch_max_spans"):
        Settings(queue_max_spans=10, batch_max_spans=20)
