"""Validation checks. Each is a small function (book, as_of) -> list[Finding]; CHECKS lists them all.

Every check looks at every row it can, whatever other checks found, and names the exact cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies

from billing_addin.core.book import Book, SheetData
from billing_addin.core.cell_values import DATE_ORDER_UNKNOWN
from billing_addin.core.column_report import lookalike, lookalike_text
from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.money import format_cents
from billing_addin.core.schema import (
    ADJUSTMENTS,
    CUSTOMERS,
    INPUT_SHEETS,
    INVOICES,
    PAYMENTS,
    SETTINGS,
    SETTINGS_SHEET,
    Kind,
)

Check = Callable[[Book, dt.date], list[Finding]]

ISO_CURRENCIES = frozenset(list_currencies())
EARLIEST_PLAUSIBLE = dt.date(2000, 1, 1)
EMAIL = re.compile(r"^[^@\s;,<>()\"]+@[^@\s;,<>()\"]+\.[A-Za-z]{2,}$")


def values(sd: SheetData | None, name: str) -> list[tuple[int, object]]:
    """(Excel row, value) for every non-blank value of a column that exists."""
    if sd is None or name not in sd.columns:
        return []
    return [(row, v) for row, v in zip(sd.rows, sd.columns[name]) if v is not None]


def present(sd: SheetData | None, name: str) -> list:
    """The non-blank values of a column (for quick whole-column tests such as min and max)."""
    if sd is None or name not in sd.columns:
        return []
    return [v for v in sd.columns[name] if v is not None]


def check_structure(book: Book, as_of: dt.date) -> list[Finding]:
    """A missing sheet or a missing required column."""
    out = []
    for spec in INPUT_SHEETS:
        sd = book.sheet(spec.name)
        if sd is None:
            if spec.when_missing is None:
                continue  # the add-in's defaults apply
            make = warning if spec.when_missing == "warning" else error
            cols = ", ".join(f.name for f in spec.fields[:6])
            out.append(
                make(
                    "missing-sheet",
                    spec.name,
                    "",
                    f"The workbook has no sheet named {spec.name}.",
                    f"Add a sheet named {spec.name} with the columns {cols}, ... "
                    "(`billing new` writes a template with every sheet).",
                )
            )
            continue
        next_free = sd.next_free
        for name in sd.missing:
            f = spec.field(name)
            if not f.required:
                continue
            also = f" (or one of: {', '.join(f.aliases[:4])})" if f.aliases else ""
            out.append(
                error(
                    "missing-column",
                    sd.title,
                    f"{next_free}{sd.header_row}",
                    f"Sheet {sd.title} has no {name} column.",
                    f"Add a column headed '{name}'{also} in the header row (row {sd.header_row}).",
                )
            )
    if book.settings.sheet_title is None:
        out.append(
            error(
                "missing-sheet",
                SETTINGS_SHEET,
                "",
                "The workbook has no Settings sheet.",
                "Add a sheet named Settings with two columns, Setting and Value, and a row for "
                "Company Name (`billing new` writes a template).",
            )
        )
    return out


def check_columns(book: Book, as_of: dt.date) -> list[Finding]:
    """A whole column that cannot be read as its field (Yes/No under a date), and a column the add-in ignores
    although its header looks like a field (of this sheet, or of another): nothing is dropped silently."""
    out = []
    for sd in book.sheets.values():
        if sd is None:
            continue
        for p in sd.column_problems:
            make = error if p.severity == "error" else warning
            out.append(make(p.code, sd.title, sd.cell(p.field, sd.header_row), p.message, p.hint))
        for letter, header in sd.ignored:
            like = lookalike(sd, header)
            if like is None:
                continue
            if like.same_sheet and like.taken_by is None:
                hint = f"Rename the header to '{like.field}' if that is what the column holds."
            elif like.same_sheet:
                hint = f"Only one column can be {like.field}; rename or remove the other if this one is meant."
            else:
                hint = f"Move the column to the {like.sheet} sheet if it belongs there; otherwise nothing to do."
            out.append(
                warning(
                    "column-not-read",
                    sd.title,
                    f"{letter}{sd.header_row}",
                    f"Column '{header}' is not read: it {lookalike_text(sd, like)}.",
                    hint + " Columns the add-in does not read are kept as they are.",
                )
            )
    return out


def check_cell_types(book: Book, as_of: dt.date) -> list[Finding]:
    """Text such as 'TBD' in a money or date cell, a word that is not one of a column's choices. (The cells of a
    text date column whose day/month order is unknown or mixed are told once, by check_columns.)"""
    out = []
    for sd in book.sheets.values():
        if sd is None:
            continue
        for p in sd.problems:
            if p.code == DATE_ORDER_UNKNOWN:
                continue  # told once for the column (a ColumnProblem)
            header = sd.headers.get(p.field, p.field)
            out.append(error(p.code, sd.title, sd.cell(p.field, p.row), f"{header}: {p.message}.", p.hint))
    return out


def check_required(book: Book, as_of: dt.date) -> list[Finding]:
    """A required cell left blank (a cell that holds something unreadable is reported as its type instead)."""
    out = []
    for sd in book.sheets.values():
        if sd is None:
            continue
        unreadable = {(p.field, p.row) for p in sd.problems}
        totals: set[int] | None = None
        for f in sd.spec.required:
            if f.name not in sd.columns or None not in sd.columns[f.name]:
                continue  # the column is complete (a C-speed scan spares the row loop)
            totals = _total_rows(sd) if totals is None else totals
            for row, v in zip(sd.rows, sd.columns[f.name]):
                if v is None and (f.name, row) not in unreadable:
                    hint = f"Fill in the {f.name}: {f.description[0].lower()}{f.description[1:]}"
                    if row in totals:
                        hint = (
                            "This looks like a total row: every row under the header is read as data, blank rows "
                            "between or not. Move totals to another sheet (or above the header)."
                        )
                    out.append(
                        error(
                            "required",
                            sd.title,
                            sd.cell(f.name, row),
                            f"{sd.headers[f.name]} is empty in row {row}.",
                            hint,
                        )
                    )
    return out


_TOTAL_WORDS = frozenset(
    {"total", "totals", "grand total", "subtotal", "sub-total", "sum", "summe", "gesamt", "totaal"}
)


def _total_rows(sd: SheetData) -> set[int]:
    """Rows one of whose text cells reads "Total" (or the like): a total row under the data."""
    out = set()
    for name, column in sd.columns.items():
        if sd.spec.field(name).kind in (Kind.ID, Kind.TEXT):
            out.update(row for row, v in zip(sd.rows, column) if isinstance(v, str) and v.casefold() in _TOTAL_WORDS)
    return out


def check_amounts(book: Book, as_of: dt.date) -> list[Finding]:
    """Zero or negative invoice and payment amounts."""
    out = []
    for spec, what in ((INVOICES, "An invoice"), (PAYMENTS, "A payment")):
        sd = book.sheet(spec.name)
        if min(present(sd, "Amount"), default=1) > 0:
            continue
        for row, cents in values(sd, "Amount"):
            if cents <= 0:
                out.append(
                    error(
                        "amount-not-positive",
                        sd.title,
                        sd.cell("Amount", row),
                        f"{what} amount must be more than zero; it is {format_cents(cents)}.",
                        "Enter the amount as a positive number. Record credits and refunds on "
                        "the Adjustments sheet instead.",
                    )
                )
    return out


def check_duplicate_keys(book: Book, as_of: dt.date) -> list[Finding]:
    """The same Customer ID, Invoice No, Payment ID or Adjustment ID on two rows."""
    out = []
    for spec in INPUT_SHEETS:
        sd = book.sheet(spec.name)
        if spec.key is None:
            continue
        keys = [k for k in _column(sd, spec.key) if k is not None]
        if len({str(k).casefold() for k in keys}) == len(keys):
            continue  # no duplicates: skip the row-by-row pass
        first: dict[str, int] = {}
        for row, key in values(sd, spec.key):
            k = str(key).casefold()
            if k in first:
                out.append(
                    error(
                        f"duplicate-{_slug(spec.key)}",
                        sd.title,
                        sd.cell(spec.key, row),
                        f"{spec.key} {key} is used twice: in row {first[k]} and row {row}.",
                        f"Give each row its own {spec.key}, or delete the duplicate row.",
                    )
                )
            else:
                first[k] = row
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class Lookup:
    """Exact match first, then ignoring case: IDs are usually typed alike, and folding every value
    of a 100k-row column costs more than the rare miss."""

    def __init__(self, pairs):
        self.exact: dict[str, object] = {}
        for k, v in pairs:
            self.exact.setdefault(k, v)
        self.folded = None

    def get(self, key: str):
        hit = self.exact.get(key)
        if hit is not None or not self.exact:
            return hit
        if self.folded is None:
            self.folded = {}
            for k, v in self.exact.items():
                self.folded.setdefault(k.casefold(), v)
        return self.folded.get(key.casefold())

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


def _column(sd: SheetData | None, name: str) -> list:
    """A column's typed values, or all None when the sheet or column is missing."""
    if sd is None:
        return []
    return sd.columns.get(name) or [None] * len(sd.rows)


