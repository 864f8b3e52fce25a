"""Dashboard page loads in a real browser at scale: seed a collector with N spans of demo
RAG traces (all inside the default 24 h window, the worst case), then time every page in
headless Chromium.

    .venv/bin/python benchmarks/bench_dashboard.py --spans 1000000 --dir /tmp/cs-dash-bench

A load is ``page.goto`` until Streamlit reports the script run finished and no skeleton is
left (every chart and table drawn). "cold" is the first visit of a fresh dashboard process
(empty caches: every API call reaches the collector); "warm" is the median of
``--repeats`` reloads (within the cache TTL, as when a user switches pages). The seeded
database is kept under ``--dir`` and reused by later runs with the same ``--spans``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from dashboard import browser, seed  # noqa: E402  (tests/dashboard: the shared harness)

PAGES = (
    "/",
    "/traces",
    "/trace-detail?trace={trace}",
    "/sessions",
    "/latency",
    "/cost",
    "/settings",
)
BATCH_TRACES = 500


def start_collector(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
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
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"collector exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass  # starting
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("collector did not start")


def fill(url: str, spans: int) -> None:
    """Send demo traces until the collector holds ``spans`` spans."""
    have = httpx.get(f"{url}/api/v1/status", timeout=30).json()["spans"]
    if have >= spans:
        print(f"reusing {have:,} stored spans")
        return
    started = time.perf_counter()
    batch: list[seed.DemoTrace] = []
    sent = have
    for trace in seed.demo_traces(10**9, now_ns=time.time_ns(), hours=23, seed=have + 1):
        batch.append(trace)
        if len(batch) == BATCH_TRACES:
            sent += seed.send(url, batch, batch=BATCH_TRACES)
            batch = []
            if sent >= spans:
                break
    elapsed = time.perf_counter() - started
    print(f"seeded {sent - have:,} spans in {elapsed:.0f} s ({(sent - have) / elapsed:,.0f}/s)")


def measure(
    dash: str, trace_id: str, repeats: int, first: str | None = None
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with browser.chromium() as context:
        page = context.new_page()
        if first is not None:
            # The fresh dashboard process's and browser's one-time start-up (Streamlit's JS
            # bundle, the first script run's imports), paid by whichever page comes first.
            started = time.perf_counter()
            page.goto(dash + first)
            browser.wait_for_app(page, timeout_ms=60_000)
            results[f"first visit ({first})"] = {"cold_s": time.perf_counter() - started}
            print(f"first visit {first}: {results[f'first visit ({first})']['cold_s']:.2f} s")
        for path in PAGES:
            url = dash + path.format(trace=trace_id)
            times = []
            for _ in range(repeats + 1):
                started = time.perf_counter()
                page.goto(url)
                browser.wait_for_app(page, timeout_ms=60_000)
                times.append(time.perf_counter() - started)
            errors = page.locator(
                '[data-testid="stException"], [data-testid="stAlertContentError"]'
            )
            if errors.count():
                raise SystemExit(f"{path} shows an error: {errors.first.inner_text()}")
            name = path.split("?")[0]
            results[name] = {"cold_s": times[0], "warm_s": statistics.median(times[1:])}
            print(f"{name:<14} cold {times[0]:.2f} s  warm {results[name]['warm_s']:.2f} s")
    return results


NAV_TITLES = ("Overview", "Traces", "Sessions", "Latency", "Cost & tokens", "Settings")
WAIT_FOR_TITLE = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && h1 && h1.innerText.trim() === title
        && !document.querySelector('[data-testid="stSkeleton"], .stSkeleton');
}"""


def measure_navigation(dash: str, repeats: int) -> dict[str, float]:
    """Page switches from the sidebar (the app is loaded; the usual way between pages)."""
    times: dict[str, list[float]] = {title: [] for title in NAV_TITLES}
    with browser.chromium() as context:
        page = context.new_page()
        page.goto(dash + "/")
        browser.wait_for_app(page, timeout_ms=60_000)
        for _ in range(repeats):
            for title in NAV_TITLES:
                link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
                started = time.perf_counter()
                link.click()
                page.wait_for_function(WAIT_FOR_TITLE, arg=title, timeout=60_000)
                times[title].append(time.perf_counter() - started)
    result = {title: statistics.median(values) for title, values in times.items()}
    for title, value in result.items():
        print(f"switch to {title:<14} {value:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cs-dash-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--first",
        default=None,
        help="a page to open once before timing (e.g. /settings), so each page's cold load "
        "excludes the dashboard process's and the browser's one-time start-up",
    )
    args = parser.parse_args()
    data_dir = args.dir / f"data-{args.spans}"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    proc, url = start_collector(data_dir, args.dir / "collector.log")
    try:
        fill(url, args.spans)
        status = httpx.get(f"{url}/api/v1/status", timeout=30).json()
        trace_id = httpx.get(f"{url}/api/v1/traces?limit=1&sort=duration_desc", timeout=60).json()[
            "items"
        ][0]["trace_id"]
        with browser.running_dashboard(url, log_dir=args.dir) as dash:
            results = measure(dash, trace_id, args.repeats, args.first)
            switches = measure_navigation(dash, args.repeats)
        out = {"spans": status["spans"], "pages": results, "switches": switches}
        (args.dir / "dashboard-results.json").write_text(json.dumps(out, indent=2))
        print(
            f"\n{status['spans']:,} spans stored\n\n| page | cold load | warm load |\n|---|---|---|"
        )
        for page, r in results.items():
            warm = f"{r['warm_s']:.2f} s" if "warm_s" in r else "—"
            print(f"| `{page}` | {r['cold_s']:.2f} s | {warm} |")
        print("\n| page switch (sidebar) | median |\n|---|---|")
        for title, value in switches.items():
            print(f"| {title} | {value:.2f} s |")
    finally:
        proc.terminate()
        proc.wait(60)


if __name__ == "__main__":
    main()
