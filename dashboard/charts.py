"""Pure chart builders: API rows in, plotly figures out (no ``st.*`` here, so every
chart is unit-tested as a function on model rows); the trace waterfall is HTML.

Conventions held by every chart: axis titles carry units (ms, USD, tokens, tokens/s),
time axes are UTC dates plotly formats by zoom level, and a model (or any group) gets
the same colour on every page because its colour is a hash of its name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from html import escape

import plotly.graph_objects as go

from chainsight.storage.model import MetricPoint, SpanDetail, TraceTree

PALETTE: tuple[str, ...] = (
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#B279A2",
    "#E45756",
    "#72B7B2",
    "#EECA3B",
    "#FF9DA6",
    "#9D755D",
    "#BAB0AC",
    "#1F77B4",
    "#2CA02C",
    "#9467BD",
    "#8C564B",
    "#17BECF",
    "#BCBD22",
)
"""Vega/Tableau-style categorical colours, readable on light and dark themes."""
ALL_GROUP = "all"
"""The series label when the query was not grouped."""
ERROR_COLOR = "#D62728"
SLO_COLOR = "#D62728"
TTFT_COLOR = "#111111"
KIND_COLORS: dict[str, str] = {
    "llm": "#4C78A8",
    "chain": "#9D755D",
    "retriever": "#54A24B",
    "embedding": "#72B7B2",
    "reranker": "#EECA3B",
    "tool": "#F58518",
    "agent": "#B279A2",
    "guardrail": "#FF9DA6",
    "evaluator": "#BAB0AC",
    "unknown": "#BAB0AC",
}

PERCENTILES = ("p50", "p90", "p95", "p99")
MEASURES: dict[str, str] = {
    "requests": "requests",
    "errors": "errors",
    "error_rate": "%",
    "input_tokens": "tokens",
    "output_tokens": "tokens",
    "total_tokens": "tokens",
    "tokens_per_s": "tokens/s",
    "cost": "USD",
    "unpriced": "spans",
    **{
        f"{fam}.{stat}": "ms"
        for fam in ("latency_ms", "ttft_ms", "tpot_ms")
        for stat in (*PERCENTILES, "mean", "max")
    },
}
"""Every measure a chart can plot, with its unit: plain fields or ``family.percentile``."""

_LAYOUT = {
    # The title sits above a one-row legend; the top margin leaves room for both.
    "margin": {"l": 10, "r": 10, "t": 80, "b": 10},
    "title_y": 0.97,
    "title_yanchor": "top",
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    "hovermode": "x unified",
    "template": "plotly_white",
}


def color_for(name: str | None) -> str:
    """A stable colour for a model/group name: the same on every page and every run."""
    digest = hashlib.blake2s((name or ALL_GROUP).encode(), digest_size=4).digest()
    return PALETTE[int.from_bytes(digest, "big") % len(PALETTE)]


def measure(point: MetricPoint, name: str) -> float | None:
    """One measure of a metric point (``error_rate`` in percent)."""
    if name not in MEASURES:
        raise ValueError(f"unknown measure {name!r}; known: {sorted(MEASURES)}")
    family, _, stat = name.partition(".")
    value = getattr(getattr(point, family), stat) if stat else getattr(point, family)
    if value is None:
        return None
    if name == "error_rate":
        return float(value) * 100.0
    return float(value)


def _series(
    points: Sequence[MetricPoint], name: str
) -> dict[str, tuple[list[datetime], list[float | None]]]:
    out: dict[str, tuple[list[datetime], list[float | None]]] = {}
    for point in sorted(points, key=lambda p: (p.bucket_start or datetime.min, p.group or "")):
        if point.bucket_start is None:
            continue
        xs, ys = out.setdefault(point.group or ALL_GROUP, ([], []))
        xs.append(point.bucket_start)
        ys.append(measure(point, name))
    return out


def _axis_title(title: str, unit: str) -> str:
    return f"{title} ({unit})" if unit else title


def timeseries(
    points: Sequence[MetricPoint],
    name: str,
    *,
    title: str,
    slo: float | None = None,
    slo_label: str = "SLO",
    height: int = 320,
) -> go.Figure:
    """One line per group of a bucketed measure over time, with an optional SLO line."""
    unit = MEASURES.get(name, "")
    fig = go.Figure()
    for group, (xs, ys) in _series(points, name).items():
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=group,
                mode="lines+markers",
                line={"color": color_for(group), "width": 2},
                marker={"size": 4},
                connectgaps=False,
                hovertemplate=f"%{{y:,.4~g}} {unit}<extra>{group}</extra>",
            )
        )
    if slo is not None:
        fig.add_hline(
            y=slo,
            line={"color": SLO_COLOR, "dash": "dash", "width": 1.5},
            annotation_text=f"{slo_label} {slo:,.0f} {unit}",
            annotation_position="top left",
        )
    fig.update_layout(title=title, height=height, **_LAYOUT)
    fig.update_xaxes(type="date", title_text="time (UTC)")
    fig.update_yaxes(
        title_text=_axis_title(title.split(" by ", maxsplit=1)[0], unit), rangemode="tozero"
    )
    return fig


def stacked_bars(
    points: Sequence[MetricPoint], name: str, *, title: str, height: int = 320
) -> go.Figure:
    """A measure per bucket, stacked by group (cost or tokens over time by model/user)."""
    unit = MEASURES.get(name, "")
    fig = go.Figure()
    for group, (xs, ys) in _series(points, name).items():
        fig.add_trace(
            go.Bar(
                x=xs,
                y=[y or 0.0 for y in ys],
                name=group,
                marker_color=color_for(group),
                hovertemplate=f"%{{y:,.4~g}} {unit}<extra>{group}</extra>",
            )
        )
    fig.update_layout(title=title, height=height, barmode="stack", **_LAYOUT)
    fig.update_xaxes(type="date", title_text="time (UTC)")
    fig.update_yaxes(title_text=_axis_title(title.split(" by ", maxsplit=1)[0], unit))
    return fig


def group_bars(
    points: Sequence[MetricPoint], name: str, *, title: str, top: int = 15, height: int = 320
) -> go.Figure:
    """A summary measure per group as horizontal bars, largest first."""
    unit = MEASURES.get(name, "")
    rows: list[tuple[str, float]] = []
    for point in points:
        value = measure(point, name)
        if point.bucket_start is None and value is not None:
            rows.append((point.group or ALL_GROUP, value))
    rows.sort(key=lambda r: r[1], reverse=True)
    rows = rows[:top][::-1]  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in rows],
            y=[g for g, _ in rows],
            orientation="h",
            marker_color=[color_for(g) for g, _ in rows],
            hovertemplate=f"%{{y}}: %{{x:,.4~g}} {unit}<extra></extra>",
        )
    )
    fig.update_layout(title=title, height=height, **{**_LAYOUT, "hovermode": "closest"})
    fig.update_xaxes(title_text=_axis_title(title.split(" by ", maxsplit=1)[0], unit))
    return fig


def percentile_bars(
    points: Sequence[MetricPoint],
    family: str,
    *,
    title: str,
    slo: float | None = None,
    height: int = 320,
) -> go.Figure:
    """p50/p90/p95/p99 of one family (latency, TTFT, TPOT) side by side per group."""
    summary = [p for p in points if p.bucket_start is None]
    fig = go.Figure()
    for point in summary:
        group = point.group or ALL_GROUP
        fig.add_trace(
            go.Bar(
                x=list(PERCENTILES),
                y=[measure(point, f"{family}.{stat}") for stat in PERCENTILES],
                name=group,
                marker_color=color_for(group),
                hovertemplate="%{x}: %{y:,.1f} ms<extra>" + group + "</extra>",
            )
        )
    if slo is not None:
        fig.add_hline(
            y=slo,
            line={"color": SLO_COLOR, "dash": "dash", "width": 1.5},
            annotation_text=f"SLO {slo:,.0f} ms",
            annotation_position="top left",
        )
    fig.update_layout(
        title=title, height=height, barmode="group", **{**_LAYOUT, "hovermode": "closest"}
    )
    fig.update_yaxes(title_text="ms", rangemode="tozero")
    return fig


def histogram(
    values: Sequence[float],
    *,
    title: str,
    unit: str = "ms",
    slo: float | None = None,
    height: int = 280,
) -> go.Figure:
    """The distribution of a sample of values (e.g. durations of the latest traces)."""
    fig = go.Figure(
        go.Histogram(
            x=list(values),
            nbinsx=40,
            marker_color=PALETTE[0],
            hovertemplate=f"%{{x}} {unit}: %{{y}} traces<extra></extra>",
        )
    )
    if slo is not None:
        fig.add_vline(
            x=slo,
            line={"color": SLO_COLOR, "dash": "dash", "width": 1.5},
            annotation_text=f"SLO {slo:,.0f} {unit}",
        )
    fig.update_layout(
        title=title, height=height, bargap=0.05, **{**_LAYOUT, "hovermode": "closest"}
    )
    fig.update_xaxes(title_text=unit)
    fig.update_yaxes(title_text="traces")
    return fig


def span_label(span: SpanDetail) -> str:
    """The waterfall's row label: indentation by depth, then kind and name."""
    return f"{'· ' * span.depth}{span.name} [{span.kind}]"


