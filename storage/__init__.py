"""Chainsight storage: the ``Store`` protocol, the data model and ``open_store``.

Importing this package never imports a database driver: backends load lazily in
``open_store`` so the dashboard can use the model types without DuckDB.
"""

from __future__ import annotations

from .errors import InvalidQuery, StorageError, StorageUnavailable
from .store import AlertStore, KeyStore, Pricer, PriceStore, Store, UsageForPricing

__all__ = [
    "AlertStore",
    "InvalidQuery",
    "KeyStore",
    "PriceStore",
    "Pricer",
    "StorageError",
    "StorageUnavailable",
    "Store",
    "UsageForPricing",
    "open_store",
]


def open_store(url: str) -> Store:
    """Open a store by URL: ``duckdb:///path/to/file.duckdb`` or ``duckdb://:memory:``.

    >>> store = open_store("duckdb://:memory:")  # doctest: +SKIP
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StorageUnavailable(f"store URL needs a scheme, e.g. duckdb:///data/x.duckdb: {url!r}")
    if scheme == "duckdb":
        from .duckdb import DuckDBStore

        return DuckDBStore.open(rest)
    raise StorageUnavailable(f"unknown store scheme {scheme!r} (supported: duckdb)")
