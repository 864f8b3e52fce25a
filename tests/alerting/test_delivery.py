"""Notifications through real loopback receivers: signatures, Slack format, silences,
isolation of a hanging receiver, the SSRF guard and at-least-once bookkeeping."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_until

from .conftest import ttft_rule, webhook
from .harness import Receiver, at, evaluate, llm_span, send


def _breach(client: httpx.Client) -> None:
    send(client, [llm_span(at(1 + k / 10), ttft_s=9.0) for k in range(5)])


def _collector(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    clients: Callable[[Any], httpx.Client],
    rules: list[dict[str, Any]],
    channels: list[dict[str, Any]],
) -> httpx.Client:
    path = rules_file({"rules": rules, "channels": channels})
    return clients(collector_factory(alert_rules=path, alert_interval=0))


@pytest.fixture
def start(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    clients: Callable[[Any], httpx.Client],
) -> Callable[[list[dict[str, Any]], list[dict[str, Any]]], httpx.Client]:
    """Start a collector with these rules and channels (evaluated on demand)."""

    def run(rules: list[dict[str, Any]], channels: list[dict[str, Any]]) -> httpx.Client:
        return _collector(collector_factory, rules_file, clients, rules, channels)

    return run


def test_webhook_signature_verifies_with_the_shared_secret(
    start: Callable[..., httpx.Client],
    receivers: Callable[..., Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HMAC-SHA256 over timestamp + '.' + body matches the signature header."""
    monkeypatch.setenv("CS_ALERT_TEST_SECRET", "s3cret")
    hook = receivers()
    client = start(
        [ttft_rule(**{"for": "0s"})],
        [webhook("hook", hook.url, secret_env="CS_ALERT_TEST_SECRET")],
    )
    _breach(client)
    evaluate(client, at(5))
    got = hook.wait_for(1)[0]
    ts = got.headers["x-chainsight-timestamp"]
    expected = hmac.new(b"s3cret", ts.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-chainsight-signature"] == f"sha256={expected}"


def test_dedupe_key_header_matches_the_body(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """Receivers can dedupe on the header or the body's dedupeKey (at-least-once)."""
    hook = receivers()
    client = start([ttft_rule(**{"for": "0s"})], [webhook("hook", hook.url)])
    _breach(client)
    evaluate(client, at(5))
    got = hook.wait_for(1)[0]
    assert got.headers["x-chainsight-dedupe-key"] == got.json()["dedupeKey"]


def test_slack_message_escapes_control_characters(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """& < > in annotations reach Slack escaped, in the text and the blocks."""
    hook = receivers()
    rule = ttft_rule(**{"for": "0s"}, annotations={"summary": "p95 <b>&</b> $value"})
    client = start(
        [rule], [{"name": "hook", "type": "slack", "url": hook.url, "allow_private": True}]
    )
    _breach(client)
    evaluate(client, at(5))
    body = hook.wait_for(1)[0].json()
    section = body["blocks"][1]["text"]["text"]
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in section and "<b>" not in section
    assert body["text"].startswith("[FIRING]")


def test_silence_suppresses_the_notification(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """A matching silence keeps the alert firing but sends nothing (logged as silenced)."""
    hook = receivers()
    client = start([ttft_rule(**{"for": "0s"})], [webhook("hook", hook.url)])
    created = client.post(
        "/api/v1/alerts/silences",
        json={
            "matchers": [{"name": "alertname", "value": "slow-first-token"}],
            "starts_at": at(0).isoformat(),
            "ends_at": at(60).isoformat(),
        },
    )
    assert created.status_code == 201
    _breach(client)
    results = evaluate(client, at(5))
    assert results[0]["instances"][0]["state"] == "firing"
    log = client.get("/api/v1/alerts/notifications").json()
    assert [n["delivery"] for n in log] == ["silenced"]
    assert hook.requests == []


def test_hanging_receiver_does_not_delay_another_channel(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """A receiver that never answers holds only its own worker, not evaluation or others."""
    stuck = receivers(hang=threading.Event())
    fine = receivers()
    client = start(
        [ttft_rule(**{"for": "0s"}, channels=["stuck", "fine"])],
        [webhook("stuck", stuck.url, timeout="30s"), webhook("fine", fine.url)],
    )
    _breach(client)
    evaluate(client, at(5))
    assert fine.wait_for(1)[0].json()["status"] == "firing"
    assert stuck.requests == []
    assert evaluate(client, at(6))[0]["instances"][0]["state"] == "firing"


def test_ssrf_guard_refuses_loopback_without_allow_private(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """A webhook to 127.0.0.1 is refused unless the channel sets allow_private."""
    hook = receivers()
    channel = webhook("hook", hook.url, allow_private=False, max_retries=0)
    client = start([ttft_rule(**{"for": "0s"})], [channel])
    _breach(client)
    evaluate(client, at(5))
    failed = wait_until(
        lambda: client.get("/api/v1/alerts/notifications", params={"delivery": "failed"}).json()
    )
    assert "internal address" in failed[0]["last_error"]
    assert hook.requests == []


def test_failing_receiver_is_retried_then_flagged(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """A 500-answering receiver gets every retry; after failure_threshold it is flagged."""
    hook = receivers(status=500)
    channel = webhook("hook", hook.url, max_retries=1, failure_threshold=1)
    client = start([ttft_rule(**{"for": "0s"})], [channel])
    _breach(client)
    evaluate(client, at(5))
    flagged = wait_until(
        lambda: [c for c in client.get("/api/v1/alerts/channels").json() if c["flagged"]]
    )
    assert (flagged[0]["name"], len(hook.requests)) == ("hook", 2)


def test_undelivered_notification_is_resent_after_restart(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    receivers: Callable[..., Receiver],
    tmp_path: Path,
) -> None:
    """At-least-once: a message still pending at shutdown is delivered after a restart."""
    hook = receivers(status=503)
    channel = webhook("hook", hook.url, max_retries=10)
    path = rules_file({"rules": [ttft_rule(**{"for": "0s"})], "channels": [channel]})
    data = tmp_path / "data"
    first = collector_factory(data_dir=data, alert_rules=path, alert_interval=0)
    with first.client() as client:
        _breach(client)
        evaluate(client, at(5))
        hook.wait_for(1)
    first.stop()
    hook.status = 200
    second = collector_factory(data_dir=data, alert_rules=path, alert_interval=0)
    with second.client() as client:
        delivered = wait_until(
            lambda: client.get(
                "/api/v1/alerts/notifications", params={"delivery": "delivered"}
            ).json()
        )
    assert delivered[0]["status"] == "firing"
    assert hook.requests[-1].json()["dedupeKey"] == delivered[0]["id"]


def test_still_firing_alert_is_repeated_after_repeat_interval(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """A firing alert is re-sent once repeat_interval has passed, not before."""
    hook = receivers()
    client = start(
        [ttft_rule(**{"for": "0s"}, window="30m")],
        [webhook("hook", hook.url, repeat_interval="10m")],
    )
    _breach(client)
    evaluate(client, at(5))
    evaluate(client, at(10))
    evaluate(client, at(15))
    hook.wait_for(2)
    wait_until(
        lambda: (
            client.get("/api/v1/alerts/notifications", params={"delivery": "pending"}).json() == []
        )
    )
    received = list(hook.requests)
    assert [r.json()["status"] for r in received] == ["firing", "firing"]
    assert len({r.json()["dedupeKey"] for r in received}) == 2


def test_alerts_of_one_evaluation_are_grouped_into_one_message(
    start: Callable[..., httpx.Client], receivers: Callable[..., Receiver]
) -> None:
    """Two models firing together reach the channel as one message with two alerts."""
    hook = receivers()
    client = start([ttft_rule(**{"for": "0s"}, group_by=["model"])], [webhook("hook", hook.url)])
    spans = [llm_span(at(1 + k / 10), ttft_s=9.0, model=m) for m in ("a", "b") for k in range(3)]
    send(client, spans)
    evaluate(client, at(5))
    body = hook.wait_for(1)[0].json()
    assert sorted(a["labels"]["model"] for a in body["alerts"]) == ["a", "b"]
    assert body["groupLabels"] == {"alertname": "slow-first-token"}
