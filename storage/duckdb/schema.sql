-- Chainsight DuckDB schema, version 1. Applied by migrations.py inside one transaction;
-- later versions are new files (schema_v2.sql, ...) applied forward only, never edited.

-- Which migrations ran. One row per applied version; the highest is the schema version.
-- Times in every table are Unix-ns BIGINT, like the spans: TIMESTAMPTZ would make the
-- driver import pytz and convert to the host's zone on every read.
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_ns BIGINT NOT NULL
);

-- One wide row per span. Every field people filter, sort or aggregate on is a typed column
-- (columnar scans read only what a query names); the long tail stays JSON text.
--
-- No PRIMARY KEY: an ART index on (trace_id, span_id) made a 10k-span write 82 ms at 3M spans
-- and the file 7x larger; a full anti-join grew linearly (105 ms at 3M). Duplicates are found
-- by an anti-join restricted to the batch's [min, max] start_ns, which the zonemaps turn into
-- a scan of a few recent row groups: 8 ms per batch, flat with table size (docs/storage.md).
-- A retried span is the same span, so it carries the same start_ns.
-- No foreign keys: children may arrive before their parent and orphans are legal.
--
-- Sort order: the writer inserts each batch ORDER BY start_ns, and batches arrive roughly
-- in time order, so each row group (122,880 rows) covers a narrow start_ns range and its
-- min-max zonemap lets time-range scans (metrics, get_trace's window) skip the rest.
CREATE TABLE IF NOT EXISTS spans (
    project            VARCHAR NOT NULL,
    trace_id           VARCHAR NOT NULL,   -- 32 lower-case hex
    span_id            VARCHAR NOT NULL,   -- 16 lower-case hex
    parent_span_id     VARCHAR,
    name               VARCHAR NOT NULL,
    kind               VARCHAR NOT NULL,   -- chainsight.semconv.SPAN_KINDS
    otel_kind          VARCHAR NOT NULL,
    service            VARCHAR,
    start_ns           BIGINT NOT NULL,    -- Unix ns; the zonemap key (see above)
    end_ns             BIGINT NOT NULL,
    duration_ms        DOUBLE NOT NULL,
    status             VARCHAR NOT NULL,   -- unset | ok | error
    status_message     VARCHAR,
    operation          VARCHAR,
    provider           VARCHAR,
    request_model      VARCHAR,
    response_model     VARCHAR,
    model              VARCHAR,
    input_tokens       BIGINT,
    output_tokens      BIGINT,
    cached_tokens      BIGINT,
    cache_write_tokens BIGINT,
    reasoning_tokens   BIGINT,
    total_tokens       BIGINT,
    usage_estimated    BOOLEAN NOT NULL,
    cost               DOUBLE,             -- NULL = unpriced, never 0
    price_id           VARCHAR,            -- 'explicit' = cost came on the span; reprice skips it
    ttft_ms            DOUBLE,
    tpot_ms            DOUBLE,
    finish_reason      VARCHAR,
    error_type         VARCHAR,
    session_id         VARCHAR,
    user_id            VARCHAR,
    tags               VARCHAR[] NOT NULL,
    input              VARCHAR,
    output             VARCHAR,
    attributes         VARCHAR NOT NULL,   -- JSON object; read back only in the trace view
    events             VARCHAR NOT NULL,   -- JSON array
    links              VARCHAR NOT NULL,   -- JSON array
    resource           VARCHAR NOT NULL,   -- JSON object
    scope              VARCHAR
);

-- One row per trace, maintained by the same transaction that inserts its spans: the batch's
-- partial aggregate is merged in with INSERT ... ON CONFLICT DO UPDATE. The trace list reads
-- only this table: ~1/6 the rows of spans and no GROUP BY at query time.
--
-- PRIMARY KEY (trace_id): the ART index makes the merge a point lookup per trace and gives
-- get_trace its entry point (the trace's [start_ns, end_ns] window, which then prunes the
-- spans scan by zonemap). A VARCHAR key on traces cost 26 ms per 10k-span batch at 3M spans;
-- the same key on spans cost 82 ms and 7x the file size (docs/storage.md, "dedupe").
-- trace_id alone (not project + trace_id): 128-bit random ids do not collide; a trace id
-- reused by a second project keeps its first project's rollup (the merge checks project).
--
-- Only scalar columns: DuckDB rewrites LIST columns on update, which made the merge 10x
-- slower at 3M spans (13 -> 90 ms per batch). The "any span matches" sets (models, names,
-- kinds, services, tags) are therefore delimited text: '\x1f' || v1 || '\x1f' || v2 || '\x1f',
-- sorted and distinct, so a filter is one contains() over a compressed string column.
-- root_*: the root span's facts, or the earliest span's until a root arrives (has_root).
-- has_orphans: exact. Set from the batch when the trace is new; when a merge joins two parts
-- of which one had orphans it becomes NULL and is recomputed from spans in the same
-- transaction (only those traces, inside their time window).
CREATE TABLE IF NOT EXISTS traces (
    trace_id       VARCHAR PRIMARY KEY,
    project        VARCHAR NOT NULL,
    has_root       BOOLEAN NOT NULL,
    root_start_ns  BIGINT NOT NULL,        -- start of the span the root fields came from
    name           VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    service        VARCHAR,
    input_preview  VARCHAR,
    output_preview VARCHAR,
    start_ns       BIGINT NOT NULL,        -- min over spans: the list's time axis
    end_ns         BIGINT NOT NULL,        -- max over spans
    duration_ms    DOUBLE NOT NULL,        -- (end_ns - start_ns) / 1e6
    status         VARCHAR NOT NULL,       -- error if any span errored, else ok if any ok, else unset
    span_count     BIGINT NOT NULL,
    error_count    BIGINT NOT NULL,
    ok_count       BIGINT NOT NULL,
    ttft_ms        DOUBLE,                 -- of the earliest span carrying a TTFT
    ttft_start_ns  BIGINT,
    input_tokens   BIGINT,
    output_tokens  BIGINT,
    total_tokens   BIGINT,
    cost           DOUBLE,                 -- sum over priced spans; NULL when none is priced
    models         VARCHAR NOT NULL,       -- delimited set (see above)
    names          VARCHAR NOT NULL,
    kinds          VARCHAR NOT NULL,
    services       VARCHAR NOT NULL,
    tags           VARCHAR NOT NULL,
    user_id        VARCHAR,
    session_id     VARCHAR,
    has_orphans    BOOLEAN                 -- NULL only inside a write transaction
);

-- Pricing entries (USD per 1M tokens). Small; read whole by the collector's pricer.
CREATE TABLE IF NOT EXISTS prices (
    id             VARCHAR PRIMARY KEY,
    provider       VARCHAR,
    model_pattern  VARCHAR NOT NULL,
    effective_from_ns BIGINT NOT NULL,
    input          DOUBLE NOT NULL,
    output         DOUBLE NOT NULL,
    cached_read    DOUBLE,
    cache_write    DOUBLE,
    reasoning      DOUBLE,
    source         VARCHAR NOT NULL
);

-- API keys: only a salted hash of the secret is stored; `masked` is a display value.
CREATE TABLE IF NOT EXISTS api_keys (
    id         VARCHAR PRIMARY KEY,
    project    VARCHAR NOT NULL,
    name       VARCHAR,
    masked     VARCHAR NOT NULL,
    salt       BLOB NOT NULL,
    hash       BLOB NOT NULL,
    created_ns BIGINT NOT NULL,
    revoked_ns BIGINT
);
