-- Chainsight DuckDB schema, version 3: alerting state (issue 5). Small tables written by the
-- collector's alert evaluator a few rows per evaluation; times are Unix-ns BIGINT like v1.
-- No primary keys: an ART index buys nothing on tables this small, and DuckDB's index
-- constraint checks refuse a delete-then-insert of the same key inside one transaction.

-- Rules created through the API (YAML-file rules are re-read from the file, not stored).
-- spec is the rule as written, JSON text, validated by the collector on every load.
CREATE TABLE IF NOT EXISTS alert_rules (
    name        VARCHAR NOT NULL,
    spec        VARCHAR NOT NULL,
    enabled     BOOLEAN NOT NULL,
    source      VARCHAR NOT NULL,
    updated_ns  BIGINT NOT NULL
);

-- Current state of each (rule, group labels) instance; one row per rule + fingerprint.
CREATE TABLE IF NOT EXISTS alert_instances (
    rule              VARCHAR NOT NULL,
    fingerprint       VARCHAR NOT NULL,
    labels            VARCHAR NOT NULL,   -- JSON object
    state             VARCHAR NOT NULL,   -- inactive | pending | firing | resolved
    outcome           VARCHAR,            -- ok | breach | no_data | insufficient | error
    value             DOUBLE,
    threshold         DOUBLE,
    samples           BIGINT,
    active_since_ns   BIGINT,
    fired_ns          BIGINT,
    resolved_ns       BIGINT,
    last_breach_ns    BIGINT,
    last_eval_ns      BIGINT,
    last_notified_ns  BIGINT,
    error             VARCHAR
);

-- Every state change, append-only: the history timeline and the chart's shaded intervals.
CREATE TABLE IF NOT EXISTS alert_transitions (
    rule         VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,
    labels       VARCHAR NOT NULL,
    at_ns        BIGINT NOT NULL,
    from_state   VARCHAR NOT NULL,
    to_state     VARCHAR NOT NULL,
    outcome      VARCHAR NOT NULL,
    value        DOUBLE,
    threshold    DOUBLE
);

CREATE TABLE IF NOT EXISTS alert_silences (
    id          VARCHAR NOT NULL,
    matchers    VARCHAR NOT NULL,   -- JSON array of {name, value, regex}
    starts_ns   BIGINT NOT NULL,
    ends_ns     BIGINT NOT NULL,
    created_by  VARCHAR,
    comment     VARCHAR
);

-- The notification log: a row is written (pending) before the first delivery attempt, so
-- a restart re-sends what was never acknowledged (at-least-once; id is the dedupe key).
CREATE TABLE IF NOT EXISTS alert_notifications (
    id            VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,
    rule          VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,   -- firing | resolved
    group_key     VARCHAR NOT NULL,
    fingerprints  VARCHAR NOT NULL,   -- JSON array
    body          VARCHAR NOT NULL,
    created_ns    BIGINT NOT NULL,
    delivery      VARCHAR NOT NULL,   -- pending | delivered | failed | silenced | dropped
    attempts      INTEGER NOT NULL,
    last_error    VARCHAR,
    delivered_ns  BIGINT
);
