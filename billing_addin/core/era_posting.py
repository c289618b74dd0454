"""Insurance remittances (835) posted to the practice's workbook. Pure: the command hands it the remittances,
the claims and what the sheets hold; it returns Remittance sheet rows, rows to append and cells to set.

Import: each claim payment (CLP) is matched to a Claims row by its Claim ID (the patient control number the
practice sent), else by member ID and date of service when exactly one claim has both (payers re-number claims).
A remittance whose trace number (TRN02) is on the Remittance sheet or in Payments is not imported again.

Post, per claim row marked Post = Yes:
- paid (CLP02 1, 2, 3): the insurer's payment is a Payments row on the claim's invoice; the CO, PI and OA
  adjustments are Write-off rows on Adjustments (a negative one, a payer's correction, is an Other charge); PR
  (deductible, coinsurance, copay) is left on the invoice: what remains is what the patient owes. The claim
  becomes Paid (Partially Paid when a service line was paid nothing), with Insurance Paid, Allowed (paid + PR)
  and Patient Responsibility set. A secondary or tertiary payer (CLP02 2, 3) posts its payment and its own CO and PI;
  its OA adjustments are the earlier payer's part (OA-23), already posted from that payer's remittance.
- denied (CLP02 4, or nothing paid and nothing left to the patient): no money moves; the claim becomes Denied
  with the denial date (the payment date) and the codes, so its appeal deadline starts.
- reversed (CLP02 22): the earlier payment is returned (a Returned Payment row) and its write-offs charged
  back (Other rows); the claim goes back to Pending until the corrected claim that usually follows is posted.
  A reversal of a claim never posted here is not posted: the clerk reverses what was entered by hand.
A claim with no invoice gets one (its Claim ID, billed amount, the date of service; due the payment date plus
Default Terms), so the patient's statement shows the charge, the insurer's payment, the write-off and what is
left. Provider-level adjustments (PLB) are listed, never posted to a patient.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from billing_addin.core.claims import DENIED, PAID, PARTIALLY_PAID, PENDING, Claim
from billing_addin.core.money import format_cents
from billing_addin.core.remittance import PROCESSED_SECONDARY, PROCESSED_TERTIARY, ClaimPayment, Remittance
from billing_addin.core.remittance_sheet import CLAIM, LINE, PROVIDER, RemittanceRow, mark_posted

BY_CLAIM_ID, BY_MEMBER = "claim id", "member id and date of service"
WRITE_OFF_GROUPS = ("CO", "PI", "OA")
POSTED_PREFIX = "ERA:"  # Payments' Bank Transaction ID of an insurer's payment: ERA:<trace>:<payer claim id>


def posting_key(trace: str, payer_claim_id: str | None) -> str:
    return f"{POSTED_PREFIX}{trace}:{payer_claim_id or ''}"


def trace_of_key(key: str) -> str | None:
    """The trace number in a Payments Bank Transaction ID written by `era post`, else None."""
    if not key.upper().startswith(POSTED_PREFIX):
        return None
    return key[len(POSTED_PREFIX) :].rsplit(":", 1)[0]


class ClaimIndex:
    def __init__(self, claims: tuple[Claim, ...]) -> None:
        self.claims = claims
        self.by_id = {c.claim_id.casefold(): c for c in claims}

    @cached_property
    def by_member(self) -> dict[tuple[str, dt.date], list[Claim]]:
        """Made the first time a payer's claim ID is not found (most remittances never need it)."""
        out: dict[tuple[str, dt.date], list[Claim]] = defaultdict(list)
        for c in self.claims:
            if c.member_id and c.date_of_service:
                out[(c.member_id.strip().casefold(), c.date_of_service)].append(c)
        return out

    def match(self, cp: ClaimPayment) -> tuple[Claim | None, str | None, str]:
        """(claim, how it matched, why not when it did not). Never names the patient or the member ID."""
        found = self.by_id.get(cp.claim_id.casefold())
        if found is not None:
            return found, BY_CLAIM_ID, ""
        if cp.member_id and cp.service_date:
            same = self.by_member.get((cp.member_id.strip().casefold(), cp.service_date), [])
            if len(same) == 1:
                return same[0], BY_MEMBER, f"the payer's claim ID {cp.claim_id} is not on Claims"
            if len(same) > 1:
                ids = ", ".join(c.claim_id for c in same)
                return None, None, f"not found: several claims ({ids}) have its member ID and date of service"
        return None, None, "not found on Claims by claim ID, nor by member ID and date of service"


