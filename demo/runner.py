"""Run the pieces of ``chainsight demo``: the bundled model server in a thread, the collector
and the dashboard as child processes (the same commands ``chainsight up`` runs)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from importlib.resources import files
from pathlib import Path

import httpx
import uvicorn

from .server import create_app

ALERT_INTERVAL_S = 2.0
"""Alert evaluations every 2 s, so the compressed rules in rules.yaml fire within a run."""
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for the model server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rules_file() -> Path:
    """The demo's alert rules, shipped inside the package."""
    return Path(str(files("chainsight.demo").joinpath("rules.yaml")))


class ModelServer:
    """The bundled OpenAI-compatible server under uvicorn in a daemon thread."""

    def __init__(self, seed: int, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(seed=seed),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="none",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="demo-model-server")

    def start(self) -> None:
        """Start and wait (bounded) until it accepts requests."""
        self._thread.start()
        wait_http(f"{self.base_url}/healthz", None, "the model server")

    def set_latency(self, factor: float) -> None:
        """Multiply every model's time to first token (the demo's upstream regression)."""
        httpx.post(f"{self.base_url}/demo/latency", json={"factor": factor}, timeout=5.0)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(START_TIMEOUT_S)


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


def wait_http(url: str, proc: subprocess.Popen[bytes] | None, what: str) -> None:
    """Poll ``url`` until it answers 200; fail if ``proc`` exits or the deadline passes."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet; poll again until the deadline
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} within {START_TIMEOUT_S:.0f} s")
