"""Late fees and interest: what each policy allows on an overdue invoice by a given date.

Pure functions of (book, ledger, as_of). Fees accrue on the invoice's overdue principal as it was day by
day (the ledger's history), so a part payment stops interest on what it paid from the day it was paid.
Disputed invoices accrue nothing; an invoice on hold accrues nothing until its hold ends. What has been
charged is what the Adjustments sheet already holds as Late Fee rows for the invoice; posting adds only
the difference, so posting twice for the same day adds nothing and fees never decrease as time passes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from billing_addin.core.book import Book
from billing_addin.core.findings import Finding, error
from billing_addin.core.ledger import VOID, InvoiceBalance, Ledger
from billing_addin.core.money import excel_round
from billing_addin.core.statutory import SOURCED_RATES, RateNotCovered, ReferenceRate, statutory_interest

EXEMPT = "exempt"
PERIOD_DAYS = {"Daily": 1, "Weekly": 7}
PERIOD_MONTHS = {"Monthly": 1, "Quarterly": 3, "Yearly": 12}


@dataclass(frozen=True)
class FeePolicy:
    name: str
    type: str  # Flat, Percent, Recurring Percent, Daily Interest, Statutory EU, Statutory UK
    rate: Decimal = Decimal(0)  # percent; for statutory, points over the reference rate
    amount: int = 0  # cents
    grace_days: int = 0
    min_balance: int = 0
    min_fee: int = 0
    max_fee: int | None = None
    frequency: str = "Monthly"
    max_charges: int | None = None
    compound: bool = False


@dataclass(frozen=True)
class FeeAccrual:
    """Fees an invoice has earned by `as_of` under its policy, and what is already charged."""

    invoice_no: str
    customer_id: str
    currency: str
    policy: str
    interest: int  # cents: the percent or interest part
    fixed: int  # cents: flat fee or statutory fixed compensation
    charged: int  # cents already on the Adjustments sheet as Late Fee for this invoice
    detail: str

    @property
    def accrued(self) -> int:
        return self.interest + self.fixed

    @property
    def to_post(self) -> int:
        return max(0, self.accrued - self.charged)


def policies_from_book(book: Book) -> tuple[dict[str, FeePolicy], list[Finding]]:
    """FeePolicies rows by name (case-insensitive), with findings for rows that cannot work."""
    sd = book.sheet("FeePolicies")
    out: dict[str, FeePolicy] = {}
    findings: list[Finding] = []
    if sd is None:
        return out, findings
    cols = [sd.columns.get(f.name) or [None] * len(sd.rows) for f in sd.spec.fields]
    for row, *v in zip(sd.rows, *cols):
        name, kind, rate, amount, grace, min_bal, min_fee, max_fee, freq, max_charges, compound = v
        if name is None or kind is None:
            continue
        where = sd.cell("Rate", row) if sd.has("Rate") else sd.cell("Type", row)
        if kind in ("Percent", "Recurring Percent", "Daily Interest") and not rate:
            findings.append(
                error(
                    "fee-policy-no-rate",
                    sd.title,
                    where,
                    f"Policy {name} ({kind}) has no Rate.",
                    "Type the percent, e.g. 1.5 for 1.5%.",
                )
            )
            continue
        if kind.startswith("Statutory") and rate is not None and rate < 8:
            findings.append(
                error(
                    "fee-policy-rate-too-low",
                    sd.title,
                    where,
                    f"Policy {name}: the law allows at least 8 points over the reference rate, not {rate}.",
                    "Leave Rate blank for 8 points, or type 8 or more.",
                )
            )
            continue
        if kind == "Flat" and not amount:
            findings.append(
                error(
                    "fee-policy-no-amount",
                    sd.title,
                    sd.cell("Amount", row) if sd.has("Amount") else sd.cell("Type", row),
                    f"Policy {name} (Flat) has no Amount.",
                    "Type the fee, e.g. 25.00.",
                )
            )
            continue
        out[name.casefold()] = FeePolicy(
            name,
            kind,
            Decimal(rate) if rate is not None else (Decimal(8) if kind.startswith("Statutory") else Decimal(0)),
            amount or 0,
            grace or 0,
            min_bal or 0,
            min_fee or 0,
            max_fee,
            freq or "Monthly",
            max_charges,
            compound == "Yes",
        )
    return out, findings


def policy_for(customer_policy: str | None, default: str | None, policies: dict[str, FeePolicy]) -> FeePolicy | None:
    """The customer's named policy, else the default; None for Exempt or when no policy applies."""
    name = customer_policy or default
    if not name or name.casefold() == EXEMPT:
        return None
    return policies.get(name.casefold())


