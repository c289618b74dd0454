"""Who owes what: payment allocation, invoice and customer balances, aging, statements.

Pure functions of (book, as_of). Money is integer cents. Nothing here reads files or the clock.

Allocation rules (the billing specialist's, written down):
- Events are taken in date order; on one day, charges (invoices, fees) come before money in, so a
  payment made the day an invoice is issued can pay it.
- A payment with Applied To goes to that invoice first; otherwise to the customer's open items, oldest
  first (due date, then invoice date, then invoice no), within the customer and currency.
- What is left over becomes unapplied credit. With "Auto Apply Credits" (default Yes) the credit settles
  open items at once and later invoices as they are issued; with No it waits on the account.
- A payment pays principal before fees, so late fees never grow because a payment went to a fee.
- Adjustments: a Credit Note reduces its invoice (the excess, or one without an invoice, becomes credit);
  a Write-off closes what remains of its invoice (or the oldest items); a Refund pays credit out (beyond the
  credit, it is a charge); a Returned Payment re-opens what a payment paid (its invoice, or a charge on the
  account); a Late Fee is a charge on its invoice (or the account); Other is a charge, or a credit when negative.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from billing_addin.core.book import Book, SheetData

DEFAULT_BUCKETS = (30, 60, 90)  # upper bounds of the overdue buckets; beyond the last is "91+"

PAID, PARTIAL, OPEN, OVERDUE = "Paid", "Partially Paid", "Open", "Overdue"
DISPUTED, ON_HOLD, WRITTEN_OFF, VOID = "Disputed", "On Hold", "Written Off", "Void"


@dataclass(slots=True)
class InvoiceBalance:
    """One invoice as at the as-of date. Money in cents."""

    invoice_no: str
    customer_id: str
    currency: str
    row: int  # Excel row on the Invoices sheet
    invoice_date: dt.date
    due_date: dt.date
    amount: int
    paid: int = 0
    credited: int = 0
    written_off: int = 0
    fees: int = 0
    fees_paid: int = 0
    status: str = OPEN
    days_past_due: int = 0
    disputed: bool = False
    hold_until: dt.date | None = None
    # (date, principal outstanding after that day's events): what interest and fees accrue on.
    history: list[tuple[dt.date, int]] = field(default_factory=list)
    # The day what is owed on it (fees too) came down to zero and stayed there up to the as-of date, whether
    # by payment, credit note or write-off; None while anything is owed, and for a void invoice or one issued
    # after the as-of date. (While events are replayed: the last day anything was settled on it.)
    paid_date: dt.date | None = None

    @property
    def principal_outstanding(self) -> int:
        return self.amount - self.paid - self.credited - self.written_off

    @property
    def outstanding(self) -> int:  # principal_outstanding + fees owed, spelt out: one call, not two
        return self.amount - self.paid - self.credited - self.written_off + self.fees - self.fees_paid

    @property
    def days_late(self) -> int:
        """Days after the due date it was paid (at least 0) once paid; while open, days past due as of the
        as-of date."""
        if self.paid_date is not None:
            return max(0, (self.paid_date - self.due_date).days)
        return self.days_past_due

    def principal_on(self, day: dt.date) -> int:
        """Principal outstanding at the end of `day` (0 before the invoice existed)."""
        value = 0
        for d, v in self.history:
            if d > day:
                break
            value = v
        return value


@dataclass(slots=True)
class AccountCharge:
    """A charge not tied to an invoice: a late fee on the account, a refund beyond credit, a returned payment."""

    key: str
    customer_id: str
    currency: str
    date: dt.date
    kind: str
    amount: int
    paid: int = 0

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid


@dataclass
class CustomerBalance:
    """One customer in one currency as at the as-of date."""

    customer_id: str
    currency: str
    balance: int  # open items less unapplied credit
    open_items: int
    unapplied_credit: int
    overdue: int
    oldest_overdue: dt.date | None
    last_payment: dt.date | None
    buckets: tuple[int, ...]  # Current, then one per aging bucket
    max_days_past_due: int


class Entry(NamedTuple):  # a NamedTuple: one per event, made 250k times on a big book
    """One line of a customer's account: + is a charge, - is money in or a credit (cents, as applied)."""

    date: dt.date
    customer_id: str
    currency: str
    kind: str  # Invoice, Payment, Credit Note, Write-off, Refund, Returned Payment, Late Fee, Other
    reference: str
    invoice_no: str
    amount: int
    sheet: str
    row: int


