"""`billing era import BOOK FILE.835...` (insurance remittances matched to Claims, onto the Remittance sheet with
--write) and `billing era post BOOK` (the claim rows marked Post = Yes posted)."""

from __future__ import annotations

import argparse
from pathlib import Path

from billing_addin.cli import console
from billing_addin.cli.memory import gc_paused
from billing_addin.cli.parallel_refresh import checked_beside
from billing_addin.cli.tables import Col, money, show_table, text
from billing_addin.cli.workbook_files import audit_user, finish, finish_posting, read
from billing_addin.commands import era as era_commands
from billing_addin.core.remittance import GROUPS
from billing_addin.loader import resolve_as_of


def register(sub) -> None:
    p = sub.add_parser("era", help="insurance remittances (X12 835): import and match them to claims, then post")
    esub = p.add_subparsers(dest="era_command", required=True, metavar="ACTION")
    i = esub.add_parser("import", help="read 835 files and match each claim payment to the Claims sheet")
    i.add_argument("book", type=Path)
    i.add_argument("files", type=Path, nargs="+", metavar="FILE.835")
    i.add_argument("--as-of", type=console.iso_date)
    i.add_argument("--write", action="store_true", help="put the claims and lines on the Remittance sheet")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_import)
    o = esub.add_parser("post", help="post the Remittance rows marked Post = Yes: payments, write-offs, claim status")
    o.add_argument("book", type=Path)
    o.add_argument("--as-of", type=console.iso_date)
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=cmd_post)


def cmd_import(args: argparse.Namespace) -> int:
    from billing_addin.bank.x12_835 import RemittanceFileError, read_835

    def remittances():
        return [r for path in args.files for r in read_835(path)]

    def remittances_and_matches():
        read_files = remittances()
        return read_files, era_commands.match_remittances(book, read_files)

    book, stamp = read(args.book, for_write=args.write)
    try:
        with gc_paused():  # a big book's checks run in a forked process while the files are read and matched
            loaded, done = checked_beside(book, resolve_as_of(book, args.as_of), remittances_and_matches)
            read_files, matched = done or (remittances(), None)  # a small book: matched by the command
    except (RemittanceFileError, OSError) as e:
        console.err.print(f"billing: nothing imported: {e}", markup=False)
        return console.EXIT_UNREADABLE
    result = era_commands.import_era(loaded, read_files, user=audit_user(loaded), matched=matched)
    return finish(args, result, loaded, stamp, lambda: show_claims(result, args.book.name), write=args.write)


def show_claims(result, book_name: str) -> None:
    data = result.data
    for r in data["remittances"]:
        console.out.print(
            f"[bold]Remittance {r['trace']}[/bold] from {r['payer']}: {r['payment']} paid on {r['payment_date']}, "
            f"{r['claims']} claim(s)" + ("" if r["balances"] else " (does not balance)"),
            highlight=False,
        )
    for s in data["skipped"]:
        console.out.print(f"  {s['trace']}: not imported again, {s['why']}", markup=False)
    rows = [
        (
            x["claim_id"],
            x["matched_by"],
            x["status"],
            x["paid"],
            x["patient_responsibility"],
            x["write_off"],
            "; ".join(x["denial_codes"]),
            "Yes" if x["post"] else "No",
        )
        for x in data["claims"]
    ] + [(f"({x['payer_claim_id']})", "not found", "", x["paid"], None, None, "", "No") for x in data["unmatched"]]
    show_table(
        console.out,
        (
            Col("Claim"),
            text("Matched by"),
            Col("Status after"),
            money("Paid"),
            money("Patient owes"),
            money("Write-off"),
            Col("Denial codes"),
            Col("Post"),
        ),
        rows,
    )
    groups = sorted({a["group"] for x in data["claims"] for a in x["adjustments"]})
    for g in groups:  # our own words for the group codes (X12's reason code texts are never shipped)
        console.out.print(f"  {g}: {GROUPS.get(g, 'a group code this add-in does not know')}", markup=False)
    for p in data["provider_adjustments"]:
        console.out.print(f"  provider-level adjustment {p['what']}: {p['amount']} (listed, not posted)", markup=False)
    if result.findings:
        console.show_findings(result.findings, book_name, result.as_of)


def cmd_post(args: argparse.Namespace) -> int:
    book, stamp = read(args.book, for_write=True)
    as_of = resolve_as_of(book, args.as_of)
    with gc_paused():  # a big book's checks run in a forked process while the posting is worked out here
        loaded, prepared = checked_beside(book, as_of, lambda: era_commands.prepare_posting(book, as_of))
        result = era_commands.post_era(loaded, user=audit_user(loaded), prepared=prepared)
    lines = [f"claim {x['claim_id']}: {x['status']}, {x['what']}" for x in result.data.get("posted", [])]
    lines += [f"Remittance row {x['row']}: not posted: {x['reason']}" for x in result.data.get("not_posted", [])]
    return finish_posting(args, result, loaded, stamp, lines)
