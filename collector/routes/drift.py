"""Drift routes: a report for a pair of windows, a feature's score over time, the feature
catalogue, and saved reference periods (``docs/drift.md``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from chainsight.storage import Store
from chainsight.storage.model import DriftPoint, DriftReport, ReferencePeriod

from ..drift.features import FEATURES
from ..drift.report import DriftOptions, Window, build_report, series
from ..drift.stats import Statistic, Thresholds
from ..errors import BadRequest, NotFound
from .params import Caller, Filter, StoreDep

router = APIRouter(prefix="/api/v1/drift", tags=["drift"])

PREVIOUS = "previous"
DEFAULT_CURRENT = timedelta(hours=24)


class FeatureInfo(BaseModel):
    """A comparable feature: its name (``drift.<name>`` as an alert metric), type and label."""

    name: str
    type: str
    label: str


def _options(  # noqa: PLR0917  # the route's query parameters, passed on
    statistic: Statistic,
    sample_size: int,
    features: str | None,
    thresholds: list[str] | None,
    share_threshold: float,
    min_sample: int,
) -> DriftOptions:
    overrides: dict[str, float] = {}
    for item in thresholds or []:
        name, sep, value = item.partition("=")
        try:
            overrides[name.strip()] = float(value)
        except ValueError:
            raise BadRequest(f"threshold must be feature=value, got {item!r}") from None
        if not sep:
            raise BadRequest(f"threshold must be feature=value, got {item!r}")
    selected = tuple(f.strip() for f in features.split(",") if f.strip()) if features else None
    opts = DriftOptions(
        thresholds=Thresholds(share=share_threshold, min_sample=min_sample, overrides=overrides),
        statistic=statistic,
        sample_size=sample_size,
        features=selected,
    )
    try:
        opts.selected()
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return opts


def _window(start: datetime, end: datetime, label: str | None = None) -> Window:
    try:
        return Window(start, end, label)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc


def _baseline(
    store: Store,
    project: str | None,
    baseline: str | None,
    start: datetime | None,
    end: datetime | None,
) -> Window | None:
    """The baseline asked for: a fixed range, a saved period by name, or None (previous)."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise BadRequest("baseline_start and baseline_end go together")
        return _window(start, end, "fixed")
    if baseline is None or baseline == PREVIOUS:
        return None
    period = store.references.get(baseline, project)
    if period is None and project is None:
        # Open mode without a project: a name saved under exactly one project is unambiguous.
        named = [p for p in store.references.list() if p.name == baseline]
        period = named[0] if len(named) == 1 else None
    if period is None:
        raise NotFound(f"no reference period named {baseline!r}")
    return _window(period.start, period.end, period.name)


Stat = Annotated[Statistic, Query(description="auto chooses by sample size")]
Sample = Annotated[int, Query(ge=100, le=100_000, description="spans sampled per window")]
Features = Annotated[str | None, Query(description="comma-separated feature names")]
ThresholdList = Annotated[
    list[str] | None, Query(alias="threshold", description="feature=value, repeatable")
]
Share = Annotated[float, Query(gt=0, le=1, description="share of drifted features for drift")]
MinSample = Annotated[int, Query(ge=2, le=100_000, description="values needed per window")]


@router.get("", response_model=DriftReport)
def drift_report(  # noqa: PLR0917  # FastAPI reads one query parameter per argument
    store: StoreDep,
    filter: Filter,
    current_start: Annotated[datetime | None, Query(description="RFC 3339")] = None,
    current_end: Annotated[datetime | None, Query(description="RFC 3339; default now")] = None,
    baseline_start: Annotated[datetime | None, Query(description="RFC 3339")] = None,
    baseline_end: Annotated[datetime | None, Query(description="RFC 3339")] = None,
    baseline: Annotated[
        str | None, Query(description="'previous' (default) or a reference period's name")
    ] = None,
    statistic: Stat = "auto",
    sample_size: Sample = 5000,
    features: Features = None,
    threshold: ThresholdList = None,
    share_threshold: Share = 0.5,
    min_sample: MinSample = 30,
) -> DriftReport:
    """Compare the current window (default: the last 24 h) with a baseline: a fixed range,
    a saved reference period, or the same-length window just before (default)."""
    end = current_end or datetime.now(UTC)
    current = _window(current_start or end - DEFAULT_CURRENT, end, "current")
    flt = filter.model_copy(update={"start": None, "end": None})
    base = _baseline(store, flt.project, baseline, baseline_start, baseline_end)
    opts = _options(statistic, sample_size, features, threshold, share_threshold, min_sample)
    return build_report(store, flt, base or current.before(), current, opts)


