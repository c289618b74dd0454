"""`billing plans BOOK` (every plan's state; --write puts the PlanSchedule sheet in the book) and
`billing plans propose BOOK CUSTOMER_ID` (a schedule to show the customer; --add puts it on PaymentPlans)."""

from __future__ import annotations

import argparse
from pathlib import Path

from billing_addin.cli import console
from billing_addin.cli.memory import gc_paused
from billing_addin.cli.tables import Col, money, show_table, text
from billing_addin.cli.workbook_files import audit_user, load, write_patch
from billing_addin.commands import plans as plan_commands
from billing_addin.core.cell_values import parse_money_text

USAGE = (
    "billing plans BOOK [--as-of D] [--write] [--json]\n"
    "       billing plans propose BOOK CUSTOMER_ID --installments N [--frequency monthly] [--down X] [--start D] "
    "[--add] [--json]"
)


def register(sub) -> None:
    p = sub.add_parser(
        "plans",
        help="payment plans: each plan's state, next installment and misses; `plans propose` makes a schedule",
        usage=USAGE,
    )
    p.add_argument("words", nargs="+", metavar="BOOK | propose BOOK CUSTOMER_ID")
    p.add_argument("--as-of", type=console.iso_date)
    p.add_argument("--write", action="store_true", help="write the PlanSchedule sheet into the book")
    p.add_argument("--json", action="store_true")
    p.add_argument("--installments", type=int, help="propose: how many installments after the down payment")
    p.add_argument("--frequency", default="monthly", help="propose: weekly, every-2-weeks or monthly")
    p.add_argument("--down", type=_amount, default=0, help="propose: a down payment due on the start date")
    p.add_argument("--start", type=console.iso_date, help="propose: the first day (default: the as-of date)")
    p.add_argument("--add", action="store_true", help="propose: append the plan to PaymentPlans as Proposed")
    p.set_defaults(func=cmd_plans)


def _amount(text: str) -> int:
    cents = parse_money_text(text)
    if cents is None or cents < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount; type a number such as 250 or 250.00")
    return cents


def cmd_plans(args: argparse.Namespace) -> int:
    words = args.words
    if words[0] == "propose":
        if len(words) != 3 or args.installments is None:
            console.err.print(f"usage: {USAGE.splitlines()[1].strip()}", markup=False)
            return console.EXIT_UNREADABLE
        return propose(args, Path(words[1]), words[2])
    if len(words) != 1:
        console.err.print(f"usage: {USAGE}", markup=False)
        return console.EXIT_UNREADABLE
    args.book = Path(words[0])
    loaded, stamp = load(args.book, args.as_of, for_write=args.write)
    with gc_paused():
        result = plan_commands.plans(loaded, user=audit_user(loaded))
    if result.data.get("stopped"):
        return console.show_stopped(args, result)
    if args.json:
        console.print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_plans(result)
    if args.write and not write_patch(args.book, result, loaded, stamp):
        return console.EXIT_NOT_WRITTEN
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def show_plans(result) -> None:
    data = result.data
    show_table(
        console.out,
        (
            Col("Plan"),
            Col("Customer"),
            Col("Status"),
            Col("Next due"),
            money("Next amount"),
            Col("Misses"),
            money("Paid"),
            money("Planned"),
            text("Why"),
        ),
        [
            (
                p["plan_id"],
                p["customer_id"],
                p["status"],
                p["next_due"] or "",
                p["next_amount"] if p["next_amount"] is not None else "",
                str(p["misses"]),
                p["paid"],
                p["amount_planned"],
                p["reason"],
            )
            for p in data["plans"]
        ],
        title=f"Payment plans as of {data['as_of']}",
    )
    if data["promises"]:
        show_table(
            console.out,
            (Col("Invoice"), Col("Customer"), Col("Promised by"), money("Amount"), Col("State"), Col("Cell")),
            [
                (p["invoice_no"], p["customer_id"], p["date"], p["amount"] or "in full", p["state"], p["cell"])
                for p in data["promises"]
            ],
            title="Promises to pay",
        )
    if result.findings:
        console.show_findings(result.findings, "PaymentPlans", result.as_of)


def propose(args: argparse.Namespace, book_path: Path, customer_id: str) -> int:
    args.book = book_path
    loaded, stamp = load(book_path, args.as_of, for_write=args.add)
    try:
        result = plan_commands.propose(
            loaded,
            customer_id,
            installments=args.installments,
            frequency=args.frequency,
            down_payment=args.down,
            start=args.start,
            add=args.add,
        )
    except KeyError:
        console.err.print(f"billing: customer {customer_id} has no invoices up to {loaded.as_of}.", markup=False)
        return console.EXIT_ERRORS
    except ValueError as e:
        console.err.print(f"billing: {e}", markup=False)
        return console.EXIT_UNREADABLE
    if result.data.get("stopped") or result.errors and not result.data.get("installments"):
        if args.json:
            console.print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
        else:
            console.show_findings(result.findings, book_path.name, result.as_of)
        return console.EXIT_ERRORS
    data = result.data
    if args.json:
        console.print_json({**data, "findings": [f.as_dict() for f in result.findings]})
    else:
        console.out.print(
            f"[bold]Proposed plan for {data['customer_id']}[/bold]: {data['amount_planned']} {data['currency']}, "
            f"{data['frequency'].lower()} from {data['start']}"
        )
        show_table(
            console.out,
            (Col("#"), Col("Due"), money("Amount")),
            [("down" if i["number"] == 0 else str(i["number"]), i["due"], i["amount"]) for i in data["installments"]],
        )
    if args.add:
        if not result.patch.appends:
            console.show_findings(result.findings, book_path.name, result.as_of)
            return console.EXIT_ERRORS
        if not write_patch(book_path, result, loaded, stamp):
            return console.EXIT_NOT_WRITTEN
        console.err.print(f"Added plan {data['plan_id']} to PaymentPlans as Proposed.", markup=False)
    return console.EXIT_OK
