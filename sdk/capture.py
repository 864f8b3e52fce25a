"""Turn arbitrary Python values into capped, scrubbed JSON text for span attributes.

Capture never raises and never consumes what it is given: iterators and generators are shown
by ``repr``, not iterated. Supported shapes: JSON scalars, mappings, lists/tuples/sets, pydantic
models (``model_dump``), dataclasses, bytes, numpy arrays and scalars (duck-typed, numpy is not
imported), enums, dates, and anything else through a capped ``repr``. Cycles become
``"<cycle>"``, nesting beyond :data:`MAX_DEPTH` becomes ``"<max depth>"``.

Each encoded value is capped at ``max_bytes`` UTF-8 bytes (``Config.max_value_bytes``, default
16 KiB). A cut value ends with :data:`TRUNCATION_MARKER` so a reader can see it is incomplete.
Walking stops early once the budget is spent, so a list of ten million items costs about as
much as one of a thousand.

Order of privacy steps: secret scrubbing (:mod:`chainsight.scrubbing`) during the walk, then
the user's ``redact(path, value)`` hook on the walked value, then encoding and the cap.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .scrubbing import Scrubber

JSON_MIME = "application/json"
"""OpenInference mime type of JSON content."""
TEXT_MIME = "text/plain"
"""OpenInference mime type of plain-text content."""

MAX_DEPTH = 16
"""Nesting depth shown before ``"<max depth>"``."""
MAX_ITEMS = 1000
"""Items shown per container before a ``"<N more items>"`` note."""
MAX_ARRAY_ITEMS = 256
"""Elements of a numpy array listed before it is summarised by shape and dtype."""
TRUNCATION_MARKER = "...[truncated by chainsight: {size} chars]"
"""Appended to a value cut at the cap; ``size`` is the length of the full value in characters."""

Redactor = Callable[[str, object], object]

_MARKER_ROOM = len(TRUNCATION_MARKER) + 8
_MARKER_SIZE = re.compile(r"\.\.\.\[truncated by chainsight: (\d+) chars\]$")


class _Walker:
    """One walk over one value: a byte budget, the scrubber and the cycle guard."""

    __slots__ = ("budget", "scrubber", "seen")

    def __init__(self, budget: int, scrubber: Scrubber | None) -> None:
        self.budget = budget
        self.scrubber = scrubber
        self.seen: set[int] = set()

    def string(self, text: str) -> str:
        size = len(text)
        cut = size > self.budget
        if cut:
            # Cut before scrubbing: regexes over megabytes would cost milliseconds.
            text = text[: max(self.budget - _MARKER_ROOM, 0)]
        self.budget -= len(text) + 2
        if self.scrubber is not None:
            text = self.scrubber.value(text)
        return text + TRUNCATION_MARKER.format(size=size) if cut else text

    def walk(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if value is None or kind is bool or kind is int:
            self.budget -= 6
            return value
        if kind is str:
            return self.string(value)
        if kind is float:
            self.budget -= 12
            return value if math.isfinite(value) else repr(value)
        if depth >= MAX_DEPTH:
            return "<max depth>"
        try:
            # Exact-type checks first: isinstance against the Mapping ABC costs several times
            # more, and dicts and lists are nearly everything captured.
            if kind is dict:
                return self._mapping(value, depth)
            if kind is list or kind is tuple:
                return self._sequence(value, depth)
            if isinstance(value, Mapping):
                return self._mapping(value, depth)
            if isinstance(value, list | tuple | set | frozenset):
                return self._sequence(value, depth)
            return self._other(value, depth)
        except Exception:  # user code ran (model_dump, a property, __lt__): show the type
            self.budget -= 32
            return f"<unserializable {type(value).__name__}>"

    def _enter(self, value: object) -> bool:
        ident = id(value)
        if ident in self.seen:
            return False
        self.seen.add(ident)
        return True

    def _mapping(self, value: Mapping[Any, Any], depth: int) -> Any:
        if not self._enter(value):
            return "<cycle>"
        out: dict[str, Any] = {}
        keys = self.scrubber.key_replacement if self.scrubber is not None else None
        try:
            for index, (key, item) in enumerate(value.items()):
                if self.budget <= 0 or index >= MAX_ITEMS:
                    out["<truncated>"] = f"<{len(value) - index} more keys>"
                    break
                name = key if type(key) is str else str(key)
                self.budget -= len(name) + 4
                hidden = keys(name) if keys is not None else None
                if hidden is not None:
                    out[name] = hidden
                elif type(item) is str:  # the common leaf, without a walk() call
                    out[name] = self.string(item)
                else:
                    out[name] = self.walk(item, depth + 1)
        finally:
            self.seen.discard(id(value))
        return out

    def _sequence(self, value: Any, depth: int) -> Any:
        if not self._enter(value):
            return "<cycle>"
        items = value
        if isinstance(value, set | frozenset):
            items = _ordered(value)
        out: list[Any] = []
        try:
            for index, item in enumerate(items):
                if self.budget <= 0 or index >= MAX_ITEMS:
                    out.append(f"<{len(value) - index} more items>")
                    break
                out.append(self.walk(item, depth + 1))
                self.budget -= 1
        finally:
            self.seen.discard(id(value))
        return out

    def _other(self, value: Any, depth: int) -> Any:
        if isinstance(value, bytes | bytearray | memoryview):
            return self._bytes(bytes(value[: max(self.budget, 0) + 1]), len(value))
        if isinstance(value, enum.Enum):
            return self.walk(value.value, depth + 1)
        if isinstance(value, datetime.datetime | datetime.date | datetime.time):
            return value.isoformat()
        if isinstance(value, int | float | str):  # subclasses (IntEnum handled above)
            return self.walk(_builtin(value), depth)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            if not self._enter(value):
                return "<cycle>"
            try:
                fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
                return self._mapping(fields, depth)
            finally:
                self.seen.discard(id(value))
        dump = getattr(value, "model_dump", None)
        if callable(dump) and not isinstance(value, type):
            if not self._enter(value):
                return "<cycle>"
            try:
                return self.walk(dump(), depth + 1)
            finally:
                self.seen.discard(id(value))
        if hasattr(value, "dtype") and hasattr(value, "tolist"):
            return self._array(value, depth)
        return self.string(_repr(value, self.budget))

    def _bytes(self, head: bytes, size: int) -> str:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            self.budget -= 24
            return f"<{size} bytes>"
        return self.string(text if size <= len(head) else f"{text}...<{size} bytes>")

    def _array(self, value: Any, depth: int) -> Any:
        size = getattr(value, "size", 1)
        shape = getattr(value, "shape", ())
        if not shape:  # numpy scalar or 0-d array
            item = value.item() if hasattr(value, "item") else value.tolist()
            return self.walk(item, depth + 1)
        if size <= MAX_ARRAY_ITEMS:
            return self.walk(value.tolist(), depth + 1)
        head = value.reshape(-1)[:16].tolist() if hasattr(value, "reshape") else []
        return {
            "<ndarray>": {"shape": list(shape), "dtype": str(value.dtype)},
            "head": self.walk(head, depth + 1),
        }


def _builtin(value: int | float | str) -> int | float | str:
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    return str(value)


def _ordered(items: set[Any] | frozenset[Any]) -> list[Any]:
    """Sets in a stable order so the same set always encodes the same way."""
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def _repr(value: object, budget: int) -> str:
    try:
        text = repr(value)
    except Exception:  # a user __repr__ may raise anything; capture never does
        return f"<unrepresentable {type(value).__name__}>"
    return text[: max(budget, 0) + 64]


def _fallback(value: object) -> str:
    """``json.dumps`` default for what a redact hook returned."""
    return _repr(value, 1 << 16)


def cap(text: str, max_bytes: int) -> str:
    """``text`` cut to ``max_bytes`` UTF-8 bytes, ending with the truncation marker."""
    if len(text) * 4 <= max_bytes:  # fast path: cannot exceed even if every char is 4 bytes
        return text
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    already = _MARKER_SIZE.search(text)
    marker = TRUNCATION_MARKER.format(size=already.group(1) if already else len(text))
    keep = max(max_bytes - len(marker.encode("utf-8")), 0)
    return raw[:keep].decode("utf-8", errors="ignore") + marker


def walk(value: object, *, max_bytes: int, scrubber: Scrubber | None) -> Any:
    """``value`` as JSON-safe Python data (scrubbed, bounded), the input of the redact hook."""
    return _Walker(max_bytes, scrubber).walk(value, 0)


def encode(
    value: object,
    *,
    path: str,
    max_bytes: int,
    scrubber: Scrubber | None,
    redact: Redactor | None,
) -> tuple[str, str]:
    """``(text, mime type)`` for one captured value: a string stays text, the rest is JSON.

    Raises only if the ``redact`` hook raises (the caller records that as an internal error
    and drops the value rather than export it unredacted).
    """
    if redact is None:
        if type(value) is str and len(value) <= max_bytes:  # what the walk does, minus the walk
            return cap(
                scrubber.value(value) if scrubber is not None else value, max_bytes
            ), TEXT_MIME
        text = _plain_json(value, max_bytes, scrubber)
        if text is not None:
            return text, JSON_MIME
    data = _Walker(max_bytes, scrubber).walk(value, 0)
    if redact is not None:
        data = redact(path, data)
    if type(data) is str:
        return cap(data, max_bytes), TEXT_MIME
    return cap(_dumps(data), max_bytes), JSON_MIME


def encode_arguments(
    arguments: Mapping[str, object],
    *,
    max_bytes: int,
    scrubber: Scrubber | None,
    redact: Redactor | None,
) -> str:
    """The bound arguments of a call as one JSON object (keys scrubbed like any mapping).

    The redact hook sees each argument as ``input.<name>``.
    """
    if redact is None and type(arguments) is dict:
        text = _plain_json(arguments, max_bytes, scrubber)
        if text is not None:
            return text
    walker = _Walker(max_bytes, scrubber)
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        hidden = scrubber.key_replacement(name) if scrubber is not None else None
        item = hidden if hidden is not None else walker.walk(value, 1)
        out[name] = redact(f"input.{name}", item) if redact is not None else item
    return cap(_dumps(out), max_bytes)


_SCALARS = frozenset((int, float, bool, type(None)))
"""Exact leaf types the walk returns as they are (a float only when finite: the encoder below
refuses NaN and infinities, which the walk writes as strings)."""

PLAIN_MIN_BYTES = 64
"""Smallest cap for which :func:`_plain_json`'s size rule is proven (the config minimum)."""