WATERFALL_MIN_WIDTH = 0.4
"""Narrowest bar (percent of the trace's duration), so an instant span stays visible."""
WATERFALL_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Time axis labels, as fractions of the trace's duration."""


def waterfall_html(tree: TraceTree, *, selected: str | None = None) -> str:
    """Spans as bars on a timeline starting at the trace start (ms), in tree order, top down;
    errors outlined red, the selected span outlined black, TTFT marked on streaming LLM
    spans; hovering a bar or marker tells its times (``title``).

    HTML rather than a plotly figure: a trace is a list of rows, and the browser's first
    plotly chart costs a 4.7 MB script; the trace page opened first in a fresh browser
    took 2.6-2.8 s with it and 1.4 s without (docs/benchmarks.md, "Dashboard"). Each row
    carries its numbers as ``data-*`` attributes (offset, duration and TTFT in ms).
    """
    spans = tree.spans
    origin = min((s.start_ns for s in spans), default=0)
    offsets = [(s.start_ns - origin) / 1e6 for s in spans]
    ends = [o + max(s.duration_ms, 0.0) for o, s in zip(offsets, spans, strict=True)]
    ends += [o + s.ttft_ms for o, s in zip(offsets, spans, strict=True) if s.ttft_ms is not None]
    total = max(ends, default=0.0) or 1.0

    def pct(ms: float) -> str:
        return f"{min(max(ms / total * 100.0, 0.0), 100.0):.3f}%"

    rows = []
    for span, offset in zip(spans, offsets, strict=True):
        duration = max(span.duration_ms, 0.0)
        width = max(duration / total * 100.0, WATERFALL_MIN_WIDTH)
        left = min(offset / total * 100.0, 100.0 - width)
        if span.status == "error":
            outline = f"outline:2px solid {ERROR_COLOR};outline-offset:1px;"
        elif span.span_id == selected:
            outline = "outline:2px solid currentColor;outline-offset:1px;"
        else:
            outline = ""
        color = KIND_COLORS.get(span.kind, KIND_COLORS["unknown"])
        tip = (
            f"{span.name} ({span.kind})\nstart +{offset:,.1f} ms\nduration {duration:,.1f} ms"
            f"\nstatus {span.status}"
        )
        marker = ""
        ttft = ""
        if span.ttft_ms is not None:
            ttft = f' data-ttft-ms="{span.ttft_ms:.3f}"'
            marker = (
                f'<div class="cs-wf-ttft" title="first token at +{offset + span.ttft_ms:,.1f} ms'
                f' (TTFT {span.ttft_ms:,.1f} ms)" style="position:absolute;top:5px;'
                f"left:calc({pct(offset + span.ttft_ms)} - 5px);width:10px;height:10px;"
                f'background:{TTFT_COLOR};transform:rotate(45deg);border:1px solid #fff"></div>'
            )
        rows.append(
            f'<div class="cs-wf-row" data-span-id="{escape(span.span_id)}"'
            f' data-status="{escape(span.status)}" data-offset-ms="{offset:.3f}"'
            f' data-duration-ms="{duration:.3f}"{ttft}'
            ' style="display:flex;align-items:center;height:26px;'
            'border-bottom:1px solid rgba(128,128,128,0.15)">'
            '<div class="cs-wf-label" style="flex:0 0 34%;overflow:hidden;text-overflow:ellipsis;'
            f'white-space:nowrap;font-size:13px;padding-right:8px" title="{escape(tip)}">'
            f"{escape(span_label(span))}</div>"
            '<div style="position:relative;flex:1 1 auto;height:100%">'
            f'<div class="cs-wf-bar" title="{escape(tip)}" style="position:absolute;top:6px;'
            f"height:14px;left:{left:.3f}%;width:{width:.3f}%;background:{color};"
            f'border-radius:2px;{outline}"></div>{marker}</div></div>'
        )
    ticks = "".join(
        f'<span style="position:absolute;white-space:nowrap;left:{f * 100:.0f}%;'
        f'transform:translateX(-{f * 100:.0f}%)">{total * f:,.0f} ms</span>'
        for f in WATERFALL_TICKS
    )
    legend = (
        f'<span style="margin-left:16px"><span style="display:inline-block;width:8px;height:8px;'
        f'background:{TTFT_COLOR};transform:rotate(45deg)"></span> first token (TTFT)</span>'
        if any(s.ttft_ms is not None for s in spans)
        else ""
    )
    return (
        '<div class="cs-waterfall" role="figure" aria-label="Waterfall: the trace\'s spans on'
        ' a timeline from its start" style="font-family:inherit;color:inherit">'
        '<div style="display:flex;font-size:12px;opacity:0.75;margin-bottom:4px">'
        f'<div style="flex:0 0 34%">ms since trace start{legend}</div>'
        f'<div style="position:relative;flex:1 1 auto;height:16px;margin-right:6px">{ticks}</div>'
        "</div>"
        f'<div style="max-height:70vh;overflow-y:auto;padding:2px 6px 2px 0">{"".join(rows)}</div>'
        "</div>"
    )


def sparkline_values(points: Sequence[MetricPoint], name: str) -> list[float]:
    """A measure's bucket values in time order for a metric tile's sparkline (gaps as 0)."""
    ordered = sorted(
        (p for p in points if p.bucket_start is not None),
        key=lambda p: p.bucket_start or datetime.min,
    )
    return [measure(p, name) or 0.0 for p in ordered]
