"""Alert rules and channels: the typed models, YAML loading and located validation errors.

Rules come from three places, validated the same way: the YAML file (``--alert-rules``,
reloaded on change), the API (stored, survive restarts) and — only when neither defines a
rule — the shipped defaults (p95 TTFT > 5 s, p95 TPOT > 200 ms, error rate > 5%, each over
5 minutes for 2 minutes). Every error names where it is: ``rules.yaml: rules[2]
(slow-first-token): threshold: not a duration …``.

>>> rule = parse_rule({"name": "x", "metric": "ttft", "threshold": "5s"}, default_sources())
>>> rule.threshold_value, rule.aggregation_resolved
(5000.0, 'p95')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from chainsight.storage.model import GroupBy, TraceFilter

from .sources import MetricSources, MetricSpec, default_sources
from .units import UnitError, parse_duration, parse_quantity

__all__ = [
    "Channel",
    "Comparator",
    "Rule",
    "RuleError",
    "RuleSet",
    "default_rules",
    "default_sources",
    "load_rules_file",
    "parse_channel",
    "parse_rule",
    "parse_rules_document",
]

Comparator = Literal[">", ">=", "<", "<=", "==", "!="]
Policy = Literal["alert", "ok", "keep_last"]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
LOG_CHANNEL = "log"
"""A channel every collector has: notifications written to the collector's log."""


