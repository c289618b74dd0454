"""The owned `Remittance` sheet: one row per 835 claim imported (then a row per service line, and a row per
provider-level adjustment), with the workbook claim it matched, what posting it does, and when it was posted.

`billing era import` adds rows; `billing era post` posts the claim rows marked Post = Yes and marks them
posted. The clerk may type the Claim ID of a claim the payer renamed, or clear Post, so the sheet is read back
cell by cell and rewritten whole with those edits kept (as the Bank Import sheet is)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import NamedTuple

from billing_addin.core.cell_values import parse_date, to_id
from billing_addin.core.money import cents_or_none, cents_to_decimal, format_cents
from billing_addin.core.patch import DATE_FORMAT, MONEY_FORMAT, Column, OwnedSheet, read_back
from billing_addin.core.schema import REMITTANCE_SHEET

CLAIM, LINE, PROVIDER = "Claim", "Line", "Provider"
REMITTANCE_COLUMNS = (
    Column("Trace Number", 16),
    Column("Payer", 22),
    Column("Payment Date", 12, DATE_FORMAT),
    Column("Source", 18),
    Column("Row Kind", 9),
    Column("Payer Claim ID", 16),
    Column("Payer Claim Ref", 16),
    Column("Claim ID", 14),
    Column("Matched By", 18),
    Column("CLP Status", 8),
    Column("Date of Service", 12, DATE_FORMAT),
    Column("Procedure", 14),
    Column("Billed", 12, MONEY_FORMAT),
    Column("Paid", 12, MONEY_FORMAT),
    Column("Patient Resp", 12, MONEY_FORMAT),
    Column("Write-off", 12, MONEY_FORMAT),
    Column("Adjustments", 34),
    Column("Status After", 13),
    Column("Denial Codes", 16),
    Column("Post", 6),
    Column("Posted", 12, DATE_FORMAT),
    Column("Note", 60),
)
_ADJUSTMENT = re.compile(r"([A-Z]{2})-(\S+)\s+(-?\d+(?:\.\d+)?)")


class RemittanceRow(NamedTuple):
    """A Remittance sheet row (a named tuple: an 835 of 10,000 claims makes 20,000 of them)."""

    row: int  # Excel row (0 for a row not on the sheet yet)
    trace: str
    payer: str
    payment_date: dt.date | None
    source: str
    kind: str  # Claim, Line, Provider
    payer_claim_id: str | None  # CLP01 as the payer sent it
    payer_claim_ref: str | None  # CLP07: the payer's own claim number (an appeal quotes it)
    claim_id: str | None  # the workbook's Claim ID it posts to (the clerk may type it)
    matched_by: str | None  # "claim id", "member id and date of service", "typed"
    status_code: str | None  # CLP02
    service_date: dt.date | None
    procedure: str | None
    billed: int | None
    paid: int | None
    patient_resp: int | None
    write_off: int | None  # CO + PI + OA (what the practice writes off)
    adjustments: tuple[tuple[str, str, int], ...]  # (group, code, cents)
    status_after: str | None
    denial_codes: tuple[str, ...]
    post: bool
    posted: dt.date | None
    note: str

    def as_row(self) -> tuple:
        def m(c: int | None) -> Decimal | None:
            return None if c is None else cents_to_decimal(c)

        return (
            self.trace,
            self.payer or None,
            self.payment_date,
            self.source or None,
            self.kind,
            self.payer_claim_id,
            self.payer_claim_ref,
            self.claim_id,
            self.matched_by,
            self.status_code,
            self.service_date,
            self.procedure,
            m(self.billed),
            m(self.paid),
            m(self.patient_resp),
            m(self.write_off),
            adjustments_text(self.adjustments) or None,
            self.status_after,
            "; ".join(self.denial_codes) or None,
            "Yes" if self.post else ("No" if self.kind == CLAIM and self.posted is None else None),
            self.posted,
            self.note or None,
        )


def adjustments_text(adjustments: tuple[tuple[str, str, int], ...]) -> str:
    """(("CO", "45", 3000), ("PR", "1", 5000)) -> "CO-45 30.00; PR-1 50.00" (read back by read_remittance_rows)."""
    return "; ".join(f"{g}-{c} {format_cents(a)}" for g, c, a in adjustments)


def read_remittance_rows(rows: list[list[object]]) -> list[RemittanceRow]:
    """The Remittance sheet's rows (header first, as the reader keeps them in book.owned_rows)."""
    out = []
    for n, get in read_back(rows, REMITTANCE_COLUMNS):
        day, dos, posted = (
            parse_date(get("Payment Date")),
            parse_date(get("Date of Service")),
            parse_date(get("Posted")),
        )
        out.append(
            RemittanceRow(
                row=n,
                trace=str(to_id(get("Trace Number")) or ""),
                payer=str(get("Payer") or ""),
                payment_date=day if isinstance(day, dt.date) else None,
                source=str(get("Source") or ""),
                kind=str(get("Row Kind") or ""),
                payer_claim_id=to_id(get("Payer Claim ID")),
                payer_claim_ref=to_id(get("Payer Claim Ref")),
                claim_id=to_id(get("Claim ID")),
                matched_by=str(get("Matched By")) if get("Matched By") else None,
                status_code=to_id(get("CLP Status")),
                service_date=dos if isinstance(dos, dt.date) else None,
                procedure=str(get("Procedure")) if get("Procedure") else None,
                billed=cents_or_none(get("Billed")),
                paid=cents_or_none(get("Paid")),
                patient_resp=cents_or_none(get("Patient Resp")),
                write_off=cents_or_none(get("Write-off")),
                adjustments=tuple(
                    (g, c, cents_or_none(a) or 0) for g, c, a in _ADJUSTMENT.findall(str(get("Adjustments") or ""))
                ),
                status_after=str(get("Status After")) if get("Status After") else None,
                denial_codes=tuple(s.strip() for s in str(get("Denial Codes") or "").split(";") if s.strip()),
                post=str(get("Post") or "").strip().casefold() in ("yes", "y", "x", "true", "1"),
                posted=posted if isinstance(posted, dt.date) else None,
                note=str(get("Note") or ""),
            )
        )
    return out


def remittance_sheet(rows: list[RemittanceRow]) -> OwnedSheet:
    return OwnedSheet(REMITTANCE_SHEET, REMITTANCE_COLUMNS, tuple(r.as_row() for r in rows))


def mark_posted(row: RemittanceRow, on: dt.date, note: str | None = None) -> RemittanceRow:
    return row._replace(posted=on, post=False, note=note if note is not None else row.note)


def payments_by_trace(rows: list[RemittanceRow]) -> dict[str, int]:
    """Each remittance's payment (the 835's BPR02: its claims' payments less its provider-level adjustments), by
    trace number, from the sheet's Claim and Provider rows: what the insurer's bank deposit should be."""
    out: dict[str, int] = {}
    for r in rows:
        if r.trace and r.kind in (CLAIM, PROVIDER):
            out[r.trace] = out.get(r.trace, 0) + (r.paid or 0)
    return out