class CustomerLines(NamedTuple):
    entries: list[Entry]
    balances: list[CustomerBalance]
    items: list  # the customer's InvoiceBalance and AccountCharge objects


@dataclass
class Ledger:
    as_of: dt.date
    invoices: dict[str, InvoiceBalance]  # by Invoice No as typed
    charges: list[AccountCharge]
    customers: list[CustomerBalance]
    bucket_labels: tuple[str, ...]
    credit: dict[tuple[str, str], int]  # (customer, currency) -> unapplied credit
    skipped: list[tuple[str, int, str]] = field(default_factory=list)  # (sheet, row, why) rows left out
    # The replayed events, and what each write-off really closed (by seq): `entries` is made from these
    # when asked for. Refresh, fees and dunning never ask, and a big book has 250k lines.
    events: list[tuple] = field(default_factory=list, repr=False)
    closed: dict[int, int] = field(default_factory=dict, repr=False)

    @cached_property
    def entries(self) -> list[Entry]:
        """Every event in date order, as applied: one account line each."""
        return [_entry(event, self.closed) for event in self.events]

    @cached_property
    def by_customer(self) -> dict[str, CustomerLines]:
        """Account lines, balances and open-item candidates per casefolded Customer ID, so that a batch of
        statements does not scan the whole book once per customer."""
        out: dict[str, CustomerLines] = {}

        def of(customer_id: str) -> CustomerLines:
            key = customer_id.casefold()
            if key not in out:
                out[key] = CustomerLines([], [], [])
            return out[key]

        for e in self.entries:
            of(e.customer_id).entries.append(e)
        for c in self.customers:
            of(c.customer_id).balances.append(c)
        for item in (*self.invoices.values(), *self.charges):
            of(item.customer_id).items.append(item)
        return out


def bucket_labels(bounds: tuple[int, ...] = DEFAULT_BUCKETS) -> tuple[str, ...]:
    labels, low = ["Current"], 1
    for b in bounds:
        labels.append(f"{low}-{b}")
        low = b + 1
    labels.append(f"{low}+")
    return tuple(labels)


def bucket_index(days_past_due: int, bounds: tuple[int, ...] = DEFAULT_BUCKETS) -> int:
    """0 for not yet due, then 1.. for each bucket."""
    if days_past_due <= 0:
        return 0
    for i, b in enumerate(bounds, start=1):
        if days_past_due <= b:
            return i
    return len(bounds) + 1


def parse_buckets(text: object) -> tuple[int, ...]:
    """Settings' Aging Buckets, e.g. "30, 60, 90" or "15,30,60,90,120"."""
    if not text:
        return DEFAULT_BUCKETS
    parts = [int(p) for p in str(text).replace(";", ",").split(",") if p.strip()]
    if not parts or parts != sorted(set(parts)) or parts[0] < 1:
        raise ValueError(f"{text!r} is not a list of increasing day counts such as 30, 60, 90")
    return tuple(parts)


def _cols(sd: SheetData | None, *names: str):
    if sd is None:
        return iter(())
    cols = [sd.columns.get(n) or [None] * len(sd.rows) for n in names]
    return zip(sd.rows, *cols)


def _ci(v: str | None) -> str:
    return (v or "").casefold()


class _Account:
    """Open items and credit of one customer in one currency, while events are replayed."""

    def __init__(self, auto_apply: bool):
        self.heap: list[tuple] = []  # (due, invoice date, no, seq, item) of items that may be open
        # Items added since the heap was last needed: most invoices are paid by their own payments before
        # any money goes oldest first, and are never pushed at all. (An item that re-opens is added again.)
        self.waiting: list[tuple] = []
        self.credit = 0
        self.auto_apply = auto_apply
        self.last_payment: dt.date | None = None

    def add(self, item, due: dt.date, issued: dt.date, no: str, seq: int) -> None:
        self.waiting.append((due, issued, no, seq, item))

    def pay_oldest(self, cents: int, day: dt.date, how: str) -> int:
        """Pay open items oldest first; return what is left."""
        heap = self.heap
        if self.waiting:
            for entry in self.waiting:
                if entry[4].outstanding > 0:
                    heapq.heappush(heap, entry)
            self.waiting = []
        while cents > 0 and heap:
            item = heap[0][4]
            if item.outstanding > 0:
                cents -= _settle(item, cents, day, how)
                if cents <= 0:
                    break
            heapq.heappop(heap)  # closed, before or by this payment (an item that re-opens is pushed again)
        return cents

    def use_credit(self, day: dt.date) -> None:
        if self.auto_apply and self.credit > 0:
            self.credit = self.pay_oldest(self.credit, day, "paid")


