"""Pure chart builders: API rows in, plotly figures out (no ``st.*`` here, so every
chart is unit-tested as a function on model rows).

Conventions held by every chart: axis titles carry units (ms, USD, tokens, tokens/s),
time axes are UTC dates plotly formats by zoom level, and a model (or any group) gets
the same colour on every page because its colour is a hash of its name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

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


def waterfall(tree: TraceTree, *, selected: str | None = None) -> go.Figure:
    """Spans as bars on a timeline starting at the trace start (ms), in tree order, top
    down; errors outlined red; TTFT marked on streaming LLM spans."""
    origin = min((s.start_ns for s in tree.spans), default=0)
    spans = tree.spans
    ys = list(range(len(spans)))
    offsets = [(s.start_ns - origin) / 1e6 for s in spans]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=[max(s.duration_ms, 0.001) for s in spans],
            base=offsets,
            y=ys,
            orientation="h",
            name="spans",
            marker={
                "color": [KIND_COLORS.get(s.kind, KIND_COLORS["unknown"]) for s in spans],
                "line": {
                    "color": [
                        ERROR_COLOR
                        if s.status == "error"
                        else ("#000000" if s.span_id == selected else "rgba(0,0,0,0)")
                        for s in spans
                    ],
                    "width": [
                        3 if s.status == "error" or s.span_id == selected else 0 for s in spans
                    ],
                },
            },
            customdata=[[s.name, s.kind, s.status, s.span_id] for s in spans],
            hovertemplate=(
                "%{customdata[0]} (%{customdata[1]})<br>start +%{base:,.1f} ms"
                "<br>duration %{x:,.1f} ms<br>status %{customdata[2]}<extra></extra>"
            ),
        )
    )
    ttft = [(i, offsets[i] + s.ttft_ms) for i, s in enumerate(spans) if s.ttft_ms is not None]
    if ttft:
        fig.add_trace(
            go.Scatter(
                x=[x for _, x in ttft],
                y=[i for i, _ in ttft],
                mode="markers",
                name="first token (TTFT)",
                marker={"symbol": "diamond", "size": 11, "color": TTFT_COLOR},
                hovertemplate="first token at +%{x:,.1f} ms<extra>TTFT</extra>",
            )
        )
    fig.update_layout(
        height=max(160, 34 * len(spans) + 80),
        showlegend=bool(ttft),
        **{**_LAYOUT, "hovermode": "closest"},
    )
    fig.update_yaxes(
        tickvals=ys,
        ticktext=[span_label(s) for s in spans],
        autorange="reversed",
        automargin=True,
    )
    fig.update_xaxes(title_text="ms since trace start", rangemode="tozero")
    return fig


def sparkline_values(points: Sequence[MetricPoint], name: str) -> list[float]:
    """A measure's bucket values in time order for a metric tile's sparkline (gaps as 0)."""
    ordered = sorted(
        (p for p in points if p.bucket_start is not None),
        key=lambda p: p.bucket_start or datetime.min,
    )
    return [measure(p, name) or 0.0 for p in ordered]
