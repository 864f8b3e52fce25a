"""``chainsight demo`` as a command: its plan, its flags, the missing extra, the dashboard."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import free_port, wait_until  # tests/conftest.py

from chainsight.cli import main
from chainsight.demo import traffic


def test_plan_is_deterministic_and_sized_by_rate() -> None:
    """The same seed plans the same sessions; turns add up to duration x rate."""
    first = traffic.plan(40, 3, seed=1)
    assert first == traffic.plan(40, 3, seed=1)
    assert first != traffic.plan(40, 3, seed=2)
    assert sum(len(s.questions) for s in first) == 120


def test_plan_switches_to_spanish_after_the_shift() -> None:
    """Sessions starting after the language shift ask in Spanish, earlier ones in English."""
    sessions = traffic.plan(100, 2, seed=3)
    assert all(s.spanish == (s.at_s >= traffic.LANGUAGE_SHIFT * 100) for s in sessions)
    assert any(s.spanish for s in sessions)
    assert any(not s.spanish for s in sessions)
    assert len({s.user_id for s in sessions}) > 3


def test_without_openai_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """No openai client installed: one clear error naming chainsight[demo], nothing started."""
    monkeypatch.setitem(sys.modules, "openai", None)  # makes `import openai` fail
    result = CliRunner().invoke(main, ["demo", "--duration", "1", "--exit", "--no-dashboard"])
    assert result.exit_code == 1
    assert 'pip install "chainsight[demo]"' in result.output
    assert result.exception is not None
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("flag", ["--duration", "--rate"])
def test_non_positive_duration_or_rate_is_refused(flag: str) -> None:
    """A zero duration or rate is a usage error, not a silent no-op."""
    result = CliRunner().invoke(main, ["demo", flag, "0", "--exit", "--no-dashboard"])
    assert result.exit_code == 2
    assert "must be positive" in result.output


def test_demo_serves_the_dashboard_until_interrupted(tmp_path: Path) -> None:
    """Without --no-dashboard the dashboard answers; SIGTERM stops every child cleanly."""
    port, dashboard_port = free_port(), free_port()
    command = [sys.executable, "-m", "chainsight", "demo", "--duration", "3", "--rate", "1"]
    command += ["--data-dir", str(tmp_path / "data"), "--port", str(port)]
    command += ["--dashboard-port", str(dashboard_port)]
    log = (tmp_path / "demo.log").open("w+")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: "Press Ctrl-C" in Path(log.name).read_text(), timeout=90, interval=0.2)
        health = httpx.get(f"http://127.0.0.1:{dashboard_port}/_stcore/health", timeout=5)
        assert health.status_code == 200
        assert f"dashboard: http://127.0.0.1:{dashboard_port}" in Path(log.name).read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    for stopped in (port, dashboard_port):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{stopped}/", timeout=2)
    assert (tmp_path / "data" / "demo-run.json").exists()


def test_sigterm_during_the_traffic_stops_everything_promptly(tmp_path: Path) -> None:
    """Stopped mid-run, the demo ends its sessions and children without playing the plan out."""
    port = free_port()
    command = [sys.executable, "-m", "chainsight", "demo", "--duration", "300", "--rate", "2"]
    command += ["--data-dir", str(tmp_path / "data"), "--port", str(port), "--no-dashboard"]
    log = (tmp_path / "demo.log").open("w+")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: "Playing" in Path(log.name).read_text(), timeout=60, interval=0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0  # far less than the 300 s the plan would take
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
