"""A realistic demo billing workbook: customers, a year of invoices and payments, a few honest mistakes.

Deterministic for a given seed and as-of date, so tests and the README can rely on what it shows.
The same row generator feeds the 100k-invoice benchmark book (`write_plain_book`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from billing_addin.core.schema import (
    ADJUSTMENTS,
    CUSTOMERS,
    DUNNING_LEVELS,
    FEE_POLICIES,
    INVOICES,
    PAYMENTS,
    RATE_TABLE,
)
from billing_addin.workbook.template import build_template, default_rows

COMPANIES = (
    "Johnson & Sons <Ltd>",
    "O'Brien Plumbing",
    "Café Müller",
    "Northwind Traders",
    "Acme Widgets",
    "Blue Harbor Dental",
    "Greenleaf Landscaping",
    "Summit Physio",
    "Riverside Bakery",
    "Keystone Legal",
    "Pinecrest Clinic",
    "Atlas Freight",
    "Maple Street Dental",
    "Orion Labs",
    "Harbor View Hotel",
    "Silver Birch Care",
    "Redwood Builders",
    "Lakeside Vets",
    "Copper Kettle Cafe",
    "Evergreen Realty",
)
CITIES = (
    ("Springfield", "IL", "62701"),
    ("Portland", "OR", "97201"),
    ("Austin", "TX", "73301"),
    ("Boston", "MA", "02108"),
    ("Denver", "CO", "80202"),
    ("Madison", "WI", "53703"),
)
FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon")
LAST = ("Smith", "Garcia", "Nguyen", "Okafor", "Rossi", "Kowalski", "Chen", "Murphy", "Haddad", "Berg")
SERVICES = (
    "Consulting hours",
    "Monthly maintenance",
    "Equipment rental",
    "Annual license",
    "Installation",
    "Support plan",
    "Training session",
    "Materials",
)

SETTINGS = {
    "Company Name": "Brightside Billing Co.",
    "Company Address": "12 Market Street, Suite 400, Springfield, IL 62701",
    "Company Phone": "+1 217 555 0100",
    "Company Email": "accounts@brightside.example",
    "Payment Instructions": "Bank transfer to Brightside Billing Co., account 000123456, routing 021000021. "
    "Quote your invoice number.",
    "Default Currency": "USD",
    "Default Terms": 30,
    "Locale": "en_US",
    "Default Fee Policy": "Standard",
}


@dataclass
class DemoData:
    rows: dict[str, list[list[object]]]
    settings: dict[str, object]
    mistakes: list[str] = field(default_factory=list)  # what was planted, for the README and tests


def generate(
    as_of: dt.date,
    customers: int = 40,
    invoices: int = 300,
    payments: int = 250,
    seed: int = 7,
    mistakes: bool = True,
    plans: bool = False,
) -> DemoData:
    """Rows for every input sheet, in schema column order. plans: four more customers, three on payment plans
    (one kept, one late, one broken) and one who promised to pay (add_plans)."""
    rnd = random.Random(seed)
    cust_rows, terms = [], {}
    for i in range(customers):
        cid = f"C{1001 + i}"
        base = COMPANIES[i % len(COMPANIES)]
        name = base if i < len(COMPANIES) else f"{base} {i // len(COMPANIES) + 1}"
        city, region, postal = CITIES[i % len(CITIES)]
        terms[cid] = rnd.choice((14, 30, 30, 30, 45, 60))
        contact = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        domain = "".join(ch for ch in base.split()[0].lower() if ch.isascii() and ch.isalnum())
        email = f"ap{i + 1}@{domain}.example"
        cust_rows.append(
            [
                cid,
                name,
                contact,
                email,
                f"+1 555 01{i:02d}",
                f"{100 + i} Main Street",
                None,
                city,
                region,
                postal,
                "USA",
                None,
                terms[cid],
                None,
                "Manual" if i % 17 == 16 else "Auto",
                None,
            ]
        )
    ids = list(terms)
    start = as_of - dt.timedelta(days=365)
    inv_rows = []
    for n in range(invoices):
        cid = rnd.choice(ids)
        issued = start + dt.timedelta(days=int(n * 365 / invoices) + rnd.randint(0, 2))
        issued = min(issued, as_of)
        amount = round(rnd.uniform(80, 4800), 2)
        due = issued + dt.timedelta(days=terms[cid]) if n % 5 else None  # some rely on the terms
        dispute = "Says goods arrived damaged" if n % 97 == 13 else None
        inv_rows.append(
            [
                f"INV-{24001 + n}",
                cid,
                issued,
                due,
                amount,
                None,
                rnd.choice(SERVICES),
                f"PO-{rnd.randint(1000, 9999)}" if n % 3 == 0 else None,
                None,
                None,
                dispute,
            ]
        )
    pay_rows = []
    # Pay most older invoices in full, some in part, leaving recent ones and a few old ones open.
    candidates = [r for r in inv_rows if (as_of - r[2]).days > 20]
    rnd.shuffle(candidates)
    for k, inv in enumerate(candidates[:payments]):
        due = inv[3] or inv[2] + dt.timedelta(days=terms[inv[1]])
        paid_on = min(due + dt.timedelta(days=rnd.randint(-10, 25)), as_of)
        paid_on = max(paid_on, inv[2])
        amount = inv[4] if k % 9 else round(inv[4] * 0.5, 2)
        applied = inv[0] if k % 4 else None
        pay_rows.append(
            [
                f"P{5001 + k}",
                inv[1],
                paid_on,
                amount,
                None,
                rnd.choice(("Bank Transfer", "Check", "Card", "ACH")),
                f"REF{rnd.randint(10000, 99999)}",
                applied,
                None,
            ]
        )
    pay_rows.sort(key=lambda r: r[2])
    credited, written_off = inv_rows[10 % invoices], inv_rows[40 % invoices]
    adj_rows = [
        [
            "A1",
            credited[1],
            credited[0],
            credited[2] + dt.timedelta(days=5),
            "Credit Note",
            round(credited[4] * 0.1, 2),
            "Goodwill credit for late delivery",
        ],
        [
            "A2",
            written_off[1],
            written_off[0],
            max(written_off[2], as_of - dt.timedelta(days=30)),
            "Write-off",
            written_off[4],
            "Customer ceased trading",
        ],
    ]
    data = DemoData(
        {CUSTOMERS.name: cust_rows, INVOICES.name: inv_rows, PAYMENTS.name: pay_rows, ADJUSTMENTS.name: adj_rows},
        dict(SETTINGS),
    )
    if mistakes:
        _plant_mistakes(data, as_of)
    if plans:
        add_plans(data, as_of)
    return data


def add_plans(data: DemoData, as_of: dt.date) -> None:
    """Customers who need help paying: PP-1 kept (every installment paid on its day), PP-2 late (its last
    installment unpaid past its grace days: one miss), PP-3 broken (two installments missed, so reminders
    resume), and a customer who promised on the phone to pay an overdue invoice next week."""
    from billing_addin.core.plans import make_schedule  # the demo pays exactly what the plan asks, on its days

    rows = data.rows
    plans = rows.setdefault("PaymentPlans", [])
    people = (
        ("C2001", "Harbor Dental Group", 1200_00, 150, 95, 6, 0, ("all",)),
        ("C2002", "Maple Street Clinic", 900_00, 150, 95, 3, 5, (1, 2)),
        ("C2003", "Orchard Family Practice", 1500_00, 200, 130, 5, 3, (1,)),
    )
    for k, (cid, name, cents, issued_ago, start_ago, n, grace, paid) in enumerate(people, start=1):
        rows[CUSTOMERS.name].append(_customer(cid, name, 1001 + len(rows[CUSTOMERS.name])))
        issued = as_of - dt.timedelta(days=issued_ago)
        no = f"INV-P{k}"
        rows[INVOICES.name].append(
            [no, cid, issued, issued + dt.timedelta(days=30), cents / 100, None, "Treatment plan"]
        )
        start = as_of - dt.timedelta(days=start_ago)
        for inst in make_schedule(cents, n, "Monthly", start):
            if inst.due <= as_of and (paid == ("all",) or inst.number in paid):
                rows[PAYMENTS.name].append(
                    [f"PP{k}-{inst.number}", cid, inst.due, inst.amount / 100, None, "ACH", None, no, None]
                )
        plans.append([f"PP-{k}", cid, no, start, None, n, "Monthly", None, grace, None, "Active", start, None])
    cid = "C2004"
    rows[CUSTOMERS.name].append(_customer(cid, "Riverside Pediatrics", 1001 + len(rows[CUSTOMERS.name])))
    issued = as_of - dt.timedelta(days=60)
    promised = as_of + dt.timedelta(days=7)
    rows[INVOICES.name].append(
        [
            "INV-P4",
            cid,
            issued,
            issued + dt.timedelta(days=30),
            640.00,
            None,
            "Consultation",
            None,
            None,
            None,
            None,
            promised,
        ]
    )
    rows[PAYMENTS.name].sort(key=lambda r: r[2])


def _customer(cid: str, name: str, n: int) -> list[object]:
    return [cid, name, "Accounts Payable", f"ap{n}@{name.split()[0].lower()}.example", None, f"{n} Main Street", None,
            "Springfield", "IL", "62701", "USA", None, 30, None, "Auto", None]  # fmt: skip


def _plant_mistakes(data: DemoData, as_of: dt.date) -> None:
    """The slips a busy specialist really makes; validation must point at each one."""
    inv, pay, cust = data.rows[INVOICES.name], data.rows[PAYMENTS.name], data.rows[CUSTOMERS.name]
    inv[57][4] = "TBD"
    data.mistakes.append(f"Invoices!E{57 + 2}: amount typed as TBD")
    d = inv[120][2]
    inv[120][3] = d.replace(year=d.year + 180) + dt.timedelta(days=30)
    data.mistakes.append(f"Invoices!D{120 + 2}: due date typed {inv[120][3].year} for {d.year}")
    pay[30][7] = "INV-99999"
    data.mistakes.append(f"Payments!H{30 + 2}: applied to an invoice that does not exist")
    pay.append(list(pay[60]))
    data.mistakes.append(f"Payments!D{len(pay) + 1}: the payment in row {60 + 2} entered twice")
    cust[5][3] = "accounts.example.com"
    data.mistakes.append(f"Customers!D{5 + 2}: e-mail without @")


def build_demo_book(path: str | Path, as_of: dt.date, **kw) -> DemoData:
    """Write the demo workbook; `kw` goes to generate (mistakes, plans, sizes)."""
    data = generate(as_of, **kw)
    build_template(path, data.rows, data.settings)
    return data


def write_plain_book(
    path: str | Path, as_of: dt.date, customers: int, invoices: int, payments: int, seed: int = 11
) -> Path:
    """A big workbook on plain ranges (no tables), written fast with xlsxwriter: for benchmarks."""
    import xlsxwriter

    data = generate(
        as_of, customers=customers, invoices=invoices, payments=min(payments, invoices), seed=seed, mistakes=False
    )
    # More payments than invoices: split some payments into two instalments of half each.
    pays = data.rows[PAYMENTS.name]
    extra = payments - len(pays)
    for k in range(max(0, min(extra, len(pays)))):
        first = pays[k]
        half = round(first[3] / 2, 2)
        second = list(first)
        second[0], second[3], second[6] = f"P{900000 + k}", round(first[3] - half, 2), f"REFX{k}"
        first[3] = half
        pays.append(second)
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = wb.add_format({"num_format": "#,##0.00"})
    for spec in (CUSTOMERS, INVOICES, PAYMENTS, ADJUSTMENTS):
        ws = wb.add_worksheet(spec.name)
        ws.write_row(0, 0, [f.name for f in spec.fields])
        for r, row in enumerate(data.rows[spec.name], start=1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date_fmt)
                elif isinstance(v, float):
                    ws.write_number(r, c, v, money_fmt)
                else:
                    ws.write(r, c, v)
    for spec in (FEE_POLICIES, RATE_TABLE, DUNNING_LEVELS):  # what a book made from the template starts with
        ws = wb.add_worksheet(spec.name)
        ws.write_row(0, 0, [f.name for f in spec.fields])
        for r, row in enumerate(default_rows(spec.name), start=1):
            for c, v in enumerate(row):
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date_fmt)
                elif isinstance(v, Decimal):
                    ws.write_number(r, c, float(v))
                elif v is not None:
                    ws.write(r, c, v)
    ws = wb.add_worksheet("Settings")
    ws.write_row(0, 0, ["Setting", "Value"])
    for r, (k, v) in enumerate(data.settings.items(), start=1):
        ws.write_row(r, 0, [k, v])
    wb.close()
    return path
