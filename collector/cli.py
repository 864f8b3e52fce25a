"""``chainsight serve`` and ``chainsight keys …`` (registered lazily by ``chainsight.cli``).

Every ``serve`` flag mirrors a ``Settings`` field and its ``CHAINSIGHT_*`` variable; a
flag given on the command line wins, an absent one leaves the environment (or default)
in force.

``keys`` commands open the store directly when the collector is not running. When it
is, DuckDB's file lock stops a second process from opening it, so they call the running
collector's API on ``--host``/``--port`` instead (with ``--api-key`` once keys exist).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from chainsight.storage import StorageError, StorageUnavailable, Store

from .errors import ConfigurationError
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def _settings(**given: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _location_options(func: F) -> F:
    options = [
        click.option("--host", default=None, help="Collector address [CHAINSIGHT_HOST]."),
        click.option("--port", type=int, default=None, help="Collector port [CHAINSIGHT_PORT]."),
        click.option(
            "--data-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="Data folder [CHAINSIGHT_DATA_DIR].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command()
@_location_options
@click.option("--store-url", default=None, help="Store URL [CHAINSIGHT_STORE_URL].")
@click.option("--max-body-bytes", type=int, default=None, help="[CHAINSIGHT_MAX_BODY_BYTES]")
@click.option("--queue-max-spans", type=int, default=None, help="[CHAINSIGHT_QUEUE_MAX_SPANS]")
@click.option("--batch-max-spans", type=int, default=None, help="[CHAINSIGHT_BATCH_MAX_SPANS]")
@click.option("--batch-linger-ms", type=float, default=None, help="[CHAINSIGHT_BATCH_LINGER_MS]")
@click.option(
    "--decode-workers",
    type=int,
    default=None,
    help="Decode worker processes; 0 = decode in a thread [CHAINSIGHT_DECODE_WORKERS].",
)
@click.option("--retention-days", type=float, default=None, help="[CHAINSIGHT_RETENTION_DAYS]")
@click.option(
    "--pricing-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="JSON price entries over the defaults [CHAINSIGHT_PRICING_FILE].",
)
@click.option(
    "--alert-rules",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Alert rules YAML, reloaded on change [CHAINSIGHT_ALERT_RULES].",
)
@click.option(
    "--alert-interval",
    type=float,
    default=None,
    help="Seconds between alert evaluations; 0 = on demand [CHAINSIGHT_ALERT_INTERVAL].",
)
@click.option(
    "--dashboard-url",
    default=None,
    help="Dashboard URL for alert links [CHAINSIGHT_DASHBOARD_URL].",
)
@click.option(
    "--allow-open-remote",
    is_flag=True,
    default=None,
    help="Serve a non-loopback address without API keys [CHAINSIGHT_ALLOW_OPEN_REMOTE].",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default=None,
    help="[CHAINSIGHT_LOG_LEVEL]",
)
def serve(**given: Any) -> None:
    """Run the collector: OTLP/HTTP on /v1/traces and the query API on /api/v1."""
    import uvicorn

    from .app import create_app, open_configured_store
    from .auth import check_bind

    settings = _settings(**given)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        store = open_configured_store(settings)
    except StorageError as exc:
        raise click.ClickException(f"cannot open the store: {exc}") from exc
    try:
        try:
            check_bind(settings, store.keys.any_active())
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"chainsight collector on http://{settings.host}:{settings.port} "
            f"({settings.store_url_resolved})"
        )
        uvicorn.run(
            create_app(settings, store),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            ws="none",
            timeout_graceful_shutdown=30,
        )
    finally:
        store.close()


@click.group()
def keys() -> None:
    """Manage per-project API keys (the secret is printed once, only a hash is stored)."""


def _key_options(func: F) -> F:
    func = click.option(
        "--api-key",
        envvar="CHAINSIGHT_API_KEY",
        default=None,
        help="Key for the running collector's API, once keys exist [CHAINSIGHT_API_KEY].",
    )(func)
    return _location_options(func)


def _with_store_or_api(
    settings: Settings,
    api_key: str | None,
    direct: Callable[[Store], Any],
    remote: Callable[[Any], Any],
) -> Any:
    """Run ``direct`` on the store, or ``remote`` on an API client if the collector holds it."""
    from .app import open_configured_store

    try:
        store = open_configured_store(settings)
    except StorageUnavailable:
        import httpx

        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        base = f"http://{settings.host}:{settings.port}"
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            try:
                return remote(client)
            except httpx.HTTPError as exc:
                raise click.ClickException(
                    f"the store is in use and the collector at {base} did not answer: {exc}"
                ) from exc
    try:
        return direct(store)
    finally:
        store.close()


def _checked(response: Any) -> Any:
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text
        raise click.ClickException(f"collector answered {response.status_code}: {message}")
    return response.json() if response.content else None


@keys.command("create")
@click.option("--project", required=True, help="Project the key writes and reads.")
@click.option("--name", default=None, help="A label to recognise the key by.")
@_key_options
def keys_create(project: str, name: str | None, api_key: str | None, **location: Any) -> None:
    """Create a key for a project and print it (the only time it is shown)."""
    from .auth import create_key

    settings = _settings(**location)

    def direct(store: Store) -> str:
        token, _info = create_key(store.keys, project, name)
        return token

    def remote(client: Any) -> str:
        body = _checked(client.post("/api/v1/keys", json={"project": project, "name": name}))
        return str(body["key"])

    token = _with_store_or_api(settings, api_key, direct, remote)
    click.echo(token)
    click.echo(f"(key for project {project!r}; store it now, it cannot be shown again)", err=True)


@keys.command("list")
@click.option("--project", default=None, help="Only this project's keys.")
@_key_options
def keys_list(project: str | None, api_key: str | None, **location: Any) -> None:
    """List keys (masked), with project, name, creation and revocation times."""
    settings = _settings(**location)

    def direct(store: Store) -> list[dict[str, Any]]:
        return [k.model_dump(mode="json") for k in store.keys.list(project)]

    def remote(client: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = _checked(client.get("/api/v1/keys"))
        return [r for r in rows if project is None or r["project"] == project]

    for row in _with_store_or_api(settings, api_key, direct, remote):
        click.echo(json.dumps(row))


@keys.command("revoke")
@click.argument("key_id")
@_key_options
def keys_revoke(key_id: str, api_key: str | None, **location: Any) -> None:
    """Revoke a key by its id (the part after ``cs_``, as shown by ``keys list``)."""
    settings = _settings(**location)

    def direct(store: Store) -> bool:
        return store.keys.revoke(key_id)

    def remote(client: Any) -> bool:
        response = client.delete(f"/api/v1/keys/{key_id}")
        if response.status_code == 404:
            return False
        _checked(response)
        return True

    if not _with_store_or_api(settings, api_key, direct, remote):
        raise click.ClickException(f"no key {key_id}")
    click.echo(f"revoked {key_id}")
