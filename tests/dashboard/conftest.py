"""Dashboard fixtures: one real collector per module, seeded through ``POST /v1/traces``
with the deterministic demo traces, and helpers to run the app with Streamlit's AppTest."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import RunningCollector, free_port, run_collector  # the shared tests/conftest.py
from streamlit.testing.v1 import AppTest

from chainsight.dashboard.cli import APP_SCRIPT

from . import seed

SEEDED_TRACES = 60
APP_TIMEOUT_S = 30.0


@dataclass
class Seeded:
    """A running collector and the traces it holds."""

    collector: RunningCollector
    traces: list[seed.DemoTrace]

    @property
    def url(self) -> str:
        return self.collector.base_url


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A collector holding SEEDED_TRACES demo traces from the last 6 hours."""
    data_dir = tmp_path_factory.mktemp("seeded") / "data"
    with run_collector(data_dir) as running:
        traces = list(seed.demo_traces(SEEDED_TRACES, now_ns=time.time_ns(), hours=6))
        seed.send(running.base_url, traces)
        yield Seeded(running, traces)


@pytest.fixture
def empty_collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """A collector with nothing stored."""
    with run_collector(tmp_path / "empty") as running:
        yield running


@pytest.fixture
def down_url() -> str:
    """An address where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


def app_for(url: str, monkeypatch: pytest.MonkeyPatch, api_key: str | None = None) -> AppTest:
    """The real entry script, pointed at ``url`` the way ``chainsight dashboard`` does it."""
    monkeypatch.setenv("CHAINSIGHT_COLLECTOR_URL", url)
    if api_key:
        monkeypatch.setenv("CHAINSIGHT_API_KEY", api_key)
    else:
        monkeypatch.delenv("CHAINSIGHT_API_KEY", raising=False)
    return AppTest.from_file(str(APP_SCRIPT), default_timeout=APP_TIMEOUT_S)


def run_page(at: AppTest, page: str | None = None, **params: str) -> AppTest:
    """Run the app once, switch to ``views/<page>.py`` and run it with query ``params``."""
    at.query_params.update(params)
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py")
        at.query_params.update(params)
        at.run()
    if at.exception:
        raise AssertionError(f"the page raised: {[e.value for e in at.exception]}")
    return at
