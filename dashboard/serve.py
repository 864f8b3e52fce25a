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


def main() -> None:
    """Import :data:`PRELOAD`, then hand ``sys.argv`` to Streamlit's command line."""
    for name in PRELOAD:
        importlib.import_module(name)
    from streamlit.web.cli import main as streamlit_main

    sys.exit(streamlit_main())


if __name__ == "__main__":
    main()
