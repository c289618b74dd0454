"""Payment plans and promises to pay: who has agreed to pay what when, and whether they are keeping to it.

A plan covers invoices (listed, or the customer's whole balance on the start date): what they owed the day
before the start date is the amount planned, paid as a down payment on the start date and then installments
(equal, the last one taking the rounding remainder; or a fixed amount with the remainder last; or Custom
dates and amounts from PlanInstallments). Payments and credits on the covered invoices pay the oldest open
installment first, and an overpayment rolls forward to the next.

An installment not paid in full by its due date plus the plan's grace days is missed. A plan is Broken once
`Plan Misses Allowed` installments are missed (Settings, default 2), from the day after the grace of the last
of them. While a plan is kept (Active, not Broken), reminders and late fees wait for what it covers, unless its
Fee Policy While Current names a policy; once broken they resume from the day it broke. Nothing is re-aged:
a restart is a new plan row.

A promise to pay (Invoices: Promise To Pay, Promised Amount) holds reminders for that invoice until its date
plus `Promise Grace Days`. It is kept once payments after the due date reach the promised amount (blank: the
invoice is paid) by then; otherwise it is broken, and reminders resume.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from billing_addin.core.book import Book, SheetData
from billing_addin.core.claims import insurance_holds
from billing_addin.core.dunning import INSURANCE_PENDING, PAYMENT_PLAN, PROMISED
from billing_addin.core.fees import FeeTerms
from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.ledger import VOID, InvoiceBalance, Ledger
from billing_addin.core.money import format_cents
from billing_addin.core.schema import CUSTOMERS, INVOICES, PAYMENT_PLANS, PLAN_INSTALLMENTS

WEEKLY, BIWEEKLY, MONTHLY, CUSTOM = "Weekly", "Every 2 Weeks", "Monthly", "Custom"
PROPOSED, ACTIVE, COMPLETED, BROKEN, CANCELLED = "Proposed", "Active", "Completed", "Broken", "Cancelled"
UPCOMING, DUE, PAID, LATE, MISSED = "Upcoming", "Due", "Paid", "Late", "Missed"
PENDING, KEPT = "Pending", "Kept"  # a promise: Pending, Kept or Broken
_SPLIT = re.compile(r"[;,\n]+")


class PlanError(ValueError):
    """A plan whose schedule cannot be made (installments that do not add up, no installments)."""


@dataclass(frozen=True)
class Installment:
    """One payment a plan asks for. number 0 is the down payment."""

    number: int
    due: dt.date
    amount: int  # cents


@dataclass(frozen=True)
class PlanTerms:
    """A PaymentPlans row as typed."""

    plan_id: str
    customer_id: str
    invoices: tuple[str, ...]  # empty: the customer's whole balance on the start date
    start: dt.date
    down_payment: int
    installments: int | None
    frequency: str
    installment_amount: int | None
    grace_days: int
    fee_policy: str | None  # Fee Policy While Current
    status: str | None
    agreed_on: dt.date | None
    row: int  # Excel row on PaymentPlans
    custom: tuple[tuple[dt.date, int, int], ...] = ()  # Custom: (due date, cents, PlanInstallments row)


@dataclass(frozen=True)
class InstallmentStanding:
    number: int
    due: dt.date
    amount: int
    paid: int
    state: str  # Upcoming, Due, Paid, Late, Missed
    days_late: int  # paid: days after the due date it was paid in full; open: days past due


@dataclass(frozen=True)
class PlanStanding:
    """A plan as at the as-of date."""

    terms: PlanTerms
    currency: str
    covered: tuple[str, ...]  # the invoices it covers, as typed on Invoices
    amount_planned: int
    paid: int  # paid towards it so far (payments and credits on the covered invoices since the start)
    schedule: tuple[InstallmentStanding, ...]
    status: str  # Proposed, Active, Completed, Broken, Cancelled
    misses: int
    broken_on: dt.date | None
    reason: str  # one sentence a clerk can read out

    @property
    def in_good_standing(self) -> bool:
        """Kept: reminders and late fees wait for what it covers."""
        return self.status == ACTIVE

    @property
    def next_installment(self) -> InstallmentStanding | None:
        """The first installment not paid in full."""
        return next((i for i in self.schedule if i.state != PAID), None)

    @property
    def amount_due(self) -> int:
        """What is due now: every installment due by the as-of date and not yet paid (a statement's amount due)."""
        return sum(i.amount - i.paid for i in self.schedule if i.state in (DUE, LATE, MISSED))


@dataclass(frozen=True)
class Promise:
    invoice_no: str
    customer_id: str
    date: dt.date
    amount: int | None  # None: everything owed
    state: str  # Pending, Kept, Broken
    cell: str  # the Promise To Pay cell, e.g. "L7"
    sheet: str


@dataclass
class PlansAsOf:
    """Every plan and promise of a book as at one date, and what they hold (with the invoices whose insurance
    claim is not settled: they hold reminders and fees the same way)."""

    plans: list[PlanStanding] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    holds: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # invoice no (casefolded) -> (code, why) reminders wait
    notes: dict[str, str] = field(default_factory=dict)  # invoice no (casefolded) -> a broken plan or promise
    fee_terms: dict[str, FeeTerms] = field(default_factory=dict)  # invoice no (casefolded) -> plan fee terms

    def plan(self, plan_id: str) -> PlanStanding | None:
        key = plan_id.casefold()
        return next((p for p in self.plans if p.terms.plan_id.casefold() == key), None)


# --- the schedule ---------------------------------------------------------------------------------------


def plus_days(day: dt.date, days: int) -> dt.date:
    """`day` moved by `days`, held at the calendar's ends (a date typed as 9999-12-31 is a typo validation
    reports; it must not stop the other plans)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day: 31 January + 1 month is
    28 (or 29) February, and + 2 months 31 March (counted from the first date, never from a clamped one)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(start: dt.date, frequency: str, periods: int) -> dt.date:
    """The date `periods` periods after `start`."""
    if frequency == WEEKLY:
        return plus_days(start, 7 * periods)
    if frequency == BIWEEKLY:
        return plus_days(start, 14 * periods)
    if frequency == MONTHLY:
        return add_months(start, periods)
    raise PlanError(f"frequency {frequency!r} has no dates of its own")


def make_schedule(
    amount_planned: int,
    installments: int,
    frequency: str,
    start: dt.date,
    down_payment: int = 0,
    installment_amount: int | None = None,
) -> list[Installment]:
    """The installments of a Weekly, Every 2 Weeks or Monthly plan; they add up to `amount_planned` exactly.

    The down payment (if any) is due on the start date and the first installment one period later; without one,
    the first installment is due on the start date. Installments are equal with the last taking the rounding
    remainder, or `installment_amount` each with the remainder last.

    >>> [(i.due.isoformat(), i.amount) for i in make_schedule(100_00, 3, "Monthly", dt.date(2026, 1, 31))]
    [('2026-01-31', 3333), ('2026-02-28', 3333), ('2026-03-31', 3334)]
    """
    if installments < 1:
        raise PlanError("a plan needs at least one installment")
    if down_payment < 0 or down_payment > amount_planned:
        raise PlanError(
            f"the down payment {format_cents(down_payment)} is more than the {format_cents(amount_planned)} planned"
        )
    rest = amount_planned - down_payment
    if installment_amount is None:
        each = rest // installments
        amounts = [each] * (installments - 1) + [rest - each * (installments - 1)]
    else:
        last = rest - installment_amount * (installments - 1)
        if installment_amount <= 0 or last <= 0 or last > installment_amount * 2:
            raise PlanError(
                f"{installments} installments of {format_cents(installment_amount)} do not add up to the "
                f"{format_cents(rest)} to pay after the down payment"
            )
        amounts = [installment_amount] * (installments - 1) + [last]
    out = [Installment(0, start, down_payment)] if down_payment else []
    offset = 1 if down_payment else 0
    out += [Installment(k + 1, due_date(start, frequency, k + offset), a) for k, a in enumerate(amounts)]
    return out


def custom_schedule(amount_planned: int, down_payment: int, start: dt.date, rows) -> list[Installment]:
    """A Custom plan's installments from its PlanInstallments rows (in date order); they must add up."""
    out = [Installment(0, start, down_payment)] if down_payment else []
    out += [Installment(k + 1, due, cents) for k, (due, cents, _row) in enumerate(rows)]
    total = sum(i.amount for i in out)
    if not rows:
        raise PlanError("a Custom plan needs its dates and amounts on the PlanInstallments sheet")
    if total != amount_planned:
        raise PlanError(
            f"the installments add up to {format_cents(total)}, not the {format_cents(amount_planned)} planned"
        )
    return out


# --- reading the sheets -----------------------------------------------------------------------------------


def _col(sd: SheetData, name: str) -> list:
    return sd.columns.get(name) or [None] * len(sd.rows)


def invoice_list(text: str | None) -> tuple[str, ...]:
    """'INV-1; INV-7' -> ('INV-1', 'INV-7'); blank -> ()."""
    return tuple(p.strip() for p in _SPLIT.split(text or "") if p.strip())


def plan_terms(book: Book) -> tuple[list[PlanTerms], list[Finding]]:
    """The PaymentPlans rows (with their PlanInstallments), and what is wrong with them on their own."""
    sd = book.sheet(PAYMENT_PLANS.name)
    if sd is None:
        return [], []
    findings: list[Finding] = []
    custom: dict[str, list[tuple[dt.date, int, int]]] = {}
    rows_sd = book.sheet(PLAN_INSTALLMENTS.name)
    if rows_sd is not None:
        for row, pid, due, cents in zip(
            rows_sd.rows, _col(rows_sd, "Plan ID"), _col(rows_sd, "Due Date"), _col(rows_sd, "Amount")
        ):
            if pid is not None and due is not None and cents is not None:
                custom.setdefault(pid.casefold(), []).append((due, cents, row))
        for pid, rows in custom.items():
            for (a, _, _), (b, _, row) in zip(rows, rows[1:]):
                if b <= a:
                    findings.append(
                        error(
                            "plan-dates-out-of-order",
                            rows_sd.title,
                            rows_sd.cell("Due Date", row),
                            f"Plan {pid}: installment due {b} comes after one due {a}; the dates must rise.",
                            "List each plan's installments in date order, one date per installment.",
                        )
                    )
    out = []
    cols = [_col(sd, n) for n in (
        "Plan ID", "Customer ID", "Invoices", "Start Date", "Down Payment", "Installments", "Frequency",
        "Installment Amount", "Grace Days", "Fee Policy While Current", "Status", "Agreed On",
    )]  # fmt: skip
    for row, pid, cid, invoices, start, down, n, freq, each, grace, policy, status, agreed in zip(sd.rows, *cols):
        if pid is None or cid is None or start is None or freq is None:
            continue  # the required check names the blank cell
        if freq != CUSTOM and (n is None or n < 1):
            findings.append(
                error(
                    "plan-no-installments",
                    sd.title,
                    sd.cell("Installments", row) if sd.has("Installments") else sd.cell("Plan ID", row),
                    f"Plan {pid} ({freq}) has no number of installments.",
                    "Type how many installments follow the down payment, e.g. 6.",
                )
            )
            continue
        out.append(
            PlanTerms(
                pid,
                cid,
                invoice_list(invoices),
                start,
                down or 0,
                n,
                freq,
                each,
                grace or 0,
                policy,
                status,
                agreed,
                row,
                tuple(custom.get(pid.casefold(), ())) if freq == CUSTOM else (),
            )  # fmt: skip
        )
    return out, findings


def check_plan_rows(book: Book, terms: list[PlanTerms]) -> list[Finding]:
    """Plans for an unknown customer or invoice, and two live plans on one invoice (no ledger needed)."""
    sd = book.sheet(PAYMENT_PLANS.name)
    if sd is None or not terms:
        return []
    customers = book.index.customers
    invoices = book.index.invoices
    out: list[Finding] = []
    live: dict[str, str] = {}  # invoice (casefolded) -> the first live plan covering it
    for t in terms:
        if t.customer_id not in customers:
            out.append(
                error(
                    "plan-unknown-customer",
                    sd.title,
                    sd.cell("Customer ID", t.row),
                    f"Plan {t.plan_id} is for customer {t.customer_id}, who is not on the {CUSTOMERS.name} sheet.",
                    "Type a Customer ID from the Customers sheet.",
                )
            )
            continue
        for no in t.invoices:
            found = invoices.get(no)
            if found is None or found[1].casefold() != t.customer_id.casefold():
                whose = "is not on the Invoices sheet" if found is None else f"is {found[1]}'s, not {t.customer_id}'s"
                out.append(
                    error(
                        "plan-unknown-invoice",
                        sd.title,
                        sd.cell("Invoices", t.row),
                        f"Plan {t.plan_id} covers invoice {no}, which {whose}.",
                        "List the customer's own Invoice Nos, separated by semicolons, or leave it blank for the "
                        "whole balance.",
                    )
                )
            elif (t.status or ACTIVE) == ACTIVE:
                other = live.setdefault(no.casefold(), t.plan_id)
                if other != t.plan_id:
                    out.append(
                        error(
                            "plan-invoice-twice",
                            sd.title,
                            sd.cell("Invoices", t.row),
                            f"Invoice {no} is in two active plans: {other} and {t.plan_id}.",
                            "Mark the older plan Cancelled (or Broken) before a new one starts: one invoice, one "
                            "plan at a time.",
                        )
                    )
    return out


# --- the standing ---------------------------------------------------------------------------------------


def _covered(terms: PlanTerms, ledger: Ledger) -> list[InvoiceBalance]:
    """The invoices a plan covers: those listed, or every invoice of the customer with something owed the day
    before the start date."""
    if terms.invoices:
        wanted = {n.casefold() for n in terms.invoices}
        return [i for i in ledger.invoices.values() if i.invoice_no.casefold() in wanted]
    cid = terms.customer_id.casefold()
    eve = plus_days(terms.start, -1)
    return [
        i
        for i in ledger.invoices.values()
        if i.customer_id.casefold() == cid
        and i.status != VOID
        and i.invoice_date < terms.start
        and i.principal_on(eve) > 0
    ]


def _owed_before(inv: InvoiceBalance, start: dt.date) -> int:
    """What an invoice owed (principal) the day before a plan's start date; an invoice issued on the start date
    owes its amount."""
    if inv.invoice_date >= start:
        return inv.amount
    return inv.principal_on(plus_days(start, -1))


def _paid_by(covered: list[InvoiceBalance], start: dt.date, planned: int):
    """A function day -> paid towards the plan by the end of that day, and the days it changed (sorted)."""
    changes = sorted({d for inv in covered for d, _ in inv.history if d >= start})
    base = {id(inv): _owed_before(inv, start) for inv in covered}

    def paid(day: dt.date) -> int:
        if day < start:
            return 0
        owed = sum(inv.principal_on(day) if inv.invoice_date <= day else base[id(inv)] for inv in covered)
        return max(0, min(planned, planned - owed))

    return paid, changes


def plan_standing(terms: PlanTerms, ledger: Ledger, misses_allowed: int) -> PlanStanding:
    """Where a plan stands as at the ledger's as-of date. Raises PlanError when its schedule cannot be made
    or its invoices are in two currencies."""
    as_of = ledger.as_of
    covered = _covered(terms, ledger)
    currencies = sorted({i.currency for i in covered})
    if len(currencies) > 1:
        raise PlanError(f"its invoices are in {' and '.join(currencies)}: a plan is in one currency")
    if not covered:
        raise PlanError(
            "it covers nothing: "
            + (
                "none of its invoices is on the Invoices sheet"
                if terms.invoices
                else f"nothing was owed on {terms.start}"
            )
        )
    planned = sum(_owed_before(i, terms.start) for i in covered)
    if terms.frequency == CUSTOM:
        schedule = custom_schedule(planned, terms.down_payment, terms.start, terms.custom)
    else:
        schedule = make_schedule(
            planned, terms.installments or 0, terms.frequency, terms.start, terms.down_payment, terms.installment_amount
        )
    paid_by, changes = _paid_by(covered, terms.start, planned)
    paid_now = paid_by(as_of)
    grace = terms.grace_days

    def paid_in_full_on(cumulative: int) -> dt.date | None:
        return next((d for d in changes if d <= as_of and paid_by(d) >= cumulative), None)

    states: list[tuple[Installment, int, dt.date | None]] = []  # (installment, paid of it, day paid in full)
    cumulative = 0
    misses: list[dt.date] = []  # the day each miss happened
    for inst in schedule:
        before = cumulative
        cumulative += inst.amount
        paid = max(0, min(inst.amount, paid_now - before))
        done = paid_in_full_on(cumulative) if paid >= inst.amount else None
        missed_on = plus_days(inst.due, grace + 1)
        if missed_on <= as_of and (done is None or done >= missed_on):
            misses.append(missed_on)
        states.append((inst, paid, done))

    row_status = terms.status or ACTIVE
    broken_on = misses[misses_allowed - 1] if misses_allowed > 0 and len(misses) >= misses_allowed else None
    if row_status in (CANCELLED, PROPOSED):
        status = row_status
    elif paid_now >= planned:
        status = COMPLETED
    elif row_status == BROKEN or broken_on is not None:
        status = BROKEN
        broken_on = broken_on or (misses[-1] if misses else as_of)
    else:
        status = ACTIVE
    standing = []
    for inst, paid, done in states:
        if paid >= inst.amount:
            state, late = PAID, max(0, ((done or inst.due) - inst.due).days)
        elif inst.due > as_of:
            state, late = UPCOMING, 0
        elif as_of <= plus_days(inst.due, grace):
            state, late = DUE, (as_of - inst.due).days
        else:
            state, late = (MISSED if status in (BROKEN, CANCELLED) else LATE), (as_of - inst.due).days
        standing.append(InstallmentStanding(inst.number, inst.due, inst.amount, paid, state, late))
    reason = _reason(terms, status, standing, misses, broken_on, misses_allowed, planned, paid_now, currencies[0])
    return PlanStanding(
        terms, currencies[0], tuple(i.invoice_no for i in covered), planned, paid_now, tuple(standing), status,
        len(misses), broken_on if status == BROKEN else None, reason,
    )  # fmt: skip


def _reason(terms, status, standing, misses, broken_on, allowed, planned, paid, currency) -> str:
    money = f"{format_cents(paid)} of {format_cents(planned)} {currency} paid"
    if status == CANCELLED:
        return f"Plan {terms.plan_id} was cancelled; {money}."
    if status == PROPOSED:
        return f"Plan {terms.plan_id} is proposed, not agreed yet: reminders and fees go on as usual."
    if status == COMPLETED:
        return f"Plan {terms.plan_id} is paid in full ({money})."
    missed = f"{len(misses)} installment(s) missed"
    if status == BROKEN:
        on = f" on {broken_on}" if broken_on else ""
        return (
            f"Plan {terms.plan_id} broke{on} ({missed}; {allowed} break a plan): reminders and late fees resumed "
            f"from then; {money}."
        )
    following = next((i for i in standing if i.state != PAID), None)
    nxt = f"; next: {format_cents(following.amount - following.paid)} due {following.due}" if following else ""
    late = f"; {missed} ({allowed} break it)" if misses else ""
    return f"Plan {terms.plan_id} is kept: {money}{nxt}{late}."


def promise_state(inv: InvoiceBalance, date: dt.date, amount: int | None, as_of: dt.date, grace_days: int) -> str:
    """Pending until the promise date plus grace, unless kept by then; Kept once payments (and credits) after
    the due date reach the promised amount (blank: nothing is owed); else Broken."""
    deadline = plus_days(date, grace_days)
    until = min(as_of, deadline)
    if amount is None:
        kept = inv.principal_on(until) <= 0
    else:
        kept = inv.principal_on(inv.due_date) - inv.principal_on(until) >= amount
    if kept:
        return KEPT
    return PENDING if as_of <= deadline else BROKEN


def plans_as_of(book: Book, ledger: Ledger) -> PlansAsOf:
    """Every plan and promise of the book as at the ledger's as-of date, with what they hold and why."""
    out = PlansAsOf()
    terms, out.findings = plan_terms(book)
    settings = book.settings
    allowed = int(settings.get("Plan Misses Allowed", 2))
    sd = book.sheet(PAYMENT_PLANS.name)
    known = book.index.customers
    owner: dict[str, PlanTerms] = {}  # invoice (casefolded) -> the first kept plan covering it
    for t in terms:
        if t.customer_id not in known:
            continue  # check_plan_rows names it; the plan covers no one's invoices
        try:
            standing = plan_standing(t, ledger, allowed)
        except PlanError as e:
            out.findings.append(
                error(
                    "plan-does-not-add-up",
                    sd.title,
                    sd.cell("Plan ID", t.row),
                    f"Plan {t.plan_id} cannot be followed: {e}.",
                    "Fix the plan's row (Invoices, Down Payment, Installments, Installment Amount, or its "
                    "PlanInstallments rows), or mark it Cancelled.",
                )
            )
            continue
        out.plans.append(standing)
        for no in standing.covered:
            key = no.casefold()
            if standing.in_good_standing:
                first = owner.setdefault(key, t)
                if first is not t and not (first.invoices and t.invoices):  # both listed: check_plan_rows says so
                    out.findings.append(
                        error(
                            "plan-invoice-twice",
                            sd.title,
                            sd.cell("Invoices", t.row) if sd.has("Invoices") else sd.cell("Plan ID", t.row),
                            f"Invoice {no} is in two active plans: {first.plan_id} and {t.plan_id} (a blank Invoices "
                            "cell covers the customer's whole balance).",
                            "Mark the older plan Cancelled (or Broken) before a new one starts: one invoice, one "
                            "plan at a time.",
                        )
                    )
                out.holds.setdefault(key, (PAYMENT_PLAN, standing.reason))
                out.fee_terms[key] = FeeTerms(ledger.as_of, t.fee_policy)
            elif standing.status == BROKEN:
                out.notes.setdefault(key, standing.reason)
                out.fee_terms.setdefault(key, FeeTerms(standing.broken_on))
    out.promises, promise_findings = _promises(book, ledger, int(settings.get("Promise Grace Days", 3)))
    out.findings += promise_findings
    for p in out.promises:
        key = p.invoice_no.casefold()
        what = f"{format_cents(p.amount)} " if p.amount is not None else "in full "
        if p.state == PENDING:
            out.holds.setdefault(key, (PROMISED, f"{p.invoice_no}: promised to pay {what}by {p.date}"))
        elif p.state == BROKEN:
            out.notes.setdefault(key, f"{p.invoice_no}: promise to pay {what}by {p.date} broken")
    for key, hold in insurance_holds(book, INSURANCE_PENDING).items():  # a claim the insurer has not settled
        out.holds.setdefault(key, hold)
        out.fee_terms.setdefault(key, FeeTerms(ledger.as_of))
    return out


def _promises(book: Book, ledger: Ledger, grace_days: int) -> tuple[list[Promise], list[Finding]]:
    sd = book.sheet(INVOICES.name)
    if sd is None or not sd.has("Promise To Pay"):
        return [], []
    by_row = {inv.row: inv for inv in ledger.invoices.values()}
    promises, findings = [], []
    for row, day, amount in zip(sd.rows, sd.columns["Promise To Pay"], _col(sd, "Promised Amount")):
        inv = by_row.get(row)
        if day is None or inv is None or inv.status == VOID:
            continue
        cell = sd.cell("Promise To Pay", row)
        if day < inv.invoice_date:
            findings.append(
                error(
                    "promise-before-invoice",
                    sd.title,
                    cell,
                    f"Invoice {inv.invoice_no}: the promise to pay by {day} is dated before the invoice ({inv.invoice_date}).",
                    "Type the date the customer promised to pay by (the call's date or later).",
                )
            )
            continue
        state = promise_state(inv, day, amount, ledger.as_of, grace_days)
        promises.append(Promise(inv.invoice_no, inv.customer_id, day, amount, state, cell, sd.title))
        if state == BROKEN:
            what = f"{format_cents(amount)} " if amount is not None else "in full "
            findings.append(
                warning(
                    "broken-promise",
                    sd.title,
                    cell,
                    f"Invoice {inv.invoice_no}: {inv.customer_id} promised to pay {what}by {day} and has not "
                    f"(grace {grace_days} days): reminders resume.",
                    "Call the customer, or note a new Promise To Pay date once they promise again.",
                )
            )
    return promises, findings


def amount_due(
    closing: int, open_items, plans: list[PlanStanding], currency: str, not_yet: frozenset[str] = frozenset()
) -> tuple[int, list[PlanStanding]]:
    """What a statement asks for: the closing balance, except that what a kept plan covers is due only as its
    installments fall due, and invoices in `not_yet` (casefolded: their insurance claim is not settled) are not
    due at all. Returns (amount due, the kept plans it allowed for)."""
    kept = [p for p in plans if p.in_good_standing and p.currency == currency]
    covered = {no.casefold() for p in kept for no in p.covered} | not_yet
    waiting = sum(
        i.outstanding for i in open_items if getattr(i, "invoice_no", "").casefold() in covered and i.outstanding > 0
    )
    return closing - waiting + sum(p.amount_due for p in kept), kept
