"""Turning Python values into SpreadsheetML text: escaping, cell references, Excel serial dates."""

from __future__ import annotations

import datetime as dt
import re
from xml.parsers import expat

# Characters XML 1.0 cannot carry at all; Excel would refuse the file, so they are dropped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads "_x0041_" in cell text as an escaped "A"; escaping the underscore keeps such text literal.
_EXCEL_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
EXCEL_MAX_TEXT = 32767
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

_EPOCH_1900 = dt.date(1899, 12, 30)
_EPOCH_1900_EARLY = dt.date(1899, 12, 31)  # before 1 March 1900 Excel counts from here (its phantom 29 Feb 1900)
_MARCH_1900 = dt.date(1900, 3, 1)
_EPOCH_1904 = dt.date(1904, 1, 1)


def clean_text(text: str) -> str:
    """Text as Excel can hold it: no XML-illegal characters, at most 32,767 characters."""
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub("_x005F_", text)
    return text[:EXCEL_MAX_TEXT]


def xml_text(text: str) -> str:
    """Escape for element content."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def xml_attr(text: str) -> str:
    """Escape for a double-quoted attribute (line breaks kept as character references)."""
    text = xml_text(_ILLEGAL_XML.sub("", text)).replace('"', "&quot;")
    return text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


# Anything that needs escaping, cleaning or xml:space; most texts have none of it and take the fast path.
_NEEDS_CARE = re.compile("[&<>\x00-\x1f\ud800-\udfff\ufffe\uffff]|_x|^\\s|\\s$")


def inline_string(text: str) -> str:
    """The <is> body of an inline-string cell; spaces at the ends, tabs and line breaks are kept."""
    if len(text) <= EXCEL_MAX_TEXT and not _NEEDS_CARE.search(text):
        return f"<is><t>{text}</t></is>"
    text = xml_text(clean_text(text))
    if text and (text[0] in " \t\r\n" or text[-1] in " \t\r\n" or "\n" in text or "\t" in text or "\r" in text):
        return f'<is><t xml:space="preserve">{text.replace(chr(13), "&#13;")}</t></is>'
    return f"<is><t>{text}</t></is>"


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, AA -> 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def split_ref(ref: str) -> tuple[int, int]:
    """'C7' -> (2, 7): 0-based column, 1-based row."""
    match = _REF.match(ref.strip())
    if not match:
        raise ValueError(f"not a cell reference: {ref!r}")
    return column_index(match.group(1)), int(match.group(2))


def split_range(ref: str) -> tuple[int, int, int, int]:
    """'A1:D10' -> (0, 1, 3, 10); a single cell gives the same cell twice."""
    first, _, last = ref.partition(":")
    c1, r1 = split_ref(first)
    c2, r2 = split_ref(last or first)
    return c1, r1, c2, r2


def range_ref(c1: int, r1: int, c2: int, r2: int) -> str:
    return f"{column_letters(c1)}{r1}:{column_letters(c2)}{r2}"


def quote_sheet(name: str) -> str:
    """A sheet name as formulas spell it: 'Late fees' -> "'Late fees'"."""
    return "'" + name.replace("'", "''") + "'"


def excel_serial(value: dt.date, date1904: bool) -> float | int | None:
    """Excel's serial number for a date or datetime, or None when Excel cannot show it (before its epoch).

    >>> excel_serial(dt.date(2024, 1, 31), False)
    45322
    """
    if isinstance(value, dt.datetime):
        day = value.date()
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    else:
        day, seconds = value, 0
    if date1904:
        days = (day - _EPOCH_1904).days
    elif day < _MARCH_1900:
        days = (day - _EPOCH_1900_EARLY).days
    else:
        days = (day - _EPOCH_1900).days
    if days < 0 or (days == 0 and not date1904):
        return None
    return days + seconds / 86400 if seconds else days


def check_well_formed(text: str) -> None:
    """Raise xml.parsers.expat.ExpatError unless `text` is well-formed XML. For the XML the writer itself made
    before it goes into a sheet that is never parsed whole: expat alone, no tree (building one for 10,000 rows
    took a second)."""
    parser = expat.ParserCreate()
    parser.Parse(text, True)
