"""X12 835 (005010X221A1) remittance files read into core.remittance records.

Whatever delimiters the ISA declares (element separator at its 4th character, component separator in ISA16, the
segment terminator right after it), or, without an envelope, those the ST segment shows; several ST/SE
transactions in one file, one Remittance each. Segments may end with a newline or not. Money becomes cents
exactly (Decimal), dates are CCYYMMDD. A file that is not an 835 or cannot be read exactly raises
RemittanceFileError naming the file and the segment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from billing_addin.core.money import to_cents
from billing_addin.core.remittance import Adjustment, ClaimPayment, ProviderAdjustment, Remittance, ServiceLine

MAX_BYTES = 50 * 2**20  # an 835 of 10,000 claims is a few MB; anything far larger is not one


class RemittanceFileError(ValueError):
    """An 835 that cannot be read exactly; the message names the file, the segment and the fix."""


def read_835(path: str | Path) -> list[Remittance]:
    path = Path(path)
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise RemittanceFileError(f"{path.name} is {len(data) // 2**20} MB: not an 835 remittance file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return parse_835(text, path.name)


def _delimiters(text: str, name: str) -> tuple[str, str, str]:
    """(element separator, component separator, segment terminator)."""
    start = text.lstrip()
    if start.startswith("ISA"):
        if len(start) < 106:
            raise RemittanceFileError(f"{name}: the ISA segment is cut short; the file is damaged.")
        return start[3], start[104], start[105]
    if start.startswith("ST"):
        element = start[2]
        rest = start[3:]
        end = next((c for c in ("~", "\n") if c in rest), None)
        if end is None:
            raise RemittanceFileError(f"{name}: no segment terminator after ST; is this an 835 file?")
        return element, ":", end
    raise RemittanceFileError(f"{name} does not start with ISA or ST: it is not an X12 835 remittance file.")


def parse_835(text: str, name: str = "") -> list[Remittance]:
    element, component, terminator = _delimiters(text, name)
    segments = [s.strip("\r\n ").split(element) for s in text.split(terminator)]
    segments = [s for s in segments if s and s[0]]
    if not any(s[0] == "ST" and len(s) > 1 and s[1] == "835" for s in segments):
        raise RemittanceFileError(f"{name} has no ST*835 transaction: it is not a remittance (835) file.")
    out: list[Remittance] = []
    current: list[list[str]] | None = None
    for seg in segments:
        if seg[0] == "ST":
            current = [seg]
        elif current is not None:
            current.append(seg)
            if seg[0] == "SE":
                out.append(_transaction(current, component, name))
                current = None
    if current is not None:
        raise RemittanceFileError(f"{name}: the last transaction has no SE segment; the file is cut short.")
    return out


def _get(seg: list[str], i: int) -> str:
    return seg[i].strip() if len(seg) > i else ""


def _cents(value: str, seg: list[str], name: str) -> int:
    if not value:
        return 0
    try:
        return to_cents(Decimal(value))
    except (InvalidOperation, ValueError) as e:
        raise RemittanceFileError(f"{name}: {value!r} in segment {'*'.join(seg[:3])}... is not an amount.") from e


def _date(value: str) -> dt.date | None:
    """CCYYMMDD; None when blank or not a date (strptime cost a tenth of a second per 10,000 claims)."""
    if len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _adjustments(seg: list[str], name: str) -> list[Adjustment]:
    """CAS*group*code*amount*quantity*code*amount*quantity...: up to six reasons in one segment."""
    group, out = _get(seg, 1), []
    for k in range(2, len(seg), 3):
        code = _get(seg, k)
        if code:
            out.append(Adjustment(group, code, _cents(_get(seg, k + 1), seg, name), _get(seg, k + 2) or None))
    return out


def _transaction(segs: list[list[str]], component: str, name: str) -> Remittance:
    trace = payer = payee = method = ""
    payer_id = None
    total, paid_on = 0, None
    claims: list[ClaimPayment] = []
    plb: list[ProviderAdjustment] = []
    claim: dict | None = None
    line: dict | None = None

    def close_line():
        nonlocal line
        if line is not None and claim is not None:
            claim["lines"].append(ServiceLine(**line))
        line = None

    def close_claim():
        nonlocal claim
        close_line()
        if claim is not None:
            dates = [ln.date for ln in claim["lines"] if ln.date]
            claim["service_date"] = claim["service_date"] or (min(dates) if dates else None)
            claims.append(
                ClaimPayment(
                    **{
                        **claim,
                        "adjustments": tuple(claim["adjustments"]),
                        "lines": tuple(claim["lines"]),
                        "remarks": tuple(dict.fromkeys(claim["remarks"])),
                    }
                )
            )
        claim = None

    for seg in segs:
        tag = seg[0]
        if tag == "BPR":
            total, method, paid_on = _cents(_get(seg, 2), seg, name), _get(seg, 4), _date(_get(seg, 16))
        elif tag == "TRN":
            trace = _get(seg, 2)
        elif tag == "N1" and claim is None:
            if _get(seg, 1) == "PR":
                payer = _get(seg, 2)
            elif _get(seg, 1) == "PE":
                payee = _get(seg, 2)
        elif tag == "REF" and claim is None and _get(seg, 1) == "2U":
            payer_id = _get(seg, 2)
        elif tag == "CLP":
            close_claim()
            claim = {
                "claim_id": _get(seg, 1),
                "status_code": _get(seg, 2),
                "billed": _cents(_get(seg, 3), seg, name),
                "paid": _cents(_get(seg, 4), seg, name),
                "patient_responsibility": _cents(_get(seg, 5), seg, name),
                "payer_claim_ref": _get(seg, 7) or None,
                "member_id": None,
                "service_date": None,
                "adjustments": [],
                "lines": [],
                "remarks": [],
            }
        elif tag == "NM1" and claim is not None and _get(seg, 1) in ("QC", "IL") and _get(seg, 9):
            claim["member_id"] = claim["member_id"] or _get(seg, 9)  # the patient's (QC) first, else the insured's
        elif tag == "DTM" and claim is not None:
            day = _date(_get(seg, 2))
            if line is not None and _get(seg, 1) in ("472", "150"):
                line["date"] = line["date"] or day
            elif line is None and _get(seg, 1) == "232":
                claim["service_date"] = day
        elif tag == "SVC" and claim is not None:
            close_line()
            line = {
                "procedure": _get(seg, 1).replace(component, ":"),
                "billed": _cents(_get(seg, 2), seg, name),
                "paid": _cents(_get(seg, 3), seg, name),
                "units": _get(seg, 5) or None,
                "date": None,
                "adjustments": (),
                "remarks": (),
            }
        elif tag == "CAS" and claim is not None:
            found = _adjustments(seg, name)
            if line is not None:
                line["adjustments"] = (*line["adjustments"], *found)
            else:
                claim["adjustments"].extend(found)
        elif tag == "LQ" and line is not None and _get(seg, 1) == "HE" and _get(seg, 2):
            line["remarks"] = (*line["remarks"], _get(seg, 2))  # a remark code on the service line
        elif tag in ("MOA", "MIA") and claim is not None:
            # Claim-level remark codes: MOA03-07 (outpatient), MIA05 and MIA20-23 (inpatient).
            places = range(3, 8) if tag == "MOA" else (5, 20, 21, 22, 23)
            claim["remarks"].extend(_get(seg, k) for k in places if _get(seg, k))
        elif tag == "PLB":
            close_claim()
            for k in range(3, len(seg), 2):
                reason, _, ref = _get(seg, k).partition(component)
                if reason:
                    plb.append(
                        ProviderAdjustment(
                            _get(seg, 1), _date(_get(seg, 2)), reason, ref or None, _cents(_get(seg, k + 1), seg, name)
                        )
                    )
        elif tag == "SE":
            close_claim()
    if not trace:
        raise RemittanceFileError(
            f"{name}: a transaction has no TRN trace number, so it could be posted twice; ask the payer for a complete file."
        )
    return Remittance(trace, payer, payer_id, payee, total, method, paid_on, tuple(claims), tuple(plb), name)
