"""The selected span's panel on the trace view: model and usage facts, cost and the price
used, TTFT/TPOT, status and exceptions, then input/output shown for people (a chat as a
conversation, retrieved documents ranked with scores, tool calls with arguments and
results) and the raw attributes collapsible."""

from __future__ import annotations

import json

import streamlit as st

from chainsight.storage.model import SpanDetail

from .content import Content, classify, exceptions
from .tables import fmt_count, fmt_ms, fmt_usd

KIND_ICONS: dict[str, str] = {
    "llm": ":material/smart_toy:",
    "chain": ":material/link:",
    "retriever": ":material/search:",
    "embedding": ":material/scatter_plot:",
    "reranker": ":material/sort:",
    "tool": ":material/build:",
    "agent": ":material/support_agent:",
    "guardrail": ":material/shield:",
    "evaluator": ":material/rule:",
    "unknown": ":material/radio_button_unchecked:",
}
ROLE_AVATARS = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant"}


def tree_label(span: SpanDetail) -> str:
    """One tree row: indentation by depth, kind icon, name, duration, error marker."""
    indent = "\u2003" * span.depth + ("└ " if span.depth else "")
    icon = KIND_ICONS.get(span.kind, KIND_ICONS["unknown"])
    error = " :red[:material/error: error]" if span.status == "error" else ""
    orphan = " :orange[(orphan)]" if span.orphan else ""
    return f"{indent}{icon} **{span.name}** · {fmt_ms(span.duration_ms)}{error}{orphan}"


def _facts(span: SpanDetail) -> list[tuple[str, str]]:
    facts = [("kind", span.kind), ("status", span.status), ("duration", fmt_ms(span.duration_ms))]
    if span.model or span.request_model:
        facts += [
            ("model", span.model or span.request_model or ""),
            ("provider", span.provider or "—"),
        ]
    if span.ttft_ms is not None:
        facts.append(("TTFT", fmt_ms(span.ttft_ms)))
    if span.tpot_ms is not None:
        facts.append(("TPOT", f"{span.tpot_ms:,.1f} ms"))
    tokens = (
        ("input tokens", span.input_tokens),
        ("output tokens", span.output_tokens),
        ("cached tokens", span.cached_tokens),
        ("cache-write tokens", span.cache_write_tokens),
        ("reasoning tokens", span.reasoning_tokens),
    )
    facts += [(label, fmt_count(value)) for label, value in tokens if value is not None]
    if span.usage_estimated:
        facts.append(("usage", "estimated"))
    if span.cost is not None or span.model:
        price = f" (price {span.price_id})" if span.price_id else " (unpriced)"
        facts.append(("cost", fmt_usd(span.cost) + price))
    if span.finish_reason:
        facts.append(("finish reason", span.finish_reason))
    for label, value in (
        ("service", span.service),
        ("user", span.user_id),
        ("session", span.session_id),
    ):
        if value:
            facts.append((label, value))
    if span.tags:
        facts.append(("tags", ", ".join(span.tags)))
    return facts


def _content(title: str, content: Content) -> None:
    st.markdown(f"**{title}**")
    if content.kind == "empty":
        st.caption("not captured")
    elif content.kind == "messages":
        for message in content.messages:
            with st.chat_message(ROLE_AVATARS.get(message.role, message.role[:1] or "?")):
                st.caption(message.role)
                if message.text:
                    st.markdown(message.text)
                for call in message.tool_calls:
                    st.markdown(f":material/build: `{call.name}`")
                    st.json(call.arguments, expanded=False)
    elif content.kind == "documents":
        for doc in content.documents:
            score = "" if doc.score is None else f" · score {doc.score:.3f}"
            ident = f" · `{doc.doc_id}`" if doc.doc_id else ""
            with st.container(border=True):
                st.caption(f"#{doc.rank}{score}{ident}")
                st.markdown(doc.text)
    elif content.kind == "tool_calls":
        for call in content.tool_calls:
            with st.container(border=True):
                st.markdown(f":material/build: **{call.name}**")
                st.caption("arguments")
                st.json(call.arguments, expanded=True)
                if call.result is not None:
                    st.caption("result")
                    st.json(call.result, expanded=False)
    elif content.kind == "json":
        st.json(content.data, expanded=1)
    else:
        st.text(content.text)


def span_panel(span: SpanDetail) -> None:
    """Everything about one span."""
    icon = KIND_ICONS.get(span.kind, KIND_ICONS["unknown"])
    st.subheader(f"{icon} {span.name}")
    facts = _facts(span)
    cols = st.columns(3)
    for i, (label, value) in enumerate(facts):
        cols[i % 3].markdown(f"<small>{label}</small><br>**{value}**", unsafe_allow_html=True)
    if span.status == "error":
        st.error(
            f"{span.error_type or 'error'}: {span.status_message or ''}".strip(": "),
            icon=":material/error:",
        )
    for exc in exceptions(span.events):
        with st.expander(f":red[{exc.type}]: {exc.message}", expanded=True):
            st.code(exc.stacktrace or "(no stack trace recorded)", language="python")
    _content("Input", classify(span.input, span_kind=span.kind))
    _content("Output", classify(span.output, span_kind=span.kind))
    with st.expander("Attributes"):
        st.json(span.attributes, expanded=True)
    if span.events:
        with st.expander(f"Events ({len(span.events)})"):
            st.json(span.events, expanded=False)
    if span.links:
        with st.expander(f"Links ({len(span.links)})"):
            st.json(span.links, expanded=False)
    with st.expander("Resource and ids"):
        st.json(
            {
                "trace_id": span.trace_id,
                "span_id": span.span_id,
                "parent_span_id": span.parent_span_id,
                "otel_kind": span.otel_kind,
                "operation": span.operation,
                "start_time": span.start_time.isoformat(),
                "end_time": span.end_time.isoformat(),
                "resource": json.loads(json.dumps(span.resource, default=str)),
            },
            expanded=False,
        )
