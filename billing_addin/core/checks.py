"""Validation checks. Each is a small function (book, as_of) -> list[Finding]; CHECKS lists them all, and
the configuration sheets' findings come from parsing them (core/config.py).

Every check looks at every row it can, whatever other checks found, and names the exact cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies

from billing_addin.core.book import Book
from billing_addin.core.book_index import column_of
from billing_addin.core.claim_checks import check_claims
from billing_addin.core.config import Config, read_config
from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.ledger import build_ledger, parse_buckets
from billing_addin.core.money import format_cents
from billing_addin.core.plans import check_plan_rows, plan_terms, plans_as_of
from billing_addin.core.schema import (
    ADJUSTMENTS,
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    SETTINGS,
    Kind,
)
from billing_addin.core.sheet_checks import (
    check_amounts,
    check_cell_types,
    check_columns,
    check_duplicate_keys,
    check_required,
    check_structure,
    present,
    values,
)

Check = Callable[[Book, dt.date], list[Finding]]

ISO_CURRENCIES = frozenset(list_currencies())
EARLIEST_PLAUSIBLE = dt.date(2000, 1, 1)
EMAIL = re.compile(r"^[^@\s;,<>()\"]+@[^@\s;,<>()\"]+\.[A-Za-z]{2,}$")


def check_unknown_customers(book: Book, as_of: dt.date) -> list[Finding]:
    """An invoice, payment or adjustment whose Customer ID is not on the Customers sheet."""
    if book.sheet(CUSTOMERS.name) is None or not book.sheet(CUSTOMERS.name).has("Customer ID"):
        return []  # reported as a missing sheet or column already
    known = book.index.customers
    out = []
    for spec in (INVOICES, PAYMENTS, ADJUSTMENTS):
        sd = book.sheet(spec.name)
        unknown = {c for c in set(column_of(sd, "Customer ID")) if c is not None and c not in known}
        if not unknown:
            continue
        for row, cid in values(sd, "Customer ID"):
            if cid in unknown:
                out.append(
                    error(
                        "unknown-customer",
                        sd.title,
                        sd.cell("Customer ID", row),
                        f"Customer ID {cid} is not on the Customers sheet.",
                        "Correct the Customer ID, or add the customer to the Customers sheet.",
                    )
                )
    return out


def same_id(a: str, b: str) -> bool:
    return a == b or a.casefold() == b.casefold()


def check_invoice_references(book: Book, as_of: dt.date) -> list[Finding]:
    """Applied To (payments) or Invoice No (adjustments) naming an unknown invoice or another customer's."""
    if book.sheet(INVOICES.name) is None or not book.sheet(INVOICES.name).has("Invoice No"):
        return []
    out = []
    for spec, col in ((PAYMENTS, "Applied To"), (ADJUSTMENTS, "Invoice No")):
        sd = book.sheet(spec.name)
        if sd is None or not sd.has(col):
            continue
        named = book.index.invoices_named(sd, col)
        for row, no, cid, inv in zip(sd.rows, sd.columns[col], column_of(sd, "Customer ID"), named):
            if no is None:
                continue
            if inv is None:
                out.append(
                    error(
                        "unknown-invoice",
                        sd.title,
                        sd.cell(col, row),
                        f"{sd.headers[col]} names invoice {no}, which is not on the Invoices sheet.",
                        "Correct the invoice number, or leave it blank to apply to the oldest open invoices first."
                        if spec is PAYMENTS
                        else "Correct the invoice number, or leave it blank for the customer's account.",
                    )
                )
            elif cid is not None and not same_id(cid, inv[1]):
                out.append(
                    error(
                        "invoice-of-other-customer",
                        sd.title,
                        sd.cell(col, row),
                        f"Invoice {no} belongs to customer {inv[1]}, not {cid}.",
                        "Correct the Customer ID or the invoice number so that they match.",
                    )
                )
    return out


def check_due_dates(book: Book, as_of: dt.date) -> list[Finding]:
    """A due date before its invoice date."""
    sd = book.sheet(INVOICES.name)
    out = []
    for row, due, inv_date in zip(sd.rows, column_of(sd, "Due Date"), column_of(sd, "Invoice Date")) if sd else ():
        if due is not None and inv_date is not None and due < inv_date:
            out.append(
                error(
                    "due-before-invoice-date",
                    sd.title,
                    sd.cell("Due Date", row),
                    f"Due date {due} is before the invoice date {inv_date}.",
                    "Correct the due date, or leave it blank to use the customer's payment terms.",
                )
            )
    return out


