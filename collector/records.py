"""Building ``SpanRecord`` rows and their JSON columns at ingest speed.

Two measured costs of the decode hot path live here (``benchmarks/bench_decode.py``):

- ``new_record``: the frozen ``SpanRecord.__init__`` sets each of its ~45 fields through
  ``object.__setattr__`` (5.0 µs per record); filling the slots directly from a
  positional function costs 2.0 µs. The function is generated from
  ``dataclasses.fields(SpanRecord)`` the way ``dataclasses`` builds ``__init__``: it
  takes ``RECORD_FIELDS`` in that order and assigns *by name*, fields not listed get
  their declared defaults, and a field renamed or added without a default fails loudly
  when the module is imported instead of landing in the wrong slot.
- ``dumps``: ``json.JSONEncoder.encode`` rebuilds the C encoder on every call (~0.5 µs of
  the ~1.7 µs a small attributes object takes); it is built once here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, fields
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Final

from chainsight.storage.model import SpanRecord

__all__ = ["RECORD_FIELDS", "dumps", "new_record"]

_JSON_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
)
_C_ENCODE: Final = (
    c_make_encoder(None, None, encode_basestring, None, ":", ",", False, False, False)
    if c_make_encoder is not None
    else None
)


def dumps(value: object) -> str:
    """Compact JSON, non-ASCII kept; values are finite by construction (the decoder maps NaN).

    >>> dumps({"a": [1, "é"]})
    '{"a":[1,"é"]}'
    """
    if _C_ENCODE is not None and type(value) in (dict, list):
        return "".join(_C_ENCODE(value, 0))
    return _JSON_ENCODER.encode(value)


RECORD_FIELDS: Final = (
    "project",
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "service",
    "start_ns",
    "end_ns",
    "duration_ms",
    "status",
    "status_message",
    "otel_kind",
    "operation",
    "provider",
    "request_model",
    "response_model",
    "model",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
    "usage_estimated",
    "cost",
    "price_id",
    "ttft_ms",
    "tpot_ms",
    "finish_reason",
    "error_type",
    "session_id",
    "user_id",
    "tags",
    "input",
    "output",
    "attributes",
    "events",
    "links",
    "resource",
    "scope",
)
"""Positional parameters of ``new_record``, in order."""


def _record_factory() -> Callable[..., SpanRecord]:
    declared = {f.name: f for f in fields(SpanRecord)}
    unknown = [name for name in RECORD_FIELDS if name not in declared]
    if unknown:
        raise TypeError(f"SpanRecord has no field(s) {unknown}: update records.RECORD_FIELDS")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": SpanRecord}
    lines = []
    for name, f in declared.items():
        namespace[f"_set_{name}"] = getattr(SpanRecord, name).__set__
        if name in RECORD_FIELDS:
            value = name
        elif f.default is not MISSING:
            namespace[f"_default_{name}"] = f.default
            value = f"_default_{name}"
        elif f.default_factory is not MISSING:
            namespace[f"_factory_{name}"] = f.default_factory
            value = f"_factory_{name}()"
        else:
            raise TypeError(f"SpanRecord field {name!r} has no default: add it to RECORD_FIELDS")
        lines.append(f"    _set_{name}(r, {value})")
    source = (
        f"def new_record({', '.join(RECORD_FIELDS)}):\n    r = _new(_cls)\n"
        + "\n".join(lines)
        + "\n    return r\n"
    )
    exec(source, namespace)  # the dataclasses technique: straight-line code, no per-call loop
    factory: Callable[..., SpanRecord] = namespace["new_record"]
    return factory


new_record: Final = _record_factory()
"""``new_record(*values)`` with values in ``RECORD_FIELDS`` order → a ``SpanRecord``."""