@dataclass(frozen=True)
class FeeTerms:
    """What a plan does to one covered invoice's late fees: none accrue before `fees_from` (the day a plan broke;
    the as-of date while it is kept), or `policy` is charged instead while the plan is kept."""

    fees_from: dt.date | None
    policy: str | None = None


def accrue_fees(
    book: Book,
    ledger: Ledger,
    rates: tuple[ReferenceRate, ...] | list = SOURCED_RATES,
    policies: dict[str, FeePolicy] | None = None,
    plan_fees: Mapping[str, FeeTerms] | None = None,
) -> tuple[list[FeeAccrual], list[Finding]]:
    """Fees accrued per overdue invoice as at the ledger's as-of date. policies: the FeePolicies sheet as
    parsed (core/config.py); when not given it is parsed here and what parsing found joins the findings.
    plan_fees: Invoice No (casefolded) -> what a payment plan does to its fees (core/plans.py): while a plan is
    kept none accrue, or its Fee Policy While Current does; once it broke, they accrue from that day."""
    findings: list[Finding] = []
    if policies is None:
        policies, findings = policies_from_book(book)
        findings += policy_name_findings(book, policies)
    default = book.settings.get("Default Fee Policy")
    named = customer_policies(book)
    charged = charged_fees(book)
    out: list[FeeAccrual] = []
    policy_of: dict[str, FeePolicy | None] = {}  # by Customer ID: one look-up per customer, not per invoice
    fee_free: dict[tuple[str, dt.date], dt.date] = {}  # (policy, due date) -> fee_free_until
    for inv in ledger.invoices.values():
        if inv.status == VOID or inv.disputed or inv.invoice_date > ledger.as_of:
            continue
        cid = inv.customer_id
        if cid not in policy_of:
            policy_of[cid] = policy_for(named.get(cid.casefold()), str(default) if default else None, policies)
        policy = policy_of[cid]
        hold = None
        terms = plan_fees.get(inv.invoice_no.casefold()) if plan_fees else None
        if terms is not None:
            if terms.policy:  # a plan kept, with a policy of its own while it is
                policy = policy_for(terms.policy, None, policies)
            elif terms.fees_from is not None and terms.fees_from >= ledger.as_of:
                continue  # a plan kept: no late fees while it is
            else:
                hold = terms.fees_from  # a plan broken: fees accrue from the day it broke
        if policy is None:
            continue
        last = inv.history[-1] if inv.history else None  # the principal's last change: (day, principal after)
        if last is not None and last[1] == 0 and inv.invoice_no.casefold() not in charged:
            key = (policy.name, inv.due_date)
            if key not in fee_free:
                fee_free[key] = fee_free_until(policy, inv.due_date)
            if last[0] <= fee_free[key]:
                continue  # paid in full in time and never re-opened: nothing accrues (most invoices of a big book)
        try:
            interest, fixed, detail = invoice_fee(inv, policy, ledger.as_of, rates, hold)
        except RateNotCovered as e:
            findings.append(
                error(
                    "rate-not-covered",
                    "RateTable",
                    "",
                    str(e),
                    "Add the reference rate to the RateTable sheet (Regime, Effective From, Rate).",
                )
            )
            continue
        done = charged.get(inv.invoice_no.casefold(), 0)
        if interest or fixed or done:
            out.append(
                FeeAccrual(inv.invoice_no, inv.customer_id, inv.currency, policy.name, interest, fixed, done, detail)
            )
    return out, findings


def customer_policies(book: Book) -> dict[str, str | None]:
    """Late Fee Policy as typed, by casefolded Customer ID (the first row of an ID wins)."""
    cust = book.sheet("Customers")
    named: dict[str, str | None] = {}
    if cust is not None:
        policies = cust.columns.get("Late Fee Policy") or [None] * len(cust.rows)
        for cid, pol in zip(cust.columns.get("Customer ID", []), policies):
            if cid is not None:
                named.setdefault(cid.casefold(), pol)
    return named