def status_after(cp: ClaimPayment) -> str:
    if cp.reversal:
        return PENDING
    if cp.denied:
        return DENIED
    if len(cp.lines) > 1 and any(ln.paid == 0 and ln.billed > 0 for ln in cp.lines):
        return PARTIALLY_PAID
    return PAID


def denial_codes(cp: ClaimPayment) -> tuple[str, ...]:
    """The payer's codes behind a denial (of the claim, or of the lines paid nothing): its adjustment reasons as
    "GROUP-CODE", then its remark codes (RARC) bare, each once, in order."""
    if cp.reversal:
        return ()
    if cp.denied:
        adjustments, remarks = cp.all_adjustments, cp.all_remarks
    else:
        denied = [ln for ln in cp.lines if ln.paid == 0 and ln.billed > 0]
        adjustments = tuple(a for ln in denied for a in ln.adjustments)
        remarks = tuple(r for ln in denied for r in ln.remarks)
    reasons = (f"{a.group}-{a.code}" for a in adjustments if a.group != "PR")
    return tuple(dict.fromkeys((*reasons, *remarks)))


def _by_group_code(adjustments) -> tuple[tuple[str, str, int], ...]:
    total: dict[tuple[str, str], int] = {}
    for a in adjustments:
        total[(a.group, a.code)] = total.get((a.group, a.code), 0) + a.amount
    return tuple((g, c, amt) for (g, c), amt in total.items() if amt)


@dataclass
class Imported:
    rows: list[RemittanceRow] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (trace, why)
    unbalanced: list[str] = field(default_factory=list)  # traces whose payment is not the claims' less PLB


def import_remittances(
    remittances: list[Remittance],
    claims: tuple[Claim, ...],
    known_traces: dict[str, str],
    posted_claims: set[str],
) -> Imported:
    """Remittance sheet rows for the remittances not imported before. known_traces: trace -> where it is already
    (the Remittance sheet, Payments). posted_claims: workbook Claim IDs (casefolded) with a posting on the sheet
    that was not reversed since: a reversal of any other claim waits for the clerk."""
    index, out = ClaimIndex(claims), Imported()
    posted = set(posted_claims)
    for rem in remittances:
        where = known_traces.get(rem.trace_number)
        if where:
            out.skipped.append((rem.trace_number, f"already imported ({where})"))
            continue
        known_traces = {**known_traces, rem.trace_number: rem.source or "this import"}
        if not rem.balances:
            out.unbalanced.append(rem.trace_number)
        corrected = _corrections(rem.claims)
        corrections = set(corrected.values())
        for k, cp in enumerate(rem.claims):
            if k in corrections:
                continue  # netted with the reversal before it
            claim, how, why = index.match(cp)
            row = _claim_row(rem, cp, claim, how, why, posted)
            if k in corrected:
                fix = rem.claims[corrected[k]]
                row = _netted(row, _claim_row(rem, fix, claim, how, why, posted | {row.claim_id or ""}), fix)
            out.rows.append(row)
            if row.post and claim is not None:
                (posted.discard if row.status_after == PENDING else posted.add)(claim.claim_id.casefold())
            for part in (cp, rem.claims[corrected[k]]) if k in corrected else (cp,):
                out.rows.extend(_line_rows(rem, part, row.claim_id))
        for n, p in enumerate(rem.provider_adjustments, start=1):
            out.rows.append(
                RemittanceRow(
                    0, rem.trace_number, rem.payer, rem.payment_date, rem.source, PROVIDER, None, None, None, None, None,
                    p.date, f"PLB {p.reason}" + (f" {p.reference}" if p.reference else ""), None, -p.amount, None,
                    None, (), None, (), False, None,
                    f"provider-level adjustment {n}: changes the payment by {format_cents(-p.amount)}; not a patient's",
                )
            )  # fmt: skip
    return out


