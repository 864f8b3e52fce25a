"""The dashboard process's start-up work (``chainsight.dashboard.serve``)."""

from __future__ import annotations

import subprocess
import sys


def test_warm_up_runs_in_a_fresh_interpreter() -> None:
    """Preload and warm-up succeed on their own (before Streamlit runs) and mark Streamlit's
    once-per-process "use streamlit run" check as done."""
    code = (
        "import importlib\n"
        "from chainsight.dashboard import serve\n"
        "for name in serve.PRELOAD: importlib.import_module(name)\n"
        "serve.warm_up()\n"
        "from streamlit import delta_generator\n"
        "assert delta_generator._use_warning_has_been_displayed is True\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
