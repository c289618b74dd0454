"""Which customers a validation error holds back, so that letters and late fees still go out for the rest.

One e-mail address typed without its @ should not stop three hundred reminders. An error on a row of
Customers, Invoices, Payments or Adjustments concerns that row's customer, and the customer of any invoice
the row names (a payment typed against another customer's invoice may be the other customer's money).
Everything else holds back everyone: an error on Settings, FeePolicies, RateTable or DunningLevels, a
missing column, or a row whose customer cannot be told (blank, or not on the Customers sheet: that money
may belong to anyone).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from billing_addin.core.book import Book, SheetData
from billing_addin.core.findings import ERROR, WARNING, Finding
from billing_addin.core.schema import (
    ADJUSTMENTS,
    CLAIMS,
    CUSTOMERS,
    INVOICES,
    PAYMENT_PLANS,
    PAYMENTS,
    PLAN_INSTALLMENTS,
)

# The column of each row sheet that names an invoice whose customer is concerned too.
_INVOICE_COLUMN = {
    CUSTOMERS.name: None,
    INVOICES.name: "Invoice No",
    PAYMENTS.name: "Applied To",
    ADJUSTMENTS.name: "Invoice No",
    PAYMENT_PLANS.name: None,  # a plan's row concerns its customer (and a plan for no known customer, no one)
    PLAN_INSTALLMENTS.name: None,  # a Custom plan's installment concerns the plan's customer
    CLAIMS.name: None,  # a claim concerns its patient (Patient Account)
}
_CUSTOMER_COLUMN = {CLAIMS.name: "Patient Account"}  # where a row sheet keeps its Customer ID, when not so named
_ROW_OF_CELL = re.compile(r"^[A-Z]{1,3}(\d+)$")
PREFIX = "held back: "  # how every reason begins, so that a list of skipped letters says why by itself


def cause(reason: str) -> str:
    """A reason without its "held back: " prefix, for a printer that says "held back" itself."""
    return reason[len(PREFIX) :] if reason.startswith(PREFIX) else reason


# Errors that leave no figure worth showing: a sheet or a column the figures are made from is not there, or
# could not be read as a whole. Balances made without the Payment Date column look right and are wrong for
# everyone, so every command that prints or writes figures stops on these; row-level errors only hold back
# the customers they concern.
STOPPING_CODES = frozenset(
    {"missing-sheet", "missing-column", "ambiguous-date-column", "mixed-date-order", "flag-column"}
)


def stopping_errors(findings: list[Finding]) -> list[Finding]:
    """The errors among `findings` that stop every figure (see STOPPING_CODES)."""
    return [f for f in findings if f.severity == ERROR and f.code in STOPPING_CODES]


@dataclass
class HeldBack:
    """Errors that hold back every customer, and the errors that hold back each one (by casefolded ID)."""

    everyone: list[Finding] = field(default_factory=list)
    customers: dict[str, list[Finding]] = field(default_factory=dict)

    def holds(self, customer_id: str) -> bool:
        return bool(self.everyone) or customer_id.casefold() in self.customers

    def reason(self, customer_id: str) -> str:
        """Why a customer is held back, naming the first of its cells to fix."""
        errors = self.customers.get(customer_id.casefold()) or self.everyone
        first = errors[0]
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        return f"{PREFIX}{first.sheet}!{first.cell} has an error{more} ({first.message}); fix it and run again"

    def reason_or_none(self, customer_id: str) -> str | None:
        """The reason a customer is held back, or None when nothing holds it back."""
        return self.reason(customer_id) if self.holds(customer_id) else None

    def nothing_goes_out(self, code: str, errors: list[Finding], what: str, hint: str, then: str = "") -> Finding:
        """The error that stops a whole batch (fees, letters) because an error concerns every customer.
        what: e.g. "Late fees were not posted"."""
        return Finding(
            ERROR,
            code,
            "",
            "",
            f"{what}: validation found {len(errors)} error(s), {len(self.everyone)} of them concerning every "
            f"customer (or a customer that cannot be told).{then}",
            hint,
        )


def split_held(held: HeldBack, items: list, customer_of) -> tuple[list, list]:
    """The policy every batch follows (fees to post, letters to make): the items of customers the errors do
    not concern go ahead; the others wait. Returns (going ahead, held back), each in the items' order."""
    kept, waiting = [], []
    for x in items:
        (waiting if held.holds(customer_of(x)) else kept).append(x)
    return kept, waiting


