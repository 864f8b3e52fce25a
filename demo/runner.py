"""Run the pieces of ``chainsight demo``: the bundled model server, the collector and the
dashboard, each as a child process (the last two are the commands ``chainsight up`` runs).

The model server runs in its own process, as a real upstream would: its request handling
then competes with neither the app's threads for the GIL (which would inflate the TTFT the
SDK measures) nor shares the app's OpenTelemetry provider (FastAPI >= 0.160 traces its own
routes through the global provider, which would put the server's spans among the app's).

``python -m chainsight.demo.runner --port P --seed S`` starts the model server alone.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import httpx

from chainsight.dashboard.cli import stop_process, wait_http

ALERT_INTERVAL_S = 2.0
"""Alert evaluations every 2 s, so the compressed rules in rules.yaml fire within a run."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for the model server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rules_file() -> Path:
    """The demo's alert rules, shipped inside the package."""
    return Path(str(files("chainsight.demo").joinpath("rules.yaml")))


class ModelServer:
    """The bundled OpenAI-compatible server as a child process on loopback."""

    def __init__(self, seed: int, port: int | None = None) -> None:
        self.seed = seed
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def openai_base_url(self) -> str:
        """What ``openai.OpenAI(base_url=...)`` takes."""
        return f"{self.base_url}/v1"

    def start(self) -> None:
        """Start and wait (bounded) until it accepts requests."""
        command = [sys.executable, "-m", "chainsight.demo.runner"]
        command += ["--port", str(self.port), "--seed", str(self.seed)]
        self._proc = subprocess.Popen(command)
        wait_http(f"{self.base_url}/healthz", self._proc, "the model server")

    def set_latency(self, factor: float) -> None:
        """Multiply every model's time to first token (the demo's upstream regression)."""
        httpx.post(f"{self.base_url}/demo/latency", json={"factor": factor}, timeout=5.0)

    def stop(self) -> None:
        """Stop the child (bounded); harmless when it never started."""
        stop_process(self._proc)

    def __enter__(self) -> ModelServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def collector_command(port: int, data_dir: Path, dashboard_url: str | None) -> list[str]:
    """``chainsight serve`` on loopback over ``data_dir`` with the demo's alert rules."""
    command = [
        sys.executable,
        "-m",
        "chainsight",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--alert-rules",
        str(rules_file()),
        "--alert-interval",
        str(ALERT_INTERVAL_S),
        "--log-level",
        "warning",
    ]
    if dashboard_url is not None:
        command += ["--dashboard-url", dashboard_url]
    return command


def serve_model_server(port: int, seed: int) -> None:
    """Serve the model server in this process until SIGTERM/SIGINT."""
    import uvicorn

    from .server import create_app

    uvicorn.run(
        create_app(seed=seed),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="off",
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m chainsight.demo.runner``: the model server alone."""
    parser = argparse.ArgumentParser(description="The demo's OpenAI-compatible model server.")
    parser.add_argument("--port", type=int, default=8600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    serve_model_server(args.port, args.seed)


if __name__ == "__main__":
    main()
