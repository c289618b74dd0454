"""`claims`: the claims worklist as at a date - filing and appeal deadlines, days left, what to do - and the
ClaimsWorklist sheet (core/claim_worklist.py holds the rules)."""

from __future__ import annotations

import datetime as dt

from billing_addin.commands.result import Result, append_target, audit_sheet, loaded_at, rows_read, stopped
from billing_addin.core.book import Book, SheetData
from billing_addin.core.claim_worklist import WorkItem, claims_worklist, worklist_sheet
from billing_addin.core.findings import Finding, sort_findings
from billing_addin.core.patch import Patch
from billing_addin.core.schema import CLAIMS, DENIAL_CODES, PAYERS, SETTINGS_SHEET
from billing_addin.loader import LoadedBook

# The columns without which no worklist can be made (Claim ID, Patient Account and Payer are required by the
# schema already; a Claims sheet without Status or Date of Service cannot say what is due).
NEEDED = ("Claim ID", "Patient Account", "Payer", "Status", "Date of Service")
# The sheets whose findings concern the worklist: the only ones it reads.
SHEETS = (CLAIMS.name, PAYERS.name, DENIAL_CODES.name, SETTINGS_SHEET)


def claim_record(item: WorkItem, sd: SheetData) -> dict:
    """One claim of the worklist as `billing claims --json` prints it (dates as datetime.date)."""
    c = item.claim
    return {
        "claim_id": c.claim_id,
        "patient_account": c.patient_account,
        "payer": c.payer,
        "status": c.status,
        "date_of_service": c.date_of_service,
        "filing_deadline": item.filing.date,
        "filing_basis": item.filing.basis,
        "filed": item.filed,
        "appeal_deadline": item.appeal.date,
        "appeal_basis": item.appeal.basis,
        "deadline": item.deadline,
        "days_left": item.days_left,
        "due_soon": item.due_soon,
        "past": item.past,
        "action": item.action,
        "denial_codes": [{"code": d.code, "meaning": d.meaning, "action": d.action} for d in item.denial_codes],
        "cell": f"{sd.title}!{sd.cell('Claim ID', c.row)}",
    }


def claims(
    loaded: LoadedBook | Book,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
) -> Result:
    """Every claim's deadlines and what to do as at `as_of`, most pressing first; data["claims"] (claim_record)
    and data["counts"] (due_soon, past, denied_no_appeal, preauth_pending). The patch holds the ClaimsWorklist
    sheet and an Audit row. A book without a Claims sheet (or its Status or Date of Service column) stops with
    the error that names it. Findings: those on Claims, Payers, DenialCodes and Settings, the sheets the
    worklist reads; a claim whose patient an error holds back is listed all the same (a deadline is never
    hidden)."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("claims", loaded, as_of)
    sd = append_target(
        book,
        CLAIMS.name,
        NEEDED,
        "No claims worklist",
        "Add a Claims sheet (`billing new` writes a workbook with one) with a row per claim sent to a payer.",
        "Add the column(s) to the Claims sheet's header row: the worklist needs each claim's Status and Date of "
        "Service.",
    )
    if isinstance(sd, Finding):
        return _refused(loaded, as_of, sd)
    worklist = claims_worklist(book, as_of)
    concerned = {s.casefold() for s in SHEETS}
    findings = [f for f in loaded.findings if f.sheet.casefold() in concerned or f.code.startswith("claim")]
    result = Result("claims", as_of, sort_findings(findings, book.sheet_titles))
    counts = worklist.counts
    result.data = {
        "as_of": as_of,
        "days_ahead": worklist.days_ahead,
        "claims": [claim_record(i, sd) for i in worklist.items],
        "counts": {k: counts[k] for k in ("due_soon", "past", "denied_no_appeal", "preauth_pending")},
    }
    result.counts = {
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "rows": rows_read(book),
        **counts,
    }
    result.details = (
        f"{counts['claims']} claim(s): {counts['past']} past deadline, {counts['due_soon']} due soon, "
        f"{counts['denied_no_appeal']} denied without appeal, {counts['preauth_pending']} preauthorization pending"
    )
    result.patch = Patch(sheets=(worklist_sheet(book, worklist), audit_sheet(book, result, now, user)))
    return result


def _refused(loaded: LoadedBook, as_of: dt.date, why: Finding) -> Result:
    book = loaded.book
    result = Result("claims", as_of, [why])
    result.data = {"as_of": as_of, "stopped": True}
    result.counts = {"errors": 1, "warnings": 0, "rows": rows_read(book)}
    result.details = f"stopped: {why.message}"
    return result
