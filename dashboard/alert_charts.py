"""Pure chart builders for alerting (rows in, plotly figures out; no ``st.*``).

``rule_chart``: a rule's metric per bucket, one line per group, the threshold as a dashed
line, and the pending (amber) and firing (red) intervals shaded from its transitions.
``history_timeline``: every transition as a marker on a time axis, one row per rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from chainsight.storage.model import AlertTransition

from .charts import color_for

STATE_COLORS = {
    "pending": "#EECA3B",
    "firing": "#D62728",
    "resolved": "#54A24B",
    "inactive": "#BAB0AC",
}
UNIT_TITLES = {"duration": "ms", "fraction": "fraction", "money": "USD", "count": "", "score": ""}


def state_intervals(
    transitions: Sequence[AlertTransition], end: datetime
) -> list[tuple[datetime, datetime, str, str]]:
    """(start, end, state, fingerprint) spans of pending and firing, from transitions."""
    by_fp: dict[str, list[AlertTransition]] = {}
    for t in sorted(transitions, key=lambda t: t.at):
        by_fp.setdefault(t.fingerprint, []).append(t)
    out: list[tuple[datetime, datetime, str, str]] = []
    for fp, moves in by_fp.items():
        for i, move in enumerate(moves):
            if move.to_state not in ("pending", "firing"):
                continue
            until = moves[i + 1].at if i + 1 < len(moves) else end
            out.append((move.at, until, move.to_state, fp))
    return out


def _label(labels: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "all"


def rule_chart(
    series: dict[str, Any], transitions: Sequence[AlertTransition], end: datetime
) -> go.Figure:
    """The rule's metric with its threshold and shaded pending/firing intervals."""
    fig = go.Figure()
    lines: dict[str, tuple[list[Any], list[Any]]] = {}
    for p in series.get("points", []):
        xs, ys = lines.setdefault(_label(p["labels"]), ([], []))
        xs.append(p["at"])
        ys.append(p["value"])
    for name, (xs, ys) in sorted(lines.items()):
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, line={"color": color_for(name)})
        )
    threshold = series.get("threshold")
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line_dash="dash",
            line_color=STATE_COLORS["firing"],
            annotation_text=f"threshold {series.get('op', '')} {threshold:g}",
        )
    for start, stop, state, _fp in state_intervals(transitions, end):
        fig.add_vrect(
            x0=start,
            x1=stop,
            fillcolor=STATE_COLORS[state],
            opacity=0.18 if state == "pending" else 0.25,
            line_width=0,
            layer="below",
        )
    unit = UNIT_TITLES.get(str(series.get("unit", "")), "")
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        height=320,
        yaxis_title=f"{series.get('rule', '')} ({unit})" if unit else series.get("rule", ""),
        xaxis_title="time (UTC)",
        legend={"orientation": "h"},
    )
    return fig


def history_timeline(transitions: Sequence[AlertTransition]) -> go.Figure:
    """Each transition as a marker (colour = new state) on one row per rule."""
    fig = go.Figure()
    for state, color in STATE_COLORS.items():
        rows = [t for t in transitions if t.to_state == state]
        if not rows:
            continue
        fig.add_trace(
            go.Scatter(
                x=[t.at for t in rows],
                y=[t.rule for t in rows],
                mode="markers",
                name=state,
                marker={"color": color, "size": 11, "symbol": "diamond"},
                text=[
                    f"{_label(t.labels)}: value {t.value} (threshold {t.threshold})" for t in rows
                ],
                hovertemplate="%{y} → " + state + "<br>%{x}<br>%{text}<extra></extra>",
            )
        )
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=max(180, 40 * len({t.rule for t in transitions}) + 80),
        xaxis_title="time (UTC)",
        legend={"orientation": "h"},
    )
    return fig
