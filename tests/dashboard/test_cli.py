"""`chainsight dashboard` and `chainsight up` as real processes: they serve, print the URL
and stop everything they started on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import DEADLINE_S, free_port, wait_until

START_S = 90.0


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _refuses(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.ConnectError:
        return True
    return False


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(DEADLINE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(DEADLINE_S)
        raise


def test_dashboard_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The dashboard answers on its port and goes away on SIGTERM."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chainsight",
            "dashboard",
            "--port",
            str(port),
            "--collector",
            f"http://127.0.0.1:{free_port()}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _answers(f"{url}/_stcore/health"), timeout=START_S)
    finally:
        code = _stop(proc)
    assert code == 0
    assert _refuses(f"{url}/_stcore/health")


def test_up_starts_both_prints_the_url_and_stops_both(tmp_path: Path) -> None:
    """`up` serves the collector and the dashboard, prints the URL, and SIGTERM stops both."""
    port, dash_port = free_port(), free_port()
    out = tmp_path / "up.out"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chainsight",
                "up",
                "--port",
                str(port),
                "--dashboard-port",
                str(dash_port),
                "--data-dir",
                str(tmp_path / "data"),
                "--log-level",
                "warning",
            ],
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: "dashboard: http" in out.read_text(), timeout=START_S)
        finally:
            code = _stop(proc)
    assert f"dashboard: http://127.0.0.1:{dash_port}" in out.read_text()
    assert code == 0
    assert _refuses(f"http://127.0.0.1:{port}/healthz")
    assert _refuses(f"http://127.0.0.1:{dash_port}/_stcore/health")
