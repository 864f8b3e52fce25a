"""``/api/v1/alerts``: rules (CRUD, validate, test, series), instances, history, silences,
channels, the notification log and an evaluate-now hook. Thin: the evaluator does the work.

Rules from the YAML file are read-only here (rules as code: edit the file); rules created
here are stored and survive restarts. A project API key sees and writes only rules whose
``filters.project`` is its project.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, Field

from chainsight.storage.model import (
    AlertInstance,
    AlertNotification,
    AlertTransition,
    Silence,
    SilenceMatcher,
)

from ..alerting.delivery import ChannelHealth
from ..alerting.evaluator import Evaluator
from ..alerting.results import EvaluatorStatus, RuleResult, RuleSeries, RuleView
from ..alerting.rules import Rule, RuleError
from ..alerting.units import UnitError, parse_duration
from ..auth import Principal
from ..errors import BadRequest, NotFound
from .params import Caller

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

RuleBody = Annotated[dict[str, Any], Body(description="a rule, as in the rules YAML")]


def _evaluator(request: Request) -> Evaluator:
    value: Evaluator = request.app.state.alerts
    return value


def _visible(caller: Principal, rule: Rule) -> bool:
    return caller.project is None or rule.filters.project == caller.project


def _scoped(caller: Principal, spec: dict[str, Any]) -> dict[str, Any]:
    """A key's rules are confined to its project (403 for another one)."""
    if caller.project is None:
        return spec
    filters = dict(spec.get("filters") or {})
    filters["project"] = caller.scope(filters.get("project"))
    return {**spec, "filters": filters}


def _rule(ev: Evaluator, caller: Principal, name: str) -> Rule:
    rule = ev.rule(name)
    if rule is None or not _visible(caller, rule):
        raise NotFound(f"alert rule {name} not found")
    return rule


def _invalid(exc: RuleError) -> BadRequest:
    return BadRequest(str(exc))


@router.get("/rules", response_model=list[RuleView])
def list_rules(request: Request, caller: Caller) -> list[RuleView]:
    """Every rule in force (file, API, or the shipped defaults) with its instances' states."""
    ev = _evaluator(request)
    return [ev.view(r) for r in ev.rules() if _visible(caller, r)]


@router.post("/rules", response_model=RuleView, status_code=201)
def create_rule(request: Request, caller: Caller, body: RuleBody) -> RuleView:
    """Create a rule; 400 with a located message when it is invalid or the name is taken."""
    ev = _evaluator(request)
    try:
        return ev.view(ev.save_rule(_scoped(caller, body), replace=False))
    except RuleError as exc:
        raise _invalid(exc) from exc


@router.post("/rules/validate")
def validate_rule(request: Request, caller: Caller, body: RuleBody) -> dict[str, Any]:
    """Check a rule without storing it: ``{"valid": true, "rule": <normalized>}`` or 400."""
    try:
        rule = _evaluator(request).validate(_scoped(caller, body))
    except RuleError as exc:
        raise _invalid(exc) from exc
    return {"valid": True, "rule": rule.spec_dict(), "threshold_value": rule.threshold_value}


@router.get("/rules/{name}", response_model=RuleView)
def get_rule(name: str, request: Request, caller: Caller) -> RuleView:
    """One rule."""
    ev = _evaluator(request)
    return ev.view(_rule(ev, caller, name))


@router.put("/rules/{name}", response_model=RuleView)
def update_rule(name: str, request: Request, caller: Caller, body: RuleBody) -> RuleView:
    """Replace an API rule (e.g. ``enabled: false`` to disable it)."""
    ev = _evaluator(request)
    _rule(ev, caller, name)
    if body.get("name", name) != name:
        raise BadRequest("rule: name: cannot be changed; create a new rule instead")
    try:
        return ev.view(ev.save_rule(_scoped(caller, {**body, "name": name}), replace=True))
    except RuleError as exc:
        raise _invalid(exc) from exc
    except KeyError:
        raise NotFound(f"alert rule {name} is not an API rule") from None


@router.delete("/rules/{name}", status_code=204)
def delete_rule(name: str, request: Request, caller: Caller) -> Response:
    """Delete an API rule and its instances (history is kept)."""
    ev = _evaluator(request)
    rule = _rule(ev, caller, name)
    if rule.source != "api":
        raise BadRequest(f"rule {name} comes from the {rule.source} rules; edit it there")
    if not ev.delete_rule(name):
        raise NotFound(f"alert rule {name} not found")
    return Response(status_code=204)


Now = Annotated[datetime | None, Query(description="evaluation time (RFC 3339); default now")]


@router.post("/rules/{name}/test", response_model=RuleResult)
def test_rule(name: str, request: Request, caller: Caller, now: Now = None) -> RuleResult:
    """Evaluate a rule now without saving state or sending: value, state and notifications."""
    ev = _evaluator(request)
    return ev.test(_rule(ev, caller, name), now)


@router.post("/test", response_model=RuleResult)
def test_unsaved_rule(
    request: Request, caller: Caller, body: RuleBody, now: Now = None
) -> RuleResult:
    """Evaluate a rule given in the body (not stored), as the dashboard's editor does."""
    ev = _evaluator(request)
    try:
        rule = ev.validate(_scoped(caller, body))
    except RuleError as exc:
        raise _invalid(exc) from exc
    return ev.test(rule, now)


