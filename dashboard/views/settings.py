"""Settings: the pricing table (view, add, edit, delete; stored costs are recomputed) and
API keys (create, revoke) when the collector runs with auth."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from chainsight.dashboard import data, state
from chainsight.storage.model import PriceEntry

NEW = "(new price)"


def _pricing(conn: data.Connection) -> None:
    st.subheader("Pricing (USD per 1M tokens)")
    prices = data.fetch_pricing(conn)
    st.dataframe(
        [
            {
                "id": p.id,
                "provider": p.provider,
                "model pattern": p.model_pattern,
                "from": p.effective_from,
                "input": p.input,
                "output": p.output,
                "cached read": p.cached_read,
                "cache write": p.cache_write,
                "reasoning": p.reasoning,
                "source": p.source,
            }
            for p in prices
        ],
        hide_index=True,
        width="stretch",
        key="prices_table",
    )
    unpriced = [u.model for u in data.fetch_unpriced(conn)]
    by_id = {p.id: p for p in prices}
    choice = st.selectbox("Edit", [NEW, *by_id], key="price_choice")
    current = by_id.get(choice)
    suggested = state.param("model") or (unpriced[0] if unpriced else "")
    with st.form("price_form"):
        c1, c2, c3 = st.columns(3)
        model_pattern = c1.text_input(
            "Model pattern (anchored regex)",
            value=current.model_pattern if current else suggested,
        )
        provider = c2.text_input("Provider", value=(current.provider or "") if current else "")
        price_id = c3.text_input("Id", value=current.id if current else "")
        c1, c2, c3, c4, c5 = st.columns(5)
        input_price = c1.number_input(
            "Input", min_value=0.0, value=current.input if current else 0.0, format="%.4f"
        )
        output_price = c2.number_input(
            "Output", min_value=0.0, value=current.output if current else 0.0, format="%.4f"
        )
        cached = c3.number_input(
            "Cached read (0 = input price)",
            min_value=0.0,
            value=(current.cached_read or 0.0) if current else 0.0,
            format="%.4f",
        )
        cache_write = c4.number_input(
            "Cache write (0 = input price)",
            min_value=0.0,
            value=(current.cache_write or 0.0) if current else 0.0,
            format="%.4f",
        )
        reasoning = c5.number_input(
            "Reasoning (0 = output price)",
            min_value=0.0,
            value=(current.reasoning or 0.0) if current else 0.0,
            format="%.4f",
        )
        saved = st.form_submit_button("Save price and reprice stored spans")
    if saved:
        if not model_pattern.strip():
            st.error("A model pattern is required.")
            return
        entry = PriceEntry(
            id=price_id.strip() or model_pattern.strip().lower().replace(" ", "-"),
            provider=provider.strip() or None,
            model_pattern=model_pattern.strip(),
            effective_from=current.effective_from if current else datetime(2000, 1, 1, tzinfo=UTC),
            input=input_price,
            output=output_price,
            cached_read=cached or None,
            cache_write=cache_write or None,
            reasoning=reasoning or None,
            source="api",
        )
        data.save_price(conn, entry)
        st.success(f"Saved price `{entry.id}`; stored costs recomputed.")
    if current is not None and st.button(f"Delete price `{current.id}`", type="secondary"):
        data.delete_price(conn, current.id)
        st.success(f"Deleted price `{current.id}`.")
        st.rerun()


def _keys(conn: data.Connection) -> None:
    st.subheader("API keys")
    if not data.fetch_status(conn).auth:
        st.info(
            "Auth is off: the collector runs open on loopback, so there are no keys to "
            "manage. `chainsight keys create --project NAME` creates the first key; from "
            "then on every request needs one (give it to the dashboard with `--api-key`)."
        )
        return
    keys = data.fetch_keys(conn)
    st.dataframe(
        [
            {
                "id": k.id,
                "project": k.project,
                "name": k.name,
                "key": k.masked,
                "created": k.created_at,
                "revoked": k.revoked_at,
            }
            for k in keys
        ],
        hide_index=True,
        width="stretch",
        key="keys_table",
    )
    with st.form("key_form"):
        c1, c2 = st.columns(2)
        project = c1.text_input("Project", value=state.current_project() or "")
        name = c2.text_input("Name (optional)")
        create = st.form_submit_button("Create key")
    if create and project.strip():
        created = data.create_key(conn, project.strip(), name.strip() or None)
        st.success("Key created. Copy it now: it is shown only once.")
        st.code(created.key, language=None)
    active = [k for k in keys if k.revoked_at is None]
    if active:
        chosen = st.selectbox(
            "Revoke",
            [k.id for k in active],
            format_func=lambda i: next(
                f"{k.masked} ({k.project}, {k.name or 'unnamed'})" for k in active if k.id == i
            ),
        )
        if st.button("Revoke key", type="primary"):
            data.revoke_key(conn, chosen)
            st.rerun()


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    st.title("Settings")
    status = data.fetch_status(conn)
    st.caption(
        f"Collector `{conn.url}` · version {status.version} · {status.spans:,} spans "
        f"stored · auth {'on' if status.auth else 'off'}"
    )
    _pricing(conn)
    st.divider()
    _keys(conn)


if __name__ == "__main__":
    render()
