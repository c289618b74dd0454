"""Insurance claims as the practice keeps them (the Claims, Payers and DenialCodes sheets), and their deadlines.

A claim is sent to a payer (Submitted), waits (Pending), and is adjudicated: Paid, Partially Paid or Denied; a
denial may be Appealed; Closed ends it. Until a claim is adjudicated nothing of it is billed to the patient.

Deadlines:
- filing: the date of service plus the payer's Timely Filing Days; for Medicare without days on Payers, one
  calendar year after the date of service (42 CFR 424.44), a 29 February service giving 28 February;
- appeal: the denial date plus the payer's Appeal Window Days; for Medicare without days on Payers, 120 days
  (the redetermination window of 42 CFR 405.942, counted from the denial date, not the presumed receipt five
  days later, so the date shown is never later than the real one).
A payer with no days on Payers and not Medicare has no deadline the add-in can know: it says so, never guesses.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

from billing_addin.core.book import Book
from billing_addin.core.schema import CLAIMS, DENIAL_CODES, INVOICES, PAYERS

DRAFT, SUBMITTED, PENDING, DENIED, PARTIALLY_PAID, PAID, APPEALED, CLOSED = (
    "Draft",
    "Submitted",
    "Pending",
    "Denied",
    "Partially Paid",
    "Paid",
    "Appealed",
    "Closed",
)
# With insurance: nothing of these is billed to the patient yet.
WITH_INSURANCE = frozenset({DRAFT, SUBMITTED, PENDING, APPEALED})
ADJUDICATED = frozenset({DENIED, PARTIALLY_PAID, PAID, CLOSED})
# Preauth Status values (any case): a request to make, and one made and not yet answered.
PREAUTH_WANTED = frozenset({"needed", "required"})
PREAUTH_PENDING = frozenset({"requested", "pending"})
MEDICARE = "Medicare"
MEDICARE_FILING_MONTHS = 12
MEDICARE_APPEAL_DAYS = 120
_CODES = re.compile(r"[;,\s]+")


class Claim(NamedTuple):
    """A Claims row as typed (money in cents, None when blank). A named tuple, not a frozen dataclass: a
    practice's sheet may hold 100,000 claims, and a frozen dataclass takes five times as long to make."""

    claim_id: str
    patient_account: str
    payer: str
    payer_type: str | None
    member_id: str | None
    date_of_service: dt.date | None
    procedure_codes: str | None
    billed: int | None
    allowed: int | None
    insurance_paid: int | None
    patient_responsibility: int | None
    status: str | None
    submitted: dt.date | None
    denial_date: dt.date | None
    denial_codes: tuple[str, ...]
    preauth_number: str | None
    preauth_status: str | None
    appeal_date: dt.date | None
    row: int  # Excel row on Claims

    @property
    def with_insurance(self) -> bool:
        """Not adjudicated yet (a blank status counts as with insurance: it is not billed to the patient)."""
        return self.status is None or self.status in WITH_INSURANCE


@dataclass(frozen=True)
class PayerTerms:
    name: str
    payer_id: str | None
    filing_days: int | None
    appeal_days: int | None
    appeals_address: str | None
    row: int


@dataclass(frozen=True)
class Deadline:
    date: dt.date | None
    basis: str  # how it was counted, or why there is none

    def days_left(self, as_of: dt.date) -> int | None:
        return None if self.date is None else (self.date - as_of).days


def split_codes(text: object) -> tuple[str, ...]:
    """ "CO-16; N14" -> ("CO-16", "N14")."""
    if not text:
        return ()
    return tuple(c for c in _CODES.split(str(text).strip()) if c)


_CLAIM_FIELDS = (  # Claims columns in the order of Claim's fields (Denial Codes split, the row last)
    "Claim ID",
    "Patient Account",
    "Payer",
    "Payer Type",
    "Member ID",
    "Date of Service",
    "Procedure Codes",
    "Billed",
    "Allowed",
    "Insurance Paid",
    "Patient Responsibility",
    "Status",
    "Submitted Date",
    "Denial Date",
    "Denial Codes",
    "Preauth Number",
    "Preauth Status",
    "Appeal Date",
)


def read_claims(book: Book) -> tuple[Claim, ...]:
    """Every Claims row with a Claim ID and a Patient Account (rows without them are validation's to report)."""
    sd = book.sheet(CLAIMS.name)
    if sd is None:
        return ()
    blank = [None] * len(sd.rows)
    columns = [sd.columns.get(name) or blank for name in _CLAIM_FIELDS]
    codes = _CLAIM_FIELDS.index("Denial Codes")
    out = []
    for values in zip(*columns, sd.rows):  # one tuple per row: a practice's sheet may hold 100,000 claims
        if not values[0] or not values[1]:
            continue
        values = list(values)
        values[2] = str(values[2] or "").strip()
        values[codes] = split_codes(values[codes])
        out.append(Claim(*values))
    return tuple(out)