def _corrections(claims: tuple[ClaimPayment, ...]) -> dict[int, int]:
    """Index of a reversal -> index of the corrected claim that follows it in the same remittance (same claim ID):
    the pair is posted as one net change, as the payment itself is (a reversal and a new payment on one day would
    otherwise be ordered payment first)."""
    out: dict[int, int] = {}
    for k, cp in enumerate(claims):
        if cp.reversal:
            later = next(
                (j for j in range(k + 1, len(claims)) if claims[j].claim_id == cp.claim_id and not claims[j].reversal),
                None,
            )
            if later is not None and later not in out.values():
                out[k] = later
    return out


def _netted(reversal: RemittanceRow, fix: RemittanceRow, cp: ClaimPayment) -> RemittanceRow:
    """One row for a reversal and its correction: the payment and write-offs they change by, the correction's
    status and patient responsibility."""
    total: dict[tuple[str, str], int] = {}
    for g, c, a in (*reversal.adjustments, *fix.adjustments):
        total[(g, c)] = total.get((g, c), 0) + a
    notes = list(dict.fromkeys(n for n in (reversal.note, fix.note) if n))
    return fix._replace(
        paid=(reversal.paid or 0) + (fix.paid or 0),
        write_off=(reversal.write_off or 0) + (fix.write_off or 0),
        adjustments=tuple((g, c, a) for (g, c), a in total.items() if a),
        post=reversal.post and fix.post,
        note="; ".join(
            [f"reversal and correction ({cp.payer_claim_ref or cp.claim_id}) posted as one net change", *notes]
        ),
    )


def _claim_row(
    rem: Remittance, cp: ClaimPayment, claim: Claim | None, how, why: str, posted: set[str]
) -> RemittanceRow:
    notes, post = [why] if why else [], claim is not None
    if not cp.adds_up:
        post = False
        notes.append("billed is not paid + adjustments: not posted (check the payer's file)")
    if cp.reversal and claim is not None and claim.claim_id.casefold() not in posted:
        post = False
        notes.append("a reversal of a claim never posted here: reverse what was entered by hand")
    all_adj = cp.all_adjustments
    return RemittanceRow(
        row=0,
        trace=rem.trace_number,
        payer=rem.payer,
        payment_date=rem.payment_date,
        source=rem.source,
        kind=CLAIM,
        payer_claim_id=cp.claim_id,
        payer_claim_ref=cp.payer_claim_ref,
        claim_id=claim.claim_id if claim else None,
        matched_by=how,
        status_code=cp.status_code,
        service_date=cp.service_date,
        procedure=None,
        billed=cp.billed,
        paid=cp.paid,
        patient_resp=cp.patient_responsibility,
        write_off=0 if cp.denied else sum(a.amount for a in all_adj if a.group in WRITE_OFF_GROUPS),  # denied: none
        adjustments=_by_group_code(all_adj),
        status_after=status_after(cp),
        denial_codes=denial_codes(cp),
        post=post,
        posted=None,
        note="; ".join(notes),
    )


def _line_rows(rem: Remittance, cp: ClaimPayment, claim_id: str | None) -> list[RemittanceRow]:
    return [
        RemittanceRow(
            0, rem.trace_number, rem.payer, rem.payment_date, rem.source, LINE, cp.claim_id, None, claim_id, None, None,
            ln.date, ln.procedure, ln.billed, ln.paid,
            sum(a.amount for a in ln.adjustments if a.group == "PR"),
            sum(a.amount for a in ln.adjustments if a.group in WRITE_OFF_GROUPS),
            _by_group_code(ln.adjustments), None, (), False, None, "",
        )
        for ln in cp.lines
    ]  # fmt: skip


@dataclass
class ClaimState:
    """A claim's cells as posting goes (the Claims row's values to start)."""

    status: str | None
    insurance_paid: int
    allowed: int | None
    patient_responsibility: int | None
    denial_date: dt.date | None
    denial_codes: tuple[str, ...]


