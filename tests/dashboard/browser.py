"""Real-browser harness: the dashboard as a ``streamlit run`` child process on a free
loopback port, and Debian's Chromium driven by Playwright (never a downloaded browser).

Shared by the browser tests, ``scripts/screenshots.py`` and the page-load benchmark.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from chainsight.dashboard.cli import dashboard_env, streamlit_command

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_dashboard(
    collector_url: str, *, api_key: str | None = None, log_dir: Path | None = None
) -> Iterator[str]:
    """Start the dashboard against ``collector_url``; yields its URL; always stops it."""
    port = _free_port()
    log_path = (log_dir or Path(tempfile.gettempdir())) / f"dashboard-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            streamlit_command("127.0.0.1", port),
            env=dashboard_env(collector_url, api_key),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited: {log_path.read_text()}")
                try:
                    if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass  # still starting: poll until the deadline
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {log_path.read_text()}")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's) with a fresh profile; yields a Playwright Browser."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1440, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


def wait_for_app(page: Any, timeout_ms: float = 30_000) -> None:
    """Wait until Streamlit finished the script run (no running indicator, app present)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && document.querySelector('[data-testid="stMainBlockContainer"]')
                && !document.querySelector('[data-testid="stSkeleton"], .stSkeleton');
        }""",
        timeout=timeout_ms,
    )


def chromium_available() -> bool:
    """Whether Debian's Chromium is installed (scripts/test.sh installs it)."""
    return os.path.exists(CHROMIUM)
