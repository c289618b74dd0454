"""`billing refresh`, `fees`, `dunning` and `statement`: the figures, as tables or JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from billing_addin import commands
from billing_addin.cli import console
from billing_addin.cli.memory import gc_paused, keep_until_exit
from billing_addin.cli.parallel_refresh import parts_for, refresh_in_parts
from billing_addin.cli.tables import Col, money, show_table, text
from billing_addin.cli.workbook_files import audit_user, load, read, write_patch
from billing_addin.core.held_back import cause as held_back_cause
from billing_addin.loader import check_book, resolve_as_of


def register(sub) -> None:
    iso_date = console.iso_date
    r = sub.add_parser("refresh", help="balances, aging, fees and dunning preview; --write puts them in the book")
    r.add_argument("book", type=Path)
    r.add_argument("--as-of", type=iso_date)
    r.add_argument("--write", action="store_true", help="write the Balances, Aging, Dunning and Dashboard sheets")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_refresh)

    f = sub.add_parser("fees", help="late fees and interest accrued per invoice; --post adds them to Adjustments")
    f.add_argument("book", type=Path)
    f.add_argument("--as-of", type=iso_date)
    f.add_argument("--post", action="store_true", help="append what is not yet charged as Late Fee adjustments")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_fees)

    g = sub.add_parser("dunning", help="who would get which reminder letter and why, and who is skipped")
    g.add_argument("book", type=Path)
    g.add_argument("--as-of", type=iso_date)
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_dunning)

    t = sub.add_parser("statement", help="statement of account for one customer and period")
    t.add_argument("book", type=Path)
    t.add_argument("customer_id")
    t.add_argument("--from", dest="start", type=iso_date, required=True)
    t.add_argument("--to", dest="end", type=iso_date, required=True)
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_statement)


def cmd_refresh(args: argparse.Namespace) -> int:
    book, stamp = read(args.book, for_write=args.write)
    as_of = resolve_as_of(book, args.as_of)
    with gc_paused():
        # A preview of a big book is made in parts, one process per core, while this one runs the checks.
        result = None if args.write else refresh_in_parts(book, as_of, parts_for(book))
        if result is None:
            loaded = check_book(book, as_of)
            result = commands.refresh(loaded, user=audit_user(book), sheets=args.write)
    keep_until_exit(result)
    if result.data.get("stopped"):
        return console.show_stopped(args, result)
    if args.json:
        console.print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_portfolio(result.data)
        if result.findings:
            console.show_findings(result.findings, args.book.name, as_of)
    if args.write and not write_patch(args.book, result, book, stamp):
        return console.EXIT_NOT_WRITTEN
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def show_portfolio(data: dict) -> None:
    console.out.print(f"[bold]Receivables as of {data['as_of']}[/bold]")
    for cur, p in data["portfolio"].items():
        show_table(
            console.out,
            [money(col) for col in ("Receivables", "Credit", "Balance", "Overdue", *p["buckets"], "DSO")],
            [
                (
                    p["receivables"],
                    p["unapplied_credit"],
                    p["balance"],
                    p["overdue"],
                    *p["buckets"].values(),
                    p["dso_days"] or "-",
                )
            ],
            title=cur,
        )
    letters = data["dunning"]["letters"]
    fees = [f for f in data["fees"] if f["to_post"] != 0]
    console.out.print(
        f"{len(data['customers'])} customer accounts; {len(fees)} invoices with fees not yet posted; "
        f"{len(letters)} dunning letters due ({len(data['dunning']['skipped'])} customers skipped)."
    )


def cmd_fees(args: argparse.Namespace) -> int:
    loaded, stamp = load(args.book, args.as_of, for_write=args.post)
    as_of = loaded.as_of
    with gc_paused():
        result = commands.fees(loaded, post=args.post, user=audit_user(loaded))
    if result.data.get("stopped"):
        return console.show_stopped(args, result)
    if args.json:
        console.print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        held = {(h["customer_id"], h["invoice_no"]) for h in result.data.get("held_back", [])}
        columns = [Col("Invoice"), Col("Customer"), text("Policy")]
        columns += [money(col) for col in ("Interest", "Fixed", "Charged", "To post")]
        rows = [
            [
                fee["invoice_no"],
                fee["customer_id"],
                fee["policy"],
                fee["interest"],
                fee["fixed"],
                fee["charged"],
                fee["to_post"],
                "held back" if (fee["customer_id"], fee["invoice_no"]) in held else "",
            ]
            for fee in result.data["fees"]
        ]
        if held:  # a column of its own, so that the amount to post stays a bare number
            columns.append(Col("Note"))
        show_table(console.out, columns, [r[: len(columns)] for r in rows], title=f"Late fees accrued as of {as_of}")
        if result.findings:
            console.show_findings(result.findings, args.book.name, as_of)
        console.show_held_back(result.data.get("held_back", []))
    if args.post:
        if result.errors and not result.patch.appends:
            return console.EXIT_ERRORS
        if result.patch.appends and not write_patch(args.book, result, loaded, stamp):
            return console.EXIT_NOT_WRITTEN
        console.err.print(
            f"Posted {result.counts.get('posted', 0)} late fee(s) to the Adjustments sheet.", markup=False
        )
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def cmd_dunning(args: argparse.Namespace) -> int:
    loaded, _ = load(args.book, args.as_of)
    as_of = loaded.as_of
    with gc_paused():
        result = commands.dunning(loaded)
    if result.data.get("stopped"):
        return console.show_stopped(args, result)
    if args.json:
        console.print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
        return console.EXIT_ERRORS if result.errors else console.EXIT_OK
    show_table(
        console.out,
        (Col("Customer"), Col("Level"), Col("Letter"), text("Invoices"), money("Overdue"), text("Why")),
        [
            (
                d["customer_id"],
                str(d["level"]),
                d["letter_template"],
                ", ".join(d["invoices"]),
                d["overdue"],
                d["reason"] + (f" HELD BACK: {held_back_cause(d['held_back'])}" if d.get("held_back") else ""),
            )
            for d in result.data["letters"]
        ],
        title=f"Dunning as of {as_of}",
    )
    show_table(
        console.out,
        (Col("Customer"), text("Why")),
        [(k["customer_id"], k["reason"]) for k in result.data["skipped"]],
        title="Skipped",
    )
    if result.findings:
        console.show_findings(result.findings, args.book.name, as_of)
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def cmd_statement(args: argparse.Namespace) -> int:
    loaded, _ = load(args.book, args.end)
    try:
        result = commands.statement(loaded, args.customer_id, args.start, args.end)
    except KeyError:
        console.err.print(
            f"billing: customer {args.customer_id} has no invoices, payments or adjustments up to {args.end}.",
            markup=False,
        )
        return console.EXIT_ERRORS
    except ValueError as e:
        console.err.print(f"billing: {e}", markup=False)
        return console.EXIT_UNREADABLE
    if result.data.get("stopped"):
        return console.show_stopped(args, result)
    if args.json:
        console.print_json(result.data)
        return console.EXIT_OK
    for s in result.data["statements"]:
        columns = (
            Col("Date"),
            text("Type"),
            Col("Reference"),
            Col("Invoice"),
            Col("Due"),
            money("Charge"),
            money("Credit"),
            money("Balance"),
        )
        rows = [("", "Opening balance", "", "", "", "", "", s["opening_balance"])]
        rows += [
            (
                ln["date"],
                ln["kind"] + (" (disputed)" if ln.get("disputed") else ""),
                ln["reference"],
                ln["invoice_no"],
                ln.get("due_date") or "",
                "" if ln["charge"] == 0 else ln["charge"],
                "" if ln["credit"] == 0 else ln["credit"],
                ln["balance"],
            )
            for ln in s["lines"]
        ]
        rows.append(("", "Closing balance", "", "", "", "", "", s["closing_balance"]))
        title = f"Statement for {result.data['customer_id']} ({s['currency']}), {result.data['from']} to {result.data['to']}"
        show_table(console.out, columns, rows, title=title)
        console.out.print("Aging: " + ", ".join(f"{k} {v}" for k, v in s["aging"].items()), markup=False)
        plans = "".join(
            f"; plan {p['plan_id']}: {p['amount_due']} due now"
            + (f", next {p['next_amount']} on {p['next_due']}" if p["next_due"] else "")
            for p in s["payment_plans"]
        )
        console.out.print(f"Amount due: {s['amount_due']}{plans}", markup=False)
    return console.EXIT_OK