def held_back_warning(code: str, message: str, hint: str) -> Finding:
    """The warning that some customers' fees or letters were held back while the rest went ahead."""
    return Finding(WARNING, code, "", "", message, hint)


def held_back(book: Book, findings: list[Finding]) -> HeldBack:
    """Sort the errors among `findings` into those that hold back everyone and those that hold back
    the customers they concern."""
    out = HeldBack()
    errors = [f for f in findings if f.severity == ERROR]
    if not errors:  # the usual case: no need to index the row sheets
        return out
    sheets = _row_sheets(book)
    known = _known_customers(book)
    for f in errors:
        concerned = _customers_of(book, sheets, known, f)
        if concerned is None:
            out.everyone.append(f)
        for key in concerned or ():
            out.customers.setdefault(key, []).append(f)
    return out


def _row_sheets(book: Book) -> dict[str, tuple[SheetData, dict[int, int]]]:
    """Sheet title (casefolded) -> (its data, Excel row -> position), for the four row sheets."""
    out = {}
    for name in _INVOICE_COLUMN:
        sd = book.sheet(name)
        if sd is not None:
            out[sd.title.casefold()] = (sd, {row: i for i, row in enumerate(sd.rows)})
    return out


def _known_customers(book: Book) -> set[str]:
    sd = book.sheet(CUSTOMERS.name)
    ids = sd.columns.get("Customer ID", []) if sd is not None else []
    return {cid.casefold() for cid in ids if cid is not None}


def _customers_of(book: Book, sheets, known: set[str], f: Finding) -> set[str] | None:
    """The casefolded IDs of the customers an error concerns, or None for everyone."""
    found = sheets.get(f.sheet.casefold())
    match = _ROW_OF_CELL.match(f.cell)
    if found is None or match is None:
        return None
    sd, position = found
    i = position.get(int(match[1]))
    if i is None:  # the header row, or a row with no data: not one customer's
        return None
    if sd.spec.name == PLAN_INSTALLMENTS.name:
        return _plan_customer(book, _value(sd, "Plan ID", i), known)
    cid = _value(sd, _CUSTOMER_COLUMN.get(sd.spec.name, "Customer ID"), i)
    if sd.spec.name == PAYMENT_PLANS.name and (cid is None or cid.casefold() not in known):
        return set()  # a plan for no known customer changes no one's figures
    if cid is None or cid.casefold() not in known:
        return None
    concerned = {cid.casefold()}
    column = _INVOICE_COLUMN[sd.spec.name]
    no = _value(sd, column, i) if column else None
    if no is not None:
        concerned |= book.index.customers_of_invoice(no)
    return concerned


def _plan_customer(book: Book, plan_id: str | None, known: set[str]) -> set[str] | None:
    """The customer of a plan, for an error on one of its PlanInstallments rows (None: everyone, when the plan
    cannot be told)."""
    sd = book.sheet(PAYMENT_PLANS.name)
    if sd is None or plan_id is None:
        return None
    for pid, cid in zip(sd.columns.get("Plan ID", []), sd.columns.get("Customer ID", [])):
        if pid is not None and cid is not None and pid.casefold() == plan_id.casefold():
            return {cid.casefold()} if cid.casefold() in known else set()
    return None


def _value(sd: SheetData, name: str, i: int) -> str | None:
    column = sd.columns.get(name)
    return column[i] if column is not None else None


def paid_since(book: Book, as_of: dt.date, today: dt.date) -> dict[str, str]:
    """Customers (casefolded ID) who paid after `as_of` and by `today`, with the reason a letter as of `as_of`
    is held back for them: letters go out today, and one that asks for money paid since would be wrong."""
    sd = book.sheet(PAYMENTS.name)
    if sd is None or as_of >= today or not sd.has("Payment Date") or not sd.has("Customer ID"):
        return {}
    out: dict[str, str] = {}
    for row, cid, day in zip(sd.rows, sd.columns["Customer ID"], sd.columns["Payment Date"]):
        if cid is not None and day is not None and as_of < day <= today and cid.casefold() not in out:
            out[cid.casefold()] = (
                f"{PREFIX}paid since {as_of} ({sd.title}!{sd.cell('Payment Date', row)}, {day}); "
                "a letter as of that date would ask for money already paid: make it with a later as-of date"
            )
    return out
