"""Traces: every trace in the window, filtered by anything the API filters on, searched,
sorted and paged with the API's cursor (never more than one page in the browser)."""

from __future__ import annotations

from typing import get_args

import streamlit as st

from chainsight.dashboard import notices, state, tables
from chainsight.dashboard.data import fetch_metrics, fetch_status, fetch_traces
from chainsight.storage.model import MetricQuery, TraceFilter, TraceSort

PAGE_SIZE = 50
ANY = "(any)"
SORTS: dict[str, str] = {
    "start_desc": "newest first",
    "start_asc": "oldest first",
    "duration_desc": "slowest first",
    "cost_desc": "costliest first",
    "tokens_desc": "most tokens first",
}
TEXT_FILTERS = (  # (URL param, TraceFilter field, label)
    ("search", "search", "Search input/output"),
    ("name", "name", "Span name"),
    ("user", "user_id", "User id"),
    ("session", "session_id", "Session id"),
    ("service", "service", "Service"),
    ("tag", "tag", "Tag"),
)
NUMBER_FILTERS = (
    ("min_ms", "min_latency_ms", "Min duration (ms)"),
    ("max_ms", "max_latency_ms", "Max duration (ms)"),
    ("min_cost", "min_cost", "Min cost (USD)"),
)
STATUSES = (ANY, "error", "ok", "unset")
KINDS = (
    ANY,
    "llm",
    "chain",
    "retriever",
    "embedding",
    "reranker",
    "tool",
    "agent",
    "guardrail",
    "evaluator",
    "unknown",
)


def _url_widget(param: str, default: str = "") -> str:
    """Seed a widget's state from the URL on first draw; returns its key."""
    key = f"tr_{param}"
    if key not in st.session_state:
        st.session_state[key] = state.param(param, default)
    return key


def _choice(
    col: st.delta_generator.DeltaGenerator, label: str, param: str, options: list[str]
) -> str | None:
    key = _url_widget(param, ANY)
    if st.session_state[key] not in options:
        st.session_state[key] = ANY
    value = col.selectbox(label, options, key=key)
    state.set_param(param, value, ANY)
    return None if value == ANY else value


def _models(flt: TraceFilter) -> list[str]:
    """Models seen in the window, from a grouped summary (one cheap aggregate query)."""
    window = state.current_window()
    points = fetch_metrics(
        state.connection(),
        MetricQuery(filter=flt, start=window.start, end=window.end, group_by="model"),
    )
    return sorted(p.group for p in points if p.group)


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    st.title("Traces")
    if fetch_status(conn).spans == 0:
        notices.empty_state(conn)
        return
    base = state.base_filter()
    fields: dict[str, object] = {}
    c1, c2, c3, c4 = st.columns(4)
    fields["status"] = _choice(c1, "Status", "status", list(STATUSES))
    fields["model"] = _choice(c2, "Model", "model", [ANY, *_models(base)])
    fields["kind"] = _choice(c3, "Has span kind", "kind", list(KINDS))
    sort_key = _url_widget("sort", "start_desc")
    if st.session_state[sort_key] not in SORTS:
        st.session_state[sort_key] = "start_desc"
    sort = c4.selectbox("Sort", list(SORTS), key=sort_key, format_func=SORTS.__getitem__)
    state.set_param("sort", sort, "start_desc")
    with st.expander(
        "More filters",
        expanded=any(state.param(p) for p, _, _ in (*TEXT_FILTERS[1:], *NUMBER_FILTERS)),
    ):
        cols = st.columns(3)
        for i, (param, field, label) in enumerate((*TEXT_FILTERS[1:], *NUMBER_FILTERS)):
            value = cols[i % 3].text_input(label, key=_url_widget(param)).strip()
            state.set_param(param, value)
            if field in ("min_latency_ms", "max_latency_ms", "min_cost"):
                fields[field] = state.parse_float(value)
            else:
                fields[field] = value or None
    search = st.text_input(
        "Search", key=_url_widget("search"), placeholder="text in any span's input or output"
    ).strip()
    state.set_param("search", search)
    fields["search"] = search or None
    flt = base.model_copy(update=fields)
    # Cursor pagination: a stack of cursors per filter, reset when the filter changes.
    signature = flt.model_dump_json(exclude={"start", "end"}) + sort
    if st.session_state.get("tr_signature") != signature:
        st.session_state["tr_signature"] = signature
        st.session_state["tr_cursors"] = [None]
    cursors: list[str | None] = st.session_state["tr_cursors"]
    sort_value = sort if sort in get_args(TraceSort) else "start_desc"
    page = fetch_traces(conn, flt, sort=sort_value, limit=PAGE_SIZE, cursor=cursors[-1])  # type: ignore[arg-type]
    st.caption(
        f"Page {len(cursors)} · {len(page.items)} traces · {state.current_window().label}"
        " · select a row to open the trace"
    )
    tables.trace_table(page.items, key=f"traces_table_{len(cursors)}")
    prev_col, next_col, _ = st.columns([1, 1, 6])
    if prev_col.button("← Previous", disabled=len(cursors) == 1):
        cursors.pop()
        st.rerun()
    if next_col.button("Next →", disabled=page.next_cursor is None):
        cursors.append(page.next_cursor)
        st.rerun()


if __name__ == "__main__":
    render()
