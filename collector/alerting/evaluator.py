"""The alert evaluator: periodic rule evaluation inside the collector, off the request path.

A daemon thread evaluates every enabled rule each ``alert_interval`` seconds (0 = only on
demand, through ``POST /api/v1/alerts/evaluate``); the whole evaluation has a time budget
(``alert_timeout``) and each rule's query runs in a small pool so a slow one becomes an
``error`` outcome instead of stalling the loop. Per instance (rule + group labels) the
state machine of ``lifecycle.step`` runs; instances and transitions are saved in one
transaction; notifications go to per-channel workers (``delivery``) that never block this
thread.

Metric source registry (extension point, e.g. drift scores, issue 6) — see ``sources``:
a metric name or prefix maps to ``MetricSpec(name, unit, aggregations, default_aggregation,
fetch)`` where ``fetch(store, SourceQuery) -> list[Sample]`` and a ``Sample`` is
``(labels: dict[str, str], value: float | None, samples: int)`` for one group over
``[query.now - query.window_s, query.now)``; ``query.filter`` is the rule's filters as a
``TraceFilter`` and ``query.group_by`` its group label. Register in
``sources.default_sources()`` or on ``Evaluator.sources`` before ``start()``::

    evaluator.sources.register(MetricSpec("drift.", "score", ("max",), "max", drift_fetch))

Rules: the YAML file (re-read when its mtime changes, checked each evaluation), rules
stored through the API, or — when neither defines any — the shipped defaults.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chainsight.storage import Store
from chainsight.storage.model import (
    AlertInstance,
    AlertNotification,
    AlertOutcome,
    AlertRuleRow,
    AlertTransition,
    Silence,
)

from ..errors import ConfigurationError
from ..settings import Settings
from . import messages
from .delivery import Dispatcher
from .lifecycle import Observation, fingerprint, step
from .notify import Notifier
from .results import (
    EvaluatorStatus,
    InstanceResult,
    NotificationPreview,
    RuleResult,
    RuleSeries,
    RuleView,
    SeriesPoint,
)
from .rules import (
    LOG_CHANNEL,
    Channel,
    Rule,
    RuleError,
    default_rules,
    load_rules_file,
    parse_rule,
)
from .series import rule_query, rule_series
from .sources import MetricSources, Sample, default_sources
from .units import format_quantity

log = logging.getLogger("chainsight.alerts")


_VOLATILE = {"value", "samples", "last_eval_at", "threshold"}


def _worth_saving(before: AlertInstance | None, after: AlertInstance) -> bool:
    """Whether an instance changed beyond its latest value: only those are written, so a
    quiet evaluation writes nothing (the API reads values from memory)."""
    if before is None:
        return True
    keep = set(AlertInstance.model_fields) - _VOLATILE
    return before.model_dump(include=keep) != after.model_dump(include=keep)


class Evaluator:
    """Evaluates rules on an interval and on demand; owns instance state and delivery."""

    def __init__(
        self,
        store: Store,
        *,
        rules_path: Path | None = None,
        interval: float = 15.0,
        timeout: float = 10.0,
        dashboard_url: str | None = None,
        external_url: str = "",
        sources: MetricSources | None = None,
    ) -> None:
        self.store = store
        self.sources = sources or default_sources()
        self.rules_path = rules_path
        self.interval = interval
        self.timeout = timeout
        self.dashboard_url = dashboard_url
        self.external_url = external_url
        self.dispatcher = Dispatcher(store.alerts)
        self._lock = threading.RLock()  # rule set and instance map; held briefly
        self._evaluating = threading.Lock()  # held for a whole evaluation
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="alert-query")
        self._file_mtime: float | None = None
        self._file_rules: list[Rule] = []
        self._file_channels: list[Channel] = []
        self._file_error: str | None = None
        self._rules: dict[str, Rule] = {}
        self._channels: dict[str, Channel] = {}
        self._rule_errors: dict[str, str] = {}
        self._instances: dict[str, dict[str, AlertInstance]] = {}
        self.notifier = Notifier(dashboard_url, external_url)
        self._last_eval: datetime | None = None
        self._last_ms: float | None = None
        self._evaluations = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Load rules and state, resume undelivered notifications, start the loop."""
        with self._lock:
            self._refresh(force=True)
            if self._file_error is not None:
                raise RuleError([self._file_error])
            for inst in self.store.alerts.list_instances():
                self._instances.setdefault(inst.rule, {})[inst.fingerprint] = inst
            self.notifier.remember(self.store.alerts.list_notifications(limit=5000))
            for n in self.store.alerts.list_notifications("pending", limit=5000):
                self.dispatcher.submit(n)
        if self.interval > 0:
            self._thread = threading.Thread(target=self._run, name="alert-evaluator", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the loop and the channel workers (pending deliveries resume on restart)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout + 5)
        self.dispatcher.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            started = time.monotonic()
            try:
                self.evaluate()
            except Exception:  # the loop must outlive any one failure; logged with its trace
                log.exception("alert evaluation failed")
            delay = max(0.0, self.interval - (time.monotonic() - started))

    # -- rules ------------------------------------------------------------------------------

    def _refresh(self, force: bool = False) -> None:
        """Re-read the rules file when it changed and the stored rules; rebuild channels."""
        if self.rules_path is not None:
            try:
                mtime: float | None = self.rules_path.stat().st_mtime_ns / 1e9
            except OSError:
                mtime = None
            if force or mtime != self._file_mtime:
                self._file_mtime = mtime
                try:
                    loaded = load_rules_file(self.rules_path, self.sources)
                except RuleError as exc:
                    self._file_error = str(exc)
                    log.error("alert rules not reloaded: %s", exc)
                else:
                    self._file_rules, self._file_channels = loaded.rules, loaded.channels
                    self._file_error = None
                    log.info("alert rules loaded from %s: %d", self.rules_path, len(loaded.rules))
        channels = {LOG_CHANNEL: Channel(name=LOG_CHANNEL, type="log")}
        channels.update({c.name: c for c in self._file_channels})
        rules = {r.name: r for r in self._file_rules}
        self._rule_errors = {}
        for row in self.store.alerts.list_rules():
            if row.name in rules:
                continue
            try:
                rule = parse_rule(row.spec, self.sources, source="api")
            except RuleError as exc:
                self._rule_errors[row.name] = str(exc)
                continue
            rule.enabled = row.enabled
            rules[rule.name] = rule
        if not rules:
            rules = {r.name: r for r in default_rules(self.sources)}
        if channels != self._channels:
            self.dispatcher.configure(list(channels.values()))
        self._channels = channels
        self._rules = rules

    def rules(self) -> list[Rule]:
        with self._lock:
            self._refresh()
            return list(self._rules.values())

    def rule(self, name: str) -> Rule | None:
        with self._lock:
            self._refresh()
            return self._rules.get(name)

    def channels(self) -> list[Channel]:
        with self._lock:
            return list(self._channels.values())

    def view(self, rule: Rule) -> RuleView:
        states: dict[str, int] = {}
        for inst in self._instances.get(rule.name, {}).values():
            states[inst.state] = states.get(inst.state, 0) + 1
        return RuleView(
            name=rule.name,
            source=rule.source,
            enabled=rule.enabled,
            spec=rule.spec_dict(),
            unit=rule.spec.unit,
            threshold_value=rule.threshold_value,
            states=states,
            last_error=self._rule_errors.get(rule.name),
        )

    def validate(self, spec: dict[str, Any]) -> Rule:
        """Parse a rule sent to the API; RuleError names the field (channels checked too)."""
        rule = parse_rule(spec, self.sources)
        with self._lock:
            missing = [c for c in rule.channels if c not in self._channels]
        if missing:
            raise RuleError(
                [f"rule ({rule.name}): channels: unknown channel(s) {', '.join(missing)}"]
            )
        return rule

    def save_rule(self, spec: dict[str, Any], *, replace: bool) -> Rule:
        """Store an API rule (validated); file rules are edited in their file, not here."""
        rule = self.validate(spec)
        with self._lock:
            if any(r.name == rule.name for r in self._file_rules):
                raise RuleError(
                    [f"rule ({rule.name}): name: defined in the rules file; edit it there"]
                )
            exists = any(r.name == rule.name for r in self.store.alerts.list_rules())
            if exists and not replace:
                raise RuleError([f"rule ({rule.name}): name: a rule with this name exists"])
            if not exists and replace:
                raise KeyError(rule.name)
            self.store.alerts.put_rule(
                AlertRuleRow(
                    name=rule.name,
                    spec=rule.spec_dict(),
                    enabled=rule.enabled,
                    source="api",
                    updated_at=datetime.now(UTC),
                )
            )
            self._refresh()
            return self._rules[rule.name]

    def delete_rule(self, name: str) -> bool:
        """Remove an API rule and its instances (its history stays)."""
        with self._lock:
            if not self.store.alerts.delete_rule(name):
                return False
            self.store.alerts.delete_instances(name)
            self._instances.pop(name, None)
            self._refresh()
            return True

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, now: datetime | None = None, only: str | None = None) -> list[RuleResult]:
        """Evaluate every enabled rule (or one) at ``now``; save state; send notifications."""
        now = now or datetime.now(UTC)
        started = time.monotonic()
        with self._evaluating:  # one evaluation at a time; reads only wait for _lock
            with self._lock:
                self._refresh()
                rules = [r for r in self._rules.values() if r.enabled and only in (None, r.name)]
            deadline = started + self.timeout
            silences = self.store.alerts.list_silences()
            done: list[tuple[RuleResult, list[AlertInstance], list[AlertTransition]]] = []
            outgoing: list[tuple[AlertNotification, bool]] = []
            for rule in rules:
                result, instances, moves, sends = self._evaluate_rule(
                    rule, now, deadline, silences, commit=True
                )
                done.append((result, instances, moves))
                outgoing += sends
            with self._lock:  # a rule deleted meanwhile is not brought back
                kept = [d for d in done if d[0].rule in self._rules]
                changed: list[AlertInstance] = []
                for result, instances, _ in kept:
                    before = self._instances.get(result.rule, {})
                    changed += [i for i in instances if _worth_saving(before.get(i.fingerprint), i)]
                    self._instances[result.rule] = {i.fingerprint: i for i in instances}
                self.store.alerts.save_evaluation(
                    changed, [t for _, _, moves in kept for t in moves]
                )
            for notification, muted in outgoing:
                self.store.alerts.put_notification(notification)
                if not muted:
                    self.dispatcher.submit(notification)
            self._last_eval = now
            self._last_ms = (time.monotonic() - started) * 1000
            self._evaluations += 1
        return [result for result, _, _ in done]

    def test(self, rule: Rule, now: datetime | None = None) -> RuleResult:
        """Evaluate ``rule`` now without saving or sending: value, next state, notifications."""
        now = now or datetime.now(UTC)
        silences = self.store.alerts.list_silences()
        result, _, _, _ = self._evaluate_rule(
            rule, now, time.monotonic() + self.timeout, silences, commit=False
        )
        return result

    def _submit(self, rule: Rule, now: datetime) -> Future[list[Sample]]:
        return self._pool.submit(rule.spec.fetch, self.store, rule_query(rule, now))

    def _fetch(self, rule: Rule, now: datetime, deadline: float) -> list[Sample]:
        # Rules run one after another: queueing all of them on the pool was no faster on
        # 2 cores (DuckDB already spreads one query over the cores; bench_alerting.py).
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"evaluation budget of {self.timeout:g}s exhausted")
        future = self._submit(rule, now)
        try:
            return future.result(timeout=remaining)
        except FutureTimeout:
            future.cancel()
            raise TimeoutError(f"query did not finish within {remaining:.3g}s") from None

    def _observe(self, rule: Rule, now: datetime, deadline: float) -> list[Observation]:
        known = self._instances.get(rule.name, {})
        try:
            samples = self._fetch(rule, now, deadline)
        except Exception as exc:  # a source is pluggable code: any failure is an error outcome
            message = f"{type(exc).__name__}: {exc}"
            targets = [i.labels for i in known.values()] or [{}]
            return [Observation(labels, "error", None, 0, message) for labels in targets]
        out: dict[str, Observation] = {}
        for s in samples:
            outcome: AlertOutcome
            if s.samples <= 0 or s.value is None:
                outcome = "no_data"
            elif s.samples < rule.min_samples:
                outcome = "insufficient"
            else:
                outcome = "breach" if rule.compare(s.value) else "ok"
            out[fingerprint(rule.name, s.labels)] = Observation(
                dict(s.labels),
                outcome,
                s.value,
                s.samples,
            )
        for fp, inst in known.items():
            out.setdefault(fp, Observation(dict(inst.labels), "no_data", None, 0))
        if not out and rule.group_label is None:
            out[fingerprint(rule.name, {})] = Observation({}, "no_data", None, 0)
        return list(out.values())

    def _evaluate_rule(
        self,
        rule: Rule,
        now: datetime,
        deadline: float,
        silences: list[Silence],
        *,
        commit: bool,
    ) -> tuple[
        RuleResult, list[AlertInstance], list[AlertTransition], list[tuple[AlertNotification, bool]]
    ]:
        known = self._instances.get(rule.name, {})
        instances: list[AlertInstance] = []
        transitions: list[AlertTransition] = []
        events: list[tuple[AlertInstance, messages.Status]] = []
        rows: list[InstanceResult] = []
        errors: list[str] = []
        for seen in self._observe(rule, now, deadline):
            fp = fingerprint(rule.name, seen.labels)
            previous = known.get(fp)
            inst, move = step(rule, previous, seen, now)
            if move is not None:
                transitions.append(move)
            if move is not None and move.to_state == "firing":
                events.append((inst, "firing"))
            elif move is not None and move.to_state == "resolved" and move.from_state == "firing":
                events.append((inst, "resolved"))
            elif inst.state == "firing":
                events.append((inst, "firing"))  # repeat when due, per channel
            if seen.error:
                errors.append(seen.error)
            instances.append(inst)
            rows.append(
                InstanceResult(
                    labels=inst.labels,
                    fingerprint=inst.fingerprint,
                    outcome=seen.outcome,
                    value=seen.value,
                    value_text=format_quantity(seen.value, rule.spec.unit),
                    samples=seen.samples,
                    previous_state=previous.state if previous else "inactive",
                    state=inst.state,
                    error=seen.error,
                )
            )
        sends = self.notifier.plan(rule, events, transitions, now, silences, commit, self._channels)
        if commit:
            sent_fps = {fp for n, muted in sends if not muted for fp in n.fingerprints}
            instances = [
                i.model_copy(update={"last_notified_at": now}) if i.fingerprint in sent_fps else i
                for i in instances
            ]
        result = RuleResult(
            rule=rule.name,
            evaluated_at=now,
            threshold=rule.threshold_value,
            threshold_text=format_quantity(rule.threshold_value, rule.spec.unit),
            op=rule.op,
            window_s=rule.window,
            instances=rows,
            notifications=[
                NotificationPreview(
                    id=n.id,
                    channel=n.channel,
                    channel_type=self._channels[n.channel].type,
                    status=n.status,
                    group_key=n.group_key,
                    silenced=muted,
                    body=n.body,
                )
                for n, muted in sends
            ],
            error="; ".join(sorted(set(errors))) or None,
        )
        return result, instances, transitions, sends

    # -- reads ------------------------------------------------------------------------------

    def instances(self, rule: str | None = None) -> list[AlertInstance]:
        with self._lock:
            groups = [self._instances.get(rule, {})] if rule else list(self._instances.values())
            return sorted(
                (i for g in groups for i in g.values()), key=lambda i: (i.rule, i.fingerprint)
            )

    def status(self) -> EvaluatorStatus:
        with self._lock:
            return EvaluatorStatus(
                rules_file=str(self.rules_path) if self.rules_path else None,
                rules_file_error=self._file_error,
                using_defaults=all(r.source == "default" for r in self._rules.values()),
                interval_s=self.interval,
                last_evaluation_at=self._last_eval,
                last_duration_ms=self._last_ms,
                evaluations=self._evaluations,
            )

    def series(self, rule: Rule, start: datetime, end: datetime, bucket_seconds: int) -> RuleSeries:
        """The rule's metric per bucket over [start, end), for its chart."""
        samples, bucket = rule_series(self.store, rule, start, end, bucket_seconds)
        return RuleSeries(
            rule=rule.name,
            threshold=rule.threshold_value,
            op=rule.op,
            unit=rule.spec.unit,
            bucket_seconds=bucket,
            points=[
                SeriesPoint(at=p.at or end, labels=p.labels, value=p.value, samples=p.samples)
                for p in samples
            ],
        )


def start_alerting(settings: Settings, store: Store) -> Evaluator:
    """Build and start the evaluator the collector's lifespan owns (stopped on shutdown)."""
    evaluator = Evaluator(
        store,
        rules_path=settings.alert_rules,
        interval=settings.alert_interval,
        timeout=settings.alert_timeout,
        dashboard_url=settings.dashboard_url,
        external_url=f"http://{settings.host}:{settings.port}",
    )
    try:
        evaluator.start()
    except RuleError as exc:
        evaluator.stop()
        raise ConfigurationError(f"invalid alert rules: {exc}") from exc
    return evaluator