def _seconds(value: Any) -> float:
    try:
        return parse_duration(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from exc


Duration = Annotated[float, BeforeValidator(_seconds)]
"""Seconds, written as "30s", "5m", "1h" or a number of seconds."""


class RuleError(ValueError):
    """A rule, channel or rules file that cannot be used; the message says where and why."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class RuleFilters(BaseModel):
    """Which spans a rule looks at; every field optional (``user`` is the end-user id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str | None = None
    model: str | None = None
    name: str | None = None
    kind: str | None = None
    service: str | None = None
    user: str | None = None
    tag: str | None = None
    span_kind: str | None = None  # restrict to spans of this kind, e.g. "llm"

    def trace_filter(self) -> TraceFilter:
        return TraceFilter(
            project=self.project,
            model=self.model,
            name=self.name,
            kind=self.kind,
            service=self.service,
            user_id=self.user,
            tag=self.tag,
        )


class Rule(BaseModel):
    """One alert rule, as written in YAML or sent to the API (field names are the contract)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    metric: str
    aggregation: str | None = None
    filters: RuleFilters = Field(default_factory=RuleFilters)
    group_by: list[GroupBy] = Field(default_factory=list, max_length=1)
    window: Duration = 300.0
    op: Comparator = ">"
    threshold: float | str
    for_: Duration = Field(default=0.0, alias="for")
    keep_firing_for: Duration = 0.0
    min_samples: int = Field(default=1, ge=0)
    no_data: Policy = "keep_last"
    on_error: Policy = "keep_last"
    severity: str = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    channels: list[str] = Field(default_factory=lambda: [LOG_CHANNEL])
    enabled: bool = True

    _spec: MetricSpec | None = PrivateAttr(default=None)
    _threshold: float = PrivateAttr(default=0.0)
    _source: str = PrivateAttr(default="api")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("use 1-100 letters, digits, '_', '.', ':' or '-'")
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: float) -> float:
        if value < 1:
            raise ValueError("window must be at least 1s")
        return value

    @property
    def spec(self) -> MetricSpec:
        if self._spec is None:
            raise RuntimeError(f"rule {self.name} was not compiled (use parse_rule)")
        return self._spec

    @property
    def threshold_value(self) -> float:
        """The threshold in the metric's serving unit (ms, fraction, USD)."""
        return self._threshold

    @property
    def aggregation_resolved(self) -> str:
        return self.aggregation or self.spec.default_aggregation

    @property
    def group_label(self) -> GroupBy | None:
        return self.group_by[0] if self.group_by else None

    @property
    def source(self) -> str:
        """Where the rule came from: ``file``, ``api`` or ``default``."""
        return self._source

    def spec_dict(self) -> dict[str, Any]:
        """The rule as written (YAML/JSON field names, ``for`` not ``for_``)."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=False)

    def compare(self, value: float) -> bool:
        """Whether ``value`` breaches the threshold."""
        t = self._threshold
        return {
            ">": value > t,
            ">=": value >= t,
            "<": value < t,
            "<=": value <= t,
            "==": value == t,
            "!=": value != t,
        }[self.op]


class Channel(BaseModel):
    """Where notifications go: a generic webhook, a Slack incoming webhook or the log."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: Literal["webhook", "slack", "log"]
    url: str | None = None
    secret_env: str | None = None  # env var holding the HMAC secret (webhook)
    allow_private: bool = False  # SSRF guard: allow loopback/private targets
    repeat_interval: Duration = 4 * 3600.0
    send_resolved: bool = True
    group_by: list[str] = Field(default_factory=lambda: ["alertname"])
    timeout: Duration = 10.0
    max_retries: int = Field(default=3, ge=0, le=10)
    queue_size: int = Field(default=1000, ge=1)
    failure_threshold: int = Field(default=3, ge=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("use 1-100 letters, digits, '_', '.', ':' or '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
            raise ValueError("only http:// and https:// URLs are allowed")
        return value


def _pydantic_problems(exc: ValidationError, where: str) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join("for" if p == "for_" else str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        out.append(f"{where}: {loc}: {msg}" if loc else f"{where}: {msg}")
    return out


def _where(prefix: str, kind: str, index: int | None, data: object) -> str:
    name = data.get("name") if isinstance(data, Mapping) else None
    at = f"{kind}[{index}]" if index is not None else kind
    label = f"{at} ({name})" if isinstance(name, str) else at
    return f"{prefix}: {label}" if prefix else label


def parse_rule(
    data: object,
    sources: MetricSources,
    *,
    where: str = "",
    index: int | None = None,
    source: str = "api",
) -> Rule:
    """Validate one rule and resolve its metric and threshold; RuleError names the field."""
    loc = (
        _where(where, "rules", index, data)
        if (where or index is not None)
        else (_where("", "rule", None, data))
    )
    if not isinstance(data, Mapping):
        raise RuleError([f"{loc}: a rule must be a mapping, got {type(data).__name__}"])
    try:
        rule = Rule.model_validate(dict(data))
    except ValidationError as exc:
        raise RuleError(_pydantic_problems(exc, loc)) from None
    spec = sources.get(rule.metric)
    if spec is None:
        raise RuleError(
            [f"{loc}: metric: unknown metric {rule.metric!r}; one of {', '.join(sources.names())}"]
        )
    aggregation = rule.aggregation or spec.default_aggregation
    if aggregation not in spec.aggregations:
        raise RuleError(
            [
                f"{loc}: aggregation: {aggregation!r} does not apply to {rule.metric}; "
                f"one of {', '.join(spec.aggregations)}"
            ]
        )
    try:
        threshold = parse_quantity(rule.threshold, spec.unit)
    except UnitError as exc:
        raise RuleError([f"{loc}: threshold: {exc}"]) from None
    rule._spec = spec
    rule._threshold = threshold
    rule._source = source
    return rule


def parse_channel(data: object, *, where: str = "", index: int | None = None) -> Channel:
    """Validate one channel; webhook and slack channels need a URL."""
    loc = _where(where, "channels", index, data)
    if not isinstance(data, Mapping):
        raise RuleError([f"{loc}: a channel must be a mapping, got {type(data).__name__}"])
    try:
        channel = Channel.model_validate(dict(data))
    except ValidationError as exc:
        raise RuleError(_pydantic_problems(exc, loc)) from None
    if channel.type != "log" and not channel.url:
        raise RuleError([f"{loc}: url: a {channel.type} channel needs a url"])
    return channel


class RuleSet(BaseModel):
    """The rules and channels of one YAML file (or of the API's stored rules)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    rules: list[Rule] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)


def parse_rules_document(
    document: object, sources: MetricSources, where: str, known_channels: Iterable[str] = ()
) -> RuleSet:
    """Validate a whole ``{rules: [...], channels: [...]}`` document, collecting every problem."""
    if document is None:
        return RuleSet()
    if not isinstance(document, Mapping):
        raise RuleError([f"{where}: the file must be a mapping with 'rules' and 'channels'"])
    unknown = sorted(set(document) - {"rules", "channels"})
    problems: list[str] = [f"{where}: {key}: unknown top-level key" for key in unknown]
    raw_rules = document.get("rules") or []
    raw_channels = document.get("channels") or []
    if not isinstance(raw_rules, list):
        problems.append(f"{where}: rules: must be a list")
        raw_rules = []
    if not isinstance(raw_channels, list):
        problems.append(f"{where}: channels: must be a list")
        raw_channels = []
    channels: list[Channel] = []
    for i, item in enumerate(raw_channels):
        try:
            channels.append(parse_channel(item, where=where, index=i))
        except RuleError as exc:
            problems.extend(exc.problems)
    rules: list[Rule] = []
    for i, item in enumerate(raw_rules):
        try:
            rules.append(parse_rule(item, sources, where=where, index=i, source="file"))
        except RuleError as exc:
            problems.extend(exc.problems)
    channel_names = {c.name for c in channels} | {LOG_CHANNEL, *known_channels}
    problems += _duplicates(where, "channels", [c.name for c in channels])
    problems += _duplicates(where, "rules", [r.name for r in rules])
    for i, rule in enumerate(rules):
        missing = [c for c in rule.channels if c not in channel_names]
        if missing:
            problems.append(
                f"{where}: rules[{i}] ({rule.name}): channels: unknown channel(s) "
                f"{', '.join(missing)}"
            )
    if problems:
        raise RuleError(problems)
    return RuleSet(rules=rules, channels=channels)


def _duplicates(where: str, kind: str, names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        if name in seen:
            out.append(f"{where}: {kind}[{i}] ({name}): name: duplicate name")
        seen.add(name)
    return out


def load_rules_file(path: Path, sources: MetricSources) -> RuleSet:
    """Read and validate a rules YAML file; RuleError lists every problem with its place."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError([f"{path}: cannot read: {exc}"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise RuleError([f"{path}{at}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    return parse_rules_document(document, sources, str(path))


_DEFAULTS: tuple[dict[str, Any], ...] = (
    {
        "name": "default-ttft-p95",
        "metric": "ttft",
        "aggregation": "p95",
        "threshold": "5s",
        "annotations": {"summary": "p95 TTFT is $value (threshold $threshold over $window)"},
    },
    {
        "name": "default-tpot-p95",
        "metric": "tpot",
        "aggregation": "p95",
        "threshold": "200ms",
        "annotations": {"summary": "p95 TPOT is $value (threshold $threshold over $window)"},
    },
    {
        "name": "default-error-rate",
        "metric": "error_rate",
        "threshold": "5%",
        "annotations": {"summary": "error rate is $value (threshold $threshold over $window)"},
    },
)


def default_rules(sources: MetricSources) -> list[Rule]:
    """The shipped rules, active when no rule is defined: each over 5m, for 2m, to the log."""
    return [
        parse_rule(
            {**d, "window": "5m", "for": "2m", "min_samples": 10, "severity": "warning"},
            sources,
            source="default",
        )
        for d in _DEFAULTS
    ]
