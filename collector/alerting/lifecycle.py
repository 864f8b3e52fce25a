"""One alert instance's state machine, as a pure function (Prometheus rules/alerting.go).

    inactive/resolved --condition--> pending --held for `for`--> firing
    pending  --one evaluation without the condition--> inactive (the `for` clock restarts)
    firing   --condition clear for keep_firing_for--> resolved (announced)

What "the condition" is depends on the evaluation's outcome: ``breach`` holds it; ``ok``
and ``insufficient`` (fewer than ``min_samples`` spans) clear it; ``no_data`` and ``error``
follow the rule's ``no_data`` / ``on_error`` policy — ``alert`` holds it, ``ok`` clears it,
``keep_last`` changes nothing (so an absent metric never silently resolves an alert).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chainsight.storage.model import AlertInstance, AlertOutcome, AlertTransition

from .rules import Rule

Effect = Literal["hold", "clear", "keep"]


def fingerprint(rule: str, labels: dict[str, str]) -> str:
    """A stable id of (rule, group labels): the receivers' dedupe key for one alert."""
    text = json.dumps({"alertname": rule, **labels}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def effect(rule: Rule, outcome: AlertOutcome) -> Effect:
    """Whether an outcome holds the condition, clears it, or keeps the last state."""
    if outcome == "breach":
        return "hold"
    if outcome in ("ok", "insufficient"):
        return "clear"
    policy = rule.no_data if outcome == "no_data" else rule.on_error
    return {"alert": "hold", "ok": "clear", "keep_last": "keep"}[policy]  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Observation:
    """What one evaluation found for one instance."""

    labels: dict[str, str]
    outcome: AlertOutcome
    value: float | None
    samples: int
    error: str | None = None


def step(
    rule: Rule, previous: AlertInstance | None, seen: Observation, now: datetime
) -> tuple[AlertInstance, AlertTransition | None]:
    """The instance after this evaluation, and the transition when its state changed."""
    fp = fingerprint(rule.name, seen.labels)
    inst = previous or AlertInstance(
        rule=rule.name, fingerprint=fp, labels=seen.labels, state="inactive"
    )
    update: dict[str, object] = {
        "outcome": seen.outcome,
        "value": seen.value,
        "samples": seen.samples,
        "threshold": rule.threshold_value,
        "last_eval_at": now,
        "error": seen.error,
    }
    state = inst.state
    how = effect(rule, seen.outcome)
    if how == "hold":
        update["last_breach_at"] = now
        if state in ("inactive", "resolved"):
            update["active_since"] = now
            update["resolved_at"] = None
            state = "pending"
        since = update.get("active_since", inst.active_since) or now
        if state == "pending" and now - since >= timedelta(seconds=rule.for_):  # type: ignore[operator]
            state = "firing"
            update["fired_at"] = now
    elif how == "clear":
        if state == "pending":
            state = "inactive"
            update["active_since"] = None
        elif state == "firing":
            last = inst.last_breach_at
            hysteresis = timedelta(seconds=rule.keep_firing_for)
            if not (rule.keep_firing_for > 0 and last is not None and now - last < hysteresis):
                state = "resolved"
                update["resolved_at"] = now
                update["active_since"] = None
    update["state"] = state
    new = inst.model_copy(update=update)
    if state == inst.state:
        return new, None
    return new, AlertTransition(
        rule=rule.name,
        fingerprint=inst.fingerprint,
        labels=inst.labels,
        at=now,
        from_state=inst.state,
        to_state=state,
        outcome=seen.outcome,
        value=seen.value,
        threshold=rule.threshold_value,
    )
