"""Rule state through a real collector: pending → firing → resolved, `for`, min_samples,
no-data policies, keep_firing_for — driven by explicit evaluation times."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import wait_until

from .conftest import Setup
from .harness import at, evaluate, llm_span, send, state_of


def _idle(client: httpx.Client) -> bool:
    return client.get("/api/v1/alerts/notifications", params={"delivery": "pending"}).json() == []


def _minutes(
    client: httpx.Client, start: int, end: int, ttft_s: float, per_minute: int = 3
) -> None:
    send(
        client,
        [
            llm_span(at(m + k / 10), ttft_s=ttft_s)
            for m in range(start, end)
            for k in range(per_minute)
        ],
    )


def test_breach_goes_pending_then_firing_with_exactly_one_notification(
    setup: Setup,
) -> None:
    """A breach is pending until `for` has passed, then fires and notifies once."""
    hook, client = setup.start()
    _minutes(client, 0, 12, ttft_s=8.0)
    assert state_of(evaluate(client, at(5)), "slow-first-token") == ["pending"]
    assert state_of(evaluate(client, at(6)), "slow-first-token") == ["pending"]
    assert state_of(evaluate(client, at(7)), "slow-first-token") == ["firing"]
    evaluate(client, at(8))
    evaluate(client, at(9))
    hook.wait_for(1)
    wait_until(lambda: _idle(client))
    assert len(hook.requests) == 1
    body = hook.requests[0].json()
    assert (body["version"], body["status"], body["alerts"][0]["labels"]["alertname"]) == (
        "4",
        "firing",
        "slow-first-token",
    )


def test_recovery_sends_a_resolved_notification(
    setup: Setup,
) -> None:
    """Once the condition clears, a firing alert resolves and says so."""
    hook, client = setup.start(**{"for": "0s"})
    _minutes(client, 0, 5, ttft_s=8.0)
    _minutes(client, 5, 12, ttft_s=0.2)
    assert state_of(evaluate(client, at(5)), "slow-first-token") == ["firing"]
    assert state_of(evaluate(client, at(11)), "slow-first-token") == ["resolved"]
    received = hook.wait_for(2)
    assert [r.json()["status"] for r in received] == ["firing", "resolved"]


def test_one_good_evaluation_resets_pending(
    setup: Setup,
) -> None:
    """`for` must hold continuously: one evaluation below threshold drops pending."""
    _hook, client = setup.start(window="1m")
    _minutes(client, 0, 2, ttft_s=8.0)
    _minutes(client, 2, 3, ttft_s=0.2)
    _minutes(client, 3, 6, ttft_s=8.0)
    assert state_of(evaluate(client, at(1)), "slow-first-token") == ["pending"]
    assert state_of(evaluate(client, at(2)), "slow-first-token") == ["pending"]
    assert state_of(evaluate(client, at(3)), "slow-first-token") == ["inactive"]
    assert state_of(evaluate(client, at(4)), "slow-first-token") == ["pending"]
    assert state_of(evaluate(client, at(5)), "slow-first-token") == ["pending"]


def test_min_samples_guards_against_a_few_requests(
    setup: Setup,
) -> None:
    """Fewer spans than min_samples never start an alert, however slow they are."""
    _hook, client = setup.start(min_samples=20, **{"for": "0s"})
    _minutes(client, 0, 5, ttft_s=30.0)
    results = evaluate(client, at(5))
    assert [(i["outcome"], i["state"]) for i in results[0]["instances"]] == [
        ("insufficient", "inactive")
    ]


@pytest.mark.parametrize(
    ("policy", "expected"), [("alert", "firing"), ("ok", "resolved"), ("keep_last", "firing")]
)
def test_no_data_policy_decides_a_firing_alerts_fate(
    setup: Setup,
    policy: str,
    expected: str,
) -> None:
    """With no spans in the window, no_data=alert keeps firing, ok resolves, keep_last holds."""
    _hook, client = setup.start(no_data=policy, **{"for": "0s"})
    _minutes(client, 0, 5, ttft_s=8.0)
    assert state_of(evaluate(client, at(5)), "slow-first-token") == ["firing"]
    results = evaluate(client, at(30))
    assert [(i["outcome"], i["state"]) for i in results[0]["instances"]] == [("no_data", expected)]


def test_no_data_alert_policy_fires_on_an_absent_metric(
    setup: Setup,
) -> None:
    """no_data=alert treats silence as a breach: pending, then firing after `for`."""
    _hook, client = setup.start(no_data="alert", **{"for": "1m"})
    assert state_of(evaluate(client, at(0)), "slow-first-token") == ["pending"]
    assert state_of(evaluate(client, at(1)), "slow-first-token") == ["firing"]


def test_keep_firing_for_holds_after_the_condition_clears(
    setup: Setup,
) -> None:
    """keep_firing_for keeps an alert firing through a short dip, then resolves."""
    _hook, client = setup.start(
        window="1m",
        keep_firing_for="2m",
        **{"for": "0s"},
    )
    _minutes(client, 0, 1, ttft_s=8.0)
    _minutes(client, 1, 5, ttft_s=0.2)
    assert state_of(evaluate(client, at(1)), "slow-first-token") == ["firing"]
    assert state_of(evaluate(client, at(2)), "slow-first-token") == ["firing"]
    assert state_of(evaluate(client, at(3)), "slow-first-token") == ["resolved"]


def test_grouped_rule_keeps_one_instance_per_model(
    setup: Setup,
) -> None:
    """group_by: [model] fires only for the slow model."""
    _hook, client = setup.start(group_by=["model"], **{"for": "0s"})
    send(client, [llm_span(at(1 + k / 10), ttft_s=8.0, model="slow") for k in range(5)])
    send(client, [llm_span(at(1 + k / 10), ttft_s=0.1, model="fast") for k in range(5)])
    results = evaluate(client, at(5))
    states = {i["labels"]["model"]: i["state"] for i in results[0]["instances"]}
    assert states == {"slow": "firing", "fast": "inactive"}
