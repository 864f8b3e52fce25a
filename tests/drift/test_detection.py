"""Statistical behaviour on synthetic traffic with fixed seeds: no drift between windows of
one distribution, and each known shift detected, through a real DuckDB store."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from chainsight.collector.drift.features import BY_NAME, compare
from chainsight.collector.drift.report import DriftOptions, Window, build_report, overall
from chainsight.collector.drift.stats import Thresholds
from chainsight.collector.drift.text import Hasher, centroid_distance, vectorize
from chainsight.storage import Store, open_store
from chainsight.storage.model import DriftReport, TraceFilter

from .synthetic import TEMPLATES, TOPICS, Profile, spans

HOUR_NS = 3600 * 10**9
T0 = 1_790_000_000 * 10**9
TRIALS = 100
NUMERIC = ("input_tokens", "output_tokens", "latency_ms", "ttft_ms", "tpot_ms", "cost")


def _at(hours: float) -> datetime:
    return datetime.fromtimestamp((T0 + hours * HOUR_NS) / 1e9, UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"duckdb:///{tmp_path / 'drift.duckdb'}")
    yield opened
    opened.close()


def _report(store: Store, base: Profile, cur: Profile, n: int = 1500, **flt: str) -> DriftReport:
    """``n`` calls of ``base`` in hour 0, ``n`` of ``cur`` in hour 1, and the report."""
    store.write_spans(spans(base, n, T0, T0 + HOUR_NS, seed=11))
    store.write_spans(spans(cur, n, T0 + HOUR_NS, T0 + 2 * HOUR_NS, seed=12))
    return build_report(
        store, TraceFilter(**flt), Window(_at(0), _at(1)), Window(_at(1), _at(2)), DriftOptions()
    )


def _verdicts(report: DriftReport) -> dict[str, str]:
    return {f.feature: f.verdict for f in report.features}


@functools.cache
def _values(n: int, seed: int) -> dict[str, list[object]]:
    """Feature values of ``n`` calls of the default profile (cached: trials reuse seeds)."""
    rows = [s for s in spans(Profile(), n, T0, T0 + HOUR_NS, seed) if s.kind == "llm"]
    return {
        "input_tokens": [float(s.input_tokens or 0) for s in rows],
        "output_tokens": [float(s.output_tokens or 0) for s in rows],
        "latency_ms": [s.duration_ms for s in rows],
        "ttft_ms": [float(s.ttft_ms or 0) for s in rows],
        "tpot_ms": [float(s.tpot_ms or 0) for s in rows],
        "cost": [float(s.cost or 0) for s in rows],
        "model": [s.model for s in rows],
        "finish_reason": [s.finish_reason for s in rows],
        "input_text": [s.input for s in rows],
    }


@pytest.mark.parametrize("n", [200, 2000])
def test_same_distribution_gives_no_overall_drift_in_95_percent_of_trials(n: int) -> None:
    """Two windows of one distribution: the overall verdict says drift in < 5% of trials,
    with small samples (KS, chi-square) and large ones (Wasserstein, JS)."""
    thresholds = Thresholds()
    false_alarms = 0
    for trial in range(TRIALS):
        ref, cur = _values(n, 2 * trial), _values(n, 2 * trial + 1)
        results = [
            compare(BY_NAME[name], ref[name], cur[name], thresholds, seed=trial)
            for name in (*NUMERIC, "model", "finish_reason")
        ]
        false_alarms += overall(results, thresholds.share)[3] == "drift"
    assert false_alarms <= TRIALS * 0.05


def test_large_same_distribution_samples_flag_each_feature_in_under_5_percent() -> None:
    """Above 1000 rows the effect sizes stay under 0.1 in at least 95% of trials."""
    thresholds = Thresholds()
    names = (*NUMERIC, "model", "finish_reason")
    flagged = dict.fromkeys(names, 0)
    trials = TRIALS // 2
    for trial in range(trials):
        ref, cur = _values(2000, 2 * trial), _values(2000, 2 * trial + 1)
        for name in names:
            result = compare(BY_NAME[name], ref[name], cur[name], thresholds)
            flagged[name] += result.verdict == "drift"
    assert {k: v for k, v in flagged.items() if v > trials * 0.05} == {}


def test_same_topic_texts_are_not_flagged_in_95_percent_of_trials() -> None:
    """The text verdict's permutation threshold keeps false alarms under 5%."""
    thresholds = Thresholds()
    trials = 40
    flagged = 0
    for trial in range(trials):
        ref, cur = _values(300, 2 * trial), _values(300, 2 * trial + 1)
        result = compare(
            BY_NAME["input_text"], ref["input_text"], cur["input_text"], thresholds, seed=trial
        )
        flagged += result.verdict == "drift"
    assert flagged <= trials * 0.05