def invoice_index(book: Book) -> Lookup:
    """Invoice No -> (Excel row, Customer ID, Invoice Date, Amount in cents, currency); first occurrence."""
    if "invoices" not in book.cache:
        inv = book.sheet(INVOICES.name)
        by_customer, default = _currency_of(book)
        rows = []
        if inv is not None and inv.has("Invoice No"):
            cols = [_column(inv, c) for c in ("Customer ID", "Invoice Date", "Amount", "Currency")]
            for row, no, cid, issued, amount, cur in zip(inv.rows, inv.columns["Invoice No"], *cols):
                if no is not None:
                    currency = cur or (by_customer.get(cid) if cid is not None else None) or default
                    rows.append((no, (row, cid or "", issued, amount, currency)))
        book.cache["invoices"] = Lookup(rows)
    return book.cache["invoices"]


def invoices_named(book: Book, sd: SheetData | None, col: str) -> list:
    """For each row of `sd`, the invoice record its `col` names (None when blank or unknown)."""
    key = f"named:{sd.spec.name if sd else ''}:{col}"
    if key not in book.cache:
        invoices = invoice_index(book)
        exact = invoices.exact
        found = [exact.get(no) if no is not None else None for no in _column(sd, col)]
        for i, no in enumerate(_column(sd, col)):
            if no is not None and found[i] is None:
                found[i] = invoices.get(no)  # the rare miss: try ignoring case
        book.cache[key] = found
    return book.cache[key]


