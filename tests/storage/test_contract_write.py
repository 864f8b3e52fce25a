"""Contract: write_spans is idempotent, keeps out-of-order and orphan spans, rolls traces up."""

from __future__ import annotations

from dataclasses import replace

from chainsight.storage.model import TraceFilter
from chainsight.storage.store import Store

from .storage_fixtures import load_spans, span

T = "ab"  # trace id "abab..."


def _summary(store: Store, trace: str = T):  # type: ignore[no-untyped-def]
    items = store.list_traces(TraceFilter()).items
    return next(i for i in items if i.trace_id == trace * (32 // len(trace)))


def test_write_returns_inserted_count(store: Store) -> None:
    """A fresh batch is inserted in full."""
    result = store.write_spans(load_spans())
    assert (result.inserted, result.duplicates) == (12, 0)
    assert store.stats()["spans"] == 12


def test_duplicates_within_a_batch_are_ignored(store: Store) -> None:
    """The same (trace_id, span_id) twice in one call is stored once."""
    s = span(T, "1")
    result = store.write_spans([s, s, replace(s, name="retry")])
    assert (result.inserted, result.duplicates) == (1, 2)
    assert store.stats()["spans"] == 1


def test_duplicates_of_stored_spans_are_ignored(store: Store) -> None:
    """Re-sending stored spans (an exporter retry) changes nothing and counts duplicates."""
    spans = load_spans()
    store.write_spans(spans)
    before = store.list_traces(TraceFilter(project="alpha")).items
    result = store.write_spans(spans)
    assert (result.inserted, result.duplicates) == (0, 12)
    assert store.stats()["spans"] == 12
    assert store.list_traces(TraceFilter(project="alpha")).items == before


def test_mixed_batch_inserts_only_new_spans(store: Store) -> None:
    """A batch of stored and new spans inserts the new ones and rolls up only them."""
    store.write_spans([span(T, "1", input_tokens=10)])
    result = store.write_spans([span(T, "1", input_tokens=10), span(T, "2", "1", input_tokens=5)])
    assert (result.inserted, result.duplicates) == (1, 1)
    assert _summary(store).input_tokens == 15
    assert _summary(store).span_count == 2


def test_new_trace_is_kept_beside_a_stored_trace_sent_again(store: Store) -> None:
    """A batch holding a stored trace's spans again (all duplicates) and a new trace: the new
    trace is stored and rolled up, the stored one is left as it was."""
    store.write_spans([span(T, "1"), span(T, "2", "1", start_ms=3)])
    result = store.write_spans([span(T, "2", "1", start_ms=3), span("cd", "1", start_ms=1)])
    assert (result.inserted, result.duplicates) == (1, 1)
    assert store.stats()["spans"] == 3
    assert _summary(store).span_count == 2
    assert _summary(store, "cd").span_count == 1


def test_retry_is_found_after_its_trace_grew(store: Store) -> None:
    """A span re-sent after later spans widened its trace, in a batch whose other spans lie
    far outside that trace's time window, is still recognised as stored."""
    store.write_spans([span(T, "1", end_ms=5_000)])
    store.write_spans([span(T, "2", "1", start_ms=4_000, end_ms=4_500)])
    late = span("cd", "1", start_ms=3_600_000, end_ms=3_600_010)
    result = store.write_spans([late, span(T, "1", end_ms=5_000), span(T, "3", "1", start_ms=10)])
    assert (result.inserted, result.duplicates) == (2, 1)
    assert _summary(store).span_count == 3
    assert store.stats()["spans"] == 4


def test_empty_batch_is_a_no_op(store: Store) -> None:
    """Writing nothing inserts nothing."""
    assert store.write_spans([]).inserted == 0


def test_child_before_parent_rolls_up_once_root_arrives(store: Store) -> None:
    """Children written before their root: the summary takes the root's name when it comes."""
    store.write_spans([span(T, "2", "1", name="child", start_ms=5, end_ms=8)])
    assert _summary(store).name == "child"
    assert _summary(store).has_orphans
    store.write_spans([span(T, "1", name="root", kind="agent", start_ms=0, end_ms=20)])
    s = _summary(store)
    assert (s.name, s.kind, s.span_count, s.has_orphans) == ("root", "agent", 2, False)
    assert s.duration_ms == 20.0


def test_orphan_stays_flagged_when_parent_never_arrives(store: Store) -> None:
    """A span whose parent is missing is kept and the trace is flagged."""
    store.write_spans([span(T, "2", "9", start_ms=1), span(T, "3", "2", start_ms=2)])
    s = _summary(store)
    assert (s.span_count, s.has_orphans) == (2, True)


def test_late_orphan_flags_a_complete_trace(store: Store) -> None:
    """A late span whose parent is unknown flags a trace that had no orphans."""
    store.write_spans([span(T, "1"), span(T, "2", "1")])
    assert not _summary(store).has_orphans
    store.write_spans([span(T, "3", "7", start_ms=30)])
    assert _summary(store).has_orphans


def test_rollup_sums_tokens_and_cost(loaded: Store) -> None:
    """The summary sums tokens and priced cost over the trace's spans."""
    s = _summary(loaded, "1")
    assert (s.input_tokens, s.output_tokens, s.total_tokens) == (100, 50, 150)
    assert s.cost == 0.01
    assert s.models == ["gpt-4o"]
    assert s.ttft_ms == 120.0


def test_unpriced_trace_cost_is_null_not_zero(loaded: Store) -> None:
    """A trace whose only model is unpriced has cost None."""
    assert _summary(loaded, "2").cost is None


def test_trace_status_is_error_when_any_span_errored(loaded: Store) -> None:
    """One errored span makes the trace's status error and counts it."""
    s = _summary(loaded, "2")
    assert (s.status, s.error_count) == ("error", 2)


def test_rollup_merges_across_batches(store: Store) -> None:
    """Tags, models and tokens from later batches merge into the stored summary."""
    store.write_spans([span(T, "1", tags=("a",), model="m1", output_tokens=3)])
    store.write_spans([span(T, "2", "1", tags=("b", "a"), model="m2", output_tokens=4)])
    s = _summary(store)
    assert (s.tags, s.models, s.output_tokens) == (["a", "b"], ["m1", "m2"], 7)


def test_user_and_session_come_from_any_span(store: Store) -> None:
    """A trace gets the user and session of whichever span carries them."""
    store.write_spans([span(T, "1"), span(T, "2", "1", user_id="u", session_id="s")])
    s = _summary(store)
    assert (s.user_id, s.session_id) == ("u", "s")