def _settle(item, cents: int, day: dt.date, how: str) -> int:
    """Reduce an item by up to `cents` (principal before fees); return what was used."""
    if type(item) is AccountCharge:
        used = min(cents, item.amount - item.paid)
        item.paid += used
        return used
    principal = min(cents, item.amount - item.paid - item.credited - item.written_off)
    if how == "paid":
        item.paid += principal
    elif how == "credited":
        item.credited += principal
    else:
        item.written_off += principal
    fee = min(cents - principal, item.fees - item.fees_paid)
    item.fees_paid += fee
    if principal:
        _record(item, day)
    if principal or fee:
        item.paid_date = day  # the last day anything was settled on it (see _finish_invoice)
    return principal + fee


def _record(inv: InvoiceBalance, day: dt.date) -> None:
    """Note the principal outstanding at the end of `day` (called after each change, so the last wins)."""
    value = inv.amount - inv.paid - inv.credited - inv.written_off  # principal_outstanding, minus a call
    history = inv.history
    if history and history[-1][0] == day:
        history[-1] = (day, value)
    else:
        history.append((day, value))


# Order of events on one day: charges first, then money in, then adjustments that take money back out.
_ORDER = {"invoice": 0, "charge": 1, "payment": 2, "credit": 3, "write-off": 4, "refund": 5, "returned": 6}
_CHARGE = _ORDER["charge"]  # events ordered up to here are the day's new charges
_ADJUSTMENT_EVENTS = {
    "Credit Note": "credit",
    "Write-off": "write-off",
    "Refund": "refund",
    "Returned Payment": "returned",
    "Late Fee": "charge",
    "Other": "charge",
}

# An event is one flat tuple, sorted as is (seq is unique, so nothing after it is ever compared):
#   (date, order, seq, kind, account key, cents, target invoice or None, label, Excel row, reference)
# The target is already checked: a void invoice or another customer's is None (the money goes to the
# account). A big book has 250k events; flat tuples keep building, sorting and unpacking them cheap.


class _Lookups:
    """Customers and invoices as rows name them, folding case once per distinct spelling."""

    def __init__(self, book: Book, default_currency: str):
        self.default_currency = default_currency
        self.folded: dict[str, tuple[str, str | None, int | None]] = {}  # folded id -> (id, currency, terms)
        for _, cid, cur, terms in _cols(book.sheet("Customers"), "Customer ID", "Currency", "Payment Terms"):
            if cid is not None:
                self.folded.setdefault(_ci(cid), (cid, cur, terms))
        self.customers: dict[str, tuple[str, str | None, int | None]] = {}  # as typed -> the same
        self.invoices: dict[str, InvoiceBalance] = {}  # by Invoice No as typed
        self.by_folded: dict[str, InvoiceBalance] = {}

    def customer(self, cid: str) -> tuple[str, str | None, int | None]:
        """(canonical ID, currency, terms); an unknown customer stands for itself."""
        found = self.customers.get(cid)
        if found is None:
            found = self.customers[cid] = self.folded.get(_ci(cid), (cid, None, None))
        return found

    def target(self, no: str | None, customer_id: str) -> InvoiceBalance | None:
        """The invoice a payment or adjustment names, if it can take the money: not void, same customer."""
        inv = (self.invoices.get(no) or self.by_folded.get(_ci(no))) if no else None
        if inv is None or inv.status == VOID or inv.customer_id != customer_id:
            return None
        return inv


