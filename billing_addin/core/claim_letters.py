"""Which claims get a letter to their payer: an appeal (redetermination request) of a denied claim, or a
preauthorization request for a planned service.

Pure: claims and payers in (core/claims.py), claims chosen and findings out. Every message names the claim by its
Claim ID, never by the patient's name or member number (HIPAA minimum necessary, 45 CFR 164.502(b)): messages end
up in logs, on the Findings sheet and on screens nobody checks for who is looking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from billing_addin.core.book import Book
from billing_addin.core.claims import (
    APPEALED,
    DENIED,
    PREAUTH_WANTED,
    Claim,
    Deadline,
    PayerTerms,
    appeal_deadline,
    payer_of,
    read_claims,
    read_payers,
)
from billing_addin.core.findings import ERROR, WARNING, Finding
from billing_addin.core.patch import UpdateCells
from billing_addin.core.remittance_sheet import CLAIM, read_remittance_rows
from billing_addin.core.schema import CLAIMS, REMITTANCE_SHEET

APPEAL, PREAUTH = "appeal", "preauth"
CLAIM_KINDS = (APPEAL, PREAUTH)
REFERENCE_PREFIX = {APPEAL: "APPEAL", PREAUTH: "PREAUTH"}


def letter_reference(kind: str, claim_id: str) -> str:
    """APPEAL-<claim id> or PREAUTH-<claim id>: the Letters log's key, so no claim gets the same letter twice."""
    return f"{REFERENCE_PREFIX[kind]}-{claim_id}"


@dataclass(frozen=True)
class ClaimLetter:
    """A claim chosen for a letter, with what the letter needs from the Payers sheet."""

    claim: Claim
    payer: PayerTerms | None
    deadline: Deadline | None  # appeals only


@dataclass
class ClaimSelection:
    chosen: list[ClaimLetter] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {customer_id, reason}: the patient's account, never name
    findings: list[Finding] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """A claim the clerk named cannot have this letter: nothing is made (the clerk asked for something else)."""
        return any(f.severity == ERROR for f in self.findings)


def _cell(book: Book, field_name: str, row: int) -> str:
    sd = book.sheet(CLAIMS.name)
    return sd.cell(field_name, row) if sd is not None and sd.has(field_name) else ""


def _sheet_title(book: Book) -> str:
    sd = book.sheet(CLAIMS.name)
    return sd.title if sd is not None else CLAIMS.name


def select_claims(
    book: Book,
    kind: str,
    as_of: dt.date,
    *,
    named: Sequence[str] | None = None,
    again: bool = False,
) -> ClaimSelection:
    """The claims that get a `kind` letter as at `as_of`.

    appeal: the claims named (each must be on Claims and Denied; Appealed too with `again`, to send it once
    more), else every Denied claim with no Appeal Date whose appeal deadline has not passed (a deadline the
    add-in cannot know does not keep the letter back). A named claim past its deadline gets its letter and a
    warning: payers may accept a late appeal for good cause (42 CFR 405.942(b) for Medicare).
    preauth: the claims named, else every claim whose Preauth Status is Needed or Required (any case).
    A named claim that cannot have the letter is an error, and `refused` is then true.
    """
    if kind not in CLAIM_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CLAIM_KINDS)}")
    sel = ClaimSelection()
    sheet = _sheet_title(book)
    claims = read_claims(book)
    payers = read_payers(book)
    if book.sheet(CLAIMS.name) is None:
        sel.findings.append(
            Finding(
                ERROR if named else WARNING,
                "no-claims-sheet",
                CLAIMS.name,
                "",
                f"There is no Claims sheet, so there are no {kind} letters to make.",
                "Add a Claims sheet (`billing new` makes a workbook with one) and list the claims there.",
            )
        )
        return sel
    by_id = {c.claim_id.casefold(): c for c in reversed(claims)}  # the first row of a repeated ID wins

    if named:
        for claim_id in dict.fromkeys(named):
            claim = by_id.get(claim_id.casefold())
            if claim is None:
                sel.findings.append(
                    Finding(
                        ERROR,
                        "claim-not-found",
                        sheet,
                        "",
                        f"Claim {claim_id} is not on the Claims sheet: no {kind} letter made.",
                        "Check the Claim ID (as in the Claim ID column), or add the claim to Claims.",
                    )
                )
                continue
            if kind == APPEAL:
                allowed = (DENIED, APPEALED) if again else (DENIED,)
                if claim.status not in allowed:
                    was = "already Appealed" if claim.status == APPEALED else f"{claim.status or 'blank'}"
                    sel.findings.append(
                        Finding(
                            ERROR,
                            "claim-not-denied",
                            sheet,
                            _cell(book, "Status", claim.row),
                            f"Claim {claim.claim_id} is {was}, not Denied: an appeal is only for a denied claim. "
                            "No appeal letter made.",
                            "Use --again to send an Appealed claim's appeal once more."
                            if claim.status == APPEALED
                            else "Name only denied claims, or set the claim's Status to Denied if the payer denied it.",
                        )
                    )
                    continue
                deadline = appeal_deadline(claim, payer_of(claim, payers))
                if deadline.date is not None and deadline.date < as_of:
                    sel.findings.append(
                        Finding(
                            WARNING,
                            "appeal-deadline-passed",
                            sheet,
                            _cell(book, "Denial Date", claim.row),
                            f"The appeal deadline of claim {claim.claim_id} passed on {deadline.date} "
                            f"({deadline.basis}); its letter is made because you named it.",
                            "Say in the letter why the appeal is late (good cause), or do not send it.",
                        )
                    )
                sel.chosen.append(ClaimLetter(claim, payer_of(claim, payers), deadline))
            else:
                sel.chosen.append(ClaimLetter(claim, payer_of(claim, payers), None))
        return sel

    for claim in claims:
        if kind == APPEAL:
            if claim.status != DENIED or claim.appeal_date is not None:
                continue
            deadline = appeal_deadline(claim, payer_of(claim, payers))
            if deadline.date is not None and deadline.date < as_of:
                sel.skipped.append(
                    {
                        "customer_id": claim.patient_account,
                        "reason": f"claim {claim.claim_id}: the appeal deadline passed on {deadline.date} "
                        f"({deadline.basis}); name it with --claims to appeal anyway",
                    }
                )
                continue
            sel.chosen.append(ClaimLetter(claim, payer_of(claim, payers), deadline))
        elif (claim.preauth_status or "").strip().casefold() in PREAUTH_WANTED:
            sel.chosen.append(ClaimLetter(claim, payer_of(claim, payers), None))
    return sel


