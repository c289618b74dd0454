"""Payment plans and promises to pay: schedules that add up, payments spread over installments, plans that hold
reminders and fees while kept and let them resume once broken, and the commands that show and propose them.
Real .xlsx files written from the template and read back; every date is fixed."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin import commands
from billing_addin.cli.app import main
from billing_addin.commands import plans as plan_commands
from billing_addin.core.ledger import build_ledger
from billing_addin.core.plans import (
    BROKEN,
    KEPT,
    LATE,
    PAID,
    PENDING,
    UPCOMING,
    PlanError,
    add_months,
    make_schedule,
    plans_as_of,
)
from billing_addin.core.schema import FEE_POLICIES, INPUT_SHEETS
from billing_addin.loader import load
from billing_addin.workbook.reader import book_from_rows
from billing_addin.workbook.template import build_template, default_rows

AS_OF = dt.date(2026, 6, 30)
D = dt.date
CUSTOMERS = [["C1", "Harbor Dental"], ["C2", "Maple Clinic"], ["C3", "Orchard Practice"]]


PLAN_START = dt.date(2026, 1, 15)


def plan_row(pid="PP-1", cid="C1", invoices="INV-1", start=PLAN_START, down=None, n=6, freq="Monthly",
             each=None, grace=5, policy=None, status="Active"):  # fmt: skip
    return [pid, cid, invoices, start, down, n, freq, each, grace, policy, status, start, None]


def rows(invoices=None, payments=(), plans=(), installments=(), settings=None):
    """Sheet rows for a small book: C1 owes INV-1 (1,200.00, due 2026-01-10) unless `invoices` says otherwise."""
    invoices = invoices or [["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00]]
    out = {
        "Customers": [["Customer ID", "Name"], *CUSTOMERS],
        "Invoices": [
            [
                "Invoice No",
                "Customer ID",
                "Invoice Date",
                "Due Date",
                "Amount",
                "Currency",
                "Promise To Pay",
                "Promised Amount",
            ],  # fmt: skip
            *invoices,
        ],
        "Payments": [["Payment ID", "Customer ID", "Payment Date", "Amount", "Applied To"], *payments],
        "PaymentPlans": [
            [
                "Plan ID",
                "Customer ID",
                "Invoices",
                "Start Date",
                "Down Payment",
                "Installments",
                "Frequency",
                "Installment Amount",
                "Grace Days",
                "Fee Policy While Current",
                "Status",
                "Agreed On",
                "Notes",
            ],  # fmt: skip
            *plans,
        ],
        "PlanInstallments": [["Plan ID", "Due Date", "Amount"], *installments],
        "FeePolicies": [[f.name for f in FEE_POLICIES.fields], *default_rows("FeePolicies")],
    }
    return out, settings or {}


def standing(invoices=None, payments=(), plans=None, installments=(), as_of=AS_OF, settings=None):
    sheets, s = rows(invoices, payments, [plan_row()] if plans is None else plans, installments, settings)
    book = book_from_rows(sheets, {"Default Currency": "USD", **s})
    return plans_as_of(book, build_ledger(book, as_of))


def pay(day, amount, cid="C1", invoice="INV-1", pid=None):
    return [pid or f"P-{day}-{amount}", cid, day, amount, invoice]


# --- the schedule ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 5_000_000_00),
    st.integers(1, 60),
    st.sampled_from(["Weekly", "Every 2 Weeks", "Monthly"]),
    st.dates(D(2020, 1, 1), D(2030, 12, 31)),
    st.floats(0, 0.9),
)
def test_a_schedule_adds_up_to_the_amount_planned_to_the_cent(planned, n, freq, start, down_share):
    down = int(planned * down_share)
    schedule = make_schedule(planned, n, freq, start, down)
    assert sum(i.amount for i in schedule) == planned
    assert len(schedule) == n + (1 if down else 0)
    regular = [i.amount for i in schedule if i.number > 0]
    assert len(set(regular[:-1])) <= 1 and regular[-1] >= regular[0]  # equal, the last takes the remainder
    dues = [i.due for i in schedule]
    assert dues == sorted(dues) and len(set(dues)) == len(dues) and dues[0] == start


def test_month_ends_stay_month_ends():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2026, 1, 31), 2) == D(2026, 3, 31)  # from the first date, not from 28 February
    assert [i.due for i in make_schedule(300_00, 3, "Monthly", D(2026, 1, 31))] == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
    ]


def test_an_installment_amount_that_cannot_add_up_is_refused():
    with pytest.raises(PlanError, match="do not add up"):
        make_schedule(1000_00, 3, "Monthly", D(2026, 1, 1), installment_amount=600_00)
    schedule = make_schedule(1000_00, 3, "Monthly", D(2026, 1, 1), installment_amount=300_00)
    assert [i.amount for i in schedule] == [300_00, 300_00, 400_00]


# --- payments over installments ---------------------------------------------------------------------------

MONTHLY_200 = [D(2026, 1, 15), D(2026, 2, 15), D(2026, 3, 15), D(2026, 4, 15), D(2026, 5, 15), D(2026, 6, 15)]


def test_payments_on_time_keep_the_plan_and_hold_reminders_and_fees():
    s = standing(payments=[pay(d, 200.00) for d in MONTHLY_200[:6]])
    [p] = s.plans
    assert p.amount_planned == 1200_00 and p.status == "Completed"
    s = standing(payments=[pay(d, 200.00) for d in MONTHLY_200[:5]], as_of=D(2026, 6, 10))
    [p] = s.plans
    assert p.status == "Active" and p.misses == 0 and [i.state for i in p.schedule] == [PAID] * 5 + [UPCOMING]
    assert p.next_installment.due == D(2026, 6, 15) and "inv-1" in s.holds and s.fee_terms["inv-1"].policy is None


def test_early_partial_lump_and_overpaid_payments_pay_the_oldest_installment_first():
    early = standing(payments=[pay(D(2026, 1, 15), 200.00), pay(D(2026, 2, 9), 200.00)], as_of=D(2026, 3, 1))
    assert [i.state for i in early.plans[0].schedule][:3] == [PAID, PAID, UPCOMING]
    partial = standing(payments=[pay(D(2026, 1, 15), 120.00)], as_of=D(2026, 1, 18))
    first = partial.plans[0].schedule[0]
    assert (first.paid, first.state) == (120_00, "Due")
    lump = standing(payments=[pay(D(2026, 1, 15), 700.00)], as_of=D(2026, 4, 1))
    states = [(i.paid, i.state) for i in lump.plans[0].schedule]
    assert states[:4] == [(200_00, PAID), (200_00, PAID), (200_00, PAID), (100_00, UPCOMING)]
    over = standing(payments=[pay(D(2026, 1, 15), 1500.00)], as_of=D(2026, 2, 1))
    assert over.plans[0].status == "Completed" and over.plans[0].paid == 1200_00


def test_late_then_broken():
    one_miss = standing(payments=[pay(MONTHLY_200[0], 200.00)], as_of=D(2026, 2, 25))
    [p] = one_miss.plans
    assert p.status == "Active" and p.misses == 1 and p.schedule[1].state == LATE and p.schedule[1].days_late == 10
    broken = standing(payments=[pay(MONTHLY_200[0], 200.00)], as_of=D(2026, 3, 25))
    [p] = broken.plans
    assert p.status == BROKEN and p.misses == 2 and p.broken_on == D(2026, 3, 21)  # 15 March + 5 days' grace + 1
    assert "inv-1" not in broken.holds and "broke on 2026-03-21" in broken.notes["inv-1"]
    assert broken.fee_terms["inv-1"].fees_from == D(2026, 3, 21)
    paid_late = standing(payments=[pay(MONTHLY_200[0], 200.00), pay(D(2026, 2, 28), 200.00)], as_of=D(2026, 3, 1))
    [p] = paid_late.plans
    assert p.schedule[1].state == PAID and p.schedule[1].days_late == 13 and p.misses == 1  # paid, but missed


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 170), st.integers(1, 400_00)), max_size=8), st.integers(0, 200))
def test_money_is_conserved_when_payments_spread_over_installments(payments, days):
    as_of = D(2026, 1, 15) + dt.timedelta(days=days)
    paid = [
        pay(D(2026, 1, 15) + dt.timedelta(days=d), cents / 100, pid=f"P{k}") for k, (d, cents) in enumerate(payments)
    ]
    [p] = standing(payments=paid, as_of=as_of).plans
    received = sum(c for d, c in payments if D(2026, 1, 15) + dt.timedelta(days=d) <= as_of)
    assert sum(i.paid for i in p.schedule) == min(received, 1200_00) == p.paid
    assert all(0 <= i.paid <= i.amount for i in p.schedule)
    assert [i.paid for i in p.schedule] == sorted((i.paid for i in p.schedule), reverse=True)  # oldest first


def test_a_plan_over_invoices_in_two_currencies_is_refused_with_a_finding():
    invoices = [
        ["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00, "USD"],
        ["INV-2", "C1", D(2025, 12, 11), D(2026, 1, 10), 500.00, "EUR"],
    ]
    s = standing(invoices=invoices, plans=[plan_row(invoices="INV-1; INV-2")])
    assert s.plans == [] and s.holds == {}
    [f] = [f for f in s.findings if f.code == "plan-does-not-add-up"]
    assert "EUR and USD" in f.message and f.sheet == "PaymentPlans" and f.cell == "A2"


def test_a_custom_plan_takes_its_dates_and_amounts_from_plan_installments():
    custom = [["PP-1", D(2026, 2, 1), 500.00], ["PP-1", D(2026, 3, 1), 700.00]]
    [p] = standing(plans=[plan_row(freq="Custom", n=None)], installments=custom, as_of=D(2026, 2, 2)).plans
    assert [(i.due, i.amount) for i in p.schedule] == [(D(2026, 2, 1), 500_00), (D(2026, 3, 1), 700_00)]
    short = [["PP-1", D(2026, 2, 1), 500.00]]
    s = standing(plans=[plan_row(freq="Custom", n=None)], installments=short)
    assert [f.code for f in s.findings] == ["plan-does-not-add-up"] and "1200.00 planned" in s.findings[0].message


# --- reminders and fees ---------------------------------------------------------------------------------


def book_file(tmp_path, invoices=None, payments=(), plans=None, installments=(), settings=None):
    sheets, s = rows(invoices, payments, [plan_row()] if plans is None else plans, installments, settings)
    data = {name: r[1:] for name, r in sheets.items()}
    for name in ("Customers", "Invoices", "Payments", "PaymentPlans", "PlanInstallments", "FeePolicies"):
        header = sheets[name][0]
        spec = next(x for x in INPUT_SHEETS if x.name == name)
        order = [f.name for f in spec.fields]
        data[name] = [[dict(zip(header, r)).get(f) for f in order] for r in sheets[name][1:]]
    path = tmp_path / "plans.xlsx"
    settings = {"Company Name": "Billing Co", "As-of Date": AS_OF, "Default Fee Policy": "Standard", **s}
    build_template(path, data, settings)
    return path


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 5), st.integers(0, 4))
def test_a_plan_in_good_standing_never_gets_a_dunning_letter_or_a_fee(paid_installments, days_early):
    """Whatever has been paid, as long as every installment due is paid by its due date the plan is kept: no
    reminder and no late fee on what it covers, however overdue the invoice itself is."""
    as_of = MONTHLY_200[paid_installments] - dt.timedelta(days=1)
    payments = [
        pay(max(PLAN_START, d - dt.timedelta(days=days_early)), 200.00) for d in MONTHLY_200[:paid_installments]
    ]
    sheets, _ = rows(payments=payments, plans=[plan_row()])
    book = book_from_rows(sheets, {"Default Currency": "USD", "Default Fee Policy": "Standard"})
    loaded = commands.check_book(book, as_of)
    dunning = commands.dunning(loaded)
    assert dunning.data["letters"] == []
    assert [s["reason_code"] for s in dunning.data["skipped"]] == ["payment-plan"]
    assert commands.fees(loaded).data["fees"] == []


def test_a_broken_plan_gets_the_next_dunning_level_and_fees_from_the_day_it_broke():
    # Level 1 went out on 15 January, before the plan; the plan broke on 21 March.
    letters = [[dt.datetime(2026, 1, 15, 9), D(2026, 1, 15), "dunning", 1, "C1", "INV-1", "x.docx", "", "", "sent"]]
    sheets, _ = rows(payments=[pay(MONTHLY_200[0], 200.00)], plans=[plan_row()])
    book = book_from_rows(sheets, {"Default Currency": "USD", "Default Fee Policy": "Standard"})
    from billing_addin.core.letter_log import LETTER_COLUMNS

    book.owned_rows["Letters"] = [[c.header for c in LETTER_COLUMNS], *letters]
    loaded = commands.check_book(book, AS_OF)
    [letter] = commands.dunning(loaded).data["letters"]
    assert letter["level"] == 2 and "Plan PP-1 broke on 2026-03-21" in letter["reason"]
    [fee] = commands.fees(loaded).data["fees"]
    assert fee["invoice_no"] == "INV-1" and fee["to_post"] > 0
    without_plan = book_from_rows(
        {**sheets, "PaymentPlans": sheets["PaymentPlans"][:1]},
        {"Default Currency": "USD", "Default Fee Policy": "Standard"},
    )
    [unplanned] = commands.fees(commands.check_book(without_plan, AS_OF)).data["fees"]
    assert fee["accrued"] < unplanned["accrued"]  # fees resumed on 21 March, not from the due date


def test_a_fee_policy_while_current_is_charged_while_the_plan_is_kept():
    sheets, _ = rows(payments=[pay(d, 200.00) for d in MONTHLY_200[:5]], plans=[plan_row(policy="Standard")])
    book = book_from_rows(sheets, {"Default Currency": "USD", "Default Fee Policy": "Exempt"})
    [fee] = commands.fees(commands.check_book(book, D(2026, 6, 10))).data["fees"]
    assert fee["policy"] == "Standard" and fee["accrued"] > 0


# --- promises to pay ----------------------------------------------------------------------------------------


def test_a_promise_holds_reminders_until_its_date_then_is_kept_or_broken(tmp_path):
    promised = [["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00, None, D(2026, 7, 5), 500.00]]
    s = standing(invoices=promised, plans=())
    assert [p.state for p in s.promises] == [PENDING] and s.holds["inv-1"][0] == "promised"
    kept = standing(invoices=promised, plans=(), payments=[pay(D(2026, 7, 6), 500.00)], as_of=D(2026, 7, 9))
    assert [p.state for p in kept.promises] == [KEPT] and "inv-1" not in kept.holds
    broken = standing(invoices=promised, plans=(), payments=[pay(D(2026, 7, 6), 100.00)], as_of=D(2026, 7, 9))
    assert [p.state for p in broken.promises] == [
        BROKEN
    ] and "promise to pay 500.00 by 2026-07-05 broken" in broken.notes["inv-1"]
    [finding] = broken.findings
    assert (finding.code, finding.sheet, finding.cell) == ("broken-promise", "Invoices", "G2")
    path = book_file(tmp_path, invoices=promised, plans=(), payments=[pay(D(2026, 7, 6), 100.00)])
    refreshed = commands.refresh(load(path, D(2026, 7, 9)))
    dunning = {s.name: s for s in refreshed.patch.sheets}["Dunning"]
    assert [r[0] for r in dunning.rows if r[0] == "Broken Promise"] == ["Broken Promise"]
    [letter] = refreshed.data["dunning"]["letters"]
    assert "promise to pay 500.00 by 2026-07-05 broken" in letter["reason"]


# --- validation -------------------------------------------------------------------------------------------


def test_validation_names_each_plan_mistake_at_its_cell(tmp_path, capsys):
    plans = [
        plan_row("PP-1", "C9"),  # unknown customer
        plan_row("PP-2", "C1", "INV-1; INV-404"),  # unknown invoice
        plan_row("PP-3", "C1", "INV-1"),  # INV-1 in two active plans
        plan_row("PP-4", "C2", "INV-2", each=900.00, n=3),  # 3 x 900 cannot make 500
        plan_row("PP-5", "C3", "INV-3", freq="Custom", n=None),
    ]
    invoices = [
        ["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00],
        ["INV-2", "C2", D(2025, 12, 11), D(2026, 1, 10), 500.00],
        ["INV-3", "C3", D(2025, 12, 11), D(2026, 1, 10), 300.00, None, D(2025, 11, 1)],  # promised before issued
    ]
    custom = [["PP-5", D(2026, 3, 1), 100.00], ["PP-5", D(2026, 2, 1), 200.00]]
    path = book_file(tmp_path, invoices=invoices, plans=plans, installments=custom)
    assert main(["validate", str(path), "--as-of", str(AS_OF), "--json"]) == 1
    found = {(f["code"], f["sheet"], f["cell"]) for f in json.loads(capsys.readouterr().out)}
    assert {
        ("plan-unknown-customer", "PaymentPlans", "B2"),
        ("plan-unknown-invoice", "PaymentPlans", "C3"),
        ("plan-invoice-twice", "PaymentPlans", "C4"),
        ("plan-does-not-add-up", "PaymentPlans", "A5"),
        ("plan-dates-out-of-order", "PlanInstallments", "B3"),
        ("promise-before-invoice", "Invoices", "L4"),
    } <= found


# --- the commands -------------------------------------------------------------------------------------------


def test_billing_plans_json_and_the_plan_schedule_sheet(tmp_path, capsys):
    path = book_file(tmp_path, payments=[pay(MONTHLY_200[0], 200.00)], plans=[plan_row()])
    assert main(["plans", str(path), "--as-of", "2026-02-25", "--json"]) == 0
    [plan] = json.loads(capsys.readouterr().out)["plans"]
    assert {k: plan[k] for k in ("plan_id", "customer_id", "status", "next_due", "next_amount", "misses", "held")} == {
        "plan_id": "PP-1",
        "customer_id": "C1",
        "status": "Active",
        "next_due": "2026-02-15",
        "next_amount": "200.00",
        "misses": 1,
        "held": ["INV-1"],
    }
    assert main(["plans", str(path), "--as-of", "2026-02-25", "--write"]) == 0
    ws = openpyxl.load_workbook(path)["PlanSchedule"]
    values = list(ws.iter_rows(values_only=True))
    assert values[0][:8] == ("Plan ID", "Customer ID", "Currency", "Installment", "Due Date", "Amount", "Paid", "State")
    assert [r[7] for r in values[1:]] == [PAID, LATE, UPCOMING, UPCOMING, UPCOMING, UPCOMING]
    assert sum(r[5] for r in values[1:]) == 1200


def test_plans_propose_shows_a_schedule_and_adds_it_as_proposed(tmp_path, capsys):
    path = book_file(tmp_path, plans=())
    args = ["plans", "propose", str(path), "C1", "--installments", "4", "--down", "200", "--start", "2026-07-01"]
    assert main([*args, "--json", "--as-of", str(AS_OF)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["amount_planned"] == "1200.00"
    assert [(i["due"], i["amount"]) for i in data["installments"]] == [
        ("2026-07-01", "200.00"),
        ("2026-08-01", "250.00"),
        ("2026-09-01", "250.00"),
        ("2026-10-01", "250.00"),
        ("2026-11-01", "250.00"),
    ]
    assert main([*args, "--add", "--as-of", str(AS_OF)]) == 0
    ws = openpyxl.load_workbook(path)["PaymentPlans"]
    [header, row] = [r for r in ws.iter_rows(values_only=True) if any(r)]
    added = dict(zip(header, row))
    assert (added["Plan ID"], added["Customer ID"], added["Status"], added["Installments"]) == (
        "PP-1",
        "C1",
        "Proposed",
        4,
    )
    [plan] = plan_commands.plans(load(path, AS_OF)).data["plans"]
    assert plan["status"] == "Proposed" and plan["held"] == []  # proposed: nothing waits for it yet


def test_refresh_lists_the_plans_and_writes_their_schedule(tmp_path):
    path = book_file(tmp_path, payments=[pay(d, 200.00) for d in MONTHLY_200])
    result = commands.refresh(load(path, AS_OF))
    assert [p["status"] for p in result.data["plans"]] == ["Completed"]
    assert "PlanSchedule" in {s.name for s in result.patch.sheets}


def test_the_plan_functions_equal_the_batch_figures(tmp_path):
    """PLAN_STATUS, NEXT_INSTALLMENT and NEXT_INSTALLMENT_AMOUNT as Excel would call them (up to the xlwings
    boundary: Excel itself cannot run here), against `billing plans` on the same file."""
    from billing_addin.excel import udfs
    from billing_addin.excel.workbook_data import FileBookSource

    plans = [plan_row("PP-1"), plan_row("PP-2", "C2", "INV-2", n=3)]
    invoices = [
        ["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00],
        ["INV-2", "C2", D(2025, 12, 11), D(2026, 1, 10), 900.00],
    ]
    payments = [pay(d, 200.00) for d in MONTHLY_200[:2]] + [pay(PLAN_START, 900.00, "C2", "INV-2")]
    path = book_file(tmp_path, invoices=invoices, payments=payments, plans=plans)
    source = FileBookSource(path)
    day = D(2026, 3, 1)
    batch = {p["plan_id"]: p for p in plan_commands.plans(load(path, day)).data["plans"]}
    for pid, plan in batch.items():
        assert udfs.PLAN_STATUS(pid, day, caller=source) == plan["status"]
    assert udfs.NEXT_INSTALLMENT("PP-1", day, caller=source) == dt.datetime(2026, 3, 15)
    assert udfs.NEXT_INSTALLMENT_AMOUNT("PP-1", day, caller=source) == float(batch["PP-1"]["next_amount"]) == 200.0
    assert batch["PP-2"]["status"] == "Completed" and udfs.NEXT_INSTALLMENT_AMOUNT("PP-2", day, caller=source) == 0.0
    assert udfs.NEXT_INSTALLMENT("PP-2", day, caller=source) == "#N/A every installment is paid"
    assert udfs.PLAN_STATUS("PP-9", day, caller=source).startswith("#N/A plan PP-9 is not on the PaymentPlans sheet")


def test_a_statement_asks_a_customer_on_a_kept_plan_for_the_installment_not_the_whole(tmp_path, capsys):
    other = ["INV-9", "C1", D(2026, 5, 1), D(2026, 5, 31), 50.00]  # not in the plan: due in full
    invoices = [["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00], other]
    payments = [pay(d, 200.00) for d in MONTHLY_200[:4]]  # May's installment is not paid yet
    path = book_file(tmp_path, invoices=invoices, payments=payments)
    result = commands.statement(load(path, D(2026, 5, 17)), "C1", D(2026, 1, 1), D(2026, 5, 17))
    [s] = result.data["statements"]
    assert str(s["closing_balance"]) == "450.00" and str(s["amount_due"]) == "250.00"  # 200.00 installment + 50.00
    assert [(p["plan_id"], str(p["amount_due"]), p["next_due"]) for p in s["payment_plans"]] == [
        ("PP-1", "200.00", D(2026, 5, 15))
    ]
    assert main(["statement", str(path), "C1", "--from", "2026-01-01", "--to", "2026-05-17"]) == 0
    assert "Amount due: 250.00; plan PP-1: 200.00 due now, next 200.00 on 2026-05-15" in capsys.readouterr().out


def test_a_whole_balance_plan_over_an_invoice_another_plan_lists_is_refused():
    s = standing(plans=[plan_row("PP-1"), plan_row("PP-2", invoices=None)], as_of=D(2026, 1, 16))
    [f] = [f for f in s.findings if f.code == "plan-invoice-twice"]
    assert (f.sheet, f.cell) == ("PaymentPlans", "C3") and "PP-1 and PP-2" in f.message
