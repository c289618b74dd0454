"""Late fees and interest under each policy type, computed by hand in the test; posting is idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin.core.fees import accrue_fees
from billing_addin.core.ledger import build_ledger
from billing_addin.workbook.reader import book_from_rows

D = dt.date
POLICY_HEAD = [
    "Policy",
    "Type",
    "Rate",
    "Amount",
    "Grace Days",
    "Minimum Balance",
    "Minimum Fee",
    "Maximum Fee",
    "Frequency",
    "Max Charges",
    "Compound",
]


def book(
    policy_row, invoices, payments=(), customer_policy=None, currency="USD", dispute=None, hold=None, adjustments=()
):
    return book_from_rows(
        {
            "Customers": [
                ["Customer ID", "Name", "Currency", "Late Fee Policy"],
                ["C1", "Acme", currency, customer_policy],
            ],
            "Invoices": [
                ["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount", "Dispute", "Hold Until"],
                *[[*r, dispute, hold] for r in invoices],
            ],
            "Payments": [["Customer ID", "Payment Date", "Amount", "Applied To"], *payments],
            "Adjustments": [["Customer ID", "Invoice No", "Date", "Type", "Amount"], *adjustments],
            "FeePolicies": [POLICY_HEAD, policy_row + [None] * (len(POLICY_HEAD) - len(policy_row))],
        },
        {"Company Name": "Us", "Default Fee Policy": policy_row[0]},
    )


def fee(b, as_of):
    accruals, findings = accrue_fees(b, build_ledger(b, as_of))
    assert not [f for f in findings if f.severity == "error"], findings
    return {a.invoice_no: (a.interest, a.fixed) for a in accruals}


def excel_round_cents(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


INV = [("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 1000.0)]


def test_flat_fee_after_grace_and_only_above_minimum_balance():
    b = book(["F", "Flat", None, 25.0, 10, 50.0], INV)
    assert fee(b, D(2026, 2, 10)) == {}  # within the 10 grace days
    assert fee(b, D(2026, 2, 11)) == {"I1": (0, 2500)}
    small = book(["F", "Flat", None, 25.0, 10, 50.0], [("I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 40.0)])
    assert fee(small, D(2026, 3, 1)) == {}


def test_percent_once_of_the_overdue_balance_plus_amount_with_min_and_max():
    b = book(["P", "Percent", 2.5, 1.0, 0, None, None, None], INV, [("C1", D(2026, 1, 15), 200.0, "I1")])
    # 2.5% of the 800 overdue on the first late day, plus the 1.00 fixed part.
    assert fee(b, D(2026, 6, 1)) == {"I1": (2000 + 100, 0)}
    capped = book(["P", "Percent", 2.5, None, 0, None, None, 15.0], INV)
    assert fee(capped, D(2026, 6, 1)) == {"I1": (1500, 0)}
    floor = book(["P", "Percent", 0.1, None, 0, None, 5.0], INV)
    assert fee(floor, D(2026, 6, 1)) == {"I1": (500, 0)}


def test_recurring_percent_monthly_with_max_charges_and_compound():
    b = book(["R", "Recurring Percent", 1.5, None, 0, None, None, None, "Monthly", 3, "No"], INV)
    assert fee(b, D(2026, 2, 27)) == {}  # first charge a month after the due date
    assert fee(b, D(2026, 2, 28)) == {"I1": (1500, 0)}
    assert fee(b, D(2026, 12, 31)) == {"I1": (4500, 0)}  # three charges at most
    c = book(["R", "Recurring Percent", 10, None, 0, None, None, None, "Monthly", 2, "Yes"], INV)
    assert fee(c, D(2026, 6, 1)) == {"I1": (10000 + 11000, 0)}  # the second 10% is on 1,100


def test_recurring_percent_stops_once_the_invoice_is_paid():
    paid = [("C1", D(2026, 4, 15), 1000.0, "I1")]
    b = book(["R", "Recurring Percent", 1.5, None, 0, None, None, None, "Monthly"], INV, paid)
    # Overdue at the end of February and of March: two charges of 1.5% of 1,000; paid in April, none after.
    assert fee(b, D(2026, 12, 31)) == {"I1": (1500 + 1500, 0)}
    part = book(
        ["R", "Recurring Percent", 1.5, None, 0, None, None, None, "Monthly"],
        INV,
        [("C1", D(2026, 4, 15), 400.0, "I1")],
    )
    # 600 stays overdue: 1.5% of 1,000 twice, then of 600 at the end of each month from April to December.
    assert fee(part, D(2026, 12, 31)) == {"I1": (1500 * 2 + 900 * 9, 0)}
    bounced = book(
        ["R", "Recurring Percent", 1.5, None, 0, None, None, None, "Monthly"],
        INV,
        [("C1", D(2026, 2, 10), 1000.0, "I1")],
        adjustments=[("C1", "I1", D(2026, 3, 10), "Returned Payment", 1000.0)],
    )
    # Paid before the first period ended, then the payment came back: charged again from the end of March.
    assert fee(bounced, D(2026, 12, 31)) == {"I1": (1500 * 10, 0)}


def test_daily_interest_follows_part_payments_day_by_day():
    b = book(["D", "Daily Interest", 12], INV, [("C1", D(2026, 3, 2), 400.0, "I1")])
    # 1,000 late from 1 Feb to 2 Mar (30 days), then 600 from 3 Mar to 31 Mar (29 days), at 12% a year / 365.
    exact = Decimal(100000) * 12 * 30 / 36500 + Decimal(60000) * 12 * 29 / 36500
    assert fee(b, D(2026, 3, 31)) == {"I1": (excel_round_cents(exact), 0)}


def test_statutory_eu_on_a_euro_invoice_with_fixed_compensation():
    inv = [("I1", "C1", D(2025, 1, 1), D(2025, 1, 31), 10000.0)]
    b = book(["EU", "Statutory EU", None], inv, [("C1", D(2025, 4, 1), 10000.0, "I1")], currency="EUR")
    # ECB rate in force on 1 Jan 2025 was 3.15%: 11.15% for 60 days; EUR 40 fixed compensation.
    assert fee(b, D(2025, 6, 30)) == {"I1": (excel_round_cents(Decimal(1000000) * Decimal("11.15") * 60 / 36500), 4000)}


def test_disputed_and_held_invoices_accrue_nothing_while_so():
    assert fee(book(["D", "Daily Interest", 12], INV, dispute="Wrong goods"), D(2026, 6, 1)) == {}
    held = book(["D", "Daily Interest", 12], INV, hold=D(2026, 3, 1))
    exact = Decimal(100000) * 12 * (D(2026, 6, 1) - D(2026, 3, 1)).days / 36500
    assert fee(held, D(2026, 6, 1)) == {"I1": (excel_round_cents(exact), 0)}
    assert fee(held, D(2026, 2, 27)) == {}


def test_exempt_customer_and_unknown_policy():
    b = book(["D", "Daily Interest", 12], INV, customer_policy="Exempt")
    assert fee(b, D(2026, 6, 1)) == {}
    b = book(["D", "Daily Interest", 12], INV, customer_policy="Nonesuch")
    accruals, findings = accrue_fees(b, build_ledger(b, D(2026, 6, 1)))
    assert [(f.code, f.sheet, f.cell) for f in findings] == [("unknown-fee-policy", "Customers", "D2")]


policies = st.sampled_from(
    [
        ["F", "Flat", None, 25.0, 5, 10.0],
        ["P", "Percent", 2.0, 1.0, 3],
        ["R", "Recurring Percent", 1.5, None, 0, None, 2.0, 60.0, "Monthly", 6, "Yes"],
        ["W", "Recurring Percent", 0.5, None, 0, None, None, None, "Weekly"],
        ["D", "Daily Interest", 9.5, None, 2, 20.0],
    ]
)


@settings(max_examples=80, deadline=None)
@given(
    policies,
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 600_00)), max_size=4),
    st.integers(0, 400),
    st.integers(1, 200),
)
def test_fees_never_decrease_as_time_passes(policy, pays, start, step):
    payments = [("C1", D(2026, 1, 1) + dt.timedelta(days=d), c / 100, "I1") for d, c in pays]
    b = book(policy, INV, payments)
    early = D(2026, 1, 1) + dt.timedelta(days=start)
    later = early + dt.timedelta(days=step)
    a, z = fee(b, early).get("I1", (0, 0)), fee(b, later).get("I1", (0, 0))
    assert sum(z) >= sum(a)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        [
            ["F", "Flat", None, 25.0, 0],
            ["P", "Percent", 2.0, 1.0, 0],
            ["R", "Recurring Percent", 1.5, None, 0, None, None, None, "Monthly"],
            ["W", "Recurring Percent", 0.5, None, 0, None, None, None, "Weekly"],
            ["D", "Daily Interest", 9.5, None, 0],
            ["EU", "Statutory EU", 8],
            ["UK", "Statutory UK", 8],
        ]
    ),
    st.integers(0, 20),
    st.integers(-2, 2),
)
def test_an_invoice_paid_in_full_by_its_fee_free_day_owes_no_fee(policy, grace, off):
    """The shortcut `accrue_fees` takes for invoices paid in time, checked at its boundary against the full
    computation: paid on the fee-free day or before, no fee; a day later, a fee."""
    from billing_addin.core.fees import fee_free_until, invoice_fee, policies_from_book

    row = policy + [None] * (5 - len(policy))
    row[4] = grace
    due, as_of = D(2025, 1, 31), D(2025, 12, 31)
    invoices = [("I1", "C1", D(2025, 1, 1), due, 1000.0)]
    pol = next(iter(policies_from_book(book(row, invoices, currency="EUR"))[0].values()))
    paid = fee_free_until(pol, due) + dt.timedelta(days=off)
    b = book(row, invoices, [("C1", paid, 1000.0, "I1")], currency="EUR")
    interest, fixed, _ = invoice_fee(build_ledger(b, as_of).invoices["I1"], pol, as_of)
    assert bool(interest or fixed) == (off > 0)
