"""Contract: reprice, prune and stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainsight.storage.model import TraceFilter
from chainsight.storage.store import Store, UsageForPricing

from .storage_fixtures import load_spans

BASE = datetime(2025, 6, 1, tzinfo=UTC)


def _flat_pricer(usage: UsageForPricing) -> tuple[float | None, str | None]:
    """$1 per 1M tokens of any kind, for every model."""
    tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0)
    return tokens / 1e6, "flat"


def _cost(store: Store, trace: str) -> float | None:
    items = store.list_traces(TraceFilter()).items
    return next(t.cost for t in items if t.trace_id == trace * 32)


def test_reprice_updates_spans_and_trace_totals(loaded: Store) -> None:
    """Re-pricing rewrites span costs and the traces' summed cost."""
    changed = loaded.reprice(_flat_pricer, TraceFilter())
    assert changed == 4  # the alpha spans with a model; beta's cost is explicit
    assert _cost(loaded, "2") == 200 / 1e6
    assert _cost(loaded, "5") == 5000 / 1e6


def test_reprice_keeps_explicit_costs(loaded: Store) -> None:
    """A span whose cost came with it (price_id 'explicit') is never re-priced."""
    loaded.reprice(_flat_pricer, TraceFilter())
    tree = loaded.get_trace("3" * 32)
    assert tree is not None
    llm = next(s for s in tree.spans if s.kind == "llm")
    assert (llm.cost, llm.price_id) == (0.002, "explicit")


def test_reprice_honours_the_filter(loaded: Store) -> None:
    """Only spans matching the filter are re-priced."""
    assert loaded.reprice(_flat_pricer, TraceFilter(model="claude-sonnet-4")) == 1
    assert _cost(loaded, "1") == 0.01


def test_reprice_twice_changes_nothing_the_second_time(loaded: Store) -> None:
    """Rows already at the pricer's answer are not counted again."""
    loaded.reprice(_flat_pricer, TraceFilter())
    assert loaded.reprice(_flat_pricer, TraceFilter()) == 0


def test_prune_deletes_whole_old_traces(loaded: Store) -> None:
    """Traces that started before the cut go with all their spans; later ones stay."""
    deleted = loaded.prune(BASE + timedelta(seconds=100))
    assert deleted == 6  # traces 1 and 2
    ids = {t.trace_id[0] for t in loaded.list_traces(TraceFilter()).items}
    assert ids == {"3", "4", "5"}
    assert loaded.get_trace("1" * 32) is None
    assert loaded.stats()["spans"] == 6


def test_prune_keeps_late_spans_of_an_old_trace_together(store: Store) -> None:
    """A trace that started before the cut is deleted even for spans after the cut."""
    spans = [s for s in load_spans() if s.trace_id == "5" * 32]
    store.write_spans(spans)
    assert store.prune(BASE + timedelta(seconds=245)) == 2
    assert store.stats()["spans"] == 0


def test_prune_with_nothing_old_deletes_nothing(loaded: Store) -> None:
    """A cut before every trace deletes no span."""
    assert loaded.prune(BASE - timedelta(days=1)) == 0
    assert loaded.stats()["spans"] == 12


def test_stats_counts_spans_traces_and_bytes(loaded: Store) -> None:
    """stats() reports spans, traces and a positive storage size."""
    stats = loaded.stats()
    assert (stats["spans"], stats["traces"]) == (12, 5)
    assert stats["bytes"] > 0
