"""Dates and amounts written as text in bank files, read exactly and never guessed.

A text date such as 3/4/2025 is read the way the workbook reader reads a column of them (core.cell_values): a
date that is real in one order only (13/4/2025) settles the order for its column, and a column nothing settles is
refused. An amount such as 1,234 is read the same way for the file's decimal mark: a 1.234,56 or a 12,50 anywhere
in the file settles it. A value read before its column is settled raises `Pending`, and the reader reads that row
again at the end of the file; so the file is read once, as a stream.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from billing_addin.core.cell_values import DMY, MDY, DateOrder, parse_date
from billing_addin.core.money import to_cents


class Pending(Exception):
    """A value its column has not settled yet (3/4/2025 before any 13/4/2025; 1,234 before any 1,234.56)."""


class BadValue(Exception):
    """A value that is not a date or not an amount; the message names the value."""


_DATE, _EITHER, _DAY_FIRST, _MONTH_FIRST, _BAD = range(5)
_ISO_PREFIX = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
# 31.03.2025: numbers with dots are written day first (German, Swiss, Nordic, Eastern European exports); no locale
# writes the month first with dots, so a dotted date is read day first whatever the column holds.
_DOTTED = re.compile(r"\d{1,2}\.\d{1,2}\.(\d{4}|\d{2})(?:[ T].*)?")
_MORE_FORMATS = ("%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%d.%b.%Y", "%b %d %y", "%d/%b/%Y", "%Y/%m/%d", "%Y.%m.%d")
ORDER_NAMES = {DMY: "day/month/year", MDY: "month/day/year"}
DATE_HINT = "Dates are read as 2025-03-31, 31.03.2025, 31/03/2025, 03/31/2025, 31 Mar 2025 or Mar 31, 2025."


def _real(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _classify(text: str, fixed: str | None) -> tuple[int, object, object]:
    """(kind, a, b): a date; a date real in both orders (a = month first, b = day first); a date real in one
    order only; or not a date (a = the problem)."""
    t = text.strip()
    m = _ISO_PREFIX.fullmatch(t) or _COMPACT.fullmatch(t)
    if m:
        d = _real(int(m[1]), int(m[2]), int(m[3]))
        return (_DATE, d, None) if d else (_BAD, "is not a real calendar date", None)
    if fixed is None and _DOTTED.fullmatch(t):
        d = parse_date(t, DateOrder(DMY))
        return (_DATE, d, None) if isinstance(d, dt.date) else (_BAD, "is not a real day.month.year date", None)
    if fixed is not None:
        d = parse_date(t, DateOrder(fixed))
        if isinstance(d, dt.date):
            return _DATE, d, None
        if "Date Order" in d:  # numeric, but no real date in the profile's order
            return _BAD, f"is not a real date read as {ORDER_NAMES[fixed]} (the file's profile)", None
    else:
        md, dm = parse_date(t, DateOrder(MDY)), parse_date(t, DateOrder(DMY))
        md_ok, dm_ok = isinstance(md, dt.date), isinstance(dm, dt.date)
        if md_ok and dm_ok:
            return (_DATE, md, None) if md == dm else (_EITHER, md, dm)
        if md_ok:
            return _MONTH_FIRST, md, None
        if dm_ok:
            return _DAY_FIRST, dm, None
    for fmt in _MORE_FORMATS:
        try:
            return _DATE, dt.datetime.strptime(t, fmt).date(), None
        except ValueError:
            pass
    problem = parse_date(t)
    return _BAD, problem if isinstance(problem, str) and "real" in problem else "is not a date", None


class DateColumn:
    """The dates of one column, read one at a time. `fixed` (DMY or MDY, from the file's import profile) reads
    every numeric date in that order; otherwise the column's own unambiguous dates settle it."""

    def __init__(self, fixed: str | None = None) -> None:
        self.fixed = fixed
        self._cache: dict[str, tuple[int, object, object]] = {}
        self.day_first: tuple[int, str] | None = None  # the first (line, text) that can only be day first
        self.month_first: tuple[int, str] | None = None
        self.open: tuple[int, str, dt.date, dt.date] | None = None  # the first date left open, and its readings

    @property
    def order(self) -> str | None:
        if self.fixed is not None:
            return self.fixed
        if self.day_first and not self.month_first:
            return DMY
        if self.month_first and not self.day_first:
            return MDY
        return None

    def read(self, text: str, line: int) -> dt.date:
        c = self._cache.get(text)
        if c is None:
            if len(self._cache) > 20_000:  # a bank file has a few hundred distinct dates; a hostile one more
                self._cache.clear()
            c = self._cache[text] = _classify(text, self.fixed)
        kind, a, b = c
        if kind == _DATE:
            return a  # type: ignore[return-value]
        if kind == _DAY_FIRST:
            self.day_first = self.day_first or (line, text)
            return a  # type: ignore[return-value]
        if kind == _MONTH_FIRST:
            self.month_first = self.month_first or (line, text)
            return a  # type: ignore[return-value]
        if kind == _EITHER:
            order = self.order
            if order == MDY:
                return a  # type: ignore[return-value]
            if order == DMY:
                return b  # type: ignore[return-value]
            self.open = self.open or (line, text, a, b)  # type: ignore[arg-type]
            raise Pending
        raise BadValue(f"{text.strip()!r} {a}")

    def problem(self) -> tuple[int, str, str] | None:
        """(line, problem, fix) when the column's day/month order is mixed or, with dates left open, unknown."""
        if self.fixed is None and self.day_first and self.month_first:
            (l1, t1), (l2, t2) = self.day_first, self.month_first
            return (
                min(l1, l2),
                f"the dates mix day/month orders: {t1.strip()!r} (line {l1}) can only be day/month/year and "
                f"{t2.strip()!r} (line {l2}) only month/day/year",
                "Correct the file, or name the order in this file's profile on the ImportProfiles sheet "
                "(date_order = DMY or MDY): then each date that does not fit it is shown.",
            )
        if self.open is not None and self.order is None:
            line, text, md, dm = self.open
            return (
                line,
                f"dates such as {text.strip()!r} could be month/day/year ({md.isoformat()}) or day/month/year "
                f"({dm.isoformat()}), and no date in the column tells which",
                "Name the order in this file's profile on the ImportProfiles sheet (date_order = DMY or MDY), or "
                "export the file with dates written as year-month-day.",
            )
        return None


# Amounts ---------------------------------------------------------------------------------------------------------

# The usual forms, read at once: 1250.00, -12.50, 1,250.00 (point) and 1250,00, 1.250,00 (comma)
_USUAL = {
    ".": re.compile(r"(-?)(\d{1,15}|\d{1,3}(?:,\d{3})+)\.(\d\d)"),
    ",": re.compile(r"(-?)(\d{1,15}|\d{1,3}(?:\.\d{3})+),(\d\d)"),
}
_WHOLE = re.compile(r"(-?)(\d{1,15})")
_NUMBER = re.compile(r"[\d.,'’ \u00a0\u202f]*\d[\d.,'’ \u00a0\u202f]*|[.,]\d+")
_GROUPING = " \u00a0\u202f'’"  # spaces and apostrophes only ever group thousands (1 234,56; 1'234.56)
_EDGE = re.compile(r"\s+|[+\-\u2212]|[$€£¥₹₩₽₺₪₱฿]|(?P<code>[A-Za-z]{3})(?![A-Za-z])|(?P<crdr>(?i:cr|dr))(?![A-Za-z])")
_SYMBOL_CODES = {
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₱": "PHP",
    "฿": "THB",
}
AMOUNT_HINT = "Amounts are read as 1250.00, 1,250.00, 1.250,00, -12.50, 12.50-, (12.50), $12.50 or EUR 12,50."


def _edges(part: str) -> tuple[list[bool], str | None] | None:
    """The signs (True: minus) and the currency code around a number, or None when something else is there."""
    signs: list[bool] = []
    code = None
    pos = 0
    while pos < len(part):
        m = _EDGE.match(part, pos)
        if m is None:
            return None
        tok = m.group()
        pos = m.end()
        if tok.isspace():
            continue
        if m["code"]:
            if code is not None:
                return None
            code = tok.upper()
        elif m["crdr"]:
            signs.append(tok.casefold() == "dr")
        elif tok in "+-\u2212":
            signs.append(tok != "+")
        else:
            code = code or _SYMBOL_CODES.get(tok)
    return signs, code


def _grouped(part: str, seps: str) -> str | None:
    """The digits of an integer part whose thousands are grouped with any of `seps` (1.234.567), or None
    when the grouping is not in threes."""
    for s in seps[1:]:
        part = part.replace(s, seps[0])
    groups = part.split(seps[0]) if seps else [part]
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        return None
    digits = "".join(groups)
    return digits if digits.isdigit() or digits == "" else None


class Amounts:
    """The amounts of one file, read one at a time in cents. `fixed` ('.' or ',', from the import profile) is
    the decimal mark; otherwise the file's own amounts settle it (12,50 or 1.234,56: comma; 12.50: point)."""

    def __init__(self, fixed: str | None = None) -> None:
        self.fixed = fixed
        self.point: tuple[int, str] | None = None  # the first (line, text) written with a decimal point
        self.comma: tuple[int, str] | None = None
        self.open: tuple[int, str] | None = None  # the first amount left open (1,234)

    @property
    def mark(self) -> str | None:
        if self.fixed is not None:
            return self.fixed
        if self.point and not self.comma:
            return "."
        if self.comma and not self.point:
            return ","
        return None

    def _saw(self, mark: str, line: int, text: str) -> None:
        if self.fixed is None:
            if mark == ".":
                self.point = self.point or (line, text)
            else:
                self.comma = self.comma or (line, text)

    def read(self, text: str, line: int) -> tuple[int, str | None] | None:
        """(cents, the currency code written with it) or None for a blank; BadValue or Pending."""
        s = text.strip()
        if not s:
            return None
        for mark, usual in _USUAL.items():
            if self.fixed in (None, mark) and (m := usual.fullmatch(s)):
                if (self.point if mark == "." else self.comma) is None:
                    self._saw(mark, line, s)
                cents = int(m[2].replace("," if mark == "." else ".", "")) * 100 + int(m[3])
                return (-cents if m[1] else cents), None
        m = _WHOLE.fullmatch(s)
        if m:
            return (-int(m[2]) * 100 if m[1] else int(m[2]) * 100), None
        return self._slow(s, line)

    def _slow(self, s: str, line: int) -> tuple[int, str | None]:
        bad = BadValue(f"{s!r} is not an amount")
        negative = False
        if s.startswith("(") and s.endswith(")"):
            negative, s = True, s[1:-1].strip()
        m = _NUMBER.search(s)
        if m is None:
            raise bad
        lead, number, trail = s[: m.start()], m.group().strip(_GROUPING), s[m.end() :]
        edges = [_edges(lead), _edges(trail)]
        if edges[0] is None or edges[1] is None:
            raise bad
        signs = edges[0][0] + edges[1][0]
        codes = {c for _, c in edges if c}  # type: ignore[misc]
        if len(signs) + negative > 1 or len(codes) > 1:
            raise bad
        negative = negative or (bool(signs) and signs[0])
        mark = self._mark_of(number, line, s)
        whole, frac = number, ""
        if mark is not None and mark in number:
            whole, _, frac = number.rpartition(mark)
        other = "," if mark == "." else "." if mark == "," else ".,"
        digits = _grouped(whole, _GROUPING + other if mark else _GROUPING)
        if digits is None or not frac.isdigit() and frac != "" or (not digits and not frac):
            if self.fixed is not None:
                mark_name = "comma" if self.fixed == "," else "point"
                raise BadValue(f"{s!r} is not an amount written with a decimal {mark_name} (the file's profile)")
            raise bad
        if len(frac.rstrip("0")) > 2:
            raise BadValue(f"{s!r} has more than two decimals")
        try:
            cents = to_cents(Decimal(f"{digits or '0'}.{frac or '0'}"))
        except InvalidOperation:
            raise bad from None
        return (-cents if negative else cents), (codes.pop() if codes else None)

    def _mark_of(self, number: str, line: int, text: str) -> str | None:
        """The decimal mark of one number: from the number itself when it can only be one (recorded as
        evidence for the file), else the file's; Pending when the file has not settled it yet."""
        if self.fixed is not None:
            return self.fixed
        dot, comma = number.rfind("."), number.rfind(",")
        if dot >= 0 and comma >= 0:
            mark = "." if dot > comma else ","
        elif dot < 0 and comma < 0:
            return None
        else:
            ch = "." if dot >= 0 else ","
            whole, _, frac = number.rpartition(ch)
            if number.count(ch) > 1:  # 1.234.567: the mark is the other one
                mark = "," if ch == "." else "."
            elif len(frac) != 3 or whole in ("", "0") or any(g in whole for g in _GROUPING) or len(whole) > 3:
                mark = ch
            else:  # 1,234 or 1.234: thousands, or three decimals
                mark = self.mark
                if mark is None:
                    self.open = self.open or (line, text)
                    raise Pending
                return mark
        self._saw(mark, line, text)
        return mark

    def problem(self) -> tuple[int, str, str] | None:
        """(line, problem, fix) when the file mixes decimal marks or leaves an amount such as 1,234 open."""
        fix = "Name the decimal mark in this file's profile on the ImportProfiles sheet (decimal = , or .)."
        if self.fixed is None and self.point and self.comma:
            (l1, t1), (l2, t2) = self.point, self.comma
            return (
                min(l1, l2),
                f"the amounts mix a decimal point ({t1!r}, line {l1}) and a decimal comma ({t2!r}, line {l2})",
                fix,
            )
        if self.open is not None and self.mark is None:
            line, text = self.open
            return (
                line,
                f"amounts such as {text!r} could be thousands or three decimals, and no amount in the file tells "
                "which decimal mark it uses",
                fix,
            )
        return None


_EXACT = re.compile(r"[+-]?(\d+)(?:[.,](\d*))?|[+-]?[.,](\d+)")


def exact_cents(text: str) -> int:
    """Cents from a plain number as XML, OFX and MT940 write it (1250.00, -12.5, 1250,00, .50); BadValue for
    anything else or more than two decimals."""
    s = text.strip()
    m = _EXACT.fullmatch(s)
    if m is None:
        raise BadValue(f"{s!r} is not an amount")
    whole, frac = m[1] or "0", m[2] if m[1] is not None else m[3]
    frac = frac or ""
    if len(frac.rstrip("0")) > 2:
        raise BadValue(f"{s!r} has more than two decimals")
    cents = to_cents(Decimal(f"{whole}.{frac or '0'}"))
    return -cents if s.startswith("-") else cents
