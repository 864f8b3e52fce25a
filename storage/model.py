"""The data model shared by the collector, storage and dashboard.

``SpanRecord`` is the one normalized row per span that the collector builds at its
decode boundary and storage writes; it is a frozen dataclass because ingest makes
tens of thousands per second. Everything the query API returns (and the dashboard
reads) is a pydantic model defined here, so the API, the storage backends and the
dashboard's client share one definition.

Units: absolute times are Unix nanoseconds (``*_ns``) in storage and ``datetime`` (UTC)
in API rows; durations are milliseconds (``*_ms``, float); cost is USD.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Final, Literal, overload

from pydantic import BaseModel, ConfigDict, Field

SpanStatus = Literal["unset", "ok", "error"]
"""OTel status code, lower-cased."""


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One normalized span, as stored. Built once by the collector; never mutated."""

    project: str
    trace_id: str  # 32 lower-case hex chars
    span_id: str  # 16 lower-case hex chars
    parent_span_id: str | None
    name: str
    kind: str  # one of chainsight.semconv.SPAN_KINDS
    service: str | None
    start_ns: int
    end_ns: int
    duration_ms: float
    status: SpanStatus
    status_message: str | None = None
    otel_kind: str = "internal"  # internal | server | client | producer | consumer
    operation: str | None = None
    provider: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    model: str | None = None  # response model, else request model: what we group and price by
    input_tokens: int | None = None  # includes cached tokens (OTel GenAI meaning)
    output_tokens: int | None = None  # includes reasoning tokens
    cached_tokens: int | None = None  # cache-read input tokens
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None
    usage_estimated: bool = False
    cost: float | None = None  # USD; None when the model is unpriced
    price_id: str | None = None  # the pricing entry used, or "explicit" for a cost on the span
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    finish_reason: str | None = None
    error_type: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    tags: tuple[str, ...] = ()
    input: str | None = None
    output: str | None = None
    attributes: str = "{}"  # JSON object: the attributes not promoted to columns
    events: str = "[]"  # JSON array of {name, time_ns, attributes}
    links: str = "[]"  # JSON array of {trace_id, span_id, attributes}
    resource: str = "{}"  # JSON object of resource attributes
    scope: str | None = None  # instrumentation scope name


SPAN_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in fields(SpanRecord))
"""``SpanRecord``'s fields in declaration order: the order of a row and of ``SpanColumns``."""