@router.get("/rules/{name}/series", response_model=RuleSeries)
def rule_series(  # noqa: PLR0917  # FastAPI reads one parameter per argument
    name: str,
    request: Request,
    caller: Caller,
    start: Annotated[datetime, Query()],
    end: Annotated[datetime, Query()],
    bucket_seconds: Annotated[int, Query(ge=1, le=86400)] = 60,
) -> RuleSeries:
    """The rule's metric per bucket with its threshold (the dashboard chart)."""
    if end <= start:
        raise BadRequest("end must be after start")
    ev = _evaluator(request)
    return ev.series(_rule(ev, caller, name), start, end, bucket_seconds)


@router.post("/evaluate", response_model=list[RuleResult])
def evaluate(
    request: Request,
    caller: Caller,
    now: Now = None,
    rule: Annotated[str | None, Query(description="only this rule")] = None,
) -> list[RuleResult]:
    """Run one evaluation now (or at ``now``): saves state and sends notifications."""
    if caller.project is not None:
        raise BadRequest("evaluate needs the open (no-key) mode or an unscoped caller")
    return _evaluator(request).evaluate(now, only=rule)


@router.get("/instances", response_model=list[AlertInstance])
def list_instances(
    request: Request, caller: Caller, rule: Annotated[str | None, Query()] = None
) -> list[AlertInstance]:
    """Current state of every alert instance (rule + group labels)."""
    ev = _evaluator(request)
    visible = {r.name for r in ev.rules() if _visible(caller, r)}
    return [i for i in ev.instances(rule) if i.rule in visible]


@router.get("/history", response_model=list[AlertTransition])
def history(
    request: Request,
    caller: Caller,
    rule: Annotated[str | None, Query()] = None,
    since: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 500,
) -> list[AlertTransition]:
    """State transitions, newest first (time, value, threshold)."""
    ev = _evaluator(request)
    rows = ev.store.alerts.list_transitions(rule, since, limit)
    if caller.project is None:
        return rows
    visible = {r.name for r in ev.rules() if _visible(caller, r)}
    return [t for t in rows if t.rule in visible]


class SilenceCreate(BaseModel):
    """Body of ``POST /api/v1/alerts/silences``: matchers and ``ends_at`` or ``duration``."""

    matchers: list[SilenceMatcher] = Field(min_length=1)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: str | None = Field(default=None, description='e.g. "2h"; used when no ends_at')
    created_by: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=2000)


@router.get("/silences", response_model=list[Silence])
def list_silences(request: Request, caller: Caller) -> list[Silence]:
    """Every silence (expired ones too)."""
    return _evaluator(request).store.alerts.list_silences()


@router.post("/silences", response_model=Silence, status_code=201)
def create_silence(request: Request, caller: Caller, body: SilenceCreate) -> Silence:
    """Silence matching alerts until a time: their state is kept, notifications are not sent."""
    starts = body.starts_at or datetime.now(UTC)
    if body.ends_at is not None:
        ends = body.ends_at
    elif body.duration is not None:
        try:
            ends = starts + timedelta(seconds=parse_duration(body.duration))
        except UnitError as exc:
            raise BadRequest(f"duration: {exc}") from exc
    else:
        raise BadRequest("give ends_at or duration")
    if ends <= starts:
        raise BadRequest("ends_at must be after starts_at")
    for m in body.matchers:
        if m.regex:
            try:
                re.compile(m.value)
            except re.error as exc:
                raise BadRequest(f"matchers: {m.name}: invalid regex: {exc}") from exc
    silence = Silence(
        id=uuid.uuid4().hex[:16],
        matchers=body.matchers,
        starts_at=starts,
        ends_at=ends,
        created_by=body.created_by,
        comment=body.comment,
    )
    _evaluator(request).store.alerts.put_silence(silence)
    return silence


@router.delete("/silences/{silence_id}", status_code=204)
def delete_silence(silence_id: str, request: Request, caller: Caller) -> Response:
    """Remove a silence (expire it now)."""
    if not _evaluator(request).store.alerts.delete_silence(silence_id):
        raise NotFound(f"silence {silence_id} not found")
    return Response(status_code=204)


@router.get("/channels", response_model=list[ChannelHealth])
def channels(request: Request, caller: Caller) -> list[ChannelHealth]:
    """Delivery counters per channel; ``flagged`` after repeated failures."""
    return _evaluator(request).dispatcher.health()


@router.get("/notifications", response_model=list[AlertNotification])
def notifications(
    request: Request,
    caller: Caller,
    delivery: Annotated[str | None, Query(description="pending|delivered|failed|…")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[AlertNotification]:
    """The notification log, newest first (a project key sees its rules' messages only)."""
    ev = _evaluator(request)
    rows = ev.store.alerts.list_notifications(delivery, limit)
    if caller.project is None:
        return rows
    visible = {r.name for r in ev.rules() if _visible(caller, r)}
    return [n for n in rows if n.rule in visible]


@router.get("/status", response_model=EvaluatorStatus)
def evaluator_status(request: Request, caller: Caller) -> EvaluatorStatus:
    """Rules file problems, the last evaluation and its cost."""
    return _evaluator(request).status()
