"""``chainsight demo`` end to end: a bounded, seeded run, then its story read back through
the query API of a collector restarted over the demo's data directory."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from conftest import RunningCollector, free_port, run_collector  # tests/conftest.py

DURATION_S = 40
RATE = 3
SEED = 1
RUN_TIMEOUT_S = 100
"""The traffic is wall-clock bound (40 s); the rest is starting and stopping processes."""
PROJECT = {"project": "demo"}


@dataclass
class DemoRun:
    """A finished demo run: its summary (demo-run.json) and a collector over its data."""

    report: dict[str, Any]
    api: httpx.Client
    output: str

    def get(self, path: str, **params: Any) -> Any:
        response = self.api.get(path, params={**PROJECT, **params})
        assert response.status_code == 200, response.text
        return response.json()

    def traces(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/traces", limit=1000, **params)["items"])

    def spans(self, trace_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v1/traces/{trace_id}")["spans"])

    def llm_metrics_by_model(self) -> dict[str, dict[str, Any]]:
        """The run's LLM-span summary, one row per model."""
        rows = self.get(
            "/api/v1/metrics",
            start=self.report["started"],
            end=self.report["ended"],
            group_by="model",
            span_kind="llm",
        )
        return {row["group"]: row for row in rows}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """Run the demo once (bounded, --exit), then serve its data dir for the tests to query."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    command = [sys.executable, "-m", "chainsight", "demo", "--duration", str(DURATION_S)]
    command += ["--rate", str(RATE), "--seed", str(SEED), "--exit", "--no-dashboard"]
    command += ["--data-dir", str(data_dir), "--port", str(free_port())]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    report = json.loads((data_dir / "demo-run.json").read_text())
    collector: RunningCollector
    with run_collector(data_dir) as collector, collector.client() as api:
        yield DemoRun(report, api, output)


def test_demo_prints_where_to_look_and_summarizes_the_run(demo_run: DemoRun) -> None:
    """The run says where the collector is and writes a summary with the story's marks."""
    assert "collector: http://127.0.0.1:" in demo_run.output
    report = demo_run.report
    assert report["turns"] >= 0.8 * DURATION_S * RATE
    assert report["failed_turns"] < 0.2 * report["turns"]
    marks = ("started", "regression_start", "language_shift", "regression_end", "ended")
    assert [report[m] for m in marks] == sorted(report[m] for m in marks)


def test_turns_are_traced_with_retrieval_rerank_llm_and_tool_spans(demo_run: DemoRun) -> None:
    """A support turn asking about an order holds every step kind of the pipeline."""
    turns = demo_run.traces(name="support_turn", kind="tool")
    assert turns
    spans = demo_run.spans(turns[0]["trace_id"])
    kinds = {s["kind"] for s in spans}
    assert {"chain", "retriever", "embedding", "reranker", "llm", "tool"} <= kinds
    llm = [s for s in spans if s["kind"] == "llm"]
    assert all(s["model"] and s["input_tokens"] and s["output_tokens"] for s in llm)


def test_only_the_app_is_traced(demo_run: DemoRun) -> None:
    """Every trace is the app's (the model server's own HTTP spans stay out)."""
    names = {t["name"] for t in demo_run.traces()}
    assert names == {"support_turn", "summarize_session"}


def test_several_models_have_costs(demo_run: DemoRun) -> None:
    """The users' plan tiers use different models, each priced."""
    rows = demo_run.llm_metrics_by_model()
    priced = {model: row["cost"] for model, row in rows.items() if row["cost"]}
    assert {"gpt-4o", "gpt-4o-mini", "gpt-4.1-mini"} <= set(priced)
    assert all(cost > 0 for cost in priced.values())
    per_call = {model: priced[model] / rows[model]["requests"] for model in priced}
    assert per_call["gpt-4o"] > per_call["gpt-4o-mini"]


def test_streamed_calls_have_ttft(demo_run: DemoRun) -> None:
    """Streamed answers record TTFT; the per-model summary has its percentiles."""
    ttft = {model: row["ttft_ms"] for model, row in demo_run.llm_metrics_by_model().items()}
    for model in ("gpt-4o", "gpt-4.1-mini"):
        assert ttft[model] is not None
        assert ttft[model]["p50"] > 0


def test_sessions_span_several_turns_and_later_turns_hit_the_cache(demo_run: DemoRun) -> None:
    """Multi-turn sessions exist, and their later turns report cached prompt tokens."""
    sessions = demo_run.get("/api/v1/sessions", limit=1000)
    users = {s["user_id"] for s in sessions}
    assert len(users) >= 4
    multi = [s for s in sessions if s["trace_count"] > 1]
    assert multi
    cached = 0
    for session in multi[:10]:
        page = demo_run.get(f"/api/v1/sessions/{session['session_id']}")
        for trace in page["items"][1:]:
            cached += sum(s["cached_tokens"] or 0 for s in demo_run.spans(trace["trace_id"]))
    assert cached > 0


def test_some_calls_fail(demo_run: DemoRun) -> None:
    """The model server's injected errors show as error spans."""
    errors = demo_run.traces(status="error")
    assert errors


def test_the_latency_regression_fired_the_ttft_alert(demo_run: DemoRun) -> None:
    """The demo's TTFT rule went pending then firing during the regression."""
    history = demo_run.get("/api/v1/alerts/history", rule="demo-ttft-p95")
    firing = [h for h in history if h["to_state"] == "firing"]
    assert firing
    report = demo_run.report
    fired = datetime.fromisoformat(firing[-1]["at"])
    assert datetime.fromisoformat(report["regression_start"]) <= fired
    assert fired <= datetime.fromisoformat(report["ended"])
    assert firing[-1]["value"] > firing[-1]["threshold"]


def test_the_language_shift_shows_as_input_drift(demo_run: DemoRun) -> None:
    """English before the shift, Spanish after: input language and text drift."""
    report = demo_run.report
    drift = demo_run.get(
        "/api/v1/drift",
        baseline_start=report["started"],
        baseline_end=report["language_shift"],
        current_start=report["language_shift"],
        current_end=report["ended"],
    )
    verdicts = {f["feature"]: f["verdict"] for f in drift["features"]}
    assert verdicts["input_language"] == "drift"
    assert verdicts["input_text"] == "drift"
    language = next(f for f in drift["features"] if f["feature"] == "input_language")
    spanish = next(b for b in language["bins"] if b["label"] == "es")
    assert spanish["baseline"] < 0.05
    assert spanish["current"] > 0.3


def test_the_pre_shift_traffic_is_saved_as_the_drift_baseline(demo_run: DemoRun) -> None:
    """The run saves a reference period, so the Drift page can compare against it."""
    report = demo_run.report
    drift = demo_run.get(
        "/api/v1/drift",
        baseline="demo-english",
        current_start=report["language_shift"],
        current_end=report["ended"],
    )
    verdicts = {f["feature"]: f["verdict"] for f in drift["features"]}
    assert verdicts["input_language"] == "drift"
