"""Schema versions, applied forward only.

Version 1 is ``schema.sql``. A later change adds ``schema_v<N>.sql`` and appends N to
``VERSIONS``; files already released are never edited, so a database at version k is
brought to the newest by running the files after k, each in its own transaction.
"""

from __future__ import annotations

import time
from importlib import resources

import duckdb

from ..errors import StorageUnavailable

VERSIONS: tuple[tuple[int, str], ...] = (
    (1, "schema.sql"),
    (2, "schema_v2.sql"),
    (3, "schema_v3.sql"),
)
"""(version, file in this package), ascending."""

CURRENT_VERSION = VERSIONS[-1][0]


def _sql(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def stored_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest applied version, 0 for an empty database."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if exists is None or exists[0] == 0:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every version newer than the stored one; returns the resulting version.

    A database written by a newer Chainsight (higher version) is refused rather than
    guessed at.
    """
    have = stored_version(con)
    if have > CURRENT_VERSION:
        raise StorageUnavailable(
            f"database schema version {have} is newer than this Chainsight "
            f"(supports up to {CURRENT_VERSION}); upgrade Chainsight"
        )
    for version, name in VERSIONS:
        if version <= have:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(_sql(name))
            con.execute(
                "INSERT INTO schema_version (version, applied_ns) VALUES (?, ?)",
                [version, time.time_ns()],
            )
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        have = version
    return have