class SpanColumns(Sequence[SpanRecord]):
    """Spans held column-wise, as the collector's decoder builds them: a ``Sequence`` of
    ``SpanRecord`` whose items are built only when read.

    ``columns`` holds one list per field of ``SPAN_FIELDS``, in that order. A columnar
    backend (DuckDB via Arrow) reads the lists directly: building a ``SpanRecord`` per span
    and reading its 41 attributes back cost ~4 µs per span of GIL-held time at ingest
    (docs/benchmarks.md, "Ingest decode").

    >>> cols = SpanColumns.from_rows([])
    >>> len(cols), list(cols)
    (0, [])
    """

    __slots__ = ("columns",)

    def __init__(self, columns: Sequence[list[Any]]) -> None:
        if len(columns) != len(SPAN_FIELDS):
            raise ValueError(f"expected {len(SPAN_FIELDS)} columns, got {len(columns)}")
        self.columns: tuple[list[Any], ...] = tuple(columns)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[Any, ...]]) -> SpanColumns:
        """Transpose rows (tuples of values in ``SPAN_FIELDS`` order) into columns."""
        columns = [list(col) for col in zip(*rows, strict=True)]
        return cls(columns or [[] for _ in SPAN_FIELDS])

    @classmethod
    def concat(cls, parts: Iterable[SpanColumns]) -> SpanColumns:
        """One ``SpanColumns`` holding every span of ``parts``, in order."""
        columns: list[list[Any]] = [[] for _ in SPAN_FIELDS]
        for part in parts:
            for mine, theirs in zip(columns, part.columns, strict=True):
                mine.extend(theirs)
        return cls(columns)

    def __len__(self) -> int:
        return len(self.columns[0])

    @overload
    def __getitem__(self, index: int) -> SpanRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SpanRecord]: ...

    def __getitem__(self, index: int | slice) -> SpanRecord | Sequence[SpanRecord]:
        if isinstance(index, slice):
            return SpanColumns([col[index] for col in self.columns])
        return SpanRecord(*(col[index] for col in self.columns))

    def __eq__(self, other: object) -> bool:
        """Equal to a list, tuple or ``SpanColumns`` of the same records, in order."""
        if isinstance(other, SpanColumns):
            return self.columns == other.columns
        if isinstance(other, list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable lists inside, like list

    def __repr__(self) -> str:
        return f"SpanColumns({list(self)!r})"


class SpanTable(Sequence[SpanRecord]):
    """Spans held as one Arrow table (``SPAN_FIELDS`` columns, sorted by start): what the
    collector's decode worker processes send back, as Arrow IPC, to the single writer.

    Like ``SpanColumns`` it is a ``Sequence`` of ``SpanRecord`` built only when read, so the
    ``Store`` protocol is unchanged; the DuckDB backend inserts the table as it is. Arrow is
    the cheap form to cross a process boundary: ≈ 3.3 µs per span for the parent to send a
    body and read the IPC reply, against ≈ 48 + 25 µs to pickle and unpickle records
    (docs/benchmarks.md, "Ingest decode"). ``table`` is a ``pyarrow.Table``; pyarrow is
    imported only when one is built, so the dashboard can import this module without it.

    >>> cols = SpanColumns.from_rows([])
    >>> len(SpanTable.from_ipc(*SpanTable.from_columns(cols).to_ipc()))
    0
    """

    __slots__ = ("table", "traces")

    def __init__(self, table: Any, traces: Any = None) -> None:
        self.table: Any = table
        self.traces: Any = traces
        """The per-trace rollup of exactly these spans (DuckDB ``traces`` rows), or None.

        Built by the decode worker with the table; the writer uses it as it is when its
        group commit drops no span and no trace spans two requests, and otherwise rolls
        the batch up itself. It moves ≈ 4 µs per span off the collector's GIL."""

    @classmethod
    def from_columns(cls, spans: SpanColumns, *, rollup: bool = True) -> SpanTable:
        """The Arrow table the DuckDB writer inserts (and its per-trace rollup), from
        decoded columns."""
        from .duckdb import writes

        table = writes.columns_to_arrow(spans.columns)
        return cls(table, writes.rollup(spans.columns) if rollup else None)

    @classmethod
    def from_ipc(cls, data: bytes, traces: bytes | None = None) -> SpanTable:
        """Read the Arrow IPC streams written by ``to_ipc`` (zero-copy over the bytes)."""
        import pyarrow as pa

        return cls(
            pa.ipc.open_stream(data).read_all(),
            None if traces is None else pa.ipc.open_stream(traces).read_all(),
        )

    def to_ipc(self) -> tuple[bytes, bytes | None]:
        """The spans and the rollup (None without one) as Arrow IPC streams."""
        return _ipc(self.table), None if self.traces is None else _ipc(self.traces)

    @classmethod
    def concat(cls, parts: Iterable[SpanTable]) -> SpanTable:
        """One table holding every span of ``parts``, in order (not re-sorted); the
        rollups concatenated when every part has one."""
        import pyarrow as pa

        parts = list(parts)
        rollups = [part.traces for part in parts]
        return cls(
            pa.concat_tables([part.table for part in parts]),
            None if any(r is None for r in rollups) else pa.concat_tables(rollups),
        )

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @overload
    def __getitem__(self, index: int) -> SpanRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SpanRecord]: ...

    def __getitem__(self, index: int | slice) -> SpanRecord | Sequence[SpanRecord]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("span index out of range")
        row = self.table.slice(index, 1).to_pylist()[0]
        row["tags"] = tuple(row["tags"] or ())
        return SpanRecord(**row)

    def __iter__(self) -> Iterator[SpanRecord]:
        for row in self.table.to_pylist():
            row["tags"] = tuple(row["tags"] or ())
            yield SpanRecord(**row)

    def __repr__(self) -> str:
        return f"SpanTable({len(self)} spans)"


