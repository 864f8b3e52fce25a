"""Re-pricing, retention and size counters: the operations that rewrite stored rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..model import TraceFilter
from ..store import Pricer, UsageForPricing
from .filters import span_predicate
from .timestamps import to_ns

REPRICE_BATCH = 50_000
"""Spans re-priced per transaction: bounds memory and the time the write lock is held."""

_REPRICE_COLUMNS = (
    "rowid, provider, model, start_ns, input_tokens, output_tokens, cached_tokens,"
    " cache_write_tokens, reasoning_tokens, cost, price_id, trace_id"
)

# Costs of the changed rows' traces, summed again over all their spans, inside the traces'
# own windows (which the zonemaps prune to).
_RESUM_TRACES = """
UPDATE traces SET cost = agg.cost
FROM (
    SELECT trace_id, sum(cost) AS cost FROM spans
    WHERE start_ns BETWEEN $lo AND $hi AND trace_id IN (SELECT trace_id FROM _cs_changed)
    GROUP BY trace_id
) agg
WHERE traces.trace_id = agg.trace_id
"""


def reprice(con: duckdb.DuckDBPyConnection, pricer: Pricer, f: TraceFilter) -> int:
    """Recompute cost and price_id of matching spans without an explicit cost.

    Batches by rowid, one transaction each; only rows whose (cost, price_id) changes are
    written, and their traces' cost totals are summed again in the same transaction.
    """
    where, params = span_predicate(f)
    changed_total = 0
    after = -1
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            rows = con.execute(
                f"SELECT {_REPRICE_COLUMNS} FROM spans s WHERE s.rowid > ?"
                " AND s.model IS NOT NULL AND s.price_id IS DISTINCT FROM 'explicit'"
                f" AND {where} ORDER BY s.rowid LIMIT ?",
                [after, *params, REPRICE_BATCH],
            ).fetchall()
            if not rows:
                con.execute("COMMIT")
                return changed_total
            after = rows[-1][0]
            changed = _changes(rows, pricer)
            if changed["rid"]:
                _apply(con, changed)
            con.execute("COMMIT")
        except Exception:
            # Not swallowed: undo this batch, then the store translates the error.
            con.execute("ROLLBACK")
            raise
        changed_total += len(changed["rid"])


def _changes(rows: list[tuple[Any, ...]], pricer: Pricer) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"rid": [], "cost": [], "price_id": [], "trace_id": []}
    for r in rows:
        usage = UsageForPricing(
            provider=r[1],
            model=r[2],
            start_ns=r[3],
            input_tokens=r[4],
            output_tokens=r[5],
            cached_tokens=r[6],
            cache_write_tokens=r[7],
            reasoning_tokens=r[8],
        )
        cost, price_id = pricer(usage)
        if (cost, price_id) != (r[9], r[10]):
            out["rid"].append(r[0])
            out["cost"].append(cost)
            out["price_id"].append(price_id)
            out["trace_id"].append(r[11])
    return out


def _apply(con: duckdb.DuckDBPyConnection, changed: dict[str, list[Any]]) -> None:
    table = pa.table(
        {
            "rid": pa.array(changed["rid"], type=pa.int64()),
            "cost": pa.array(changed["cost"], type=pa.float64()),
            "price_id": pa.array(changed["price_id"], type=pa.string()),
            "trace_id": pa.array(changed["trace_id"], type=pa.string()),
        }
    )
    con.register("_cs_changed", table)
    try:
        con.execute(
            "UPDATE spans SET cost = c.cost, price_id = c.price_id"
            " FROM _cs_changed c WHERE spans.rowid = c.rid"
        )
        window = con.execute(
            "SELECT min(start_ns), max(end_ns) FROM traces"
            " WHERE trace_id IN (SELECT trace_id FROM _cs_changed)"
        ).fetchone()
        if window is not None and window[0] is not None:
            con.execute(_RESUM_TRACES, {"lo": window[0], "hi": window[1]})
    finally:
        con.unregister("_cs_changed")


def prune(con: duckdb.DuckDBPyConnection, older_than: datetime) -> int:
    """Delete whole traces that started before ``older_than``; returns spans deleted."""
    cut = to_ns(older_than)
    con.execute("BEGIN TRANSACTION")
    try:
        window = con.execute("SELECT max(end_ns) FROM traces WHERE start_ns < ?", [cut]).fetchone()
        deleted = 0
        if window is not None and window[0] is not None:
            # Every span of a pruned trace ends by its trace's end_ns: the bound prunes the
            # scan to old row groups.
            row = con.execute(
                "DELETE FROM spans WHERE start_ns <= ? AND trace_id IN"
                " (SELECT trace_id FROM traces WHERE start_ns < ?)",
                [window[0], cut],
            ).fetchone()
            deleted = int(row[0]) if row is not None else 0
            con.execute("DELETE FROM traces WHERE start_ns < ?", [cut])
        con.execute("COMMIT")
    except Exception:
        # Not swallowed: undo the half-done prune, then the store translates the error.
        con.execute("ROLLBACK")
        raise
    return deleted


def stats(con: duckdb.DuckDBPyConnection, path: Path | None) -> dict[str, int]:
    """Row counts and storage bytes (file + WAL on disk; DuckDB's block count in memory)."""
    spans = con.execute("SELECT count(*) FROM spans").fetchone()
    traces = con.execute("SELECT count(*) FROM traces").fetchone()
    if path is not None:
        size = sum(
            p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists()
        )
    else:
        row = con.execute("SELECT total_blocks * block_size FROM pragma_database_size()").fetchone()
        size = int(row[0]) if row is not None and row[0] is not None else 0
    return {
        "spans": int(spans[0]) if spans else 0,
        "traces": int(traces[0]) if traces else 0,
        "bytes": size,
    }
