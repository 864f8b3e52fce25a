-- Chainsight DuckDB schema, version 2: saved drift reference periods (issue 6).
-- (Version 3 is the alerting state, issue 5.)

-- A named baseline window ("launch week") a drift report can compare against. Keyed by
-- (project, name): each project names its own periods; project '' = saved without a
-- project (visible to open-mode callers only). Tiny table, read whole.
CREATE TABLE IF NOT EXISTS reference_periods (
    project     VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    start_ns    BIGINT NOT NULL,
    end_ns      BIGINT NOT NULL,
    description VARCHAR,
    created_ns  BIGINT NOT NULL,
    PRIMARY KEY (project, name)
);
