"""ISO 20022 bank-to-customer files: camt.053 (statement), camt.054 (debit/credit notification) and camt.052
(account report), any version (camt.05x.001.02 to .13), read into BankLines.

Each entry (Ntry) is a line: its amount (Amt and its Ccy) signed by CdtDbtInd, its booking date (BookgDt, else
ValDt), the bank's reference (AcctSvcrRef, else NtryRef) as transaction id. From the transaction details (TxDtls):
the remittance information (RmtInf/Ustrd, and Strd/CdtrRefInf/Ref and RfrdDocInf/Nb) and the EndToEndId as the
reference, the other party's name (Dbtr for money in, Cdtr for money out) as payer, and its IBAN as account. A
batch entry whose details each carry an amount adding up to the entry is read as one line per transaction.
Entries not booked (Sts PDNG or INFO) are not money yet: left out, and named in the statement's notes.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from billing_addin.bank.statement import BankFileError, Statement, main_currency, some_lines
from billing_addin.bank.values import BadValue, exact_cents
from billing_addin.bank.xml_files import child, children, descendants, local, namespace, text
from billing_addin.core.bank_lines import BankLine

CONTAINERS = {  # message element -> (format, report element)
    "BkToCstmrStmt": ("camt.053", "Stmt"),
    "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn"),
    "BkToCstmrAcctRpt": ("camt.052", "Rpt"),
}
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF"}


def camt_format(root: ET.Element) -> str | None:
    """'camt.053' etc. for a camt document (by its namespace, else its message element), None otherwise."""
    m = re.search(r"camt\.05[234]", namespace(root.tag))
    if m:
        return m.group()
    message = next(iter(root), None) if local(root.tag) == "Document" else root
    return CONTAINERS[local(message.tag)][0] if message is not None and local(message.tag) in CONTAINERS else None


def read_camt(root: ET.Element, lines: dict[ET.Element, int], source: str) -> Statement:
    fmt = camt_format(root) or "camt.053"
    message = root if local(root.tag) in CONTAINERS else next(iter(root), None)
    if message is None or local(message.tag) not in CONTAINERS:
        raise BankFileError(
            source,
            f"is a {fmt} file without a {', '.join(CONTAINERS)} message",
            "Download the statement again from the bank.",
        )
    report_name = CONTAINERS[local(message.tag)][1]
    out: list[BankLine] = []
    skipped: dict[str, list[int]] = {}
    account = currency = ""
    for report in children(message, report_name):
        acct = child(report, "Acct")
        account = account or text(acct, "Id", "IBAN") or text(acct, "Id", "Othr", "Id")
        currency = currency or text(acct, "Ccy")
        for entry in children(report, "Ntry"):
            line = lines.get(entry)
            status = text(entry, "Sts") or text(entry, "Sts", "Cd")
            if status and status.upper() not in ("BOOK", "BOOKED"):
                skipped.setdefault(f"status {status}, not booked", []).append(line or 0)
                continue
            out.extend(_entry(entry, lines, source, len(out) + 1))
    notes = tuple(
        f"{len(n)} entr{'ies' if len(n) > 1 else 'y'} not read ({reason}): {some_lines(n)}"
        for reason, n in skipped.items()
    )
    return Statement(
        format=fmt,
        lines=tuple(out),
        currency=currency or main_currency(x.currency for x in out),
        source=source,
        account=account,
        notes=notes,
    )


def _fail(source: str, elem: ET.Element | None, lines: dict, problem: str) -> BankFileError:
    return BankFileError(
        source, problem, "The file is damaged or not a bank's camt file: download it again.", line=lines.get(elem)
    )


def _amount(elem: ET.Element | None, source: str, lines: dict) -> tuple[int, str | None]:
    try:
        return exact_cents(text(elem)), (elem.get("Ccy") if elem is not None else None)
    except BadValue as e:
        raise _fail(source, elem, lines, f"the amount {e}") from None


def _sign(indicator: str, elem: ET.Element, source: str, lines: dict) -> int:
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    raise _fail(source, elem, lines, f"CdtDbtInd is {indicator!r}, not CRDT or DBIT")


def _day(elem: ET.Element | None) -> str:
    return text(elem, "Dt") or text(elem, "DtTm")[:10]


def _party(tx: ET.Element | None, role: str) -> tuple[str, str]:
    """(name, account) of the debtor or creditor of a transaction (Nm directly or under Pty, by version)."""
    parties = child(tx, "RltdPties")
    party = child(parties, role)
    name = text(party, "Nm") or text(party, "Pty", "Nm")
    if not name:
        ultimate = child(parties, "Ultmt" + role)
        name = text(ultimate, "Nm") or text(ultimate, "Pty", "Nm")
    acct = child(parties, role + "Acct")
    return name, text(acct, "Id", "IBAN") or text(acct, "Id", "Othr", "Id")


def _references(tx: ET.Element) -> list[str]:
    """What a transaction shows to match on: unstructured remittance, structured references, end-to-end id."""
    out: list[str] = []
    rmt = child(tx, "RmtInf")
    ustrd = " ".join(t for e in children(rmt, "Ustrd") if (t := text(e)))
    parts = [ustrd]
    for strd in children(rmt, "Strd"):
        parts += [text(e) for e in descendants(strd, "Ref")]
        parts += [text(e) for e in descendants(strd, "Nb")]
        parts += [text(e) for e in children(strd, "AddtlRmtInf")]
    parts.append(text(tx, "Refs", "EndToEndId"))
    for p in parts:
        if p and p.upper() not in _NOT_PROVIDED and p not in out:
            out.append(p)
    return out


def _tx_id(tx: ET.Element | None) -> str:
    return text(tx, "Refs", "AcctSvcrRef") or text(tx, "Refs", "TxId")


def _entry(entry: ET.Element, lines: dict, source: str, first: int) -> list[BankLine]:
    amt_el = child(entry, "Amt")
    if amt_el is None:
        raise _fail(source, entry, lines, "an entry (Ntry) has no amount (Amt)")
    cents, ccy = _amount(amt_el, source, lines)
    sign = _sign(text(entry, "CdtDbtInd"), entry, source, lines)
    day = _day(child(entry, "BookgDt")) or _day(child(entry, "ValDt"))
    m = _ISO_DAY.match(day)
    if m is None:
        raise _fail(source, entry, lines, f"an entry has no booking or value date (BookgDt {day!r})")
    try:
        date = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise _fail(source, entry, lines, f"the booking date {day!r} is not a real date") from None
    entry_id = text(entry, "AcctSvcrRef") or text(entry, "NtryRef")
    txs = [tx for details in children(entry, "NtryDtls") for tx in children(details, "TxDtls")]
    role = "Dbtr" if sign > 0 else "Cdtr"
    extra = text(entry, "AddtlNtryInf")

    def tx_amount(tx: ET.Element) -> tuple[int, str | None] | None:
        el = child(tx, "AmtDtls", "TxAmt", "Amt")
        el = child(tx, "Amt") if el is None else el
        if el is None:
            return None
        value, c = _amount(el, source, lines)
        ind = text(tx, "CdtDbtInd")
        return value * (_sign(ind, tx, source, lines) if ind else sign), c

    if len(txs) > 1:
        amounts = [tx_amount(tx) for tx in txs]
        if all(a is not None and a[1] in (None, ccy) for a in amounts) and sum(a[0] for a in amounts) == sign * cents:  # type: ignore[index]
            out = []
            for k, (tx, a) in enumerate(zip(txs, amounts, strict=True)):
                payer, account = _party(tx, "Dbtr" if a[0] > 0 else "Cdtr")  # type: ignore[index]
                out.append(
                    BankLine(
                        line=first + k,
                        date=date,
                        amount=a[0],  # type: ignore[index]
                        currency=ccy,
                        reference=" | ".join(_references(tx)),
                        payer=payer,
                        account=account,
                        transaction_id=_tx_id(tx) or (f"{entry_id}/{k + 1}" if entry_id else None),
                        source=source,
                    )
                )
            return out
    references: list[str] = []
    payer = account = ""
    for tx in txs:
        references += [r for r in _references(tx) if r not in references]
        name, acct = _party(tx, role)
        payer, account = payer or name, account or acct
    if not references and extra:
        references.append(extra)
    return [
        BankLine(
            line=first,
            date=date,
            amount=sign * cents,
            currency=ccy,
            reference=" | ".join(references),
            payer=payer,
            account=account,
            transaction_id=text(entry, "AcctSvcrRef")
            or (_tx_id(txs[0]) if len(txs) == 1 else "")
            or text(entry, "NtryRef")
            or None,
            source=source,
        )
    ]