def _ipc(table: Any) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


# ---------------------------------------------------------------------------------------------
# Query inputs
# ---------------------------------------------------------------------------------------------


class TraceFilter(BaseModel):
    """Filters shared by trace lists, metrics and drift. All optional; ``None`` = no filter.

    Span-level fields (model, name, kind, service, status) match when *any* span of the
    trace matches; ``start``/``end`` bound the trace's root start time.
    """

    model_config = ConfigDict(frozen=True)

    project: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: SpanStatus | None = None
    model: str | None = None
    name: str | None = None
    kind: str | None = None
    service: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    tag: str | None = None
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None
    min_cost: float | None = None
    search: str | None = None  # case-insensitive substring of any span's input or output


TraceSort = Literal["start_desc", "start_asc", "duration_desc", "cost_desc", "tokens_desc"]
GroupBy = Literal["model", "name", "kind", "service", "user", "tag", "provider", "project"]


class MetricQuery(BaseModel):
    """A metric series or summary request over LLM/step spans."""

    model_config = ConfigDict(frozen=True)

    filter: TraceFilter = Field(default_factory=TraceFilter)
    start: datetime
    end: datetime
    bucket_seconds: int | None = None  # None = one summary per group, no time buckets
    group_by: GroupBy | None = None
    kind: str | None = None  # restrict to spans of this kind (e.g. "llm"); None = all spans


# ---------------------------------------------------------------------------------------------
# Query outputs (API rows)
# ---------------------------------------------------------------------------------------------


class TraceSummary(BaseModel):
    """One row of the trace list: the trace's root plus rolled-up totals."""

    trace_id: str
    project: str
    name: str  # root span name (or the earliest span's when the root never arrived)
    kind: str
    service: str | None
    start_time: datetime
    duration_ms: float
    status: SpanStatus  # "error" when any span errored
    span_count: int
    error_count: int
    ttft_ms: float | None  # of the first streaming LLM span
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cost: float | None
    models: list[str]
    user_id: str | None
    session_id: str | None
    tags: list[str]
    input_preview: str | None
    output_preview: str | None
    has_orphans: bool  # some span's parent is missing from the trace


class TracePage(BaseModel):
    """A page of traces with an opaque cursor for the next page (None at the end)."""

    items: list[TraceSummary]
    next_cursor: str | None


