"""`billing payments import BOOK FILE...` (bank and processor files matched to invoices, onto the Bank Import
sheet with --write) and `billing payments post BOOK` (the rows marked Post = Yes appended to Payments)."""

from __future__ import annotations

import argparse
from pathlib import Path

from billing_addin.cli import console
from billing_addin.cli.memory import gc_paused
from billing_addin.cli.parallel_refresh import checked_beside
from billing_addin.cli.tables import Col, money, show_table, text
from billing_addin.cli.workbook_files import audit_user, finish, finish_posting, load, read
from billing_addin.commands import payments as payment_commands
from billing_addin.core.ledger import Ledger, build_ledger
from billing_addin.core.schema import IMPORT_PROFILES
from billing_addin.loader import LoadedBook, resolve_as_of


def register(sub) -> None:
    p = sub.add_parser("payments", help="bring payments in: import bank files and match them, then post them")
    psub = p.add_subparsers(dest="payments_command", required=True, metavar="ACTION")
    i = psub.add_parser("import", help="read bank or processor files and match each line to a customer and invoices")
    i.add_argument("book", type=Path)
    i.add_argument("files", type=Path, nargs="+", metavar="FILE", help="CSV, OFX/QFX, camt.053/054, MT940, payouts")
    i.add_argument("--as-of", type=console.iso_date)
    i.add_argument("--profile", help="the ImportProfiles sheet's profile for a CSV with unusual headers")
    i.add_argument("--write", action="store_true", help="put the lines and their matches on the Bank Import sheet")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_import)
    o = psub.add_parser("post", help="append the Bank Import rows marked Post = Yes to the Payments table")
    o.add_argument("book", type=Path)
    o.add_argument("--as-of", type=console.iso_date)
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=cmd_post)


def _profile(book, name: str | None) -> dict[str, str] | None:
    """field -> header, from the ImportProfiles rows of profile `name` (None when no profile is asked for)."""
    if not name:
        return None
    sd = book.sheet(IMPORT_PROFILES.name)
    rows = zip(*(sd.columns.get(c, []) for c in ("Profile", "Field", "Header"))) if sd is not None else ()
    found = {f: h for p, f, h in rows if p and f and h and str(p).casefold() == name.casefold()}
    if not found:
        raise ValueError(f"no profile {name!r} on the {IMPORT_PROFILES.name} sheet (Profile, Field, Header)")
    return found


def cmd_import(args: argparse.Namespace) -> int:
    from billing_addin.bank import BankFileError, read_statement  # the file formats' parsers: when asked for

    book, stamp = read(args.book, for_write=args.write)
    try:
        profile = _profile(book, args.profile)
        statements = [read_statement(path, profile) for path in args.files]
    except (BankFileError, ValueError, OSError) as e:
        console.err.print(f"billing: nothing imported: {e}", markup=False)
        return console.EXIT_UNREADABLE
    for path, st in zip(args.files, statements):
        if st.ignored_columns:  # shown, never silently dropped
            console.err.print(f"{path.name}: columns not read: {', '.join(st.ignored_columns)}", markup=False)
        for note in st.notes:  # rows not read (pending, totals): shown too
            console.err.print(f"{path.name}: {note}", markup=False)
    lines = [line for st in statements for line in st.lines]
    with gc_paused():
        loaded, ledger = checked_beside_ledger(book, resolve_as_of(book, args.as_of))
        result = payment_commands.import_payments(loaded, lines, user=audit_user(loaded), ledger=ledger)
    sources = [f"{p.name} ({st.format})" for p, st in zip(args.files, statements)]
    return finish(args, result, loaded, stamp, lambda: show_lines(result, sources), write=args.write)


def checked_beside_ledger(book, as_of) -> tuple[LoadedBook, Ledger | None]:
    """The loaded book and its ledger as at `as_of` (the ledger None for a small book: the command builds it)."""
    return checked_beside(book, as_of, lambda: build_ledger(book, as_of))


def show_lines(result, sources: list[str]) -> None:
    data, counts = result.data, result.counts
    console.out.print(
        f"[bold]{counts['lines']} bank line(s)[/bold] from {', '.join(sources)}: "
        + ", ".join(f"{counts[m]} {m}" for m in payment_commands.MATCHES if counts.get(m)),
        highlight=False,
    )
    show_table(
        console.out,
        (Col("Line"), Col("Date"), money("Amount"), Col("Match"), Col("Customer"), text("Invoices"), text("Why")),
        [
            (
                str(x["line"]),
                x["date"],
                x["amount"],
                x["match"],
                x["customer_id"] or "",
                ", ".join(x["invoices"]),
                x["why"],
            )
            for x in data["lines"]
        ],
    )
    if result.findings:
        console.show_findings(result.findings, "Bank Import", result.as_of)


def cmd_post(args: argparse.Namespace) -> int:
    loaded, stamp = load(args.book, args.as_of, for_write=True)
    result = payment_commands.post_payments(loaded, user=audit_user(loaded))
    lines = [f"Bank Import row {x['row']}: not posted: {x['reason']}" for x in result.data.get("not_posted", [])]
    return finish_posting(args, result, loaded, stamp, lines)
