"""The Alerts page and Overview's firing slot (Streamlit AppTest against a real collector),
and the pure alert chart builders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from chainsight.dashboard.alert_charts import rule_chart, state_intervals
from chainsight.dashboard.cli import APP_SCRIPT
from chainsight.storage.model import AlertTransition

from .conftest import ttft_rule
from .harness import at, evaluate, llm_span, send


def _firing_collector(
    collector_factory: Callable[..., Any], rules_file: Callable[[dict[str, Any]], Path]
) -> Any:
    path = rules_file({"rules": [ttft_rule(**{"for": "0s"}, channels=["log"])]})
    running = collector_factory(alert_rules=path, alert_interval=0)
    with running.client() as client:
        send(client, [llm_span(at(1 + k / 10), ttft_s=9.0) for k in range(5)])
        evaluate(client, at(5))
    return running


def _page(url: str, monkeypatch: pytest.MonkeyPatch, page: str | None) -> AppTest:
    monkeypatch.setenv("CHAINSIGHT_COLLECTOR_URL", url)
    monkeypatch.delenv("CHAINSIGHT_API_KEY", raising=False)
    app = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
    app.run()
    if page is not None:
        app.switch_page(f"views/{page}.py")
        app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_alerts_page_counts_firing_instances(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Firing tile counts the firing instance and the rule has its panel."""
    running = _firing_collector(collector_factory, rules_file)
    app = _page(running.base_url, monkeypatch, "alerts")
    tiles = {m.label: m.value for m in app.metric}
    assert (tiles["Firing"], tiles["Rules"]) == ("1", "1")
    assert any("slow-first-token" in e.label for e in app.expander)


def test_overview_lists_firing_alerts(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Overview's firing-alerts slot names the firing rule."""
    running = _firing_collector(collector_factory, rules_file)
    with running.client() as client:  # Overview needs spans inside its default 24 h range
        send(client, [llm_span(datetime.now(UTC) - timedelta(minutes=5)) for _ in range(2)])
    app = _page(running.base_url, monkeypatch, None)
    assert any("slow-first-token" in str(m.value) for m in app.markdown)


def _move(minute: float, to: str, frm: str) -> AlertTransition:
    return AlertTransition(
        rule="r", fingerprint="f", labels={}, at=at(minute), from_state=frm, to_state=to,
        outcome="breach", value=1.0, threshold=0.5,
    )  # fmt: skip


def test_state_intervals_follow_transitions() -> None:
    """Pending lasts until firing; firing until resolved (or the chart's end)."""
    moves = [_move(1, "pending", "inactive"), _move(3, "firing", "pending")]
    moves.append(_move(6, "resolved", "firing"))
    assert state_intervals(moves, at(10)) == [
        (at(1), at(3), "pending", "f"),
        (at(3), at(6), "firing", "f"),
    ]


def test_rule_chart_draws_threshold_and_shades_states() -> None:
    """One line per group, a threshold line and one shaded rectangle per interval."""
    series = {
        "rule": "r",
        "threshold": 0.5,
        "op": ">",
        "unit": "duration",
        "points": [{"at": at(m), "labels": {}, "value": float(m), "samples": 3} for m in range(5)],
    }
    fig = rule_chart(
        series, [_move(1, "pending", "inactive"), _move(3, "firing", "pending")], at(5)
    )
    shapes = fig.layout.shapes
    assert (len(fig.data), len(shapes)) == (1, 3)  # threshold line + two rectangles


def test_rule_editor_saves_a_new_rule(
    collector_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving the editor's YAML creates an API rule on the collector."""
    running = collector_factory(alert_interval=0)
    app = _page(running.base_url, monkeypatch, "alerts")
    app.text_area(key="al_yaml_(new rule)").set_value(
        "name: page-made\nmetric: latency\nthreshold: 3s\nchannels: [log]\n"
    )
    app.button(key="al_save").click().run()
    assert not app.exception, [e.value for e in app.exception]
    with running.client() as client:
        names = [r["name"] for r in client.get("/api/v1/alerts/rules").json()]
    assert names == ["page-made"]


def test_rule_editor_shows_the_located_error(
    collector_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An invalid rule is refused with the collector's located message."""
    running = collector_factory(alert_interval=0)
    app = _page(running.base_url, monkeypatch, "alerts")
    app.text_area(key="al_yaml_(new rule)").set_value("name: bad\nmetric: latency\nthreshold: 5%\n")
    app.button(key="al_save").click().run()
    assert any("rule (bad): threshold" in str(e.value) for e in app.error)
