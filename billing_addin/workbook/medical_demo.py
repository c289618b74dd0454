"""A small medical practice's workbook (patients, visit invoices, claims in every state, payers, the practice's
own denial code meanings) and an 835 remittance for it, for `billing demo --medical`; and the big practice book
and 10,000-claim 835 of `bench/era.py`.

Names, member IDs and addresses are made up. The denial code meanings are the demo practice's own words, not
X12's descriptions (which may not be shipped)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from billing_addin.core.schema import (
    ADJUSTMENTS,
    CLAIMS,
    CUSTOMERS,
    DENIAL_CODES,
    INVOICES,
    PAYERS,
    PAYMENTS,
    SheetSpec,
)
from billing_addin.workbook.template import build_template

SETTINGS = {
    "Company Name": "Riverbend Family Medicine",
    "Company Address": "200 Clinic Way, Springfield, IL 62701",
    "Company Phone": "+1 217 555 0142",
    "Company Email": "billing@riverbend.example",
    "Payment Instructions": "Pay by card at the front desk, or by check to Riverbend Family Medicine. Quote your "
    "account number.",
    "Default Currency": "USD",
    "Default Terms": 30,
    "Locale": "en_US",
}
PAYER_ROWS = (
    # Payer, Payer ID, Timely Filing Days, Appeal Window Days, Appeals Address
    ("Medicare", "MCR01", None, None, "Medicare Administrative Contractor, Redeterminations, PO Box 100, Springfield, IL"),
    ("Acme Health", "ACME1", 90, 60, "Acme Health Appeals, 1 Insurance Plaza, Chicago, IL 60601"),
    ("Blue Shield Demo", "BSD01", 180, 180, "Blue Shield Demo Appeals Unit, PO Box 77, Peoria, IL 61602"),
)  # fmt: skip
DENIAL_ROWS = (
    ("16", "Something on the claim was missing or wrong", "Correct the claim and send it again"),
    ("50", "The payer says the service was not medically necessary", "Appeal with the physician's letter"),
    ("197", "No prior approval on file", "Get the preauthorization number, then appeal"),
)
FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kira", "Luis", "Mae")
LAST = ("Smith", "Garcia", "Nguyen", "Okafor", "Rossi", "Kowalski", "Chen", "Murphy", "Haddad", "Berg")


@dataclass(frozen=True)
class EraClaim:
    """One claim payment to write into an 835."""

    claim_id: str
    member_id: str
    service_date: dt.date
    billed: int  # cents
    paid: int
    adjustments: tuple[tuple[str, str, int], ...]  # (group, code, cents)
    status: str = "1"
    procedure: str = "99213"


def era_text(claims: list[EraClaim], trace: str, payer: str, payer_id: str, paid_on: dt.date, plb: int = 0) -> str:
    """An X12 835 (005010X221A1) with its envelope, `~` and `*` delimiters, `:` components: one payment of the
    claims' payments less `plb` cents of provider-level adjustment."""

    def money(c: int) -> str:
        return f"{c / 100:.2f}"

    day = paid_on.strftime("%Y%m%d")
    total = sum(c.paid for c in claims) - plb
    segs = [
        "ST*835*0001",
        f"BPR*I*{money(total)}*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*888888888*DA*654321*{day}",
        f"TRN*1*{trace}*1999999999",
        f"DTM*405*{day}",
        f"N1*PR*{payer.upper()}",
        f"REF*2U*{payer_id}",
        f"N1*PE*{SETTINGS['Company Name'].upper()}*XX*1234567893",
    ]  # noqa: F541
    for n, c in enumerate(claims, start=1):
        pr = sum(a for g, _, a in c.adjustments if g == "PR")
        svc_day = c.service_date.strftime("%Y%m%d")
        segs += [
            f"LX*{n}",
            f"CLP*{c.claim_id}*{c.status}*{money(c.billed)}*{money(c.paid)}*{money(pr)}*12*PCN{n:06d}",
            f"NM1*QC*1*PATIENT*DEMO****MI*{c.member_id}",
            f"DTM*232*{svc_day}",
            f"SVC*HC:{c.procedure}*{money(c.billed)}*{money(c.paid)}**1",
            f"DTM*472*{svc_day}",
            *(f"CAS*{g}*{code}*{money(a)}" for g, code, a in c.adjustments),
        ]
    if plb:
        segs.append(f"PLB*1234567893*{paid_on.year}1231*WO:DEMO{day}*{money(plb)}")
    segs.append(f"SE*{len(segs) + 1}*0001")
    head = (
        f"ISA*00*          *00*          *ZZ*{payer_id:<15}*ZZ*RIVERBEND      *{paid_on:%y%m%d}*0900*^*00501*"
        f"000000001*0*P*:~GS*HP*{payer_id}*RIVERBEND*{day}*0900*1*X*005010X221A1~"
    )
    return head + "~".join(segs) + "~GE*1*1~IEA*1*000000001~"


def _row(spec: SheetSpec, **values) -> list[object]:
    return [values.get(f.name) for f in spec.fields]


