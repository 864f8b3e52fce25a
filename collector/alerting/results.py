"""What the alert API answers about rules and evaluations (JSON bodies of /api/v1/alerts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from chainsight.storage.model import AlertOutcome, AlertState


class RuleView(BaseModel):
    """A rule as listed: its definition, where it came from and its instances' states."""

    name: str
    source: str  # file | api | default
    enabled: bool
    spec: dict[str, Any]
    unit: str
    threshold_value: float
    states: dict[str, int]  # instances per state
    last_error: str | None = None


class InstanceResult(BaseModel):
    """One instance after one evaluation."""

    labels: dict[str, str]
    fingerprint: str
    outcome: AlertOutcome
    value: float | None
    value_text: str
    samples: int
    previous_state: AlertState
    state: AlertState
    error: str | None = None


class NotificationPreview(BaseModel):
    """A message an evaluation sent (or, for a test, would send)."""

    id: str
    channel: str
    channel_type: str
    status: str
    group_key: str
    silenced: bool
    body: str


class RuleResult(BaseModel):
    """One rule's evaluation: every instance's value and state, and its notifications."""

    rule: str
    evaluated_at: datetime
    threshold: float
    threshold_text: str
    op: str
    window_s: float
    instances: list[InstanceResult]
    notifications: list[NotificationPreview]
    error: str | None = None


class SeriesPoint(BaseModel):
    """One point of a rule's metric chart."""

    at: datetime
    labels: dict[str, str]
    value: float | None
    samples: int


class RuleSeries(BaseModel):
    """A rule's metric over time with its threshold, for the dashboard chart."""

    rule: str
    threshold: float
    op: str
    unit: str
    bucket_seconds: int
    points: list[SeriesPoint]


class EvaluatorStatus(BaseModel):
    """The evaluator's health: rules file problems, last run and its cost."""

    rules_file: str | None
    rules_file_error: str | None
    using_defaults: bool
    interval_s: float
    last_evaluation_at: datetime | None
    last_duration_ms: float | None
    evaluations: int
