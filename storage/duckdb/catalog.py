"""The small tables beside the spans: pricing entries and API keys."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import duckdb

from ..model import ApiKeyInfo, PriceEntry, StoredKey, UnpricedModel
from .timestamps import from_ns, to_ns


class Connections(Protocol):
    """What the tables need of the store: its read and write connections."""

    def reading(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...
    def writing(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...


HAS_TOKENS = (
    "(input_tokens IS NOT NULL OR output_tokens IS NOT NULL OR cached_tokens IS NOT NULL"
    " OR cache_write_tokens IS NOT NULL)"
)
"""A span with any of the token counts the pricer reads (``collector/pricing.py``)."""

_PRICE_COLUMNS = (
    "id, provider, model_pattern, effective_from_ns, input, output, cached_read, cache_write,"
    " reasoning, source"
)


class PriceTable:
    """``PriceStore`` over the ``prices`` table."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def list(self) -> builtins.list[PriceEntry]:
        """Every entry, by provider, pattern and date."""
        with self._db.reading() as con:
            rows = con.execute(
                f"SELECT {_PRICE_COLUMNS} FROM prices"
                " ORDER BY provider NULLS FIRST, model_pattern, effective_from_ns, id"
            ).fetchall()
        return [
            PriceEntry(
                id=r[0],
                provider=r[1],
                model_pattern=r[2],
                effective_from=from_ns(r[3]),
                input=r[4],
                output=r[5],
                cached_read=r[6],
                cache_write=r[7],
                reasoning=r[8],
                source=r[9],
            )
            for r in rows
        ]

    def upsert(self, entries: Sequence[PriceEntry]) -> None:
        """Insert or replace entries by id, in one transaction."""
        rows = [
            [
                e.id,
                e.provider,
                e.model_pattern,
                to_ns(e.effective_from),
                e.input,
                e.output,
                e.cached_read,
                e.cache_write,
                e.reasoning,
                e.source,
            ]
            for e in entries
        ]
        if not rows:
            return
        with self._db.writing() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.executemany(
                    f"INSERT OR REPLACE INTO prices ({_PRICE_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                con.execute("COMMIT")
            except duckdb.Error:
                con.execute("ROLLBACK")
                raise

    def delete(self, price_id: str) -> bool:
        """Remove one entry; False when there was none."""
        with self._db.writing() as con:
            row = con.execute("DELETE FROM prices WHERE id = ?", [price_id]).fetchone()
        return bool(row and row[0])

    def unpriced_models(self, project: str | None = None) -> builtins.list[UnpricedModel]:
        """Models of spans that carry tokens but matched no price entry, most spans first."""
        # price_id IS NULL: no entry matched (a matched span without token counts has a
        # price_id and a NULL cost; it is not unpriced, there was nothing to price).
        where = f"model IS NOT NULL AND price_id IS NULL AND {HAS_TOKENS}"
        params: builtins.list[Any] = []
        if project is not None:
            where += " AND project = ?"
            params.append(project)
        with self._db.reading() as con:
            rows = con.execute(
                f"SELECT model, provider, count(*), min(start_ns), max(start_ns) FROM spans"
                f" WHERE {where} GROUP BY model, provider"
                " ORDER BY count(*) DESC, model, provider NULLS FIRST",
                params,
            ).fetchall()
        return [
            UnpricedModel(
                model=r[0],
                provider=r[1],
                span_count=r[2],
                first_seen=from_ns(r[3]),
                last_seen=from_ns(r[4]),
            )
            for r in rows
        ]


class KeyTable:
    """``KeyStore`` over the ``api_keys`` table (salted hashes only)."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def add(self, key: StoredKey, name: str | None, masked: str) -> ApiKeyInfo:
        """Store a new key's hash; returns its listing."""
        created = time.time_ns()
        revoked = created if key.revoked else None
        with self._db.writing() as con:
            con.execute(
                "INSERT INTO api_keys (id, project, name, masked, salt, hash, created_ns,"
                " revoked_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [key.id, key.project, name, masked, key.salt, key.hash, created, revoked],
            )
        return ApiKeyInfo(
            id=key.id,
            project=key.project,
            name=name,
            masked=masked,
            created_at=from_ns(created),
            revoked_at=None if revoked is None else from_ns(revoked),
        )

    def list(self, project: str | None = None) -> builtins.list[ApiKeyInfo]:
        """Keys (revoked ones too), oldest first."""
        where, params = ("project = ?", [project]) if project is not None else ("TRUE", [])
        with self._db.reading() as con:
            rows = con.execute(
                "SELECT id, project, name, masked, created_ns, revoked_ns FROM api_keys"
                f" WHERE {where} ORDER BY created_ns, id",
                params,
            ).fetchall()
        return [
            ApiKeyInfo(
                id=r[0],
                project=r[1],
                name=r[2],
                masked=r[3],
                created_at=from_ns(r[4]),
                revoked_at=None if r[5] is None else from_ns(r[5]),
            )
            for r in rows
        ]

    def revoke(self, key_id: str) -> bool:
        """Mark a key revoked; False when unknown or already revoked."""
        with self._db.writing() as con:
            row = con.execute(
                "UPDATE api_keys SET revoked_ns = ? WHERE id = ? AND revoked_ns IS NULL",
                [time.time_ns(), key_id],
            ).fetchone()
        return bool(row and row[0])

    def lookup(self, key_id: str) -> StoredKey | None:
        """The hash material of one key (revoked keys too, flagged), or None."""
        with self._db.reading() as con:
            row = con.execute(
                "SELECT id, project, salt, hash, revoked_ns IS NOT NULL FROM api_keys WHERE id = ?",
                [key_id],
            ).fetchone()
        if row is None:
            return None
        return StoredKey(
            id=row[0], project=row[1], salt=bytes(row[2]), hash=bytes(row[3]), revoked=row[4]
        )

    def any_active(self) -> bool:
        """Whether any unrevoked key exists (auth is on when one does)."""
        with self._db.reading() as con:
            row = con.execute("SELECT count(*) FROM api_keys WHERE revoked_ns IS NULL").fetchone()
        return bool(row and row[0])
