"""Per-request decode state shared by the protobuf and JSON walks of ``otlp.py``.

``Walk`` holds the limits, the clock window, the rows built so far and the
rejections counted by reason; the reason labels are stable (the server exports them
as ``/metrics`` label values) and ``Walk.result`` turns them into the OTLP
``partial_success`` message.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from chainsight import semconv as sc
from chainsight.storage.model import SpanColumns

from .limits import TRUNCATED_MARKER, DecodeLimits
from .normalize import ResourceContext
from .pricing import PriceBook
from .records import dumps

DEFAULT_PROJECT: Final = "default"
"""Project of spans with neither a project-scoped key nor a project resource attribute."""
_ZERO_TRACE: Final = bytes(16)
_ZERO_SPAN: Final = bytes(8)

# Rejection reasons: stable labels (also used as /metrics label values).
INVALID_TRACE_ID: Final = "invalid_trace_id"
INVALID_SPAN_ID: Final = "invalid_span_id"
INVALID_PARENT_ID: Final = "invalid_parent_span_id"
TIMESTAMP_TOO_OLD: Final = "timestamp_before_min"
TIMESTAMP_IN_FUTURE: Final = "timestamp_in_future"
NEGATIVE_DURATION: Final = "end_before_start"
MALFORMED_SPAN: Final = "malformed_span"
_REASON_TEXT: Final = {
    INVALID_TRACE_ID: "trace_id is not 16 bytes (32 hex chars in JSON) or is all zero",
    INVALID_SPAN_ID: "span_id is not 8 bytes (16 hex chars in JSON) or is all zero",
    INVALID_PARENT_ID: "parent_span_id is neither empty nor 8 bytes",
    TIMESTAMP_TOO_OLD: "start time before 2000-01-01 (or the configured minimum)",
    TIMESTAMP_IN_FUTURE: "start or end time too far in the future",
    NEGATIVE_DURATION: "end time before start time",
    MALFORMED_SPAN: "span fields of the wrong JSON type",
}


class DecodeError(ValueError):
    """The whole body is undecodable; the server answers 400 with this message."""


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """Normalized and priced records, plus what was refused (→ OTLP ``partial_success``).

    The storage backend writes ``records``' columns as they are.
    """

    records: SpanColumns
    rejected: int
    error_message: str | None
    rejected_reasons: Mapping[str, int] = field(default_factory=dict)


class SpanRejected(Exception):
    """One span failed validation; carries the reason label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Walk:
    """Per-request state shared by the protobuf and JSON walks."""

    __slots__ = (
        "budget",
        "limits",
        "max_ns",
        "min_ns",
        "pricebook",
        "project",
        "rejected",
        "rows",
        "str_fast",
    )

    def __init__(
        self, project: str | None, pricebook: PriceBook, limits: DecodeLimits, now_ns: int
    ) -> None:
        self.project = project
        self.pricebook = pricebook
        self.limits = limits
        self.min_ns = limits.min_time_ns
        self.max_ns = now_ns + limits.max_future_ns
        # A str of n code points has at most 4n UTF-8 bytes: below this no encode is needed.
        self.str_fast = limits.max_value_bytes // 4
        self.rows: list[tuple[Any, ...]] = []  # normalize.build_row's, in wire order
        self.rejected: Counter[str] = Counter()
        self.budget = 0

    def cap_str(self, s: str) -> str:
        raw = s.encode("utf-8", "surrogatepass")
        limit = self.limits.max_value_bytes
        if len(raw) <= limit:
            return s
        kept = raw[:limit].decode("utf-8", "ignore")
        return kept + TRUNCATED_MARKER.format(dropped=len(raw) - limit)

    def cap_bytes(self, b: bytes) -> str:
        limit = self.limits.max_value_bytes
        if len(b) <= limit:
            return base64.b64encode(b).decode("ascii")
        return base64.b64encode(b[:limit]).decode("ascii") + TRUNCATED_MARKER.format(
            dropped=len(b) - limit
        )

    def context(self, resource_attrs: dict[str, Any], scope: str | None) -> ResourceContext:
        project = self.project
        if project is None:
            found = first_str(resource_attrs, sc.PROJECT_ALIASES)
            project = found if found is not None else DEFAULT_PROJECT
        service = resource_attrs.get(sc.SERVICE_NAME)
        return ResourceContext(
            project=project,
            service=service if type(service) is str else None,
            resource_json=dumps(resource_attrs) if resource_attrs else "{}",
            scope=scope or None,
        )

    def result(self) -> DecodeResult:
        total = sum(self.rejected.values())
        message = None
        if total:
            parts = [f"{n} {_REASON_TEXT[reason]}" for reason, n in self.rejected.most_common()]
            message = f"{total} span(s) rejected: " + "; ".join(parts)
        return DecodeResult(SpanColumns.from_rows(self.rows), total, message, dict(self.rejected))


def time_reason(start: int, end: int, min_ns: int, max_ns: int) -> str | None:
    """Why a span's times are refused, or None when they are plausible."""
    if start < min_ns:
        return TIMESTAMP_TOO_OLD
    if start > max_ns or end > max_ns:
        return TIMESTAMP_IN_FUTURE
    if end < start:
        return NEGATIVE_DURATION
    return None


def first_str(attrs: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = attrs.get(name)
        if type(value) is str and value:
            return value
    return None


def finite(d: float) -> float | str:
    if math.isfinite(d):
        return d
    if math.isnan(d):
        return "NaN"
    return "Infinity" if d > 0 else "-Infinity"