def missing_items(kind: str, claim: Claim, patient_name: str, book: Book) -> list[str]:
    """What a letter of `kind` must carry and the claim lacks, each naming its cell: an appeal names the
    beneficiary, the Medicare (member) number, the services and their dates (42 CFR 405.944(b)); a preauthorization
    request the patient, member number and services (a planned date may be left open)."""
    sheet = _sheet_title(book)
    out = []
    if not patient_name:
        out.append(
            f"the patient's name (Patient Account {claim.patient_account} at {sheet}!"
            f"{_cell(book, 'Patient Account', claim.row)} is not on Customers, or has no Name there)"
        )
    if not claim.member_id:
        out.append(f"the member number ({sheet}!{_cell(book, 'Member ID', claim.row)} is blank)")
    if not claim.procedure_codes or not str(claim.procedure_codes).strip():
        out.append(f"the procedure codes ({sheet}!{_cell(book, 'Procedure Codes', claim.row)} is blank)")
    if kind == APPEAL and claim.date_of_service is None:
        out.append(f"the date of service ({sheet}!{_cell(book, 'Date of Service', claim.row)} is blank)")
    return out


def payer_references(book: Book) -> dict[str, str]:
    """The payer's own claim number (835 CLP07) by casefolded Claim ID, from the owned Remittance sheet (the last
    remittance of a claim wins). Empty without that sheet: the letter then leaves it out."""
    rows = read_remittance_rows(book.owned_rows.get(REMITTANCE_SHEET) or [])
    return {
        r.claim_id.casefold(): r.payer_claim_ref for r in rows if r.kind == CLAIM and r.claim_id and r.payer_claim_ref
    }


def claims_after_letters(book: Book, kind: str, claim_ids: list[str], on: dt.date) -> UpdateCells | None:
    """What making the letters changes on Claims: an appeal made marks its claim Appealed with Appeal Date `on`;
    a preauthorization request made marks Preauth Status Requested. Columns the sheet lacks are left alone."""
    sd = book.sheet(CLAIMS.name)
    if sd is None or not claim_ids:
        return None
    wanted = {c.casefold() for c in claim_ids}
    values = {"Status": APPEALED, "Appeal Date": on} if kind == APPEAL else {"Preauth Status": "Requested"}
    cells = tuple(
        (claim.row, sd.headers[name], value)
        for claim in read_claims(book)
        if claim.claim_id.casefold() in wanted
        for name, value in values.items()
        if name in sd.headers
    )
    return UpdateCells(sd.title, cells) if cells else None