def today() -> dt.date:
    """Today's real date: what a date typed in the future is measured against (the as-of date may be any day,
    and month-end runs after the fact are normal)."""
    return dt.date.today()


def check_payment_dates(book: Book, as_of: dt.date) -> list[Finding]:
    """A payment dated after today (money cannot have arrived yet), or before the invoice it is applied to.
    One dated after the as-of date but not after today is simply not counted as of that date (check_later_rows)."""
    sd = book.sheet(PAYMENTS.name)
    out = []
    now = today()
    late = max(present(sd, "Payment Date"), default=None)
    for row, paid in values(sd, "Payment Date") if late is not None and late > now else ():
        if paid > now:
            out.append(
                error(
                    "payment-in-future",
                    sd.title,
                    sd.cell("Payment Date", row),
                    f"Payment date {paid} is after today ({now}).",
                    "Correct the date; record a payment only once the money has arrived.",
                )
            )
    if sd is None or not sd.has("Applied To") or not sd.has("Payment Date"):
        return out
    named = book.index.invoices_named(sd, "Applied To")
    for row, no, paid, inv in zip(sd.rows, sd.columns["Applied To"], sd.columns["Payment Date"], named):
        if inv is not None and paid is not None and inv[2] is not None and paid < inv[2]:
            out.append(
                warning(
                    "payment-before-invoice",
                    sd.title,
                    sd.cell("Payment Date", row),
                    f"Payment date {paid} is before invoice {no} was issued ({inv[2]}).",
                    "Check the payment date and the Applied To invoice; a deposit paid in "
                    "advance is fine and can stay.",
                )
            )
    return out


def check_overapplied(book: Book, as_of: dt.date) -> list[Finding]:
    """Payments applied to one invoice beyond its amount (the excess becomes a credit)."""
    pay = book.sheet(PAYMENTS.name)
    if pay is None or not pay.has("Applied To"):
        return []
    named = book.index.invoices_named(pay, "Applied To")
    applied: dict[int, int] = defaultdict(int)  # invoice's Excel row -> cents applied so far
    out = []
    for row, no, cents, inv in zip(pay.rows, pay.columns["Applied To"], column_of(pay, "Amount"), named):
        if inv is None or cents is None or inv[3] is None:
            continue
        before = applied[inv[0]]
        applied[inv[0]] = now = before + cents
        if now > inv[3] >= before:
            out.append(
                warning(
                    "overapplied",
                    pay.title,
                    pay.cell("Applied To", row),
                    f"Payments applied to invoice {no} come to {format_cents(now)}, "
                    f"{format_cents(now - inv[3])} more than its amount {format_cents(inv[3])}.",
                    "Check the amount and Applied To; if it is right, the excess becomes a "
                    "credit on the customer's account.",
                )
            )
    return out


def check_currencies(book: Book, as_of: dt.date) -> list[Finding]:
    """Currency not an ISO 4217 code; a payment in another currency than the invoice it pays."""
    out = []
    for sd in book.sheets.values():
        for row, code in values(sd, "Currency"):
            if code not in ISO_CURRENCIES:
                out.append(
                    error(
                        "bad-currency",
                        sd.title,
                        sd.cell("Currency", row),
                        f"Currency {code!r} is not an ISO 4217 code.",
                        "Use a three-letter code such as USD, EUR or GBP, or leave it blank for the default currency.",
                    )
                )
    pay = book.sheet(PAYMENTS.name)
    if book.sheet(INVOICES.name) is None or pay is None or not pay.has("Applied To"):
        return out
    by_customer, default = book.index.currencies
    named = book.index.invoices_named(pay, "Applied To")
    for row, no, cur, cid, inv in zip(
        pay.rows, pay.columns["Applied To"], column_of(pay, "Currency"), column_of(pay, "Customer ID"), named
    ):
        if inv is None:
            continue
        got = cur or (by_customer.get(cid) if cid is not None else None) or default
        if got != inv[4]:
            cell = pay.cell("Currency", row) if pay.has("Currency") else pay.cell("Applied To", row)
            out.append(
                error(
                    "currency-mismatch",
                    pay.title,
                    cell,
                    f"The payment is in {got} but invoice {no} is in {inv[4]}.",
                    "Record the payment in the invoice's currency, or correct Applied To.",
                )
            )
    return out


