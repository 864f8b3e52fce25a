"""Opaque keyset cursors for paginated trace lists, shared by every backend.

A cursor is the last row's sort key and its tie-breaker, tagged with the sort it belongs
to, as URL-safe base64 JSON. Keyset (not OFFSET) pagination costs the same on page 1000 as
on page 1 and never repeats or skips rows when new traces arrive between pages.
"""

from __future__ import annotations

import base64
import binascii
import json

from .errors import InvalidQuery

CursorKey = tuple[float | int | str, str]
"""(sort value, trace_id) of the last row of a page."""


def encode_cursor(sort: str, key: CursorKey) -> str:
    """The cursor that continues ``sort`` after the row with ``key``."""
    raw = json.dumps({"s": sort, "k": [key[0], key[1]]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> CursorKey:
    """The key inside ``cursor``; InvalidQuery when it is malformed or for another sort."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as e:
        raise InvalidQuery(f"malformed cursor {cursor!r}") from e
    if not isinstance(data, dict) or data.get("s") != sort:
        raise InvalidQuery(f"cursor does not belong to sort {sort!r}")
    key = data.get("k")
    if (
        not isinstance(key, list)
        or len(key) != 2
        or isinstance(key[0], bool)
        or not isinstance(key[0], int | float | str)
        or not isinstance(key[1], str)
    ):
        raise InvalidQuery(f"malformed cursor {cursor!r}")
    return (key[0], key[1])
