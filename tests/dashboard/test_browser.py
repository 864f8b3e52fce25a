"""End to end in a real headless Chromium (Debian's, driven by Playwright): the dashboard
as a ``streamlit run`` child process against a real collector seeded with traces."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chainsight.dashboard import notices

from . import browser
from .conftest import Seeded

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser.chromium_available(), reason="Debian chromium missing"),
]


@pytest.fixture(scope="module")
def dashboard_url(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard process pointed at the seeded collector."""
    with browser.running_dashboard(seeded.url, log_dir=tmp_path_factory.mktemp("dash")) as url:
        yield url


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    """One headless Chromium for the module."""
    with browser.chromium() as ctx:
        yield ctx


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A fresh tab per test."""
    tab = context.new_page()
    yield tab
    tab.close()


def _open(page: Any, url: str) -> str:
    page.goto(url)
    browser.wait_for_app(page)
    return str(page.inner_text('[data-testid="stMain"]'))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "LLM calls"),
        ("/traces", "Page 1 · 50 traces"),
        ("/sessions", "Conversation"),
        ("/latency", "Dashed red lines are the SLOs"),
        ("/cost", "Unpriced models"),
        ("/settings", "Pricing (USD per 1M tokens)"),
        ("/drift", "Baseline"),
        ("/alerts", "Firing"),
    ],
)
def test_each_page_renders_the_seeded_data(
    page: Any, dashboard_url: str, path: str, expected: str
) -> None:
    """Every page loads in the browser and shows its seeded content, with no exception."""
    text = _open(page, dashboard_url + path)
    assert expected in text
    assert page.locator('[data-testid="stException"]').count() == 0


def test_overview_request_count_matches_the_seed(
    page: Any, dashboard_url: str, seeded: Seeded
) -> None:
    """The LLM-calls tile shows one call per seeded trace."""
    _open(page, dashboard_url + "/")
    tile = page.locator('[data-testid="stMetric"]', has_text="LLM calls")
    assert str(len(seeded.traces)) in tile.inner_text()


def test_deep_link_opens_the_trace_tree_in_order(
    page: Any, dashboard_url: str, seeded: Seeded
) -> None:
    """/?trace=<id> shows that trace's spans, root first, children by start time."""
    trace = seeded.traces[0]
    _open(page, f"{dashboard_url}/?trace={trace.trace_id}")
    page.wait_for_url("**/trace-detail?*")
    page.wait_for_selector('[data-testid="stRadio"] [role="radiogroup"] label')
    browser.wait_for_app(page)
    labels = page.locator('[data-testid="stRadio"] [role="radiogroup"] label').all_inner_texts()
    children = sorted(trace.spans[1:], key=lambda s: s.start_ns)
    expected = [trace.spans[0].name, *(s.name for s in children)]
    assert len(labels) == len(expected)
    assert all(name in label for name, label in zip(expected, labels, strict=True))


def test_waterfall_shows_the_spans_in_tree_order(
    page: Any, dashboard_url: str, seeded: Seeded
) -> None:
    """The waterfall's rows are the trace's spans, top down, in tree order, drawn as bars
    inside the track (the HTML survives Streamlit's sanitizer, styles and data included)."""
    trace = seeded.traces[0]
    _open(page, f"{dashboard_url}/trace-detail?trace={trace.trace_id}")
    page.wait_for_selector(".cs-waterfall .cs-wf-row")
    labels = page.locator(".cs-waterfall .cs-wf-label").all_inner_texts()
    children = sorted(trace.spans[1:], key=lambda s: s.start_ns)
    expected = [trace.spans[0].name, *(s.name for s in children)]
    assert [t.split(" [")[0].lstrip("· ") for t in labels] == expected
    ids = page.locator(".cs-waterfall .cs-wf-row").evaluate_all(
        "rows => rows.map(r => r.dataset.spanId)"
    )
    assert ids[0] == trace.spans[0].span_id
    boxes = page.locator(".cs-waterfall .cs-wf-bar").evaluate_all(
        "bars => bars.map(b => [b.getBoundingClientRect().width, b.parentElement"
        ".getBoundingClientRect().width, getComputedStyle(b).backgroundColor])"
    )
    assert boxes[0][0] == pytest.approx(boxes[0][1], rel=0.01)  # the root spans the track
    assert all(0 < bar <= track + 0.5 for bar, track, _ in boxes)
    assert all(color != "rgba(0, 0, 0, 0)" for _, _, color in boxes)


def test_status_filter_changes_the_table(page: Any, dashboard_url: str, seeded: Seeded) -> None:
    """Choosing status 'error' narrows the table to the errored traces and updates the URL."""
    _open(page, dashboard_url + "/traces")
    page.locator('[data-testid="stSelectbox"]', has_text="Status").click()
    page.get_by_role("option", name="error", exact=True).click()
    errors = sum(t.error for t in seeded.traces)
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=\"stMain\"]').innerText"
        f".includes('Page 1 · {errors} traces')"
    )
    assert "status=error" in page.url


def test_collector_down_shows_the_message(page: Any, tmp_path: Any) -> None:
    """A dashboard whose collector is gone shows one clear message, not a traceback."""
    from conftest import free_port

    with browser.running_dashboard(f"http://127.0.0.1:{free_port()}", log_dir=tmp_path) as url:
        text = _open(page, url + "/traces")
    assert notices.COLLECTOR_DOWN_TITLE in text
    assert page.locator('[data-testid="stException"]').count() == 0


def test_clicking_a_row_opens_the_trace(page: Any, dashboard_url: str, seeded: Seeded) -> None:
    """Selecting the first (newest) row of the trace table opens that trace's view."""
    _open(page, dashboard_url + "/traces")
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    # Glide's row-marker column is the first ~30 px; the header row is about 35 px tall.
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    page.wait_for_url("**/trace-detail?*trace=*")
    browser.wait_for_app(page)
    trace_id = page.url.split("trace=")[1].split("&")[0]
    newest = max(seeded.traces, key=lambda t: t.spans[0].start_ns)
    assert trace_id == newest.trace_id
    assert trace_id in page.inner_text('[data-testid="stMain"]')


def test_time_range_follows_sidebar_navigation(page: Any, dashboard_url: str) -> None:
    """The global range in the URL survives a page switch from the sidebar."""
    _open(page, dashboard_url + "/traces?range=1h")
    page.locator('[data-testid="stSidebarNav"] a', has_text="Sessions").first.click()
    page.wait_for_url("**/sessions*")
    page.wait_for_function("() => window.location.search.includes('range=1h')")
    page.locator('[data-testid="stSidebarNav"] a', has_text="Traces").first.click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"]').innerText.includes('last 1h')"
    )
    assert "range=1h" in page.url
