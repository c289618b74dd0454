"""The owned sheets refresh writes: Balances, Aging, Dunning and the manager's Dashboard.

Each function turns computed results into an `OwnedSheet` (plain data); nothing here writes files.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from operator import attrgetter

from billing_addin.core.book import Book
from billing_addin.core.cell_values import id_cell
from billing_addin.core.fees import FeeAccrual
from billing_addin.core.ledger import VOID, InvoiceBalance, Ledger
from billing_addin.core.money import cents_to_decimal
from billing_addin.core.patch import DATE_FORMAT, MONEY_FORMAT, Chart, Column, Link, OwnedSheet

BALANCES_SHEET, AGING_SHEET, DUNNING_SHEET, DASHBOARD_SHEET = "Balances", "Aging", "Dunning", "Dashboard"
PLAN_SCHEDULE_SHEET = "PlanSchedule"
DSO_WINDOW_DAYS = 90


ZERO = Decimal("0.00")


def money(cents: int | None) -> Decimal | None:
    if cents is None:
        return None
    return ZERO if cents == 0 else cents_to_decimal(cents)  # most paid/credited/fee cells are zero


def money_column(header: str, width: float = 13) -> Column:
    return Column(header, width, MONEY_FORMAT)


def date_column(header: str) -> Column:
    return Column(header, 12, DATE_FORMAT)


def invoice_linker(book: Book):
    """A function (invoice no, Excel row) -> a link to that invoice's cell on the Invoices sheet, showing the
    number as that cell holds it: a number when it held one (24081), else the text."""
    sd = book.sheet("Invoices")
    if sd is None or not sd.has("Invoice No"):
        return lambda no, row: no
    prefix = f"'{sd.title.replace(chr(39), chr(39) * 2)}'!{sd.letters['Invoice No']}"
    numeric = sd.numeric_rows("Invoice No")
    if numeric:
        return lambda no, row: Link(id_cell(no) if row in numeric else no, f"{prefix}{row}")
    return lambda no, row: Link(no, f"{prefix}{row}")


def customer_id_cells(book: Book):
    """A function Customer ID -> the cell an owned sheet with one row per customer (Aging, Dunning) writes:
    the number when the customer's ID was read from a number cell, else the text. The Customers sheet
    decides for the customers it lists (the first row of each, as the ledger takes it); for any other, a
    number cell naming it on Invoices, Payments or Adjustments."""
    numeric: dict[str, frozenset[int]] = {}  # sheet -> the rows whose Customer ID held a number
    for name in ("Customers", "Invoices", "Payments", "Adjustments"):
        sd = book.sheet(name)
        if sd is not None and sd.numeric_rows("Customer ID"):
            numeric[name] = sd.numeric_rows("Customer ID")
    if not numeric:  # the usual book: every ID is text
        return _same
    as_numbers: set[str] = set()
    listed: set[str] = set()
    customers = book.sheet("Customers")
    if customers is not None and "Customer ID" in customers.columns:
        rows = numeric.get("Customers", frozenset())
        for row, cid in zip(customers.rows, customers.columns["Customer ID"]):
            if cid is not None and cid.casefold() not in listed:
                listed.add(cid.casefold())
                if row in rows:
                    as_numbers.add(cid)
    for name in ("Invoices", "Payments", "Adjustments"):
        rows = numeric.get(name)
        if rows:
            sd = book.sheet(name)
            for row, cid in zip(sd.rows, sd.columns["Customer ID"]):
                if row in rows and cid.casefold() not in listed:
                    as_numbers.add(cid)
    return lambda cid: id_cell(cid) if cid in as_numbers else cid


def _same(value):
    return value


class _Decimals(dict):
    """cents -> Decimal, each made once: the cells of a big sheet repeat few amounts (zero, an invoice's amount
    in Amount and Paid or Outstanding), and a dict look-up costs a tenth of making a Decimal."""

    def __init__(self):
        super().__init__({0: ZERO})

    def __missing__(self, cents: int) -> Decimal:
        value = self[cents] = Decimal(cents).scaleb(-2)  # cents_to_decimal(cents), minus two calls
        return value


def by_customer_due_date(invoices) -> list[InvoiceBalance]:
    """Invoices sorted by (customer, due date, invoice no): customers first, then each customer's few invoices,
    which is half the work of one sort of 100k three-part keys."""
    groups: dict[str, list[InvoiceBalance]] = defaultdict(list)
    for inv in invoices:
        groups[inv.customer_id].append(inv)
    by_due = attrgetter("due_date", "invoice_no")
    ordered: list[InvoiceBalance] = []
    for cid in sorted(groups):
        ordered += sorted(groups[cid], key=by_due)
    return ordered


def balances_sheet(book: Book, ledger: Ledger, fees: list[FeeAccrual]) -> OwnedSheet:
    """One row per invoice issued by the as-of date: what was paid, credited, written off, and what is owed."""
    unposted = {f.invoice_no: f.to_post for f in fees}
    link = invoice_linker(book)
    # Customer ID as the invoice's own row holds it: a number where that cell held one.
    sd = book.sheet("Invoices")
    numeric_customer = sd.numeric_rows("Customer ID") if sd is not None else frozenset()
    cents = _Decimals()
    rows = []
    for inv in by_customer_due_date(i for i in ledger.invoices.values() if i.invoice_date <= ledger.as_of):
        if inv.status == VOID:  # not owed, whatever was paid against it
            paid = credited = written_off = fees_owed = outstanding = ZERO
            days_late = None
        else:
            owed = inv.fees - inv.fees_paid
            paid, credited, written_off = cents[inv.paid], cents[inv.credited], cents[inv.written_off]
            fees_owed = cents[owed]
            outstanding = cents[inv.amount - inv.paid - inv.credited - inv.written_off + owed]
            days_late = inv.days_late
        rows.append(
            (
                link(inv.invoice_no, inv.row),
                id_cell(inv.customer_id) if numeric_customer and inv.row in numeric_customer else inv.customer_id,
                inv.currency,
                inv.invoice_date,
                inv.due_date,
                cents[inv.amount],
                paid,
                credited,
                written_off,
                fees_owed,
                outstanding,
                inv.days_past_due,
                inv.status,
                cents[unposted.get(inv.invoice_no, 0)],
                inv.paid_date,
                days_late,
            )
        )
    columns = (
        Column("Invoice No", 14),
        Column("Customer ID", 12),
        Column("Currency", 9),
        date_column("Invoice Date"),
        date_column("Due Date"),
        money_column("Amount"),
        money_column("Paid"),
        money_column("Credited"),
        money_column("Written Off"),
        money_column("Fees Owed"),
        money_column("Outstanding"),
        Column("Days Past Due", 10, "0"),
        Column("Status", 14),
        money_column("Fees Not Yet Posted"),
        date_column("Paid Date"),  # blank while anything is owed; for Written Off, the day it was closed
        Column("Days Late", 10, "0"),  # paid: paid date - due date (at least 0); open: days past due
    )
    return OwnedSheet(BALANCES_SHEET, columns, tuple(rows))


def customer_names(book: Book) -> dict[str, str]:
    sd = book.sheet("Customers")
    if sd is None:
        return {}
    return {
        cid.casefold(): name
        for cid, name in zip(sd.columns.get("Customer ID", []), sd.columns.get("Name") or [None] * len(sd.rows))
        if cid is not None and name is not None
    }


def aging_sheet(book: Book, ledger: Ledger) -> OwnedSheet:
    """One row per customer and currency: balance, credit, overdue, aging buckets."""
    names = customer_names(book)
    customer_cell = customer_id_cells(book)
    rows = tuple(
        (
            customer_cell(c.customer_id),
            names.get(c.customer_id.casefold()),
            c.currency,
            money(c.balance),
            money(c.unapplied_credit),
            money(c.overdue),
            c.oldest_overdue,
            c.last_payment,
            *(money(b) for b in c.buckets),
            c.max_days_past_due,
        )
        for c in ledger.customers
    )
    columns = (
        Column("Customer ID", 12),
        Column("Name", 28),
        Column("Currency", 9),
        money_column("Balance"),
        money_column("Unapplied Credit"),
        money_column("Overdue"),
        date_column("Oldest Overdue Due Date"),
        date_column("Last Payment"),
        *(money_column(label, 12) for label in ledger.bucket_labels),
        Column("Max Days Past Due", 10, "0"),
    )
    return OwnedSheet(AGING_SHEET, columns, rows)


def dso_days(ledger: Ledger, currency: str) -> Decimal | None:
    """Days sales outstanding: receivables / credit sales of the last 90 days x 90 (None without sales)."""
    receivable = sum(c.open_items for c in ledger.customers if c.currency == currency)
    return dso(receivable, credit_sales(ledger).get(currency, 0))


def credit_sales(ledger: Ledger) -> dict[str, int]:
    """Currency -> invoiced in the last 90 days to the as-of date (void invoices aside): what DSO divides by."""
    since = ledger.as_of - dt.timedelta(days=DSO_WINDOW_DAYS - 1)
    sales: dict[str, int] = {}
    for i in ledger.invoices.values():
        if since <= i.invoice_date <= ledger.as_of and i.status != VOID:
            sales[i.currency] = sales.get(i.currency, 0) + i.amount
    return sales


def dso(receivable: int, sales: int) -> Decimal | None:
    if not sales:
        return None
    return (Decimal(receivable) * DSO_WINDOW_DAYS / Decimal(sales)).quantize(Decimal("0.1"))


def dashboard_sheet(book: Book, ledger: Ledger) -> OwnedSheet:
    """What a manager opening the book looks at first: aging by bucket (with a bar chart), totals, DSO,
    and the ten largest overdue customers. One table: Section, Item, Currency, Amount, Detail."""
    currencies = sorted({c.currency for c in ledger.customers}) or [str(book.settings.get("Default Currency", "USD"))]
    main = (
        currencies[0]
        if len(currencies) == 1
        else max(currencies, key=lambda cur: sum(c.open_items for c in ledger.customers if c.currency == cur))
    )
    rows: list[tuple] = []
    by_bucket: dict[tuple[str, int], int] = defaultdict(int)
    for c in ledger.customers:
        for i, b in enumerate(c.buckets):
            by_bucket[(c.currency, i)] += b
    # Aging of the main currency first: the chart reads these rows.
    for i, label in enumerate(ledger.bucket_labels):
        rows.append(("Aging", label, main, money(by_bucket[(main, i)]), None))
    for cur in currencies:
        mine = [c for c in ledger.customers if c.currency == cur]
        dso = dso_days(ledger, cur)
        rows += [
            ("Totals", "Receivables (open items)", cur, money(sum(c.open_items for c in mine)), None),
            ("Totals", "Unapplied credit", cur, money(sum(c.unapplied_credit for c in mine)), None),
            ("Totals", "Net balance", cur, money(sum(c.balance for c in mine)), None),
            ("Totals", "Overdue", cur, money(sum(c.overdue for c in mine)), None),
            ("Totals", "Customers overdue", cur, None, sum(1 for c in mine if c.overdue)),
            (
                "Totals",
                f"DSO (days, last {DSO_WINDOW_DAYS} days' sales)",
                cur,
                None,
                None if dso is None else float(dso),
            ),
        ]
        if cur != main:
            rows += [
                ("Aging", label, cur, money(by_bucket[(cur, i)]), None) for i, label in enumerate(ledger.bucket_labels)
            ]
    names = customer_names(book)
    top = sorted((c for c in ledger.customers if c.overdue), key=lambda c: (-c.overdue, c.customer_id))[:10]
    for rank, c in enumerate(top, start=1):
        rows.append(
            (
                "Largest overdue",
                f"{rank}. {c.customer_id} {names.get(c.customer_id.casefold(), '')}".strip(),
                c.currency,
                money(c.overdue),
                c.max_days_past_due,
            )
        )
    rows.append(("As of", ledger.as_of.isoformat(), None, None, None))
    columns = (
        Column("Section", 16),
        Column("Item", 40),
        Column("Currency", 9),
        money_column("Amount", 15),
        Column("Detail", 12),
    )
    n = len(ledger.bucket_labels)
    chart = Chart("bar", f"Receivables by age ({main})", "Item", ("Amount",), anchor="G2", rows=(1, n))
    return OwnedSheet(DASHBOARD_SHEET, columns, tuple(rows), charts=(chart,))


def dunning_sheet(decisions, skips, customer_cell=_same, broken_promises=()) -> OwnedSheet:
    """Who gets which letter now and why, then who is skipped and why, then the promises to pay broken.
    customer_cell: Customer ID -> its cell (customer_id_cells). broken_promises: core.plans.Promise."""
    rows = [
        (
            "Letter",
            customer_cell(d.customer_id),
            d.currency,
            d.level,
            d.letter_template,
            ", ".join(d.invoices),
            money(d.overdue_cents),
            d.max_days_past_due,
            d.reason,
        )
        for d in decisions
    ]
    rows += [
        ("Skipped", customer_cell(s.customer_id), s.currency, None, None, None, None, None, s.reason) for s in skips
    ]
    rows += [
        (
            "Broken Promise",
            customer_cell(p.customer_id),
            None,
            None,
            None,
            p.invoice_no,
            money(p.amount),
            None,
            f"Promised to pay {'in full' if p.amount is None else 'this'} by {p.date} ({p.sheet}!{p.cell}); "
            "not kept: reminders resume.",
        )
        for p in broken_promises
    ]
    columns = (
        Column("Action", 9),
        Column("Customer ID", 12),
        Column("Currency", 9),
        Column("Level", 7),
        Column("Letter", 18),
        Column("Invoices", 30),
        money_column("Overdue"),
        Column("Max Days Past Due", 10, "0"),
        Column("Why", 70),
    )
    return OwnedSheet(DUNNING_SHEET, columns, tuple(rows))


def plan_schedule_sheet(plans, customer_cell=_same) -> OwnedSheet:
    """Every installment of every payment plan (core.plans.PlanStanding): due date, amount, paid so far, state
    (Upcoming, Due, Paid, Late, Missed), days late, and the plan's status. Installment 0 is the down payment."""
    rows = [
        (
            p.terms.plan_id,
            customer_cell(p.terms.customer_id),
            p.currency,
            i.number,
            i.due,
            money(i.amount),
            money(i.paid),
            i.state,
            i.days_late,
            p.status,
        )
        for p in plans
        for i in p.schedule
    ]
    columns = (
        Column("Plan ID", 10),
        Column("Customer ID", 12),
        Column("Currency", 9),
        Column("Installment", 11, "0"),
        date_column("Due Date"),
        money_column("Amount"),
        money_column("Paid"),
        Column("State", 10),
        Column("Days Late", 9, "0"),
        Column("Plan Status", 11),
    )
    return OwnedSheet(PLAN_SCHEDULE_SHEET, columns, tuple(rows))
