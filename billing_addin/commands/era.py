"""`era import` (835 remittances matched to Claims, onto the owned Remittance sheet) and `era post` (the claim
rows marked Post = Yes posted: insurer payments, write-offs, new claim invoices and the claims' new state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from billing_addin.commands.records import money
from billing_addin.commands.result import Result, append_target, audit_sheet, loaded_at, rows_read, stopped
from billing_addin.core.book import Book
from billing_addin.core.claims import claim_invoices, read_claims
from billing_addin.core.era_posting import (
    ClaimState,
    Imported,
    Posting,
    claim_state,
    import_remittances,
    post_rows,
    posted_claims,
    trace_of_key,
)
from billing_addin.core.findings import ERROR, WARNING, Finding, sort_findings
from billing_addin.core.money import cents_to_decimal
from billing_addin.core.patch import AppendRows, Patch, UpdateCells
from billing_addin.core.remittance import GROUPS, Remittance
from billing_addin.core.remittance_sheet import CLAIM, PROVIDER, RemittanceRow, read_remittance_rows, remittance_sheet
from billing_addin.core.schema import ADJUSTMENTS, CLAIMS, INVOICES, PAYMENTS, REMITTANCE_SHEET
from billing_addin.loader import LoadedBook

CLAIM_CELLS = ("Status", "Insurance Paid", "Allowed", "Patient Responsibility", "Denial Date", "Denial Codes")


@dataclass(frozen=True)
class Matched:
    """The remittances matched to a book's claims: the work of `era import` that needs no check's finding (the
    command line does it while the checks run in another process)."""

    previous: list[RemittanceRow]  # the Remittance sheet's rows as the clerk left them
    imported: Imported


def match_remittances(book: Book, remittances: Sequence[Remittance]) -> Matched:
    previous = read_remittance_rows(book.owned_rows.get(REMITTANCE_SHEET, []))
    known = {r.trace: f"{REMITTANCE_SHEET} row {r.row}" for r in reversed(previous) if r.trace}
    known.update({t: f"{PAYMENTS.name}, {where}" for t, where in _traces_on_payments(book).items() if t not in known})
    return Matched(previous, import_remittances(list(remittances), read_claims(book), known, posted_claims(previous)))


def import_era(
    loaded: LoadedBook | Book,
    remittances: Sequence[Remittance],
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
    matched: Matched | None = None,
) -> Result:
    """Match each claim payment of the remittances to Claims: data["claims"] (claim_id, payer_claim_id,
    matched_by, status, paid, patient_responsibility, adjustments, denial_codes, post, note), data["unmatched"],
    data["provider_adjustments"], data["skipped"] (remittances imported before). The patch rewrites the
    Remittance sheet: its earlier rows as the clerk left them, then the new ones. matched: match_remittances of
    the same book and remittances, when the caller has it."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("era", loaded, as_of)
    result = Result("era", as_of, sort_findings(loaded.errors, book.sheet_titles))
    if book.sheet(CLAIMS.name) is None:
        return _no_claims(result, "Nothing was imported")
    matched = matched or match_remittances(book, remittances)
    previous, imported = matched.previous, matched.imported
    first_row = len(previous) + 2
    claims, unmatched, plb = [], [], []
    for n, r in enumerate(imported.rows):
        where = f"A{first_row + n}"
        if r.kind == PROVIDER:
            plb.append({"trace": r.trace, "payer": r.payer, "what": r.procedure, "amount": money(r.paid)})
        if r.kind != CLAIM:
            continue
        if r.claim_id is None:
            unmatched.append(
                {
                    "payer_claim_id": r.payer_claim_id,
                    "trace": r.trace,
                    "payer": r.payer,
                    "date_of_service": r.service_date,
                    "billed": money(r.billed),
                    "paid": money(r.paid),
                    "why": r.note,
                }
            )
            result.findings.append(
                Finding(
                    WARNING,
                    "claim-not-found",
                    REMITTANCE_SHEET,
                    where,
                    f"Remittance {r.trace}: the payer's claim {r.payer_claim_id} was {r.note}.",
                    "Type the workbook's Claim ID on its Remittance row (Claim ID column) and set Post to Yes.",
                )
            )
            continue
        if not r.post:
            result.findings.append(
                Finding(WARNING, "claim-not-postable", REMITTANCE_SHEET, where, f"Claim {r.claim_id}: {r.note}.", "")
            )
        claims.append(
            {
                "claim_id": r.claim_id,
                "payer_claim_id": r.payer_claim_id,
                "matched_by": r.matched_by,
                "trace": r.trace,
                "status": r.status_after,
                "billed": money(r.billed),
                "paid": money(r.paid),
                "patient_responsibility": money(r.patient_resp),
                "write_off": money(r.write_off),
                "adjustments": [
                    {"group": g, "code": c, "amount": money(a), "who_owes": GROUPS.get(g, "")}
                    for g, c, a in r.adjustments
                ],
                "denial_codes": list(r.denial_codes),
                "post": r.post,
                "note": r.note,
            }
        )
    for trace in imported.unbalanced:
        result.findings.append(
            Finding(
                WARNING,
                "remittance-unbalanced",
                REMITTANCE_SHEET,
                "",
                f"Remittance {trace}: its payment is not the claims' payments less the provider-level adjustments.",
                "Ask the payer; each claim is still checked on its own.",
            )
        )
    result.data = {
        "as_of": as_of,
        "remittances": [
            {
                "trace": r.trace_number,
                "payer": r.payer,
                "payment_date": r.payment_date,
                "payment": money(r.payment_total),
                "method": r.payment_method,
                "claims": len(r.claims),
                "balances": r.balances,
                "source": r.source,
            }
            for r in remittances
        ],
        "claims": claims,
        "unmatched": unmatched,
        "provider_adjustments": plb,
        "skipped": [{"trace": t, "why": why} for t, why in imported.skipped],
    }
    result.counts = {
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "rows": rows_read(book),
        "claims": len(claims) + len(unmatched),
        "matched": len(claims),
        "unmatched": len(unmatched),
        "skipped": len(imported.skipped),
    }
    result.details = (
        f"{len(remittances) - len(imported.skipped)} remittance(s): {len(claims)} claim(s) matched, "
        f"{len(unmatched)} not found" + (f", {len(imported.skipped)} imported before" if imported.skipped else "")
    )
    result.patch = Patch(sheets=(remittance_sheet([*previous, *imported.rows]), audit_sheet(book, result, now, user)))
    result.findings = sort_findings(result.findings, book.sheet_titles)
    return result


