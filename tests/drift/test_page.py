"""The Drift page rendered by Streamlit's AppTest against a real collector holding an
English hour followed by a Spanish hour (sent through the real OTel SDK)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import RunningCollector, run_collector  # tests/conftest.py
from streamlit.testing.v1 import AppTest

from chainsight.dashboard.cli import APP_SCRIPT

APP_TIMEOUT_S = 60.0


def _page(url: str, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("CHAINSIGHT_COLLECTOR_URL", url)
    monkeypatch.delenv("CHAINSIGHT_API_KEY", raising=False)
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=APP_TIMEOUT_S)
    at.query_params.update({"range": "1h", **params})
    at.run()
    at.switch_page("views/drift.py")
    at.query_params.update({"range": "1h", **params})
    at.run()
    if at.exception:
        raise AssertionError(f"the page raised: {[e.value for e in at.exception]}")
    return at


def test_page_shows_the_language_drift(
    switched: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feature table marks input_language as drift against the previous hour."""
    at = _page(switched.base_url, monkeypatch)
    table = at.dataframe[0].value
    verdicts = dict(zip(table["feature"], table["verdict"], strict=True))
    assert verdicts["input_language"] == "drift"
    assert verdicts["output_tokens"] == "no drift"


def test_page_states_the_overall_verdict(
    switched: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The banner carries the report's message and the drifted-feature tile its counts."""
    at = _page(switched.base_url, monkeypatch)
    banners = [e.value for e in (*at.error, *at.success, *at.warning)]
    assert any("features drifted" in str(b) for b in banners)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Current spans"] == "400"


def test_page_creates_an_alert_rule_from_a_feature(
    switched: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form's button stores a drift.<feature> rule through the alerting API."""
    at = _page(switched.base_url, monkeypatch, feature="input_language")
    [button] = [b for b in at.button if b.label == "Create alert rule"]
    button.click().run()
    assert not at.exception
    rules = httpx.get(f"{switched.base_url}/api/v1/alerts/rules", timeout=10).json()
    assert [r["spec"]["metric"] for r in rules if r["name"] == "drift-input_language"] == [
        "drift.input_language"
    ]


def test_page_saves_a_reference_period(
    switched: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving the current window stores a named period the baseline picker then offers."""
    at = _page(switched.base_url, monkeypatch)
    at.text_input[-2].input("spanish hour")
    [button] = [b for b in at.button if b.label == "Save reference period"]
    button.click().run()
    periods = httpx.get(f"{switched.base_url}/api/v1/drift/references", timeout=10).json()
    assert "spanish hour" in [p["name"] for p in periods]


def test_page_without_spans_shows_the_empty_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No spans stored: the first-trace hint instead of a report."""
    with run_collector(tmp_path / "empty") as running:
        at = _page(running.base_url, monkeypatch)
        assert "No traces" in at.info[0].value
