"""The DuckDB backend: one embedded file, one writer per process, columnar batch writes.

Schema and the reasons for it: ``schema.sql``; design and measured costs: docs/storage.md.
"""

from __future__ import annotations

from .store import DuckDBStore

__all__ = ["DuckDBStore"]
