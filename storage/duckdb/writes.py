"""The write path: a batch of ``SpanRecord`` in, one DuckDB transaction, columnar throughout.

Per call: drop in-batch duplicates (Python set, O(n)); build one pyarrow Table sorted by
``start_ns`` from the columns (``SpanColumns`` as decoded, or the records transposed); find
which of the batch's traces are stored already, and only if some are, the duplicates of
their stored spans (one semi-join restricted to their time window, zonemap-pruned);
``INSERT INTO spans SELECT`` the new rows; aggregate them per trace in Python (``rollup``);
plain-``INSERT`` the traces not yet stored and merge the others into ``traces`` with ``ON
CONFLICT DO UPDATE``; recompute ``has_orphans`` for the few traces whose merge made it
unknown; commit. Costs are in docs/storage.md and docs/benchmarks.md ("Ingest").

A ``SpanTable`` (the collector's decode worker processes: Arrow tables, each with its
per-trace rollup) takes the same steps in Arrow (``_write_table``): duplicates found by a
hash count, the concatenated table sorted, and the workers' rollups inserted as they are
unless the commit dropped a span or holds a trace split over two requests.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..model import SPAN_FIELDS, SpanColumns, SpanRecord, SpanTable, WriteResult
from .tracefilter import Hashes, StoredTraces, batch_hashes

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

_COLS = ", ".join(SPAN_COLUMNS)

# Which of the batch's traces are stored already, with each one's [start_ns, end_ns]. Every
# stored span has its trace's row (written and pruned in the same transactions), so a
# batch whose traces are all new (nearly every batch under load: a trace's spans usually
# arrive in one or two requests) has no stored duplicate and skips the span probe below.
# This scans traces.trace_id: ≈ 2 µs per span at 100k traces, ≈ 3 µs at 1M.
_FIND_STORED_TRACES = """
SELECT trace_id, start_ns, end_ns FROM traces
WHERE trace_id IN (SELECT trace_id FROM _cs_batch)
"""

# A retried span is the same span: same ids and same start, which lies inside its stored
# trace's [start_ns, end_ns]. So the probe reads only the spans of the stored traces
# (``_cs_old``) inside the batch's start window narrowed to theirs, and the zonemaps skip
# every row group outside it. Unrestricted, this anti-join cost 105 ms per 10k-span batch
# at 3M spans and grew; restricted to the batch's window alone, ≈ 5 µs per span when each
# request's spans spread over a minute (docs/benchmarks.md, "Ingest").
_FIND_STORED = """
SELECT b.trace_id, b.span_id FROM _cs_batch b
SEMI JOIN (SELECT trace_id, span_id, start_ns FROM spans
           WHERE start_ns BETWEEN ? AND ? AND trace_id IN (SELECT trace_id FROM _cs_old)) s
  ON s.trace_id = b.trace_id AND s.span_id = b.span_id AND s.start_ns = b.start_ns
