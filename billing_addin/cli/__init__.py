"""The `billing` command line: a thin shell over `billing_addin.commands`."""

from billing_addin.cli.app import main, run

__all__ = ["main", "run"]