def read_payers(book: Book) -> dict[str, PayerTerms]:
    """Payers by name, case-folded (the first row of a name wins; duplicates are validation's to report)."""
    sd = book.sheet(PAYERS.name)
    out: dict[str, PayerTerms] = {}
    if sd is None:
        return out
    n = len(sd.rows)
    cols = {f.name: sd.columns.get(f.name) or [None] * n for f in PAYERS.fields}
    for i, row in enumerate(sd.rows):
        name = str(cols["Payer"][i] or "").strip()
        if name:
            out.setdefault(
                name.casefold(),
                PayerTerms(
                    name,
                    cols["Payer ID"][i],
                    cols["Timely Filing Days"][i],
                    cols["Appeal Window Days"][i],
                    cols["Appeals Address"][i],
                    row,
                ),
            )
    return out


def code_key(code: str) -> str:
    return code.strip().upper()


def denial_meanings(book: Book) -> dict[str, tuple[str | None, str | None]]:
    """Code (upper case, as typed: "16", "CO-16", "N14") -> (Meaning, Action), from the DenialCodes sheet."""
    sd = book.sheet(DENIAL_CODES.name)
    out: dict[str, tuple[str | None, str | None]] = {}
    if sd is None:
        return out
    n = len(sd.rows)
    meanings, actions = sd.columns.get("Meaning") or [None] * n, sd.columns.get("Action") or [None] * n
    for code, meaning, action in zip(sd.columns.get("Code", []), meanings, actions):
        if code:
            out.setdefault(code_key(code), (meaning, action))
    return out


def code_meaning(code: str, meanings: dict[str, tuple[str | None, str | None]]) -> tuple[str | None, str | None]:
    """The practice's (Meaning, Action) of a code: as typed ("CO-16"), else its reason part ("16"); a code not on
    DenialCodes has none (shown as the bare code, never an error)."""
    key = code_key(code)
    if key in meanings:
        return meanings[key]
    reason = key.split("-", 1)[1] if "-" in key else None
    return meanings.get(reason, (None, None)) if reason else (None, None)


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has none (31 Jan + 1 = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def is_medicare(claim: Claim) -> bool:
    return (claim.payer_type or "").casefold() == MEDICARE.casefold()


def filing_deadline(claim: Claim, payer: PayerTerms | None) -> Deadline:
    """The last day the claim may be filed with its payer."""
    if claim.date_of_service is None:
        return Deadline(None, "no Date of Service")
    if payer is not None and payer.filing_days is not None:
        return Deadline(
            claim.date_of_service + dt.timedelta(days=payer.filing_days),
            f"date of service + {payer.filing_days} days (Payers)",
        )
    if is_medicare(claim):
        return Deadline(
            add_months(claim.date_of_service, MEDICARE_FILING_MONTHS), "Medicare: 1 year after the date of service"
        )
    return Deadline(None, f"no Timely Filing Days for payer {claim.payer or '(blank)'} on Payers")


def appeal_deadline(claim: Claim, payer: PayerTerms | None) -> Deadline:
    """The last day a denial may be appealed; none while the claim is not denied."""
    if claim.denial_date is None:
        return Deadline(None, "not denied" if claim.status != DENIED else "no Denial Date")
    if payer is not None and payer.appeal_days is not None:
        return Deadline(
            claim.denial_date + dt.timedelta(days=payer.appeal_days),
            f"denial date + {payer.appeal_days} days (Payers)",
        )
    if is_medicare(claim):
        return Deadline(
            claim.denial_date + dt.timedelta(days=MEDICARE_APPEAL_DAYS),
            "Medicare redetermination: 120 days after the denial",
        )
    return Deadline(None, f"no Appeal Window Days for payer {claim.payer or '(blank)'} on Payers")


def payer_of(claim: Claim, payers: dict[str, PayerTerms]) -> PayerTerms | None:
    return payers.get(claim.payer.casefold()) if claim.payer else None


def claim_invoices(book: Book, claims: tuple[Claim, ...]) -> dict[str, str]:
    """Claim ID (casefolded) -> the invoice that bills its visit: the Invoices row whose Claim ID names it, else
    the invoice numbered as the claim (what `era post` makes when a claim has none)."""
    sd = book.sheet(INVOICES.name)
    if sd is None or not claims:
        return {}
    numbers = sd.columns.get("Invoice No", [])
    out: dict[str, str] = {}
    for no, cid in zip(numbers, sd.columns.get("Claim ID") or [None] * len(numbers)):
        if no and cid:
            out.setdefault(str(cid).casefold(), no)
    by_number = {str(n).casefold(): n for n in numbers if n}
    for c in claims:
        key = c.claim_id.casefold()
        if key not in out and key in by_number:
            out[key] = by_number[key]
    return out


def insurance_holds(book: Book, code: str) -> dict[str, tuple[str, str]]:
    """Invoice No (casefolded) -> (code, why) for the invoices whose claim the insurer has not settled: with
    insurance (Draft, Submitted, Pending, Appealed, or no status) or Denied (to appeal or close first). Their
    patients get no reminder, fee or amount due for them: only what an adjudicated claim leaves is billed."""
    claims = read_claims(book)
    by_key = {c.claim_id.casefold(): c for c in claims}
    out: dict[str, tuple[str, str]] = {}
    for claim_key, invoice in claim_invoices(book, claims).items():
        claim = by_key[claim_key]
        if claim.with_insurance or claim.status == DENIED:
            state = (claim.status or "not submitted").lower()
            why = f"{invoice}: claim {claim.claim_id} is {state} with {claim.payer or 'the insurer'}"
            out.setdefault(str(invoice).casefold(), (code, why))
    return out
