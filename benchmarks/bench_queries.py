"""Storage benchmark: write N synthetic spans through ``write_spans``, then time the queries.

    python benchmarks/bench_queries.py --spans 1000000 10000000 --dir /tmp/cs-qbench
    python benchmarks/bench_queries.py --spans 10000000 --dir /tmp/cs-qbench --reuse --api

For each size: a fresh DuckDB file under ``--dir`` (never the repository), spans written in
batches of ``--batch`` (the collector's group commits), write throughput reported; then, for
each query, the median over ``--repeats`` runs (after one warm-up) of wall time and of CPU
time (``time.process_time``: this process's threads, DuckDB's included, so other load on the
machine does not inflate it): trace lists (50 rows, several filters and sorts), one trace
tree (a different trace each run), p95 TTFT by model per minute over the last 24 h, the
project list, the unpriced models, sessions and users.

``--reuse`` keeps a database already in ``--dir`` (only the queries run again); ``--api``
also copies each database into a temporary data directory, starts ``python -m chainsight
serve`` on a free loopback port over it and times the same queries through HTTP (httpx),
with the server's CPU time per request read from ``/proc``. Prints markdown tables and
writes ``results.json`` beside the databases.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic_spans import span_batches
from chainsight.storage.duckdb import DuckDBStore
from chainsight.storage.duckdb.timestamps import from_ns
from chainsight.storage.model import MetricQuery, TraceFilter

END_NS = 1_767_225_600 * 1_000_000_000
END = from_ns(END_NS)
DAY = TraceFilter(start=END - timedelta(hours=24), end=END)
METRIC = MetricQuery(
    start=END - timedelta(hours=24), end=END, bucket_seconds=60, group_by="model", kind="llm"
)
LISTS: dict[str, TraceFilter] = {
    "list: no filter, newest": TraceFilter(),
    "list: last 24h, model=gpt-4o": DAY.model_copy(update={"model": "gpt-4o"}),
    "list: status=error": TraceFilter(status="error"),
    "list: user=user-7, last 24h": DAY.model_copy(update={"user_id": "user-7"}),
    "list: tag=vip, min latency 2s": TraceFilter(tag="vip", min_latency_ms=2000),
    "list: search a common word": TraceFilter(search="retrieval"),
    "list: search an absent word, last 24h": DAY.model_copy(update={"search": "zzz-absent"}),
}
METRIC_LABEL = "p95 TTFT by model per minute, 24h"


def _median_ms(fn: Callable[[int], Any], repeats: int) -> dict[str, float]:
    """Median wall and CPU milliseconds of ``fn(i)`` over ``repeats`` runs after a warm-up."""
    fn(-1)
    wall, cpu = [], []
    for i in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn(i)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"ms": round(statistics.median(wall), 1), "cpu_ms": round(statistics.median(cpu), 1)}


def _write(store: DuckDBStore, n: int, batch: int, days: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    write_s = 0.0
    written = 0
    for records in span_batches(n, batch, seed=1, end_ns=END_NS, days=days):
        w0 = time.perf_counter()
        written += store.write_spans(records).inserted
        write_s += time.perf_counter() - w0
    return {
        "spans": written,
        "write_spans_per_s": round(written / write_s),
        "generate_and_write_s": round(time.perf_counter() - t0, 1),
    }


def _sample_ids(store: DuckDBStore, k: int = 200) -> list[str]:
    with store.reading() as con:
        rows = con.execute(
            f"SELECT trace_id FROM traces USING SAMPLE reservoir({k} ROWS) REPEATABLE (7)"
        ).fetchall()
    ids = sorted(r[0] for r in rows)
    random.Random(7).shuffle(ids)
    return ids


def time_store(store: DuckDBStore, ids: list[str], repeats: int) -> dict[str, dict[str, float]]:
    """Each query's median wall and CPU ms, in-process."""
    timings: dict[str, dict[str, float]] = {}
    for label, f in LISTS.items():
        timings[label] = _median_ms(lambda _i, f=f: store.list_traces(f, limit=50), repeats)
    timings["list: cost_desc, no filter"] = _median_ms(
        lambda _i: store.list_traces(TraceFilter(), sort="cost_desc", limit=50), repeats
    )
    page1 = store.list_traces(TraceFilter(), limit=50)
    timings["list: page 2 via cursor"] = _median_ms(
        lambda _i: store.list_traces(TraceFilter(), limit=50, cursor=page1.next_cursor), repeats
    )
    timings["trace tree"] = _median_ms(
        lambda i: store.get_trace(ids[i % len(ids)]), max(repeats, 20)
    )
    timings[METRIC_LABEL] = _median_ms(lambda _i: store.metrics(METRIC), repeats)
    timings[METRIC_LABEL + ", as JSON"] = _median_ms(lambda _i: store.metrics_json(METRIC), repeats)
    timings["projects"] = _median_ms(lambda _i: store.list_projects(), repeats)
    timings["unpriced models"] = _median_ms(lambda _i: store.prices.unpriced_models(), repeats)
    timings["sessions, last 24h"] = _median_ms(lambda _i: store.list_sessions(DAY), repeats)
    timings["users, last 24h"] = _median_ms(lambda _i: store.list_users(DAY), repeats)
    return timings


