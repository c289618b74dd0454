"""Money as integer cents, rounded the way Excel's ROUND does (half away from zero).

Floats never carry money here: a value read from a cell is turned into cents once, at the edge.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def excel_round(value: Decimal | int | str, places: int = 2) -> Decimal:
    """Round like Excel's ROUND: half away from zero (Decimal's ROUND_HALF_UP does exactly that).

    >>> excel_round(Decimal("2.675"))
    Decimal('2.68')
    >>> excel_round(Decimal("-0.125"))
    Decimal('-0.13')
    """
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def to_cents(value: Decimal | int | str) -> int:
    """Exact cents from a Decimal, int or numeric text, rounded like Excel's ROUND(x, 2)."""
    return int(excel_round(Decimal(value), 2) * 100)


def float_to_cents(value: float) -> int:
    """Cents from a float read from a cell. Excel shows at most 15 significant digits, so the
    float's shortest repr is the number the user typed: 2.675 gives 268, as ROUND(2.675, 2) does."""
    try:
        return to_cents(Decimal(repr(float(value))))
    except InvalidOperation as e:  # inf or nan never reach here from a cell, but be explicit
        raise ValueError(f"{value!r} is not an amount") from e


def cents_to_decimal(cents: int) -> Decimal:
    """12345 -> Decimal('123.45'), 0 -> Decimal('0.00') (exact: a shift of the exponent, no division)."""
    return Decimal(int(cents)).scaleb(-2)


def format_cents(cents: int) -> str:
    """12345 -> '123.45', -5 -> '-0.05' (plain text for JSON and messages).

    Integer arithmetic, the same text as formatting the Decimal: refresh writes this 50k times on a big book."""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


def cents_or_none(v: object) -> int | None:
    """A money cell read back from an owned sheet (a number, or text such as "1,250.00") in cents; None when
    blank or not money."""
    if v is None or v == "":
        return None
    if type(v) is float or type(v) is int:  # what the add-in wrote: whole cents, read back without Decimal
        hundred = v * 100
        cents = round(hundred)
        if abs(hundred - cents) < 1e-6 and abs(cents) < 10**15:
            return int(cents)
    try:
        return to_cents(Decimal(str(v).replace(",", "")))
    except (InvalidOperation, ValueError):
        return None
