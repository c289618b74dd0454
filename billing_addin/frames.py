"""The Python API: a billing workbook as pandas DataFrames, for analysts working in a notebook.

    >>> import billing_addin
    >>> ob = billing_addin.open_book("billing.xlsx")      # read once
    >>> f = ob.frames(as_of=datetime.date(2026, 6, 30))   # checked, then computed
    >>> f.invoices[f.invoices.status == "Overdue"]

The figures are the ones `billing refresh BOOK --json` prints, from the same ledger: money as Decimal with
two places (never float), dates as datetime.date, blanks as None; `row` is the Excel row the line came from.
When the checks find a sheet or column missing that the figures are made from (or one that could not be read
as a whole), `frames` raises FiguresStopped instead of returning figures that look right and are wrong.

This is the only module that imports pandas; `import billing_addin` does not load it (see __init__.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from billing_addin import commands
from billing_addin.commands.records import invoice_records
from billing_addin.core.book import Book
from billing_addin.core.claim_worklist import claims_worklist
from billing_addin.core.config import read_config
from billing_addin.core.findings import Finding, sort_findings
from billing_addin.core.ledger import Ledger, build_ledger
from billing_addin.core.money import cents_to_decimal
from billing_addin.core.schema import CLAIMS, PAYMENTS, Kind
from billing_addin.loader import LoadedBook, check_book
from billing_addin.workbook.reader import read_book

__all__ = ["FiguresStopped", "Frames", "OpenBook", "open_book"]

INVOICE_COLUMNS = (
    "invoice_no",
    "customer_id",
    "currency",
    "invoice_date",
    "due_date",
    "amount",
    "paid",
    "balance",
    "status",
    "paid_date",
    "days_late",
    "row",
)
CUSTOMER_COLUMNS = (
    "customer_id",
    "currency",
    "balance",
    "unapplied_credit",
    "overdue",
    "oldest_overdue",
    "last_payment",
    "max_days_past_due",
)  # then one column per aging bucket, named by the ledger's labels ("Current", "1-30", ..., "91+")
FINDING_COLUMNS = ("severity", "code", "sheet", "cell", "message", "hint")


class FiguresStopped(Exception):
    """The workbook lacks a sheet or column the figures are made from, or could not read one as a whole:
    no figures are given, since figures made without it would be wrong. `stopping` holds those errors (each
    with its sheet and cell), `findings` every finding of the checks."""

    def __init__(self, source: str, stopping: list[Finding], findings: list[Finding]) -> None:
        self.stopping = stopping
        self.findings = findings
        where = "; ".join(f"{f.sheet}!{f.cell}: {f.message}" if f.cell else f"{f.sheet}: {f.message}" for f in stopping)
        super().__init__(
            f"No figures for {source or 'the workbook'}: {len(stopping)} sheet(s) or column(s) the figures depend "
            f"on are missing or could not be read ({where}). Fix each one at the cell named; "
            "`billing columns BOOK` shows how every column was understood."
        )


@dataclass(frozen=True, eq=False)
class Frames:
    """A workbook's figures as at `as_of`, one DataFrame each (see open_book)."""

    as_of: dt.date
    invoices: pd.DataFrame  # one row per invoice issued by as_of (the Balances sheet's lines)
    customers: pd.DataFrame  # one row per customer and currency: balance and aging
    payments: pd.DataFrame  # the Payments sheet's rows as read
    findings: pd.DataFrame  # what the checks found, errors first
    claims: pd.DataFrame  # medical practices: one row per claim with its deadlines and what to do (empty otherwise)


class OpenBook:
    """A billing workbook read once. `book` is the core Book; `findings` and `frames` work on it."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.config = read_config(book)  # the configuration sheets, parsed once (core/config.py)

    def __repr__(self) -> str:
        return f"<OpenBook {self.book.source or '(unnamed)'}>"

    def as_of(self, as_of: dt.date | None = None) -> dt.date:
        """The date figures are made as at: `as_of` when given, else the Settings sheet's As-of Date, else today."""
        return commands.resolve_as_of(self.book, as_of)

    def findings(self, as_of: dt.date | None = None) -> list[Finding]:
        """Every finding of the checks as at the as-of date: errors first, then by sheet, row and column."""
        return sort_findings(list(self.loaded(as_of).findings), self.book.sheet_titles)

    def loaded(self, as_of: dt.date | None = None) -> LoadedBook:
        """The book as every command takes it (loader.py), checked as at the as-of date."""
        return check_book(self.book, self.as_of(as_of), self.config)

    def frames(self, as_of: dt.date | None = None) -> Frames:
        """Invoices, customers, payments and findings as DataFrames, as at the as-of date.

        Raises FiguresStopped when the checks find an error that stops every figure. Other errors do not stop
        the figures (as with `billing refresh`): they are in the findings frame, each at its cell."""
        day = self.as_of(as_of)
        loaded = self.loaded(day)
        findings = sort_findings(list(loaded.findings), self.book.sheet_titles)
        if loaded.stop:
            raise FiguresStopped(self.book.source, loaded.stop, findings)
        ledger = build_ledger(self.book, day)
        return Frames(
            as_of=day,
            invoices=invoices_frame(ledger),
            customers=customers_frame(ledger),
            payments=payments_frame(self.book),
            findings=findings_frame(findings),
            claims=claims_frame(self.book, day),
        )


