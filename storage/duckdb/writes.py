"""The write path: a batch of ``SpanRecord`` in, one DuckDB transaction, columnar throughout.

Per call: drop in-batch duplicates (Python dict, O(n)); build one pyarrow Table sorted by
``start_ns``; find duplicates of stored rows with one anti-join restricted to the batch's
start window (zonemap-pruned); ``INSERT INTO spans SELECT`` the new rows; aggregate them per
trace; plain-``INSERT`` the traces not yet stored and merge the others into ``traces`` with
``ON CONFLICT DO UPDATE``; recompute ``has_orphans`` for the few traces whose merge made it
unknown; commit. Costs are in docs/storage.md and docs/benchmarks.md ("Ingest").
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from ..model import SPAN_FIELDS, SpanColumns, SpanRecord, WriteResult

SET_SEP = "\x1f"
"""Delimiter of the text-encoded sets in ``traces`` (see schema.sql)."""

PREVIEW_CHARS = 300
"""Root input/output kept on the trace row for the list view."""

_SPAN_TYPES: dict[str, pa.DataType] = {
    "project": pa.string(),
    "trace_id": pa.string(),
    "span_id": pa.string(),
    "parent_span_id": pa.string(),
    "name": pa.string(),
    "kind": pa.string(),
    "otel_kind": pa.string(),
    "service": pa.string(),
    "start_ns": pa.int64(),
    "end_ns": pa.int64(),
    "duration_ms": pa.float64(),
    "status": pa.string(),
    "status_message": pa.string(),
    "operation": pa.string(),
    "provider": pa.string(),
    "request_model": pa.string(),
    "response_model": pa.string(),
    "model": pa.string(),
    "input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "cached_tokens": pa.int64(),
    "cache_write_tokens": pa.int64(),
    "reasoning_tokens": pa.int64(),
    "total_tokens": pa.int64(),
    "usage_estimated": pa.bool_(),
    "cost": pa.float64(),
    "price_id": pa.string(),
    "ttft_ms": pa.float64(),
    "tpot_ms": pa.float64(),
    "finish_reason": pa.string(),
    "error_type": pa.string(),
    "session_id": pa.string(),
    "user_id": pa.string(),
    "tags": pa.list_(pa.string()),
    "input": pa.string(),
    "output": pa.string(),
    "attributes": pa.string(),
    "events": pa.string(),
    "links": pa.string(),
    "resource": pa.string(),
    "scope": pa.string(),
}
SPAN_COLUMNS: tuple[str, ...] = tuple(_SPAN_TYPES)
"""Column order of ``spans`` (schema.sql) and of ``SpanRecord``."""
SPAN_SCHEMA = pa.schema(list(_SPAN_TYPES.items()))
_ROW = operator.attrgetter(*SPAN_COLUMNS)

_COLS = ", ".join(SPAN_COLUMNS)

# A retried span is the same span: same ids and same start. Restricting the probe side to the
# batch's start window lets the zonemaps skip every row group outside it (8 ms per 10k-span
# batch at 3M stored spans, flat; an unrestricted anti-join was 105 ms and growing).
_FIND_STORED = """
SELECT b.trace_id, b.span_id FROM _cs_batch b
SEMI JOIN (SELECT trace_id, span_id, start_ns FROM spans WHERE start_ns BETWEEN ? AND ?) s
  ON s.trace_id = b.trace_id AND s.span_id = b.span_id AND s.start_ns = b.start_ns
