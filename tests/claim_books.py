"""Small medical-practice workbooks for the claims tests: real .xlsx files written from the template (every
sheet, its tables and dropdowns) with Customers, Claims, Payers and DenialCodes rows, then read back.

Patient names and member numbers are distinctive strings, so a test can prove they appear nowhere they should
not (messages, the Audit row, the command line's tables)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from billing_addin.core.schema import CLAIMS, CUSTOMERS, DENIAL_CODES, PAYERS
from billing_addin.workbook.template import build_template

D = dt.date
PATIENTS = {"P1": "Rosalind Quimby", "P2": "Theodore Vantwest", "P3": "Marguerite Oyelaran"}
MEMBER_IDS = ("MBR-ZX81-0001", "MBR-ZX81-0002", "MBR-ZX81-0003")
PAYERS_ROWS = (
    {"Payer": "Acme Health", "Payer ID": "60054", "Timely Filing Days": 90, "Appeal Window Days": 60},
    {"Payer": "Medicare", "Payer ID": "00882"},  # no days: Medicare's one year and 120 days apply
    {"Payer": "Slowpay Mutual", "Payer ID": "77777", "Timely Filing Days": 365},  # no appeal window known
)
DENIAL_CODE_ROWS = (
    {"Code": "CO-16", "Meaning": "Claim lacks information", "Action": "Add the missing data and resubmit"},
    {"Code": "50", "Meaning": "Not medically necessary", "Action": "Appeal with the chart notes"},
)


def claim(claim_id: str, **values) -> dict:
    """A Claims row by field name: P1 with Acme Health, a member number, 2026-05-29's visit, Submitted."""
    row = {
        "Claim ID": claim_id,
        "Patient Account": "P1",
        "Payer": "Acme Health",
        "Payer Type": "Commercial",
        "Member ID": MEMBER_IDS[0],
        "Date of Service": D(2026, 5, 29),
        "Procedure Codes": "99213",
        "Billed": 180.00,
        "Status": "Submitted",
        "Submitted Date": D(2026, 6, 1),
    }
    row.update({k.replace("_", " "): v for k, v in values.items()})
    return row


def _ordered(spec, rows) -> list[list]:
    names = [f.name for f in spec.fields]
    for r in rows:
        assert set(r) <= set(names), set(r) - set(names)
    return [[r.get(n) for n in names] for r in rows]


def claims_book(
    path: Path,
    claims,
    *,
    payers=PAYERS_ROWS,
    denial_codes=DENIAL_CODE_ROWS,
    patients=PATIENTS,
    settings: dict | None = None,
) -> Path:
    """Write a practice's workbook at `path` with these Claims rows (dicts by field name)."""
    customers = [{"Customer ID": pid, "Name": name} for pid, name in patients.items()]
    rows = {
        CUSTOMERS.name: _ordered(CUSTOMERS, customers),
        CLAIMS.name: _ordered(CLAIMS, claims),
        PAYERS.name: _ordered(PAYERS, payers),
        DENIAL_CODES.name: _ordered(DENIAL_CODES, denial_codes),
    }
    return build_template(path, rows, {"Company Name": "Harbor Family Practice", **(settings or {})})