@dataclass
class Practice:
    rows: dict[str, list[list[object]]]
    settings: dict[str, object]
    era: str  # the demo's 835 text


def practice(as_of: dt.date) -> Practice:
    """A practice with a claim in every state, as at `as_of`, and the 835 that pays four of them."""
    day = lambda n: as_of - dt.timedelta(days=n)  # noqa: E731
    patients, claims, invoices = [], [], []

    def add(n, payer, ptype, status, dos, billed, invoice=False, **extra):
        pid, cid = f"P-{1000 + n}", f"C-{2000 + n}"
        name = f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]}"
        patients.append(
            _row(
                CUSTOMERS,
                **{"Customer ID": pid, "Name": name, "Email": f"patient{n}@mail.example", "Payment Terms": 30},
                **{"Address Line 1": f"{10 + n} Elm Street", "City": "Springfield", "Region": "IL"},
                **{"Postal Code": "62701", "Country": "USA"},
            )
        )
        claims.append(
            _row(
                CLAIMS,
                **{"Claim ID": cid, "Patient Account": pid, "Payer": payer, "Payer Type": ptype},
                **{"Member ID": f"{ptype[:2].upper()}{700000 + n * 37}", "Date of Service": dos},
                **{"Procedure Codes": extra.pop("procedures", "99213"), "Billed": billed, "Status": status},
                **{"Submitted Date": None if status == "Draft" else dos + dt.timedelta(days=3)},
                **extra,
            )
        )
        if invoice:
            invoices.append(
                _row(
                    INVOICES,
                    **{"Invoice No": f"V-{3000 + n}", "Customer ID": pid, "Invoice Date": dos},
                    **{"Due Date": dos + dt.timedelta(days=30), "Amount": billed, "Claim ID": cid},
                    **{"Description": "Office visit"},
                )
            )
        return cid

    paid = add(1, "Acme Health", "Commercial", "Submitted", day(21), 240.00)
    paid_inv = add(2, "Acme Health", "Commercial", "Submitted", day(25), 180.00, invoice=True)
    denied = add(3, "Medicare", "Medicare", "Submitted", day(40), 310.00, procedures="93000; 99214")
    renamed = add(4, "Acme Health", "Commercial", "Submitted", day(18), 150.00)
    add(5, "Acme Health", "Commercial", "Pending", day(60), 275.00, invoice=True)
    add(6, "Medicare", "Medicare", "Denied", day(100), 420.00, **{"Denial Date": day(30), "Denial Codes": "CO-16"})
    add(
        7,
        "Acme Health",
        "Commercial",
        "Denied",
        day(70),
        510.00,
        **{"Denial Date": day(52), "Denial Codes": "CO-197; N54"},
    )
    add(
        8,
        "Medicare",
        "Medicare",
        "Appealed",
        day(150),
        260.00,
        **{"Denial Date": day(80), "Denial Codes": "CO-50", "Appeal Date": day(12)},
    )
    add(
        9,
        "Blue Shield Demo",
        "Commercial",
        "Partially Paid",
        day(75),
        300.00,
        invoice=True,
        **{"Allowed": 200.00, "Insurance Paid": 160.00, "Patient Responsibility": 40.00},
    )
    add(
        10,
        "Acme Health",
        "Commercial",
        "Paid",
        day(120),
        200.00,
        **{"Allowed": 150.00, "Insurance Paid": 150.00, "Patient Responsibility": 0},
    )
    add(11, "Acme Health", "Commercial", "Draft", day(80), 190.00)
    add(
        12,
        "Blue Shield Demo",
        "Commercial",
        "Draft",
        as_of + dt.timedelta(days=9),
        980.00,
        procedures="29881",
        **{"Preauth Status": "Needed"},
    )
    add(
        13,
        "Medicare",
        "Medicare",
        "Closed",
        day(300),
        120.00,
        **{"Allowed": 90.00, "Insurance Paid": 90.00, "Patient Responsibility": 0},
    )
    # fmt: skip
    by_id = {r[0]: r for r in claims}

    def member(cid):
        return by_id[cid][CLAIMS.fields.index(next(f for f in CLAIMS.fields if f.name == "Member ID"))]

    def dos(cid):
        return by_id[cid][CLAIMS.fields.index(next(f for f in CLAIMS.fields if f.name == "Date of Service"))]

    era_claims = [
        EraClaim(paid, member(paid), dos(paid), 240_00, 168_00, (("CO", "45", 40_00), ("PR", "2", 32_00))),
        EraClaim(paid_inv, member(paid_inv), dos(paid_inv), 180_00, 110_00, (("CO", "45", 30_00), ("PR", "3", 40_00))),
        EraClaim(denied, member(denied), dos(denied), 310_00, 0, (("CO", "50", 310_00),), status="4",
                 procedure="93000"),
        EraClaim("ACME" + renamed[2:], member(renamed), dos(renamed), 150_00, 120_00,
                 (("CO", "45", 10_00), ("PR", "1", 20_00))),
    ]  # fmt: skip
    rows = {
        CUSTOMERS.name: patients,
        INVOICES.name: invoices,
        # claim C-2009 was posted before: the insurer's payment and its write-off leave the patient's 40.00
        "Payments": [
            _row(
                PAYMENTS,
                **{"Payment ID": "ERA-EARLIER-C-2009", "Customer ID": "P-1009", "Payment Date": day(45)},
                **{"Amount": 160.00, "Method": "ACH", "Applied To": "V-3009", "Reference": "Blue Shield Demo"},
            )
        ],
        "Adjustments": [
            _row(
                ADJUSTMENTS,
                **{"Adjustment ID": "ERA-EARLIER-C-2009-1", "Customer ID": "P-1009", "Invoice No": "V-3009"},
                **{"Date": day(45), "Type": "Write-off", "Amount": 100.00, "Reason": "insurance adjustment CO-45"},
            )
        ],
        CLAIMS.name: claims,
        PAYERS.name: [list(r) for r in PAYER_ROWS],
        DENIAL_CODES.name: [list(r) for r in DENIAL_ROWS],
        "FeePolicies": [],
    }
    era = era_text(era_claims, f"EFT{as_of:%Y%m%d}", "Acme Health", "ACME1", day(2), plb=0)
    return Practice(rows, {**SETTINGS, "As-of Date": as_of}, era)


