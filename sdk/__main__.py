"""``python -m chainsight`` runs the CLI."""

from .cli import main

main()
