"""The owned `Bank Import` sheet: one row per imported bank line with its proposal, its why, and the Post column
the clerk may change; `billing payments post` appends the rows marked Yes to Payments and marks them posted.

The sheet is the add-in's own, but the clerk edits two columns of it (Post, and Customer ID / Invoices of a
suggested line), so it is read back cell by cell and rewritten whole with those edits kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from billing_addin.core.cell_values import parse_date, to_id
from billing_addin.core.matching import AUTO, Proposal
from billing_addin.core.money import cents_or_none, cents_to_decimal
from billing_addin.core.patch import DATE_FORMAT, MONEY_FORMAT, Column, OwnedSheet, read_back
from billing_addin.core.schema import BANK_IMPORT_SHEET

IMPORT_COLUMNS = (
    Column("Source", 18),
    Column("Line", 6),
    Column("Date", 12, DATE_FORMAT),
    Column("Amount", 13, MONEY_FORMAT),
    Column("Currency", 9),
    Column("Payer", 24),
    Column("Account", 22),
    Column("Reference", 34),
    Column("Transaction ID", 18),
    Column("Fee", 10, MONEY_FORMAT),
    Column("Match", 10),
    Column("Customer ID", 12),
    Column("Invoices", 22),
    Column("Why", 60),
    Column("Post", 6),
    Column("Posted", 12, DATE_FORMAT),
    Column("Payment ID", 16),
)


@dataclass(frozen=True)
class ImportRow:
    """A row of the Bank Import sheet as read back (with the clerk's edits)."""

    row: int  # Excel row
    source: str
    line: int | None
    date: dt.date | None
    amount: int | None  # cents
    currency: str | None
    payer: str
    account: str
    reference: str
    transaction_id: str | None
    fee: int
    match: str
    customer_id: str | None
    invoices: tuple[str, ...]
    why: str
    post: bool
    posted: dt.date | None
    payment_id: str | None

    @property
    def key(self) -> str:
        """The same key as BankLine.key: a line imported twice is found by it."""
        if self.transaction_id:
            return f"id:{self.transaction_id.strip().casefold()}"
        day = self.date.isoformat() if self.date else ""
        return f"{day}|{self.amount}|{' '.join(self.reference.split()).casefold()}"

    def as_row(self) -> tuple:
        return (
            self.source,
            self.line,
            self.date,
            None if self.amount is None else cents_to_decimal(self.amount),
            self.currency,
            self.payer or None,
            self.account or None,
            self.reference or None,
            self.transaction_id,
            cents_to_decimal(self.fee) if self.fee else None,
            self.match,
            self.customer_id,
            ", ".join(self.invoices) or None,
            self.why,
            "Yes" if self.post else None,
            self.posted,
            self.payment_id,
        )


def read_import_rows(rows: list[list[object]]) -> list[ImportRow]:
    """The Bank Import sheet's rows (header first, as the reader keeps them in book.owned_rows)."""
    out = []
    for n, get in read_back(rows, IMPORT_COLUMNS):
        line = get("Line")
        try:
            line = int(line) if line is not None else None
        except (TypeError, ValueError):
            line = None
        day = parse_date(get("Date"))
        posted = parse_date(get("Posted"))
        out.append(
            ImportRow(
                row=n,
                source=str(get("Source") or ""),
                line=line,
                date=day if isinstance(day, dt.date) else None,
                amount=cents_or_none(get("Amount")),
                currency=str(get("Currency")) if get("Currency") else None,
                payer=str(get("Payer") or ""),
                account=str(get("Account") or ""),
                reference=str(get("Reference") or ""),
                transaction_id=to_id(get("Transaction ID")),
                fee=cents_or_none(get("Fee")) or 0,
                match=str(get("Match") or ""),
                customer_id=to_id(get("Customer ID")),
                invoices=tuple(s.strip() for s in str(get("Invoices") or "").replace(";", ",").split(",") if s.strip()),
                why=str(get("Why") or ""),
                post=str(get("Post") or "").strip().casefold() in ("yes", "y", "x", "true", "1"),
                posted=posted if isinstance(posted, dt.date) else None,
                payment_id=to_id(get("Payment ID")),
            )
        )
    return out


def proposal_row(p: Proposal) -> ImportRow:
    line = p.line
    return ImportRow(
        row=0,
        source=line.source,
        line=line.line,
        date=line.date,
        amount=line.amount,
        currency=line.currency,
        payer=line.payer,
        account=line.account,
        reference=line.reference,
        transaction_id=line.transaction_id,
        fee=line.fee,
        match=p.match,
        customer_id=p.customer_id,
        invoices=p.invoices,
        why=p.why,
        post=p.match == AUTO,
        posted=None,
        payment_id=None,
    )


def import_sheet(rows: list[ImportRow]) -> OwnedSheet:
    return OwnedSheet(BANK_IMPORT_SHEET, IMPORT_COLUMNS, tuple(r.as_row() for r in rows))


def mark_posted(row: ImportRow, on: dt.date, payment_id: str) -> ImportRow:
    return replace(row, posted=on, payment_id=payment_id, post=False)
