"""The ``chainsight`` command line. Subcommands import server parts lazily."""

from __future__ import annotations

import click

from . import __version__


@click.group()
@click.version_option(__version__, prog_name="chainsight")
def main() -> None:
    """Chainsight: observability and tracing for LLM applications."""
