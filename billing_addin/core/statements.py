"""Statements of account: what a customer sees when they ask "what do I owe and why?"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from billing_addin.core.book import Book
from billing_addin.core.ledger import AccountCharge, InvoiceBalance, Ledger, build_ledger


@dataclass(frozen=True)
class StatementLine:
    date: dt.date
    kind: str
    reference: str
    invoice_no: str
    charge: int  # cents
    credit: int  # cents
    balance: int  # running balance after this line
    due_date: dt.date | None = None  # an invoice line's due date (None for other lines)
    disputed: bool = False  # an invoice line whose invoice the customer disputes (the Dispute column)


@dataclass(frozen=True)
class Statement:
    """One customer's account in one currency for a period: opening balance, every line, closing balance."""

    customer_id: str
    currency: str
    start: dt.date
    end: dt.date
    opening: int
    lines: tuple[StatementLine, ...]
    closing: int
    bucket_labels: tuple[str, ...]
    buckets: tuple[int, ...]  # aging of what is open at the end date
    open_items: tuple[InvoiceBalance | AccountCharge, ...]  # the open-item variant: what is unpaid at the end
    unapplied_credit: int


def statements(
    book: Book, customer_id: str, start: dt.date, end: dt.date, ledger: Ledger | None = None
) -> list[Statement]:
    """Statements for one customer (one per currency they deal in) for `start`..`end` inclusive.

    The closing balance equals the customer's balance as at `end`. Raises KeyError when the customer
    has no account lines at all up to `end`.
    """
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    ledger = ledger if ledger is not None and ledger.as_of == end else build_ledger(book, end)
    mine, theirs, items = ledger.by_customer.get(customer_id.casefold(), ([], [], []))
    balances = {c.currency: c for c in theirs}
    if not mine and not balances:
        raise KeyError(customer_id)
    invoices = {i.invoice_no.casefold(): i for i in items if type(i) is InvoiceBalance}
    out = []
    for currency in sorted({e.currency for e in mine} | set(balances)):
        entries = [e for e in mine if e.currency == currency]
        opening = sum(e.amount for e in entries if e.date < start)
        running, lines = opening, []
        for e in entries:
            if start <= e.date <= end:
                running += e.amount
                inv = invoices.get(e.invoice_no.casefold()) if e.kind == "Invoice" and e.invoice_no else None
                lines.append(
                    StatementLine(
                        e.date,
                        e.kind,
                        e.reference,
                        e.invoice_no,
                        max(e.amount, 0),
                        max(-e.amount, 0),
                        running,
                        inv.due_date if inv is not None else None,
                        inv.disputed if inv is not None else False,
                    )
                )
        cb = balances.get(currency)
        open_items = tuple(
            sorted(
                [
                    i
                    for i in items
                    if i.currency == currency
                    and i.outstanding > 0
                    and (type(i) is AccountCharge or (i.status != "Void" and i.invoice_date <= end))
                ],
                key=lambda i: (getattr(i, "due_date", None) or i.date, getattr(i, "invoice_no", "")),
            )
        )
        out.append(
            Statement(
                customer_id=entries[0].customer_id if entries else cb.customer_id,
                currency=currency,
                start=start,
                end=end,
                opening=opening,
                lines=tuple(lines),
                closing=running,
                bucket_labels=ledger.bucket_labels,
                buckets=cb.buckets if cb else (0,) * len(ledger.bucket_labels),
                open_items=open_items,
                unapplied_credit=cb.unapplied_credit if cb else 0,
            )
        )
    return out
