"""Storage benchmark: write N synthetic spans through ``write_spans``, then time the queries.

    python benchmarks/bench_queries.py --spans 1000000 10000000 --dir /tmp/cs-bench

For each size: a fresh DuckDB file under ``--dir`` (never the repository), spans written in
batches of ``--batch`` (the collector's group commits), write throughput reported; then the
median of ``--repeats`` runs (after one warm-up) of: trace lists (50 rows, several filters),
one trace tree (a different trace each run), and p95 TTFT by model per minute over the last
24 h. Prints a markdown table and writes ``results.json`` beside the databases.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic_spans import span_batches
from chainsight.storage.duckdb import DuckDBStore
from chainsight.storage.duckdb.timestamps import from_ns
from chainsight.storage.model import MetricQuery, TraceFilter

END_NS = 1_767_225_600 * 1_000_000_000


def _median_ms(fn: Callable[[int], Any], repeats: int) -> float:
    fn(-1)  # warm-up
    runs = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i)
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def run(n: int, directory: Path, batch: int, repeats: int, days: float) -> dict[str, Any]:
    path = directory / f"bench-{n}.duckdb"
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    store = DuckDBStore.open(path)
    t0 = time.perf_counter()
    write_s = 0.0
    written = 0
    sample_ids: list[str] = []
    rng = random.Random(7)
    for records in span_batches(n, batch, seed=1, end_ns=END_NS, days=days):
        w0 = time.perf_counter()
        result = store.write_spans(records)
        write_s += time.perf_counter() - w0
        written += result.inserted
        if rng.random() < 0.05:
            sample_ids.append(records[rng.randrange(len(records))].trace_id)
    total_s = time.perf_counter() - t0
    out: dict[str, Any] = {
        "spans": written,
        "write_spans_per_s": round(written / write_s),
        "generate_and_write_s": round(total_s, 1),
        "bytes": store.stats()["bytes"],
    }
    end = from_ns(END_NS)
    day = TraceFilter(start=end - timedelta(hours=24), end=end)
    lists: dict[str, TraceFilter] = {
        "list: no filter, newest": TraceFilter(),
        "list: last 24h, model=gpt-4o": day.model_copy(update={"model": "gpt-4o"}),
        "list: status=error": TraceFilter(status="error"),
        "list: user=user-7, last 24h": day.model_copy(update={"user_id": "user-7"}),
        "list: tag=vip, min latency 2s": TraceFilter(tag="vip", min_latency_ms=2000),
    }
    timings: dict[str, float] = {}
    for label, f in lists.items():
        timings[label] = _median_ms(lambda _i, f=f: store.list_traces(f, limit=50), repeats)
    timings["list: cost_desc, no filter"] = _median_ms(
        lambda _i: store.list_traces(TraceFilter(), sort="cost_desc", limit=50), repeats
    )
    page1 = store.list_traces(TraceFilter(), limit=50)
    timings["list: page 2 via cursor"] = _median_ms(
        lambda _i: store.list_traces(TraceFilter(), limit=50, cursor=page1.next_cursor), repeats
    )
    timings["trace tree"] = _median_ms(
        lambda i: store.get_trace(sample_ids[i % len(sample_ids)]), max(repeats, 20)
    )
    metric = MetricQuery(
        start=end - timedelta(hours=24), end=end, bucket_seconds=60, group_by="model", kind="llm"
    )
    timings["p95 TTFT by model per minute, 24h"] = _median_ms(
        lambda _i: store.metrics(metric), repeats
    )
    out["query_ms"] = {k: round(v, 1) for k, v in timings.items()}
    out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--dir", type=Path, required=True, help="where the databases go")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--days", type=float, default=7.0, help="time range the spans cover")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for n in args.spans:
        results[n] = run(n, args.dir, args.batch, args.repeats, args.days)
        print(json.dumps({n: results[n]}, indent=1), flush=True)
    (args.dir / "results.json").write_text(json.dumps(results, indent=1))
    labels = list(next(iter(results.values()))["query_ms"])
    print("\n| query (median ms) | " + " | ".join(f"{n:,} spans" for n in results) + " |")
    print("|---|" + "---|" * len(results))
    for label in labels:
        print(
            f"| {label} | " + " | ".join(str(r["query_ms"][label]) for r in results.values()) + " |"
        )
    for key in ("write_spans_per_s", "generate_and_write_s", "bytes", "max_rss_mib"):
        print(f"| {key} | " + " | ".join(f"{r[key]:,}" for r in results.values()) + " |")


if __name__ == "__main__":
    main()
