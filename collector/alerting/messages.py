"""Notification bodies: Alertmanager webhook v4 JSON, Slack incoming-webhook JSON, log text.

Annotations are user-written templates filled with ``string.Template.safe_substitute``
(``$model``, ``$value``, ``$threshold``, ``$window``, ``$rule``, ``$severity`` and every label):
never ``str.format``, which would let a template reach object attributes (the template
injection behind Phoenix CVE-2026-53998). Unknown placeholders are left as written.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from chainsight.storage.model import AlertInstance

from .rules import Channel, Rule
from .units import format_duration, format_quantity

Status = Literal["firing", "resolved"]

_DASHBOARD_RANGES = (("15m", 900), ("1h", 3600), ("6h", 21600), ("24h", 86400), ("7d", 604800))


def alert_labels(rule: Rule, labels: dict[str, str]) -> dict[str, str]:
    """An alert's full label set: name, severity, the rule's labels, then its group labels."""
    return {"alertname": rule.name, "severity": rule.severity, **rule.labels, **labels}


def template_values(rule: Rule, inst: AlertInstance) -> dict[str, str]:
    """What annotation templates may name (plain strings only)."""
    unit = rule.spec.unit
    values = {
        "rule": rule.name,
        "alertname": rule.name,
        "metric": rule.metric,
        "aggregation": rule.aggregation_resolved,
        "value": format_quantity(inst.value, unit),
        "threshold": format_quantity(rule.threshold_value, unit),
        "op": rule.op,
        "window": format_duration(rule.window),
        "for": format_duration(rule.for_),
        "severity": rule.severity,
        "samples": str(inst.samples if inst.samples is not None else 0),
        "model": rule.filters.model or "",
        "service": rule.filters.service or "",
        "project": rule.filters.project or "",
    }
    values.update(alert_labels(rule, inst.labels))
    return values


def render_annotations(rule: Rule, inst: AlertInstance) -> dict[str, str]:
    """The rule's annotations with safe substitution; a default summary when none is given."""
    values = template_values(rule, inst)
    written = dict(rule.annotations)
    written.setdefault(
        "summary",
        "$rule: $aggregation $metric is $value ($op $threshold over $window)",
    )
    return {k: string.Template(v).safe_substitute(values) for k, v in written.items()}


def traces_link(dashboard_url: str | None, rule: Rule, labels: dict[str, str]) -> str:
    """The dashboard's trace list filtered to what the rule watches, over its window."""
    if not dashboard_url:
        return ""
    f = rule.filters
    params: dict[str, str] = {}
    window_range = next((r for r, s in _DASHBOARD_RANGES if s >= rule.window), "30d")
    params["range"] = window_range
    for key, value in (
        ("project", f.project),
        ("model", labels.get("model", f.model)),
        ("service", labels.get("service", f.service)),
        ("name", labels.get("name", f.name)),
        ("tag", labels.get("tag", f.tag)),
        ("user", labels.get("user", f.user)),
        ("kind", f.span_kind or f.kind),
    ):
        if value:
            params[key] = value
    if rule.metric in ("error_rate", "errors"):
        params["status"] = "error"
    elif rule.metric in ("latency", "ttft", "tpot"):
        params["sort"] = "duration_desc"
    elif rule.metric == "cost":
        params["sort"] = "cost_desc"
    return f"{dashboard_url.rstrip('/')}/traces?{urlencode(params)}"


@dataclass(frozen=True, slots=True)
class AlertItem:
    """One alert inside a notification."""

    rule: Rule
    instance: AlertInstance
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str]
    link: str

    def as_v4(self) -> dict[str, Any]:
        inst = self.instance
        ends = inst.resolved_at if self.status == "resolved" else None
        unit = self.rule.spec.unit
        return {
            "status": self.status,
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": _iso(inst.fired_at or inst.active_since),
            "endsAt": _iso(ends) if ends else "0001-01-01T00:00:00Z",
            "generatorURL": self.link,
            "fingerprint": inst.fingerprint,
            "value": inst.value,
            "valueText": format_quantity(inst.value, unit),
            "threshold": self.rule.threshold_value,
            "thresholdText": format_quantity(self.rule.threshold_value, unit),
            "window": format_duration(self.rule.window),
        }


