"""Billing functions for Excel cells (xlwings UDFs): the module named in the add-in's UDF Modules setting.

Each function is a plain Python function on Excel-shaped inputs (date serials, datetimes, ISO text, None for
blank cells, numbers as text) that returns a number or text and never raises: bad input gives a short
Excel-style error text such as "#VALUE! due_date is not a date". On Windows, xlwings turns the decorators
into Excel functions; elsewhere they do nothing (see tests/test_udfs.py for the VBA they produce).

Functions that look at the workbook's data take xlwings' reserved `caller` argument (the calling cell, hidden
from Excel): its workbook is read once and cached until its data changes (`workbook_data.WorkbookCache`). From
Python, pass a `workbook_data.BookSource` (e.g. `FileBookSource("billing.xlsx")`) as `caller` instead.
They are volatile: Excel cannot see that a balance depends on the Payments sheet, so it must ask again after
every change; the cache makes asking again cheap.

Every billing rule comes from the core (ledger, fees, statutory, dunning); nothing is recomputed here.

    >>> DAYS_PAST_DUE("2026-01-31", "2026-03-02")
    30
    >>> STATUTORY_INTEREST(10000, "2025-01-31", "2025-04-01", "EU")
    183.29
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import xlwings as xw

from billing_addin.core.cell_values import is_blank
from billing_addin.core.claim_worklist import WorkItem
from billing_addin.core.fees import invoice_fee, policy_for
from billing_addin.core.ledger import DEFAULT_BUCKETS, VOID, InvoiceBalance, bucket_index, bucket_labels
from billing_addin.core.statutory import SOURCED_RATES, RateNotCovered, fixed_sum_cents, statutory_interest
from billing_addin.excel.udf_args import (
    CellError,
    as_cents,
    as_date,
    as_id,
    as_optional_text,
    as_percent,
    as_regime,
    money,
    not_found,
    value_error,
)
from billing_addin.excel.workbook_data import BookFacts, DayFacts, WorkbookCache

CATEGORY = "Billing"
CACHE = WorkbookCache()


def excel_safe(f: Callable) -> Callable:
    """Return the error text instead of raising: an exception must never reach Excel."""

    @functools.wraps(f)
    def safe(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except CellError as e:
            return str(e)
        except RateNotCovered as e:
            return f"#N/A no {e.regime} reference rate known for {e.date}: add it to the RateTable sheet"
        except Exception as e:  # a bug must show in the cell, not as a dialog box in Excel
            return f"#VALUE! internal error ({type(e).__name__}: {e})"[:255]

    return safe


def _facts(caller: object) -> BookFacts:
    """The calling workbook's data: from a BookSource given by Python, or the xlwings caller's book."""
    if caller is None:
        raise not_found("no workbook: use this function in a cell of a billing workbook")
    if hasattr(caller, "fingerprint"):  # a BookSource (isinstance on a Protocol costs ~10 us a call)
        return CACHE.facts(caller)
    from billing_addin.excel.xlwings_shell import excel_source  # only inside Excel

    return CACHE.facts(excel_source(caller))


def _as_of(value: object, facts: BookFacts | None) -> dt.date:
    if not is_blank(value):
        return as_date(value, "as_of")
    return facts.default_as_of() if facts is not None else dt.date.today()


def _facts_if_any(caller: object) -> BookFacts | None:
    """The workbook's data when there is a workbook; functions that work without one take None."""
    return None if caller is None else _facts(caller)


def _column(values: object, one: Callable[[object], object]) -> list[list[object]]:
    """Apply `one` to every cell of a range, keeping its shape; blank cells stay blank."""
    rows = values if isinstance(values, list) else [[values]]
    rows = [r if isinstance(r, list) else [r] for r in rows]
    return [["" if is_blank(v) else _cell(one, v) for v in r] for r in rows]


def _cell(one: Callable[[object], object], value: object) -> object:
    try:
        return one(value)
    except CellError as e:
        return str(e)


def _columns(*ranges: object) -> list[list[object]]:
    """Several same-sized ranges as one list of rows of tuples (row-major), for multi-input column functions."""
    shaped = [[r if isinstance(r, list) else [r] for r in (x if isinstance(x, list) else [[x]])] for x in ranges]
    heights = {len(s) for s in shaped}
    widths = {len(r) for s in shaped for r in s}
    if len(heights) > 1 or len(widths) > 1:
        raise value_error("the ranges must have the same size")
    return [list(zip(*(s[i] for s in shaped))) for i in range(len(shaped[0]))]