def policy_name_findings(book: Book, policies: dict[str, FeePolicy]) -> list[Finding]:
    """Default Fee Policy (Settings) and Late Fee Policy (Customers) naming no policy on FeePolicies."""
    out = []
    default = book.settings.get("Default Fee Policy")
    if default and str(default).casefold() != EXEMPT and str(default).casefold() not in policies:
        out.append(
            error(
                "unknown-fee-policy",
                book.settings.sheet_title or "Settings",
                book.settings.cells.get("Default Fee Policy", ""),
                f"Default Fee Policy {default!r} is not on the FeePolicies sheet.",
                "Type a Policy name from the FeePolicies sheet, or Exempt.",
            )
        )
    cust = book.sheet("Customers")
    if cust is None or not cust.has("Late Fee Policy"):
        return out
    for row, pol in zip(cust.rows, cust.columns["Late Fee Policy"]):
        if pol and pol.casefold() != EXEMPT and pol.casefold() not in policies:
            out.append(
                error(
                    "unknown-fee-policy",
                    cust.title,
                    cust.cell("Late Fee Policy", row),
                    f"Late Fee Policy {pol!r} is not on the FeePolicies sheet.",
                    "Type a Policy name from the FeePolicies sheet, Exempt, or leave it blank.",
                )
            )
    return out


def charged_fees(book: Book) -> dict[str, int]:
    """Late Fee adjustments already on the book, per invoice (casefolded), whatever their date: posting for
    an earlier day than the last posting must add nothing."""
    sd = book.sheet("Adjustments")
    out: dict[str, int] = {}
    if sd is None:
        return out
    n = len(sd.rows)
    for no, day, kind, amount in zip(
        sd.columns.get("Invoice No") or [None] * n,
        sd.columns.get("Date") or [None] * n,
        sd.columns.get("Type") or [None] * n,
        sd.columns.get("Amount") or [None] * n,
    ):
        if kind == "Late Fee" and no and day is not None and amount:
            out[no.casefold()] = out.get(no.casefold(), 0) + amount
    return out


def fee_free_until(policy: FeePolicy, due: dt.date) -> dt.date:
    """The last day on which paying an invoice in full (for good) leaves it owing no fee under `policy`:
    the fee's first look at the overdue principal comes after it. Flat and Percent look at the end of the
    first late day; interest (daily and statutory) runs on the principal as it stood the day before, and the
    statutory fixed sum is owed once a day late; a recurring percent first looks at the end of its first period."""
    start = due + dt.timedelta(days=policy.grace_days)
    if policy.type in ("Flat", "Percent"):
        return start + dt.timedelta(days=1)
    if policy.type == "Recurring Percent":
        return _add_period(start, policy.frequency, 1)
    if policy.type == "Daily Interest":
        return start
    return due  # statutory, and any type not known here: only what was paid by the due date


def invoice_fee(
    inv: InvoiceBalance, policy: FeePolicy, as_of: dt.date, rates=SOURCED_RATES, hold: dt.date | None = None
) -> tuple[int, int, str]:
    """(interest or percent part, fixed part, explanation) earned by `as_of` on one invoice. hold: nothing
    accrues until this day (a broken payment plan's), as for the invoice's own Hold Until."""
    start = inv.due_date + dt.timedelta(days=policy.grace_days)  # fees begin the day after this
    for until in (inv.hold_until, hold):
        if until is not None and until > start:
            start = until  # on hold: nothing accrues until the hold ends
    if as_of <= start:
        return 0, 0, "not late enough"
    kind = policy.type
    if kind == "Flat":
        first = start + dt.timedelta(days=1)
        if _overdue(inv, first) < max(policy.min_balance, 1):
            return 0, 0, "below the minimum balance"
        return 0, _cap(policy.amount, policy), f"flat fee from {first}"
    if kind == "Percent":
        first = start + dt.timedelta(days=1)
        base = _overdue(inv, first)
        if base < max(policy.min_balance, 1):
            return 0, 0, "below the minimum balance"
        fee = _percent(base, policy.rate) + policy.amount
        return _cap(max(fee, policy.min_fee), policy), 0, f"{policy.rate}% of {base / 100:.2f} on {first}"
    if kind == "Recurring Percent":
        return _recurring(inv, policy, start, as_of), 0, f"{policy.rate}% {policy.frequency.lower()}"
    if kind == "Daily Interest":
        schedule = [(start + dt.timedelta(days=1), as_of, policy.rate)]
        fee = _interest(inv, schedule, policy.min_balance)
        if 0 < fee < policy.min_fee:
            fee = policy.min_fee
        return _cap(fee, policy), 0, f"{policy.rate}% a year, simple, actual/365"
    if kind in ("Statutory EU", "Statutory UK"):
        regime = kind[-2:]
        # The law's rate schedule for this debt (per half-year in the EU, fixed for life in the UK) ...
        shape = statutory_interest(regime, 100_00, inv.due_date, as_of, rates=rates, margin=policy.rate)
        schedule = [(s.start, s.end, s.rate) for s in shape.segments if s.end > start]
        # ... applied to what was really overdue each day.
        interest = _interest(inv, schedule, policy.min_balance)
        fixed = shape.fixed_sum_cents if _overdue(inv, inv.due_date + dt.timedelta(days=1)) > 0 else 0
        if fixed and inv.currency != shape.currency:
            fixed = 0  # the fixed sums are in EUR/GBP; in another currency the specialist decides
        return _cap(interest, policy), fixed, f"statutory {regime}: reference rate + {policy.rate} points"
    return 0, 0, f"unknown policy type {kind}"


