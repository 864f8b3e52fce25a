"""Fixtures: loopback receivers and a collector with a rules file and on-demand evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .harness import Receiver


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """Start webhook receivers on 127.0.0.1; all stopped at teardown."""
    made: list[Receiver] = []

    def make(**kwargs: Any) -> Receiver:
        made.append(Receiver(**kwargs).start())
        return made[-1]

    yield make
    for receiver in made:
        receiver.stop()


@pytest.fixture
def rules_file(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a rules document as YAML and return its path."""
    path = tmp_path / "rules.yaml"

    def write(document: dict[str, Any]) -> Path:
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def clients() -> Iterator[Callable[[Any], httpx.Client]]:
    """API clients of running collectors, closed at teardown."""
    made: list[httpx.Client] = []

    def make(running: Any) -> httpx.Client:
        made.append(running.client())
        return made[-1]

    yield make
    for client in made:
        client.close()


def webhook(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "webhook", "url": url, "allow_private": True, **extra}


def ttft_rule(**extra: Any) -> dict[str, Any]:
    rule = {
        "name": "slow-first-token",
        "metric": "ttft",
        "aggregation": "p95",
        "window": "5m",
        "op": ">",
        "threshold": "5s",
        "for": "2m",
        "min_samples": 3,
        "channels": ["hook"],
    }
    rule.update(extra)
    return rule


@dataclass
class Setup:
    """Starts a collector with one TTFT rule to one loopback webhook (evaluated on demand)."""

    collector_factory: Callable[..., Any]
    rules_file: Callable[[dict[str, Any]], Path]
    clients: Callable[[Any], httpx.Client]
    receivers: Callable[..., Receiver]

    def start(self, **rule: Any) -> tuple[Receiver, httpx.Client]:
        hook = self.receivers()
        path = self.rules_file(
            {"rules": [ttft_rule(**rule)], "channels": [webhook("hook", hook.url)]}
        )
        running = self.collector_factory(alert_rules=path, alert_interval=0)
        return hook, self.clients(running)


@pytest.fixture
def setup(
    collector_factory: Callable[..., Any],
    rules_file: Callable[[dict[str, Any]], Path],
    clients: Callable[[Any], httpx.Client],
    receivers: Callable[..., Receiver],
) -> Setup:
    """A collector + TTFT rule + webhook receiver factory."""
    return Setup(collector_factory, rules_file, clients, receivers)
