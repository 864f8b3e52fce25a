"""``chainsight alerts`` against a running collector (the only process holding the store)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from chainsight.cli import main

from .conftest import ttft_rule
from .harness import at, llm_span, send


def _collector(
    collector_factory: Callable[..., Any], rules_file: Callable[[dict[str, Any]], Path]
) -> Any:
    path = rules_file({"rules": [ttft_rule(**{"for": "0s"}, channels=["log"])]})
    running = collector_factory(alert_rules=path, alert_interval=0)
    with running.client() as client:
        send(client, [llm_span(at(1 + k / 10), ttft_s=9.0) for k in range(5)])
    return running


def test_alerts_test_prints_value_state_and_message(
    collector_factory: Callable[..., Any], rules_file: Callable[[dict[str, Any]], Path]
) -> None:
    """`alerts test RULE` shows the value, the next state and the notification it would send."""
    running = _collector(collector_factory, rules_file)
    port = str(running.settings.port)
    args = ["alerts", "--port", port, "test", "slow-first-token", "--now", at(5).isoformat()]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "value 9s (5 samples, breach) state inactive -> firing" in result.output
    assert "would send to log (log)" in result.output


def test_alerts_list_shows_rules(
    collector_factory: Callable[..., Any], rules_file: Callable[[dict[str, Any]], Path]
) -> None:
    """`alerts list` names each rule with its source."""
    running = _collector(collector_factory, rules_file)
    result = CliRunner().invoke(main, ["alerts", "--port", str(running.settings.port), "list"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("slow-first-token [file]:")


def test_alerts_cli_explains_an_absent_collector() -> None:
    """Without a running collector the command fails with a clear message, not a trace."""
    from tests.conftest import free_port

    result = CliRunner().invoke(main, ["alerts", "--port", str(free_port()), "list"])
    assert result.exit_code == 1
    assert "is it running?" in result.output
