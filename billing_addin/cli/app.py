"""The `billing` command line: the parser and the way a command is run. Each command group lives in a module
of its own (book_commands, figures, letters, interest, addin, demo) and registers its subcommands here.

Exit status: 0 fine, 1 the workbook has error findings, 2 the file cannot be read at all (or a bad
argument), 3 the workbook could not be written safely (nothing was changed).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from billing_addin.cli import addin, book_commands, claims, console, demo, era, figures, letters, payments, plans
from billing_addin.cli.interest import add_interest_parser
from billing_addin.cli.memory import exit_now, start_keeping
from billing_addin.workbook.reader import UnreadableWorkbook


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="billing", description="Billing workbook add-in: validate, compute, write letters."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    book_commands.register(sub)  # validate, columns, new
    demo.register(sub)
    figures.register(sub)  # refresh, fees, dunning, statement
    plans.register(sub)
    claims.register(sub)
    payments.register(sub)
    era.register(sub)
    letters.register_send(sub)
    book_commands.register_schema(sub)
    add_interest_parser(sub)
    addin.register(sub)
    letters.register(sub)  # letters, templates
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UnreadableWorkbook as e:
        console.err.print(f"billing: {e}", markup=False)
        return console.EXIT_UNREADABLE
    except KeyboardInterrupt:
        console.err.print("billing: stopped; nothing was half-written.", markup=False)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return console.EXIT_ERRORS


def run() -> None:
    """The `billing` program: `main`, then exit at once, without freeing what the command built (see
    cli/memory.py)."""
    start_keeping()
    exit_now(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
