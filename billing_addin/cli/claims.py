"""`billing claims BOOK`: the claims worklist (deadlines, days left, what to do); --write puts the
ClaimsWorklist sheet in the book."""

from __future__ import annotations

import argparse
from pathlib import Path

from billing_addin.cli import console
from billing_addin.cli.tables import Col, money, show_table, text
from billing_addin.cli.workbook_files import audit_user, finish, load
from billing_addin.commands import claims as claim_commands

USAGE = "billing claims BOOK [--as-of D] [--write] [--json]"


def register(sub) -> None:
    p = sub.add_parser(
        "claims",
        help="insurance claims: filing and appeal deadlines, days left and what to do, most pressing first",
        usage=USAGE,
    )
    p.add_argument("book", type=Path)
    p.add_argument("--as-of", type=console.iso_date)
    p.add_argument("--write", action="store_true", help="write the ClaimsWorklist sheet into the book")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_claims)


def cmd_claims(args: argparse.Namespace) -> int:
    loaded, stamp = load(args.book, args.as_of, for_write=args.write)
    result = claim_commands.claims(loaded, user=audit_user(loaded))
    return finish(args, result, loaded, stamp, lambda: show_claims(result, args.book.name), write=args.write)


def show_claims(result, name: str) -> None:
    """A table of every claim (no patient names: the account only), the counts, then the findings."""
    data = result.data
    show_table(
        console.out,
        (
            Col("Claim"),
            Col("Account"),
            Col("Payer"),
            Col("Status"),
            Col("File by"),
            Col("Appeal by"),
            money("Days left"),
            text("Action"),
        ),
        [
            (
                c["claim_id"],
                c["patient_account"],
                c["payer"],
                c["status"] or "",
                c["filing_deadline"] or "",
                c["appeal_deadline"] or "",
                "" if c["days_left"] is None else str(c["days_left"]),
                c["action"],
            )
            for c in data["claims"]
        ],
        title=f"Claims as of {data['as_of']} (due soon: within {data['days_ahead']} days)",
    )
    n = data["counts"]
    console.out.print(
        f"{n['past']} past deadline, {n['due_soon']} due soon, {n['denied_no_appeal']} denied without appeal, "
        f"{n['preauth_pending']} preauthorization pending",
        markup=False,
    )
    if result.findings:
        console.show_findings(result.findings, name, result.as_of)
