"""The ledger gives exactly what the plain replay it replaced gave, on random books.

`reference_ledger.py` is build_ledger as it was before it was made fast (one event at a time, no short
cuts). Whatever the fast replay does differently (flat events, targets checked once, the common payment
settled inline, account lines made when asked for), every figure must come out the same: every field of
every invoice, charge and customer balance, the credit, the skipped rows and every account line in order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import reference_ledger
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin.core.ledger import build_ledger
from billing_addin.workbook.reader import book_from_rows

D = dt.date
CUSTOMERS = [
    ["Customer ID", "Name", "Payment Terms", "Currency"],
    ["C1", "Acme", 30, None],
    ["C2", "Beta", 14, "EUR"],
    ["C3", "Gamma", None, None],
]
INV_HEAD = ["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount", "Currency", "Status", "Dispute"]
PAY_HEAD = ["Payment ID", "Customer ID", "Payment Date", "Amount", "Currency", "Applied To"]
ADJ_HEAD = ["Adjustment ID", "Customer ID", "Invoice No", "Date", "Type", "Amount"]

day = st.dates(min_value=D(2025, 6, 1), max_value=D(2026, 8, 31))  # some after the as-of dates below
cents = st.integers(min_value=1, max_value=300_000)
# Customer IDs as typed, with case slips and one the Customers sheet does not know.
customer_ids = st.sampled_from(["C1", "C2", "c1", "C3", "C9"])
currencies = st.sampled_from([None, None, None, "USD", "EUR"])


@st.composite
def books(draw):
    n = draw(st.integers(1, 10))
    numbers = [f"I{i}" for i in range(n)]
    invoices = []
    for no in numbers:
        issued = draw(day)
        invoices.append(
            [
                draw(st.sampled_from([no, no, no, no.lower()])) if invoices else no,  # duplicates by case
                draw(customer_ids),
                issued,
                draw(st.one_of(st.none(), st.just(issued + dt.timedelta(days=draw(st.integers(0, 60)))))),
                draw(cents) / 100,
                draw(currencies),
                draw(st.sampled_from([None, None, None, "Void"])),
                draw(st.sampled_from([None, None, None, "Wrong quantity"])),
            ]
        )
    names = st.one_of(st.none(), st.sampled_from(numbers + [no.lower() for no in numbers] + ["I99"]))
    # Payments that fit their invoice exactly or in part are the common case; others overpay or go on account.
    payments = []
    for k in range(draw(st.integers(0, 12))):
        target = draw(names)
        amount = draw(cents)
        if target is not None and draw(st.booleans()):
            inv = next((r for r in invoices if r[0].casefold() == target.casefold()), None)
            if inv is not None:
                amount = round(inv[4] * 100) // draw(st.sampled_from([1, 1, 2, 3]))
        payments.append([f"P{k}", draw(customer_ids), draw(day), max(amount, 1) / 100, draw(currencies), target])
    kinds = st.sampled_from(["Credit Note", "Write-off", "Refund", "Returned Payment", "Late Fee", "Other"])
    adjustments = [
        [f"A{k}", draw(customer_ids), draw(names), draw(day), draw(kinds), draw(st.integers(-50_000, 300_000)) / 100]
        for k in range(draw(st.integers(0, 5)))
    ]
    auto = draw(st.sampled_from(["Yes", "No"]))
    return book_from_rows(
        {
            "Customers": CUSTOMERS,
            "Invoices": [INV_HEAD, *invoices],
            "Payments": [PAY_HEAD, *payments],
            "Adjustments": [ADJ_HEAD, *adjustments],
        },
        {"Company Name": "Us", "Auto Apply Credits": auto},
    )


def snapshot(ledger) -> dict:
    """Every figure a ledger holds, as plain tuples (the two modules have their own classes)."""
    rows = dataclasses.astuple
    return {
        "invoices": [(no, rows(inv)) for no, inv in ledger.invoices.items()],
        "charges": [rows(c) for c in ledger.charges],
        "customers": [rows(c) for c in ledger.customers],
        "credit": ledger.credit,
        "bucket_labels": ledger.bucket_labels,
        "skipped": ledger.skipped,
        "entries": [tuple(e) for e in ledger.entries],
    }


@settings(max_examples=300, deadline=None)
@given(books(), st.sampled_from([D(2026, 1, 31), D(2026, 6, 30)]))
def test_fast_replay_equals_the_plain_replay(book, as_of):
    assert snapshot(build_ledger(book, as_of)) == snapshot(reference_ledger.build_ledger(book, as_of))


@st.composite
def reopening_books(draw):
    """One customer's few invoices, paid, re-opened (late fees, returned payments) and paid again: what paid
    dates turn on. Payments of an invoice's amount or a part of it, and of fee-sized sums."""
    near = st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 7, 15))
    invoices, amounts = [], {}
    for i in range(draw(st.integers(1, 3))):
        issued = draw(near)
        amounts[f"I{i}"] = draw(st.integers(1_000, 50_000))
        invoices.append(
            [
                f"I{i}",
                draw(st.sampled_from(["C1", "C1", "c1"])),
                issued,
                issued + dt.timedelta(days=draw(st.integers(0, 30))),
                amounts[f"I{i}"] / 100,
                None,
                draw(st.sampled_from([None, None, None, None, "Void"])),
                None,
            ]
        )
    names = st.one_of(st.none(), st.sampled_from(sorted(amounts)))
    payments = []
    for k in range(draw(st.integers(0, 8))):
        target = draw(names)
        whole = amounts[target] if target is not None else draw(st.sampled_from(list(amounts.values())))
        amount = draw(st.sampled_from([whole, whole, whole // 2, draw(st.integers(1, 5_000))]))
        payments.append([f"P{k}", "C1", draw(near), max(amount, 1) / 100, None, target])
    kinds = st.sampled_from(["Late Fee", "Late Fee", "Late Fee", "Returned Payment", "Write-off", "Credit Note"])
    adjustments = [
        [f"A{k}", "C1", draw(names), draw(near), draw(kinds), draw(st.integers(1, 5_000)) / 100]
        for k in range(draw(st.integers(0, 5)))
    ]
    return book_from_rows(
        {
            "Customers": CUSTOMERS,
            "Invoices": [INV_HEAD, *invoices],
            "Payments": [PAY_HEAD, *payments],
            "Adjustments": [ADJ_HEAD, *adjustments],
        },
        {"Company Name": "Us", "Auto Apply Credits": draw(st.sampled_from(["Yes", "No"]))},
    )


@settings(max_examples=300, deadline=None)
@given(reopening_books(), st.sampled_from([D(2026, 3, 31), D(2026, 6, 30)]))
def test_paid_dates_equal_the_plain_replays_when_invoices_are_paid_re_opened_and_paid_again(book, as_of):
    ledger = build_ledger(book, as_of)
    assert snapshot(ledger) == snapshot(reference_ledger.build_ledger(book, as_of))
    for inv in ledger.invoices.values():
        issued = inv.status != "Void" and inv.invoice_date <= as_of
        assert (inv.paid_date is not None) == (issued and inv.outstanding <= 0), inv
        if inv.paid_date is not None:
            assert inv.paid_date <= as_of
            assert inv.days_late == max(0, (inv.paid_date - inv.due_date).days)
        else:
            assert inv.days_late == inv.days_past_due