def build_practice(path: str | Path, as_of: dt.date) -> Practice:
    data = practice(as_of)
    build_template(path, data.rows, data.settings)
    return data


# --- the benchmark's practice ------------------------------------------------------------------------------


def write_big_practice(path: str | Path, as_of: dt.date, claims: int, patients: int, seed: int = 5) -> list[EraClaim]:
    """A practice book of `claims` claims (every one with its visit invoice) over `patients` patients, written
    fast with xlsxwriter; returns an EraClaim for each Submitted claim, for an 835 to pay them."""
    import xlsxwriter

    rnd = random.Random(seed)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})

    def sheet(spec: SheetSpec, rows):
        ws = wb.add_worksheet(spec.name)
        ws.write_row(0, 0, [f.name for f in spec.fields])
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date_fmt)
                elif v is not None:
                    ws.write(r, c, v)

    sheet(
        CUSTOMERS,
        (
            _row(CUSTOMERS, **{"Customer ID": f"P{i:06d}", "Name": f"Patient {i}", "Payment Terms": 30})
            for i in range(patients)
        ),
    )
    payable: list[EraClaim] = []
    claim_rows, invoice_rows = [], []
    payers = [p[0] for p in PAYER_ROWS]
    for i in range(claims):
        pid = f"P{rnd.randrange(patients):06d}"
        dos = as_of - dt.timedelta(days=rnd.randrange(5, 200))
        billed = rnd.randrange(80, 900) * 100
        status = rnd.choice(("Submitted", "Submitted", "Pending", "Paid", "Denied", "Closed"))
        cid, member = f"C{i:07d}", f"M{i:08d}"
        claim_rows.append(
            _row(
                CLAIMS,
                **{"Claim ID": cid, "Patient Account": pid, "Payer": rnd.choice(payers), "Payer Type": "Commercial"},
                **{"Member ID": member, "Date of Service": dos, "Procedure Codes": "99213", "Billed": billed / 100},
                **{"Status": status, "Submitted Date": dos + dt.timedelta(days=2)},
                **({"Denial Date": dos + dt.timedelta(days=30), "Denial Codes": "CO-16"} if status == "Denied" else {}),
            )
        )
        invoice_rows.append(
            _row(
                INVOICES,
                **{"Invoice No": f"V{i:07d}", "Customer ID": pid, "Invoice Date": dos, "Amount": billed / 100},
                **{"Due Date": dos + dt.timedelta(days=30), "Claim ID": cid},
            )
        )
        if status == "Submitted":
            co = billed // 5
            pr = min(billed - co, rnd.choice((0, 20_00, 40_00)))
            payable.append(EraClaim(cid, member, dos, billed, billed - co - pr, (("CO", "45", co), ("PR", "2", pr))))
    sheet(INVOICES, invoice_rows)
    sheet(CLAIMS, claim_rows)
    for spec in (PAYERS, DENIAL_CODES):
        ws = wb.add_worksheet(spec.name)
        ws.write_row(0, 0, [f.name for f in spec.fields])
        for r, row in enumerate(PAYER_ROWS if spec is PAYERS else DENIAL_ROWS, start=1):
            ws.write_row(r, 0, row)
    for spec in (PAYMENTS, ADJUSTMENTS):
        wb.add_worksheet(spec.name).write_row(0, 0, [f.name for f in spec.fields])
    ws = wb.add_worksheet("Settings")
    ws.write_row(0, 0, ["Setting", "Value"])
    for r, (k, v) in enumerate({**SETTINGS, "As-of Date": as_of.isoformat()}.items(), start=1):
        ws.write_row(r, 0, [k, v])
    wb.close()
    return payable
