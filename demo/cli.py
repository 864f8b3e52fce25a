"""``chainsight demo``: collector + dashboard + a support bot's traffic, in one command.

Starts the bundled model server, the collector (embedded DuckDB in ``--data-dir``, the
demo's compressed alert rules) and the dashboard, then plays a seeded, bounded traffic plan
through the SDK (docs/demo.md). Keeps serving until Ctrl-C, or stops once the traffic ends
with ``--exit`` (the data stays in the data directory, with ``demo-run.json`` describing
the run).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

DEFAULT_DATA_DIR = Path("chainsight-demo-data")
PROJECT = "demo"
SERVICE = "support-bot"
RUN_FILE = "demo-run.json"


BASELINE = "demo-english"
"""Reference period saved after a run: its traffic before the language shift."""


def _save_baseline(collector_url: str, start: str, end: str) -> bool:
    """Save the pre-shift traffic as a drift reference period (the Drift page's baseline)."""
    import httpx

    body = {
        "name": BASELINE,
        "start": start,
        "end": end,
        "project": PROJECT,
        "description": "chainsight demo: English-speaking traffic before the Spanish launch",
    }
    try:
        response = httpx.post(f"{collector_url}/api/v1/drift/references", json=body, timeout=10.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:  # the data is still there; only the shortcut is missing
        click.echo(f"Could not save the drift reference period: {exc}", err=True)
        return False
    return True


def _require_demo_extra() -> None:
    """The demo app talks through the real ``openai`` client, which only the extra installs."""
    try:
        import openai  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            "'chainsight demo' needs the demo extra (the openai client): "
            'pip install "chainsight[demo]"'
        ) from exc


@click.command()
@click.option(
    "--duration", type=float, default=120.0, show_default=True, help="Seconds of traffic."
)
@click.option(
    "--rate",
    type=float,
    default=1.5,
    show_default=True,
    help="Support-bot turns (requests) per second.",
)
@click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="Seed of the traffic plan and the model server.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    help="Collector data folder (the DuckDB file and demo-run.json).",
)
@click.option("--port", type=int, default=4318, show_default=True, help="Collector port.")
@click.option("--dashboard-port", type=int, default=8501, show_default=True, help="Dashboard port.")
@click.option("--no-dashboard", is_flag=True, help="Do not start the dashboard (scripts, tests).")
@click.option("--exit", "exit_", is_flag=True, help="Stop everything once the traffic ends.")
def demo(  # noqa: PLR0917  # click passes one argument per option
    duration: float,
    rate: float,
    seed: int,
    data_dir: Path,
    port: int,
    dashboard_port: int,
    no_dashboard: bool,
    exit_: bool,
) -> None:
    """Run the collector, the dashboard and a demo app's traffic on the embedded DuckDB."""
    _require_demo_extra()
    import chainsight
    from chainsight.dashboard.cli import (
        dashboard_env,
        stop_process,
        streamlit_command,
        wait_http,
        with_sigterm,
    )

    from . import traffic
    from .runner import ModelServer, collector_command
    from .support_bot import SupportBot

    if duration <= 0 or rate <= 0:
        raise click.BadParameter("--duration and --rate must be positive")
    data_dir.mkdir(parents=True, exist_ok=True)
    collector_url = f"http://127.0.0.1:{port}"
    dash_url = None if no_dashboard else f"http://127.0.0.1:{dashboard_port}"
    children: list[subprocess.Popen[bytes]] = []
    model_server = ModelServer(seed)

    def run() -> int:
        model_server.start()
        children.append(subprocess.Popen(collector_command(port, data_dir, dash_url)))
        wait_http(f"{collector_url}/healthz", children[0], "the collector")
        if dash_url is not None:
            env = dashboard_env(collector_url, None)
            children.append(
                subprocess.Popen(streamlit_command("127.0.0.1", dashboard_port), env=env)
            )
            wait_http(f"{dash_url}/_stcore/health", children[1], "the dashboard")
        click.echo(f"Chainsight demo\n  dashboard: {dash_url or '(not started)'}")
        click.echo(f"  collector: {collector_url}\n  model server: {model_server.base_url}")
        sessions = traffic.plan(duration, rate, seed)
        turns = sum(len(s.questions) for s in sessions)
        click.echo(f"Playing {turns} turns in {len(sessions)} sessions over {duration:.0f} s ...")
        chainsight.init(project=PROJECT, endpoint=collector_url, service_name=SERVICE)
        bot = SupportBot(model_server.openai_base_url)
        report = traffic.run(
            bot,
            sessions,
            duration_s=duration,
            set_latency=model_server.set_latency,
            seed=seed,
        )
        chainsight.flush()
        (data_dir / RUN_FILE).write_text(json.dumps(report.as_dict(), indent=2), encoding="utf-8")
        click.echo(
            f"Traffic done: {report.turns} turns ({report.failed_turns} failed). "
            f"Run summary: {data_dir / RUN_FILE}"
        )
        if report.language_shift and _save_baseline(
            collector_url, report.started, report.language_shift
        ):
            click.echo(f"Drift baseline saved as the reference period {BASELINE!r}")
            if dash_url is not None:
                page = f"{dash_url}/drift?project={PROJECT}&range=1h&baseline_mode=reference"
                click.echo(f"  compare on the Drift page: {page}")
        if exit_:
            return 0
        click.echo(f"Open {dash_url or collector_url}. Press Ctrl-C to stop.")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 0

    try:
        with_sigterm(run)
    finally:  # also after Ctrl-C/SIGTERM (with_sigterm returns): stop the children
        chainsight.shutdown()
        for child in reversed(children):
            stop_process(child)
        model_server.stop()
    code = next((c.returncode for c in children if c.returncode), 0)
    if code and code != -signal.SIGTERM:
        sys.exit(code)
