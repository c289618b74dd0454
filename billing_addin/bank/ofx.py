"""OFX and QFX files, the SGML flavour (OFX 1.x: `OFXHEADER:100` and leaf elements without end tags) and the XML
flavour (OFX 2.x: `<?OFX OFXHEADER="200"?>`), read into BankLines.

Each STMTTRN of a bank (STMTRS) or card (CCSTMTRS) statement is a line: DTPOSTED as its date, TRNAMT as its signed
amount, FITID as its transaction id, NAME (or PAYEE/NAME) as payer, MEMO, REFNUM and CHECKNUM as its reference, the
statement's CURDEF as currency unless the transaction names its own (CURRENCY/CURSYM). The XML flavour is parsed
with defusedxml; the SGML flavour by a small tokenizer here (no parser, no entities beyond &amp; and its kind).
"""

from __future__ import annotations

import bisect
import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from billing_addin.bank.statement import BankFileError, Statement, main_currency
from billing_addin.bank.values import BadValue, exact_cents
from billing_addin.bank.xml_files import child, descendants, local, parse_xml, text
from billing_addin.core.bank_lines import BankLine

_TAG = re.compile(r"<(/?)([A-Za-z0-9_.]+)\s*>([^<]*)")
_HEADER_LINE = re.compile(r"^\s*([A-Z]+)\s*:\s*(.*?)\s*$")
_CHARSETS = {"1252": "cp1252", "8859-1": "latin-1", "ISO-8859-1": "latin-1", "UTF-8": "utf-8", "NONE": "cp1252"}
_DAY = re.compile(r"(\d{4})(\d{2})(\d{2})")
FIX = "The file is damaged or not a complete download: download it again from the bank."


def read_ofx(path: Path, source: str) -> Statement:
    with path.open("rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml"):
        root, lines = parse_xml(path, source)
        if local(root.tag) != "OFX":
            raise BankFileError(source, f"is XML whose root is <{local(root.tag)}>, not <OFX>", FIX)
    else:
        root, lines = _sgml(path.read_bytes(), source)
    return _statement(root, lines, source)


def _decode(data: bytes) -> tuple[str, str]:
    """The text of an SGML OFX file, and its body (after the header lines)."""
    start = data.find(b"<")
    header = data[: start if start >= 0 else len(data)].decode("latin-1")
    fields = dict(m.groups() for line in header.splitlines() if (m := _HEADER_LINE.match(line)))
    declared = []
    if fields.get("ENCODING", "").upper().replace("-", "") == "UTF8":
        declared.append("utf-8")
    if fields.get("CHARSET", "").upper() in _CHARSETS:
        declared.append(_CHARSETS[fields["CHARSET"].upper()])
    for encoding in (*declared, "utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding).lstrip("\ufeff"), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes anything")  # pragma: no cover


def _sgml(data: bytes, source: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """A tree of an SGML OFX body: a tag followed by text is a leaf (its end tag optional), a tag followed by
    another tag an aggregate, closed by its end tag (which also closes any element left open inside it)."""
    body, _ = _decode(data)
    newlines = [m.start() for m in re.finditer("\n", body)]
    root = ET.Element("ROOT")
    stack = [root]
    lines: dict[ET.Element, int] = {}
    for m in _TAG.finditer(body):
        closing, name, value = m[1], m[2].upper(), m[3].strip()
        if closing:
            for k in range(len(stack) - 1, 0, -1):
                if stack[k].tag == name:
                    del stack[k:]
                    break
            continue  # else the end tag of a leaf (<NAME>x</NAME>), already closed
        elem = ET.SubElement(stack[-1], name)
        lines[elem] = bisect.bisect_left(newlines, m.start()) + 1
        if value:
            elem.text = html.unescape(value)
        else:
            stack.append(elem)
    ofx = child(root, "OFX")
    if ofx is None:
        raise BankFileError(source, "has an OFX header but no <OFX> element", FIX)
    return ofx, lines


def _first(elem: ET.Element, name: str) -> ET.Element | None:
    return next(descendants(elem, name), None)


def _value(elem: ET.Element, name: str) -> str:
    found = _first(elem, name)
    return text(found) if found is not None else ""


def _statement(root: ET.Element, lines: dict[ET.Element, int], source: str) -> Statement:
    out: list[BankLine] = []
    account = currency = ""
    statements = [e for e in root.iter() if local(e.tag) in ("STMTRS", "CCSTMTRS")]
    if not statements:
        raise BankFileError(
            source,
            "holds no bank or card statement (no STMTRS or CCSTMTRS)",
            "Download the account's transactions (not an investment or a bill-pay file) from the bank.",
        )
    for rs in statements:
        curdef = _value(rs, "CURDEF").upper() or None
        currency = currency or (curdef or "")
        acct_from = _first(rs, "BANKACCTFROM")
        acct_from = _first(rs, "CCACCTFROM") if acct_from is None else acct_from
        account = account or (_value(acct_from, "ACCTID") if acct_from is not None else "")
        for trn in descendants(rs, "STMTTRN"):
            out.append(_line(trn, lines, source, len(out) + 1, curdef))
    return Statement(
        format="ofx",
        lines=tuple(out),
        currency=currency or main_currency(x.currency for x in out),
        source=source,
        account=account,
    )


def _line(trn: ET.Element, lines: dict[ET.Element, int], source: str, n: int, curdef: str | None) -> BankLine:
    fitid = _value(trn, "FITID")

    def fail(elem: ET.Element | None, problem: str) -> BankFileError:
        where = f"transaction {n}" + (f" (FITID {fitid})" if fitid else "")
        line = lines.get(elem) if elem is not None else lines.get(trn)
        return BankFileError(source, f"{where}: {problem}", FIX, line=line)

    posted = _first(trn, "DTPOSTED")
    day = _DAY.match(text(posted)) if posted is not None else None
    if day is None:
        raise fail(posted, f"DTPOSTED {text(posted)!r} is not a date" if posted is not None else "has no DTPOSTED")
    try:
        date = dt.date(int(day[1]), int(day[2]), int(day[3]))
    except ValueError:
        raise fail(posted, f"DTPOSTED {text(posted)!r} is not a real date") from None
    amount_el = _first(trn, "TRNAMT")
    if amount_el is None:
        raise fail(None, "has no TRNAMT")
    try:
        amount = exact_cents(text(amount_el))
    except BadValue as e:
        raise fail(amount_el, f"TRNAMT {e}") from None
    cursym = _first(trn, "CURSYM")
    currency = text(cursym).upper() if cursym is not None and local(_parent_tag(trn, cursym)) == "CURRENCY" else ""
    reference: list[str] = []
    for name in ("MEMO", "REFNUM", "CHECKNUM"):
        v = _value(trn, name)
        if v and v not in reference:
            reference.append(v)
    to = _first(trn, "BANKACCTTO")
    to = _first(trn, "CCACCTTO") if to is None else to
    return BankLine(
        line=n,
        date=date,
        amount=amount,
        currency=currency or curdef,
        reference=" | ".join(reference),
        payer=_value(trn, "NAME"),
        account=_value(to, "ACCTID") if to is not None else "",
        transaction_id=fitid or None,
        source=source,
    )


def _parent_tag(top: ET.Element, target: ET.Element) -> str:
    for parent in top.iter():
        if any(c is target for c in parent):
            return parent.tag
    return ""