def check_emails(book: Book, as_of: dt.date) -> list[Finding]:
    """A malformed e-mail address (several may be separated by ; or ,)."""
    sd = book.sheet(CUSTOMERS.name)
    out = []
    for row, text in values(sd, "Email"):
        parts = [p.strip() for p in re.split(r"[;,]", str(text)) if p.strip()]
        bad = [p for p in parts if not EMAIL.match(p)]
        if bad or not parts:
            out.append(
                error(
                    "bad-email",
                    sd.title,
                    sd.cell("Email", row),
                    f"{bad[0] if bad else text!r} is not a valid e-mail address.",
                    "Type an address such as accounts@example.com; separate several with ';'.",
                )
            )
    return out


def check_duplicate_payments(book: Book, as_of: dt.date) -> list[Finding]:
    """Two payments with the same customer, date, amount and reference: probably entered twice."""
    sd = book.sheet(PAYMENTS.name)
    if sd is None:
        return []
    cols = [sd.columns[c] for c in ("Customer ID", "Payment Date", "Amount", "Reference") if c in sd.columns]
    if len(cols) < 4:
        return []
    first: dict[tuple, int] = {}
    out = []
    complete = [k for k in zip(*cols) if None not in k]
    if len(set(complete)) == len(complete):
        return []  # nothing repeats exactly; the row-by-row pass below would find nothing
    for row, *key in zip(sd.rows, *cols):
        if any(k is None for k in key):
            continue
        k = tuple(key)
        if k in first:
            out.append(
                warning(
                    "likely-duplicate-payment",
                    sd.title,
                    sd.cell("Amount", row),
                    f"This payment has the same customer, date, amount and reference as row {first[k]}.",
                    "If it was entered twice, delete one row; if both are real, give them different references.",
                )
            )
        else:
            first[k] = row
    return out


# The date column of each row sheet that says from when a row counts.
_DATED_BY = {INVOICES.name: ("Invoice Date", "invoice"), PAYMENTS.name: ("Payment Date", "payment")}
_DATED_BY[ADJUSTMENTS.name] = ("Date", "adjustment")


def check_later_rows(book: Book, as_of: dt.date) -> list[Finding]:
    """Rows dated after the as-of date are not in effect for figures as of that date: said once per sheet, with
    how many and the first one's cell (a month-end run made after the fact leaves out what came since)."""
    out = []
    for name, (column, what) in _DATED_BY.items():
        sd = book.sheet(name)
        if max(present(sd, column), default=as_of) <= as_of:
            continue
        later = [row for row, d in values(sd, column) if d > as_of]
        out.append(
            warning(
                "rows-after-as-of",
                sd.title,
                sd.cell(column, later[0]),
                f"{len(later)} {what}(s) dated after {as_of} are left out of figures as of {as_of} "
                f"(the first in row {later[0]}).",
                "Nothing to fix for a run as of an earlier date; use a later as-of date to count them.",
            )
        )
    return out


def check_implausible_dates(book: Book, as_of: dt.date) -> list[Finding]:
    """Dates before 2000 or more than five years after today or the as-of date, whichever is later (2205
    typed for 2025). Today's date, not only the as-of date: a run as of a past month end must not take the
    reference rates published since for typing mistakes."""
    since = max(as_of, today())
    latest = _add_years(since, 5)
    out = []
    for sd in book.sheets.values():
        if sd is None:
            continue
        for f in sd.spec.fields:
            dates = present(sd, f.name)
            if f.kind is not Kind.DATE or not dates or EARLIEST_PLAUSIBLE <= min(dates) <= max(dates) <= latest:
                continue
            for row, d in values(sd, f.name):
                if d > latest:
                    out.append(
                        error(
                            "implausible-date",
                            sd.title,
                            sd.cell(f.name, row),
                            f"{sd.headers[f.name]} {d} is more than five years after {since}.",
                            "Check the year for a typing mistake (e.g. 2205 for 2025).",
                        )
                    )
                elif d < EARLIEST_PLAUSIBLE:
                    out.append(
                        warning(
                            "implausible-date",
                            sd.title,
                            sd.cell(f.name, row),
                            f"{sd.headers[f.name]} {d} is before the year 2000.",
                            "Check the year for a typing mistake (e.g. 1925 for 2025).",
                        )
                    )
    return out


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def check_customer_terms(book: Book, as_of: dt.date) -> list[Finding]:
    """Negative payment terms."""
    sd = book.sheet(CUSTOMERS.name)
    return [
        error(
            "bad-terms",
            sd.title,
            sd.cell("Payment Terms", row),
            f"Payment terms of {days} days cannot be negative.",
            "Type the number of days to pay, e.g. 30.",
        )
        for row, days in values(sd, "Payment Terms")
        if days < 0
    ]