@dataclass
class Posting:
    """What `era post` writes. Rows map schema field names to values (the command maps them to headers)."""

    invoices: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)
    claims: dict[str, tuple[Claim, ClaimState]] = field(default_factory=dict)  # claim id (casefolded) -> end state
    rows: list[RemittanceRow] = field(default_factory=list)  # the sheet's rows, posted ones marked
    posted: list[dict] = field(default_factory=list)
    not_posted: list[tuple[RemittanceRow, str]] = field(default_factory=list)


def post_rows(
    rows: list[RemittanceRow],
    claims: tuple[Claim, ...],
    invoice_of: dict[str, str],
    taken_invoices: set[str],
    posted_keys: set[str],
    as_of: dt.date,
    terms_days: int,
    held: dict[str, str] | None = None,
) -> Posting:
    """Post the claim rows marked Post and not posted yet. invoice_of: Claim ID (casefolded) -> its invoice;
    taken_invoices: Invoice Nos in use (casefolded); posted_keys: Bank Transaction IDs on Payments (casefolded);
    held: Claim ID (casefolded) -> why its patient's rows wait (validation errors on them)."""
    by_id = {c.claim_id.casefold(): c for c in claims}
    out = Posting()
    invoice_of = dict(invoice_of)
    for r in rows:
        if r.kind != CLAIM or not r.post or r.posted is not None:
            out.rows.append(r)
            continue
        claim = by_id.get((r.claim_id or "").casefold())
        why = _cannot_post(r, claim, posted_keys, invoice_of) or (held or {}).get((r.claim_id or "").casefold())
        if why:
            out.not_posted.append((r, why))
            out.rows.append(r)
            continue
        key = claim.claim_id.casefold()
        _, state = out.claims.get(key) or (claim, claim_state(claim))
        day = r.payment_date or as_of
        ref = f"{r.payer} {r.trace}".strip()
        invoice = invoice_of.get(key)
        if r.status_after == DENIED:
            state.status, state.denial_date, state.denial_codes = DENIED, day, r.denial_codes
            what = f"denied: {'; '.join(r.denial_codes) or 'no code'}"
        else:
            if invoice is None:
                invoice = _new_invoice_no(claim.claim_id, taken_invoices)
                invoice_of[key] = invoice
                out.invoices.append(
                    {
                        "Invoice No": invoice,
                        "Customer ID": claim.patient_account,
                        "Invoice Date": claim.date_of_service or day,
                        "Due Date": day + dt.timedelta(days=terms_days),
                        "Amount": r.billed,
                        "Description": f"Claim {claim.claim_id}"
                        + (f", date of service {claim.date_of_service.isoformat()}" if claim.date_of_service else ""),
                        "Claim ID": claim.claim_id,
                    }
                )
            secondary = r.status_code in (PROCESSED_SECONDARY, PROCESSED_TERTIARY)
            what = _money_rows(out, r, claim, invoice, day, ref, secondary)
            state.insurance_paid += r.paid or 0
            if r.status_after == PENDING:  # reversed: the corrected claim will say what the patient owes
                state.status, state.patient_responsibility, state.allowed = PENDING, None, None
            else:
                state.status = r.status_after
                state.patient_responsibility = r.patient_resp or 0
                state.allowed = state.insurance_paid + state.patient_responsibility
                if r.denial_codes:  # lines paid nothing; an earlier denial's date and codes stay otherwise
                    state.denial_codes, state.denial_date = r.denial_codes, day
        if r.paid and r.paid > 0 and r.status_after != DENIED:
            posted_keys.add(posting_key(r.trace, r.payer_claim_id).casefold())
        out.claims[key] = (claim, state)
        out.rows.append(mark_posted(r, as_of))
        out.posted.append(
            {
                "trace": r.trace,
                "claim_id": claim.claim_id,
                "status": state.status,
                "invoice": invoice,
                "paid": r.paid,
                "patient_responsibility": state.patient_responsibility,
                "what": what,
            }
        )
    return out


