"""Cost of keeping (trace_id, span_id) unique in DuckDB, by approach, as the table grows.

    python benchmarks/bench_dedupe.py --rows 3000000 --dir /tmp/cs-dedupe

Writes ``--rows`` spans in 10k-row Arrow batches (5-span traces, time-ordered) to a fresh
file per approach and reports the median batch time of the first and last 10 batches and
the file size. The figures chose the write path in ``storage/duckdb/writes.py`` (see
docs/storage.md, "Dedupe"):

- ``pk``: ``PRIMARY KEY (trace_id, span_id)`` and ``INSERT OR IGNORE`` (an ART index)
- ``keytable``: a separate key table with a primary key, anti-joined before each insert
- ``anti``: an anti-join against all of ``spans``
- ``window``: the anti-join restricted to the batch's start window (zonemap-pruned; chosen)
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import duckdb
import pyarrow as pa

BATCH = 10_000
APPROACHES = ("pk", "keytable", "anti", "window")


def run(mode: str, rows: int, directory: Path) -> str:
    rng = random.Random(1)
    path = directory / f"{mode}.duckdb"
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    key = ", PRIMARY KEY (trace_id, span_id)" if mode == "pk" else ""
    con.execute(
        "CREATE TABLE spans(trace_id VARCHAR, span_id VARCHAR, start_ns BIGINT, name VARCHAR,"
        f" payload VARCHAR{key})"
    )
    if mode == "keytable":
        con.execute(
            "CREATE TABLE span_keys(trace_id VARCHAR, span_id VARCHAR,"
            " PRIMARY KEY (trace_id, span_id))"
        )
    ts = 1_700_000_000_000_000_000
    lat = []
    for _ in range(rows // BATCH):
        tids, sids, starts = [], [], []
        for _ in range(BATCH // 5):
            t = f"{rng.getrandbits(128):032x}"
            for _ in range(5):
                ts += 1_000_000
                tids.append(t)
                sids.append(f"{rng.getrandbits(64):016x}")
                starts.append(ts)
        batch = pa.table(
            {
                "trace_id": tids,
                "span_id": sids,
                "start_ns": starts,
                "name": ["x"] * BATCH,
                "payload": ["p" * 50] * BATCH,
            }
        )
        con.register("batch", batch)
        t0 = time.perf_counter()
        con.execute("BEGIN")
        if mode == "pk":
            con.execute("INSERT OR IGNORE INTO spans SELECT * FROM batch")
        elif mode == "anti":
            con.execute(
                "INSERT INTO spans SELECT * FROM batch b WHERE NOT EXISTS (SELECT 1 FROM spans s"
                " WHERE s.trace_id = b.trace_id AND s.span_id = b.span_id)"
            )
        elif mode == "window":
            con.execute(
                "INSERT INTO spans SELECT * FROM batch b WHERE NOT EXISTS (SELECT 1 FROM spans s"
                " WHERE s.start_ns BETWEEN ? AND ? AND s.trace_id = b.trace_id"
                " AND s.span_id = b.span_id AND s.start_ns = b.start_ns)",
                [starts[0], starts[-1]],
            )
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE new AS SELECT b.* FROM batch b"
                " ANTI JOIN span_keys k ON k.trace_id = b.trace_id AND k.span_id = b.span_id"
            )
            con.execute("INSERT INTO span_keys SELECT trace_id, span_id FROM new")
            con.execute("INSERT INTO spans SELECT * FROM new")
        con.execute("COMMIT")
        con.unregister("batch")
        lat.append(time.perf_counter() - t0)
    con.close()
    first = statistics.median(lat[:10]) * 1000
    last = statistics.median(lat[-10:]) * 1000
    size = path.stat().st_size / 1e6
    return f"| {mode} | {first:.1f} | {last:.1f} | {size:.0f} MB |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, required=True, help="where the databases go")
    parser.add_argument("--modes", nargs="+", default=list(APPROACHES), choices=APPROACHES)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print("| approach | first 10 batches (median ms) | last 10 batches (median ms) | file |")
    print("|---|---|---|---|")
    for mode in args.modes:
        print(run(mode, args.rows, args.dir), flush=True)


if __name__ == "__main__":
    main()