def check_settings(book: Book, as_of: dt.date) -> list[Finding]:
    """Missing or invalid settings."""
    s = book.settings
    if s.sheet_title is None:
        return []  # reported as a missing sheet
    out = [error(code, s.sheet_title, cell, msg, hint) for _, cell, code, msg, hint in s.problems]
    for spec in SETTINGS:
        v = s.values.get(spec.name)
        cell = s.cells.get(spec.name, "")
        if spec.required and v is None:
            where = f"the value beside it ({cell})" if cell else "a row with that name in the Setting column"
            out.append(
                error(
                    "setting-missing",
                    s.sheet_title,
                    cell or "A1",
                    f"Setting {spec.name} is missing.",
                    f"Add {where}: {spec.description}",
                )
            )
        elif spec.kind is Kind.CURRENCY and v is not None and v not in ISO_CURRENCIES:
            out.append(
                error(
                    "setting-invalid",
                    s.sheet_title,
                    cell,
                    f"{spec.name} {v!r} is not an ISO 4217 code.",
                    "Use a three-letter code such as USD, EUR or GBP.",
                )
            )
        elif spec.kind is Kind.EMAIL and v is not None and not EMAIL.match(str(v)):
            out.append(
                error(
                    "setting-invalid",
                    s.sheet_title,
                    cell,
                    f"{spec.name} {v!r} is not an e-mail address.",
                    "Type an address such as billing@example.com.",
                )
            )
        elif spec.kind is Kind.INTEGER and v is not None and v < 0:
            out.append(
                error(
                    "setting-invalid",
                    s.sheet_title,
                    cell,
                    f"{spec.name} cannot be negative.",
                    "Type a number of 0 or more.",
                )
            )
    buckets = s.values.get("Aging Buckets")
    if buckets:
        try:
            parse_buckets(buckets)
        except ValueError as e:
            out.append(
                error(
                    "setting-invalid",
                    s.sheet_title,
                    s.cells.get("Aging Buckets", ""),
                    f"Aging Buckets: {e}.",
                    "Type increasing day counts separated by commas, e.g. 30, 60, 90.",
                )
            )
    locale = s.values.get("Locale")
    if locale:
        try:
            Locale.parse(str(locale).replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            out.append(
                error(
                    "setting-invalid",
                    s.sheet_title,
                    s.cells.get("Locale", ""),
                    f"Locale {locale!r} is not a known language and country.",
                    "Use a code such as en_US, en_GB, de_DE or fr_FR.",
                )
            )
    return out


def check_payment_plans(book: Book, as_of: dt.date) -> list[Finding]:
    """Payment plans for an unknown customer or invoice, two live plans on one invoice, Custom dates out of
    order, installments that do not add up to what is owed; promises dated before their invoice, and promises
    broken. The ledger is built only when the book has plans or promises."""
    terms, row_findings = plan_terms(book)
    out = check_plan_rows(book, terms)
    inv = book.sheet(INVOICES.name)
    promised = inv is not None and any(v is not None for v in inv.columns.get("Promise To Pay", ()))
    if not terms and not promised:
        return row_findings + out
    return out + plans_as_of(book, build_ledger(book, as_of)).findings


CHECKS: tuple[Check, ...] = (
    check_structure,
    check_columns,
    check_cell_types,
    check_required,
    check_amounts,
    check_duplicate_keys,
    check_unknown_customers,
    check_invoice_references,
    check_due_dates,
    check_payment_dates,
    check_later_rows,
    check_overapplied,
    check_currencies,
    check_emails,
    check_duplicate_payments,
    check_implausible_dates,
    check_customer_terms,
    check_settings,
    check_payment_plans,
    check_claims,
)


def run_checks(book: Book, as_of: dt.date, config: Config | None = None) -> list[Finding]:
    """Every check over the whole book, then what parsing the configuration sheets found (`config`, parsed
    here when not given). A check that fails on input it did not expect is reported, never raised, so one
    bad cell cannot hide the rest."""
    out: list[Finding] = []
    for check in CHECKS:
        try:
            out.extend(check(book, as_of))
        except Exception as e:  # a defect in a check must not hide the other findings from the user
            out.append(
                error(
                    "internal-check-failure",
                    "",
                    "",
                    f"Check {check.__name__} failed: {type(e).__name__}.",
                    "Please report this with the workbook's structure (not its data).",
                )
            )
    out.extend((config or read_config(book)).findings)
    return out