class SpanDetail(BaseModel):
    """Every stored fact about one span, for the trace view."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    project: str
    name: str
    kind: str
    otel_kind: str
    service: str | None
    start_time: datetime
    end_time: datetime
    start_ns: int
    end_ns: int
    duration_ms: float
    status: SpanStatus
    status_message: str | None
    operation: str | None
    provider: str | None
    request_model: str | None
    response_model: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    total_tokens: int | None
    usage_estimated: bool
    cost: float | None
    price_id: str | None
    ttft_ms: float | None
    tpot_ms: float | None
    finish_reason: str | None
    error_type: str | None
    session_id: str | None
    user_id: str | None
    tags: list[str]
    input: str | None
    output: str | None
    attributes: dict[str, object]
    events: list[dict[str, object]]
    links: list[dict[str, object]]
    resource: dict[str, object]
    depth: int  # 0 for roots and orphans
    orphan: bool  # has a parent id that is not in the trace


class TraceTree(BaseModel):
    """One trace: spans in depth-first order (children by start time), roots first."""

    trace_id: str
    project: str
    start_time: datetime
    duration_ms: float
    spans: list[SpanDetail]


class SessionSummary(BaseModel):
    """Traces grouped by session id."""

    session_id: str
    project: str
    user_id: str | None
    first_start: datetime
    last_end: datetime
    trace_count: int
    error_count: int
    total_tokens: int | None
    cost: float | None


class UserSummary(BaseModel):
    """Activity of one end-user."""

    user_id: str
    project: str
    first_seen: datetime
    last_seen: datetime
    trace_count: int
    session_count: int
    error_count: int
    total_tokens: int | None
    cost: float | None


class Percentiles(BaseModel):
    """Exact percentiles over the window (never averages of averages). None when empty."""

    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    mean: float | None
    max: float | None


class MetricPoint(BaseModel):
    """Aggregates for one (bucket, group). ``bucket_start`` is None for summaries."""

    bucket_start: datetime | None
    group: str | None
    requests: int
    errors: int
    error_rate: float | None
    latency_ms: Percentiles
    ttft_ms: Percentiles
    tpot_ms: Percentiles
    input_tokens: int
    output_tokens: int
    total_tokens: int
    tokens_per_s: float | None  # output tokens / summed duration of spans with output tokens
    cost: float | None
    unpriced: int  # spans with a model but no price


class PriceEntry(BaseModel):
    """A pricing row: USD per 1M tokens, for models matching an anchored pattern."""

    id: str
    provider: str | None
    model_pattern: str  # anchored regular expression, matched against the normalized model name
    effective_from: datetime
    input: float
    output: float
    cached_read: float | None = None  # None = billed at the input price
    cache_write: float | None = None  # None = billed at the input price
    reasoning: float | None = None  # None = billed at the output price
    source: Literal["default", "file", "api"] = "default"


class UnpricedModel(BaseModel):
    """A model seen on spans without a price."""

    model: str
    provider: str | None
    span_count: int
    first_seen: datetime
    last_seen: datetime


class ApiKeyInfo(BaseModel):
    """An API key as listed: never the secret, only a masked display value."""

    id: str
    project: str
    name: str | None
    masked: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A key's lookup material (salted hash), for the collector's auth check."""

    id: str
    project: str
    salt: bytes
    hash: bytes
    revoked: bool


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write did: spans inserted and spans ignored as duplicates."""

    inserted: int
    duplicates: int = 0
    extra: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Drift (issue 6): samples from storage, reference periods, reports
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DriftSample:
    """Columns of a uniform random sample of the spans in a window (plain Python lists).

    ``total`` is how many spans matched before sampling; each list in ``columns`` has the
    same length (at most the sample limit), values ``None`` where the span lacks one.
    """

    total: int
    columns: dict[str, list[object]]

    def column(self, name: str) -> list[object]:
        """One column's values (empty when not requested)."""
        return self.columns.get(name, [])

    @property
    def size(self) -> int:
        """Rows in the sample."""
        return len(next(iter(self.columns.values()), []))


class ReferencePeriod(BaseModel):
    """A named, saved baseline window (e.g. "launch week") with the filter it applies to."""

    name: str = Field(min_length=1, max_length=200)
    start: datetime
    end: datetime
    project: str | None = None
    description: str | None = None
    created_at: datetime | None = None


DriftVerdict = Literal["drift", "no_drift", "insufficient_data"]
FeatureType = Literal["numeric", "categorical", "text", "embedding"]


class HistogramBin(BaseModel):
    """One bin (numeric: ``[lower, upper)``) or category of an overlaid comparison."""

    label: str
    lower: float | None = None
    upper: float | None = None
    baseline: float  # share of the baseline sample in this bin, 0..1
    current: float  # share of the current sample in this bin, 0..1


class TermShift(BaseModel):
    """A term whose weight in the text centroid grew (delta > 0) or shrank."""

    term: str
    baseline: float
    current: float
    delta: float


class FeatureDrift(BaseModel):
    """One feature's comparison: the statistic used, its value and the verdict."""

    feature: str
    type: FeatureType
    statistic: str  # ks | chisquare | wasserstein | jensenshannon | psi | centroid_cosine | ...
    score: float | None  # the statistic's value (a p-value for ks/chisquare)
    threshold: float
    higher_is_drift: bool  # False for p-values: drift when score < threshold
    verdict: DriftVerdict
    baseline_count: int
    current_count: int
    psi: float | None = None  # PSI beside the chosen statistic, when defined
    note: str | None = None  # why there is no verdict, or how the threshold was chosen
    bins: list[HistogramBin] = Field(default_factory=list)
    terms: list[TermShift] = Field(default_factory=list)


