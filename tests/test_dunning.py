"""Dunning: who gets which reminder and who is skipped, on small books a specialist can check by hand."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin.core.dunning import (
    DEFAULT_LEVELS,
    DunningDecision,
    DunningLevel,
    levels_from_book,
    plan_dunning,
)
from billing_addin.core.ledger import build_ledger
from billing_addin.core.letter_log import LETTER_COLUMNS, read_letter_log
from billing_addin.core.schema import CUSTOMERS as CUSTOMER_SPEC
from billing_addin.core.schema import INVOICES as INVOICE_SPEC
from billing_addin.workbook.reader import book_from_rows, read_book
from billing_addin.workbook.template import build_template

D = dt.date
AS_OF = D(2026, 6, 30)
CUST_HEAD = ["Customer ID", "Name", "Dunning"]
CUSTOMERS = [
    ["C1", "Acme Widgets Ltd", None],
    ["C2", "Beta Trading GmbH", "Auto"],
    ["C3", "Gamma Foods", "Manual"],
    ["C4", "Delta Partners", "Excluded"],
]
NAMES = [c[1] for c in CUSTOMERS]
INV_HEAD = ["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount", "Currency", "Hold Until", "Dispute"]
PAY_HEAD = ["Payment ID", "Customer ID", "Payment Date", "Amount", "Applied To"]
LEVEL_HEAD = ["Level", "Days Past Due", "Letter Template", "Fee Policy", "Min Balance", "Days Since Previous"]
LETTER_HEAD = [c.header for c in LETTER_COLUMNS]


def pad(rows, width):
    return [list(r) + [None] * (width - len(r)) for r in rows]


def late(no, cid, days, amount=100, currency=None, hold=None, dispute=None):
    """An invoice `days` past due on AS_OF (issued 30 days before it fell due)."""
    due = AS_OF - dt.timedelta(days=days)
    return (no, cid, due - dt.timedelta(days=30), due, amount, currency, hold, dispute)


def sent(cid, level, day, invoices="", status="sent", kind="dunning"):
    """A row of the Letters sheet as the add-in writes it."""
    return [
        dt.datetime.combine(day, dt.time(9, 30)),
        day,
        kind,
        level,
        cid,
        invoices,
        f"{cid}-L{level}.docx",
        "",
        "",
        status,
    ]


def book(invoices=(), *, letters=(), levels=None, payments=(), customers=CUSTOMERS, fee_policies=None):
    rows = {
        "Customers": [CUST_HEAD, *customers],
        "Invoices": [INV_HEAD, *pad(invoices, len(INV_HEAD))],
        "Payments": [PAY_HEAD, *pad(payments, len(PAY_HEAD))],
    }
    if levels is not None:
        rows["DunningLevels"] = [LEVEL_HEAD, *pad(levels, len(LEVEL_HEAD))]
    if fee_policies is not None:
        rows["FeePolicies"] = [["Policy", "Type", "Amount"], *fee_policies]
    b = book_from_rows(rows, {"Company Name": "Us"})
    if letters:
        b.owned_rows["Letters"] = [LETTER_HEAD, *letters]
    return b


def plan(b, as_of=AS_OF, **kw):
    return plan_dunning(b, as_of, **kw)


def only(b, as_of=AS_OF, **kw):
    """The one outcome (decision or skip) of a book with one customer overdue."""
    decisions, skips = plan(b, as_of, **kw)
    assert len(decisions) + len(skips) == 1, (decisions, skips)
    return (decisions or skips)[0]


# --- levels go one after another --------------------------------------------------------------------------


def test_level_one_first_even_when_90_days_late():
    d = only(book([late("INV-1", "C1", 90)]))
    assert isinstance(d, DunningDecision)
    assert (d.customer_id, d.currency, d.level, d.letter_template) == ("C1", "USD", 1, "reminder.docx")
    assert (d.invoices, d.overdue_cents, d.max_days_past_due) == (("INV-1",), 10000, 90)
    assert (d.previous_level, d.previous_date, d.fee_policy) == (0, None, None)
    assert d.reason == (
        "Level 1: INV-1 is 90 days past due (100.00 USD); no reminder sent yet; "
        "level 3's days are reached, but levels go out in order"
    )


def test_level_two_after_level_one_is_in_the_log_and_14_days_passed():
    letters = [sent("C1", 1, D(2026, 6, 16), "INV-1")]
    d = only(book([late("INV-1", "C1", 45)], letters=letters))
    assert (d.level, d.letter_template, d.previous_level, d.previous_date) == (2, "past_due.docx", 1, D(2026, 6, 16))
    assert d.reason == (
        "Level 2: INV-1 is 45 days past due (100.00 USD); level 1 went out on 2026-06-16 (14 days' wait passed)"
    )
    # Level 3 only after level 2 is in the log too, and 14 days after it.
    letters.append(sent("C1", 2, D(2026, 6, 1), "INV-1"))
    d = only(book([late("INV-1", "C1", 75)], letters=letters))
    assert (d.level, d.letter_template, d.previous_level, d.previous_date) == (3, "final_notice.docx", 2, D(2026, 6, 1))


def test_a_made_letter_counts_as_sent_but_a_cancelled_one_or_another_kind_does_not():
    inv = [late("INV-1", "C1", 45)]
    assert only(book(inv, letters=[sent("C1", 1, D(2026, 6, 1), "INV-1", status="made")])).level == 2
    assert only(book(inv, letters=[sent("C1", 1, D(2026, 6, 1), "INV-1", status="cancelled")])).level == 1
    assert only(book(inv, letters=[sent("C1", 1, D(2026, 6, 1), "INV-1", kind="statement")])).level == 1
    assert only(book(inv, letters=[sent("C2", 1, D(2026, 6, 1), "INV-1")])).level == 1  # another customer's
    assert only(book(inv, letters=[sent("c1", 1, D(2026, 6, 1))])).level == 2  # IDs match as validation does


def test_a_letter_dated_after_the_as_of_date_is_not_yet_sent():
    b = book([late("INV-1", "C1", 45)], letters=[sent("C1", 1, D(2026, 7, 2), "INV-1")])
    assert only(b).level == 1


def test_waiting_until_the_days_since_previous_have_passed():
    b = book([late("INV-1", "C1", 45)], letters=[sent("C1", 1, D(2026, 6, 20), "INV-1")])
    s = only(b)
    assert (s.customer_id, s.currency, s.reason_code) == ("C1", "USD", "waiting")
    assert s.reason == (
        "Level 2 is next (INV-1 is 45 days past due (100.00 USD)), but level 1 went out on 2026-06-20: "
        "the 14 days' wait ends on 2026-07-04."
    )
    assert only(b, D(2026, 7, 3)).reason_code == "waiting"
    assert only(b, D(2026, 7, 4)).level == 2


def test_already_at_level_until_the_next_level_is_due():
    b = book([late("INV-1", "C1", 45)], letters=[sent("C1", 2, D(2026, 5, 1), "INV-1")])
    s = only(b)
    assert s.reason_code == "already-at-level"
    assert s.reason == (
        "Level 2 went out on 2026-05-01; INV-1 is 45 days past due (100.00 USD); "
        "level 3 starts at 60 days past due (on 2026-07-15)."
    )
    assert only(b, D(2026, 7, 15)).level == 3


def test_nothing_after_the_last_level():
    b = book([late("INV-1", "C1", 200)], letters=[sent("C1", 3, D(2026, 3, 1), "INV-1")])
    s = only(b)
    assert s.reason_code == "already-at-level"
    assert s.reason.startswith("Level 3, the last level, went out on 2026-03-01;")


def test_not_overdue_enough_for_level_one():
    s = only(book([late("INV-1", "C1", 3)]))
    assert (s.reason_code, s.reason) == (
        "not-overdue-enough",
        "INV-1 is 3 days past due (100.00 USD); level 1 starts at 7 days past due (on 2026-07-04).",
    )
    assert only(book([late("INV-1", "C1", 7)])).level == 1
    assert plan(book([late("INV-1", "C1", 0)])) == ([], [])  # due today: nothing overdue, nothing to say


def test_a_new_debt_starts_again_at_level_one_once_the_old_one_is_paid():
    letters = [sent("C1", 3, D(2026, 1, 10), "INV-OLD")]
    b = book(
        [late("INV-OLD", "C1", 250), late("INV-NEW", "C1", 40)],
        letters=letters,
        payments=[("P1", "C1", D(2026, 2, 1), 100, "INV-OLD")],
    )
    d = only(b)
    assert (d.level, d.invoices, d.previous_level) == (1, ("INV-NEW",), 0)
    # A letter that names no invoices is taken to be about whatever is overdue: no level goes out twice.
    b = book([late("INV-NEW", "C1", 40)], letters=[sent("C1", 1, D(2026, 6, 1))])
    assert (only(b).level, only(b).previous_level) == (2, 1)


# --- customers and invoices left out ----------------------------------------------------------------------


def test_manual_and_excluded_customers_are_skipped():
    decisions, skips = plan(book([late("I3", "C3", 40), late("I4", "C4", 40, 25.5), late("I1", "C1", 40)]))
    assert [d.customer_id for d in decisions] == ["C1"]
    assert [(s.customer_id, s.reason_code) for s in skips] == [("C3", "dunning-manual"), ("C4", "dunning-excluded")]
    assert (
        skips[0].reason
        == "Dunning is Manual for this customer (1 overdue invoice, 100.00 USD): send reminders by hand."
    )
    assert skips[1].reason == "Dunning is Excluded for this customer (1 overdue invoice, 25.50 USD): no reminders."


def test_all_disputed_and_on_hold():
    hold = D(2026, 7, 15)
    s = only(book([late("I1", "C1", 40, dispute="Wrong quantity"), late("I2", "C1", 70, dispute="Not delivered")]))
    assert (s.reason_code, s.reason) == ("all-disputed", "Every overdue invoice is disputed: I2, I1.")
    s = only(book([late("I1", "C1", 40, hold=hold), late("I2", "C1", 70, dispute="Not delivered")]))
    assert (s.reason_code, s.reason) == (
        "on-hold",
        "Every overdue invoice is on hold or disputed: on hold I1 until 2026-07-15; disputed: I2.",
    )
    held = book([late("I1", "C1", 40, hold=hold)])
    assert only(held, hold - dt.timedelta(days=1)).reason_code == "on-hold"
    assert only(held, hold).level == 1  # Hold Until is the day reminders may start again


def test_disputed_and_held_invoices_are_left_out_of_the_letter():
    b = book(
        [
            late("I1", "C1", 90, dispute="Wrong price"),
            late("I2", "C1", 80, hold=D(2026, 8, 1)),
            late("I3", "C1", 10, 40),
            late("I4", "C1", 75, hold=D(2026, 6, 1)),  # the hold is over
        ]
    )
    d = only(b)
    assert (d.invoices, d.overdue_cents, d.max_days_past_due) == (("I4", "I3"), 14000, 75)


def test_below_minimum_balance_of_the_level():
    levels = [[1, 7, "reminder.docx", None, 50], [2, 30, "past_due.docx", None, 50, 14]]
    s = only(book([late("I1", "C1", 20, 20)], levels=levels))
    assert (s.reason_code, s.reason) == (
        "below-minimum",
        "Level 1 needs at least 50.00 USD overdue; I1 is 20 days past due (20.00 USD).",
    )
    d = only(book([late("I1", "C1", 20, 20), late("I2", "C1", 8, 30)], levels=levels))
    assert (d.level, d.overdue_cents) == (1, 5000)
    # What is paid is not overdue: a part payment can take the balance under the minimum.
    b = book([late("I1", "C1", 20, 60)], levels=levels, payments=[("P1", "C1", D(2026, 6, 1), 15)])
    assert only(b).reason_code == "below-minimum"


def test_one_letter_bundles_every_overdue_invoice_most_overdue_first_per_currency():
    b = book(
        [
            late("I1", "C1", 12, 100),
            late("I2", "C1", 50, 200),
            late("I3", "C1", 31, 300),
            late("I4", "C1", 40, 400, "EUR"),
            late("I5", "C1", 2, 50),  # overdue but below level 1's days: still owed, so in the letter
            late("I6", "C2", 9, 70),
        ],
        payments=[("P1", "C1", D(2026, 6, 20), 50, "I2")],
    )
    decisions, skips = plan(b)
    assert skips == []
    assert [(d.customer_id, d.currency, d.level, d.invoices) for d in decisions] == [
        ("C1", "EUR", 1, ("I4",)),
        ("C1", "USD", 1, ("I2", "I3", "I1", "I5")),
        ("C2", "USD", 1, ("I6",)),
    ]
    usd = decisions[1]
    assert (usd.overdue_cents, usd.max_days_past_due) == (15000 + 30000 + 10000 + 5000, 50)
    assert usd.reason.startswith("Level 1: I2 is 50 days past due (4 overdue invoices, 600.00 USD in all);")


def test_payment_plan_in_good_standing_holds_reminders():
    b = book([late("I1", "C1", 40), late("I2", "C2", 40)])
    decisions, skips = plan(b, plans_in_good_standing={"c1"})
    assert [d.customer_id for d in decisions] == ["C2"]
    assert [(s.customer_id, s.reason_code, s.reason) for s in skips] == [
        ("C1", "payment-plan", "A payment plan in good standing holds reminders (1 overdue invoice, 100.00 USD).")
    ]


def test_customer_not_on_the_customers_sheet_is_dunned_as_auto():
    d = only(book([late("I9", "C9", 40)]))
    assert (d.customer_id, d.level) == ("C9", 1)


def test_reasons_never_name_the_customer():
    letters = [sent("C2", 1, D(2026, 6, 25), "J1")]
    b = book(
        [
            late("I1", "C1", 90),
            late("J1", "C2", 45),
            late("K1", "C3", 45),
            late("L1", "C4", 45),
        ],
        letters=letters,
    )
    decisions, skips = plan(b)
    reasons = [d.reason for d in decisions] + [s.reason for s in skips]
    assert len(reasons) == 4
    assert not any(name.split()[0] in r for r in reasons for name in NAMES)


def test_order_is_by_customer_then_currency_whatever_the_row_order():
    rows = [late("I1", "C2", 40), late("I2", "C1", 40, currency="GBP"), late("I3", "C1", 40), late("I4", "C4", 9)]
    decisions, skips = plan(book(rows))
    again = plan(book(list(reversed(rows))))
    assert (decisions, skips) == again
    assert [(d.customer_id, d.currency) for d in decisions] == [("C1", "GBP"), ("C1", "USD"), ("C2", "USD")]


def test_given_parts_are_used_and_a_ledger_for_another_day_is_refused():
    b = book([late("I1", "C1", 40)], letters=[sent("C1", 1, D(2026, 6, 1), "I1")])
    ledger = build_ledger(b, AS_OF)
    log = read_letter_log(b.owned_rows["Letters"])
    assert plan(b, ledger=ledger, log=log) == plan(b)
    assert only(b, ledger=ledger, log=[]).level == 1
    own = (DunningLevel(1, 5, "a.docx"), DunningLevel(2, 35, "b.docx", "Flat 25", 0, 7))
    d = only(b, levels=own)
    assert (d.level, d.letter_template, d.fee_policy) == (2, "b.docx", "Flat 25")
    with pytest.raises(ValueError):
        plan(b, ledger=build_ledger(b, D(2026, 6, 29)))


# --- the DunningLevels sheet ------------------------------------------------------------------------------


def test_no_levels_sheet_means_the_default_levels():
    assert levels_from_book(book()) == (DEFAULT_LEVELS, [])
    assert [(lv.level, lv.days_past_due, lv.letter_template, lv.days_since_previous) for lv in DEFAULT_LEVELS] == [
        (1, 7, "reminder.docx", 0),
        (2, 30, "past_due.docx", 14),
        (3, 60, "final_notice.docx", 14),
    ]


def test_custom_levels_sheet_changes_days_templates_and_fees():
    levels = [
        [2, 20, "Second Notice.docx", "Flat 25", 10, 5],
        [1, 10, "first.DOCX", None, None, None],
    ]
    b = book([late("I1", "C1", 25)], levels=levels, fee_policies=[["Flat 25", "Flat", 25]])
    got, findings = levels_from_book(b)
    assert findings == []
    assert got == (
        DunningLevel(1, 10, "first.DOCX", None, 0, 0),
        DunningLevel(2, 20, "Second Notice.docx", "Flat 25", 1000, 5),
    )
    d = only(b)
    assert (d.level, d.letter_template) == (1, "first.DOCX")
    b.owned_rows["Letters"] = [LETTER_HEAD, sent("C1", 1, D(2026, 6, 25), "I1")]
    d = only(b)
    assert (d.level, d.letter_template, d.fee_policy) == (2, "Second Notice.docx", "Flat 25")
    assert d.reason.endswith("level 1 went out on 2026-06-25 (5 days' wait passed)")


def test_levels_sheet_findings_name_the_exact_cells():
    levels = [
        [1, 7, "reminder.docx"],  # row 2
        [2, 30, "past_due.docx", None, None, 14],  # row 3
        [2, 45, "other.docx"],  # row 4: level 2 again
        [3, 20, "final_notice.docx", None, None, 14],  # row 5: earlier than level 2
        [4, 90, "final.pdf", "Nope"],  # row 6: not a .docx, unknown fee policy
        [5, -3, "x.docx", None, -1],  # row 7: negative days and balance
        [7, 120, "../secret.docx"],  # row 8: a folder, and level 6 is missing
    ]
    got, findings = levels_from_book(book(levels=levels))
    assert [lv.level for lv in got] == [1, 2, 3, 4, 7]
    assert got[1].letter_template == "past_due.docx"  # the first row of a level wins
    assert sorted((f.severity, f.code, f.cell) for f in findings) == [
        ("error", "dunning-days-not-increasing", "B5"),
        ("error", "dunning-level-negative", "B7"),
        ("error", "dunning-level-negative", "E7"),
        ("error", "dunning-template-not-docx", "C6"),
        ("error", "dunning-template-not-docx", "C8"),
        ("error", "duplicate-level", "A4"),
        ("error", "unknown-fee-policy", "D6"),
        ("warning", "dunning-level-gap", "A8"),
    ]
    assert all(f.sheet == "DunningLevels" for f in findings)
    by_code = {f.code: f for f in findings if f.cell != "C8"}
    assert by_code["duplicate-level"].message == "Level 2 is used twice: in row 3 and row 4."
    assert by_code["dunning-days-not-increasing"].message == (
        "Level 3 starts at 20 days past due, not later than level 2 (30 days)."
    )
    assert by_code["dunning-template-not-docx"].message == (
        "Level 4: Letter Template 'final.pdf' is not the name of a .docx file."
    )
    assert next(f for f in findings if f.cell == "C8").message == (
        "Level 7: Letter Template '../secret.docx' names a folder; type only the file name."
    )
    assert by_code["dunning-level-gap"].message == (
        "Level 7 comes after level 4: there is no level 5. Letters go out in the order of the levels listed."
    )


def test_blank_or_unreadable_level_rows_are_left_out_and_reported():
    levels = [[1, 7, "reminder.docx"], [2, "soon", "past_due.docx"], [3, None, "final_notice.docx"]]
    got, findings = levels_from_book(book(levels=levels))
    assert [lv.level for lv in got] == [1]
    assert {(f.code, f.cell) for f in findings} >= {("required", "B4")}
    assert any(f.cell == "B3" for f in findings)  # "soon" is not a number


def test_a_levels_sheet_with_no_usable_row_falls_back_to_the_defaults():
    got, findings = levels_from_book(book(levels=[]))
    assert got == DEFAULT_LEVELS
    assert [(f.severity, f.code, f.cell) for f in findings] == [("warning", "dunning-levels-default", "A1")]


# --- a real workbook --------------------------------------------------------------------------------------


def _row(spec, **values):
    names = [f.name for f in spec.fields]
    row = [None] * len(names)
    for k, v in values.items():
        row[names.index(k.replace("_", " "))] = v
    return row


def test_real_workbook_with_template_levels_and_a_letters_sheet(tmp_path):
    rows = {
        "Customers": [
            _row(CUSTOMER_SPEC, Customer_ID="C1", Name="Acme Widgets Ltd", Dunning="Auto"),
            _row(CUSTOMER_SPEC, Customer_ID="C2", Name="Beta Trading GmbH", Dunning="Manual"),
            _row(CUSTOMER_SPEC, Customer_ID="C3", Name="Gamma Foods"),
        ],
        "Invoices": [
            _row(INVOICE_SPEC, **dict(zip(("Invoice_No", "Customer_ID", "Invoice_Date", "Due_Date", "Amount"), r)))
            for r in (
                ("INV-1", "C1", D(2026, 4, 1), D(2026, 5, 1), 120.0),  # 60 days
                ("INV-2", "C1", D(2026, 5, 1), D(2026, 5, 31), 80.0),  # 30 days
                ("INV-3", "C2", D(2026, 5, 1), D(2026, 5, 31), 80.0),
                ("INV-4", "C3", D(2026, 5, 1), D(2026, 6, 10), 5.0),  # under the template's 10.00 minimum
            )
        ],
    }
    path = tmp_path / "book.xlsx"
    build_template(path, rows, {"Company Name": "Us"})
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("Letters")
    ws.append(LETTER_HEAD)
    ws.append(sent("C1", 1, D(2026, 6, 10), "INV-1"))
    wb.save(path)

    b = read_book(path)
    levels, findings = levels_from_book(b)
    assert findings == []
    assert [(lv.level, lv.days_past_due, lv.min_balance) for lv in levels] == [
        (1, 7, 1000),
        (2, 30, 1000),
        (3, 60, 1000),
    ]
    decisions, skips = plan_dunning(b, AS_OF)
    assert [(d.customer_id, d.level, d.invoices, d.overdue_cents, d.previous_date) for d in decisions] == [
        ("C1", 2, ("INV-1", "INV-2"), 20000, D(2026, 6, 10))
    ]
    assert [(s.customer_id, s.reason_code) for s in skips] == [("C2", "dunning-manual"), ("C3", "below-minimum")]


# --- properties -------------------------------------------------------------------------------------------

day = st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 6, 30))


@st.composite
def overdue_books(draw):
    """A few invoices for two customers, some disputed or held, with an empty log."""
    invoices = []
    for i in range(draw(st.integers(1, 6))):
        due = draw(day)
        invoices.append(
            (
                f"I{i}",
                draw(st.sampled_from(["C1", "C2"])),
                due - dt.timedelta(days=30),
                due,
                draw(st.integers(1, 5000)),
                None,
                draw(st.one_of(st.none(), day)),
                draw(st.sampled_from([None, None, None, "Disputed"])),
            )
        )
    levels = draw(st.sampled_from([None, [[1, 7, "a.docx", None, 20], [2, 30, "b.docx", None, 20, 14]]]))
    return book(invoices, levels=levels)


def level_of(decisions, cid):
    return next((d.level for d in decisions if d.customer_id == cid), 0)


@settings(max_examples=150, deadline=None)
@given(overdue_books(), day, st.integers(0, 400))
def test_with_an_empty_log_a_later_day_never_lowers_the_level_and_it_is_always_level_one(b, as_of, more):
    later = as_of + dt.timedelta(days=more)
    before, after = plan(b, as_of)[0], plan(b, later)[0]
    for cid in ("C1", "C2"):
        assert level_of(before, cid) in (0, 1)
        assert level_of(after, cid) >= level_of(before, cid)


@settings(max_examples=150, deadline=None)
@given(overdue_books(), day, st.integers(1, 4), st.booleans())
def test_after_level_k_the_next_letter_is_level_k_plus_one_or_nothing(b, as_of, k, name_invoices):
    invoices = ", ".join(b.sheet("Invoices").columns["Invoice No"]) if name_invoices else ""
    b.owned_rows["Letters"] = [LETTER_HEAD, sent("C1", k, D(2024, 1, 1), invoices), sent("C2", k, D(2024, 1, 1))]
    decisions, skips = plan(b, as_of)
    for d in decisions:
        assert d.level == k + 1 and d.previous_level == k
    assert {(s.customer_id, s.currency) for s in skips}.isdisjoint({(d.customer_id, d.currency) for d in decisions})


@settings(max_examples=100, deadline=None)
@given(overdue_books(), day)
def test_every_eligible_overdue_invoice_is_in_exactly_one_letter_or_its_customer_is_skipped(b, as_of):
    decisions, skips = plan(b, as_of)
    ledger = build_ledger(b, as_of)
    lettered = [n for d in decisions for n in d.invoices]
    assert len(lettered) == len(set(lettered))
    skipped = {(s.customer_id, s.currency) for s in skips}
    for inv in ledger.invoices.values():
        eligible = inv.outstanding > 0 and inv.days_past_due > 0 and not inv.disputed
        eligible = eligible and not (inv.hold_until is not None and inv.hold_until > as_of)
        if eligible:
            assert inv.invoice_no in lettered or (inv.customer_id, inv.currency) in skipped
