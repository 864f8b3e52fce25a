"""Unix-nanosecond integers (storage) to and from UTC ``datetime`` (API rows).

Integer arithmetic throughout: a float round-trip would lose the nanoseconds that make
keys and bounds exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ns(value: datetime) -> int:
    """Nanoseconds since the epoch; a naive ``datetime`` is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // timedelta(microseconds=1) * 1000


def from_ns(ns: int) -> datetime:
    """UTC ``datetime`` (microsecond precision, which is all ``datetime`` holds)."""
    return EPOCH + timedelta(microseconds=ns // 1000)
