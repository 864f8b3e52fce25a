"""OTLP trace bodies (protobuf or JSON) → normalized, priced spans, held column-wise.

The one decode boundary of the collector: ``decode_traces`` is pure and synchronous
(the server runs it in a worker thread). The walks live in ``otlp_protobuf`` and
``otlp_json``, their shared state in ``otlp_walk``; protobuf types never leave them.

Interface note for the server: ``decode_traces`` also takes an optional keyword
``now_ns`` (the clock used for the "too far in the future" check; tests pin it), and
``DecodeResult`` carries ``rejected_reasons`` (reason → count, for ``/metrics``). Both
are additions with defaults; the brief's signature is otherwise unchanged.

Decisions (``docs/conventions.md``, "Decode"):

- Whole-body failures raise ``DecodeError`` (→ 400): unparsable protobuf (upb validates
  UTF-8 in string fields, so invalid UTF-8 is one), malformed JSON, unpaired UTF-16
  surrogates in JSON strings (they cannot be stored as UTF-8), a JSON body with more than
  ``max_json_objects`` objects, more than ``max_spans`` spans, or a wrong top-level shape.
- Per-span failures are counted in ``rejected`` with a summary message (→ 200 with
  ``partial_success``): trace id not 16 bytes or all zero, span id not 8 bytes or all
  zero, parent id neither empty nor 8 bytes, start before ``min_time_ns`` (2000-01-01),
  start or end more than ``max_future_ns`` (1 day) after the collector's clock, end
  before start, and (JSON) a span of the wrong shape.
- Caps that keep data: attributes beyond ``max_attributes_per_span`` (and events/links
  beyond theirs) are dropped and counted in the attributes JSON; strings longer than
  ``max_value_bytes`` are cut with a marker; arrays/kvlists deeper than ``max_depth``
  become a marker; nested elements beyond ``max_nested_items`` per span are dropped
  with a marker. NaN/±inf doubles become the strings ``"NaN"``/``"Infinity"``/``"-Infinity"``
  (the OTLP/JSON spelling), since the attributes column must be valid JSON.
"""

from __future__ import annotations

import time
from typing import Literal

from .limits import DecodeLimits
from .otlp_json import decode_json
from .otlp_protobuf import decode_protobuf
from .otlp_walk import DecodeError, DecodeResult, Walk
from .pricing import PriceBook

__all__ = ["DecodeError", "DecodeLimits", "DecodeResult", "decode_traces"]


def decode_traces(
    body: bytes,
    content_type: Literal["protobuf", "json"],
    *,
    project: str | None,
    pricebook: PriceBook,
    limits: DecodeLimits = DecodeLimits(),  # noqa: B008 - frozen, so a shared default is safe
    now_ns: int | None = None,
) -> DecodeResult:
    """Decode an OTLP ``ExportTraceServiceRequest`` body into normalized, priced records.

    ``project`` (from a project-scoped API key) overrides the resource's
    ``chainsight.project``/``openinference.project.name``; without either, "default".
    Raises ``DecodeError`` when the body as a whole cannot be decoded.

    >>> from chainsight.collector.pricing import PriceBook
    >>> list(decode_traces(b"", "protobuf", project=None, pricebook=PriceBook([])).records)
    []
    """
    w = Walk(project, pricebook, limits, time.time_ns() if now_ns is None else now_ns)
    if content_type == "protobuf":
        decode_protobuf(body, w)
    elif content_type == "json":
        decode_json(body, w)
    else:
        raise DecodeError(f"unsupported content type {content_type!r}")
    return w.result()
