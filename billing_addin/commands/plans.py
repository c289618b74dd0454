"""`plans` and `plans propose`: every payment plan's state, and a schedule to show a customer before a plan is
added (core/plans.py holds the rules)."""

from __future__ import annotations

import datetime as dt

from billing_addin.commands.records import money, plan_record, promise_record
from billing_addin.commands.result import Result, append_target, audit_sheet, loaded_at, rows_read, stopped
from billing_addin.core import reports
from billing_addin.core.book import Book
from billing_addin.core.findings import ERROR, Finding, sort_findings
from billing_addin.core.ledger import VOID, build_ledger
from billing_addin.core.money import format_cents
from billing_addin.core.patch import AppendRows, Patch
from billing_addin.core.plans import MONTHLY, PROPOSED, PlanError, make_schedule, plans_as_of
from billing_addin.core.schema import PAYMENT_PLANS, PLAN_FREQUENCIES
from billing_addin.loader import LoadedBook


def plans(
    loaded: LoadedBook | Book,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
) -> Result:
    """Every plan's status, next installment, misses and what it holds, and every promise to pay; the patch
    holds the PlanSchedule sheet (every installment) and an Audit row."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("plans", loaded, as_of)
    standing = plans_as_of(book, build_ledger(book, as_of))
    result = Result("plans", as_of, sort_findings(loaded.errors, book.sheet_titles))
    result.data = {
        "as_of": as_of,
        "plans": [plan_record(p) for p in standing.plans],
        "promises": [promise_record(p) for p in standing.promises],
    }
    counts: dict[str, int] = {}
    for p in standing.plans:
        counts[p.status] = counts.get(p.status, 0) + 1
    result.counts = {
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "rows": rows_read(book),
        "plans": len(standing.plans),
    }
    result.details = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items())) or "no plans"
    result.patch = Patch(
        sheets=(
            reports.plan_schedule_sheet(standing.plans, reports.customer_id_cells(book)),
            audit_sheet(book, result, now, user),
        )
    )
    return result


def propose(
    loaded: LoadedBook | Book,
    customer_id: str,
    *,
    installments: int,
    frequency: str = MONTHLY,
    down_payment: int = 0,
    start: dt.date | None = None,
    as_of: dt.date | None = None,
    add: bool = False,
    plan_id: str | None = None,
) -> Result:
    """A schedule for the customer's whole balance (in its currency) from `start` (default: the as-of date):
    data["amount_planned"] and data["installments"] ({due, amount}; number 0 is the down payment). With `add`,
    the patch appends it to PaymentPlans as Proposed (a clerk marks it Active once the customer agrees)."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("plans", loaded, as_of)
    start = start or as_of
    result = Result("plans", as_of)
    if loaded.held.holds(customer_id):  # a plan on figures from rows with errors would promise wrong amounts
        result.findings = [
            *sort_findings(loaded.errors, book.sheet_titles),
            _error(
                "plan-held-back",
                f"No plan proposed for {customer_id}: {loaded.held.reason(customer_id)}.",
                "Each error above names its cell.",
            ),
        ]
        result.data = {"customer_id": customer_id, "stopped": True}
        return result
    frequency = next((f for f in PLAN_FREQUENCIES if f.casefold() == frequency.replace("-", " ").casefold()), frequency)
    if frequency not in PLAN_FREQUENCIES[:3]:
        raise ValueError(f"--frequency must be weekly, every-2-weeks or monthly, not {frequency!r}")
    ledger = build_ledger(book, as_of)
    key = customer_id.casefold()
    owed: dict[str, int] = {}
    for inv in ledger.invoices.values():
        if inv.customer_id.casefold() == key and inv.status != VOID and inv.invoice_date < start:
            owed[inv.currency] = owed.get(inv.currency, 0) + inv.principal_on(start - dt.timedelta(days=1))
    owed = {cur: cents for cur, cents in owed.items() if cents > 0}
    if not owed:
        if not any(c.customer_id.casefold() == key for c in ledger.customers):
            raise KeyError(customer_id)
        result.findings.append(
            _error(
                "plan-nothing-owed",
                f"{customer_id} owes nothing on {start}: no plan is needed.",
                "Check the Customer ID and the start date.",
            )
        )
        return result
    if len(owed) > 1:
        result.findings.append(
            _error(
                "plan-currencies",
                f"{customer_id} owes in {' and '.join(sorted(owed))}: a plan is in one currency.",
                "Propose one plan per currency by listing the invoices on PaymentPlans.",
            )
        )
        return result
    [(currency, planned)] = owed.items()
    try:
        schedule = make_schedule(planned, installments, frequency, start, down_payment)
    except PlanError as e:
        result.findings.append(
            _error("plan-does-not-add-up", f"No plan: {e}.", "Ask for fewer installments or a smaller down payment.")
        )
        return result
    name = next(c.customer_id for c in ledger.customers if c.customer_id.casefold() == key)
    result.data = {
        "customer_id": name,
        "currency": currency,
        "start": start,
        "frequency": frequency,
        "amount_planned": money(planned),
        "down_payment": money(down_payment),
        "installments": [{"number": i.number, "due": i.due, "amount": money(i.amount)} for i in schedule],
        "added": False,
    }
    result.details = (
        f"{name}: {format_cents(planned)} {currency} in {installments} {frequency.lower()} installment(s)"
        + (f" after {format_cents(down_payment)} down" if down_payment else "")
    )
    if add:
        appended = _plan_row(book, plan_id, name, start, down_payment, installments, frequency)
        if isinstance(appended, Finding):
            result.findings.append(appended)
        else:
            result.patch = Patch(appends=(appended,))
            result.data["added"] = True
            result.data["plan_id"] = next(iter(appended.rows[0].values()))
    return result


def _error(code: str, message: str, hint: str) -> Finding:
    return Finding(ERROR, code, "", "", message, hint)


def _plan_row(book: Book, plan_id, customer_id, start, down, installments, frequency) -> AppendRows | Finding:
    """The PaymentPlans row of a proposed plan (Plan ID first), or why it cannot be added."""
    sd = append_target(
        book,
        PAYMENT_PLANS.name,
        ("Plan ID", "Customer ID", "Start Date", "Installments", "Frequency", "Status"),
        "The plan cannot be added",
        "Add a PaymentPlans sheet (`billing new` shows its columns), or type the plan in by hand.",
    )
    if isinstance(sd, Finding):
        return sd
    header = sd.headers
    taken = {str(p).casefold() for p in sd.columns.get("Plan ID", []) if p is not None}
    if plan_id is None:
        n = len(taken) + 1
        while f"pp-{n}" in taken:
            n += 1
        plan_id = f"PP-{n}"
    elif plan_id.casefold() in taken:
        return Finding(
            ERROR, "duplicate-plan-id", sd.title, "", f"Plan ID {plan_id} is taken.", "Choose another Plan ID."
        )
    row = {
        header["Plan ID"]: plan_id,
        header["Customer ID"]: customer_id,
        header["Start Date"]: start,
        header["Installments"]: installments,
        header["Frequency"]: frequency,
        header["Status"]: PROPOSED,
    }
    if "Down Payment" in header and down:
        row[header["Down Payment"]] = money(down)
    return AppendRows(sd.title, (row,))
