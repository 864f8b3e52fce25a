"""Chart builders are pure functions of API rows: colours, units, SLO lines, waterfall."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from chainsight.dashboard import charts
from chainsight.storage.model import TraceTree

from .rows import point, rag_tree


def test_a_model_has_the_same_colour_everywhere() -> None:
    """The colour is a function of the name only, so every page agrees."""
    assert charts.color_for("gpt-4o") == charts.color_for("gpt-4o")
    assert charts.color_for("gpt-4o") in charts.PALETTE


def test_different_models_spread_over_the_palette() -> None:
    """Hashing spreads names: a handful of models do not all share one colour."""
    names = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "llama-3-70b", "mistral-large"]
    assert len({charts.color_for(n) for n in names}) >= 3


def test_timeseries_draws_one_line_per_group_in_its_colour() -> None:
    """Grouped buckets become one trace per group, coloured by group name."""
    points = [point(m, g) for m in range(3) for g in ("gpt-4o", "gpt-4o-mini")]
    fig = charts.timeseries(points, "ttft_ms.p95", title="p95 TTFT by model")
    names = {t.name: t.line.color for t in fig.data}
    assert names == {g: charts.color_for(g) for g in ("gpt-4o", "gpt-4o-mini")}


def test_timeseries_orders_points_by_time() -> None:
    """Buckets arrive in any order; lines are drawn left to right."""
    points = [point(2, None, latency=3), point(0, None, latency=1), point(1, None, latency=2)]
    fig = charts.timeseries(points, "latency_ms.p50", title="latency")
    assert list(fig.data[0].y) == [1, 2, 3]


def test_timeseries_has_units_and_a_time_axis() -> None:
    """The y axis names its unit and the x axis is a UTC date axis."""
    fig = charts.timeseries([point(0, None)], "ttft_ms.p95", title="p95 TTFT by model")
    assert fig.layout.yaxis.title.text == "p95 TTFT (ms)"
    assert fig.layout.xaxis.type == "date"
    assert "UTC" in fig.layout.xaxis.title.text


def test_slo_line_is_drawn_at_the_threshold() -> None:
    """An SLO becomes a horizontal line at its value."""
    fig = charts.timeseries([point(0, None)], "ttft_ms.p95", title="TTFT", slo=5000)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(s.y0, s.y1) for s in lines] == [(5000, 5000)]


def test_missing_percentiles_leave_gaps_not_zeros() -> None:
    """A bucket without TTFT data is a gap, never a fake 0 ms."""
    fig = charts.timeseries([point(0, None, ttft=None)], "ttft_ms.p95", title="TTFT")
    assert list(fig.data[0].y) == [None]


def test_error_rate_is_in_percent() -> None:
    """Error rate (a fraction in the API) is plotted in percent."""
    assert charts.measure(point(0, None, requests=10, errors=1), "error_rate") == pytest.approx(10)


def test_unknown_measure_is_refused() -> None:
    """A typo in a measure name fails loudly instead of drawing nothing."""
    with pytest.raises(ValueError, match="unknown measure"):
        charts.measure(point(0, None), "latency")


def test_stacked_bars_stack_groups_per_bucket() -> None:
    """Cost over time by model is one bar trace per model in stack mode."""
    points = [point(m, g, cost=0.5) for m in range(2) for g in ("a", "b")]
    fig = charts.stacked_bars(points, "cost", title="Cost by model")
    assert fig.layout.barmode == "stack"
    assert sorted(t.name for t in fig.data) == ["a", "b"]
    assert fig.layout.yaxis.title.text == "Cost (USD)"


def test_group_bars_put_the_largest_on_top() -> None:
    """Summary bars are sorted so the biggest spender is the top bar."""
    points = [point(None, "small", cost=1), point(None, "big", cost=9), point(None, "mid", cost=5)]
    fig = charts.group_bars(points, "cost", title="Cost by user")
    assert list(fig.data[0].y) == ["small", "mid", "big"]  # plotly's bottom-up order


def test_percentile_bars_show_p50_to_p99_per_group() -> None:
    """Each group gets p50/p90/p95/p99 bars."""
    fig = charts.percentile_bars([point(None, "m", ttft=30)], "ttft_ms", title="TTFT")
    assert list(fig.data[0].x) == ["p50", "p90", "p95", "p99"]
    assert list(fig.data[0].y) == [30, 30, 30, 30]


def test_sparkline_values_follow_time_order() -> None:
    """A tile's sparkline reads buckets in time order and ignores summary rows."""
    points = [
        point(1, None, requests=4),
        point(None, None, requests=99),
        point(0, None, requests=2),
    ]
    assert charts.sparkline_values(points, "requests") == [2, 4]