def build_ledger(book: Book, as_of: dt.date) -> Ledger:
    """Replay every invoice, payment and adjustment up to `as_of` and return the balances."""
    settings = book.settings
    default_terms = int(settings.get("Default Terms", 30))
    auto_apply = str(settings.get("Auto Apply Credits", "Yes")) != "No"
    try:
        bounds = parse_buckets(settings.get("Aging Buckets"))
    except ValueError:
        bounds = DEFAULT_BUCKETS  # reported by validation

    find = _Lookups(book, str(settings.get("Default Currency", "USD")))
    skipped: list[tuple[str, int, str]] = []
    events: list[tuple] = []
    _invoice_events(book, as_of, find, default_terms, events, skipped)
    _payment_events(book, as_of, find, events, skipped)
    _adjustment_events(book, as_of, find, events, skipped)
    events.sort()  # by date, then charges before money in, then row order

    accounts: dict[tuple[str, str], _Account] = defaultdict(lambda: _Account(auto_apply))
    charges: list[AccountCharge] = []
    last_payment: dict[tuple[str, str], dt.date] = {}
    closed = _replay(events, accounts, charges, last_payment, auto_apply)

    invoices = find.invoices
    for inv in invoices.values():
        _finish_invoice(inv, as_of)
    credit = {key: acct.credit for key, acct in accounts.items() if acct.credit}
    return Ledger(
        as_of,
        invoices,
        charges,
        summarize_customers(invoices.values(), charges, credit, last_payment, as_of, bounds),
        bucket_labels(bounds),
        credit,
        skipped,
        events,
        closed,
    )


def _invoice_events(book: Book, as_of: dt.date, find: _Lookups, default_terms: int, events: list, skipped: list):
    """An InvoiceBalance per usable row of Invoices (first row wins per Invoice No), and an event for each
    invoice issued by `as_of` that is not void."""
    invoices, by_folded, customer = find.invoices, find.by_folded, find.customer
    known = find.customers.get  # customer()'s fast path, inlined: this loop runs once per invoice
    default_currency = find.default_currency
    for row, no, cid, issued, due, amount, cur, status, hold, dispute in _cols(
        book.sheet("Invoices"),
        "Invoice No",
        "Customer ID",
        "Invoice Date",
        "Due Date",
        "Amount",
        "Currency",
        "Status",
        "Hold Until",
        "Dispute",
    ):
        folded_no = no.casefold() if no is not None else None
        if no is None or cid is None or issued is None or amount is None or folded_no in by_folded:
            skipped.append(("Invoices", row, "incomplete or duplicate row"))
            continue
        canonical, customer_currency, terms = known(cid) or customer(cid)
        if due is None:
            days = default_terms if terms is None else terms
            try:
                due = issued + dt.timedelta(days=days)
            except OverflowError:  # terms typed as -739097: validation names the cell; the rest still adds up
                due = dt.date.max if days > 0 else dt.date.min
        currency = cur or customer_currency or default_currency
        # All fields in order: keyword arguments cost a third more, 100k times.
        inv = InvoiceBalance(
            no, canonical, currency, row, issued, due, amount, 0, 0, 0, 0, 0, OPEN, 0, dispute is not None, hold, []
        )
        if status == VOID:
            inv.status = VOID
        by_folded[folded_no] = inv
        invoices[no] = inv
        if status != VOID and issued <= as_of:
            events.append((issued, 0, len(events), "invoice", (canonical, currency), amount, inv, "Invoice", row, no))


def _payment_events(book: Book, as_of: dt.date, find: _Lookups, events: list, skipped: list) -> None:
    invoices, target_of, customer = find.invoices, find.target, find.customer
    known = find.customers.get
    default_currency = find.default_currency
    order = _ORDER["payment"]
    for row, pid, cid, day, amount, cur, applied in _cols(
        book.sheet("Payments"), "Payment ID", "Customer ID", "Payment Date", "Amount", "Currency", "Applied To"
    ):
        if cid is None or day is None or amount is None or amount <= 0:
            skipped.append(("Payments", row, "incomplete row"))
            continue
        if day > as_of:
            continue
        canonical, customer_currency, _ = known(cid) or customer(cid)
        target = invoices.get(applied) if applied else None
        if target is None or target.status == VOID or target.customer_id != canonical:
            target = target_of(applied, canonical)  # the slower, complete look-up (case, void, customer)
        key = (canonical, cur or customer_currency or default_currency)
        events.append((day, order, len(events), "payment", key, amount, target, "Payment", row, pid or ""))