def customer_index(book: Book) -> Lookup:
    if "customers" not in book.cache:
        cust = book.sheet(CUSTOMERS.name)
        book.cache["customers"] = Lookup((cid, row) for row, cid in values(cust, "Customer ID"))
    return book.cache["customers"]


def check_unknown_customers(book: Book, as_of: dt.date) -> list[Finding]:
    """An invoice, payment or adjustment whose Customer ID is not on the Customers sheet."""
    if book.sheet(CUSTOMERS.name) is None or not book.sheet(CUSTOMERS.name).has("Customer ID"):
        return []  # reported as a missing sheet or column already
    known = customer_index(book)
    out = []
    for spec in (INVOICES, PAYMENTS, ADJUSTMENTS):
        sd = book.sheet(spec.name)
        unknown = {c for c in set(_column(sd, "Customer ID")) if c is not None and c not in known}
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
        named = invoices_named(book, sd, col)
        for row, no, cid, inv in zip(sd.rows, sd.columns[col], _column(sd, "Customer ID"), named):
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
    for row, due, inv_date in zip(sd.rows, _column(sd, "Due Date"), _column(sd, "Invoice Date")) if sd else ():
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
    named = invoices_named(book, sd, "Applied To")
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
    named = invoices_named(book, pay, "Applied To")
    applied: dict[int, int] = defaultdict(int)  # invoice's Excel row -> cents applied so far
    out = []
    for row, no, cents, inv in zip(pay.rows, pay.columns["Applied To"], _column(pay, "Amount"), named):
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


def _currency_of(book: Book) -> tuple[Lookup, str]:
    """Customer ID -> the customer's currency, and the default currency."""
    default = str(book.settings.get("Default Currency", "USD"))
    cust = book.sheet(CUSTOMERS.name)
    pairs = [
        (cid, cur)
        for cid, cur in zip(_column(cust, "Customer ID"), _column(cust, "Currency"))
        if cid is not None and cur is not None
    ]
    return Lookup(pairs), default


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
    by_customer, default = _currency_of(book)
    named = invoices_named(book, pay, "Applied To")
    for row, no, cur, cid, inv in zip(
        pay.rows, pay.columns["Applied To"], _column(pay, "Currency"), _column(pay, "Customer ID"), named
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
        from billing_addin.core.ledger import parse_buckets

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


def check_reference_rates(book: Book, as_of: dt.date) -> list[Finding]:
    """RateTable rows that are out of range or contradict each other."""
    from billing_addin.core.statutory import rates_from_book

    return rates_from_book(book)[1]


def check_fee_policies(book: Book, as_of: dt.date) -> list[Finding]:
    """FeePolicies rows that cannot work (no rate, no amount, statutory margin under 8 points), and policy
    names on Settings or Customers that are not on the sheet."""
    from billing_addin.core.fees import policies_from_book, policy_name_findings

    policies, findings = policies_from_book(book)
    return findings + policy_name_findings(book, policies)


def check_dunning_levels(book: Book, as_of: dt.date) -> list[Finding]:
    """DunningLevels rows out of order, duplicated, or naming something that is not a .docx template."""
    from billing_addin.core.dunning import levels_from_book

    return levels_from_book(book)[1]


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
    check_reference_rates,
    check_fee_policies,
    check_dunning_levels,
)


def run_checks(book: Book, as_of: dt.date) -> list[Finding]:
    """Every check over the whole book. A check that fails on input it did not expect is reported,
    never raised, so one bad cell cannot hide the rest."""
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
    return out