"""

_INSERT_SPANS = f"INSERT INTO spans ({_COLS}) SELECT {_COLS} FROM _cs_batch"


def _set_agg(expr: str) -> str:
    """A delimited, sorted, distinct text set of ``expr`` over the group (schema.sql)."""
    return (
        f"coalesce('{SET_SEP}' || array_to_string(list_sort(list_distinct("
        f"list({expr}) FILTER (WHERE {expr} IS NOT NULL))), '{SET_SEP}') || '{SET_SEP}', '')"
    )


def _set_merge(col: str) -> str:
    """Union of two delimited text sets, kept sorted and distinct."""
    return (
        f"coalesce('{SET_SEP}' || nullif(array_to_string(list_sort(list_distinct(list_filter("
        f"string_split(traces.{col} || excluded.{col}, '{SET_SEP}'), lambda x: x <> ''))), "
        f"'{SET_SEP}'), '') || '{SET_SEP}', '')"
    )


# Root choice: a span without parent beats any other; among equals the earlier start wins.
# The key is a struct so arg_min compares (not root, start) lexicographically.
_ROOT_KEY = "{'nr': parent_span_id IS NOT NULL, 's': start_ns}"

_BATCH_AGG = f"""
SELECT
    trace_id,
    any_value(project) AS project,
    bool_or(parent_span_id IS NULL) AS has_root,
    arg_min(start_ns, {_ROOT_KEY}) AS root_start_ns,
    arg_min(name, {_ROOT_KEY}) AS name,
    arg_min(kind, {_ROOT_KEY}) AS kind,
    arg_min(service, {_ROOT_KEY}) AS service,
    arg_min(left(input, {PREVIEW_CHARS}), {_ROOT_KEY}) AS input_preview,
    arg_min(left(output, {PREVIEW_CHARS}), {_ROOT_KEY}) AS output_preview,
    min(start_ns) AS start_ns,
    max(end_ns) AS end_ns,
    (max(end_ns) - min(start_ns)) / 1e6 AS duration_ms,
    CASE WHEN count(*) FILTER (WHERE status = 'error') > 0 THEN 'error'
         WHEN count(*) FILTER (WHERE status = 'ok') > 0 THEN 'ok' ELSE 'unset' END AS status,
    count(*) AS span_count,
    count(*) FILTER (WHERE status = 'error') AS error_count,
    count(*) FILTER (WHERE status = 'ok') AS ok_count,
    arg_min(ttft_ms, start_ns) FILTER (WHERE ttft_ms IS NOT NULL) AS ttft_ms,
    min(start_ns) FILTER (WHERE ttft_ms IS NOT NULL) AS ttft_start_ns,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(coalesce(total_tokens, CASE WHEN input_tokens IS NOT NULL OR output_tokens IS NOT NULL
        THEN coalesce(input_tokens, 0) + coalesce(output_tokens, 0) END)) AS total_tokens,
    sum(cost) AS cost,
    {_set_agg("model")} AS models,
    {_set_agg("name")} AS names,
    {_set_agg("kind")} AS kinds,
    {_set_agg("service")} AS services,
    coalesce('{SET_SEP}' || array_to_string(list_sort(list_distinct(flatten(list(tags)))),
             '{SET_SEP}') || '{SET_SEP}', '') AS tags,
    arg_min(user_id, start_ns) FILTER (WHERE user_id IS NOT NULL) AS user_id,
    arg_min(session_id, start_ns) FILTER (WHERE session_id IS NOT NULL) AS session_id,
    bool_or(parent_span_id IS NOT NULL AND NOT list_contains(ids.all_ids, parent_span_id))
        AS has_orphans
FROM _cs_batch
JOIN (SELECT trace_id AS tid, list(span_id) AS all_ids FROM _cs_batch GROUP BY trace_id) ids
  ON ids.tid = trace_id