class DriftWindow(BaseModel):
    """A compared window and how many spans it held (and were sampled)."""

    start: datetime
    end: datetime
    spans: int
    sampled: int
    label: str | None = None  # e.g. "previous" or a reference period's name


class DriftReport(BaseModel):
    """A current window against a baseline: per-feature verdicts and an overall one."""

    baseline: DriftWindow
    current: DriftWindow
    features: list[FeatureDrift]
    drifted: int
    evaluated: int  # features with a verdict (enough data)
    share: float | None  # drifted / evaluated
    share_threshold: float
    verdict: DriftVerdict
    message: str


class DriftPoint(BaseModel):
    """One rolling-window score of a feature, for series and alert rules."""

    time: datetime  # end of the current window
    score: float | None
    threshold: float
    verdict: DriftVerdict
    statistic: str
    baseline_count: int
    current_count: int


# ---------------------------------------------------------------------------------------------
# Alerting rows (issue 5): rules as stored, instance state, transitions, silences, deliveries
# ---------------------------------------------------------------------------------------------

AlertState = Literal["inactive", "pending", "firing", "resolved"]
"""Prometheus's states plus ``resolved`` (inactive again after firing, announced once)."""

AlertOutcome = Literal["ok", "breach", "no_data", "insufficient", "error"]
"""What one evaluation of one instance found; no-data and error are never ``ok``."""


class AlertRuleRow(BaseModel):
    """A rule as stored: its definition (validated by the collector) plus bookkeeping."""

    name: str
    spec: dict[str, Any]  # the rule as written in YAML/JSON (chainsight.collector.alerting.rules)
    enabled: bool = True
    source: Literal["api", "file", "default"] = "api"
    updated_at: datetime


class AlertInstance(BaseModel):
    """One alert instance: a rule and one set of group labels, with its current state."""

    rule: str
    fingerprint: str  # stable hash of the labels: the receivers' dedupe key
    labels: dict[str, str]
    state: AlertState
    outcome: AlertOutcome | None = None
    value: float | None = None
    threshold: float | None = None
    samples: int | None = None
    active_since: datetime | None = None  # when the condition started holding (pending)
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_breach_at: datetime | None = None
    last_eval_at: datetime | None = None
    last_notified_at: datetime | None = None
    error: str | None = None


class AlertTransition(BaseModel):
    """One state change of one instance, with the value and threshold that caused it."""

    rule: str
    fingerprint: str
    labels: dict[str, str]
    at: datetime
    from_state: AlertState
    to_state: AlertState
    outcome: AlertOutcome
    value: float | None
    threshold: float | None


class SilenceMatcher(BaseModel):
    """Matches an alert label: equal to ``value``, or a full-match regex when ``regex``."""

    name: str
    value: str
    regex: bool = False


class Silence(BaseModel):
    """Suppresses notifications of matching alerts until ``ends_at`` (state is still kept)."""

    id: str
    matchers: list[SilenceMatcher]
    starts_at: datetime
    ends_at: datetime
    created_by: str | None = None
    comment: str | None = None


AlertDelivery = Literal["pending", "delivered", "failed", "silenced", "dropped"]


class AlertNotification(BaseModel):
    """One message to one channel; ``id`` is its dedupe key (at-least-once delivery)."""

    id: str
    channel: str
    rule: str
    status: Literal["firing", "resolved"]
    group_key: str
    fingerprints: list[str]
    body: str  # the rendered request body, kept so a restart can re-send it
    created_at: datetime
    delivery: AlertDelivery = "pending"
    attempts: int = 0
    last_error: str | None = None
    delivered_at: datetime | None = None
