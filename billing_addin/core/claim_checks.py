"""Validation of the Claims sheet (medical practices): what a claim needs before it can be filed, figures that
cannot all be right, denials without their codes or date, and claims for a patient or payer the book does not
know. Registered in checks.CHECKS.

Messages name the cell and the claim ID only: never a patient's name or member number (HIPAA's minimum
necessary, 45 CFR 164.502(b); the Findings sheet and the Audit log are read by more people than the claims).

An unknown Patient Account is reported here and nowhere else: checks.check_unknown_customers looks at
Invoices, Payments and Adjustments only.
"""

from __future__ import annotations

import datetime as dt

from billing_addin.core.book import Book, SheetData
from billing_addin.core.book_index import column_of
from billing_addin.core.claims import DENIED, DRAFT
from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.money import format_cents
from billing_addin.core.schema import CLAIMS, CUSTOMERS, PAYERS

SELF_PAY = "Self"


def _header_cell(sd: SheetData) -> str:
    """Where a column the sheet lacks would go: just right of its last header."""
    return f"{sd.next_free}{sd.header_row}"


def _claim(cid: object, row: int) -> str:
    return f"Claim {cid}" if cid is not None else f"The claim in row {row}"


def check_claims(book: Book, as_of: dt.date) -> list[Finding]:
    """Each Claims row: Member ID and Date of Service there when needed; Insurance Paid within Allowed; Patient
    Responsibility equal to Allowed less Insurance Paid; a denial with its codes and date; a Patient Account on
    Customers and a Payer on Payers (when the book has a Payers sheet)."""
    sd = book.sheet(CLAIMS.name)
    if sd is None or not sd.rows:
        return []
    out: list[Finding] = []
    col = {f.name: column_of(sd, f.name) for f in CLAIMS.fields}
    statuses = col["Status"]
    self_pay = [str(t or "").casefold() == SELF_PAY.casefold() for t in col["Payer Type"]]
    out += _missing_values(sd, col, statuses, self_pay)
    for i, row in enumerate(sd.rows):
        cid = col["Claim ID"][i]
        out += _figures(sd, row, cid, col["Allowed"][i], col["Insurance Paid"][i], col["Patient Responsibility"][i])
        if statuses[i] == DENIED:
            out += _denial(sd, row, cid, col["Denial Codes"][i], col["Denial Date"][i])
    out += _unknown_patients(book, sd, col["Claim ID"], col["Patient Account"])
    out += _unknown_payers(book, sd, col["Claim ID"], col["Payer"])
    return out


def _missing_values(sd: SheetData, col: dict, statuses: list, self_pay: list[bool]) -> list[Finding]:
    """Member ID (not needed for a self-pay claim) and Date of Service (not needed yet for a Draft)."""
    out = []
    needs_member = [i for i, s in enumerate(self_pay) if not s]
    if needs_member and not sd.has("Member ID"):
        out.append(
            warning(
                "claim-no-member-id-column",
                sd.title,
                _header_cell(sd),
                f"Sheet {sd.title} has no Member ID column: {len(needs_member)} insurance claim(s) carry no member "
                "number for the payer.",
                "Add a column headed 'Member ID' and type each patient's member (or Medicare) number.",
            )
        )
    elif sd.has("Member ID"):
        for i in needs_member:
            if col["Member ID"][i] is None:
                row = sd.rows[i]
                out.append(
                    warning(
                        "claim-missing-member-id",
                        sd.title,
                        sd.cell("Member ID", row),
                        f"{_claim(col['Claim ID'][i], row)} has no Member ID.",
                        "Type the member (or Medicare) number from the patient's insurance card; for a patient "
                        "paying themselves, set Payer Type to Self.",
                    )
                )
    filed = [i for i, s in enumerate(statuses) if s != DRAFT]
    if filed and not sd.has("Date of Service"):
        out.append(
            error(
                "claim-no-date-of-service-column",
                sd.title,
                _header_cell(sd),
                f"Sheet {sd.title} has no Date of Service column: no filing deadline can be counted.",
                "Add a column headed 'Date of Service' (or DOS) and type when each service was given.",
            )
        )
    elif sd.has("Date of Service"):
        for i in filed:
            if col["Date of Service"][i] is None:
                row = sd.rows[i]
                status = statuses[i] or "blank"
                out.append(
                    error(
                        "claim-missing-date-of-service",
                        sd.title,
                        sd.cell("Date of Service", row),
                        f"{_claim(col['Claim ID'][i], row)} has no Date of Service (Status {status}).",
                        "Type the date the service was given; a claim not yet ready to send may stay blank as Draft.",
                    )
                )
    return out


