"""read_statement: any bank or processor file into a Statement, its format found from what it holds."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from billing_addin.bank.camt import camt_format, read_camt
from billing_addin.bank.csv_reader import read_csv
from billing_addin.bank.mt940 import looks_like_mt940, read_mt940
from billing_addin.bank.ofx import read_ofx
from billing_addin.bank.statement import BankFileError, Statement
from billing_addin.bank.xml_files import local, parse_xml

HEAD_BYTES = 8192
_OFX_SGML = re.compile(r"^\s*(OFXHEADER\s*:|<OFX>)", re.I)


def detect(head: bytes) -> str:
    """'ofx', 'xml', 'mt940' or 'csv' from a file's first bytes; 'xlsx', 'xls', 'pdf' or 'zip' for what is none."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx" if b"[Content_Types].xml" in head or b"xl/" in head else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    text = _head_text(head)
    stripped = text.lstrip()
    if _OFX_SGML.match(stripped):
        return "ofx"
    if stripped.startswith("<"):
        return "ofx" if re.search(r"<\?OFX\b|<OFX>", stripped[:2048], re.I) else "xml"
    if looks_like_mt940(text):
        return "mt940"
    return "csv"


def _head_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff")


_NOT_A_STATEMENT = {
    "xlsx": "is an Excel workbook, not a bank file. Save the sheet as CSV (File > Save As > CSV UTF-8) and import that.",
    "xls": "is an old Excel workbook, not a bank file. Save the sheet as CSV (File > Save As > CSV UTF-8) and import that.",
    "zip": "is a zip archive. Unzip it and import the statement inside.",
    "pdf": "is a PDF, which holds no figures that can be read exactly. Download the statement from the bank as "
    "CSV, OFX, camt.053 or MT940 instead.",
}


def read_statement(path: str | os.PathLike[str], profile: Mapping[str, str] | None = None) -> Statement:
    """Read a bank statement or processor export into a Statement: CSV from any bank (columns found by their
    headers, or by `profile`: field -> header text), Stripe, PayPal and Square exports, OFX/QFX, camt.052/053/054
    and MT940. The format is found from the content, not the file name. BankFileError for anything unreadable."""
    path = Path(path)
    source = path.name
    if not path.exists():
        raise BankFileError(source, "no such file", f"Check the path: {path}")
    if path.is_dir():
        raise BankFileError(source, "is a folder, not a file", "Choose the statement file inside it.")
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
        kind = detect(head)
        if kind in _NOT_A_STATEMENT:
            problem, _, fix = _NOT_A_STATEMENT[kind].partition(". ")
            raise BankFileError(source, problem, fix)
        if kind == "ofx":
            return read_ofx(path, source)
        if kind == "mt940":
            return read_mt940(path, source)
        if kind == "xml":
            root, lines = parse_xml(path, source)
            if camt_format(root) is not None:
                return read_camt(root, lines, source)
            if local(root.tag) == "OFX":
                return read_ofx(path, source)
            raise BankFileError(
                source,
                f"is XML but neither a camt.053/camt.054 statement nor OFX (its root element is <{local(root.tag)}>)",
                "Download the statement from the bank as camt.053, OFX, MT940 or CSV.",
            )
        return read_csv(path, profile, source)
    except OSError as e:
        raise BankFileError(
            source, f"cannot be read ({e.strerror or e})", "Close it in other programs and try again."
        ) from None
    except MemoryError:
        raise BankFileError(source, "is too large to read", "Split the statement into shorter periods.") from None