# --- balances and invoices ----------------------------------------------------------------------------------


def _day(facts: BookFacts, as_of: dt.date, customer_id: str | None = None) -> DayFacts:
    """The figures as at `as_of`, once the checks allow them: a sheet or column they need that is missing
    stops every figure, and an error in a customer's rows stops that customer's (the cell says where)."""
    day = facts.day(as_of)
    checked = day.checked
    if checked is None:
        return day
    if checked.stop:
        first = checked.stop[0]
        raise not_found(f"{_at(first)}{first.message} (billing validate lists every problem)")
    if customer_id is not None and checked.held.holds(customer_id):
        raise value_error(checked.held.reason(customer_id))
    return day


def _at(f) -> str:
    return f"{f.sheet}!{f.cell} " if f.cell else (f"{f.sheet}: " if f.sheet else "")


def _balance(facts: BookFacts, customer_id: object, as_of: dt.date, currency: str | None) -> float:
    cid = as_id(customer_id, "customer_id")
    found = _day(facts, as_of, cid).balances.get(cid.casefold(), [])
    if currency:
        found = [b for b in found if b.currency == currency.upper()]
    if len(found) > 1:
        raise value_error(f"{cid} owes in {' and '.join(b.currency for b in found)}: give the currency")
    if not found:
        if cid.casefold() not in facts.customer_ids:
            raise not_found(f"customer {cid} is not on the Customers sheet")
        return 0.0
    return money(found[0].balance)


def _invoice(facts: BookFacts, invoice_no: object, as_of: dt.date) -> InvoiceBalance:
    no = as_id(invoice_no, "invoice_no")
    inv = _day(facts, as_of).invoices.get(no.casefold())
    customer = inv.customer_id if inv is not None else facts.invoice_customers.get(no.casefold())
    if customer is None:
        raise not_found(f"invoice {no} is not on the Invoices sheet")
    _day(facts, as_of, customer)  # its customer's rows may have errors (this invoice's amount may be "TBD")
    if inv is None:
        raise not_found(f"invoice {no} has no figures as of {as_of} (dated later, or its row cannot be read)")
    return inv