"""

_INSERT_SPANS = f"INSERT INTO spans ({_COLS}) SELECT {_COLS} FROM _cs_batch"


def _set_merge(col: str) -> str:
    """Union of two delimited text sets, kept sorted and distinct."""
    return (
        f"coalesce('{SET_SEP}' || nullif(array_to_string(list_sort(list_distinct(list_filter("
        f"string_split(traces.{col} || excluded.{col}, '{SET_SEP}'), lambda x: x <> ''))), "
        f"'{SET_SEP}'), '') || '{SET_SEP}', '')"
    )


# excluded.* is the batch's part; traces.* the stored part. Root fields move to the batch's
# part when it has the better root candidate: a span without parent beats any other, then
# the earlier start (the order ``rollup`` ranks a batch's spans by).
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
# one or two requests) take a plain INSERT; only the ones already stored (``_cs_old``, from
# _FIND_STORED_TRACES) pay for the merge. Measured on 4,096-span batches: ON CONFLICT DO
# UPDATE cost ~10 us per span even when no row conflicted, a plain INSERT ~0.7 us
# (docs/benchmarks.md, "Ingest").
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


_FIELD_TYPES = [_SPAN_TYPES[name] for name in SPAN_FIELDS]
_FIELD_ROW = operator.attrgetter(*SPAN_FIELDS)
_F = {name: i for i, name in enumerate(SPAN_FIELDS)}


def unique_columns(spans: Sequence[SpanRecord]) -> tuple[tuple[list[Any], ...], int]:
    """The columns of ``spans`` (``SPAN_FIELDS`` order), first of each (trace_id, span_id) kept.

    Returns (columns, duplicates dropped). ``SpanColumns`` (the collector's decoder output)
    are used as they are: building a ``SpanRecord`` per span and reading it back cost ~4.5
    µs per span; other sequences are transposed once.
    """
    if isinstance(spans, SpanColumns):
        columns = spans.columns
    else:
        columns = SpanColumns.from_rows(map(_FIELD_ROW, spans)).columns
    keys = list(zip(columns[_F["trace_id"]], columns[_F["span_id"]], strict=True))
    distinct = len(set(keys))
    if distinct < len(keys):
        seen: set[tuple[str, str]] = set()
        keep: list[int] = []
        for i, key in enumerate(keys):
            if key not in seen:
                seen.add(key)
                keep.append(i)
        columns = tuple([col[i] for i in keep] for col in columns)
    return columns, len(keys) - distinct


def columns_to_arrow(columns: Sequence[list[Any]]) -> pa.Table:
    """Columns in ``SPAN_FIELDS`` order as one Arrow table, sorted by start.

    Sorting each batch by ``start_ns`` keeps row groups time-ordered (schema.sql).
    """
    table = pa.Table.from_arrays(
        [pa.array(col, type=t) for col, t in zip(columns, _FIELD_TYPES, strict=True)],
        names=list(SPAN_FIELDS),
    )
    return table.sort_by("start_ns")


_TRACE_TYPES: dict[str, pa.DataType] = {
    "trace_id": pa.string(),
    "project": pa.string(),
    "has_root": pa.bool_(),
    "root_start_ns": pa.int64(),
    "name": pa.string(),
    "kind": pa.string(),
    "service": pa.string(),
    "input_preview": pa.string(),
    "output_preview": pa.string(),
    "start_ns": pa.int64(),
    "end_ns": pa.int64(),
    "duration_ms": pa.float64(),
    "status": pa.string(),
    "span_count": pa.int64(),
    "error_count": pa.int64(),
    "ok_count": pa.int64(),
    "ttft_ms": pa.float64(),
    "ttft_start_ns": pa.int64(),
    "input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "total_tokens": pa.int64(),
    "cost": pa.float64(),
    "models": pa.string(),
    "names": pa.string(),
    "kinds": pa.string(),
    "services": pa.string(),
    "tags": pa.string(),
    "user_id": pa.string(),
    "session_id": pa.string(),
    "has_orphans": pa.bool_(),
}
"""Columns of ``traces`` (schema.sql), in table order."""
_TRACE_SCHEMA = pa.schema(list(_TRACE_TYPES.items()))


def _text_set(distinct: set[Any]) -> str:
    """A delimited, sorted, distinct text set (schema.sql); '' when there is no value."""
    distinct.discard(None)
    return f"{SET_SEP}{SET_SEP.join(sorted(distinct))}{SET_SEP}" if distinct else ""


def rollup(columns: Sequence[list[Any]]) -> pa.Table:
    """The batch's per-trace aggregate: one ``traces`` row per trace of ``columns``.

    In Python rather than one SQL ``GROUP BY``: that statement cost ≈ 17 ms of CPU per
    commit whatever its size (its list aggregates and arg-mins) plus ≈ 4 µs per span;
    this single pass per trace costs ≈ 2.5 µs per span and nothing fixed
    (docs/benchmarks.md, "Ingest"). Root fields come from the best root candidate with a
    value: a span without parent beats any other, then the earlier start; the first span
    in batch order wins a tie. Sums stay None when every value is None (unpriced is not 0).
    """
    c = columns
    trace_id, span_id, parent = c[_F["trace_id"]], c[_F["span_id"]], c[_F["parent_span_id"]]
    start, end, status = c[_F["start_ns"]], c[_F["end_ns"]], c[_F["status"]]
    input_tokens, output_tokens = c[_F["input_tokens"]], c[_F["output_tokens"]]
    total_tokens, ttft, cost = c[_F["total_tokens"]], c[_F["ttft_ms"]], c[_F["cost"]]
    name, kind, service, model = c[_F["name"]], c[_F["kind"]], c[_F["service"]], c[_F["model"]]
    inputs, outputs, tags = c[_F["input"]], c[_F["output"]], c[_F["tags"]]
    users, sessions, project = c[_F["user_id"]], c[_F["session_id"]], c[_F["project"]]
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(trace_id):
        rows = groups.get(t)
        if rows is None:
            groups[t] = [i]
        else:
            rows.append(i)
    out: dict[str, list[Any]] = {col: [] for col in _TRACE_TYPES}
    for t, rows in groups.items():
        ids = {span_id[i] for i in rows}
        root = rows[0]
        root_key = (parent[root] is not None, start[root])
        first_start, last_end = start[root], end[root]
        svc = inp = outp = tt = usr = ses = None
        svc_key = in_key = out_key = root_key
        tt_start = usr_start = ses_start = first_start
        errors = oks = 0
        in_sum = out_sum = tot_sum = cost_sum = None
        orphans = False
        models: set[Any] = set()
        names: set[Any] = set()
        kinds: set[Any] = set()
        services: set[Any] = set()
        tag_set: set[str] = set()
        for i in rows:
            p, s = parent[i], start[i]
            key = (p is not None, s)
            if key < root_key:
                root, root_key = i, key
            if service[i] is not None and (svc is None or key < svc_key):
                svc, svc_key = i, key
            if inputs[i] is not None and (inp is None or key < in_key):
                inp, in_key = i, key
            if outputs[i] is not None and (outp is None or key < out_key):
                outp, out_key = i, key
            if ttft[i] is not None and (tt is None or s < tt_start):
                tt, tt_start = i, s
            if users[i] is not None and (usr is None or s < usr_start):
                usr, usr_start = i, s
            if sessions[i] is not None and (ses is None or s < ses_start):
                ses, ses_start = i, s
            first_start = min(first_start, s)
            last_end = max(last_end, end[i])
            if status[i] == "error":
                errors += 1
            elif status[i] == "ok":
                oks += 1
            a, b, total = input_tokens[i], output_tokens[i], total_tokens[i]
            if a is not None:
                in_sum = a if in_sum is None else in_sum + a
            if b is not None:
                out_sum = b if out_sum is None else out_sum + b
            if total is None and (a is not None or b is not None):
                total = (a or 0) + (b or 0)
            if total is not None:
                tot_sum = total if tot_sum is None else tot_sum + total
            if cost[i] is not None:
                cost_sum = cost[i] if cost_sum is None else cost_sum + cost[i]
            if p is not None and p not in ids:
                orphans = True
            models.add(model[i])
            names.add(name[i])
            kinds.add(kind[i])
            services.add(service[i])
            tag_set.update(tags[i])
        out["trace_id"].append(t)
        out["project"].append(project[rows[0]])
        out["has_root"].append(parent[root] is None)
        out["root_start_ns"].append(start[root])
        out["name"].append(name[root])
        out["kind"].append(kind[root])
        out["service"].append(None if svc is None else service[svc])
        out["input_preview"].append(None if inp is None else inputs[inp][:PREVIEW_CHARS])
        out["output_preview"].append(None if outp is None else outputs[outp][:PREVIEW_CHARS])
        out["start_ns"].append(first_start)
        out["end_ns"].append(last_end)
        out["duration_ms"].append((last_end - first_start) / 1e6)
        out["status"].append("error" if errors else "ok" if oks else "unset")
        out["span_count"].append(len(rows))
        out["error_count"].append(errors)
        out["ok_count"].append(oks)
        out["ttft_ms"].append(None if tt is None else ttft[tt])
        out["ttft_start_ns"].append(None if tt is None else tt_start)
        out["input_tokens"].append(in_sum)
        out["output_tokens"].append(out_sum)
        out["total_tokens"].append(tot_sum)
        out["cost"].append(cost_sum)
        out["models"].append(_text_set(models))
        out["names"].append(_text_set(names))
        out["kinds"].append(_text_set(kinds))
        out["services"].append(_text_set(services))
        # Always delimited, even when empty: the SQL it replaced gave SEP SEP there too.
        out["tags"].append(f"{SET_SEP}{SET_SEP.join(sorted(tag_set))}{SET_SEP}")
        out["user_id"].append(None if usr is None else users[usr])
        out["session_id"].append(None if ses is None else sessions[ses])
        out["has_orphans"].append(orphans)
    return pa.Table.from_pydict(out, schema=_TRACE_SCHEMA)


def write_spans(
    con: duckdb.DuckDBPyConnection,
    records: Sequence[SpanRecord],
    stored_traces: StoredTraces | None = None,
) -> WriteResult:
    """Insert ``records`` in one transaction on ``con``; see the module docstring.

    The caller holds the store's write lock and turns driver errors into StorageError.
    ``SpanColumns`` (the collector's decoder output) skip the per-record conversion.
    ``stored_traces``, the store's filter of stored trace ids, lets a batch of new traces
    skip the stored-trace lookup; it is kept up to date here.
    """
    if isinstance(records, SpanTable):
        return _write_table(con, records.table, records.traces, stored_traces)
    columns, in_batch_duplicates = unique_columns(records)
    if not columns[0]:
        return WriteResult(inserted=0, duplicates=in_batch_duplicates)
    batch = columns_to_arrow(columns)
    with _transaction(con):
        found = _stored_part(con, batch, stored_traces)
        stored = found.spans
        if stored:
            con.unregister("_cs_batch")
            columns, batch = _without(columns, set(stored))
            con.register("_cs_batch", batch)
        if batch.num_rows:
            con.execute(_INSERT_SPANS)
            _merge_traces(con, rollup(columns), found, stored_traces)
    return WriteResult(inserted=batch.num_rows, duplicates=in_batch_duplicates + len(stored))


_NO_TRACES = pa.table(
    {"trace_id": pa.array([], pa.string()), "start_ns": pa.array([], pa.int64()),
     "end_ns": pa.array([], pa.int64())}
)  # fmt: skip


class _Stored(NamedTuple):
    """What of a batch is stored already (``_stored_part``)."""

    hashes: Hashes | None
    """The filter's hashes of the batch's trace ids; None without a filter."""
    traces: pa.Table
    """The batch's traces already in ``traces`` (trace_id, start_ns, end_ns)."""
    spans: list[tuple[str, str]]
    """(trace_id, span_id) of the batch's spans already in ``spans``."""


def _stored_part(
    con: duckdb.DuckDBPyConnection, batch: pa.Table, stored_traces: StoredTraces | None
) -> _Stored:
    """Register ``batch`` (sorted by start) as ``_cs_batch`` and find what of it is stored.

    The batch's stored traces come from the filter when it can tell none is stored, else
    from DuckDB (registered as ``_cs_old`` when there are any); its stored spans are probed
    only among those traces.
    """
    con.register("_cs_batch", batch)
    hashes = None
    if stored_traces is not None:
        hashes = batch_hashes(con)
        if not stored_traces.may_hold_any(hashes):
            return _Stored(hashes, _NO_TRACES, [])
    old = con.sql(_FIND_STORED_TRACES).to_arrow_table()
    if not old.num_rows:
        return _Stored(hashes, old, [])
    con.register("_cs_old", old)
    starts = batch.column("start_ns")
    lo = max(starts[0].as_py(), pc.min(old.column("start_ns")).as_py())
    hi = min(starts[-1].as_py(), pc.max(old.column("end_ns")).as_py())
    if lo > hi:
        return _Stored(hashes, old, [])
    return _Stored(hashes, old, [(t, s) for t, s in con.execute(_FIND_STORED, [lo, hi]).fetchall()])


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One write transaction around the batch registered as ``_cs_batch``: committed when
    the body returns, rolled back (and the error passed on for the caller to translate) when
    it raises; the batch and its stored traces (``_cs_old``) are unregistered either way."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_cs_batch")
        con.unregister("_cs_old")


def _merge_traces(
    con: duckdb.DuckDBPyConnection,
    agg: pa.Table,
    found: _Stored,
    stored_traces: StoredTraces | None,
) -> None:
    """Fold the batch's per-trace aggregate into ``traces``: insert the new, merge the stored
    (``found.traces``, the batch's traces stored before it); then record the batch's ids in
    the store's filter, inside the transaction (a rollback leaves only false positives).
    """
    old = found.traces
    con.register("_cs_agg", agg)
    try:
        if not old.num_rows:
            con.execute(_INSERT_ALL_TRACES)
        else:
            # Not skipped when ``old`` has as many rows as ``agg``: a stored trace whose
            # spans in this batch were all duplicates is in ``old`` but not in ``agg``.
            con.execute(_INSERT_NEW_TRACES)
            con.execute(_UPSERT_TRACES)
            # fetchall, not fetchone: DuckDB refuses the connection's next call (here the
            # unregister) while a result is not read to its end.
            ((lo, hi),) = con.execute(_ORPHAN_WINDOW).fetchall()
            if lo is not None:
                con.execute(_RECOMPUTE_ORPHANS, {"lo": lo, "hi": hi})
    finally:
        con.unregister("_cs_agg")
    # After the inserts: a rebuild of the filter reads ``traces`` and must see them.
    if stored_traces is not None and found.hashes is not None:
        stored_traces.add(con, found.hashes)


def _without(
    columns: Sequence[list[Any]], keys: set[tuple[str, str]]
) -> tuple[tuple[list[Any], ...], pa.Table]:
    """``columns`` minus the spans whose (trace_id, span_id) is in ``keys``, and their table."""
    pairs = zip(columns[_F["trace_id"]], columns[_F["span_id"]], strict=True)
    keep = [i for i, key in enumerate(pairs) if key not in keys]
    kept = tuple([col[i] for i in keep] for col in columns)
    return kept, columns_to_arrow(kept)


# The columns ``rollup`` reads; the others stay in Arrow on the table path.
_ROLLUP_FIELDS = (
    "project", "trace_id", "span_id", "parent_span_id", "name", "kind", "service", "start_ns",
    "end_ns", "status", "model", "input_tokens", "output_tokens", "total_tokens", "cost",
    "ttft_ms", "session_id", "user_id", "tags", "input", "output",
)  # fmt: skip


def _keep_first(table: pa.Table) -> tuple[pa.Table, int]:
    """``table`` with the first row of each (trace_id, span_id), and the duplicates dropped.

    Uniqueness is checked in Arrow (one hash count over the joined ids, ≈ 0.2 µs per span);
    only a batch that has duplicates reads its ids into Python.
    """
    joined = pc.binary_join_element_wise(table.column("trace_id"), table.column("span_id"), "")
    if pc.count_distinct(joined).as_py() == table.num_rows:
        return table, 0
    seen: set[str] = set()
    keep: list[int] = []
    for i, key in enumerate(joined.to_pylist()):
        if key not in seen:
            seen.add(key)
            keep.append(i)
    return _take(table, keep), table.num_rows - len(keep)


def _take(table: pa.Table, rows: list[int]) -> pa.Table:
    return table.take(pa.array(rows, type=pa.int64()))


def rollup_columns(table: pa.Table) -> list[Any]:
    """The columns ``rollup`` reads, as Python lists in ``SPAN_FIELDS`` positions (others None).

    Inputs and outputs are cut to the preview length in Arrow first, so only ≤ 300
    characters per span become Python strings.
    """
    columns: list[Any] = [None] * len(SPAN_FIELDS)
    for name in _ROLLUP_FIELDS:
        col = table.column(name)
        if name in ("input", "output"):
            col = pc.utf8_slice_codeunits(col, 0, PREVIEW_CHARS)
        columns[_F[name]] = col.to_pylist()
    return columns


def _write_table(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    traces: pa.Table | None,
    stored_traces: StoredTraces | None = None,
) -> WriteResult:
    """``write_spans`` for a ``SpanTable`` (decode workers' output, concatenated per commit).

    Same steps and guarantees as the column path: first copy of a (trace_id, span_id) kept,
    spans already stored dropped, rows inserted sorted by start, one per-trace rollup, one
    commit. The workers' per-request rollups (``traces``) are used as they are when
    nothing was dropped and no trace has spans in two of the batch's requests: each trace's
    spans are then exactly those one worker rolled up, in the same order. Otherwise the
    batch is rolled up here, after a stable sort (ties keep batch order, so ``rollup``
    picks the same roots).
    """
    table, in_batch_duplicates = _keep_first(table)
    if not table.num_rows:
        return WriteResult(inserted=0, duplicates=in_batch_duplicates)
    batch = table.sort_by("start_ns")
    with _transaction(con):
        found = _stored_part(con, batch, stored_traces)
        stored = found.spans
        if stored:
            con.unregister("_cs_batch")
            gone = set(stored)
            pairs = zip(
                batch.column("trace_id").to_pylist(),
                batch.column("span_id").to_pylist(),
                strict=True,
            )
            batch = _take(batch, [i for i, key in enumerate(pairs) if key not in gone])
            con.register("_cs_batch", batch)
        if batch.num_rows:
            con.execute(_INSERT_SPANS)
            exact = (
                traces is not None
                and not in_batch_duplicates
                and not stored
                and pc.count_distinct(traces.column("trace_id")).as_py() == traces.num_rows
            )
            agg = traces if exact else rollup(rollup_columns(batch))
            _merge_traces(con, agg, found, stored_traces)
    return WriteResult(inserted=batch.num_rows, duplicates=in_batch_duplicates + len(stored))
