"""Every page rendered by Streamlit's AppTest against a real collector seeded with traces."""

from __future__ import annotations

import httpx
import pytest

from chainsight.dashboard import notices

from .conftest import Seeded, app_for, run_page


def _text(at: object) -> str:
    """All markdown, captions, infos and errors on the page, joined."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "title", "subheader", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def test_overview_counts_the_seeded_llm_calls(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request tile shows one LLM call per seeded trace."""
    at = run_page(app_for(seeded.url, monkeypatch))
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["LLM calls"] == str(len(seeded.traces))


def test_overview_error_rate_matches_the_seeded_errors(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error-rate tile is errored LLM calls over all LLM calls."""
    errors = sum(t.error for t in seeded.traces)
    at = run_page(app_for(seeded.url, monkeypatch))
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Error rate"] == f"{errors / len(seeded.traces) * 100:.1f}%"


def test_overview_lists_slowest_and_costliest_traces(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two five-row tables: the slowest and the costliest traces."""
    at = run_page(app_for(seeded.url, monkeypatch))
    slowest = at.dataframe[0].value
    assert len(slowest) == 5
    assert list(slowest["duration_ms"]) == sorted(slowest["duration_ms"], reverse=True)


def test_traces_page_lists_a_page_of_traces(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table holds the first page (50 rows) of the seeded traces, newest first."""
    at = run_page(app_for(seeded.url, monkeypatch), "traces")
    table = at.dataframe[0].value
    assert len(table) == 50
    assert list(table["time"]) == sorted(table["time"], reverse=True)
    assert set(table["trace_id"]) <= {t.trace_id for t in seeded.traces}


def test_traces_status_filter_from_the_url(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """?status=error shows exactly the errored traces."""
    at = run_page(app_for(seeded.url, monkeypatch), "traces", status="error")
    table = at.dataframe[0].value
    assert set(table["trace_id"]) == {t.trace_id for t in seeded.traces if t.error}


def test_traces_model_filter_widget_changes_the_table(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing a model keeps only its traces and writes the filter into the URL."""
    at = run_page(app_for(seeded.url, monkeypatch), "traces")
    at.selectbox(key="tr_model").select("gpt-4o").run()
    table = at.dataframe[0].value
    assert set(table["trace_id"]) == {t.trace_id for t in seeded.traces if t.model == "gpt-4o"}
    assert at.query_params["model"] == "gpt-4o"


def test_traces_next_page_follows_the_cursor(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Next shows the remaining traces, none repeated from page one."""
    at = run_page(app_for(seeded.url, monkeypatch), "traces")
    first = set(at.dataframe[0].value["trace_id"])
    next_button = next(b for b in at.button if b.label == "Next →")
    next_button.click().run()
    second = set(at.dataframe[0].value["trace_id"])
    assert len(second) == len(seeded.traces) - 50
    assert first.isdisjoint(second)


def test_trace_deep_link_shows_the_tree_in_order(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """?trace=<id> on the root URL opens that trace with its spans depth-first."""
    trace = seeded.traces[0]
    at = run_page(app_for(seeded.url, monkeypatch), trace=trace.trace_id)
    labels = list(at.radio[0].options)
    children = sorted(trace.spans[1:], key=lambda s: s.start_ns)
    expected = [trace.spans[0].name, *(s.name for s in children)]
    assert len(labels) == len(expected)
    assert all(f"**{name}**" in label for name, label in zip(expected, labels, strict=True))


def test_trace_view_shows_the_selected_span_panel(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Selecting the LLM span shows its model and TTFT in the panel."""
    trace = seeded.traces[0]
    llm = next(s for s in trace.spans if s.name.startswith("chat "))
    at = run_page(
        app_for(seeded.url, monkeypatch), "trace_detail", trace=trace.trace_id, span=llm.span_id
    )
    text = _text(at)
    assert trace.model in text
    assert "TTFT" in text


def test_unknown_trace_says_not_found(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deep link to a missing trace is a warning, not an error page."""
    at = run_page(app_for(seeded.url, monkeypatch), "trace_detail", trace="f" * 32)
    assert "No trace" in at.warning[0].value


def test_sessions_page_shows_a_conversation(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session's turns are listed in order with their cost and latency."""
    session = seeded.traces[0].session_id
    turns = [t for t in seeded.traces if t.session_id == session]
    at = run_page(app_for(seeded.url, monkeypatch), "sessions", session=session)
    text = _text(at)
    assert f"Conversation `{session}`" in text
    assert f"**Turn {len(turns)}**" in text


def test_latency_page_draws_slo_lines(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """The over-time charts render with the configured SLOs kept in the URL."""
    at = run_page(app_for(seeded.url, monkeypatch), "latency", slo_ttft="1500")
    assert len(at.get("plotly_chart")) == 4
    assert at.number_input(key="lat_slo_ttft").value == 1500


@pytest.mark.parametrize(("view", "charts"), [("Percentiles", 3), ("Distributions", 2)])
def test_latency_sections_from_the_url(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch, view: str, charts: int
) -> None:
    """?view= picks the percentile bars or the histograms."""
    at = run_page(app_for(seeded.url, monkeypatch), "latency", view=view)
    assert len(at.get("plotly_chart")) == charts


def test_cost_page_lists_unpriced_models(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeded model without a price is listed as unpriced."""
    if not any(t.model == "acme-llm-1" for t in seeded.traces):
        pytest.fail("the seed must contain the unpriced model")
    at = run_page(app_for(seeded.url, monkeypatch), "cost")
    unpriced = at.dataframe[-1].value
    assert "acme-llm-1" in set(unpriced["model"])


def test_settings_page_shows_the_pricing_table(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pricing table lists the default prices; auth is reported off."""
    at = run_page(app_for(seeded.url, monkeypatch), "settings")
    prices = at.dataframe[0].value
    assert len(prices) > 0
    assert "Auth is off" in _text(at)


def test_collector_down_shows_one_message(down_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No collector: one clear error, no traceback."""
    at = run_page(app_for(down_url, monkeypatch), "traces")
    assert len(at.error) == 1
    assert notices.COLLECTOR_DOWN_TITLE in at.error[0].value
    assert not at.exception


def test_bad_key_shows_one_message(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """A wrong key once auth is on: one clear error naming the key problem."""
    from conftest import run_collector

    from . import seed

    with run_collector(tmp_path / "auth") as running:  # type: ignore[operator]
        created = httpx.post(f"{running.base_url}/api/v1/keys", json={"project": "p", "name": "t"})
        created.raise_for_status()
        seed.send(running.base_url, seeded.traces[:2], api_key=created.json()["key"], project="p")
        at = run_page(app_for(running.base_url, monkeypatch, api_key="cs_000000000000_wrong"))
        assert len(at.error) == 1
        assert notices.BAD_KEY_TITLE in at.error[0].value


def test_empty_collector_shows_the_first_trace_snippet(
    empty_collector: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing stored: the page says how to send a first trace."""
    at = run_page(app_for(empty_collector.base_url, monkeypatch))  # type: ignore[attr-defined]
    assert "chainsight.init(" in at.code[0].value


def test_global_range_and_refresh_stay_in_the_url(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared URL's range and auto-refresh are applied, on the next page too."""
    at = run_page(app_for(seeded.url, monkeypatch), range="1h", refresh="30s")
    assert at.selectbox(key="w_range").value == "1h"
    at.switch_page("views/traces.py").run()
    assert at.query_params["range"] == "1h"
    assert at.query_params["refresh"] == "30s"
    assert "last 1h" in at.caption[0].value
