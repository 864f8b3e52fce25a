"""Drift reports: a current window against a baseline, feature by feature.

The baseline is a fixed range, the same-length window just before the current one
(``previous``), or a saved reference period. Each window's spans are sampled inside the
store (``Store.drift_sample``: a reservoir sample, so a report costs the same at 10k or
1M spans), each feature is compared with the test its sample size calls for
(``stats``), and the overall verdict is the share of drifted features against
``Thresholds.share`` (50%, Evidently's dataset-drift rule). Below ``min_sample`` values in
either window a feature gets no verdict, and the report says so instead of guessing.

    >>> report = build_report(store, TraceFilter(project="shop"),  # doctest: +SKIP
    ...                       Window(t0, t1), Window(t1, t2))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chainsight.storage import Store
from chainsight.storage.model import (
    DriftPoint,
    DriftReport,
    DriftSample,
    DriftVerdict,
    DriftWindow,
    FeatureDrift,
    TraceFilter,
)

from .features import BY_NAME, FEATURES, POPULATIONS, Feature, Population, compare, values
from .stats import Statistic, Thresholds

MAX_SERIES_POINTS = 200


@dataclass(frozen=True)
class Window:
    """A half-open time range ``[start, end)`` and an optional label."""

    start: datetime
    end: datetime
    label: str | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a window's end must be after its start")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def before(self) -> Window:
        """The same-length window just before this one."""
        return Window(self.start - self.length, self.start, "previous")


@dataclass(frozen=True)
class DriftOptions:
    """What a report compares and how (sample sizes bound its cost, not the span count)."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    statistic: Statistic = "auto"
    sample_size: int = 5000
    text_sample: int = 1000
    embedding_sample: int = 500
    seed: int = 0
    features: tuple[str, ...] | None = None  # None = every feature

    def selected(self) -> list[Feature]:
        """The features to compare, in catalogue order; unknown names raise ValueError."""
        if self.features is None:
            return list(FEATURES)
        unknown = [f for f in self.features if f not in BY_NAME]
        if unknown:
            raise ValueError(f"unknown drift features {unknown}; known: {list(BY_NAME)}")
        return [f for f in FEATURES if f.name in self.features]

    def limit(self, population: Population) -> int:
        return self.embedding_sample if population == "embedding" else self.sample_size


def sample(
    store: Store, flt: TraceFilter, window: Window, population: Population, options: DriftOptions
) -> DriftSample:
    """One population's sample of a window."""
    spec = POPULATIONS[population]
    return store.drift_sample(
        flt,
        window.start,
        window.end,
        spec.columns,
        options.limit(population),
        seed=options.seed,
        kind=spec.kind,
    )


def _samples(
    store: Store,
    flt: TraceFilter,
    window: Window,
    features: Sequence[Feature],
    options: DriftOptions,
) -> dict[Population, DriftSample]:
    needed = {f.population for f in features}
    return {p: sample(store, flt, window, p, options) for p in POPULATIONS if p in needed}


def _window(window: Window, samples: dict[Population, DriftSample]) -> DriftWindow:
    main = samples.get("all") or samples.get("llm") or next(iter(samples.values()), None)
    return DriftWindow(
        start=window.start,
        end=window.end,
        spans=main.total if main is not None else 0,
        sampled=main.size if main is not None else 0,
        label=window.label,
    )


def overall(
    features: Sequence[FeatureDrift], share_threshold: float
) -> tuple[int, int, float | None, DriftVerdict, str]:
    """(drifted, evaluated, share, verdict, message) from per-feature verdicts."""
    evaluated = [f for f in features if f.verdict != "insufficient_data"]
    drifted = [f for f in evaluated if f.verdict == "drift"]
    if not evaluated:
        return (
            0,
            0,
            None,
            "insufficient_data",
            "No verdict: no feature had enough data in both windows (see each feature's note).",
        )
    share = len(drifted) / len(evaluated)
    names = ", ".join(f.feature for f in drifted) or "none"
    skipped = len(features) - len(evaluated)
    tail = f" {skipped} feature(s) had too little data for a verdict." if skipped else ""
    if share >= share_threshold:
        return (
            len(drifted),
            len(evaluated),
            share,
            "drift",
            f"Drift: {len(drifted)} of {len(evaluated)} features drifted ({share:.0%}, "
            f"threshold {share_threshold:.0%}): {names}.{tail}",
        )
    return (
        len(drifted),
        len(evaluated),
        share,
        "no_drift",
        f"No overall drift: {len(drifted)} of {len(evaluated)} features drifted ({share:.0%}, "
        f"below {share_threshold:.0%}); drifted: {names}.{tail}",
    )