@router.get("/series", response_model=list[DriftPoint])
def drift_series(  # noqa: PLR0917  # FastAPI reads one query parameter per argument
    store: StoreDep,
    filter: Filter,
    feature: Annotated[str, Query(description="a feature name, e.g. input_tokens")],
    window_seconds: Annotated[int, Query(ge=60, le=90 * 86400)] = 3600,
    step_seconds: Annotated[int | None, Query(ge=60, le=90 * 86400)] = None,
    baseline: Annotated[str | None, Query()] = None,
    baseline_start: Annotated[datetime | None, Query()] = None,
    baseline_end: Annotated[datetime | None, Query()] = None,
    statistic: Stat = "auto",
    sample_size: Sample = 2000,
    min_sample: MinSample = 30,
) -> list[DriftPoint]:
    """A feature's drift score over rolling windows of ``window_seconds`` ending every
    ``step_seconds`` (default: the window) in [start, end) (default: the last 24 h)."""
    end = filter.end or datetime.now(UTC)
    start = filter.start or end - DEFAULT_CURRENT
    flt = filter.model_copy(update={"start": None, "end": None})
    base = _baseline(store, flt.project, baseline, baseline_start, baseline_end)
    opts = _options(statistic, sample_size, feature, None, 0.5, min_sample)
    window = timedelta(seconds=window_seconds)
    try:
        return series(
            store,
            feature,
            flt,
            start,
            end,
            window,
            timedelta(seconds=step_seconds) if step_seconds else window,
            base,
            opts,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc


@router.get("/features", response_model=list[FeatureInfo])
def drift_features() -> list[FeatureInfo]:
    """The features a report compares (alert rules name them as ``drift.<name>``)."""
    return [FeatureInfo(name=f.name, type=f.type, label=f.label) for f in FEATURES]


@router.get("/references", response_model=list[ReferencePeriod])
def list_references(
    caller: Caller, store: StoreDep, project: Annotated[str | None, Query()] = None
) -> list[ReferencePeriod]:
    """Saved reference periods (of the key's project, or ``project`` in open mode)."""
    periods: list[ReferencePeriod] = store.references.list(caller.scope(project))
    return periods


@router.post("/references", response_model=ReferencePeriod, status_code=201)
def put_reference(caller: Caller, store: StoreDep, period: ReferencePeriod) -> ReferencePeriod:
    """Save (or replace) a named baseline window, e.g. "launch week"."""
    if period.end <= period.start:
        raise BadRequest("a reference period's end must be after its start")
    scoped = period.model_copy(update={"project": caller.scope(period.project), "created_at": None})
    return store.references.put(scoped)


@router.get("/references/{name}", response_model=ReferencePeriod)
def get_reference(
    name: str, caller: Caller, store: StoreDep, project: Annotated[str | None, Query()] = None
) -> ReferencePeriod:
    """One saved period."""
    period = store.references.get(name, caller.scope(project))
    if period is None:
        raise NotFound(f"no reference period named {name!r}")
    return period


@router.delete("/references/{name}", status_code=204)
def delete_reference(
    name: str, caller: Caller, store: StoreDep, project: Annotated[str | None, Query()] = None
) -> Response:
    """Forget a saved period."""
    if not store.references.delete(name, caller.scope(project)):
        raise NotFound(f"no reference period named {name!r}")
    return Response(status_code=204)