def test_same_distribution_report_has_no_drifted_feature(store: Store) -> None:
    """Through the store: every feature with data says no drift, and so does the report."""
    report = _report(store, Profile(), Profile())
    assert report.verdict == "no_drift"
    assert report.drifted == 0


def test_input_length_up_30_percent_is_detected(store: Store) -> None:
    """Input-token mean +30%: input tokens (and cost, which follows them) drift."""
    report = _report(store, Profile(), Profile(input_mean=520.0))
    verdicts = _verdicts(report)
    assert verdicts["input_tokens"] == "drift"
    assert verdicts["output_tokens"] == "no_drift"


def test_new_model_taking_40_percent_of_traffic_is_detected(store: Store) -> None:
    """A new model at 40% of calls moves the model distribution."""
    shifted = Profile(models={"gpt-4o": 0.36, "claude-sonnet-4": 0.24, "new-model": 0.40})
    report = _report(store, Profile(), shifted)
    model = next(f for f in report.features if f.feature == "model")
    assert model.verdict == "drift"
    assert "new-model" in [b.label for b in model.bins]


def test_inputs_switching_language_are_detected(store: Store) -> None:
    """English to Spanish inputs: the language feature and the input text drift."""
    report = _report(store, Profile(), Profile(language="es"))
    verdicts = _verdicts(report)
    assert verdicts["input_language"] == "drift"
    assert verdicts["input_text"] == "drift"
    language = next(f for f in report.features if f.feature == "input_language")
    shares = {b.label: (b.baseline, b.current) for b in language.bins}
    assert shares["en"][0] > 0.9 and shares["es"][1] > 0.9


def test_inputs_switching_topic_are_detected_and_explained(store: Store) -> None:
    """Billing to travel questions: the input text drifts, and the moved terms name the
    topics' words (gains from travel, losses from billing)."""
    report = _report(store, Profile(), Profile(topic="travel"))
    text = next(f for f in report.features if f.feature == "input_text")
    assert text.verdict == "drift"
    assert _verdicts(report)["input_language"] == "no_drift"
    gained = {t.term for t in text.terms if t.delta > 0}
    lost = {t.term for t in text.terms if t.delta < 0}
    assert gained & set(TOPICS["travel"])
    assert lost & set(TOPICS["billing"])
    assert not gained & set(TOPICS["billing"])


def test_ttft_doubling_for_one_model_is_detected(store: Store) -> None:
    """TTFT x2 for claude-sonnet-4 only: TTFT drifts overall and within that model's filter,
    and not within the other model's."""
    slow = Profile(ttft_ms={"gpt-4o": 300.0, "claude-sonnet-4": 900.0})
    store.write_spans(spans(Profile(), 1500, T0, T0 + HOUR_NS, seed=21))
    store.write_spans(spans(slow, 1500, T0 + HOUR_NS, T0 + 2 * HOUR_NS, seed=22))
    base, cur = Window(_at(0), _at(1)), Window(_at(1), _at(2))
    opts = DriftOptions(features=("ttft_ms",))

    def ttft(**flt: str) -> str:
        return build_report(store, TraceFilter(**flt), base, cur, opts).features[0].verdict

    assert ttft() == "drift"
    assert ttft(model="claude-sonnet-4") == "drift"
    assert ttft(model="gpt-4o") == "no_drift"


def test_too_few_spans_give_no_verdict_said_plainly(store: Store) -> None:
    """Ten calls per window: every feature and the report say insufficient_data."""
    report = _report(store, Profile(), Profile(language="es"), n=10)
    assert report.verdict == "insufficient_data"
    assert {f.verdict for f in report.features} == {"insufficient_data"}
    assert "at least 30" in (report.features[0].note or "")
    assert report.message.startswith("No verdict")


def test_centroid_distance_grows_with_topic_change() -> None:
    """Same-topic windows sit closer than different-topic windows."""
    hasher = Hasher()
    rng = np.random.default_rng(0)

    def texts(topic: str) -> list[str]:
        words = TOPICS[topic]
        return [
            TEMPLATES["en"][0].format(a=words[rng.integers(len(words))], b=words[0])
            for _ in range(200)
        ]

    a, b, c = (vectorize(texts(t), hasher) for t in ("billing", "billing", "travel"))
    assert centroid_distance(a, b) < centroid_distance(a, c)