def _plain_json(value: object, max_bytes: int, scrubber: Scrubber | None) -> str | None:
    """JSON of ``value`` straight from the C encoder when the walk would change nothing.

    Most captured values are small dicts and lists of strings and numbers with nothing to
    scrub; for those the walk only copies them (measured: ~3x the cost of ``json.dumps`` on an
    OpenAI response, most of an ``@llm`` call's overhead). This checks in one pass, without
    copying, that the walk is the identity: exact built-in types only, str keys, no container
    deeper than :data:`MAX_DEPTH` or longer than :data:`MAX_ITEMS`, no key or string the
    scrubber would change. It returns None (walk instead) for anything else.

    The byte budget cannot run out either when the text is at most a quarter of the cap: the
    walk charges a string its length + 2 and a key its length + 4 (the text spends as much), a
    number at most 13 (a float in a list, whose text takes at least 3 characters plus ", "), so
    the walk spends at most 2.6 x the text length (brackets count for a container's first
    item), below ``max_bytes``.
    The same bound makes :func:`cap` a no-op.
    """
    kind = type(value)
    if kind is not dict and kind is not list and kind is not tuple:
        return None
    limit = max_bytes // 4
    if max_bytes < PLAIN_MIN_BYTES or not _unchanged(value, 0, limit, scrubber):
        return None
    try:
        text = _ENCODERS.plain().encode(value)
    except ValueError:  # NaN, infinity, an int past the digit limit: the walk shows those
        return None
    return text if len(text) <= limit else None


