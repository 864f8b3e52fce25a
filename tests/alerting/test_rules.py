"""Rules as code and through the API: reload, validation with located messages, defaults,
persistence across restarts, test-now; plus the pure parts (units, SSRF ranges, templates)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from chainsight.collector.alerting.egress import UnsafeTarget, check_url
from chainsight.collector.alerting.rules import RuleError, default_sources, load_rules_file
from chainsight.collector.alerting.units import UnitError, parse_quantity

from .conftest import ttft_rule, webhook
from .harness import Receiver, at, evaluate, llm_span, send, state_of


def _breach(client: httpx.Client) -> None:
    send(client, [llm_span(at(m + k / 10), ttft_s=9.0) for m in range(10) for k in range(3)])


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_restart_keeps_state_and_history(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    receivers: Callable[..., Receiver],
    tmp_path: Path,
) -> None:
    """A firing alert is still firing after a restart, with its transitions listed."""
    hook = receivers()
    path = rules_file({"rules": [ttft_rule()], "channels": [webhook("hook", hook.url)]})
    data = tmp_path / "data"
    first = collector_factory(data_dir=data, alert_rules=path, alert_interval=0)
    with first.client() as client:
        _breach(client)
        for minute in (5, 6, 7):
            evaluate(client, at(minute))
        hook.wait_for(1)
    first.stop()
    second = collector_factory(data_dir=data, alert_rules=path, alert_interval=0)
    with second.client() as client:
        instances = client.get("/api/v1/alerts/instances").json()
        history = client.get("/api/v1/alerts/history").json()
        assert [i["state"] for i in instances] == ["firing"]
        assert [(h["from_state"], h["to_state"]) for h in reversed(history)] == [
            ("inactive", "pending"),
            ("pending", "firing"),
        ]
        assert state_of(evaluate(client, at(8)), "slow-first-token") == ["firing"]
    assert len(hook.requests) == 1


def test_yaml_file_is_reloaded_when_it_changes(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    clients: Callable[[Any], httpx.Client],
) -> None:
    """Editing the rules file changes the rules at the next evaluation."""
    path = rules_file({"rules": [ttft_rule(channels=["log"])]})
    client = clients(collector_factory(alert_rules=path, alert_interval=0))
    rules_file({"rules": [ttft_rule(name="renamed", channels=["log"])]})
    _touch_later(path)
    assert [r["rule"] for r in evaluate(client, at(5))] == ["renamed"]


def test_invalid_reload_keeps_the_previous_rules_and_reports_where(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    clients: Callable[[Any], httpx.Client],
) -> None:
    """A broken edit is refused with the file, rule and field named; old rules stay."""
    path = rules_file({"rules": [ttft_rule(channels=["log"])]})
    client = clients(collector_factory(alert_rules=path, alert_interval=0))
    rules_file({"rules": [ttft_rule(channels=["log"], threshold="fast")]})
    _touch_later(path)
    assert [r["rule"] for r in evaluate(client, at(5))] == ["slow-first-token"]
    error = client.get("/api/v1/alerts/status").json()["rules_file_error"]
    assert "rules[0] (slow-first-token): threshold" in error


def test_api_rejects_an_invalid_rule_with_a_located_message(
    collector_factory: Callable[..., Any], clients: Callable[[Any], httpx.Client]
) -> None:
    """POST /rules with a bad window answers 400 naming the rule and the field."""
    client = clients(collector_factory(alert_interval=0))
    bad = {"name": "x", "metric": "latency", "threshold": "1s", "window": "soon"}
    response = client.post("/api/v1/alerts/rules", json=bad)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("rule (x): window: not a duration")


def test_api_rules_survive_a_restart(collector_factory: Callable[..., Any], tmp_path: Path) -> None:
    """A rule created through the API is stored and in force after a restart."""
    data = tmp_path / "data"
    rule = {"name": "errors", "metric": "error_rate", "threshold": "5%", "window": "5m"}
    first = collector_factory(data_dir=data, alert_interval=0)
    with first.client() as client:
        assert client.post("/api/v1/alerts/rules", json=rule).status_code == 201
    first.stop()
    second = collector_factory(data_dir=data, alert_interval=0)
    with second.client() as client:
        rules = client.get("/api/v1/alerts/rules").json()
    assert [(r["name"], r["source"], r["threshold_value"]) for r in rules] == [
        ("errors", "api", 0.05)
    ]


def test_shipped_defaults_are_active_without_rules(
    collector_factory: Callable[..., Any], clients: Callable[[Any], httpx.Client]
) -> None:
    """With no rule defined, p95 TTFT, p95 TPOT and error-rate defaults are in force."""
    client = clients(collector_factory(alert_interval=0))
    rules = {r["name"]: r for r in client.get("/api/v1/alerts/rules").json()}
    assert {n: (r["threshold_value"], r["spec"]["for"]) for n, r in rules.items()} == {
        "default-ttft-p95": (5000.0, 120.0),
        "default-tpot-p95": (200.0, 120.0),
        "default-error-rate": (0.05, 120.0),
    }


def test_test_route_reports_without_changing_state(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    clients: Callable[[Any], httpx.Client],
) -> None:
    """`test` returns the value, next state and the message, but saves and sends nothing."""
    path = rules_file({"rules": [ttft_rule(**{"for": "0s"}, channels=["log"])]})
    client = clients(collector_factory(alert_rules=path, alert_interval=0))
    _breach(client)
    result = client.post(
        "/api/v1/alerts/rules/slow-first-token/test", params={"now": at(5).isoformat()}
    ).json()
    assert (result["instances"][0]["state"], result["instances"][0]["value"]) == ("firing", 9000.0)
    assert "slow-first-token" in result["notifications"][0]["body"]
    assert client.get("/api/v1/alerts/instances").json() == []


def test_rules_file_errors_name_file_rule_and_field(tmp_path: Path) -> None:
    """Every problem of a file is reported with its location, not just the first."""
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - {name: a, metric: ttft, threshold: 5%}\n"
        "  - {name: b, metric: nope, threshold: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_rules_file(path, default_sources())
    assert [p.split(":")[1].strip() for p in caught.value.problems] == [
        "rules[0] (a)",
        "rules[1] (b)",
    ]


def test_yaml_syntax_errors_carry_the_line(tmp_path: Path) -> None:
    """Broken YAML names the line."""
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: [a\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"line \d+"):
        load_rules_file(path, default_sources())


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("5s", "duration", 5000.0),
        ("200ms", "duration", 200.0),
        ("5%", "fraction", 0.05),
        ("$20", "money", 20.0),
        ("12", "count", 12.0),
    ],
)
def test_threshold_quantities_convert_to_the_metric_unit(
    text: str, unit: Any, value: float
) -> None:
    """Durations become ms, percentages fractions, money USD."""
    assert parse_quantity(text, unit) == value


def test_a_unit_that_does_not_fit_the_metric_is_refused() -> None:
    """A percentage threshold on a latency metric is an error, not a guess."""
    with pytest.raises(UnitError):
        parse_quantity("5%", "duration")


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest", "http://10.0.0.8/x", "http://[::1]/x", "ftp://example.com/"],
)
def test_ssrf_guard_refuses_internal_targets(url: str) -> None:
    """Metadata, private, loopback addresses and non-http schemes are refused."""
    with pytest.raises(UnsafeTarget):
        check_url(url, allow_private=False)


def test_annotation_templates_substitute_safely() -> None:
    """$names are filled; format fields and unknown names are left as written."""
    from chainsight.collector.alerting.messages import render_annotations
    from chainsight.collector.alerting.rules import parse_rule
    from chainsight.storage.model import AlertInstance

    rule = parse_rule(
        ttft_rule(annotations={"summary": "{0.__class__} $value $nope ${threshold}"}),
        default_sources(),
    )
    inst = AlertInstance(rule=rule.name, fingerprint="f", labels={}, state="firing", value=6000)
    assert render_annotations(rule, inst)["summary"] == "{0.__class__} 6s $nope 5s"


def test_disabled_rule_is_not_evaluated(
    collector_factory: Callable[..., Any], clients: Callable[[Any], httpx.Client]
) -> None:
    """PUT with enabled: false keeps the rule but skips it in evaluations."""
    client = clients(collector_factory(alert_interval=0))
    rule = {"name": "errors", "metric": "error_rate", "threshold": "5%"}
    assert client.post("/api/v1/alerts/rules", json=rule).status_code == 201
    updated = client.put("/api/v1/alerts/rules/errors", json={**rule, "enabled": False})
    assert updated.json()["enabled"] is False
    assert evaluate(client, at(5)) == []


def test_failing_source_is_an_error_outcome_not_ok(
    collector_factory: Callable[..., Any], clients: Callable[[Any], httpx.Client]
) -> None:
    """A query that fails yields `error` with its message; on_error=alert then fires."""
    client = clients(collector_factory(alert_interval=0))
    rule = {"name": "broken", "metric": "drift.no_such_feature", "threshold": 0.2}
    rule |= {"on_error": "alert", "for": "0s"}
    assert client.post("/api/v1/alerts/rules", json=rule).status_code == 201
    instance = evaluate(client, at(5))[0]["instances"][0]
    assert (instance["outcome"], instance["state"]) == ("error", "firing")
    assert "no_such_feature" in instance["error"]


def test_project_key_sees_and_writes_only_its_projects_rules(
    collector_factory: Callable[..., Any], clients: Callable[[Any], httpx.Client]
) -> None:
    """A key's new rule is confined to its project; other projects' rules stay hidden."""
    running = collector_factory(alert_interval=0)
    admin = clients(running)
    key = admin.post("/api/v1/keys", json={"project": "a"}).json()["key"]
    other = {"name": "b-errors", "metric": "error_rate", "threshold": "5%"}
    admin.post("/api/v1/alerts/rules", json={**other, "filters": {"project": "b"}})
    with running.client(api_key=key) as scoped:
        created = scoped.post(
            "/api/v1/alerts/rules",
            json={"name": "a-errors", "metric": "error_rate", "threshold": 1},
        )
        names = [r["name"] for r in scoped.get("/api/v1/alerts/rules").json()]
    assert created.json()["spec"]["filters"]["project"] == "a"
    assert names == ["a-errors"]
