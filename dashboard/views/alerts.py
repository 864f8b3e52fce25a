"""Alerts: what is firing, the rules (create, edit, disable, test now), each rule's metric
against its threshold with pending/firing shaded, the history timeline and silences."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st
import yaml

from chainsight.dashboard import alert_charts, alert_client, state
from chainsight.dashboard.client import ApiError
from chainsight.dashboard.data import Connection
from chainsight.storage.model import AlertInstance

NEW_RULE = """name: slow-first-token
metric: ttft            # latency | ttft | tpot | error_rate | requests | tokens | cost …
aggregation: p95
filters: {}
group_by: [model]
window: 5m
op: ">"
threshold: 5s
for: 2m
min_samples: 20
no_data: keep_last
severity: page
annotations: {summary: "p95 TTFT of $model is $value (threshold $threshold)"}
channels: [log]
"""
STATE_ICONS = {"firing": "🔴", "pending": "🟡", "resolved": "🟢", "inactive": "⚪"}


def _labels(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "—"


def _instance_rows(instances: list[AlertInstance]) -> list[dict[str, Any]]:
    order = {"firing": 0, "pending": 1, "resolved": 2, "inactive": 3}
    return [
        {
            "state": f"{STATE_ICONS.get(i.state, '')} {i.state}",
            "rule": i.rule,
            "labels": _labels(i.labels),
            "outcome": i.outcome,
            "value": i.value,
            "threshold": i.threshold,
            "samples": i.samples,
            "since": i.fired_at if i.state == "firing" else i.active_since,
            "last evaluated": i.last_eval_at,
            "error": i.error,
        }
        for i in sorted(instances, key=lambda i: (order.get(i.state, 9), i.rule))
    ]


def _show_test(result: dict[str, Any]) -> None:
    st.markdown(f"**Test of `{result['rule']}`** ({result['op']} {result['threshold_text']})")
    if result.get("error"):
        st.error(result["error"])
    for inst in result["instances"]:
        st.markdown(
            f"- {_labels(inst['labels'])}: value **{inst['value_text']}** "
            f"({inst['samples']} samples, {inst['outcome']}) — "
            f"{inst['previous_state']} → **{inst['state']}**"
        )
    if not result["notifications"]:
        st.caption("Would send nothing.")
    for n in result["notifications"]:
        st.caption(f"Would send to {n['channel']} ({n['channel_type']})")
        st.code(n["body"], language="json" if n["channel_type"] != "log" else None)


def _editor(conn: Connection, rules: list[dict[str, Any]]) -> None:
    editable = [r["name"] for r in rules if r["source"] == "api"]
    choice = st.selectbox("Edit", ["(new rule)", *editable], key="al_edit")
    current = next((r for r in rules if r["name"] == choice), None)
    text = NEW_RULE if current is None else yaml.safe_dump(current["spec"], sort_keys=False)
    body = st.text_area(
        "Rule (YAML, as in the rules file)", text, height=320, key=f"al_yaml_{choice}"
    )
    try:
        spec = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        st.error(f"Not valid YAML: {exc}")
        return
    test_col, save_col = st.columns(2)
    with alert_client.client(conn) as api:
        try:
            if test_col.button("Test now", key="al_test_spec", icon=":material/play_arrow:"):
                _show_test(api.test_spec(spec))
            if save_col.button("Save", key="al_save", type="primary", icon=":material/save:"):
                api.save_rule(spec, create=current is None)
                alert_client.clear()
                st.success(f"Saved rule {spec.get('name')}.")
        except ApiError as exc:
            st.error(exc.message)


def _rule_panel(conn: Connection, rule: dict[str, Any], window: state.TimeWindow) -> None:
    spec = rule["spec"]
    states = ", ".join(f"{STATE_ICONS.get(k, '')} {v} {k}" for k, v in rule["states"].items())
    st.caption(
        f"{spec.get('aggregation') or ''} {spec['metric']} {spec['op']} {spec['threshold']} over "
        f"{spec['window']:g}s for {spec['for']:g}s · source: {rule['source']} · "
        f"{states or 'not evaluated yet'}"
    )
    if rule.get("last_error"):
        st.error(rule["last_error"])
    series = alert_client.fetch_series(
        conn, rule["name"], window.start, window.end, window.bucket_seconds
    )
    moves = alert_client.fetch_history(conn, rule["name"])
    st.plotly_chart(
        alert_charts.rule_chart(series, moves, window.end),
        key=f"al_chart_{rule['name']}",
    )
    test, toggle, delete = st.columns(3)
    with alert_client.client(conn) as api:
        if test.button("Test now", key=f"al_test_{rule['name']}"):
            _show_test(api.test_rule(rule["name"]))
        if rule["source"] != "api":
            toggle.caption("Defined in the rules file (or shipped): edit it there.")
            return
        label = "Disable" if rule["enabled"] else "Enable"
        if toggle.button(label, key=f"al_toggle_{rule['name']}"):
            api.save_rule({**spec, "enabled": not rule["enabled"]}, create=False)
            alert_client.clear()
            st.rerun()
        if delete.button("Delete", key=f"al_delete_{rule['name']}"):
            api.delete_rule(rule["name"])
            alert_client.clear()
            st.rerun()


def _silences(conn: Connection) -> None:
    now = datetime.now(UTC)
    rows = alert_client.fetch_silences(conn)
    active = [s for s in rows if s.ends_at > now]
    if active:
        st.dataframe(
            [
                {
                    "id": s.id,
                    "matchers": ", ".join(
                        f"{m.name}{'=~' if m.regex else '='}{m.value}" for m in s.matchers
                    ),
                    "until": s.ends_at,
                    "comment": s.comment,
                }
                for s in active
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No active silence.")
    with st.form("al_silence"):
        c1, c2, c3 = st.columns(3)
        label = c1.text_input("Label", "alertname")
        value = c2.text_input("Value (exact)")
        duration = c3.text_input("For", "1h")
        comment = st.text_input("Comment")
        if st.form_submit_button("Silence") and value:
            with alert_client.client(conn) as api:
                try:
                    api.create_silence([{"name": label, "value": value}], duration, comment or None)
                except ApiError as exc:
                    st.error(exc.message)
                else:
                    alert_client.clear()
                    st.rerun()
    if active:
        gone = st.selectbox("Remove silence", [s.id for s in active], key="al_unsilence")
        if st.button("Remove", key="al_unsilence_go"):
            with alert_client.client(conn) as api:
                api.delete_silence(gone)
            alert_client.clear()
            st.rerun()


def render() -> None:
    """Draw the page."""
    conn = state.connection()
    window = state.current_window()
    st.title("Alerts")
    with alert_client.client(conn) as api:
        status = api.alert_status()
    if status.get("rules_file_error"):
        st.error(f"The rules file was not reloaded: {status['rules_file_error']}")
    if status.get("using_defaults"):
        st.info("No rules defined: the shipped defaults are in force (p95 TTFT, TPOT, error rate).")
    instances = alert_client.fetch_instances(conn)
    rules = alert_client.fetch_rules(conn)
    firing = sum(i.state == "firing" for i in instances)
    pending = sum(i.state == "pending" for i in instances)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Firing", firing, border=True)
    c2.metric("Pending", pending, border=True)
    c3.metric("Rules", len(rules), border=True)
    flagged = [c["name"] for c in alert_client.fetch_channels(conn) if c["flagged"]]
    c4.metric("Failing channels", len(flagged), border=True)
    if flagged:
        st.warning(f"Channels failing repeatedly: {', '.join(flagged)}")
    tab_now, tab_rules, tab_history, tab_silences = st.tabs(
        ["Instances", "Rules", "History", "Silences"]
    )
    with tab_now:
        if instances:
            st.dataframe(_instance_rows(instances), hide_index=True, width="stretch")
        else:
            st.caption("No alert instance yet: rules have not matched any spans.")
    with tab_rules:
        for rule in rules:
            icon = (
                "🔴"
                if rule["states"].get("firing")
                else "🟡"
                if rule["states"].get("pending")
                else ""
            )
            title = f"{icon} {rule['name']}" + ("" if rule["enabled"] else " (disabled)")
            with st.expander(title.strip(), expanded=bool(icon)):
                _rule_panel(conn, rule, window)
        st.subheader("Create or edit a rule")
        _editor(conn, rules)
    with tab_history:
        moves = alert_client.fetch_history(conn)
        if moves:
            st.plotly_chart(alert_charts.history_timeline(moves), key="al_history")
            st.dataframe(
                [
                    {
                        "time": t.at,
                        "rule": t.rule,
                        "labels": _labels(t.labels),
                        "from": t.from_state,
                        "to": t.to_state,
                        "outcome": t.outcome,
                        "value": t.value,
                        "threshold": t.threshold,
                    }
                    for t in moves
                ],
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("No transition yet.")
    with tab_silences:
        _silences(conn)


if __name__ == "__main__":
    render()
