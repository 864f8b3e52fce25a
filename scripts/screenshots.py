"""Screenshots of every dashboard page for docs/screenshots/, taken in headless Chromium
against a real collector seeded with the deterministic demo traces.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--traces 400]

Starts ``chainsight serve`` on a free loopback port over a temporary data folder, seeds
it through ``POST /v1/traces``, runs the dashboard, visits each page and saves a PNG.
Everything it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from dashboard import browser, seed  # noqa: E402  (tests/dashboard: the shared harness)

PAGES = (  # (file name, URL path and query)
    ("overview", "/"),
    ("traces", "/traces"),
    ("trace", "/trace-detail?trace={trace}&span={llm_span}"),
    ("trace-error", "/trace-detail?trace={error_trace}&span={error_span}"),
    ("sessions", "/sessions?session={session}"),
    ("latency", "/latency"),
    ("cost", "/cost"),
    ("settings", "/settings"),
    ("drift", "/drift"),
    ("alerts", "/alerts"),
)


def start_collector(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``chainsight serve`` on a free port; returns the process and its URL once healthy."""
    port = browser._free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chainsight",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--log-level",
            "warning",
        ],
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"collector exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass  # not up yet
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("collector did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--traces", type=int, default=400)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chainsight-shots-") as tmp:
        proc, url = start_collector(Path(tmp) / "data")
        try:
            traces = list(seed.demo_traces(args.traces, now_ns=time.time_ns(), hours=20))
            seed.send(url, traces)
            slow = max(
                traces,
                key=lambda t: (
                    len(t.spans) * 10_000 + t.spans[0].end_ns - t.spans[0].start_ns
                    if not t.error
                    else 0
                ),
            )
            failed = next(t for t in traces if t.error)
            session = max(
                {t.session_id for t in traces},
                key=lambda s: sum(t.session_id == s for t in traces),
            )
            values = {
                "trace": slow.trace_id,
                "llm_span": next(s.span_id for s in slow.spans if s.name.startswith("chat ")),
                "error_trace": failed.trace_id,
                "error_span": next(s.span_id for s in failed.spans if s.error and s.parent),
                "session": session,
            }
            with (
                browser.running_dashboard(url, log_dir=Path(tmp)) as dash,
                browser.chromium() as context,
            ):
                page = context.new_page()
                # Streamlit scrolls inside its main block, so a tall viewport shows whole pages.
                page.set_viewport_size({"width": 1440, "height": 2000})
                for name, path in PAGES:
                    page.goto(dash + path.format(**values))
                    browser.wait_for_app(page)
                    page.wait_for_timeout(1500)  # plotly draws after the script run ends
                    page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
                    print(f"saved {args.out / f'{name}.png'}")
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
