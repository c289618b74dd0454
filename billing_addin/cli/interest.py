"""`billing interest`: statutory late-payment interest on one invoice, from the command line.

A thin shell over `statutory.statutory_interest`: read the arguments, call, print a sentence or JSON.
Every bad input is one line on stderr starting "billing:" and exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

from billing_addin.core.cell_values import parse_money_text
from billing_addin.core.money import cents_to_decimal
from billing_addin.core.statutory import (
    RATE_NAME,
    SOURCED_RATES,
    InterestResult,
    RateNotCovered,
    percent_text,
    statutory_interest,
    uk_reference_date,
)
from billing_addin.loader import load

EXIT_OK, EXIT_ERRORS, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """An argument that cannot be used; the message is one line for the user."""


def add_interest_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `interest` subcommand to the `billing` parser's subparsers."""
    p = subparsers.add_parser(
        "interest",
        help="statutory late-payment interest and fixed compensation on one invoice (EU or UK law)",
        description="Interest = amount x (reference rate + 8) x days late / 365, days late counted from the "
        "day after the due date up to the payment date, plus the fixed compensation the law gives.",
    )
    p.add_argument(
        "--regime", required=True, metavar="EU|UK", help="EU: Directive 2011/7/EU; UK: Late Payment Act 1998"
    )
    p.add_argument("--amount", required=True, help="the unpaid invoice amount, e.g. 10000 or 10,000.00")
    p.add_argument("--due", required=True, metavar="YYYY-MM-DD", help="the date payment was due")
    p.add_argument("--paid", required=True, metavar="YYYY-MM-DD", help="the date it was paid (or today)")
    p.add_argument(
        "--reference-rate",
        metavar="PERCENT",
        help="the central bank rate to use for every day, in percent (overrides the rate table)",
    )
    p.add_argument("--margin", default="8", metavar="POINTS", help="points over the reference rate (at least 8)")
    p.add_argument("--book", type=Path, help="a billing workbook whose RateTable sheet adds to the built-in rates")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence")
    p.set_defaults(func=cmd_interest)
    p.error = _argument_error  # one line, not argparse's usage block
    return p


def _argument_error(message: str) -> NoReturn:
    print(f"billing: interest: {message} (see billing interest --help)", file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


def cmd_interest(args: argparse.Namespace) -> int:
    try:
        regime = _regime(args.regime)
        cents = _amount(args.amount)
        due, paid = _date(args.due, "--due"), _date(args.paid, "--paid")
        given = None if args.reference_rate is None else _percent(args.reference_rate, "--reference-rate")
        margin = _percent(args.margin, "--margin")
        if margin < 8:
            raise BadInput(f"--margin must be at least 8 points (the law's minimum), not {args.margin}")
        rates = SOURCED_RATES
        if args.book is not None:
            rates = _book_rates(args.book, paid)
            if rates is None:
                return EXIT_ERRORS
        result = statutory_interest(regime, cents, due, paid, rates=rates, reference_rate=given, margin=margin)
    except (BadInput, RateNotCovered, ValueError) as e:
        print(f"billing: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
    else:
        print(statement(result, given is not None))
    return EXIT_OK


def _book_rates(path: Path, on: dt.date):
    """The book's rates over the sourced ones; None (after saying why) when the RateTable sheet has an error
    (a missing column, a rate out of range): interest from a table that could not be read would be a guess."""
    loaded = load(path, on)  # UnreadableWorkbook is reported by cli.app (exit 2)
    table = loaded.book.sheet("RateTable")
    title = (table.title if table is not None else "RateTable").casefold()
    errors = [f for f in loaded.errors if f.sheet.casefold() == title]
    rates, findings = loaded.config.rates, loaded.config.rate_findings
    for f in sorted({*errors, *findings}):
        print(f"billing: {f.severity}: {f.sheet}!{f.cell}: {f.message} {f.hint}", file=sys.stderr)
    if errors or any(f.severity == "error" for f in findings):
        print("billing: no interest computed: fix the RateTable sheet first.", file=sys.stderr)
        return None
    return rates


def _regime(text: str) -> str:
    regime = text.strip().upper()
    if regime not in ("EU", "UK"):
        raise BadInput(f"--regime must be EU or UK, not {text!r}")
    return regime


def _amount(text: str) -> int:
    cents = parse_money_text(text)
    if cents is None:
        raise BadInput(f"--amount {text!r} is not an amount; type a number such as 10000 or 10,000.00")
    if cents <= 0:
        raise BadInput(f"--amount must be more than zero, not {text!r}")
    return cents


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{flag} {text!r} is not a date in the form YYYY-MM-DD") from None


def _percent(text: str, flag: str) -> Decimal:
    s = text.strip().rstrip("%").strip()
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise BadInput(f"{flag} {text!r} is not a number; type a percent such as 3.15") from None
    highest = 25 if flag == "--reference-rate" else 100
    if not value.is_finite() or not 0 <= value <= highest:
        raise BadInput(f"{flag} {text!r} is outside 0 to {highest} percent")
    return value


def _money(currency: str, cents: int) -> str:
    return f"{currency} {cents_to_decimal(cents):,.2f}"


def statement(r: InterestResult, given: bool = False) -> str:
    """The result as a few plain sentences, e.g. for a letter or the terminal."""
    head = f"Invoice of {_money(r.currency, r.principal_cents)} due {r.due}, paid {r.paid}:"
    if r.days == 0:
        return f"{head} paid on time; no interest or compensation is due."
    margin = percent_text(r.margin).removesuffix(".00")
    name = "reference" if given else RATE_NAME[r.regime]
    parts = [f"{head} {r.days} day{'s' if r.days != 1 else ''} late."]
    if r.regime == "UK" and not given:
        on = uk_reference_date(r.due + dt.timedelta(days=1))
        parts.append(
            f"Interest at {percent_text(r.rate)}% ({name} {percent_text(r.reference_rate)}% on {on} + {margin}, "
            f"fixed for the life of the debt): {_money(r.currency, r.interest_cents)}."
        )
    elif len(r.segments) == 1:
        parts.append(
            f"Interest at {percent_text(r.rate)}% ({name} {percent_text(r.reference_rate)}% + {margin}): "
            f"{_money(r.currency, r.interest_cents)}."
        )
    else:
        pieces = " and ".join(
            f"{s.days} day{'s' if s.days != 1 else ''} from {s.start} to {s.end} at {percent_text(s.rate)}% "
            f"({name} {percent_text(s.rate - r.margin)}% + {margin})"
            for s in r.segments
        )
        parts.append(f"Interest for {pieces}: {_money(r.currency, r.interest_cents)}.")
    label = "Fixed compensation" if r.regime == "EU" else "Fixed sum"
    parts.append(f"{label} {_money(r.currency, r.fixed_sum_cents)}. Total {_money(r.currency, r.total_cents)}.")
    return " ".join(parts)
