"""The Drift page in a real headless Chromium (the dashboard's browser helpers), against a
real collector whose inputs switched from English to Spanish in the last hour."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import RunningCollector  # tests/conftest.py

from dashboard import browser  # tests/dashboard/browser.py

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser.chromium_available(), reason="Debian chromium missing"),
]


@pytest.fixture(scope="module")
def dashboard_url(
    switched: RunningCollector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The dashboard process pointed at the collector."""
    with browser.running_dashboard(
        switched.base_url, log_dir=tmp_path_factory.mktemp("dash")
    ) as url:
        yield url


def test_drift_page_shows_the_language_switch_in_the_browser(dashboard_url: str) -> None:
    """The page loads without exception, states the verdict and lists input_language."""
    with browser.chromium() as context:
        page: Any = context.new_page()
        page.goto(f"{dashboard_url}/drift?range=1h")
        browser.wait_for_app(page)
        page.wait_for_selector('[data-testid="stPlotlyChart"]')
        text = str(page.inner_text('[data-testid="stMain"]'))
        assert "features drifted" in text
        assert "input_language" in text
        assert page.locator('[data-testid="stException"]').count() == 0
