"""``chainsight dashboard`` and ``chainsight up`` (registered lazily by ``chainsight.cli``).

``dashboard`` runs ``streamlit run`` on the entry script as a child process, headless,
with the collector address and key passed in its environment. ``up`` starts the collector
(``chainsight serve``) and the dashboard together, waits until both answer, prints the
URL, and stops both on Ctrl-C or SIGTERM (and when either exits).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click
import httpx

from .client import API_KEY_ENV, COLLECTOR_URL_ENV, DEFAULT_COLLECTOR_URL

APP_SCRIPT = Path(__file__).resolve().parent / "app.py"
START_TIMEOUT_S = 60.0
"""A cold start imports DuckDB, FastAPI and Streamlit: a few seconds on this 2-core box."""
STOP_TIMEOUT_S = 15.0


class _Stop(Exception):
    """Raised from the SIGTERM handler so ``finally`` blocks stop the children."""


def streamlit_command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` argv: headless, no telemetry, no file watcher, no browser.

    Streamlit runs through :mod:`chainsight.dashboard.serve`, which imports the pages'
    libraries before the server listens, so the first visitor does not wait for them.
    """
    return [
        sys.executable,
        "-m",
        "chainsight.dashboard.serve",
        "run",
        str(APP_SCRIPT),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--runner.magicEnabled",
        "false",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
    ]


def dashboard_env(collector: str, api_key: str | None) -> dict[str, str]:
    """The child's environment: ours plus the collector address and key."""
    env = {**os.environ, COLLECTOR_URL_ENV: collector}
    if api_key:
        env[API_KEY_ENV] = api_key
    else:
        env.pop(API_KEY_ENV, None)
    return env


def wait_http(url: str, proc: subprocess.Popen[bytes] | None, what: str) -> None:
    """Poll ``url`` until it answers 200; fail if ``proc`` exits or the deadline passes."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise click.ClickException(f"{what} exited with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet; poll again until the deadline
        time.sleep(0.2)
    raise click.ClickException(f"{what} did not answer {url} within {START_TIMEOUT_S:.0f} s")


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``; harmless when already stopped."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT_S)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def with_sigterm(body: Callable[[], int]) -> int:
    """Run ``body`` with SIGTERM raising inside it; Ctrl-C or SIGTERM returns 0."""
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        return body()
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _http_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Dashboard address.")
@click.option("--port", type=int, default=8501, show_default=True, help="Dashboard port.")
@click.option(
    "--collector",
    envvar=COLLECTOR_URL_ENV,
    default=DEFAULT_COLLECTOR_URL,
    show_default=True,
    help=f"Collector base URL [{COLLECTOR_URL_ENV}].",
)
@click.option(
    "--api-key", envvar=API_KEY_ENV, default=None, help=f"Project API key [{API_KEY_ENV}]."
)
def dashboard(host: str, port: int, collector: str, api_key: str | None) -> None:
    """Run the dashboard (Streamlit) against a collector's query API."""
    proc = subprocess.Popen(streamlit_command(host, port), env=dashboard_env(collector, api_key))

    def run() -> int:
        wait_http(f"http://{_http_host(host)}:{port}/_stcore/health", proc, "the dashboard")
        click.echo(
            f"Chainsight dashboard: http://{_http_host(host)}:{port}  (collector {collector})"
        )
        return proc.wait()

    try:
        code = with_sigterm(run)
    finally:
        stop_process(proc)
    if code:
        sys.exit(code)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for both servers.")
@click.option("--port", type=int, default=4318, show_default=True, help="Collector port.")
@click.option("--dashboard-port", type=int, default=8501, show_default=True, help="Dashboard port.")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Collector data folder [CHAINSIGHT_DATA_DIR].",
)
@click.option("--store-url", default=None, help="Collector store URL [CHAINSIGHT_STORE_URL].")
@click.option(
    "--pricing-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="JSON price entries [CHAINSIGHT_PRICING_FILE].",
)
@click.option("--retention-days", type=float, default=None, help="[CHAINSIGHT_RETENTION_DAYS]")
@click.option("--log-level", default=None, help="Collector log level [CHAINSIGHT_LOG_LEVEL].")
@click.option(
    "--api-key",
    envvar=API_KEY_ENV,
    default=None,
    help=f"Key the dashboard sends when the collector has keys [{API_KEY_ENV}].",
)
def up(host: str, port: int, dashboard_port: int, api_key: str | None, **serve_flags: Any) -> None:
    """Start the collector and the dashboard together; Ctrl-C stops both."""
    serve = [sys.executable, "-m", "chainsight", "serve", "--host", host, "--port", str(port)]
    for name, value in serve_flags.items():
        if value is not None:
            serve += [f"--{name.replace('_', '-')}", str(value)]
    collector_url = f"http://{_http_host(host)}:{port}"
    children: list[subprocess.Popen[bytes]] = []

    def run() -> int:
        children.append(subprocess.Popen(serve))
        wait_http(f"{collector_url}/healthz", children[0], "the collector")
        children.append(
            subprocess.Popen(
                streamlit_command(host, dashboard_port), env=dashboard_env(collector_url, api_key)
            )
        )
        dash_url = f"http://{_http_host(host)}:{dashboard_port}"
        wait_http(f"{dash_url}/_stcore/health", children[1], "the dashboard")
        click.echo(
            f"Chainsight is up.\n  dashboard: {dash_url}\n  collector: {collector_url} "
            f"(OTLP/HTTP {collector_url}/v1/traces)\nPress Ctrl-C to stop both."
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return next(c.returncode for c in children if c.returncode is not None)

    try:
        code = with_sigterm(run)
    finally:
        for child in reversed(children):
            stop_process(child)
    if code:
        sys.exit(code)
