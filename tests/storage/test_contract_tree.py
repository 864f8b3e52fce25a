"""Contract: get_trace returns the span tree depth-first with depth and orphan flags."""

from __future__ import annotations

from chainsight.storage.store import Store

from .storage_fixtures import span

T = "cd"


def _shape(store: Store, trace: str = T) -> list[tuple[str, int, bool]]:
    tree = store.get_trace(trace * (32 // len(trace)))
    assert tree is not None
    return [(s.span_id[0], s.depth, s.orphan) for s in tree.spans]


def test_spans_come_depth_first_children_by_start(store: Store) -> None:
    """Children follow their parent, ordered by start time, at depth parent + 1."""
    store.write_spans(
        [
            span(T, "1", start_ms=0, end_ms=100),
            span(T, "3", "1", start_ms=50),
            span(T, "2", "1", start_ms=10),
            span(T, "4", "2", start_ms=11),
        ]
    )
    assert _shape(store) == [("1", 0, False), ("2", 1, False), ("4", 2, False), ("3", 1, False)]


def test_children_written_before_parent_form_the_same_tree(store: Store) -> None:
    """Writing the children first, then the root, gives the same tree."""
    store.write_spans([span(T, "2", "1", start_ms=10), span(T, "3", "2", start_ms=20)])
    store.write_spans([span(T, "1", start_ms=0, end_ms=100)])
    assert _shape(store) == [("1", 0, False), ("2", 1, False), ("3", 2, False)]


def test_orphans_are_kept_at_depth_zero_and_flagged(store: Store) -> None:
    """A span whose parent is missing is a depth-0 orphan; its own children hang below it."""
    store.write_spans(
        [
            span(T, "1", start_ms=0, end_ms=100),
            span(T, "5", "9", start_ms=30),
            span(T, "6", "5", start_ms=31),
        ]
    )
    assert _shape(store) == [("1", 0, False), ("5", 0, True), ("6", 1, False)]


def test_span_detail_carries_json_fields(loaded: Store) -> None:
    """Attributes, events and resource come back as parsed JSON."""
    tree = loaded.get_trace("1" * 32)
    assert tree is not None
    llm = next(s for s in tree.spans if s.kind == "llm")
    assert llm.attributes == {"temperature": 0.1}
    assert llm.events[0]["name"] == "first_token"
    assert (llm.model, llm.ttft_ms, llm.cost) == ("gpt-4o", 120.0, 0.01)
    assert (tree.project, tree.duration_ms, len(tree.spans)) == ("alpha", 1000.0, 3)


def test_unknown_trace_is_none(loaded: Store) -> None:
    """An id that was never written returns None."""
    assert loaded.get_trace("0" * 32) is None


def test_trace_of_another_project_is_none(loaded: Store) -> None:
    """Asking with a project the trace does not belong to returns None."""
    assert loaded.get_trace("3" * 32, project="alpha") is None
    assert loaded.get_trace("3" * 32, project="beta") is not None


def test_parent_cycle_does_not_lose_spans(store: Store) -> None:
    """Spans that name each other as parents are all returned (as orphans)."""
    store.write_spans([span(T, "1", "2", start_ms=0), span(T, "2", "1", start_ms=1)])
    shape = _shape(store)
    assert sorted(s[0] for s in shape) == ["1", "2"]
    assert shape[0][2]
