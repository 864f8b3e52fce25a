"""Drift fixtures: a real collector holding an English hour followed by a Spanish hour, sent
through the real OTel SDK, ending now (for the page tests, whose window ends now)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import RunningCollector, otel_pipeline, run_collector  # tests/conftest.py

from .traffic import send_calls


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """Two hours ago English, the last hour Spanish (the page's default 1 h window)."""
    with run_collector(tmp_path_factory.mktemp("drift") / "data") as running:
        pipeline = otel_pipeline(running.otlp_url, project="shop")
        # The page's window ends up to 10 s after now (state.window_for rounds up); a 15 s
        # offset keeps every call inside its hour whatever the rounding.
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2, seconds=-15)
        send_calls(pipeline, start, "en", 0.0)
        send_calls(pipeline, start + timedelta(hours=1), "es", 1.0)
        pipeline.shutdown()
        yield running
