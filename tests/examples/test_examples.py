"""The examples/ scripts against a real collector: each lands with the right model, tokens
and cost, and OpenLLMetry's spans read the same as the Chainsight SDK's for the same call."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RunningCollector, free_port  # tests/conftest.py

from chainsight.demo.runner import ModelServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RUN_TIMEOUT_S = 60


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a script with this interpreter (bounded); the caller checks the outcome."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
        cwd=ROOT,
    )


def llm_spans(collector: RunningCollector, project: str) -> list[dict[str, Any]]:
    """Every LLM span of the project's traces (the collector has committed them: 200 = stored)."""
    with collector.client() as api:
        page = api.get("/api/v1/traces", params={"project": project, "limit": 100}).json()
        spans = []
        for trace in page["items"]:
            tree = api.get(f"/api/v1/traces/{trace['trace_id']}", params={"project": project})
            spans += [s for s in tree.json()["spans"] if s["kind"] == "llm"]
    return spans


def price_of(collector: RunningCollector, span: dict[str, Any]) -> float:
    """The span's cost recomputed from the price row it was matched to."""
    with collector.client() as api:
        prices = {p["id"]: p for p in api.get("/api/v1/pricing").json()}
    price = prices[span["price_id"]]
    cached = span["cached_tokens"] or 0
    cached_price = price["input"] if price["cached_read"] is None else price["cached_read"]
    per_million = (
        (span["input_tokens"] - cached) * price["input"]
        + cached * cached_price
        + span["output_tokens"] * price["output"]
    )
    return float(per_million / 1_000_000)


@pytest.fixture(scope="module")
def model_server() -> Iterator[ModelServer]:
    """The bundled model server, seeded, shared by the module's tests."""
    with ModelServer(seed=0) as server:
        yield server


def test_quickstart_lands_with_model_tokens_and_cost(collector: RunningCollector) -> None:
    """The 3-line quickstart sends one priced gpt-4o-mini span."""
    done = run_script(EXAMPLES / "quickstart.py", "--endpoint", collector.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    (span,) = llm_spans(collector, "quickstart")
    assert (span["model"], span["input_tokens"], span["output_tokens"]) == ("gpt-4o-mini", 14, 7)
    assert span["cost"] == pytest.approx(price_of(collector, span))
    assert span["cost"] > 0


def test_quickstart_without_a_collector_says_how_to_start_one() -> None:
    """No collector listening: a hint naming `chainsight up`, exit code 1."""
    done = run_script(EXAMPLES / "quickstart.py", "--endpoint", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "chainsight up" in done.stdout


def test_plain_otel_example_lands_with_model_tokens_and_cost(collector: RunningCollector) -> None:
    """Hand-written gen_ai.* attributes are read and priced, cached tokens at their price."""
    done = run_script(EXAMPLES / "plain_otel.py", "--endpoint", collector.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    (span,) = llm_spans(collector, "plain-otel-example")
    assert span["model"] == "gpt-4o"
    assert (span["input_tokens"], span["cached_tokens"], span["output_tokens"]) == (1200, 1024, 80)
    assert span["cost"] == pytest.approx(price_of(collector, span))
    with collector.client() as api:
        trace = api.get("/api/v1/traces", params={"project": "plain-otel-example"}).json()
    assert trace["items"][0]["name"] == "answer_question"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_openllmetry_spans_match_the_sdk_for_the_same_call(
    collector: RunningCollector, model_server: ModelServer, stream: bool
) -> None:
    """OpenLLMetry's span and the SDK's carry the same model, tokens and cost."""
    flags = ["--stream"] if stream else []
    third_party = run_script(
        EXAMPLES / "openllmetry_openai.py",
        "--endpoint",
        collector.base_url,
        "--project",
        "via-openllmetry",
        "--model-server",
        model_server.openai_base_url,
        *flags,
    )
    assert third_party.returncode == 0, third_party.stdout + third_party.stderr
    ours = run_script(
        Path(__file__).with_name("sdk_openai_call.py"),
        collector.base_url,
        "via-sdk",
        model_server.openai_base_url,
        *flags,
    )
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert third_party.stdout == ours.stdout  # the seeded server gave both the same answer

    (theirs,) = llm_spans(collector, "via-openllmetry")
    (mine,) = llm_spans(collector, "via-sdk")
    fields = ("model", "provider", "input_tokens", "cached_tokens", "output_tokens")
    assert {f: theirs[f] for f in fields} == {f: mine[f] for f in fields}
    assert mine["model"] == "gpt-4o-mini"
    assert mine["input_tokens"] and mine["output_tokens"]
    assert theirs["cost"] == pytest.approx(mine["cost"])
    assert mine["cost"] == pytest.approx(price_of(collector, mine))


def test_support_bot_example_plays_a_traced_session(
    collector: RunningCollector, model_server: ModelServer
) -> None:
    """The demo's app, run by hand: one session of two turns and a summary."""
    done = run_script(
        EXAMPLES / "support_bot.py",
        "--endpoint",
        collector.base_url,
        "--model-server",
        model_server.openai_base_url,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with collector.client() as api:
        page = api.get(
            "/api/v1/sessions/example-session", params={"project": "support-bot-example"}
        ).json()
    names = [t["name"] for t in page["items"]]
    assert names == ["support_turn", "support_turn", "summarize_session"]
