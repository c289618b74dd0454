"""Turning what a cell holds into a typed value, one column at a time, at the edge of the core.

Each converter takes the raw cell values of one column (as python-calamine gives them: str, float,
int, bool, date, datetime, timedelta, or '' for blank) and returns the typed values (None for blank)
and the problems found, as (position, code, message, hint). A bad cell never raises.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from billing_addin.core.money import float_to_cents, to_cents
from billing_addin.core.schema import Field, Kind

Problem = tuple[int, str, str, str]  # position in column (-1: the column as a whole), code, message, hint

EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_SERIAL = 2958465  # 9999-12-31
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
# Text dates written with numbers only, day and month in either order and the year last (2 or 4 digits):
# 3/31/2025, 31.03.2025, 31-3-25; with Date Order YMD also a two-digit year first (25/03/31). One separator
# throughout. A time after the date is allowed and ignored, as with ISO text.
_NUMERIC_DATE = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?$"
)
_TEXT_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y")
_MONEY_TEXT = re.compile(r"^[A-Za-z]{3}|[A-Za-z]{3}$|[$€£¥\s,']")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


# Words people type for yes and no in a flag column, in the languages of the Locales people use; compared
# case-folded. Blank is no too. "1"/"0" count only beside a word (a column of 1s and 0s may be numbers).
YES_WORDS = frozenset({"yes", "y", "true", "x", "✓", "✔", "ja", "j", "oui", "si", "sí", "sim", "tak", "da", "kyllä"})
NO_WORDS = frozenset({"no", "n", "false", "nein", "non", "nee", "nej", "não", "nao", "nie", "ei", "-"})
_DIGIT_FLAGS = {"1": True, "0": False}


def flag_of(v: object) -> bool | None:
    """True for a yes, False for a no (or a blank), None when the cell is not a flag at all."""
    if v is None or v == "":
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return {1: True, 0: False}.get(v)  # type: ignore[call-overload]
    if isinstance(v, str):
        t = v.strip().casefold()
        if not t:
            return False
        if t in YES_WORDS:
            return True
        if t in NO_WORDS:
            return False
        return _DIGIT_FLAGS.get(t)
    return None


def looks_like_flags(values: Sequence[object]) -> bool:
    """A column whose every cell is a yes, a no or blank, with at least two filled in and at least one of them
    a word or TRUE/FALSE (a column of 1s and 0s may be numbers)."""
    filled, word = 0, False
    for v in values:  # stops at the first cell that is not a flag: on a real column, almost at once
        if v == "" or v is None:
            continue
        if flag_of(v) is None:
            return False
        if isinstance(v, str) and not v.strip():
            continue
        filled += 1
        word = word or isinstance(v, bool) or (isinstance(v, str) and v.strip() not in _DIGIT_FLAGS)
    return filled >= 2 and word


def convert_flag_text(values: Sequence[object], yes_text: str) -> list[str | None]:
    """A text field that may hold a flag (e.g. Dispute): a no or a blank is None, a yes is `yes_text`, any
    other text is kept as written (the reason)."""
    out: list[str | None] = []
    for v in values:
        f = flag_of(v)
        out.append(None if f is False else yes_text if f is True else show_full(v))
    return out


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


MDY, DMY, YMD = "MDY", "DMY", "YMD"
ORDER_WORDS = {MDY: "month/day/year", DMY: "day/month/year", YMD: "year/month/day"}
AMBIGUOUS = "is ambiguous text (day and month order unknown)"
DATE_ORDER_UNKNOWN = "date-order-unknown"  # a cell left unread because its column's day/month order is unknown


@dataclass(frozen=True)
class DateOrder:
    """How text dates written with numbers only (3/4/2025, 03.04.25) are read.

    fixed: Date Order in Settings, MDY, DMY or YMD; None for Auto, where each column's own unambiguous
    values (13/1/2025 can only be day first) decide. YMD speaks only of text with a two-digit year
    (25/03/31); text with a four-digit year last is read as under Auto.
    locale: the Settings sheet's Locale when it counts (see `reader.date_order`); under Auto it decides a
    column whose values do not, if its short date pattern puts the day and the month before the year."""

    fixed: str | None = None
    locale: str | None = None

    @property
    def fallback(self) -> str | None:
        return None if self.locale is None else locale_date_order(self.locale)


AUTO = DateOrder()


@functools.lru_cache(maxsize=64)
def locale_date_order(name: str) -> str | None:
    """MDY or DMY as a locale writes short dates (CLDR through babel: en_US M/d/yy, en_GB dd/MM/y, de_DE
    dd.MM.yy); None for an unknown locale, and for one that writes the year first (en_CA and sv_SE y-MM-dd,
    ja_JP y/MM/dd): what it means by 3/4/2025 is not known. babel is imported only when a column needs it."""
    try:
        from babel import Locale

        pattern = Locale.parse(str(name).strip().replace("-", "_")).date_formats["short"].pattern
    except Exception:  # noqa: BLE001 - an unknown locale decides nothing; check_settings reports it
        return None
    pattern = re.sub(r"'[^']*'", "", pattern)  # quoted literal text
    day, month, year = (
        min((i for i, c in enumerate(pattern) if c in chars), default=-1) for chars in ("d", "ML", "yu")
    )
    if min(day, month, year) < 0 or year < min(day, month):
        return None
    return DMY if day < month else MDY


def _year(text: str) -> int:
    """A year as typed: two digits are 2000-2069 for 00-69 and 1970-1999 for 70-99 (as Python's and
    POSIX's %y read them)."""
    y = int(text)
    if len(text) <= 2:
        y += 2000 if y < 70 else 1900
    return y


def _real(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _reading(order: str, m: re.Match) -> dt.date | None:
    """The date a numeric text date is in one order, or None when it is not a real date in that order."""
    a, b, y = int(m[1]), int(m[3]), m[4]
    if order == MDY:
        return _real(_year(y), a, b)
    if order == DMY:
        return _real(_year(y), b, a)
    return _real(_year(m[1]), b, int(y))  # YMD: only for a two-digit last part


def _fixed_order(order: DateOrder, m: re.Match) -> str | None:
    """The order Date Order sets for this text, or None when it is left to the column (Auto)."""
    fixed = order.fixed
    return None if fixed is None or (fixed == YMD and len(m[4]) != 2) else fixed


def _not_in_order(fixed: str) -> str:
    return f"is not a real date read as {ORDER_WORDS[fixed]} (Date Order in Settings)"


def _numeric_date(m: re.Match, order: DateOrder) -> dt.date | str:
    """One numeric text date on its own (a setting, a UDF argument): a date, or a problem text."""
    fixed = _fixed_order(order, m)
    if fixed is not None:
        return _reading(fixed, m) or _not_in_order(fixed)
    md, dm = _reading(MDY, m), _reading(DMY, m)
    if md is None and dm is None:
        return "is not a real calendar date"
    if md is None or dm is None or md == dm:
        return md or dm
    fallback = order.fallback
    if fallback is not None:
        return md if fallback == MDY else dm
    return AMBIGUOUS


def parse_date(v: object, order: DateOrder = AUTO) -> dt.date | None | str:
    """A date from a cell, None when blank, or a problem text when it is not a date. Numeric text such as
    3/4/2025 alone: a date when only one order makes it one (13/4/2025) or both give the same day, or
    when `order` decides; else ambiguous."""
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
        m = _NUMERIC_DATE.match(s)
        if m:
            return _numeric_date(m, order)
        for fmt in _TEXT_DATE_FORMATS:
            try:
                return dt.datetime.strptime(s, fmt).date()
            except ValueError:
                pass
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


def convert_dates(
    values: Sequence[object], order: DateOrder = AUTO, where: Callable[[int], str] | None = None
) -> tuple[list[dt.date | None], list[Problem]]:
    """Dates for a column. Real dates take the fast path; text is read cell by cell, except numeric text
    such as 3/4/2025, whose day/month order is settled for the column as a whole (`_numeric_dates`).
    `where(position)` names a cell in a message about the column (default: its row in the list, from 1).
    A problem about the whole column has position -1 (the header)."""
    date = dt.date
    out: list = [v if type(v) is date else (None if v == "" or v is None else _SLOW) for v in values]
    problems: list[Problem] = []
    numeric: list[tuple[int, re.Match]] = []
    for i in _slow_positions(out):
        v = values[i]
        if type(v) is str and (m := _NUMERIC_DATE.match(v.strip())) is not None:
            numeric.append((i, m))
            continue
        d = parse_date(v)
        if isinstance(d, str):
            problems.append(
                (
                    i,
                    "not-a-date",
                    f"{show(v)!r} {d}",
                    "Type a real date (e.g. 2025-03-31) or format the cell as a date.",
                )
            )
            d = None
        out[i] = d
    if numeric:
        problems += _numeric_dates(values, numeric, order, where or (lambda i: f"row {i + 1}"), out)
        problems.sort(key=lambda p: p[0])
    return out, problems


def _numeric_dates(
    values: Sequence[object],
    numeric: list[tuple[int, re.Match]],
    order: DateOrder,
    where: Callable[[int], str],
    out: list,
) -> list[Problem]:
    """Read a column's numeric text dates into `out`; the problems.

    With Date Order MDY or DMY each is read in that order, and one that is not a real date so is a
    not-a-date cell. Under Auto a value that is a real date in one order only (13/1/2025, 1/13/2025) is
    evidence for its column: evidence one way reads the column's ambiguous values (3/4/2025) that way;
    none at all leaves it to an explicit Locale, else the ambiguous values stay unread (None), each marked
    DATE_ORDER_UNKNOWN, under one `ambiguous-date-column` problem for the column; evidence both ways is a
    `mixed-date-order` problem and the ambiguous values stay unread. Never a guess."""
    problems: list[Problem] = []
    day_first: list[int] = []
    month_first: list[int] = []
    open_: list[tuple[int, dt.date, dt.date]] = []  # (position, as MDY, as DMY)
    for i, m in numeric:
        fixed = _fixed_order(order, m)
        if fixed is not None:
            d = out[i] = _reading(fixed, m)
            if d is None:
                problems.append(
                    (
                        i,
                        "not-a-date",
                        f"{show(values[i])!r} {_not_in_order(fixed)}",
                        "Correct the date or type it as year-month-day (e.g. 2025-03-31), or change Date Order in "
                        "Settings if the column is typed in another order.",
                    )
                )
            continue
        md, dm = _reading(MDY, m), _reading(DMY, m)
        if md is not None and dm is not None and md != dm:
            open_.append((i, md, dm))
            out[i] = None
            continue
        out[i] = md or dm
        if md is None and dm is None:
            problems.append(
                (
                    i,
                    "not-a-date",
                    f"{show(values[i])!r} is not a real calendar date",
                    "Type a real date (e.g. 2025-03-31) or format the cell as a date.",
                )
            )
        elif md is None:
            day_first.append(i)
        elif dm is None:
            month_first.append(i)
    use = None
    if not (day_first and month_first):
        use = MDY if month_first else DMY if day_first else order.fallback
    if open_ and use is not None:
        for i, md, dm in open_:
            out[i] = md if use == MDY else dm
        return problems
    if day_first and month_first:
        a, b = day_first[0], month_first[0]
        message = (
            f"the column mixes day/month orders: {_some(len(day_first), values[a], where(a))} can only be "
            f"day/month/year and {_some(len(month_first), values[b], where(b), first=False)} only month/day/year"
        )
        if open_:
            n = len(open_)
            message += f"; {_count(n)} that could be either {'is' if n == 1 else 'are'} left unread"
        problems.append(
            (
                -1,
                "mixed-date-order",
                message,
                "Retype the dates typed the other way as year-month-day (e.g. 2025-03-31), or set Date Order in "
                "Settings to the order this column uses (MDY or DMY): then each date that does not fit it is shown.",
            )
        )
    elif open_:
        i, md, dm = open_[0]
        n = len(open_)
        problems.append(
            (
                -1,
                "ambiguous-date-column",
                f"{_some(n, values[i], where(i))} could be month/day/year or day/month/year, and no date in the "
                f"column tells which; {'it is' if n == 1 else 'they are'} left unread",
                f"Set Date Order in Settings to MDY if {show(values[i])!r} means {md.isoformat()}, or to DMY if it "
                f"means {dm.isoformat()}; or type the dates as year-month-day (e.g. {md.year}-03-31).",
            )
        )
    for i, _md, _dm in open_:
        problems.append((i, DATE_ORDER_UNKNOWN, f"{show(values[i])!r}: day/month order unknown", ""))
    return problems


def _count(n: int) -> str:
    return f"{n:,} text date{'' if n == 1 else 's'}"


def _some(n: int, v: object, cell: str, first: bool = True) -> str:
    """'the text date '3/4/2025' (C2)', or '7,398 text dates such as '3/4/2025' (C2)' ('7,398 such as ...'
    when not first in its sentence)."""
    if n == 1:
        return f"{'the text date ' if first else ''}{show(v)!r} ({cell})"
    return f"{_count(n) if first else f'{n:,}'} such as {show(v)!r} ({cell})"


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


def convert_column(
    field: Field, values: Sequence[object], order: DateOrder = AUTO, where: Callable[[int], str] | None = None
) -> tuple[list, list[Problem]]:
    """Typed values and problems for one column of the schema; `order` and `where` as for convert_dates."""
    k = field.kind
    if k is Kind.MONEY:
        return convert_money(values)
    if k is Kind.DATE:
        return convert_dates(values, order, where)
    if k is Kind.INTEGER:
        return convert_integers(values)
    if k is Kind.NUMBER:
        return convert_numbers(values)
    if field.flag_text is not None:
        return convert_flag_text(values, field.flag_text), []
    if k is Kind.CHOICE:
        return convert_choices(values, field.choices)
    if k is Kind.ID:
        return convert_ids(values)[0], []
    if k is Kind.CURRENCY:
        codes = _tidy_text(values, lambda v: None if is_blank(v) else str(v).strip())
        return [c if c is None or c.isupper() else c.upper() for c in codes], []
    return convert_text(values), []
