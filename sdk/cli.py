"""The ``chainsight`` command line.

The SDK owns only the group; each part defines its subcommands in its own module and
is imported lazily, so ``pip install chainsight`` (SDK only) keeps a working CLI and
``chainsight --help`` never imports the server.
"""

from __future__ import annotations

import importlib

import click

from . import __version__

# subcommand -> "module:attribute" of a click command; resolved only when invoked.
LAZY_COMMANDS: dict[str, str] = {
    "serve": "chainsight.collector.cli:serve",
    "keys": "chainsight.collector.cli:keys",
    "dashboard": "chainsight.dashboard.cli:dashboard",
    "up": "chainsight.dashboard.cli:up",
    "alerts": "chainsight.collector.alerting.cli:alerts",
    "demo": "chainsight.demo.cli:demo",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module_name, _, attr = LAZY_COMMANDS[cmd_name].partition(":")
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise click.ClickException(
                    f"'chainsight {cmd_name}' needs the server extra: "
                    f'pip install "chainsight[server]" ({exc})'
                ) from exc
            command = getattr(module, attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{LAZY_COMMANDS[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup)
@click.version_option(__version__, prog_name="chainsight")
def main() -> None:
    """Chainsight: observability and tracing for LLM applications."""
