"""Drift benchmark: report latency over N synthetic spans in a DuckDB file.

    python benchmarks/bench_drift.py --spans 1000000 --dir /tmp/cs-drift

Writes N spans (``benchmarks/synthetic_spans.py``, spread over ``--days``) into a fresh
DuckDB file under ``--dir`` (``--reuse`` keeps an existing one), then reports the median of
``--repeats`` runs (after one warm-up) of: a full report (every feature) of the last day
against the day before, of the last 3 days against the 3 before, the same with a model
filter, one feature's drift score (what an alert rule evaluates), and a 24-point hourly
series. Prints a markdown table and writes ``drift-results.json`` beside the database.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic_spans import span_batches
from chainsight.collector.drift.report import (
    DriftOptions,
    Window,
    build_report,
    drift_score,
    series,
)
from chainsight.storage.duckdb import DuckDBStore
from chainsight.storage.duckdb.timestamps import from_ns
from chainsight.storage.model import TraceFilter

END_NS = 1_767_225_600 * 1_000_000_000


def _median_ms(fn: Callable[[int], Any], repeats: int) -> tuple[float, float]:
    """(median, max) wall time in ms over ``repeats`` runs after a warm-up run."""
    fn(-1)
    runs = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i)
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), max(runs)


def _fill(path: Path, n: int, batch: int, days: float) -> float:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    store = DuckDBStore.open(path)
    t0 = time.perf_counter()
    for records in span_batches(n, batch, seed=1, end_ns=END_NS, days=days):
        store.write_spans(records)
    store.close()
    return time.perf_counter() - t0


def run(  # noqa: PLR0917  # the command line, passed on
    n: int, directory: Path, batch: int, repeats: int, days: float, reuse: bool
) -> dict[str, Any]:
    path = directory / f"drift-{n}.duckdb"
    fill_s = None
    if not (reuse and path.exists()):
        fill_s = _fill(path, n, batch, days)
    store = DuckDBStore.open(path)
    end = from_ns(END_NS)
    day = timedelta(days=1)
    every = TraceFilter()
    results: dict[str, Any] = {"spans": store.stats()["spans"], "fill_s": fill_s}

    def report(length: timedelta, flt: TraceFilter) -> Callable[[int], Any]:
        current = Window(end - length, end)
        return lambda i: build_report(
            store, flt, current.before(), current, DriftOptions(seed=i + 1)
        )

    cases: dict[str, Callable[[int], Any]] = {
        "report, last day vs the day before (all features)": report(day, every),
        "report, last 3 days vs the 3 before (all features)": report(3 * day, every),
        "report, last day, model = gpt-4o": report(day, TraceFilter(model="gpt-4o")),
        "drift score, input_tokens, 1 h vs previous (an alert evaluation)": lambda i: drift_score(
            store, "input_tokens", every, end, timedelta(hours=1)
        ),
        "series, input_tokens, 24 hourly windows": lambda i: series(
            store,
            "input_tokens",
            every,
            end - day - timedelta(hours=1),
            end,
            timedelta(hours=1),
            timedelta(hours=1),
        ),
    }
    for name, fn in cases.items():
        median, worst = _median_ms(fn, repeats)
        results[name] = {"median_ms": round(median, 1), "max_ms": round(worst, 1)}
    sample = build_report(store, every, Window(end - 2 * day, end - day), Window(end - day, end))
    results["sampled_per_window"] = sample.current.sampled
    results["spans_in_current_day"] = sample.current.spans
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cs-drift-bench"))
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    results = run(args.spans, args.dir, args.batch, args.repeats, args.days, args.reuse)
    print(f"| case ({results['spans']:,} spans) | median ms | max ms |")
    print("| --- | ---: | ---: |")
    for name, value in results.items():
        if isinstance(value, dict):
            print(f"| {name} | {value['median_ms']} | {value['max_ms']} |")
    print(
        f"\nspans in the last day: {results['spans_in_current_day']:,}; "
        f"sampled per window: {results['sampled_per_window']:,}; fill: {results['fill_s']} s"
    )
    (args.dir / "drift-results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