def build_report(
    store: Store,
    flt: TraceFilter,
    baseline: Window,
    current: Window,
    options: DriftOptions | None = None,
) -> DriftReport:
    """Compare ``current`` with ``baseline`` over the spans matching ``flt``."""
    opts = options or DriftOptions()
    features = opts.selected()
    base_samples = _samples(store, flt, baseline, features, opts)
    cur_samples = _samples(store, flt, current, features, opts)
    results = [
        compare(
            f,
            values(f, base_samples[f.population], opts.text_sample),
            values(f, cur_samples[f.population], opts.text_sample),
            opts.thresholds,
            statistic=opts.statistic,
            seed=opts.seed,
        )
        for f in features
    ]
    drifted, evaluated, share, verdict, message = overall(results, opts.thresholds.share)
    return DriftReport(
        baseline=_window(baseline, base_samples),
        current=_window(current, cur_samples),
        features=results,
        drifted=drifted,
        evaluated=evaluated,
        share=share,
        share_threshold=opts.thresholds.share,
        verdict=verdict,
        message=message,
    )


def drift_score(  # noqa: PLR0917  # the alert metric source's signature
    store: Store,
    feature: str,
    flt: TraceFilter,
    window_end: datetime,
    window: timedelta,
    baseline: Window | None = None,
    options: DriftOptions | None = None,
) -> FeatureDrift:
    """One feature's drift for the window ``[window_end - window, window_end)`` against
    ``baseline`` (None = the same-length window before it): the metric alert rules read as
    ``drift.<feature>``. ``score`` is None when there was too little data."""
    opts = options or DriftOptions()
    if feature not in BY_NAME:
        raise ValueError(f"unknown drift feature {feature!r}; known: {list(BY_NAME)}")
    f = BY_NAME[feature]
    current = Window(window_end - window, window_end)
    base = baseline or current.before()
    ref = values(f, sample(store, flt, base, f.population, opts), opts.text_sample)
    cur = values(f, sample(store, flt, current, f.population, opts), opts.text_sample)
    return compare(
        f, ref, cur, opts.thresholds, statistic=opts.statistic, seed=opts.seed, detail=False
    )


def series(  # noqa: PLR0917  # mirrors the route's parameters
    store: Store,
    feature: str,
    flt: TraceFilter,
    start: datetime,
    end: datetime,
    window: timedelta,
    step: timedelta,
    baseline: Window | None = None,
    options: DriftOptions | None = None,
) -> list[DriftPoint]:
    """Rolling-window scores: for each ``t`` from ``start + window`` to ``end`` by ``step``,
    the window ending at ``t`` against ``baseline`` (None = the window before it).
    Each window is sampled once even when it serves as the next point's baseline."""
    opts = options or DriftOptions()
    if feature not in BY_NAME:
        raise ValueError(f"unknown drift feature {feature!r}; known: {list(BY_NAME)}")
    if window <= timedelta(0) or step <= timedelta(0):
        raise ValueError("window and step must be positive")
    f = BY_NAME[feature]
    points_n = int((end - start - window) / step) + 1
    if points_n > MAX_SERIES_POINTS:
        raise ValueError(f"more than {MAX_SERIES_POINTS} points; widen the step")
    cache: dict[tuple[datetime, datetime], list[object]] = {}

    def vals(w: Window) -> list[object]:
        key = (w.start, w.end)
        if key not in cache:
            cache[key] = values(f, sample(store, flt, w, f.population, opts), opts.text_sample)
        return cache[key]

    points: list[DriftPoint] = []
    t = start + window
    while t <= end:
        current = Window(t - window, t)
        base = baseline or current.before()
        result = compare(
            f,
            vals(base),
            vals(current),
            opts.thresholds,
            statistic=opts.statistic,
            seed=opts.seed,
            detail=False,
        )
        points.append(
            DriftPoint(
                time=t,
                score=result.score,
                threshold=result.threshold,
                verdict=result.verdict,
                statistic=result.statistic,
                baseline_count=result.baseline_count,
                current_count=result.current_count,
            )
        )
        t += step
    return points