def open_book(path: str | Path) -> OpenBook:
    """Read a billing workbook (.xlsx or .xlsm) once. Raises reader.UnreadableWorkbook when the file cannot be
    opened at all; everything wrong inside it becomes findings."""
    return OpenBook(read_book(path))


def _money(cents: int | None):
    return None if cents is None else cents_to_decimal(cents)


def _frame(columns: dict[str, list], ints: tuple[str, ...] = (), nullable_ints: tuple[str, ...] = ()) -> pd.DataFrame:
    """A DataFrame of exact values: object columns (Decimal, date, text, None), int64 for `ints`, and pandas'
    nullable Int64 for `nullable_ints` (None becomes <NA>)."""
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype="int64" if name in ints else "Int64" if name in nullable_ints else object)
            for name, values in columns.items()
        }
    )


def invoices_frame(ledger: Ledger) -> pd.DataFrame:
    """One row per invoice issued by the as-of date, in Invoices sheet order: the lines `refresh --json` lists
    under "invoices" (commands.records.invoice_records), with money as Decimal and dates as date, and `row`."""
    cols: dict[str, list] = {name: [] for name in INVOICE_COLUMNS}
    for row, line in invoice_records(ledger):
        for name in INVOICE_COLUMNS:
            cols[name].append(row if name == "row" else line[name])
    return _frame(cols, ints=("row",), nullable_ints=("days_late",))


def customers_frame(ledger: Ledger) -> pd.DataFrame:
    """One row per customer and currency, by customer ID: what `refresh --json` lists under "customers",
    with one column per aging bucket (named by the ledger's labels) instead of the "buckets" list."""
    labels = ledger.bucket_labels
    cols: dict[str, list] = {name: [] for name in (*CUSTOMER_COLUMNS, *labels)}
    for c in ledger.customers:
        cols["customer_id"].append(c.customer_id)
        cols["currency"].append(c.currency)
        cols["balance"].append(cents_to_decimal(c.balance))
        cols["unapplied_credit"].append(cents_to_decimal(c.unapplied_credit))
        cols["overdue"].append(cents_to_decimal(c.overdue))
        cols["oldest_overdue"].append(c.oldest_overdue)
        cols["last_payment"].append(c.last_payment)
        cols["max_days_past_due"].append(c.max_days_past_due)
        for label, cents in zip(labels, c.buckets, strict=True):
            cols[label].append(cents_to_decimal(cents))
    return _frame(cols, ints=("max_days_past_due",))


def payments_frame(book: Book) -> pd.DataFrame:
    """The Payments sheet's rows as read: one column per schema field found on the sheet (named as in the
    schema: "Payment ID", "Customer ID", "Payment Date", "Amount", ...), typed (Amount as Decimal, dates as
    date, blanks and unreadable cells as None), then `row`, the Excel row. Every row, whatever its date."""
    sd = book.sheet(PAYMENTS.name)
    if sd is None:
        return _frame({"row": []}, ints=("row",))
    cols: dict[str, list] = {}
    for f in PAYMENTS.fields:
        if f.name in sd.columns:
            values = sd.columns[f.name]
            cols[f.name] = [_money(v) for v in values] if f.kind is Kind.MONEY else list(values)
    cols["row"] = list(sd.rows)
    return _frame(cols, ints=("row",))


CLAIM_COLUMNS = (
    "claim_id",
    "patient_account",
    "payer",
    "status",
    "date_of_service",
    "billed",
    "insurance_paid",
    "patient_responsibility",
    "filing_deadline",
    "appeal_deadline",
    "days_left",
    "due_soon",
    "past",
    "action",
    "denial_codes",
    "row",
)


def claims_frame(book: Book, as_of: dt.date) -> pd.DataFrame:
    """One row per claim of the Claims sheet, most pressing first: what `billing claims --json` lists (deadlines as
    date, days left, action, denial codes as "CO-16; N14"), with billed, insurance paid and patient responsibility
    as Decimal, and `row`, the Excel row."""
    cols: dict[str, list] = {name: [] for name in CLAIM_COLUMNS}
    if book.sheet(CLAIMS.name) is not None:
        for item in claims_worklist(book, as_of).items:
            c = item.claim
            values = {
                "claim_id": c.claim_id,
                "patient_account": c.patient_account,
                "payer": c.payer,
                "status": c.status,
                "date_of_service": c.date_of_service,
                "billed": _money(c.billed),
                "insurance_paid": _money(c.insurance_paid),
                "patient_responsibility": _money(c.patient_responsibility),
                "filing_deadline": item.filing.date,
                "appeal_deadline": item.appeal.date,
                "days_left": item.days_left,
                "due_soon": item.due_soon,
                "past": item.past,
                "action": item.action,
                "denial_codes": "; ".join(d.code for d in item.denial_codes) or None,
                "row": c.row,
            }
            for name in CLAIM_COLUMNS:
                cols[name].append(values[name])
    return _frame(cols, ints=("row",), nullable_ints=("days_left",))


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """One row per finding: severity, code, sheet, cell (A1 address, "" for a whole sheet), message, hint."""
    return _frame({name: [getattr(f, name) for f in findings] for name in FINDING_COLUMNS})
