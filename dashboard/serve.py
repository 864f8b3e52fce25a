"""The dashboard process's entry point: import what the pages use, then run Streamlit.

Streamlit executes the app script when the first browser session connects, so that first
run would also import plotly, pandas and our page modules while the first visitor waits.
Importing them here, before the server listens, moves that cost into start-up, which
``chainsight dashboard``, ``chainsight up`` and ``chainsight demo`` already wait for (they
poll Streamlit's health endpoint). Measured at 1M spans: the first view after a start went
from 2.9-3.2 s to 2.3-2.7 s (docs/benchmarks.md). The arguments are ``streamlit``'s own:
``python -m chainsight.dashboard.serve run APP_SCRIPT --server.port ...``.
"""

from __future__ import annotations

import importlib
import sys

PRELOAD = (
    "httpcore",  # httpx imports it when the first client is built
    "pandas",
    "plotly.graph_objects",
    "plotly.io",
    "chainsight.dashboard.client",
    "chainsight.dashboard.data",
    "chainsight.dashboard.charts",
    "chainsight.dashboard.tables",
    "chainsight.dashboard.content",
    "chainsight.dashboard.alert_charts",
    "chainsight.dashboard.drift_charts",
)
"""Imported before Streamlit starts; none of them calls Streamlit at import time."""


def warm_up() -> None:
    """Pay the first script run's other one-time costs before the first visitor does.

    Measured in the first script run of a fresh dashboard process at 1M spans (cProfile):
    - plotly builds its property validators and the default template the first time a
      figure uses them: the first figure took ~0.1 s more than later ones (measured on the
      trace page's waterfall when it was a plotly chart: that script run 0.42 s against
      0.07 s). One figure with the trace types, shapes
      and axis settings the pages use, serialized as ``st.plotly_chart`` does, covers it.
    - Streamlit decides once per process whether to print its "use streamlit run" warning,
      calling ``inspect.stack()`` on the first element sent (0.1-0.2 s: it resolves the
      real path of every file on the stack). This process is ``streamlit run``, where the
      warning never applies, so the check is marked done. If a Streamlit release renames
      the flag, nothing happens but the check.
    - The dashboard client's SSL context (``client.ssl_context``): 25-40 ms.
    """
    import plotly.graph_objects as go
    import plotly.io as pio

    from chainsight.dashboard.client import ssl_context

    fig = go.Figure(
        [
            go.Bar(
                x=[1.0],
                y=["a"],
                orientation="h",
                marker={"color": "#636efa"},
                text=["a"],
                textposition="inside",
                customdata=[["a"]],
                hovertemplate="%{x}",
            ),
            go.Scatter(x=[1.0], y=[1.0], mode="lines+markers", line={"dash": "dot"}, name="a"),
            go.Histogram(x=[1.0], nbinsx=10),
        ]
    )
    fig.add_hline(y=1.0, line_dash="dash", annotation_text="SLO")
    fig.add_vline(x=1.0, line_dash="dash", line_color="#000000")
    fig.update_layout(
        title="warm-up",
        height=300,
        barmode="stack",
        hovermode="x unified",
        showlegend=True,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        legend={"orientation": "h"},
    )
    fig.update_xaxes(type="date", title_text="x", rangemode="tozero")
    fig.update_yaxes(title_text="y", autorange="reversed", rangemode="tozero")
    pio.to_json(fig, validate=False)
    ssl_context()
    from streamlit import delta_generator

    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True


def main() -> None:
    """Import :data:`PRELOAD`, then hand ``sys.argv`` to Streamlit's command line."""
    for name in PRELOAD:
        importlib.import_module(name)
    warm_up()
    from streamlit.web.cli import main as streamlit_main

    sys.exit(streamlit_main())


if __name__ == "__main__":
    main()