def _adjustment_events(book: Book, as_of: dt.date, find: _Lookups, events: list, skipped: list) -> None:
    for row, aid, cid, no, day, kind, amount in _cols(
        book.sheet("Adjustments"), "Adjustment ID", "Customer ID", "Invoice No", "Date", "Type", "Amount"
    ):
        if cid is None or day is None or kind is None or amount is None or amount == 0:
            skipped.append(("Adjustments", row, "incomplete row"))
            continue
        if day > as_of:
            continue
        event = _ADJUSTMENT_EVENTS[kind]
        if kind == "Other" and amount < 0:
            event, amount = "credit", -amount
        canonical, customer_currency, _ = find.customer(cid)
        named = find.invoices.get(no) or find.by_folded.get(_ci(no)) if no else None
        # The account is the named invoice's currency even when the invoice cannot take the money.
        key = (canonical, named.currency if named is not None else customer_currency or find.default_currency)
        target = find.target(no, canonical)
        events.append((day, _ORDER[event], len(events), event, key, abs(amount), target, kind, row, aid or ""))


def _replay(events: list, accounts, charges: list, last_payment: dict, auto_apply: bool) -> dict[int, int]:
    """Apply the sorted events to invoices and accounts. Returns what each write-off really closed, by
    seq: the one account line whose amount only the replay knows."""
    closed: dict[int, int] = {}
    # Credit settles a day's new charges (invoices, fees) once they are all in, so that it goes to the oldest
    # of them whatever their row order: accounts with credit and new charges wait here until then.
    owed_credit: dict[tuple[str, str], _Account] = {}
    charges_day = None
    for day, order, n, kind, key, amount, target, label, _, ref in events:
        if owed_credit and (order > _CHARGE or day != charges_day):
            for acct in owed_credit.values():
                acct.use_credit(charges_day)
            owed_credit.clear()
        if kind == "payment":
            last_payment[key] = day  # events come in date order: the last one is the latest
            if target is not None and amount <= target.amount - target.paid - target.credited - target.written_off:
                # The common case, kept short: the payment fits in what its invoice still owes.
                target.paid += amount
                _record(target, day)
                target.paid_date = day  # the last day anything was settled on it (see _finish_invoice)
            else:
                _pay(accounts[key], target, amount, day, auto_apply)
            continue
        acct = accounts[key]
        if kind == "invoice":
            _record(target, day)
            acct.add(target, target.due_date, target.invoice_date, ref, n)
        else:
            signed = _adjust(kind, acct, key, target, amount, day, n, label, charges)
            if kind == "write-off":
                closed[n] = signed
        if order <= _CHARGE and acct.credit > 0:
            owed_credit[key] = acct
            charges_day = day
    for acct in owed_credit.values():
        acct.use_credit(charges_day)
    return closed


def _pay(acct: _Account, target: InvoiceBalance | None, amount: int, day: dt.date, auto_apply: bool) -> None:
    """A payment: its invoice first; the rest oldest first (or, with Applied To and no auto-apply, credit)."""
    left = amount - (_settle(target, amount, day, "paid") if target is not None else 0)
    acct.credit += acct.pay_oldest(left, day, "paid") if auto_apply or target is None else left


def _adjust(kind: str, acct: _Account, key, target, amount: int, day: dt.date, n: int, label: str, charges) -> int:
    """Apply one adjustment; return its signed amount for the account line (+ charge, - credit)."""
    signed = -amount if kind in ("credit", "write-off") else amount
    customer_id, currency = key
    if kind == "credit":
        left = amount - (_settle(target, amount, day, "credited") if target is not None else 0)
        acct.credit += left
        acct.use_credit(day)
    elif kind == "write-off":
        # A write-off closes what remains and no more: the statement shows what it really closed.
        if target is not None:
            signed = -_settle(target, amount, day, "written_off")
        else:
            signed = -(amount - acct.pay_oldest(amount, day, "written_off"))
    elif kind == "refund":
        paid_out = min(amount, acct.credit)
        acct.credit -= paid_out
        if amount > paid_out:
            charge = AccountCharge(f"refund-{n}", customer_id, currency, day, "Refund", amount - paid_out)
            charges.append(charge)
            acct.add(charge, day, day, charge.key, n)
    elif kind == "returned":
        if target is not None and target.paid > 0:
            back = min(amount, target.paid)
            target.paid -= back
            _record(target, day)
            acct.add(target, target.due_date, target.invoice_date, target.invoice_no, n)
            amount -= back
        if amount > 0:
            charge = AccountCharge(f"returned-{n}", customer_id, currency, day, "Returned Payment", amount)
            charges.append(charge)
            acct.add(charge, day, day, charge.key, n)
        acct.use_credit(day)
    elif kind == "charge":
        if target is not None:
            target.fees += amount
            acct.add(target, target.due_date, target.invoice_date, target.invoice_no, n)
        else:
            charge = AccountCharge(f"charge-{n}", customer_id, currency, day, label, amount)
            charges.append(charge)
            acct.add(charge, day, day, charge.key, n)
        # Credit settles it with the rest of the day's charges (see _replay).
    return signed