def _overdue(inv: InvoiceBalance, day: dt.date) -> int:
    return inv.principal_on(day)


def _percent(base: int, rate: Decimal) -> int:
    return int(excel_round(Decimal(base) * rate / 100, 0))


def _cap(fee: int, policy: FeePolicy) -> int:
    return fee if policy.max_fee is None else min(fee, policy.max_fee)


def _interest(inv: InvoiceBalance, schedule: list[tuple[dt.date, dt.date, Decimal]], min_balance: int) -> int:
    """Simple interest, actual/365, on the principal overdue each day, rounded once at the end."""
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        for seg_start, seg_end, rate in schedule:
            for a, b, principal in _principal_runs(inv, seg_start, seg_end):
                if principal >= max(min_balance, 1):
                    total += Decimal(principal) * rate * ((b - a).days + 1)
        return int(excel_round(total / 36500, 0))


def _principal_runs(inv: InvoiceBalance, start: dt.date, end: dt.date):
    """(first day, last day, principal) runs between start and end inclusive, from the ledger's history.
    The history holds the principal at the end of each day; interest for a day runs on that day's
    principal as it stood at the end of the previous day, so a payment stops interest from its own day."""
    if start > end:
        return
    value = inv.principal_on(start - dt.timedelta(days=1))
    day = start
    for d, v in inv.history:
        if d < start:
            continue
        if d > end:
            break
        change = d + dt.timedelta(days=1)  # the new principal applies from the next day
        if change > day and change <= end + dt.timedelta(days=1):
            yield day, change - dt.timedelta(days=1), value
            day = change
        value = v
    if day <= end:
        yield day, end, value


def _recurring(inv: InvoiceBalance, policy: FeePolicy, start: dt.date, as_of: dt.date) -> int:
    """A percent of what is overdue at each period's end, period after period, up to `as_of`."""
    total, k = 0, 1
    floor = max(policy.min_balance, 1)
    history, h, principal = inv.history, 0, 0  # principal_on(when), walked forward once: `when` only grows
    while policy.max_charges is None or k <= policy.max_charges:
        when = _add_period(start, policy.frequency, k)
        if when > as_of:
            break
        while h < len(history) and history[h][0] <= when:
            principal = history[h][1]
            h += 1
        if not principal and h == len(history) and not policy.compound:
            break  # paid, and nothing changes after: no later period charges anything
        base = principal + total if policy.compound else principal
        if base >= floor:
            total += max(_percent(base, policy.rate) + policy.amount, policy.min_fee)
        k += 1
        if policy.max_fee is not None and total >= policy.max_fee:
            return policy.max_fee
    return _cap(total, policy)


def _add_period(start: dt.date, frequency: str, k: int) -> dt.date:
    if frequency in PERIOD_DAYS:
        return start + dt.timedelta(days=PERIOD_DAYS[frequency] * k)
    months = PERIOD_MONTHS.get(frequency, 1) * k
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return dt.date(year, month, min(start.day, _days_in_month(year, month)))


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]
