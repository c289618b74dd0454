"""An insurance remittance (X12 835) as the add-in keeps it: per claim what was billed, paid, adjusted (by group:
CO contractual, PR patient responsibility, OA other, PI payer initiated, and the payer's reason code) and left to
the patient, per service line the same; and the provider-level adjustments. Money in cents.

Only code values are kept, never code descriptions (CARC/RARC texts are copyrighted); and of the patient only what
matching a claim needs (the member ID), never the name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# CLP02, the claim status code: what the payer did with the claim.
PROCESSED_PRIMARY, PROCESSED_SECONDARY, PROCESSED_TERTIARY, DENIED, REVERSAL = "1", "2", "3", "4", "22"
GROUPS = {  # our own words for who owes an adjusted amount (the group codes are X12's; the wording is ours)
    "CO": "contractual: the practice writes it off, the patient does not owe it",
    "PR": "patient responsibility: the patient owes it (deductible, coinsurance, copay)",
    "OA": "other adjustment: neither the payer nor the patient pays it as things stand",
    "PI": "payer initiated: the payer reduced it; the patient does not owe it",
    "CR": "correction or reversal of an earlier adjustment",
}


@dataclass(frozen=True)
class Adjustment:
    group: str  # CO, PR, OA, PI, CR
    code: str  # the payer's reason code (CARC), as a value only
    amount: int  # cents; positive reduces what is paid
    quantity: str | None = None


@dataclass(frozen=True)
class ServiceLine:
    procedure: str  # e.g. "HC:59430" (qualifier and code as sent)
    billed: int
    paid: int
    units: str | None
    date: dt.date | None
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # remark codes (RARC, LQ*HE), as values only


@dataclass(frozen=True)
class ClaimPayment:
    claim_id: str  # CLP01: the patient control number the practice sent on the claim (the Claims sheet's Claim ID)
    status_code: str  # CLP02
    billed: int  # CLP03
    paid: int  # CLP04
    patient_responsibility: int  # CLP05
    payer_claim_ref: str | None  # CLP07
    member_id: str | None  # NM1*QC ... NM109 (or the insured's NM1*IL)
    service_date: dt.date | None  # the claim's earliest service date (DTM*232, else its lines')
    adjustments: tuple[Adjustment, ...] = ()  # claim level
    lines: tuple[ServiceLine, ...] = ()
    remarks: tuple[str, ...] = ()  # claim-level remark codes (MOA, MIA), as values only

    @property
    def all_remarks(self) -> tuple[str, ...]:
        """The claim's remark codes and its lines', each once, in order."""
        return tuple(dict.fromkeys((*self.remarks, *(r for ln in self.lines for r in ln.remarks))))

    @property
    def all_adjustments(self) -> tuple[Adjustment, ...]:
        return self.adjustments + tuple(a for ln in self.lines for a in ln.adjustments)

    @property
    def adds_up(self) -> bool:
        """Billed = paid + every adjustment (claim and line level), as the 835 guide requires."""
        return self.billed == self.paid + sum(a.amount for a in self.all_adjustments)

    @property
    def denied(self) -> bool:
        """CLP02 = 4, or nothing paid and nothing left to the patient with the payer's reason codes (a claim
        that went wholly to the deductible is processed, not denied)."""
        if self.status_code == DENIED:
            return True
        adjustments = self.all_adjustments
        return (
            self.paid == 0
            and self.billed > 0
            and bool(adjustments)
            and not any(a.group == "PR" and a.amount for a in adjustments)
        )

    @property
    def reversal(self) -> bool:
        return self.status_code == REVERSAL


@dataclass(frozen=True)
class ProviderAdjustment:
    provider: str
    date: dt.date | None
    reason: str  # e.g. WO, L6, FB (as a value)
    reference: str | None
    amount: int  # cents; positive reduces the payment


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction (ST..SE): one payment from one payer, with its claims."""

    trace_number: str  # TRN02: never posted twice
    payer: str
    payer_id: str | None
    payee: str
    payment_total: int  # BPR02
    payment_method: str  # BPR04: CHK, ACH, NON ...
    payment_date: dt.date | None  # BPR16
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    source: str = ""

    @property
    def balances(self) -> bool:
        """The payment equals the claims' payments less the provider-level adjustments."""
        return self.payment_total == sum(c.paid for c in self.claims) - sum(p.amount for p in self.provider_adjustments)
