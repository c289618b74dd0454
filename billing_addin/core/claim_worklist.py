"""The claims worklist: for each claim as at a date, the deadline that matters now, how many days are left, and
what to do.

- Not yet filed (Draft, or no Submitted Date while Submitted, Pending or blank): file by the filing deadline.
  Once a claim is filed its filing deadline is shown, met (or missed, when sent after it).
- Denied and no Appeal Date: appeal by the appeal deadline; with no deadline known (no Denial Date, no Appeal
  Window Days for a payer that is not Medicare) it is "denied, no appeal", with the reason.
- Preauthorization Requested or Pending (any case): said, beside any deadline; Needed or Required: to request.
- Submitted or Pending more than FOLLOW_UP_DAYS after its Submitted Date: with insurance N days, follow up.

"Due soon" is a deadline from the as-of date to `Claims Days Ahead` (Settings, default 14) days after it;
"past" a deadline before the as-of date. Order: past deadlines first (oldest first), then due soon by date,
then the rest with something to do (by deadline, then Claims row), then the claims with nothing due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from billing_addin.core.book import Book
from billing_addin.core.cell_values import id_cell
from billing_addin.core.claims import (
    DENIED,
    DRAFT,
    PENDING,
    PREAUTH_PENDING,
    PREAUTH_WANTED,
    SUBMITTED,
    Claim,
    Deadline,
    appeal_deadline,
    code_meaning,
    denial_meanings,
    filing_deadline,
    payer_of,
    read_claims,
    read_payers,
)
from billing_addin.core.patch import Column, Link, OwnedSheet
from billing_addin.core.reports import date_column
from billing_addin.core.schema import CLAIMS, CLAIMS_WORKLIST_SHEET

DEFAULT_DAYS_AHEAD = 14
FOLLOW_UP_DAYS = 30  # a claim with the payer longer than this without an answer is worth a call

# What each item is about, most pressing first; JSON and the sheet show the action text.
FILE, FILING_PASSED, APPEAL, APPEAL_CLOSED, DENIED_NO_APPEAL = (
    "file",
    "filing-passed",
    "appeal",
    "appeal-closed",
    "denied-no-appeal",
)


@dataclass(frozen=True)
class DenialCode:
    code: str
    meaning: str | None  # the practice's words from the DenialCodes sheet; None: the bare code
    action: str | None


@dataclass(frozen=True)
class WorkItem:
    """One claim on the worklist as at `as_of`."""

    claim: Claim
    filing: Deadline
    appeal: Deadline
    filed: bool  # the filing deadline no longer drives anything
    deadline: dt.date | None  # the deadline that matters now (filing while not filed, appeal while denied)
    days_left: int | None  # deadline - as_of; negative once past
    due_soon: bool
    past: bool
    kinds: tuple[str, ...]  # FILE, APPEAL ..., "preauth-pending", "follow-up"
    action: str
    denial_codes: tuple[DenialCode, ...]

    @property
    def claim_id(self) -> str:
        return self.claim.claim_id

    @property
    def denied_no_appeal(self) -> bool:
        return self.claim.status == DENIED and self.claim.appeal_date is None

    @property
    def preauth_pending(self) -> bool:
        return "preauth-pending" in self.kinds


@dataclass(frozen=True)
class Worklist:
    as_of: dt.date
    days_ahead: int
    items: tuple[WorkItem, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "claims": len(self.items),
            "due_soon": sum(i.due_soon for i in self.items),
            "past": sum(i.past for i in self.items),
            "denied_no_appeal": sum(i.denied_no_appeal for i in self.items),
            "preauth_pending": sum(i.preauth_pending for i in self.items),
        }

    def item(self, claim_id: str) -> WorkItem | None:
        """The claim with this ID (ignoring case; the first row of a duplicated ID)."""
        key = claim_id.casefold()
        return next((i for i in self.items if i.claim_id.casefold() == key), None)


def is_filed(claim: Claim) -> bool:
    """Sent to the payer: a status past Draft with a Submitted Date, or any adjudicated or appealed status."""
    if claim.status == DRAFT:
        return False
    if claim.status in (None, SUBMITTED, PENDING):
        return claim.submitted is not None
    return True


def days_ahead_setting(book: Book) -> int:
    days = book.settings.get("Claims Days Ahead", DEFAULT_DAYS_AHEAD)
    return days if isinstance(days, int) and days >= 0 else DEFAULT_DAYS_AHEAD  # validation reports a bad one


def work_item(claim: Claim, payer, meanings: dict, as_of: dt.date, days_ahead: int) -> WorkItem:
    """What one claim needs as at `as_of` (payer: its PayerTerms or None; meanings: from denial_meanings)."""
    filing, appeal = filing_deadline(claim, payer), appeal_deadline(claim, payer)
    filed = is_filed(claim)
    kinds: list[str] = []
    parts: list[str] = []
    deadline = None
    if not filed:
        deadline = filing.date
        if deadline is None:
            kinds.append(FILE)
            parts.append(f"not filed; no filing deadline known ({filing.basis})")
        elif deadline < as_of:
            kinds.append(FILING_PASSED)
            parts.append(f"filing deadline passed on {deadline}")
        else:
            kinds.append(FILE)
            unsent = claim.status not in (None, DRAFT) and claim.submitted is None
            parts.append(f"file by {deadline}" + (" (or type the Submitted Date)" if unsent else ""))
    elif claim.status == DENIED and claim.appeal_date is None:
        deadline = appeal.date
        if deadline is None:
            kinds.append(DENIED_NO_APPEAL)
            parts.append(f"denied, no appeal; no appeal deadline known ({appeal.basis})")
        elif deadline < as_of:
            kinds.append(APPEAL_CLOSED)
            parts.append(f"appeal window closed on {deadline}")
        else:
            kinds.append(APPEAL)
            parts.append(f"appeal by {deadline}")
    if filed and claim.submitted is not None and filing.date is not None and claim.submitted > filing.date:
        kinds.append("filed-late")  # the payer will likely deny it for timely filing: worth knowing before it does
        parts.append(f"filed {claim.submitted}, after the filing deadline {filing.date}")
    preauth = (claim.preauth_status or "").strip().casefold()
    if preauth in PREAUTH_PENDING:
        kinds.append("preauth-pending")
        parts.append("preauthorization pending")
    elif preauth in PREAUTH_WANTED:
        parts.append("preauthorization needed: request it (billing letters --kind preauth)")
    if filed and claim.status in (SUBMITTED, PENDING) and claim.submitted is not None:
        waiting = (as_of - claim.submitted).days
        if waiting > FOLLOW_UP_DAYS:
            kinds.append("follow-up")
            parts.append(f"with insurance {waiting} days: follow up")
    days_left = None if deadline is None else (deadline - as_of).days
    codes = tuple(DenialCode(c, *code_meaning(c, meanings)) for c in claim.denial_codes)
    return WorkItem(
        claim=claim,
        filing=filing,
        appeal=appeal,
        filed=filed,
        deadline=deadline,
        days_left=days_left,
        due_soon=days_left is not None and 0 <= days_left <= days_ahead,
        past=days_left is not None and days_left < 0,
        kinds=tuple(kinds),
        action="; ".join(parts) or "nothing due",
        denial_codes=codes,
    )


def _order(item: WorkItem) -> tuple:
    group = 0 if item.past else 1 if item.due_soon else 2 if item.kinds else 3
    return (group, item.deadline or dt.date.max, item.claim.row)


def claims_worklist(book: Book, as_of: dt.date, days_ahead: int | None = None) -> Worklist:
    """Every claim on the Claims sheet (with a Claim ID and a Patient Account) as at `as_of`, most pressing
    first. days_ahead: how far ahead "due soon" looks (default: Settings' Claims Days Ahead)."""
    days = days_ahead_setting(book) if days_ahead is None else days_ahead
    payers, meanings = read_payers(book), denial_meanings(book)
    items = [work_item(c, payer_of(c, payers), meanings, as_of, days) for c in read_claims(book)]
    return Worklist(as_of, days, tuple(sorted(items, key=_order)))


# --- the ClaimsWorklist sheet ------------------------------------------------------------------------------


def denial_text(codes: tuple[DenialCode, ...]) -> str | None:
    """ "CO-16: Claim lacks information (Resubmit); N14" - the practice's words where it has them."""
    out = []
    for c in codes:
        text = c.code + (f": {c.meaning}" if c.meaning else "") + (f" ({c.action})" if c.action else "")
        out.append(text)
    return "; ".join(out) or None


def urgency(item: WorkItem) -> str | None:
    return "Past deadline" if item.past else "Due soon" if item.due_soon else None


def worklist_sheet(book: Book, worklist: Worklist) -> OwnedSheet:
    """The ClaimsWorklist sheet: one row per claim in the worklist's order, its Claim ID a link to its row on
    Claims (a number where that cell held one), dates as dates."""
    sd = book.sheet(CLAIMS.name)
    numeric_ids = sd.numeric_rows("Claim ID") if sd is not None else frozenset()
    numeric_accounts = sd.numeric_rows("Patient Account") if sd is not None else frozenset()
    prefix = f"'{sd.title.replace(chr(39), chr(39) * 2)}'!{sd.letters['Claim ID']}" if sd is not None else ""

    def claim_cell(c: Claim):
        shown = id_cell(c.claim_id) if c.row in numeric_ids else c.claim_id
        return Link(shown, f"{prefix}{c.row}") if prefix else shown

    rows = tuple(
        (
            claim_cell(i.claim),
            id_cell(i.claim.patient_account) if i.claim.row in numeric_accounts else i.claim.patient_account,
            i.claim.payer or None,
            i.claim.status,
            i.claim.date_of_service,
            i.filing.date,
            i.filing.basis,
            i.appeal.date,
            i.appeal.basis,
            i.days_left,
            urgency(i),
            i.action,
            denial_text(i.denial_codes),
        )
        for i in worklist.items
    )
    columns = (
        Column("Claim ID", 12),
        Column("Patient Account", 14),
        Column("Payer", 20),
        Column("Status", 13),
        date_column("Date of Service"),
        date_column("Filing Deadline"),
        Column("Filing Basis", 34),
        date_column("Appeal Deadline"),
        Column("Appeal Basis", 34),
        Column("Days Left", 9, "0"),
        Column("Urgency", 13),
        Column("Action", 44),
        Column("Denial Codes", 50),
    )
    return OwnedSheet(CLAIMS_WORKLIST_SHEET, columns, rows)