_SHEET_OF = {"invoice": "Invoices", "payment": "Payments"}  # every other event is an adjustment
_MONEY_IN = frozenset({"payment", "credit"})  # account lines with a minus sign (write-offs: what they closed)


def _entry(event: tuple, closed: dict[int, int]) -> Entry:
    """The account line of one replayed event."""
    day, _, n, kind, (customer_id, currency), amount, target, label, row, ref = event
    signed = closed[n] if kind == "write-off" else -amount if kind in _MONEY_IN else amount
    invoice_no = target.invoice_no if target is not None else ""
    return Entry(day, customer_id, currency, label, ref, invoice_no, signed, _SHEET_OF.get(kind, "Adjustments"), row)


def _finish_invoice(inv: InvoiceBalance, as_of: dt.date) -> None:
    if inv.status == VOID:
        inv.paid_date = None  # not owed, so never paid (money applied to it goes to the account)
        return
    if inv.invoice_date > as_of:
        inv.status = OPEN  # issued after the as-of date: not yet part of the balance
        inv.paid_date = None
        return
    out = inv.outstanding
    inv.days_past_due = max(0, (as_of - inv.due_date).days) if out > 0 else 0
    if out <= 0:
        inv.status = WRITTEN_OFF if inv.written_off > 0 else PAID
        # Nothing is owed, so the last day anything was settled on it is the day it came to zero for good:
        # what is settled comes off what is owed, and whatever re-opened it was settled later. An invoice
        # that never owed anything (an amount of zero) was paid the day it was issued.
        if inv.paid_date is None:
            inv.paid_date = inv.invoice_date
        return
    inv.paid_date = None
    if inv.disputed:
        inv.status = DISPUTED
    elif inv.hold_until is not None and inv.hold_until > as_of:
        inv.status = ON_HOLD
    elif inv.days_past_due > 0:
        inv.status = OVERDUE
    elif inv.paid or inv.credited:
        inv.status = PARTIAL
    else:
        inv.status = OPEN


def summarize_customers(invoices, charges, credit, last_payment, as_of, bounds) -> list[CustomerBalance]:
    """Balances and aging per (customer, currency), sorted by customer."""
    nb = len(bounds) + 2
    acc: dict[tuple[str, str], dict] = {}

    def entry(key):
        if key not in acc:
            acc[key] = {"open": 0, "overdue": 0, "oldest": None, "buckets": [0] * nb, "max_dpd": 0}
        return acc[key]

    for inv in invoices:
        if inv.status == VOID or inv.invoice_date > as_of:
            continue
        out = inv.outstanding
        if out:
            _age(entry((inv.customer_id, inv.currency)), out, inv.due_date, as_of, bounds)
    for ch in charges:
        if ch.outstanding:
            _age(entry((ch.customer_id, ch.currency)), ch.outstanding, ch.date, as_of, bounds)
    for key in credit:
        entry(key)
    for key in last_payment:
        entry(key)
    out = []
    for (cid, cur), e in sorted(acc.items()):
        cr = credit.get((cid, cur), 0)
        out.append(
            CustomerBalance(
                cid,
                cur,
                e["open"] - cr,
                e["open"],
                cr,
                e["overdue"],
                e["oldest"],
                last_payment.get((cid, cur)),
                tuple(e["buckets"]),
                e["max_dpd"],
            )
        )
    return out


def _age(e: dict, cents: int, due: dt.date, as_of: dt.date, bounds) -> None:
    dpd = (as_of - due).days
    e["open"] += cents
    e["buckets"][bucket_index(dpd, bounds)] += cents
    if dpd > 0:
        e["overdue"] += cents
        e["max_dpd"] = max(e["max_dpd"], dpd)
        e["oldest"] = due if e["oldest"] is None else min(e["oldest"], due)