@dataclass(frozen=True)
class Prepared:
    """`era post`'s work on a book as if no patient were held back (the command line does it while the checks
    run in another process); post_era does it again, holding back, only when a patient it posted is held."""

    rows: list[RemittanceRow]
    claims: tuple
    posting: Posting


def prepare_posting(book: Book, as_of: dt.date, waiting: dict[str, str] | None = None) -> Prepared:
    """The Remittance rows, the claims and what posting them does (waiting: Claim ID, casefolded -> why its
    patient waits)."""
    rows = read_remittance_rows(book.owned_rows.get(REMITTANCE_SHEET, []))
    claims = read_claims(book)
    invoice_of, taken = claim_invoices(book, claims), _invoice_numbers(book)
    pay = book.sheet(PAYMENTS.name)
    posted_keys = {str(t).strip().casefold() for t in (pay.columns.get("Bank Transaction ID", []) if pay else []) if t}
    terms = int(book.settings.get("Default Terms", 30) or 30)
    return Prepared(rows, claims, post_rows(rows, claims, invoice_of, taken, posted_keys, as_of, terms, waiting))


def post_era(
    loaded: LoadedBook | Book,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
    prepared: Prepared | None = None,
) -> Result:
    """Post the Remittance sheet's claim rows marked Post = Yes and not posted yet: data["posted"] (trace,
    claim_id, status, invoice, paid, patient_responsibility, what) and data["not_posted"] (row, claim_id, reason).
    Validation runs first: an error no one patient owns posts nothing; a patient whose rows have errors waits.
    prepared: prepare_posting of the same book at the same date, when the caller has it."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("era", loaded, as_of)
    result = Result("era", as_of, sort_findings(loaded.errors, book.sheet_titles))
    result.data = {"as_of": as_of, "posted": [], "not_posted": []}
    result.counts = {"errors": len(result.errors), "warnings": 0, "rows": rows_read(book), "posted": 0}
    claims_sd = book.sheet(CLAIMS.name)
    if claims_sd is None:
        return _no_claims(result, "Nothing was posted")
    rows = prepared.rows if prepared else read_remittance_rows(book.owned_rows.get(REMITTANCE_SHEET, []))
    if not any(r.kind == CLAIM and r.post and r.posted is None for r in rows):
        result.details = "nothing marked Post = Yes on the Remittance sheet"
        return result
    held = loaded.held
    if held.everyone:
        result.findings.append(
            held.nothing_goes_out(
                "era-not-posted",
                loaded.errors,
                "No remittance was posted",
                "Each error above names its cell (or run `billing validate BOOK`); post once they are fixed.",
            )
        )
        result.details = "not posted: validation errors"
        return result
    if "Status" not in claims_sd.headers:
        result.findings.append(
            Finding(
                ERROR,
                "missing-column",
                claims_sd.title,
                f"A{claims_sd.header_row}",
                "Remittances cannot be posted: Claims has no Status column.",
                "Add a Status column to the Claims sheet's header row.",
            )
        )
        return result
    claims = prepared.claims if prepared else read_claims(book)
    waiting = {c.claim_id.casefold(): held.reason(c.patient_account) for c in claims if held.holds(c.patient_account)}
    if prepared is None or any(p["claim_id"].casefold() in waiting for p in prepared.posting.posted):
        prepared = prepare_posting(book, as_of, waiting)
    posting = prepared.posting
    appends = []
    for sheet, rows_, needed in (
        (INVOICES.name, posting.invoices, ("Invoice No", "Customer ID", "Invoice Date", "Amount")),
        (PAYMENTS.name, posting.payments, ("Payment ID", "Customer ID", "Payment Date", "Amount", "Bank Transaction ID")),
        (ADJUSTMENTS.name, posting.adjustments, ("Customer ID", "Invoice No", "Date", "Type", "Amount")),
    ):  # fmt: skip
        if not rows_:
            continue
        target = append_target(
            book,
            sheet,
            needed,
            "Remittances cannot be posted",
            f"Add a {sheet} sheet (`billing new` shows its columns).",
        )
        if isinstance(target, Finding):
            result.findings.append(target)
            return result
        appends.append(AppendRows(target.title, tuple(_by_header(target.headers, row) for row in rows_)))
    for r, why in posting.not_posted:
        result.data["not_posted"].append({"row": r.row, "claim_id": r.claim_id, "reason": why})
        result.findings.append(
            Finding(
                WARNING,
                "remittance-not-posted",
                REMITTANCE_SHEET,
                f"A{r.row}",
                f"Remittance {r.trace}, the payer's claim {r.payer_claim_id}: {why}.",
                "Fix the Claim ID on the row, or clear Post.",
            )
        )
    result.data["posted"] = [
        {**p, "paid": money(p["paid"]), "patient_responsibility": money(p["patient_responsibility"])}
        for p in posting.posted
    ]
    result.data["invoices_added"] = [i["Invoice No"] for i in posting.invoices]
    result.counts.update(posted=len(posting.posted), warnings=len(result.warnings))
    result.details = (
        f"{len(posting.posted)} claim payment(s) posted: {len(posting.payments)} payment(s), "
        f"{len(posting.adjustments)} adjustment(s), {len(posting.invoices)} new invoice(s)"
    )
    if posting.posted:
        cells = tuple(  # only the cells that change: a paid claim's blank Denial Date stays as it is
            (claim.row, claims_sd.headers[name], value)
            for claim, state in posting.claims.values()
            for name, value in _claim_cells(state)
            if name in claims_sd.headers and value != _claim_cells(claim_state(claim), name)
        )
        result.patch = Patch(
            sheets=(remittance_sheet(posting.rows), audit_sheet(book, result, now, user)),
            appends=tuple(appends),
            updates=(UpdateCells(claims_sd.title, cells),),
        )
    result.findings = sort_findings(result.findings, book.sheet_titles)
    return result


def _claim_cells(state: ClaimState, only: str | None = None):
    """The Claims cells posting sets, as (field, value); with `only`, that field's value."""

    def m(c):
        return None if c is None else cents_to_decimal(c)

    cells = [
        ("Status", state.status),
        ("Insurance Paid", m(state.insurance_paid)),
        ("Allowed", m(state.allowed)),
        ("Patient Responsibility", m(state.patient_responsibility)),
        ("Denial Date", state.denial_date),
        ("Denial Codes", "; ".join(state.denial_codes) or None),
    ]
    return dict(cells)[only] if only else cells


