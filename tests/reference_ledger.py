"""The oracle for tests/test_ledger_reference.py: billing_addin/ledger.py as it was before it was made fast
(commit ea41894), one event at a time with no short cuts. Leave this copy as it is; when the allocation
rules themselves change, change it in the same way as the ledger (done once since: credit settles a day's
new charges once they are all in, so that row order cannot decide which invoice it goes to).

Added since, worked out its own way: each invoice's paid date. The ledger notes the last day anything was
settled on an invoice; this copy looks at every invoice after every event (after credit is applied to a
day's charges, and when a returned payment re-opens an invoice that credit may settle again at once) and
notes the day what it owes came to zero, forgetting it when the invoice re-opens.

Who owes what: payment allocation, invoice and customer balances, aging, statements.

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
    paid_date: dt.date | None = None  # the day what it owes came to zero (and stayed there)

    @property
    def principal_outstanding(self) -> int:
        return self.amount - self.paid - self.credited - self.written_off

    @property
    def outstanding(self) -> int:
        return self.principal_outstanding + self.fees - self.fees_paid

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


@dataclass
class Ledger:
    as_of: dt.date
    invoices: dict[str, InvoiceBalance]  # by Invoice No as typed
    charges: list[AccountCharge]
    customers: list[CustomerBalance]
    bucket_labels: tuple[str, ...]
    credit: dict[tuple[str, str], int]  # (customer, currency) -> unapplied credit
    entries: list[Entry] = field(default_factory=list)  # every event in date order, as applied
    skipped: list[tuple[str, int, str]] = field(default_factory=list)  # (sheet, row, why) rows left out


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
        self.credit = 0
        self.auto_apply = auto_apply
        self.last_payment: dt.date | None = None

    def add(self, item, due: dt.date, issued: dt.date, no: str, seq: int) -> None:
        heapq.heappush(self.heap, (due, issued, no, seq, item))

    def oldest_open(self):
        while self.heap and self.heap[0][4].outstanding <= 0:
            heapq.heappop(self.heap)
        return self.heap[0][4] if self.heap else None

    def pay_oldest(self, cents: int, day: dt.date, how: str) -> int:
        """Pay open items oldest first; return what is left."""
        while cents > 0:
            item = self.oldest_open()
            if item is None:
                break
            cents -= _settle(item, cents, day, how)
        return cents

    def use_credit(self, day: dt.date) -> None:
        if self.auto_apply and self.credit > 0:
            self.credit = self.pay_oldest(self.credit, day, "paid")


def _settle(item, cents: int, day: dt.date, how: str) -> int:
    """Reduce an item by up to `cents` (principal before fees); return what was used."""
    if isinstance(item, AccountCharge):
        used = min(cents, item.outstanding)
        item.paid += used
        return used
    principal = min(cents, item.principal_outstanding)
    if how == "credited":
        item.credited += principal
    elif how == "written_off":
        item.written_off += principal
    else:
        item.paid += principal
    fee = min(cents - principal, item.fees - item.fees_paid)
    item.fees_paid += fee
    if principal:
        _record(item, day)
    return principal + fee


def _record(inv: InvoiceBalance, day: dt.date) -> None:
    value = inv.principal_outstanding
    if inv.history and inv.history[-1][0] == day:
        inv.history[-1] = (day, value)
    else:
        inv.history.append((day, value))


# Order of events on one day: charges first, then money in, then adjustments that take money back out.
_ORDER = {"invoice": 0, "charge": 1, "payment": 2, "credit": 3, "write-off": 4, "refund": 5, "returned": 6}


def build_ledger(book: Book, as_of: dt.date) -> Ledger:
    """Replay every invoice, payment and adjustment up to `as_of` and return the balances."""
    settings = book.settings
    default_currency = str(settings.get("Default Currency", "USD"))
    default_terms = int(settings.get("Default Terms", 30))
    auto_apply = str(settings.get("Auto Apply Credits", "Yes")) != "No"
    try:
        bounds = parse_buckets(settings.get("Aging Buckets"))
    except ValueError:
        bounds = DEFAULT_BUCKETS  # reported by validation

    folded: dict[str, tuple[str, str | None, int | None]] = {}  # folded id -> (id, currency, terms)
    for _, cid, cur, terms in _cols(book.sheet("Customers"), "Customer ID", "Currency", "Payment Terms"):
        if cid is not None:
            folded.setdefault(_ci(cid), (cid, cur, terms))
    customers: dict[str, tuple[str, str | None, int | None]] = {}  # as typed -> the same, folded once

    def customer(cid: str) -> tuple[str, str | None, int | None]:
        found = customers.get(cid)
        if found is None:
            found = customers[cid] = folded.get(_ci(cid), (cid, None, None))
        return found

    def currency_of(cid: str, cur: str | None) -> str:
        return cur or customer(cid)[1] or default_currency

    skipped: list[tuple[str, int, str]] = []
    events: list[tuple] = []  # (date, order, seq, kind, payload)
    invoices: dict[str, InvoiceBalance] = {}
    by_folded: dict[str, InvoiceBalance] = {}

    def invoice_named(no: str | None) -> InvoiceBalance | None:
        if not no:
            return None
        return invoices.get(no) or by_folded.get(_ci(no))

    seq = 0
    inv_sheet = book.sheet("Invoices")
    for row, no, cid, issued, due, amount, cur, status, hold, dispute in _cols(
        inv_sheet,
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
        canonical, customer_currency, terms = customer(cid)
        if due is None:
            due = issued + dt.timedelta(days=default_terms if terms is None else terms)
        inv = InvoiceBalance(
            no,
            canonical,
            cur or customer_currency or default_currency,
            row,
            issued,
            due,
            amount,
            disputed=dispute is not None,
            hold_until=hold,
        )
        if status == VOID:
            inv.status = VOID
        by_folded[folded_no] = inv
        invoices[no] = inv
        if status != VOID and issued <= as_of:
            events.append((issued, _ORDER["invoice"], seq, "invoice", inv))
            seq += 1

    for row, pid, cid, day, amount, cur, applied in _cols(
        book.sheet("Payments"), "Payment ID", "Customer ID", "Payment Date", "Amount", "Currency", "Applied To"
    ):
        if cid is None or day is None or amount is None or amount <= 0:
            skipped.append(("Payments", row, "incomplete row"))
            continue
        if day > as_of:
            continue
        target = invoice_named(applied)
        canonical, customer_currency, _ = customer(cid)
        key = (canonical, cur or customer_currency or default_currency)
        events.append((day, _ORDER["payment"], seq, "payment", (key, amount, target, "Payment", row, pid or "")))
        seq += 1

    adjustment_kinds = {
        "Credit Note": "credit",
        "Write-off": "write-off",
        "Refund": "refund",
        "Returned Payment": "returned",
        "Late Fee": "charge",
        "Other": "charge",
    }
    for row, aid, cid, no, day, kind, amount in _cols(
        book.sheet("Adjustments"), "Adjustment ID", "Customer ID", "Invoice No", "Date", "Type", "Amount"
    ):
        if cid is None or day is None or kind is None or amount is None or amount == 0:
            skipped.append(("Adjustments", row, "incomplete row"))
            continue
        if day > as_of:
            continue
        event = adjustment_kinds[kind]
        if kind == "Other" and amount < 0:
            event, amount = "credit", -amount
        target = invoice_named(no)
        key = (customer(cid)[0], target.currency if target is not None else currency_of(cid, None))
        events.append((day, _ORDER[event], seq, event, (key, abs(amount), target, kind, row, aid or "")))
        seq += 1

    events.sort()  # by date, then charges before money in, then row order (seq is unique: payloads never compared)
    accounts: dict[tuple[str, str], _Account] = defaultdict(lambda: _Account(auto_apply))
    charges: list[AccountCharge] = []
    last_payment: dict[tuple[str, str], dt.date] = {}

    def note_paid(day: dt.date) -> None:
        """After anything happened on `day`: each invoice that owes nothing now was paid today, unless it
        already owed nothing before; one that owes something is not paid."""
        for inv in invoices.values():
            if inv.outstanding > 0:
                inv.paid_date = None
            elif inv.paid_date is None:
                inv.paid_date = day

    entries: list[Entry] = []
    # Credit settles the day's new charges once they are all in (oldest first, whatever the row order).
    waiting: list[tuple[dt.date, _Account]] = []
    for day, order, n, kind, payload in events:
        if waiting and (order > _ORDER["charge"] or day != waiting[0][0]):
            for charges_day, acct in waiting:
                acct.use_credit(charges_day)
                note_paid(charges_day)
            waiting = []
        if kind == "invoice":
            inv = payload
            acct = accounts[(inv.customer_id, inv.currency)]
            _record(inv, day)
            acct.add(inv, inv.due_date, inv.invoice_date, inv.invoice_no, n)
            waiting.append((day, acct))
            entries.append(
                Entry(
                    day,
                    inv.customer_id,
                    inv.currency,
                    "Invoice",
                    inv.invoice_no,
                    inv.invoice_no,
                    inv.amount,
                    "Invoices",
                    inv.row,
                )
            )
            note_paid(day)
            continue
        key, amount, target, label, row, ref = payload
        currency, acct = key[1], accounts[key]
        if target is not None and (target.status == VOID or target.customer_id != key[0]):
            target = None  # a void invoice or another customer's: the money goes to the account
        sheet = "Payments" if kind == "payment" else "Adjustments"
        signed = -amount if kind in ("payment", "credit", "write-off") else amount
        if kind == "payment":
            last_payment[key] = max(day, last_payment.get(key, day))
            left = amount - (_settle(target, amount, day, "paid") if target is not None else 0)
            # Without Applied To the payment goes oldest first; what is left over is credit.
            acct.credit += acct.pay_oldest(left, day, "paid") if auto_apply or target is None else left
        elif kind == "credit":
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
                charge = AccountCharge(f"refund-{n}", key[0], currency, day, "Refund", amount - paid_out)
                charges.append(charge)
                acct.add(charge, day, day, charge.key, n)
        elif kind == "returned":
            if target is not None and target.paid > 0:
                back = min(amount, target.paid)
                target.paid -= back
                _record(target, day)
                acct.add(target, target.due_date, target.invoice_date, target.invoice_no, n)
                amount -= back
                note_paid(day)  # re-opened, before credit may settle it again below
            if amount > 0:
                charge = AccountCharge(f"returned-{n}", key[0], currency, day, "Returned Payment", amount)
                charges.append(charge)
                acct.add(charge, day, day, charge.key, n)
            acct.use_credit(day)
        elif kind == "charge":
            if target is not None:
                target.fees += amount
                acct.add(target, target.due_date, target.invoice_date, target.invoice_no, n)
            else:
                charge = AccountCharge(f"charge-{n}", key[0], currency, day, label, amount)
                charges.append(charge)
                acct.add(charge, day, day, charge.key, n)
            waiting.append((day, acct))
        entries.append(
            Entry(day, key[0], currency, label, ref, target.invoice_no if target else "", signed, sheet, row)
        )
        note_paid(day)
    for charges_day, acct in waiting:
        acct.use_credit(charges_day)
        note_paid(charges_day)

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
        entries,
        skipped,
    )


def _finish_invoice(inv: InvoiceBalance, as_of: dt.date) -> None:
    if inv.status == VOID:
        inv.paid_date = None  # not owed, so never paid
        return
    if inv.invoice_date > as_of:
        inv.status = OPEN  # issued after the as-of date: not yet part of the balance
        inv.paid_date = None
        return
    out = inv.outstanding
    inv.days_past_due = max(0, (as_of - inv.due_date).days) if out > 0 else 0
    if out <= 0:
        inv.status = WRITTEN_OFF if inv.written_off > 0 else PAID
        if inv.paid_date is None:  # it never owed anything
            inv.paid_date = inv.invoice_date
    elif inv.disputed:
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
        if inv.status == VOID or inv.invoice_date > as_of or inv.outstanding == 0:
            continue
        e = entry((inv.customer_id, inv.currency))
        _age(e, inv.outstanding, inv.due_date, as_of, bounds)
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
