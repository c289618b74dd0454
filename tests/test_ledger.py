"""Allocation, balances, statuses, aging and statements, on small books a specialist can check by hand."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin.core.ledger import bucket_labels, build_ledger
from billing_addin.core.statements import statements
from billing_addin.workbook.reader import book_from_rows, read_book
from billing_addin.workbook.template import build_template

D = dt.date
AS_OF = D(2026, 6, 30)
CUSTOMERS = [["Customer ID", "Name", "Payment Terms"], ["C1", "Acme", 30], ["C2", "Beta", 14]]
INV_HEAD = ["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount", "Status", "Hold Until", "Dispute"]
PAY_HEAD = ["Payment ID", "Customer ID", "Payment Date", "Amount", "Applied To"]
ADJ_HEAD = ["Adjustment ID", "Customer ID", "Invoice No", "Date", "Type", "Amount"]


def pad(rows, width):
    return [list(r) + [None] * (width - len(r)) for r in rows]


def book(invoices=(), payments=(), adjustments=(), **settings_):
    return book_from_rows(
        {
            "Customers": CUSTOMERS,
            "Invoices": [INV_HEAD, *pad(invoices, len(INV_HEAD))],
            "Payments": [PAY_HEAD, *pad(payments, len(PAY_HEAD))],
            "Adjustments": [ADJ_HEAD, *pad(adjustments, len(ADJ_HEAD))],
        },
        {"Company Name": "Us", **settings_},
    )


def customer(ledger, cid="C1"):
    return next(c for c in ledger.customers if c.customer_id == cid)


TWO = [("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100), ("I2", "C1", D(2026, 2, 1), D(2026, 3, 3), 200)]


def test_applied_to_goes_to_that_invoice_and_the_rest_oldest_first():
    L = build_ledger(book(TWO, [("P1", "C1", D(2026, 3, 10), 150, "I2"), ("P2", "C1", D(2026, 3, 11), 120)]), AS_OF)
    i1, i2 = L.invoices["I1"], L.invoices["I2"]
    # P1 pays 150 of I2; P2 pays I1 (oldest) in full, then 20 more of I2.
    assert (i1.paid, i2.paid) == (10000, 17000)
    assert (i1.status, i2.status) == ("Paid", "Overdue")
    c = customer(L)
    assert (c.balance, c.overdue, c.unapplied_credit, c.last_payment) == (3000, 3000, 0, D(2026, 3, 11))
    assert i2.days_past_due == (AS_OF - D(2026, 3, 3)).days


def test_partial_payment_before_due_is_partially_paid():
    L = build_ledger(book([("I1", "C1", D(2026, 6, 1), D(2026, 7, 1), 100)], [("P1", "C1", D(2026, 6, 5), 40)]), AS_OF)
    assert L.invoices["I1"].status == "Partially Paid" and L.invoices["I1"].outstanding == 6000


def test_overpayment_becomes_credit_that_settles_a_later_invoice():
    b = book(
        [("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100), ("I2", "C1", D(2026, 4, 1), D(2026, 5, 1), 80)],
        [("P1", "C1", D(2026, 2, 1), 150, "I1")],
    )
    L = build_ledger(b, AS_OF)
    assert L.invoices["I2"].paid == 5000 and L.invoices["I2"].outstanding == 3000
    assert customer(L).unapplied_credit == 0 and customer(L).balance == 3000
    before = build_ledger(b, D(2026, 3, 1))  # before I2 existed the 50 was credit
    assert customer(before).unapplied_credit == 5000 and customer(before).balance == -5000


def test_credit_goes_to_the_oldest_of_invoices_issued_the_same_day_whatever_their_row_order():
    later_due = ("I1", "C1", D(2026, 4, 1), D(2026, 6, 1), 80)
    earlier_due = ("I2", "C1", D(2026, 4, 1), D(2026, 5, 1), 80)
    overpaid = [("I0", "C1", D(2026, 1, 1), D(2026, 1, 31), 100)], [("P1", "C1", D(2026, 2, 1), 150, "I0")]
    for rows in ([later_due, earlier_due], [earlier_due, later_due]):
        L = build_ledger(book([*overpaid[0], *rows], overpaid[1]), AS_OF)
        # The 50 of credit settles I2 (due first) in part; I1 stays untouched.
        assert (L.invoices["I2"].paid, L.invoices["I1"].paid) == (5000, 0)


def test_credit_waits_when_auto_apply_is_off():
    b = book(
        [("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100), ("I2", "C1", D(2026, 4, 1), D(2026, 5, 1), 80)],
        [("P1", "C1", D(2026, 2, 1), 150, "I1")],
        **{"Auto Apply Credits": "No"},
    )
    c = customer(build_ledger(b, AS_OF))
    assert (c.unapplied_credit, c.open_items, c.balance) == (5000, 8000, 3000)


def test_adjustments_credit_note_write_off_refund_returned_payment_late_fee():
    b = book(
        [
            ("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100),
            ("I2", "C1", D(2026, 1, 5), D(2026, 2, 4), 200),
            ("I3", "C1", D(2026, 1, 9), D(2026, 2, 8), 50),
        ],
        [("P1", "C1", D(2026, 2, 1), 200, "I2")],
        [
            ("A1", "C1", "I1", D(2026, 2, 10), "Credit Note", 30),  # I1 70 left
            ("A2", "C1", "I3", D(2026, 2, 11), "Write-off", 80),  # closes I3's 50, no more
            ("A3", "C1", "I2", D(2026, 3, 1), "Returned Payment", 200),  # the cheque bounced: I2 open again
            ("A4", "C1", "I2", D(2026, 3, 2), "Late Fee", 15),
            ("A5", "C1", None, D(2026, 3, 3), "Credit Note", 10),  # on account: settles oldest (I1) by itself
        ],
    )
    L = build_ledger(b, AS_OF)
    i1, i2, i3 = L.invoices["I1"], L.invoices["I2"], L.invoices["I3"]
    assert (i1.credited, i1.paid, i1.outstanding) == (3000, 1000, 6000)  # account credit applies as paid
    assert (i3.written_off, i3.outstanding, i3.status) == (5000, 0, "Written Off")
    assert (i2.paid, i2.fees, i2.outstanding, i2.status) == (0, 1500, 21500, "Overdue")
    assert customer(L).balance == 6000 + 21500
    write_off = next(e for e in L.entries if e.kind == "Write-off")
    assert write_off.amount == -5000  # the statement shows what it closed


def test_paid_date_is_the_day_what_is_owed_came_to_zero_and_days_late_count_to_it():
    due = D(2026, 1, 31)
    b = book(
        [
            ("I1", "C1", D(2026, 1, 1), due, 100),  # paid in two parts, the second late
            ("I2", "C1", D(2026, 1, 1), due, 100),  # paid early
            ("I3", "C1", D(2026, 1, 1), due, 100),  # paid, the cheque bounced, paid again
            ("I4", "C1", D(2026, 1, 1), due, 100),  # paid, then a late fee: paid when the fee is
            ("I5", "C1", D(2026, 1, 1), due, 100),  # part paid, the rest written off
            ("I6", "C1", D(2026, 1, 1), due, 100),  # closed by a credit note
            ("I7", "C1", D(2026, 1, 1), due, 100),  # still open
            ("I8", "C1", D(2026, 1, 1), due, 100, "Void"),
            ("I9", "C1", D(2026, 2, 1), D(2026, 3, 3), 100),  # paid ahead, before it was issued
            ("I10", "C1", D(2026, 7, 1), D(2026, 7, 31), 100),  # issued after the as-of date, paid ahead
        ],
        [
            ("P1", "C1", D(2026, 1, 20), 60, "I1"),
            ("P2", "C1", D(2026, 2, 14), 40, "I1"),
            ("P3", "C1", D(2026, 1, 10), 100, "I2"),
            ("P4", "C1", D(2026, 1, 25), 100, "I3"),
            ("P5", "C1", D(2026, 3, 2), 100, "I3"),
            ("P6", "C1", D(2026, 2, 5), 100, "I4"),
            ("P7", "C1", D(2026, 4, 1), 15, "I4"),
            ("P8", "C1", D(2026, 2, 1), 30, "I5"),
            ("P10", "C1", D(2026, 1, 20), 100, "I9"),
            ("P11", "C1", D(2026, 6, 1), 100, "I10"),
        ],
        [
            ("A1", "C1", "I3", D(2026, 2, 1), "Returned Payment", 100),
            ("A2", "C1", "I4", D(2026, 3, 1), "Late Fee", 15),
            ("A3", "C1", "I5", D(2026, 5, 10), "Write-off", 70),
            ("A4", "C1", "I6", D(2026, 2, 20), "Credit Note", 100),
        ],
        **{"Auto Apply Credits": "No"},
    )
    L = build_ledger(b, AS_OF)
    got = {no: (inv.status, inv.paid_date, inv.days_late) for no, inv in L.invoices.items()}
    assert got == {
        "I1": ("Paid", D(2026, 2, 14), 14),
        "I2": ("Paid", D(2026, 1, 10), 0),
        "I3": ("Paid", D(2026, 3, 2), 30),  # not 2026-01-25: the bounced cheque re-opened it
        "I4": ("Paid", D(2026, 4, 1), 60),  # the day the late fee charged on 2026-03-01 was paid
        "I5": ("Written Off", D(2026, 5, 10), 99),  # the day the write-off closed it
        "I6": ("Paid", D(2026, 2, 20), 20),
        "I7": ("Overdue", None, (AS_OF - due).days),  # open: days past due as of the as-of date
        "I8": ("Void", None, 0),
        "I9": ("Paid", D(2026, 1, 20), 0),
        "I10": ("Open", None, 0),  # not yet part of the balance
    }
    # As of an earlier day, I3 was open again (the cheque had bounced), and I1 only part paid.
    earlier = build_ledger(b, D(2026, 2, 10)).invoices
    assert (earlier["I3"].paid_date, earlier["I3"].days_late) == (None, 10)
    assert (earlier["I1"].paid_date, earlier["I1"].status) == (None, "Overdue")
    assert build_ledger(b, D(2026, 1, 26)).invoices["I3"].paid_date == D(2026, 1, 25)


def test_refund_pays_credit_out():
    b = book(
        [("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100)],
        [("P1", "C1", D(2026, 2, 1), 130, "I1")],
        [("A1", "C1", None, D(2026, 2, 15), "Refund", 30)],
    )
    c = customer(build_ledger(b, AS_OF))
    assert (c.unapplied_credit, c.balance) == (0, 0)


def test_statuses_void_disputed_on_hold():
    b = book(
        [
            ("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100, "Void"),
            ("I2", "C1", D(2026, 1, 1), D(2026, 1, 31), 100, None, None, "Wrong quantity"),
            ("I3", "C1", D(2026, 1, 1), D(2026, 1, 31), 100, None, D(2026, 7, 15)),
            ("I4", "C1", D(2026, 1, 1), D(2026, 1, 31), 100, None, D(2026, 6, 1)),  # hold has passed
            ("I5", "C1", D(2026, 6, 20), None, 100),  # due by the customer's 30 days terms: not yet due
        ]
    )
    L = build_ledger(b, AS_OF)
    assert [L.invoices[n].status for n in ("I1", "I2", "I3", "I4", "I5")] == [
        "Void",
        "Disputed",
        "On Hold",
        "Overdue",
        "Open",
    ]
    assert L.invoices["I5"].due_date == D(2026, 7, 20)
    assert customer(L).balance == 40000  # the void invoice is not owed


def test_aging_buckets_default_and_from_settings():
    rows = [
        ("I1", "C1", D(2026, 1, 1), AS_OF, 1),  # due today: current
        ("I2", "C1", D(2026, 1, 1), AS_OF - dt.timedelta(days=30), 2),  # 30 late
        ("I3", "C1", D(2026, 1, 1), AS_OF - dt.timedelta(days=31), 4),
        ("I4", "C1", D(2026, 1, 1), AS_OF - dt.timedelta(days=90), 8),
        ("I5", "C1", D(2026, 1, 1), AS_OF - dt.timedelta(days=91), 16),
    ]
    L = build_ledger(book(rows), AS_OF)
    assert L.bucket_labels == ("Current", "1-30", "31-60", "61-90", "91+")
    assert customer(L).buckets == (100, 200, 400, 800, 1600)
    L = build_ledger(book(rows, **{"Aging Buckets": "15, 45"}), AS_OF)
    assert L.bucket_labels == bucket_labels((15, 45)) == ("Current", "1-15", "16-45", "46+")
    assert customer(L).buckets == (100, 0, 600, 2400)


def test_currencies_are_kept_apart():
    b = book([("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100)])
    b.sheets["Invoices"].columns.setdefault("Currency", [None])
    b.sheets["Invoices"].columns["Currency"] = ["EUR"]
    L = build_ledger(b, AS_OF)
    assert [(c.currency, c.balance) for c in L.customers] == [("EUR", 10000)]


def test_statement_running_balance_and_open_items(tmp_path):
    rows = {
        "Customers": [["C1", "Acme", None, None, None, None, None, None, None, None, None, None, 30]],
        "Invoices": [
            ["I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100.0],
            ["I2", "C1", D(2026, 3, 1), D(2026, 3, 31), 250.5],
            ["I3", "C1", D(2026, 5, 1), D(2026, 5, 31), 99.99],
        ],
        "Payments": [["P1", "C1", D(2026, 2, 10), 100.0, None, None, None, "I1"], ["P2", "C1", D(2026, 4, 2), 50.0]],
        "Adjustments": [["A1", "C1", "I2", D(2026, 4, 15), "Credit Note", 0.5]],
    }
    path = tmp_path / "b.xlsx"
    build_template(path, rows, {"Company Name": "Us"})
    [s] = statements(read_book(path), "C1", D(2026, 3, 1), D(2026, 6, 30))
    assert s.opening == 0  # I1 was billed and paid before the period
    assert [(ln.kind, ln.charge, ln.credit, ln.balance) for ln in s.lines] == [
        ("Invoice", 25050, 0, 25050),
        ("Payment", 0, 5000, 20050),
        ("Credit Note", 0, 50, 20000),
        ("Invoice", 9999, 0, 29999),
    ]
    assert s.closing == 29999 == customer(build_ledger(read_book(path), D(2026, 6, 30))).balance
    assert [i.invoice_no for i in s.open_items] == ["I2", "I3"]
    assert s.buckets == (0, 9999, 0, 0, 20000)  # I3 30 days late, I2 91


# --- properties -----------------------------------------------------------------------------------------

day = st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 6, 30))
cents = st.integers(min_value=1, max_value=500_000)


@st.composite
def random_books(draw):
    n = draw(st.integers(1, 8))
    invoices = []
    for i in range(n):
        issued = draw(day)
        invoices.append(
            (
                f"I{i}",
                draw(st.sampled_from(["C1", "C2"])),
                issued,
                issued + dt.timedelta(days=draw(st.integers(0, 60))),
                draw(cents) / 100,
            )
        )
    payments = [
        (
            f"P{k}",
            draw(st.sampled_from(["C1", "C2"])),
            draw(day),
            draw(cents) / 100,
            draw(st.one_of(st.none(), st.sampled_from([r[0] for r in invoices]))),
        )
        for k in range(draw(st.integers(0, 8)))
    ]
    kinds = st.sampled_from(["Credit Note", "Write-off", "Refund", "Returned Payment", "Late Fee", "Other"])
    adjustments = [
        (
            f"A{k}",
            draw(st.sampled_from(["C1", "C2"])),
            draw(st.one_of(st.none(), st.sampled_from([r[0] for r in invoices]))),
            draw(day),
            draw(kinds),
            draw(cents) / 100,
        )
        for k in range(draw(st.integers(0, 4)))
    ]
    auto = draw(st.sampled_from(["Yes", "No"]))
    return invoices, payments, adjustments, auto


@settings(max_examples=150, deadline=None)
@given(random_books())
def test_money_is_conserved(parts):
    invoices, payments, adjustments, auto = parts
    L = build_ledger(book(invoices, payments, adjustments, **{"Auto Apply Credits": auto}), AS_OF)
    # Every customer's balance is exactly the sum of its account lines as applied ...
    for c in L.customers:
        lines = sum(e.amount for e in L.entries if e.customer_id == c.customer_id and e.currency == c.currency)
        assert c.balance == lines
        assert c.open_items >= 0 and c.unapplied_credit >= 0
    # ... and payments are all accounted for: applied to invoices or charges, or held as credit.
    paid_in = sum(round(p[3] * 100) for p in payments)
    applied = sum(i.paid + i.fees_paid for i in L.invoices.values()) + sum(ch.paid for ch in L.charges)
    credit_like = sum(L.credit.values())
    # Credit notes, write-offs and refunds also move money; without them the identity is exact.
    if not adjustments:
        assert paid_in == applied + credit_like
    for i in L.invoices.values():
        assert 0 <= i.paid <= i.amount and i.outstanding >= 0


@settings(max_examples=60, deadline=None)
@given(random_books(), st.randoms())
def test_row_order_changes_nothing(parts, rnd):
    invoices, payments, adjustments, auto = parts
    a = build_ledger(book(invoices, payments, adjustments), AS_OF)
    shuffled = [list(x) for x in (invoices, payments, adjustments)]
    for x in shuffled:
        rnd.shuffle(x)
    b = build_ledger(book(*shuffled), AS_OF)
    key = lambda L: sorted((c.customer_id, c.currency, c.balance, c.unapplied_credit, c.buckets) for c in L.customers)  # noqa: E731
    assert key(a) == key(b)
    assert {n: (i.outstanding, i.status) for n, i in a.invoices.items()} == {
        n: (i.outstanding, i.status) for n, i in b.invoices.items()
    }


def test_an_invoice_re_opened_by_a_returned_payment_and_settled_again_by_credit_is_paid_that_day():
    b = book(
        [("I1", "C1", D(2026, 1, 1), D(2026, 1, 1), 10)],
        [("P1", "C1", D(2026, 1, 1), 10), ("P2", "C1", D(2026, 1, 1), 70)],  # 70.00 left over as credit
        [("A1", "C1", "I1", D(2026, 1, 2), "Returned Payment", 0.01)],
    )
    inv = build_ledger(b, AS_OF).invoices["I1"]
    assert (inv.status, inv.paid_date, inv.days_late) == ("Paid", D(2026, 1, 2), 1)
