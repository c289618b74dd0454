"""Turning what a cell holds into a typed value, one column at a time, at the edge of the core.

Each converter takes the raw cell values of one column (as python-calamine gives them: str, float,
int, bool, date, datetime, timedelta, or '' for blank) and returns the typed values (None for blank)
and the problems found, as (position, code, message, hint). A bad cell never raises.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from billing_addin.money import float_to_cents, to_cents
from billing_addin.schema import Field, Kind

Problem = tuple[int, str, str, str]  # position in column, code, message, hint

EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_SERIAL = 2958465  # 9999-12-31
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_TEXT_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y")
_MONEY_TEXT = re.compile(r"^[A-Za-z]{3}|[A-Za-z]{3}$|[$€£¥\s,']")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def is_blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def show(v: object) -> str:
    """A raw cell value as the user would recognise it in a message (short)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    text = str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def serial_to_date(serial: float) -> dt.date:
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def date_to_serial(d: dt.date) -> int:
    return (d - EXCEL_EPOCH).days


def parse_date(v: object) -> dt.date | None | str:
    """A date from a cell, None when blank, or a problem text when it is not a date."""
    if is_blank(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, bool):
        return "is TRUE/FALSE, not a date"
    if isinstance(v, int | float):
        if 1 <= v <= MAX_SERIAL:
            return serial_to_date(v)
        return "is a number, not a date"
    if isinstance(v, str):
        s = v.strip()
        m = _ISO_DATE.match(s)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return "is not a real calendar date"
        for fmt in _TEXT_DATE_FORMATS:
            try:
                return dt.datetime.strptime(s, fmt).date()
            except ValueError:
                pass
        if re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$", s):
            return "is ambiguous text (day and month order unknown)"
        return "is text, not a date"
    return "is not a date"


def parse_money_text(s: str) -> int | None:
    """Cents from text such as '1,250.00', '$99', '(12.50)', 'EUR 40'; None if it is not an amount."""
    t = s.strip()
    negative = t.startswith("(") and t.endswith(")")
    t = _MONEY_TEXT.sub("", t.strip("()"))
    if not _NUMBER_TEXT.match(t):
        return None
    try:
        cents = to_cents(Decimal(t))
    except InvalidOperation:
        return None
    return -cents if negative else cents


_SLOW = object()  # marks a cell the fast path could not decide


def _slow_positions(out: list) -> list[int]:
    if _SLOW not in out:  # the usual column, scanned in C
        return []
    return [i for i, v in enumerate(out) if v is _SLOW]


def convert_money(values: Sequence[object]) -> tuple[list[int | None], list[Problem]]:
    """Cents for a column. A number with at most two decimals takes the short path (its float times 100
    is within a millionth of a whole number); anything else goes through Decimal, so 2.675 still rounds
    to 2.68 (Excel's ROUND). A comprehension: on 150k cells 10 ms slower than numpy was, and no numpy
    import (60 ms) for a command that reads a book."""
    out: list = [
        c
        if type(v) is float and -1e15 < (s := v * 100) < 1e15 and abs(s - (c := round(s))) < 1e-6
        else (None if v == "" or v is None else _SLOW)
        for v in values
    ]
    problems: list[Problem] = []
    for i in _slow_positions(out):
        v, c = values[i], None
        if isinstance(v, float | int) and not isinstance(v, bool):
            try:
                c = float_to_cents(v)
            except ValueError:
                c = None
        elif isinstance(v, str):
            c = None if is_blank(v) else parse_money_text(v)
            if c is None and is_blank(v):
                out[i] = None
                continue
        out[i] = c
        if c is None:
            problems.append(
                (
                    i,
                    "not-money",
                    f"{show(v)!r} is not an amount",
                    "Type a number such as 1250.00 (no words such as TBD or n/a).",
                )
            )
    return out, problems


def convert_dates(values: Sequence[object]) -> tuple[list[dt.date | None], list[Problem]]:
    date = dt.date
    out: list = [v if type(v) is date else (None if v == "" or v is None else _SLOW) for v in values]
    problems: list[Problem] = []
    for i in _slow_positions(out):
        d = parse_date(values[i])
        if isinstance(d, str):
            problems.append(
                (
                    i,
                    "not-a-date",
                    f"{show(values[i])!r} {d}",
                    "Type a real date (e.g. 2025-03-31) or format the cell as a date.",
                )
            )
            d = None
        out[i] = d
    return out, problems