GROUP BY trace_id
"""

# excluded.* is the batch's part; traces.* the stored part. Root fields move to the batch's
# part when it has the better root candidate (see _ROOT_KEY).
_NEW_ROOT = (
    "(excluded.has_root AND NOT traces.has_root) OR (excluded.has_root = traces.has_root"
    " AND excluded.root_start_ns < traces.root_start_ns)"
)


def _root(col: str) -> str:
    return f"CASE WHEN {_NEW_ROOT} THEN excluded.{col} ELSE traces.{col} END"


def _nsum(col: str) -> str:
    """Sum that stays NULL only when both parts are NULL (unpriced is not zero)."""
    return (
        f"CASE WHEN traces.{col} IS NULL AND excluded.{col} IS NULL THEN NULL "
        f"ELSE coalesce(traces.{col}, 0) + coalesce(excluded.{col}, 0) END"
    )


_NEW_TTFT = (
    "traces.ttft_start_ns IS NULL OR (excluded.ttft_start_ns IS NOT NULL"
    " AND excluded.ttft_start_ns < traces.ttft_start_ns)"
)

# Traces new to the table (nearly all of them under load: a trace's spans usually arrive in
# one or two requests) take a plain INSERT; only the ones already stored pay for the merge.
# Measured on 4,096-span batches: ON CONFLICT DO UPDATE cost ~10 us per span even when no
# row conflicted, a plain INSERT ~0.7 us (docs/benchmarks.md, "Ingest").
_FIND_STORED_TRACES = "SELECT trace_id FROM _cs_agg SEMI JOIN traces USING (trace_id)"
_INSERT_NEW_TRACES = "INSERT INTO traces SELECT * FROM _cs_agg ANTI JOIN _cs_old USING (trace_id)"
_INSERT_ALL_TRACES = "INSERT INTO traces SELECT * FROM _cs_agg"

_UPSERT_TRACES = f"""
INSERT INTO traces
SELECT * FROM _cs_agg SEMI JOIN _cs_old USING (trace_id)
ON CONFLICT (trace_id) DO UPDATE SET
    has_root = traces.has_root OR excluded.has_root,
    root_start_ns = {_root("root_start_ns")},
    name = {_root("name")},
    kind = {_root("kind")},
    service = {_root("service")},
    input_preview = {_root("input_preview")},
    output_preview = {_root("output_preview")},
    start_ns = least(traces.start_ns, excluded.start_ns),
    end_ns = greatest(traces.end_ns, excluded.end_ns),
    duration_ms = (greatest(traces.end_ns, excluded.end_ns)
                   - least(traces.start_ns, excluded.start_ns)) / 1e6,
    status = CASE WHEN traces.error_count + excluded.error_count > 0 THEN 'error'
                  WHEN traces.ok_count + excluded.ok_count > 0 THEN 'ok' ELSE 'unset' END,
    span_count = traces.span_count + excluded.span_count,
    error_count = traces.error_count + excluded.error_count,
    ok_count = traces.ok_count + excluded.ok_count,
    ttft_ms = CASE WHEN {_NEW_TTFT} THEN excluded.ttft_ms ELSE traces.ttft_ms END,
    ttft_start_ns = CASE WHEN {_NEW_TTFT} THEN excluded.ttft_start_ns ELSE traces.ttft_start_ns END,
    input_tokens = {_nsum("input_tokens")},
    output_tokens = {_nsum("output_tokens")},
    total_tokens = {_nsum("total_tokens")},
    cost = {_nsum("cost")},
    models = {_set_merge("models")},
    names = {_set_merge("names")},
    kinds = {_set_merge("kinds")},
    services = {_set_merge("services")},
    tags = {_set_merge("tags")},
    user_id = coalesce(traces.user_id, excluded.user_id),
    session_id = coalesce(traces.session_id, excluded.session_id),
    -- Two orphan-free parts make an orphan-free whole; otherwise recompute (NULL).
    has_orphans = CASE WHEN traces.has_orphans OR excluded.has_orphans THEN NULL ELSE false END
