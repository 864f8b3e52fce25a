"""Sessions: a user's conversation as a sequence of traces, with each turn's latency and
cost, so a slow or expensive turn stands out."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from chainsight.dashboard import charts, notices, state, tables
from chainsight.dashboard.data import fetch_session, fetch_sessions, fetch_status

PAGE_SIZE = 50


def turn_chart(durations: list[float], costs: list[float | None]) -> go.Figure:
    """Per-turn latency bars with cost on a second axis."""
    turns = list(range(1, len(durations) + 1))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=turns, y=durations, name="latency (ms)", marker_color=charts.PALETTE[0]))
    fig.add_trace(
        go.Scatter(
            x=turns,
            y=[c or 0.0 for c in costs],
            name="cost (USD)",
            yaxis="y2",
            mode="lines+markers",
            line={"color": charts.PALETTE[1]},
        )
    )
    fig.update_layout(
        height=280,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": "turn", "dtick": 1},
        yaxis={"title": "latency (ms)"},
        yaxis2={"title": "cost (USD)", "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": 1.1},
    )
    return fig


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    st.title("Sessions")
    if fetch_status(conn).spans == 0:
        notices.empty_state(conn, "sessions")
        return
    flt = state.base_filter()
    user = st.text_input("User id", value=state.param("user")).strip()
    state.set_param("user", user)
    if user:
        flt = flt.model_copy(update={"user_id": user})
    sessions = fetch_sessions(conn, flt, limit=PAGE_SIZE)
    if not sessions:
        st.info(
            "No sessions in this range. Set a session id on your traces "
            "(`chainsight.context(session_id=...)`) to group turns into conversations."
        )
        return
    rows = [
        {
            "session": s.session_id,
            "user": s.user_id,
            "first": s.first_start,
            "last": s.last_end,
            "turns": s.trace_count,
            "errors": s.error_count,
            "tokens": s.total_tokens,
            "cost": s.cost,
        }
        for s in sessions
    ]
    event = st.dataframe(
        rows,
        key="sessions_table",
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        width="stretch",
        column_config={
            "first": st.column_config.DatetimeColumn("first (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "last": st.column_config.DatetimeColumn("last (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "cost": st.column_config.NumberColumn("cost", format="$%.4f"),
        },
    )
    if event is not None and event.selection.rows:
        state.set_param("session", sessions[event.selection.rows[0]].session_id)
    session_id = state.param("session") or sessions[0].session_id
    st.subheader(f"Conversation `{session_id}`")
    page = fetch_session(conn, session_id)
    turns = page.items
    if not turns:
        st.caption("This session has no traces in the store.")
        return
    st.plotly_chart(
        turn_chart([t.duration_ms for t in turns], [t.cost for t in turns]), key="turns_chart"
    )
    for number, turn in enumerate(turns, start=1):
        with st.container(border=True):
            head, facts, action = st.columns([4, 4, 1])
            mark = " :red[:material/error:]" if turn.status == "error" else ""
            head.markdown(
                f"**Turn {number}** · {turn.name}{mark}  \n"
                f"<small>{turn.start_time:%Y-%m-%d %H:%M:%S} UTC</small>",
                unsafe_allow_html=True,
            )
            facts.markdown(
                f"{tables.fmt_ms(turn.duration_ms)} · TTFT {tables.fmt_ms(turn.ttft_ms)}"
                f" · {tables.fmt_count(turn.total_tokens)} tokens · "
                f"{tables.fmt_usd(turn.cost)}"
            )
            if action.button("Open", key=f"open_{turn.trace_id}"):
                tables.open_trace(turn.trace_id)
            if turn.input_preview:
                st.markdown(f":material/person: {turn.input_preview}")
            if turn.output_preview:
                st.markdown(f":material/smart_toy: {turn.output_preview}")


if __name__ == "__main__":
    render()
