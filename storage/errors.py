"""Storage exceptions.

StorageError            any failure of the backend (driver errors are chained)
├── StorageUnavailable  the store cannot be opened (locked by another process, bad URL)
└── InvalidQuery        a query argument is out of range (bad cursor, unknown column)
"""

from __future__ import annotations


class StorageError(Exception):
    """A storage backend failed; the driver's exception is the ``__cause__``."""


class StorageUnavailable(StorageError):
    """The store cannot be opened or reached."""


class InvalidQuery(StorageError):
    """A query argument was invalid (bad cursor, unknown sort, ...)."""