def _unchanged(value: Any, depth: int, limit: int, scrubber: Scrubber | None) -> bool:
    """True when walking the dict/list/tuple ``value`` would return an equal copy of it."""
    if depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
        return False
    # Known-clean keys and strings are set lookups; only new ones call the scrubber.
    clean_keys = scrubber.clean_keys if scrubber is not None else _EVERYTHING
    clean_texts = scrubber.clean_texts if scrubber is not None else _NOTHING
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if (
                key not in clean_keys
                and scrubber is not None
                and scrubber.key_replacement(key) is not None
            ):
                return False
            kind = type(item)
            if kind is str:
                if item not in clean_texts and not _clean_text(item, limit, scrubber):
                    return False
            elif kind is dict or kind is list or kind is tuple:
                if not _unchanged(item, depth + 1, limit, scrubber):
                    return False
            elif kind not in _SCALARS:
                return False
        return True
    for item in value:
        kind = type(item)
        if kind is str:
            if item not in clean_texts and not _clean_text(item, limit, scrubber):
                return False
        elif kind is dict or kind is list or kind is tuple:
            if not _unchanged(item, depth + 1, limit, scrubber):
                return False
        elif kind not in _SCALARS:
            return False
    return True


def _clean_text(text: str, limit: int, scrubber: Scrubber | None) -> bool:
    """``text`` fits the fast path's size and the scrubber leaves it as it is."""
    # A string longer than the whole text may be is rejected before any regex runs over it.
    if len(text) > limit:
        return False
    return scrubber is None or scrubber.value(text) == text


class _Everything:
    """Contains every string: with scrubbing off every key is clean."""

    __slots__ = ()

    def __contains__(self, item: object) -> bool:
        return True


_EVERYTHING = _Everything()
_NOTHING: frozenset[str] = frozenset()  # scrubbing off: texts are still checked for size


class _Encoders:
    """``json.dumps`` builds a new encoder per call when given options (measured ~3 µs of a
    ~7 µs call here); one instance is made on first use and reused."""

    __slots__ = ("encoder", "strict")

    def __init__(self) -> None:
        self.encoder: json.JSONEncoder | None = None
        self.strict: json.JSONEncoder | None = None

    def get(self) -> json.JSONEncoder:
        if self.encoder is None:
            self.encoder = json.JSONEncoder(ensure_ascii=False, default=_fallback)
        return self.encoder

    def plain(self) -> json.JSONEncoder:
        """For :func:`_plain_json`: NaN and infinities raise instead of being written."""
        if self.strict is None:
            self.strict = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
        return self.strict


_ENCODERS = _Encoders()


def _dumps(data: object) -> str:
    try:
        return _ENCODERS.get().encode(data)
    except ValueError:  # a cycle or NaN introduced by a redact hook
        return json.dumps(_fallback(data))