def _by_header(headers: dict[str, str], row: dict) -> dict:
    """A row by schema field -> by the user's header text (fields the sheet has no column for are left out);
    money in cents becomes Decimal."""
    out = {}
    for name, value in row.items():
        if name in headers and value is not None:
            out[headers[name]] = cents_to_decimal(value) if name == "Amount" else value
    return out


def _invoice_numbers(book: Book) -> set[str]:
    """Every Invoice No in use, casefolded (a claim's new invoice takes one that is free)."""
    sd = book.sheet(INVOICES.name)
    return {str(n).casefold() for n in (sd.columns.get("Invoice No", []) if sd else []) if n}


def _traces_on_payments(book: Book) -> dict[str, str]:
    pay = book.sheet(PAYMENTS.name)
    out: dict[str, str] = {}
    if pay is not None and pay.has("Bank Transaction ID"):
        for row, key in zip(pay.rows, pay.columns["Bank Transaction ID"]):
            trace = trace_of_key(str(key)) if key else None
            if trace:
                out.setdefault(trace, pay.cell("Bank Transaction ID", row))
    return out


def _no_claims(result: Result, what: str) -> Result:
    result.findings.append(
        Finding(
            ERROR,
            "missing-sheet",
            CLAIMS.name,
            "",
            f"{what}: the workbook has no Claims sheet to match remittances to.",
            "Add a Claims sheet (`billing new` shows its columns: Claim ID, Patient Account, Payer ...).",
        )
    )
    result.data.setdefault("stopped", True)
    result.counts = {"errors": len(result.errors), "warnings": 0, "rows": 0}
    return result
