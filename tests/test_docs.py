"""Docs are tested: every env var, setting, CLI command/option and route is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from chainsight.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
CODE_FOLDERS = ("sdk", "collector", "storage", "dashboard", "demo")


def _docs_text() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages if p.exists())


def _env_vars_in_code() -> set[str]:
    found: set[str] = set()
    pattern = re.compile(r"""["']((?:CHAINSIGHT|OTEL)_[A-Z0-9_]+)["']""")
    for folder in CODE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    out: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        path = f"{prefix} {name}"
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, path))
    return out


def test_every_env_var_in_the_code_is_documented() -> None:
    """An env var the code reads but the docs never name is a hidden setting."""
    docs = _docs_text()
    missing = sorted(v for v in _env_vars_in_code() if v not in docs)
    assert missing == []


def test_every_collector_setting_is_documented() -> None:
    """Each field of the collector's settings object is documented as its env var."""
    from chainsight.collector.settings import Settings

    docs = _docs_text()
    prefix = Settings.model_config.get("env_prefix", "CHAINSIGHT_")
    missing = [f"{prefix}{name.upper()}" for name in Settings.model_fields]
    assert [m for m in missing if m not in docs] == []


@pytest.mark.parametrize(("path", "command"), _commands(cli_main, "chainsight"))
def test_every_cli_command_and_option_is_documented(path: str, command: click.Command) -> None:
    """`chainsight …` subcommands and their flags appear in the docs."""
    docs = _docs_text()
    assert path in docs
    flags = [
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--") and opt not in ("--help", "--version")
    ]
    assert [f for f in flags if f not in docs] == []


def test_every_route_is_documented(tmp_path: Path) -> None:
    """Every HTTP route and method in the collector's OpenAPI schema is listed in docs/api.md."""
    from chainsight.collector.app import create_app
    from chainsight.collector.settings import Settings

    # The OpenAPI schema, not app.routes: FastAPI wraps included routers, so app.routes
    # does not list every APIRoute.
    paths = create_app(Settings(data_dir=tmp_path)).openapi()["paths"]
    api_doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert "/v1/traces" in paths
    documented = set(re.findall(r"\b(GET|POST|PUT|PATCH|DELETE)\s+`?(/[^\s`?]*)", api_doc))
    missing = [
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method in ops
        if (method.upper(), path) not in documented
    ]
    assert missing == []
