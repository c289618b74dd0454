"""SWIFT MT940 statements read into BankLines, by a parser of its own so that every error names its line (the
mt-940 library, BSD-3-Clause, was tried: on a :61: it cannot read it raises a RuntimeError without the line and
prints its regular expressions to the console, and it runs the ?32 name and ?31 account of a German :86: together).

Each :61: statement line is a line: the entry date (else the value date) as its date, the amount signed by its mark
(C, D, and RC/RD for a reversal), the bank's reference (after //) as its transaction id; the :86: that follows it
gives the reference, payer and account, read from the German ?20-?29/?32/?31 subfields (with SEPA EREF+/SVWZ+),
the /REMI/ /NAME/ /IBAN/ /CNTP/ tags some banks write, or free text. The currency is the opening balance's (:60F:).
Several statements in one file (and SWIFT {1:}{2:}{4: blocks) are read one after the other.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from billing_addin.bank.statement import BankFileError, Statement, main_currency
from billing_addin.core.bank_lines import BankLine
from billing_addin.core.money import to_cents

_FIELD = re.compile(r":(\d{2}[A-Z]?):(.*)")
_BLOCKS = re.compile(r"^(?:\{[1-3]:(?:[^{}]|\{[^{}]*\})*\})*\{4:\s*")
_LINE61 = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>R?[CD])(?P<funds>[A-Z])?(?P<amount>\d{1,15}(?:[,.]\d{0,2})?)"
    r"(?P<type>[NFS][A-Z0-9]{3})?(?P<ref>(?:(?!//).)*)(?://(?P<bankref>.*))?"
)
_BALANCE = re.compile(r"[CD]\d{6}([A-Z]{3})")
_GERMAN = re.compile(r"(\d{3})(\?)(?=\d\d)")
_SEPA_TAG = re.compile(r"\b(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")
_SWIFT_TAGS = (
    "TRTP|EREF|REMI|NAME|IBAN|BIC|CNTP|ORDP|BENM|MARF|CSID|PREF|RTRN|PURP|ULTC|ULTD|ULTB|BUSP|TRCD|ADDR|ISDT|CODE"
)
_SWIFT = re.compile(rf"/({_SWIFT_TAGS})/")
_NONE = {"", "NONREF", "NOTPROVIDED", "NONE"}
FIX = "The file is damaged or not an MT940 statement: download it again from the bank."


def looks_like_mt940(head: str) -> bool:
    return bool(_BLOCKS.match(head.lstrip())) or (
        re.search(r"^:20:", head, re.M) is not None and re.search(r"^:(25|28C|60F|60M|61):", head, re.M) is not None
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes anything")  # pragma: no cover


def _fields(body: str) -> list[tuple[str, list[str], int]]:
    """(tag, its lines, the line it starts on) in file order; text before the first tag is ignored."""
    out: list[tuple[str, list[str], int]] = []
    for number, raw in enumerate(body.splitlines(), start=1):
        line = _BLOCKS.sub("", raw.rstrip()) if raw.startswith("{") else raw.rstrip()
        if line in ("-", "-}") or line.startswith(("-}", "{5:")):
            out.append(("-", [], number))
            continue
        m = _FIELD.match(line)
        if m:
            out.append((m[1], [m[2]], number))
        elif out and out[-1][0] != "-" and line:
            out[-1][1].append(line)
    return out


def read_mt940(path: Path, source: str) -> Statement:
    fields = _fields(_decode(path.read_bytes()))
    items: list[dict] = []
    currency: str | None = None
    account = first_currency = ""
    waiting = False  # the last field was a :61:, so a :86: now belongs to it
    for tag, value, number in fields:
        if tag == "20":
            currency = None
        elif tag == "25":
            account = account or value[0].strip()
        elif tag in ("60F", "60M"):
            m = _BALANCE.match(value[0].strip())
            if m is None:
                raise BankFileError(
                    source, f"the opening balance :{tag}: {value[0]!r} cannot be read", FIX, line=number
                )
            currency = m[1]
            first_currency = first_currency or currency
        elif tag == "61":
            items.append(_statement_line(value, number, source) | {"currency": currency})
        elif tag == "86" and waiting:
            items[-1]["info"] = value
        waiting = tag == "61"
    out = [_line(item, source, n) for n, item in enumerate(items, start=1)]
    if not out and not any(tag in ("20", "60F", "60M", "61") for tag, _, _ in fields):
        raise BankFileError(source, "has no MT940 statement (no :20: and :61: fields)", FIX)
    return Statement(
        format="mt940",
        lines=tuple(out),
        currency=first_currency or main_currency(x.currency for x in out),
        source=source,
        account=account,
    )


def _statement_line(value: list[str], number: int, source: str) -> dict:
    first = value[0].strip()
    m = _LINE61.fullmatch(first)
    if m is None:
        raise BankFileError(
            source,
            f"the statement line :61:{first} cannot be read (expected value date YYMMDD, optional entry date MMDD, "
            "C or D, the amount with a decimal comma, the transaction type)",
            FIX,
            line=number,
        )
    year, month, day = int(m["value"][:2]), int(m["value"][2:4]), int(m["value"][4:6])
    year += 2000 if year < 80 else 1900
    try:
        value_date = dt.date(year, month, day)
        date = value_date
        if m["entry"]:
            em, ed = int(m["entry"][:2]), int(m["entry"][2:])
            ey = year - 1 if em == 12 and month == 1 else year + 1 if em == 1 and month == 12 else year
            date = dt.date(ey, em, ed)
    except ValueError:
        raise BankFileError(source, f"the statement line :61:{first} has no real date", FIX, line=number) from None
    cents = to_cents(m["amount"].replace(",", "."))
    mark = m["mark"]
    sign = -1 if mark in ("D", "RC") else 1
    return {
        "number": number,
        "date": date,
        "amount": sign * cents,
        "customer_ref": m["ref"].strip(),
        "bank_ref": (m["bankref"] or "").strip(),
        "supplementary": " ".join(v.strip() for v in value[1:] if v.strip()),
        "info": [],
    }


def _join_pieces(pieces: list[str], width: int = 27) -> str:
    """German subfields are pieces of one text cut every 27 characters: a full piece runs on into the next one
    (no space), a shorter one ended a word. A SEPA tag (EREF+, SVWZ+) always starts a new word."""
    out, prev = "", None
    for piece in pieces:
        if prev is not None and (len(prev) < width or _SEPA_TAG.match(piece)):
            out += " "
        out += piece
        prev = piece
    return out


def _german(text: str) -> tuple[str, str, str] | None:
    """(reference, payer, account) from a ?-subfield :86: (GVC code, ?00 posting text, ?20-?29 and ?60-?63
    purpose, ?30/?31 bank and account, ?32/?33 name), or None when it is not one."""
    m = _GERMAN.match(text)
    if m is None:
        return None
    parts = re.split(r"\?(\d\d)", text[3:])
    sub: dict[int, list[str]] = {}
    for code, piece in zip(parts[1::2], parts[2::2], strict=False):
        sub.setdefault(int(code), []).append(piece)
    purpose = _join_pieces([p for c in (*range(20, 30), *range(60, 64)) for p in sub.get(c, [])])
    name = _join_pieces([p for c in (32, 33) for p in sub.get(c, [])])
    account = "".join(sub.get(31, []) or sub.get(38, [])).strip()
    reference = _sepa(purpose)
    return reference, name.strip(), account


def _sepa(purpose: str) -> str:
    """'EREF+INV-1 SVWZ+Rechnung INV-1' -> 'Rechnung INV-1 | INV-1' (remittance first, then the end-to-end id);
    text without SEPA tags as it is."""
    pieces = _SEPA_TAG.split(purpose)
    if len(pieces) < 3:
        return purpose.strip()
    tags = dict(zip(pieces[1::2], (p.strip() for p in pieces[2::2]), strict=False))
    out = [v for k in ("SVWZ", "EREF", "KREF") if (v := tags.get(k, "")) and v.upper() not in _NONE]
    lead = pieces[0].strip()
    return " | ".join(([lead] if lead else []) + out)


def _swift(text: str) -> tuple[str, str, str] | None:
    """(reference, payer, account) from /TAG/value fields (/EREF/, /REMI/, /NAME/, /IBAN/, /CNTP/), or None."""
    pieces = _SWIFT.split(text)
    if len(pieces) < 3 or pieces[0].strip():
        return None
    tags: dict[str, str] = {}
    for k, v in zip(pieces[1::2], pieces[2::2], strict=False):
        tags.setdefault(k, v.strip("/ "))
    remi = re.sub(r"^(USTD|STRD/CUR|STRD/[A-Z]+)//?", "", tags.get("REMI", ""))
    cntp = tags.get("CNTP", "").split("/")
    payer = tags.get("NAME", "") or (cntp[2] if len(cntp) > 2 else "")
    account = tags.get("IBAN", "") or (cntp[0] if cntp else "")
    reference = [v for v in (remi, tags.get("EREF", "")) if v and v.upper() not in _NONE]
    return " | ".join(reference), payer.strip(), account.strip()


def _line(item: dict, source: str, n: int) -> BankLine:
    info = item["info"]
    joined = "".join(info)
    found = _german(joined) or _swift(joined)
    if found is None:
        reference, payer, account = " ".join(x.strip() for x in info if x.strip()), "", ""
    else:
        reference, payer, account = found
    parts = [reference] if reference else []
    for extra in (item["customer_ref"], item["supplementary"]):
        if extra and extra.upper() not in _NONE and extra not in reference:
            parts.append(extra)
    return BankLine(
        line=n,
        date=item["date"],
        amount=item["amount"],
        currency=item["currency"],
        reference=" | ".join(parts),
        payer=payer,
        account=account,
        transaction_id=item["bank_ref"] if item["bank_ref"].upper() not in _NONE else None,
        source=source,
    )
