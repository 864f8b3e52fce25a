"""End to end: spans from the real OTel SDK through the real collector (uvicorn, DuckDB file),
drift reports, series and reference periods through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import OtelPipeline, RunningCollector  # the shared tests/conftest.py

from .traffic import CALLS, send_calls

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def seeded(
    collector: RunningCollector, pipeline_factory: Callable[..., OtelPipeline]
) -> RunningCollector:
    """Hour 0 English with embeddings near 0, hour 1 Spanish with embeddings near 1."""
    pipeline = pipeline_factory(collector.otlp_url, project="shop")
    send_calls(pipeline, BASE, "en", 0.0)
    send_calls(pipeline, BASE + HOUR, "es", 1.0)
    return collector


def _get(collector: RunningCollector, path: str, **params: Any) -> httpx.Response:
    with collector.client() as client:
        return client.get(path, params=params)


def _report(collector: RunningCollector, **params: Any) -> dict[str, Any]:
    response = _get(
        collector,
        "/api/v1/drift",
        project="shop",
        current_start=(BASE + HOUR).isoformat(),
        current_end=(BASE + 2 * HOUR).isoformat(),
        **params,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _feature(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in report["features"] if f["feature"] == name)
    return found


def test_report_detects_the_language_switch(seeded: RunningCollector) -> None:
    """English to Spanish: the language feature drifts by chi-square on 200 calls each."""
    report = _report(
        seeded, baseline_start=BASE.isoformat(), baseline_end=(BASE + HOUR).isoformat()
    )
    language = _feature(report, "input_language")
    assert language["verdict"] == "drift"
    assert language["statistic"] == "chisquare"
    assert (language["baseline_count"], language["current_count"]) == (CALLS, CALLS)


def test_report_detects_embedding_drift_from_recorded_vectors(seeded: RunningCollector) -> None:
    """Vectors recorded by embedding steps moved by 1 per dimension: mean distance ≈ √8."""
    report = _report(seeded, baseline="previous")
    embedding = _feature(report, "embedding")
    assert embedding["verdict"] == "drift"
    assert embedding["score"] == pytest.approx(8**0.5, rel=0.05)


def test_report_keeps_unchanged_features_quiet(seeded: RunningCollector) -> None:
    """Token counts were drawn from one distribution in both hours."""
    report = _report(seeded, baseline="previous")
    assert _feature(report, "output_tokens")["verdict"] == "no_drift"
    assert report["baseline"]["label"] == "previous"
    assert report["baseline"]["spans"] == 2 * CALLS


def test_report_without_baseline_data_gives_no_verdict(seeded: RunningCollector) -> None:
    """A baseline hour with no spans: no verdict, said in the message."""
    report = _report(
        seeded,
        baseline_start=(BASE - 5 * HOUR).isoformat(),
        baseline_end=(BASE - 4 * HOUR).isoformat(),
    )
    assert report["verdict"] == "insufficient_data"
    assert "No verdict" in report["message"]


def test_saved_reference_period_serves_as_baseline(seeded: RunningCollector) -> None:
    """POST a named period, then ?baseline=<name> compares against it."""
    period = {
        "name": "launch week",
        "start": BASE.isoformat(),
        "end": (BASE + HOUR).isoformat(),
        "project": "shop",
    }
    with seeded.client() as client:
        created = client.post("/api/v1/drift/references", json=period)
        assert created.status_code == 201, created.text
        listed = client.get("/api/v1/drift/references", params={"project": "shop"}).json()
    assert [p["name"] for p in listed] == ["launch week"]
    report = _report(seeded, baseline="launch week")
    assert report["baseline"]["label"] == "launch week"
    assert _feature(report, "input_language")["verdict"] == "drift"


def test_reference_saved_under_a_project_serves_unfiltered_reports(
    seeded: RunningCollector,
) -> None:
    """Without a project filter (open mode) a name saved under one project is found."""
    period = {"name": "only", "start": BASE.isoformat(), "end": (BASE + HOUR).isoformat()}
    with seeded.client() as client:
        saved = client.post("/api/v1/drift/references", json={**period, "project": "shop"})
        assert saved.status_code == 201
        response = client.get(
            "/api/v1/drift",
            params={
                "baseline": "only",
                "current_start": (BASE + HOUR).isoformat(),
                "current_end": (BASE + 2 * HOUR).isoformat(),
            },
        )
    assert response.status_code == 200, response.text
    assert response.json()["baseline"]["label"] == "only"


def test_deleted_reference_period_is_gone(seeded: RunningCollector) -> None:
    """DELETE answers 204, then the name is unknown (404 with the error body)."""
    period = {"name": "q1", "start": BASE.isoformat(), "end": (BASE + HOUR).isoformat()}
    with seeded.client() as client:
        assert client.post("/api/v1/drift/references", json=period).status_code == 201
        assert client.delete("/api/v1/drift/references/q1").status_code == 204
        missing = client.get("/api/v1/drift/references/q1")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_unknown_reference_baseline_is_404(seeded: RunningCollector) -> None:
    """?baseline= naming no saved period is a 404, not a silent fallback."""
    response = _get(seeded, "/api/v1/drift", baseline="nope")
    assert response.status_code == 404


def test_series_scores_rolling_windows(seeded: RunningCollector) -> None:
    """Hourly windows over the two hours: the second point (Spanish vs English) drifts."""
    response = _get(
        seeded,
        "/api/v1/drift/series",
        project="shop",
        feature="input_language",
        start=(BASE - HOUR).isoformat(),
        end=(BASE + 2 * HOUR).isoformat(),
        window_seconds=3600,
    )
    assert response.status_code == 200, response.text
    points = response.json()
    assert [p["verdict"] for p in points] == ["insufficient_data", "insufficient_data", "drift"]


def test_unknown_feature_is_a_bad_request(seeded: RunningCollector) -> None:
    """A typo in a feature name is a 400 naming the known features."""
    response = _get(seeded, "/api/v1/drift", features="input_tokenz")
    assert response.status_code == 400
    assert "input_tokens" in response.json()["error"]["message"]


def test_feature_catalogue_lists_every_feature(seeded: RunningCollector) -> None:
    """GET /api/v1/drift/features names what alert rules can use as drift.<name>."""
    names = [f["name"] for f in _get(seeded, "/api/v1/drift/features").json()]
    assert {"input_tokens", "ttft_ms", "model", "input_language", "input_text"} <= set(names)


def test_alert_rule_reads_drift_as_a_metric(seeded: RunningCollector) -> None:
    """An alert rule on drift.input_language (PSI > 0.2 over 1 h) breaches after the switch."""
    rule = {
        "name": "language-drift",
        "metric": "drift.input_language",
        "aggregation": "psi",
        "window": "1h",
        "op": ">",
        "threshold": 0.2,
        "filters": {"project": "shop"},
    }
    with seeded.client() as client:
        response = client.post(
            "/api/v1/alerts/test", json=rule, params={"now": (BASE + 2 * HOUR).isoformat()}
        )
    assert response.status_code == 200, response.text
    [instance] = response.json()["instances"]
    assert instance["value"] > 0.2
    assert instance["samples"] == CALLS
    assert instance["state"] != "inactive"


def test_alert_rule_on_drift_without_data_reports_no_data(seeded: RunningCollector) -> None:
    """Before any spans the drift metric is no data, never a zero that would resolve."""
    rule = {
        "name": "tokens-drift",
        "metric": "drift.input_tokens",
        "window": "1h",
        "op": ">",
        "threshold": 0.1,
        "filters": {"project": "shop"},
    }
    with seeded.client() as client:
        response = client.post(
            "/api/v1/alerts/test", json=rule, params={"now": (BASE - HOUR).isoformat()}
        )
    assert response.status_code == 200, response.text
    [instance] = response.json()["instances"]
    assert instance["value"] is None
    assert instance["outcome"] == "no_data"