def _cannot_post(r: RemittanceRow, claim: Claim | None, posted_keys: set[str], invoice_of) -> str | None:
    if not r.claim_id:
        return "no Claim ID: type the workbook's Claim ID on the Remittance row, or clear Post"
    if claim is None:
        return f"claim {r.claim_id} is not on Claims"
    if r.paid and r.paid > 0 and posting_key(r.trace, r.payer_claim_id).casefold() in posted_keys:
        return "already posted (its payment is on Payments): not posted twice"
    if r.status_after == PENDING and claim.claim_id.casefold() not in invoice_of:
        return "a reversal, and the claim has no invoice to reverse on"
    if r.paid is None or r.billed is None:
        return "no Paid or Billed figure on the row"
    return None


def claim_state(claim: Claim) -> ClaimState:
    """A claim's cells as the Claims sheet holds them now."""
    return ClaimState(
        claim.status,
        claim.insurance_paid or 0,
        claim.allowed,
        claim.patient_responsibility,
        claim.denial_date,
        claim.denial_codes,
    )


def _new_invoice_no(claim_id: str, taken: set[str]) -> str:
    no, n = claim_id, 1
    while no.casefold() in taken:
        n += 1
        no = f"{claim_id}-{n}"
    taken.add(no.casefold())
    return no


def _money_rows(out: Posting, r: RemittanceRow, claim: Claim, invoice: str, day, ref: str, secondary: bool) -> str:
    """The Payments and Adjustments rows of one claim payment; returns what was posted, in words."""
    said = []
    customer, base = claim.patient_account, f"ERA-{r.trace}-{r.payer_claim_id}"
    if r.paid:
        if r.paid > 0:
            out.payments.append(
                {
                    "Payment ID": base,
                    "Customer ID": customer,
                    "Payment Date": day,
                    "Amount": r.paid,
                    "Method": "Other",
                    "Reference": ref[:250],
                    "Applied To": invoice,
                    "Bank Transaction ID": posting_key(r.trace, r.payer_claim_id),
                    "Notes": f"insurance payment, claim {claim.claim_id}",
                }
            )
            said.append(f"payment {format_cents(r.paid)}")
        else:
            out.adjustments.append(
                _adjustment(f"{base}-R", customer, invoice, day, "Returned Payment", -r.paid, f"reversed by {ref}")
            )
            said.append(f"payment {format_cents(-r.paid)} returned")
    # A secondary (or tertiary) payer's OA adjustments are the earlier payer's part (OA-23): already posted from
    # that payer's remittance, never written off again. Its own CO and PI are.
    groups = ("CO", "PI") if secondary else WRITE_OFF_GROUPS
    for n, (group, code, amount) in enumerate(r.adjustments, start=1):
        if group not in groups or not amount:
            continue
        kind, why = ("Write-off", "insurance adjustment") if amount > 0 else ("Other", "insurance adjustment reversed")
        out.adjustments.append(
            _adjustment(f"{base}-{n}", customer, invoice, day, kind, abs(amount), f"{why} {group}-{code}, {ref}")
        )
        said.append(f"{kind.lower()} {group}-{code} {format_cents(abs(amount))}")
    if r.patient_resp:
        said.append(f"patient owes {format_cents(r.patient_resp)}")
    if secondary:
        said.append("as a later payer: its OA adjustments (the earlier payer's part) are not written off")
    return ", ".join(said) or "nothing to post"


def _adjustment(aid, customer, invoice, day, kind, cents, reason) -> dict:
    return {
        "Adjustment ID": aid,
        "Customer ID": customer,
        "Invoice No": invoice,
        "Date": day,
        "Type": kind,
        "Amount": cents,
        "Reason": reason[:250],
    }


def posted_claims(rows: list[RemittanceRow]) -> set[str]:
    """Claim IDs (casefolded) whose last posted row on the sheet paid or denied them (not a reversal)."""
    state: dict[str, bool] = {}
    for r in rows:
        if r.kind == CLAIM and r.posted is not None and r.claim_id:
            state[r.claim_id.casefold()] = r.status_after != PENDING
    return {k for k, v in state.items() if v}
