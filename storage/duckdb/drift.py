"""Drift support: uniform samples of a window's spans, and saved reference periods.

A drift report compares distributions, and a distribution is estimated as well from a few
thousand uniformly sampled rows as from a million (the standard error of a share shrinks
as 1/sqrt(n)). So the sampling happens here, inside DuckDB: a reservoir sample of the
filtered rows of the window, and only the sampled rows (with their text truncated) cross
into Python. Measured on 1M spans: docs/benchmarks.md, "Drift".
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

import duckdb

from ..errors import InvalidQuery
from ..model import DriftSample, ReferencePeriod, TraceFilter
from .catalog import Connections
from .filters import span_predicate
from .timestamps import from_ns, to_ns

TEXT_CHARS = 4000
"""Characters of input/output kept per sampled span: enough for language and n-gram
vectors, and a bound on what a sample of long prompts moves out of DuckDB."""

SAMPLE_COLUMNS: dict[str, str] = {
    "start_ns": "s.start_ns",
    "project": "s.project",
    "name": "s.name",
    "kind": "s.kind",
    "status": "s.status",
    "model": "s.model",
    "provider": "s.provider",
    "input_tokens": "s.input_tokens",
    "output_tokens": "s.output_tokens",
    "duration_ms": "s.duration_ms",
    "ttft_ms": "s.ttft_ms",
    "tpot_ms": "s.tpot_ms",
    "cost": "s.cost",
    "finish_reason": "s.finish_reason",
    "error_type": "s.error_type",
    "input": f"left(s.input, {TEXT_CHARS})",
    "output": f"left(s.output, {TEXT_CHARS})",
    "attributes": "s.attributes",
}
"""The columns a drift sample may name, and the expression each reads (whitelist: column
names are spliced into SQL, values never are)."""

MAX_SAMPLE = 100_000


def drift_sample(  # noqa: PLR0917  # mirrors Store.drift_sample
    con: duckdb.DuckDBPyConnection,
    flt: TraceFilter,
    start_ns: int,
    end_ns: int,
    columns: Sequence[str],
    limit: int,
    seed: int = 0,
    kind: str | None = None,
) -> DriftSample:
    """At most ``limit`` spans drawn uniformly from those in ``[start_ns, end_ns)`` matching
    ``flt`` (and ``kind``), as column lists; ``total`` counts every matching span."""
    if end_ns <= start_ns:
        raise InvalidQuery("drift window end must be after its start")
    if not 1 <= limit <= MAX_SAMPLE:
        raise InvalidQuery(f"drift sample limit must be within 1..{MAX_SAMPLE}")
    unknown = [c for c in columns if c not in SAMPLE_COLUMNS]
    if unknown or not columns:
        raise InvalidQuery(f"unknown drift sample columns {unknown}; known: {list(SAMPLE_COLUMNS)}")
    where, params = span_predicate(flt.model_copy(update={"start": None, "end": None}))
    conds = ["s.start_ns >= ?", "s.start_ns < ?", where]
    params = [start_ns, end_ns, *params]
    if kind is not None:
        conds.append("s.kind = ?")
        params.append(kind)
    body = f"FROM spans s WHERE {' AND '.join(conds)}"
    row = con.execute(f"SELECT count(*) {body}", params).fetchone()
    total = int(row[0]) if row is not None else 0
    select = ", ".join(f"{SAMPLE_COLUMNS[c]} AS {c}" for c in columns)
    if total <= limit:
        sql = f"SELECT {select} {body}"
    else:
        # Sample after filtering: USING SAMPLE on a base table applies before WHERE.
        sql = (
            f"SELECT * FROM (SELECT {select} {body}) "
            f"USING SAMPLE reservoir({int(limit)} ROWS) REPEATABLE ({int(seed) % 2**31})"
        )
    rows = con.execute(sql, params).fetchall() if total else []
    values: list[builtins.list[Any]] = (
        [list(col) for col in zip(*rows, strict=True)] if rows else []
    )
    if not values:
        values = [[] for _ in columns]
    return DriftSample(total=total, columns=dict(zip(columns, values, strict=True)))


def _period(row: tuple[Any, ...]) -> ReferencePeriod:
    return ReferencePeriod(
        project=row[0] or None,
        name=row[1],
        start=from_ns(row[2]),
        end=from_ns(row[3]),
        description=row[4],
        created_at=from_ns(row[5]),
    )


_COLUMNS = "project, name, start_ns, end_ns, description, created_ns"


class ReferenceTable:
    """``ReferenceStore`` over the ``reference_periods`` table (schema_v2.sql)."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def list(self, project: str | None = None) -> builtins.list[ReferencePeriod]:
        """Saved periods (of ``project`` when given), by name."""
        sql = f"SELECT {_COLUMNS} FROM reference_periods"
        params: builtins.list[Any] = []
        if project is not None:
            sql += " WHERE project = ?"
            params.append(project)
        with self._db.reading() as con:
            rows = con.execute(sql + " ORDER BY name, project", params).fetchall()
        return [_period(r) for r in rows]

    def get(self, name: str, project: str | None = None) -> ReferencePeriod | None:
        """One period by project and name, or None."""
        with self._db.reading() as con:
            row = con.execute(
                f"SELECT {_COLUMNS} FROM reference_periods WHERE project = ? AND name = ?",
                [project or "", name],
            ).fetchone()
        return None if row is None else _period(row)

    def put(self, period: ReferencePeriod) -> ReferencePeriod:
        """Create or replace the period named ``period.name`` in its project."""
        start, end = to_ns(period.start), to_ns(period.end)
        if end <= start:
            raise InvalidQuery("a reference period's end must be after its start")
        created = to_ns(period.created_at) if period.created_at is not None else time.time_ns()
        with self._db.writing() as con:
            con.execute(
                f"INSERT OR REPLACE INTO reference_periods ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                [period.project or "", period.name, start, end, period.description, created],
            )
        return period.model_copy(update={"created_at": from_ns(created)})

    def delete(self, name: str, project: str | None = None) -> bool:
        """Remove one period; False when there was none."""
        with self._db.writing() as con:
            row = con.execute(
                "DELETE FROM reference_periods WHERE project = ? AND name = ? RETURNING name",
                [project or "", name],
            ).fetchall()
        return bool(row)