WHERE traces.project = excluded.project
"""

_ORPHAN_WINDOW = "SELECT min(start_ns), max(end_ns) FROM traces WHERE has_orphans IS NULL"

# Recompute only the traces the merge marked unknown, inside their time window.
_RECOMPUTE_ORPHANS = """
UPDATE traces SET has_orphans = o.orphans
FROM (
    SELECT s.trace_id,
           bool_or(s.parent_span_id IS NOT NULL
                   AND NOT list_contains(ids.all_ids, s.parent_span_id)) AS orphans
    FROM (SELECT trace_id, span_id, parent_span_id FROM spans
          WHERE start_ns BETWEEN $lo AND $hi
            AND trace_id IN (SELECT trace_id FROM traces WHERE has_orphans IS NULL)) s
    JOIN (SELECT trace_id, list(span_id) AS all_ids FROM spans
          WHERE start_ns BETWEEN $lo AND $hi
            AND trace_id IN (SELECT trace_id FROM traces WHERE has_orphans IS NULL)
          GROUP BY trace_id) ids ON ids.trace_id = s.trace_id
    GROUP BY s.trace_id
) o
WHERE traces.trace_id = o.trace_id
"""


def records_to_arrow(records: Sequence[SpanRecord]) -> pa.Table:
    """Columns of ``records`` as one Arrow table in ``spans`` column order, sorted by start.

    Sorting each batch by ``start_ns`` keeps row groups time-ordered (schema.sql).
    """
    # attrgetter builds each row tuple in C and zip(*) transposes; the pa.array calls that
    # follow dominate (~60 ms per 10k spans, the largest single cost of a write).
    rows = list(map(_ROW, records))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in SPAN_COLUMNS]
    table = pa.Table.from_arrays(
        [pa.array(col, type=t) for col, t in zip(columns, _SPAN_TYPES.values(), strict=True)],
        schema=SPAN_SCHEMA,
    )
    return table.sort_by("start_ns")


_FIELD_TYPES = [_SPAN_TYPES[name] for name in SPAN_FIELDS]
_TRACE_ID = SPAN_FIELDS.index("trace_id")
_SPAN_ID = SPAN_FIELDS.index("span_id")


def columns_to_arrow(spans: SpanColumns) -> tuple[pa.Table, int]:
    """``spans`` as one Arrow table sorted by start, without in-batch duplicates.

    Returns (table, duplicates dropped). The columns go to ``pa.array`` as they are: no
    ``SpanRecord`` is built or read (``records_to_arrow`` spends ~2.5 µs per span on that).
    """
    columns = spans.columns
    n = len(spans)
    keys = list(zip(columns[_TRACE_ID], columns[_SPAN_ID], strict=True))
    distinct = len(set(keys))
    if distinct < n:  # keep the first of each (trace_id, span_id), as for records
        seen: set[tuple[str, str]] = set()
        keep: list[int] = []
        for i, key in enumerate(keys):
            if key not in seen:
                seen.add(key)
                keep.append(i)
        columns = tuple([col[i] for i in keep] for col in columns)
    table = pa.Table.from_arrays(
        [pa.array(col, type=t) for col, t in zip(columns, _FIELD_TYPES, strict=True)],
        names=list(SPAN_FIELDS),
    )
    return table.sort_by("start_ns"), n - distinct


def write_spans(con: duckdb.DuckDBPyConnection, records: Sequence[SpanRecord]) -> WriteResult:
    """Insert ``records`` in one transaction on ``con``; see the module docstring.

    The caller holds the store's write lock and turns driver errors into StorageError.
    ``SpanColumns`` (the collector's decoder output) skip the per-record conversion.
    """
    if isinstance(records, SpanColumns):
        batch, in_batch_duplicates = columns_to_arrow(records)
    else:
        unique: dict[tuple[str, str], SpanRecord] = {}
        for r in records:
            unique.setdefault((r.trace_id, r.span_id), r)
        in_batch_duplicates = len(records) - len(unique)
        batch = records_to_arrow(list(unique.values()))
    if not batch.num_rows:
        return WriteResult(inserted=0, duplicates=in_batch_duplicates)
    lo = batch.column("start_ns")[0].as_py()
    hi = batch.column("start_ns")[-1].as_py()
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_cs_batch", batch)
        stored = con.execute(_FIND_STORED, [lo, hi]).fetchall()
        if stored:
            con.unregister("_cs_batch")
            batch = _without(batch, {(t, s) for t, s in stored})
            con.register("_cs_batch", batch)
        if batch.num_rows:
            con.execute(_INSERT_SPANS)
            _merge_traces(con)
        con.execute("COMMIT")
    except Exception:
        # Not swallowed: undo the half-done transaction, then let the caller translate it.
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_cs_batch")
    return WriteResult(inserted=batch.num_rows, duplicates=in_batch_duplicates + len(stored))


def _merge_traces(con: duckdb.DuckDBPyConnection) -> None:
    """Fold the batch's per-trace aggregate into ``traces``: insert the new, merge the stored."""
    agg = con.sql(_BATCH_AGG).to_arrow_table()
    con.register("_cs_agg", agg)
    try:
        old = con.sql(_FIND_STORED_TRACES).to_arrow_table()
        if not old.num_rows:
            con.execute(_INSERT_ALL_TRACES)
            return
        con.register("_cs_old", old)
        try:
            if old.num_rows < agg.num_rows:
                con.execute(_INSERT_NEW_TRACES)
            con.execute(_UPSERT_TRACES)
        finally:
            con.unregister("_cs_old")
        window = con.execute(_ORPHAN_WINDOW).fetchone()
        if window is not None and window[0] is not None:
            con.execute(_RECOMPUTE_ORPHANS, {"lo": window[0], "hi": window[1]})
    finally:
        con.unregister("_cs_agg")


def _without(batch: pa.Table, keys: set[tuple[str, str]]) -> pa.Table:
    trace_ids = batch.column("trace_id").to_pylist()
    span_ids = batch.column("span_id").to_pylist()
    mask = [(t, s) not in keys for t, s in zip(trace_ids, span_ids, strict=True)]
    return batch.filter(pa.array(mask, type=pa.bool_()))