class _Rows(HTMLParser):
    """The waterfall's rows, bars, labels and TTFT markers, as the browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.labels: list[str] = []
        self.bars: list[dict[str, str]] = []
        self.markers: list[dict[str, str]] = []
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        kind = a.get("class", "")
        if kind == "cs-wf-row":
            self.rows.append(a)
        elif kind == "cs-wf-bar":
            self.bars.append({**a, "style": a["style"], **_style(a["style"])})
        elif kind == "cs-wf-ttft":
            self.markers.append(a)
        elif kind == "cs-wf-label":
            self._in_label = True
            self.labels.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_label = False

    def handle_data(self, data: str) -> None:
        if self._in_label:
            self.labels[-1] += data


def _style(style: str) -> dict[str, str]:
    return dict(
        (k.strip(), v.strip()) for k, v in (d.split(":", 1) for d in style.split(";") if ":" in d)
    )


def _waterfall(tree: TraceTree, selected: str | None = None) -> _Rows:
    parsed = _Rows()
    parsed.feed(charts.waterfall_html(tree, selected=selected))
    return parsed


def test_waterfall_rows_follow_the_tree_order() -> None:
    """Spans are rows top-down in depth-first order, labelled with depth and kind."""
    w = _waterfall(rag_tree())
    assert w.labels == ["handle [chain]", "· retrieve [retriever]", "· chat [llm]"]
    assert [r["data-span-id"] for r in w.rows] == [s.span_id for s in rag_tree().spans]


def test_waterfall_bars_are_aligned_to_the_trace_start() -> None:
    """Each bar starts at its offset from the trace start and lasts its duration (ms), on a
    scale where the trace's whole duration is the full width."""
    w = _waterfall(rag_tree())
    assert [float(r["data-offset-ms"]) for r in w.rows] == pytest.approx([0, 5, 70])
    assert [float(r["data-duration-ms"]) for r in w.rows] == pytest.approx([300, 55, 220])
    lefts = [float(b["left"].rstrip("%")) for b in w.bars]
    widths = [float(b["width"].rstrip("%")) for b in w.bars]
    assert lefts == pytest.approx([0, 5 / 3, 70 / 3], abs=1e-3)
    assert widths == pytest.approx([100, 55 / 3, 220 / 3], abs=1e-3)


def test_waterfall_marks_ttft_on_streaming_llm_spans() -> None:
    """The first token is a marker at span start + TTFT, on the LLM row only."""
    w = _waterfall(rag_tree())
    assert [r.get("data-ttft-ms") for r in w.rows] == [None, None, "40.000"]
    (marker,) = w.markers
    assert "left:calc(36.667% - 5px)" in marker["style"]  # (70 + 40) / 300
    assert "first token at +110.0 ms" in marker["title"]


def test_waterfall_outlines_errors_in_red_and_the_selected_span() -> None:
    """An errored span's bar has a red outline; the selected one a plain outline."""
    w = _waterfall(rag_tree(), selected="s" * 16)
    assert ERROR_COLOR_OUTLINE in w.bars[2]["style"]
    assert "outline" not in w.bars[0]["style"]
    assert "outline:2px solid currentColor" in w.bars[1]["style"]


def test_waterfall_keeps_instant_spans_visible_and_inside_the_track() -> None:
    """A zero-length span still gets a sliver of a bar, and no bar runs past the end."""
    tree = rag_tree()
    last = tree.spans[0].model_copy(update={"span_id": "z" * 16, "duration_ms": 0.0})
    last = last.model_copy(update={"start_ns": tree.spans[0].start_ns + 300 * 10**6})
    w = _waterfall(tree.model_copy(update={"spans": [*tree.spans, last]}))
    bar = w.bars[-1]
    assert float(bar["width"].rstrip("%")) == charts.WATERFALL_MIN_WIDTH
    assert float(bar["left"].rstrip("%")) + float(bar["width"].rstrip("%")) <= 100.0


def test_waterfall_escapes_span_text() -> None:
    """Names come from the instrumented app: they are text, never markup."""
    tree = rag_tree()
    evil = tree.spans[1].model_copy(update={"name": '<img src=x onerror="alert(1)">'})
    html = charts.waterfall_html(tree.model_copy(update={"spans": [tree.spans[0], evil]}))
    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_waterfall_of_an_empty_trace_is_empty() -> None:
    """No spans, no rows (the page shows its empty state instead)."""
    tree = rag_tree().model_copy(update={"spans": []})
    assert _waterfall(tree).rows == []


ERROR_COLOR_OUTLINE = f"outline:2px solid {charts.ERROR_COLOR}"