def _outstanding(inv: InvoiceBalance) -> float:
    return 0.0 if inv.status == VOID else money(inv.outstanding)


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("customer_id", doc="A Customer ID from the Customers sheet.")
@xw.arg("as_of", doc="Date to compute the balance for; blank: the Settings sheet's As-of Date, else today.")
@xw.arg("currency", doc="The currency, when the customer owes in several; blank: the only one.")
@excel_safe
def BILLING_BALANCE(customer_id, as_of=None, currency=None, caller=None):
    """What a customer owes as at a date: open items less unapplied credit (as on the Aging sheet)."""
    facts = _facts(caller)
    return _balance(facts, customer_id, _as_of(as_of, facts), as_optional_text(currency))


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("invoice_no", doc="An Invoice No from the Invoices sheet.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def BILLING_OUTSTANDING(invoice_no, as_of=None, caller=None):
    """What is still owed on an invoice as at a date, fees included (as on the Balances sheet)."""
    facts = _facts(caller)
    return _outstanding(_invoice(facts, invoice_no, _as_of(as_of, facts)))


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("invoice_no", doc="An Invoice No from the Invoices sheet.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def INVOICE_STATUS(invoice_no, as_of=None, caller=None):
    """Paid, Partially Paid, Open, Overdue, Disputed, On Hold, Written Off or Void, as at a date."""
    facts = _facts(caller)
    return _invoice(facts, invoice_no, _as_of(as_of, facts)).status


# --- dates ----------------------------------------------------------------------------------------------------


def _days_past_due(due_date: object, as_of: dt.date) -> int:
    return max(0, (as_of - as_date(due_date, "due_date")).days)


def _bucket(facts: BookFacts | None, due_date: object, as_of: dt.date) -> str:
    bounds = facts.bucket_bounds if facts is not None else DEFAULT_BUCKETS
    return bucket_labels(bounds)[bucket_index(_days_past_due(due_date, as_of), bounds)]


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("due_date", doc="The due date.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def DAYS_PAST_DUE(due_date, as_of=None, caller=None):
    """Days from the due date to the as-of date; 0 when not yet due."""
    return _days_past_due(due_date, _as_of(as_of, _facts_if_any(caller)))


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("due_date", doc="The due date.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def AGING_BUCKET(due_date, as_of=None, caller=None):
    """The aging bucket label (Current, 1-30, 31-60, 61-90, 91+ or the Settings sheet's Aging Buckets)."""
    facts = _facts_if_any(caller)
    return _bucket(facts, due_date, _as_of(as_of, facts))


# --- fees and statutory interest ------------------------------------------------------------------------------


def _late_fee(facts: BookFacts, amount: object, due_date: object, as_of: dt.date, policy: str | None) -> float:
    cents = as_cents(amount, "amount")
    due = as_date(due_date, "due_date")
    default = facts.book.settings.get("Default Fee Policy")
    chosen = policy_for(policy, str(default) if default else None, facts.fee_policies)
    if chosen is None:
        name = policy or default
        if name and str(name).casefold() != "exempt":
            raise not_found(f"fee policy {name} is not on the FeePolicies sheet")
        return 0.0
    currency = str(facts.book.settings.get("Default Currency", "USD"))
    # An invoice of `amount` due `due_date`, unpaid throughout: the batch engine's own fee rule applies to it.
    unpaid = InvoiceBalance("", "", currency, 0, due, due, cents, history=[(due, cents)])
    interest, fixed, _ = invoice_fee(unpaid, chosen, as_of, facts.rates)
    return money(interest + fixed)


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("amount", doc="The unpaid amount.")
@xw.arg("due_date", doc="The due date.")
@xw.arg("as_of", doc="The date to compute the fee for.")
@xw.arg("policy", doc="A Policy from the FeePolicies sheet; blank: the Settings sheet's Default Fee Policy.")
@excel_safe
def LATE_FEE(amount, due_date, as_of, policy=None, caller=None):
    """Late fee and interest a policy allows on an amount unpaid since its due date (as `billing fees` computes)."""
    facts = _facts(caller)
    return _late_fee(facts, amount, due_date, _as_of(as_of, facts), as_optional_text(policy))


def _statutory(facts, amount, due_date, paid_date, regime, reference_rate) -> float:
    cents = as_cents(amount, "amount")
    if cents <= 0:
        raise value_error("amount must be more than zero")
    result = statutory_interest(
        as_regime(regime),
        cents,
        as_date(due_date, "due_date"),
        as_date(paid_date, "paid_date"),
        rates=facts.rates if facts is not None else SOURCED_RATES,
        reference_rate=as_percent(reference_rate, "reference_rate"),
    )
    return money(result.interest_cents)


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("amount", doc="The unpaid invoice amount.")
@xw.arg("due_date", doc="The date payment was due.")
@xw.arg("paid_date", doc="The date it was paid (or the date to compute to).")
@xw.arg("regime", doc="EU (Directive 2011/7/EU) or UK (Late Payment Act 1998).")
@xw.arg("reference_rate", doc="Central bank rate in percent for every day; blank: the RateTable sheet's rates.")
@excel_safe
def STATUTORY_INTEREST(amount, due_date, paid_date, regime, reference_rate=None, caller=None):
    """Statutory late-payment interest (without the fixed sum), rounded to cents."""
    return _statutory(_facts_if_any(caller), amount, due_date, paid_date, regime, reference_rate)


def _fixed_sum(amount, regime) -> float:
    return money(fixed_sum_cents(as_regime(regime), as_cents(amount, "amount")))


@xw.func(category=CATEGORY)
@xw.arg("amount", doc="The invoice amount.")
@xw.arg("regime", doc="EU or UK.")
@excel_safe
def STATUTORY_FIXED_SUM(amount, regime):
    """Fixed compensation per late invoice: EUR 40 (EU); GBP 40, 70 or 100 by size (UK)."""
    return _fixed_sum(amount, regime)


# --- dunning ------------------------------------------------------------------------------------------------


def _dunning_level(facts: BookFacts, customer_id: object, as_of: dt.date) -> int:
    cid = as_id(customer_id, "customer_id")
    level = _day(facts, as_of, cid).dunning_levels.get(cid.casefold())
    if level is None and cid.casefold() not in facts.customer_ids:
        raise not_found(f"customer {cid} is not on the Customers sheet")
    return level or 0


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("customer_id", doc="A Customer ID from the Customers sheet.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def DUNNING_LEVEL(customer_id, as_of=None, caller=None):
    """The reminder level due now for a customer (as on the Dunning sheet); 0 when no letter is due."""
    facts = _facts(caller)
    return _dunning_level(facts, customer_id, _as_of(as_of, facts))


# --- column versions: one call for a whole column (a dynamic array that spills) -----------------------------


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("customer_ids", ndim=2, doc="A column of Customer IDs.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@xw.arg("currency", doc="The currency, when customers owe in several.")
@excel_safe
def BILLING_BALANCE_COLUMN(customer_ids, as_of=None, currency=None, caller=None):
    """BILLING_BALANCE for a whole column of Customer IDs at once."""
    facts = _facts(caller)
    day, cur = _as_of(as_of, facts), as_optional_text(currency)
    return _column(customer_ids, lambda v: _balance(facts, v, day, cur))


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("invoice_nos", ndim=2, doc="A column of Invoice Nos.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def BILLING_OUTSTANDING_COLUMN(invoice_nos, as_of=None, caller=None):
    """BILLING_OUTSTANDING for a whole column of Invoice Nos at once."""
    facts = _facts(caller)
    day = _as_of(as_of, facts)
    return _column(invoice_nos, lambda v: _outstanding(_invoice(facts, v, day)))


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("invoice_nos", ndim=2, doc="A column of Invoice Nos.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def INVOICE_STATUS_COLUMN(invoice_nos, as_of=None, caller=None):
    """INVOICE_STATUS for a whole column of Invoice Nos at once."""
    facts = _facts(caller)
    day = _as_of(as_of, facts)
    return _column(invoice_nos, lambda v: _invoice(facts, v, day).status)


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("due_dates", ndim=2, doc="A column of due dates.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def DAYS_PAST_DUE_COLUMN(due_dates, as_of=None, caller=None):
    """DAYS_PAST_DUE for a whole column of due dates at once."""
    day = _as_of(as_of, _facts_if_any(caller))
    return _column(due_dates, lambda v: _days_past_due(v, day))


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("due_dates", ndim=2, doc="A column of due dates.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def AGING_BUCKET_COLUMN(due_dates, as_of=None, caller=None):
    """AGING_BUCKET for a whole column of due dates at once."""
    facts = _facts_if_any(caller)
    day = _as_of(as_of, facts)
    return _column(due_dates, lambda v: _bucket(facts, v, day))


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("amounts", ndim=2, doc="A column of unpaid amounts.")
@xw.arg("due_dates", ndim=2, doc="The due dates, beside them.")
@xw.arg("as_of", doc="The date to compute the fees for.")
@xw.arg("policy", doc="A Policy from the FeePolicies sheet; blank: the Default Fee Policy.")
@excel_safe
def LATE_FEE_COLUMN(amounts, due_dates, as_of, policy=None, caller=None):
    """LATE_FEE for whole columns of amounts and due dates at once."""
    facts = _facts(caller)
    day, name = _as_of(as_of, facts), as_optional_text(policy)
    rows = _columns(amounts, due_dates)
    return [
        ["" if is_blank(a) else _cell(lambda p: _late_fee(facts, *p, day, name), (a, d)) for a, d in r] for r in rows
    ]


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("amounts", ndim=2, doc="A column of unpaid amounts.")
@xw.arg("due_dates", ndim=2, doc="The due dates, beside them.")
@xw.arg("paid_dates", ndim=2, doc="The payment dates, beside them.")
@xw.arg("regime", doc="EU or UK.")
@xw.arg("reference_rate", doc="Central bank rate in percent for every day; blank: the RateTable sheet's rates.")
@excel_safe
def STATUTORY_INTEREST_COLUMN(amounts, due_dates, paid_dates, regime, reference_rate=None, caller=None):
    """STATUTORY_INTEREST for whole columns of amounts, due dates and payment dates at once."""
    facts = _facts_if_any(caller)
    rows = _columns(amounts, due_dates, paid_dates)
    return [
        [
            "" if is_blank(a) else _cell(lambda p: _statutory(facts, *p, regime, reference_rate), (a, d, p))
            for a, d, p in r
        ]
        for r in rows
    ]


@xw.func(category=CATEGORY)
@xw.arg("amounts", ndim=2, doc="A column of invoice amounts.")
@xw.arg("regime", doc="EU or UK.")
@excel_safe
def STATUTORY_FIXED_SUM_COLUMN(amounts, regime):
    """STATUTORY_FIXED_SUM for a whole column of amounts at once."""
    return _column(amounts, lambda v: _fixed_sum(v, regime))


# --- payment plans ---------------------------------------------------------------------------------------


def _plan(facts: BookFacts, plan_id: object, as_of: dt.date):
    """A payment plan as at `as_of`, the same standing `billing plans` shows."""
    pid = as_id(plan_id, "plan_id")
    day = facts.day(as_of)
    found = day.plans.plan(pid) if day.plans is not None else None
    if found is None:
        raise not_found(
            f"plan {pid} is not on the PaymentPlans sheet (or cannot be followed: billing validate says why)"
        )
    _day(facts, as_of, found.terms.customer_id)  # a customer whose rows have errors gets no figure
    return found


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("plan_id", doc="A Plan ID from the PaymentPlans sheet.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def PLAN_STATUS(plan_id, as_of=None, caller=None):
    """Proposed, Active, Completed, Broken or Cancelled, as at a date (Broken once enough installments are missed)."""
    facts = _facts(caller)
    return _plan(facts, plan_id, _as_of(as_of, facts)).status


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("plan_id", doc="A Plan ID from the PaymentPlans sheet.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@xw.ret(date_format="yyyy-mm-dd")
@excel_safe
def NEXT_INSTALLMENT(plan_id, as_of=None, caller=None):
    """The due date of the plan's first installment not yet paid in full (#N/A when everything is paid)."""
    facts = _facts(caller)
    following = _plan(facts, plan_id, _as_of(as_of, facts)).next_installment
    if following is None:
        raise not_found("every installment is paid")
    return dt.datetime.combine(following.due, dt.time())


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("plan_id", doc="A Plan ID from the PaymentPlans sheet.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def NEXT_INSTALLMENT_AMOUNT(plan_id, as_of=None, caller=None):
    """What is still to pay of the plan's first installment not yet paid in full (0 when everything is paid)."""
    facts = _facts(caller)
    following = _plan(facts, plan_id, _as_of(as_of, facts)).next_installment
    return 0.0 if following is None else money(following.amount - following.paid)


# --- insurance claims (medical practices) --------------------------------------------------------------------

CLAIM_COLUMNS = ("Claim ID", "Patient Account", "Payer", "Status", "Date of Service")  # as `billing claims` needs


def _claim(facts: BookFacts, claim_id: object) -> WorkItem:
    """A claim on the worklist as `billing claims` makes it (as at the Settings sheet's As-of Date, else today).
    A claim whose patient a validation error holds back is shown all the same, as the worklist shows it: a
    deadline is never hidden. What stops `billing claims` stops these too."""
    cid = as_id(claim_id, "claim_id")
    as_of = facts.default_as_of()
    checked = facts.day(as_of).checked
    if checked is not None and checked.stop:
        first = checked.stop[0]
        raise not_found(f"{_at(first)}{first.message} (billing validate lists every problem)")
    sd = facts.book.sheet("Claims")
    if sd is None:
        raise not_found("the workbook has no Claims sheet")
    missing = [c for c in CLAIM_COLUMNS if not sd.has(c)]
    if missing:
        raise not_found(f"sheet {sd.title} has no {', '.join(missing)} column")
    found = facts.claims(as_of).item(cid)
    if found is None:
        raise not_found(f"claim {cid} is not on the Claims sheet")
    return found


def _deadline_cell(d, what: str) -> dt.datetime:
    if d.date is None:
        raise not_found(f"no {what} deadline: {d.basis}")
    return dt.datetime.combine(d.date, dt.time())


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("claim_id", doc="A Claim ID from the Claims sheet.")
@excel_safe
def CLAIM_STATUS(claim_id, caller=None):
    """The claim's Status on the Claims sheet (Draft, Submitted, Pending, Denied ...), as `billing claims` lists it;
    empty when blank."""
    return _claim(_facts(caller), claim_id).claim.status or ""


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("claim_id", doc="A Claim ID from the Claims sheet.")
@xw.ret(date_format="yyyy-mm-dd")
@excel_safe
def FILING_DEADLINE(claim_id, caller=None):
    """The last day the claim may be filed with its payer (#N/A with the reason when none can be known)."""
    return _deadline_cell(_claim(_facts(caller), claim_id).filing, "filing")


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("claim_id", doc="A Claim ID from the Claims sheet.")
@xw.ret(date_format="yyyy-mm-dd")
@excel_safe
def APPEAL_DEADLINE(claim_id, caller=None):
    """The last day the claim's denial may be appealed (#N/A with the reason: not denied, no Denial Date ...)."""
    return _deadline_cell(_claim(_facts(caller), claim_id).appeal, "appeal")


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("customer_ids", ndim=2, doc="A column of Customer IDs.")
@xw.arg("as_of", doc="Date; blank: the Settings sheet's As-of Date, else today.")
@excel_safe
def DUNNING_LEVEL_COLUMN(customer_ids, as_of=None, caller=None):
    """DUNNING_LEVEL for a whole column of Customer IDs at once."""
    facts = _facts(caller)
    day = _as_of(as_of, facts)
    return _column(customer_ids, lambda v: _dunning_level(facts, v, day))