def _iso(value: datetime | None) -> str:
    if value is None:
        return "0001-01-01T00:00:00Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def item(rule: Rule, inst: AlertInstance, status: Status, dashboard_url: str | None) -> AlertItem:
    return AlertItem(
        rule=rule,
        instance=inst,
        status=status,
        labels=alert_labels(rule, inst.labels),
        annotations=render_annotations(rule, inst),
        link=traces_link(dashboard_url, rule, inst.labels),
    )


def group_labels(channel: Channel, labels: dict[str, str]) -> dict[str, str]:
    """The labels a channel groups by (Alertmanager ``group_by``)."""
    return {k: labels.get(k, "") for k in channel.group_by}


def group_key(channel: Channel, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{channel.name}:{{{inner}}}"


def dedupe_key(key: str, status: Status, items: list[AlertItem], at: datetime) -> str:
    """The notification's id: same group, status, alerts and evaluation time = same message."""
    text = json.dumps(
        [key, status, sorted(i.instance.fingerprint for i in items), at.isoformat()],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in maps[1:])}


def webhook_body(
    channel: Channel,
    *,
    key: str,
    status: Status,
    labels: dict[str, str],
    items: list[AlertItem],
    dedupe: str,
    external_url: str,
) -> dict[str, Any]:
    """Alertmanager's webhook payload, version 4, plus ``dedupeKey``."""
    return {
        "version": "4",
        "groupKey": key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": channel.name,
        "groupLabels": labels,
        "commonLabels": _common([i.labels for i in items]),
        "commonAnnotations": _common([i.annotations for i in items]),
        "externalURL": external_url,
        "dedupeKey": dedupe,
        "alerts": [i.as_v4() for i in items],
    }


def slack_escape(text: str) -> str:
    """Slack's three control characters, escaped as its docs require (& first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(status: Status, items: list[AlertItem]) -> dict[str, Any]:
    """A Slack incoming-webhook message: a plain ``text`` fallback and ``blocks``."""
    head = "RESOLVED" if status == "resolved" else "FIRING"
    names = sorted({i.rule.name for i in items})
    text = slack_escape(f"[{head}] {', '.join(names)}: {len(items)} alert(s)")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"[{head}] {', '.join(names)}"}}
    ]
    for i in items[:20]:  # Slack allows 50 blocks per message
        summary = slack_escape(i.annotations.get("summary", i.rule.name))
        label_text = slack_escape(
            ", ".join(f"{k}={v}" for k, v in i.labels.items() if k != "alertname")
        )
        line = f"*{summary}*\n{label_text}"
        runbook = i.annotations.get("runbook_url")
        if i.link:
            line += f"\n<{i.link}|View traces>"
        if runbook and runbook.startswith(("http://", "https://")):
            line += f" · <{runbook}|Runbook>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    if len(items) > 20:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"and {len(items) - 20} more"}],
            }
        )
    return {"text": text, "blocks": blocks}


def log_line(status: Status, items: list[AlertItem]) -> str:
    """One log line per notification."""
    parts = [f"{i.annotations.get('summary', i.rule.name)} [{i.labels}]" for i in items]
    return f"alert {status}: " + "; ".join(parts)


def render(
    channel: Channel,
    status: Status,
    *,
    labels: dict[str, str],
    items: list[AlertItem],
    at: datetime,
    external_url: str,
) -> tuple[str, str, str]:
    """(dedupe key, group key, body text) of one notification to ``channel``."""
    key = group_key(channel, labels)
    dedupe = dedupe_key(key, status, items, at)
    if channel.type == "slack":
        body = json.dumps(slack_body(status, items))
    elif channel.type == "webhook":
        body = json.dumps(
            webhook_body(
                channel,
                key=key,
                status=status,
                labels=labels,
                items=items,
                dedupe=dedupe,
                external_url=external_url,
            )
        )
    else:
        body = log_line(status, items)
    return dedupe, key, body


def repeat_due(last: datetime | None, now: datetime, channel: Channel) -> bool:
    """Whether a still-firing alert is due to be re-sent to ``channel``."""
    return last is None or now - last >= timedelta(seconds=channel.repeat_interval)