def _figures(sd: SheetData, row: int, cid, allowed, paid, patient) -> list[Finding]:
    if allowed is None or paid is None:
        return []
    if paid > allowed:
        return [
            error(
                "claim-paid-over-allowed",
                sd.title,
                sd.cell("Insurance Paid", row),
                f"{_claim(cid, row)}: Insurance Paid {format_cents(paid)} is more than Allowed "
                f"{format_cents(allowed)}.",
                "Check both amounts against the payer's remittance (835 or EOB): a payer pays at most what it allows.",
            )
        ]
    if patient is not None and patient != allowed - paid:
        return [
            warning(
                "claim-patient-responsibility",
                sd.title,
                sd.cell("Patient Responsibility", row),
                f"{_claim(cid, row)}: Patient Responsibility {format_cents(patient)} is not Allowed "
                f"{format_cents(allowed)} less Insurance Paid {format_cents(paid)} "
                f"(= {format_cents(allowed - paid)}).",
                "Check the three amounts against the remittance; what the patient owes is what the payer allows "
                "and does not pay (deductible, coinsurance, copay).",
            )
        ]
    return []


def _denial(sd: SheetData, row: int, cid, codes, denied_on) -> list[Finding]:
    out = []
    if codes is None:
        out.append(
            error(
                "denial-without-codes",
                sd.title,
                sd.cell("Denial Codes", row) if sd.has("Denial Codes") else sd.cell("Status", row),
                f"{_claim(cid, row)} is Denied without its Denial Codes.",
                "Type the payer's codes from the remittance or EOB, e.g. CO-16; N14: the appeal depends on them.",
            )
        )
    if denied_on is None:
        out.append(
            warning(
                "denial-without-date",
                sd.title,
                sd.cell("Denial Date", row) if sd.has("Denial Date") else sd.cell("Status", row),
                f"{_claim(cid, row)} is Denied without a Denial Date: its appeal deadline cannot be counted.",
                "Type the date of the payer's denial (the remittance or EOB date).",
            )
        )
    return out


def _unknown_patients(book: Book, sd: SheetData, ids: list, accounts: list) -> list[Finding]:
    customers = book.sheet(CUSTOMERS.name)
    if customers is None or not customers.has("Customer ID") or not sd.has("Patient Account"):
        return []  # reported as a missing sheet or column already
    known = book.index.customers
    return [
        error(
            "claim-unknown-patient",
            sd.title,
            sd.cell("Patient Account", row),
            f"{_claim(cid, row)}: Patient Account {account} is not on the Customers sheet.",
            "Correct the Patient Account, or add the patient to the Customers sheet.",
        )
        for row, cid, account in zip(sd.rows, ids, accounts)
        if account is not None and account not in known
    ]


def _unknown_payers(book: Book, sd: SheetData, ids: list, payers: list) -> list[Finding]:
    payer_sheet = book.sheet(PAYERS.name)
    if payer_sheet is None or not payer_sheet.has("Payer") or not sd.has("Payer"):
        return []
    known = {str(p).strip().casefold() for p in payer_sheet.columns["Payer"] if p is not None}
    return [
        warning(
            "claim-unknown-payer",
            sd.title,
            sd.cell("Payer", row),
            f"{_claim(cid, row)}: payer {str(payer).strip()} is not on the {payer_sheet.title} sheet.",
            f"Correct the payer's name, or add it to the {payer_sheet.title} sheet with its Timely Filing Days "
            "and Appeal Window Days.",
        )
        for row, cid, payer in zip(sd.rows, ids, payers)
        if payer is not None and str(payer).strip() and str(payer).strip().casefold() not in known
    ]
