"""Bounds the OTLP decoder enforces on every request, span and attribute value.

The server already caps the body size before and after decompression; these limits
bound what one decoded body may turn into, so that a hostile or buggy sender (millions
of attributes, megabyte strings, arrays nested a thousand deep) costs memory of the
order of the body size and never a ``RecursionError``. Every default is documented in
``docs/conventions.md`` (section "Decode limits").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

TRUNCATED_MARKER: Final = "…[chainsight: truncated {dropped} bytes]"
"""Appended to a string value cut at ``max_value_bytes``; ``{dropped}`` is the bytes removed."""
DEPTH_MARKER: Final = "[chainsight: nesting deeper than {depth} levels dropped]"
"""Replaces an array/kvlist value nested deeper than ``max_depth``."""
ITEMS_MARKER: Final = "[chainsight: {dropped} more items dropped]"
"""Last element of an array (or key ``…`` of a kvlist) cut at the item budget."""

NS_PER_DAY: Final = 86_400 * 1_000_000_000
YEAR_2000_NS: Final = 946_684_800 * 1_000_000_000
"""2000-01-01T00:00:00Z in Unix nanoseconds: anything earlier is a unit or clock bug."""


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Per-request, per-span and per-value caps applied by ``decode_traces``.

    >>> DecodeLimits(max_attributes_per_span=256).max_attributes_per_span
    256
    """

    max_spans: int = 100_000
    """Spans in one request; more refuses the whole body (send smaller batches)."""
    max_attributes_per_span: int = 1024
    """Attributes kept per span (first N in wire order); the excess is counted, not stored."""
    max_events_per_span: int = 256
    """Events kept per span; the excess is counted in the attributes JSON."""
    max_links_per_span: int = 128
    """Links kept per span; the excess is counted in the attributes JSON."""
    max_value_bytes: int = 1_048_576
    """UTF-8 bytes kept of one string (or bytes) value; longer values are cut with a marker."""
    max_depth: int = 8
    """Nesting levels of array/kvlist values kept; deeper levels become a marker string."""
    max_nested_items: int = 65_536
    """Elements of nested (array/kvlist) values kept per span, all attributes together."""
    max_json_objects: int = 1_000_000
    """``{`` characters allowed in a JSON body (an upper bound on the objects it parses into)."""
    min_time_ns: int = YEAR_2000_NS
    """Spans starting before this (default 2000-01-01) are rejected as absurd."""
    max_future_ns: int = NS_PER_DAY
    """Spans starting or ending more than this after the collector's clock are rejected."""
