"""What a UDF argument holds, as Excel hands it over, turned into a typed value, or a short Excel-style error.

Excel (through xlwings) passes dates as datetime objects, serial numbers (floats) when a cell is not formatted
as a date, or text; blank cells as None; numbers as floats, or as text when typed with a quote or a currency sign.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from billing_addin.core.cell_values import MAX_SERIAL, is_blank, parse_date, parse_money_text, serial_to_date, to_id
from billing_addin.core.money import float_to_cents


class CellError(ValueError):
    """A UDF argument that cannot be used; str() is the text the cell shows, e.g. '#VALUE! due_date is not a date'."""


def value_error(text: str) -> CellError:
    return CellError(f"#VALUE! {text}")


def not_found(text: str) -> CellError:
    return CellError(f"#N/A {text}")


def as_date(value: object, name: str) -> dt.date:
    """A date from a date cell, a serial number, or unambiguous text such as 2026-03-31."""
    if is_blank(value):
        raise value_error(f"{name} is blank")
    if isinstance(value, bool):
        raise value_error(f"{name} is not a date")
    if isinstance(value, int | float):
        if 1 <= value <= MAX_SERIAL:
            return serial_to_date(value)
        raise value_error(f"{name} is not a date")
    found = parse_date(value)
    if isinstance(found, dt.date):
        return found
    raise value_error(f"{name} is not a date")


def as_cents(value: object, name: str) -> int:
    """Integer cents from a number or money text ('1,250.00', '$99', '(12.50)'), rounded like Excel's ROUND."""
    if is_blank(value):
        raise value_error(f"{name} is blank")
    if isinstance(value, bool):
        raise value_error(f"{name} is not an amount")
    if isinstance(value, int | float | Decimal):
        try:
            return float_to_cents(float(value))
        except (ValueError, OverflowError) as e:
            raise value_error(f"{name} is not an amount") from e
    cents = parse_money_text(str(value))
    if cents is None:
        raise value_error(f"{name} is not an amount")
    return cents


def as_percent(value: object, name: str) -> Decimal | None:
    """A percent such as 3.15 (or '3.15%'); None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise value_error(f"{name} is not a number")
    try:
        return (
            Decimal(repr(float(value))) if isinstance(value, int | float) else Decimal(str(value).strip().rstrip("%"))
        )
    except (InvalidOperation, ValueError) as e:
        raise value_error(f"{name} is not a number") from e


def as_id(value: object, name: str) -> str:
    """An identifier as text: 1001.0 (a number cell) and '1001' are the same ID."""
    text = to_id(value)
    if not text:
        raise value_error(f"{name} is blank")
    return text


def as_optional_text(value: object) -> str | None:
    return None if is_blank(value) else str(value).strip()


def as_regime(value: object) -> str:
    text = "" if is_blank(value) else str(value).strip().upper()
    if text not in ("EU", "UK"):
        raise value_error("regime must be EU or UK")
    return text


def money(cents: int) -> float:
    """Cents as the number a cell shows (exact to the cent: 12345 -> 123.45)."""
    return cents / 100