def _server_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_api(db: Path, ids: list[str], repeats: int) -> dict[str, dict[str, float]]:
    """The same queries through ``chainsight serve`` over a copy of ``db``."""
    day = {"start": DAY.start.isoformat(), "end": DAY.end.isoformat()}  # type: ignore[union-attr]
    routes: dict[str, Callable[[int], tuple[str, dict[str, Any]]]] = {
        "GET /api/v1/traces?limit=50": lambda _i: ("/api/v1/traces", {"limit": 50}),
        "GET /api/v1/traces (24h, model=gpt-4o)": lambda _i: (
            "/api/v1/traces",
            {"limit": 50, "model": "gpt-4o", **day},
        ),
        "GET /api/v1/traces?sort=cost_desc": lambda _i: (
            "/api/v1/traces",
            {"limit": 50, "sort": "cost_desc"},
        ),
        "GET /api/v1/traces/{id}": lambda i: (f"/api/v1/traces/{ids[i % len(ids)]}", {}),
        "GET /api/v1/metrics (p95 TTFT by model per minute, 24h)": lambda _i: (
            "/api/v1/metrics",
            {"bucket_seconds": 60, "group_by": "model", "span_kind": "llm", **day},
        ),
        "GET /api/v1/projects": lambda _i: ("/api/v1/projects", {}),
        "GET /api/v1/pricing/unpriced": lambda _i: ("/api/v1/pricing/unpriced", {}),
    }
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cs-qapi-", dir=db.parent) as tmp:
        shutil.copyfile(db, Path(tmp) / "chainsight.duckdb")
        port = _free_port()
        cmd = [sys.executable, "-m", "chainsight", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "--data-dir", tmp, "--log-level", "warning"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINSIGHT_")}
        proc = subprocess.Popen(cmd, env=env)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                deadline = time.monotonic() + 120
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError("collector exited during startup")
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError("collector did not start within 120 s")
                    time.sleep(0.2)
                for label, route in routes.items():
                    wall, cpu, size = [], [], 0
                    n = max(repeats, 20) if "{id}" in label else repeats
                    for i in range(-1, n):
                        path, params = route(i)
                        c0, t0 = _server_cpu_s(proc.pid), time.perf_counter()
                        r = client.get(path, params=params)
                        elapsed = (time.perf_counter() - t0) * 1000
                        r.raise_for_status()
                        if i >= 0:
                            wall.append(elapsed)
                            cpu.append((_server_cpu_s(proc.pid) - c0) * 1000)
                            size = len(r.content)
                    out[label] = {
                        "ms": round(statistics.median(wall), 1),
                        "server_cpu_ms": round(statistics.median(cpu), 1),
                        "bytes": size,
                    }
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
    return out


def run(n: int, args: argparse.Namespace) -> dict[str, Any]:
    path = args.dir / f"bench-{n}.duckdb"
    out: dict[str, Any] = {}
    if not (args.reuse and path.exists()):
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
    store = DuckDBStore.open(path)
    if store.stats()["spans"] == 0:
        out.update(_write(store, n, args.batch, args.days))
    stats = store.stats()
    out.update(stored_spans=stats["spans"], traces=stats["traces"], bytes=stats["bytes"])
    ids = _sample_ids(store)
    out["query_ms"] = time_store(store, ids, args.repeats)
    out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    store.close()
    if args.api:
        out["api_ms"] = time_api(path, ids, args.repeats)
    return out


def _table(results: dict[int, dict[str, Any]], key: str, fields: tuple[str, str]) -> None:
    sizes = list(results)
    print(f"\n| {key} (median) | " + " | ".join(f"{n:,} spans" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for label in results[sizes[0]].get(key, {}):
        cells = []
        for n in sizes:
            t = results[n][key].get(label)
            cells.append("-" if t is None else f"{t[fields[0]]} ms ({t[fields[1]]} ms CPU)")
        print(f"| {label} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--dir", type=Path, required=True, help="where the databases go")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--days", type=float, default=7.0, help="time range the spans cover")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument("--api", action="store_true", help="also time the HTTP routes")
    parser.add_argument("--json", type=Path, help="results file (default: DIR/results.json)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, Any]] = {}
    for n in args.spans:
        results[n] = run(n, args)
        print(json.dumps({n: results[n]}, indent=1), flush=True)
    (args.json or args.dir / "results.json").write_text(json.dumps(results, indent=1))
    _table(results, "query_ms", ("ms", "cpu_ms"))
    if args.api:
        _table(results, "api_ms", ("ms", "server_cpu_ms"))
    print()
    for key in ("write_spans_per_s", "generate_and_write_s", "bytes", "max_rss_mib"):
        cells = [f"{r[key]:,}" if key in r else "-" for r in results.values()]
        print(f"| {key} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
