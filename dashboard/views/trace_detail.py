"""Trace: one request end to end — the span tree, a waterfall aligned to the trace start
(TTFT marked on streaming LLM spans) and the selected span's panel. Deep link:
``?trace=<trace id>`` (``&span=<span id>`` selects a span)."""

from __future__ import annotations

import streamlit as st

from chainsight.dashboard import charts, notices, state
from chainsight.dashboard.client import NotFound
from chainsight.dashboard.data import fetch_trace
from chainsight.dashboard.spanpanel import span_panel, tree_label
from chainsight.dashboard.tables import fmt_count, fmt_ms, fmt_usd


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    trace_id = state.param("trace").strip().lower()
    st.title("Trace")
    typed = st.text_input("Trace id", value=trace_id, placeholder="32 hex characters")
    if typed.strip().lower() != trace_id:
        state.set_param("trace", typed.strip().lower())
        state.set_param("span", None)
        st.rerun()
    if not trace_id:
        st.info(
            "Open a trace from the Traces page, or paste a trace id above.",
            icon=":material/account_tree:",
        )
        return
    try:
        tree = fetch_trace(conn, trace_id)
    except NotFound:
        st.warning(
            f"No trace `{trace_id}` here (wrong id, another project, or pruned).",
            icon=":material/search_off:",
        )
        return
    if not tree.spans:
        notices.empty_state(conn, "spans")
        return
    root = tree.spans[0]
    errors = sum(1 for s in tree.spans if s.status == "error")
    tokens = sum(s.total_tokens or 0 for s in tree.spans if s.kind == "llm")
    costs = [s.cost for s in tree.spans if s.cost is not None]
    st.caption(
        f"`{tree.trace_id}` · project `{tree.project}` · started "
        f"{tree.start_time:%Y-%m-%d %H:%M:%S} UTC"
    )
    cols = st.columns(5)
    cols[0].metric("Duration", fmt_ms(tree.duration_ms))
    cols[1].metric("Spans", fmt_count(len(tree.spans)))
    cols[2].metric("Errors", fmt_count(errors))
    cols[3].metric("LLM tokens", fmt_count(tokens))
    cols[4].metric("Cost", fmt_usd(sum(costs)) if costs else "—")

    ids = [s.span_id for s in tree.spans]
    wanted = state.param("span")
    default = ids.index(wanted) if wanted in ids else 0
    st.html(charts.waterfall_html(tree, selected=ids[default]))
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**Span tree** ({len(ids)} spans, root `{root.name}`)")
        chosen = st.radio(
            "Span",
            range(len(ids)),
            index=default,
            format_func=lambda i: tree_label(tree.spans[i]),
            label_visibility="collapsed",
            key=f"span_tree_{trace_id}",
        )
    span = tree.spans[chosen if chosen is not None else default]
    state.set_param("span", span.span_id if span.span_id != ids[0] else None)
    with right, st.container(border=True):
        span_panel(span)


if __name__ == "__main__":
    render()