def _tidy_text(values: Sequence[object], slow, numbers: list[int] | None = None) -> list:
    """Text cells that need no tidying pass through; the rest go through `slow`. `numbers`, when given, gets
    the positions of the cells that held a number (none when every cell is text)."""
    try:
        tidy = list(map(str.strip, values)) == values  # a column of text, none of it needing a strip
    except TypeError:  # a number, a date or None among the cells
        tidy = False
    if tidy:  # checked in one pass in C; a big book's ID columns are like this
        return [v or None for v in values] if "" in values else list(values)
    if numbers is not None:
        numbers += [i for i, v in enumerate(values) if type(v) is float or type(v) is int]  # a bool is no number
    # `v.strip() is v`: str.strip returns the very same string when there is nothing to strip, and one call
    # is cheaper than looking at both ends (a big book has a million text cells).
    return [
        v if type(v) is str and v and v.strip() is v else (None if v == "" or v is None else slow(v)) for v in values
    ]


def to_id(v: object) -> str | None:
    """An identifier as text: 1001.0 (a number cell) and '1001' are the same ID."""
    if is_blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return str(v).strip()


def convert_ids(values: Sequence[object]) -> tuple[list[str | None], list[int]]:
    """IDs as text (see to_id), and the positions of the cells that held a number: an owned sheet writes
    those IDs back as numbers (id_cell), so that Excel's lookups between it and the input sheet match."""
    numbers: list[int] = []
    return _tidy_text(values, to_id, numbers), numbers


def id_cell(text: str) -> int | float | str:
    """The number an ID read from a number cell stands for ("24081" -> 24081, "1.5" -> 1.5); the text itself
    when it is not a number. Only for IDs known to come from number cells: text a user typed stays text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def convert_integers(values: Sequence[object]) -> tuple[list[int | None], list[Problem]]:
    out: list[int | None] = []
    problems: list[Problem] = []
    for i, v in enumerate(values):
        n: int | None = None
        if is_blank(v):
            pass
        elif isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer():
            n = int(v)
        elif isinstance(v, str) and re.fullmatch(r"\s*[+-]?\d+\s*", v):
            n = int(v)
        else:
            problems.append(
                (
                    i,
                    "not-a-whole-number",
                    f"{show(v)!r} is not a whole number",
                    "Type a whole number of days, such as 30.",
                )
            )
        out.append(n)
    return out, problems


def convert_numbers(values: Sequence[object]) -> tuple[list[Decimal | None], list[Problem]]:
    out: list[Decimal | None] = []
    problems: list[Problem] = []
    for i, v in enumerate(values):
        n: Decimal | None = None
        if is_blank(v):
            pass
        elif isinstance(v, int | float) and not isinstance(v, bool):
            n = Decimal(repr(float(v)))
        elif isinstance(v, str) and _NUMBER_TEXT.match(v.strip().rstrip("%").strip()):
            n = Decimal(v.strip().rstrip("%").strip())
        else:
            problems.append((i, "not-a-number", f"{show(v)!r} is not a number", "Type a number such as 1.5."))
        out.append(n)
    return out, problems


def convert_choices(values: Sequence[object], choices: Sequence[str]) -> tuple[list[str | None], list[Problem]]:
    exact = {c: c for c in choices}
    by_key = {c.casefold(): c for c in choices}
    out: list = [
        exact.get(v, _SLOW) if type(v) is str and v else (None if v == "" or v is None else _SLOW) for v in values
    ]
    problems: list[Problem] = []
    for i in _slow_positions(out):
        v = values[i]
        c = None if is_blank(v) else by_key.get(str(v).strip().casefold())
        if c is None and not is_blank(v):
            problems.append(
                (
                    i,
                    "bad-choice",
                    f"{show(v)!r} is not one of the allowed values",
                    "Pick one of: " + ", ".join(choices) + ".",
                )
            )
        out[i] = c
    return out, problems


def convert_text(values: Sequence[object]) -> list[str | None]:
    return _tidy_text(values, lambda v: None if is_blank(v) else show_full(v))


def show_full(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return str(v).strip()


def convert_column(field: Field, values: Sequence[object]) -> tuple[list, list[Problem]]:
    """Typed values and problems for one column of the schema."""
    k = field.kind
    if k is Kind.MONEY:
        return convert_money(values)
    if k is Kind.DATE:
        return convert_dates(values)
    if k is Kind.INTEGER:
        return convert_integers(values)
    if k is Kind.NUMBER:
        return convert_numbers(values)
    if k is Kind.CHOICE:
        return convert_choices(values, field.choices)
    if k is Kind.ID:
        return convert_ids(values)[0], []
    if k is Kind.CURRENCY:
        codes = _tidy_text(values, lambda v: None if is_blank(v) else str(v).strip())
        return [c if c is None or c.isupper() else c.upper() for c in codes], []
    return convert_text(values), []
