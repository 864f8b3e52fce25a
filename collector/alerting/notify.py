"""From state changes to notifications: which alerts to announce on which channel, grouped
by the channel's labels, repeated every ``repeat_interval`` while firing, held back by
silences (Alertmanager's routing, without ``group_wait``: a breach is sent at once)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from chainsight.storage.model import AlertInstance, AlertNotification, AlertTransition, Silence

from . import messages
from .rules import Channel, Rule


def silenced(silences: Iterable[Silence], labels: dict[str, str], now: datetime) -> bool:
    """Whether an active silence matches every one of its matchers against ``labels``."""
    for s in silences:
        if not s.starts_at <= now < s.ends_at:
            continue
        if all(
            re.fullmatch(m.value, labels.get(m.name, ""))
            if m.regex
            else labels.get(m.name, "") == m.value
            for m in s.matchers
        ):
            return True
    return False


class Notifier:
    """Plans notifications; remembers when each (channel, alert) was last sent for repeats."""

    def __init__(self, dashboard_url: str | None, external_url: str) -> None:
        self.dashboard_url = dashboard_url
        self.external_url = external_url
        self._last_sent: dict[tuple[str, str], datetime] = {}

    def remember(self, notifications: Iterable[AlertNotification]) -> None:
        """Seed repeat times from the notification log (after a restart)."""
        for n in notifications:
            if n.status != "firing" or n.delivery == "silenced":
                continue
            for fp in n.fingerprints:
                key = (n.channel, fp)
                self._last_sent[key] = max(self._last_sent.get(key, n.created_at), n.created_at)

    def plan(  # noqa: PLR0917  # one call site, the evaluator
        self,
        rule: Rule,
        events: list[tuple[AlertInstance, messages.Status]],
        transitions: list[AlertTransition],
        now: datetime,
        silences: list[Silence],
        commit: bool,
        channels: dict[str, Channel],
    ) -> list[tuple[AlertNotification, bool]]:
        """Group this rule's firing/resolved alerts per channel; repeat firing ones when due."""
        moved = {t.fingerprint for t in transitions}
        out: list[tuple[AlertNotification, bool]] = []
        for name in rule.channels:
            channel = channels.get(name)
            if channel is None:
                continue
            groups: dict[tuple[messages.Status, str, bool], list[messages.AlertItem]] = {}
            for inst, status in events:
                key = (channel.name, inst.fingerprint)
                if status == "resolved" and not channel.send_resolved:
                    continue
                repeat = status == "firing" and inst.fingerprint not in moved
                if repeat and not messages.repeat_due(self._last_sent.get(key), now, channel):
                    continue
                item = messages.item(rule, inst, status, self.dashboard_url)
                muted = silenced(silences, item.labels, now)
                labels = messages.group_labels(channel, item.labels)
                gk = messages.group_key(channel, labels)
                groups.setdefault((status, gk, muted), []).append(item)
                if commit and not muted:
                    if status == "firing":
                        self._last_sent[key] = now
                    else:
                        self._last_sent.pop(key, None)
            for (status, _gk, muted), items in groups.items():
                labels = messages.group_labels(channel, items[0].labels)
                dedupe, gk, body = messages.render(
                    channel,
                    status,
                    labels=labels,
                    items=items,
                    at=now,
                    external_url=self.external_url,
                )
                out.append(
                    (
                        AlertNotification(
                            id=dedupe,
                            channel=channel.name,
                            rule=rule.name,
                            status=status,
                            group_key=gk,
                            fingerprints=[i.instance.fingerprint for i in items],
                            body=body,
                            created_at=now,
                            delivery="silenced" if muted else "pending",
                        ),
                        muted,
                    )
                )
        return out
