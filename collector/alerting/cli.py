"""``chainsight alerts …``: list rules and their states, test a rule now, manage silences.

Only the collector process may open the DuckDB file, so every command talks to the
running collector's API (``--host``/``--port``, ``--api-key`` once keys exist).
"""

from __future__ import annotations

import json
from typing import Any

import click
import httpx


def _client(host: str, port: int, api_key: str | None) -> httpx.Client:
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(base_url=f"http://{host}:{port}", headers=headers, timeout=30)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise click.ClickException(
            f"the collector at {client.base_url} did not answer ({exc}); is it running?"
        ) from exc
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text
        raise click.ClickException(f"collector answered {response.status_code}: {message}")
    return response.json() if response.content else None


@click.group()
@click.option("--host", envvar="CHAINSIGHT_HOST", default="127.0.0.1", help="[CHAINSIGHT_HOST]")
@click.option("--port", envvar="CHAINSIGHT_PORT", type=int, default=4318, help="[CHAINSIGHT_PORT]")
@click.option("--api-key", envvar="CHAINSIGHT_API_KEY", default=None, help="[CHAINSIGHT_API_KEY]")
@click.pass_context
def alerts(ctx: click.Context, host: str, port: int, api_key: str | None) -> None:
    """Alert rules, their states and silences, through the running collector's API."""
    ctx.obj = _client(host, port, api_key)
    ctx.call_on_close(ctx.obj.close)


@alerts.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per rule.")
@click.pass_obj
def list_rules(client: httpx.Client, as_json: bool) -> None:
    """Rules in force (file, API or defaults) with their instances' states."""
    rules = _call(client, "GET", "/api/v1/alerts/rules")
    for rule in rules:
        if as_json:
            click.echo(json.dumps(rule))
            continue
        spec = rule["spec"]
        states = ", ".join(f"{k}={v}" for k, v in sorted(rule["states"].items())) or "not evaluated"
        flag = "" if rule["enabled"] else " (disabled)"
        click.echo(
            f"{rule['name']}{flag} [{rule['source']}]: {spec.get('aggregation') or ''} "
            f"{spec['metric']} {spec['op']} {spec['threshold']} over {spec['window']}s "
            f"for {spec['for']}s — {states}"
        )


@alerts.command("test")
@click.argument("rule")
@click.option("--now", default=None, help="Evaluation time (RFC 3339); default now.")
@click.pass_obj
def test_rule(client: httpx.Client, rule: str, now: str | None) -> None:
    """Evaluate RULE now: print its value, the state it would move to and the message."""
    params = {"now": now} if now else {}
    result = _call(client, "POST", f"/api/v1/alerts/rules/{rule}/test", params=params)
    click.echo(f"rule {result['rule']}: {result['op']} {result['threshold_text']}")
    if result.get("error"):
        click.echo(f"  error: {result['error']}")
    for inst in result["instances"]:
        labels = ", ".join(f"{k}={v}" for k, v in inst["labels"].items()) or "(no labels)"
        click.echo(
            f"  {labels}: value {inst['value_text']} ({inst['samples']} samples, "
            f"{inst['outcome']}) state {inst['previous_state']} -> {inst['state']}"
        )
    if not result["notifications"]:
        click.echo("  would send: nothing")
    for n in result["notifications"]:
        muted = " (silenced)" if n["silenced"] else ""
        click.echo(f"  would send to {n['channel']} ({n['channel_type']}){muted}:")
        click.echo(f"    {n['body']}")


@alerts.command("silence")
@click.option(
    "--match",
    "matchers",
    multiple=True,
    required=True,
    help="label=value (or label=~regex); repeatable, all must match.",
)
@click.option("--for", "duration", default="1h", show_default=True, help="How long, e.g. 2h.")
@click.option("--comment", default=None, help="Why.")
@click.pass_obj
def silence(
    client: httpx.Client, matchers: tuple[str, ...], duration: str, comment: str | None
) -> None:
    """Silence notifications of matching alerts for a while (their state is still kept)."""
    parsed = []
    for text in matchers:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{text!r}: use label=value or label=~regex")
        regex = value.startswith("~")
        parsed.append({"name": name, "value": value[1:] if regex else value, "regex": regex})
    body = {"matchers": parsed, "duration": duration, "comment": comment}
    created = _call(client, "POST", "/api/v1/alerts/silences", json=body)
    click.echo(f"silence {created['id']} until {created['ends_at']}")


@alerts.command("unsilence")
@click.argument("silence_id")
@click.pass_obj
def unsilence(client: httpx.Client, silence_id: str) -> None:
    """Remove a silence by id."""
    _call(client, "DELETE", f"/api/v1/alerts/silences/{silence_id}")
    click.echo(f"removed silence {silence_id}")
