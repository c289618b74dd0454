"""Money is exact: integer cents, Excel's ROUND (half away from zero), never float arithmetic."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing_addin.core.cell_values import convert_money, parse_money_text
from billing_addin.core.money import excel_round, float_to_cents, format_cents, to_cents


def test_excel_round_is_half_away_from_zero():
    assert excel_round(Decimal("2.675")) == Decimal("2.68")
    assert excel_round(Decimal("2.665")) == Decimal("2.67")  # banker's rounding would give 2.66
    assert excel_round(Decimal("-2.675")) == Decimal("-2.68")
    assert excel_round(Decimal("0.005")) == Decimal("0.01")


def test_floats_from_cells_become_the_cents_the_user_typed():
    assert float_to_cents(2.675) == 268  # round(2.675, 2) in Python gives 2.67
    assert float_to_cents(1.005) == 101
    assert float_to_cents(0.1 + 0.2) == 30
    assert convert_money([2.675, 1.005, 0.1 + 0.2, 1e-9, 12345678.9])[0] == [268, 101, 30, 0, 1234567890]


def test_money_text_forms():
    assert parse_money_text("$1,250.50") == 125050
    assert parse_money_text("(12.50)") == -1250
    assert parse_money_text("EUR 40") == 4000
    assert parse_money_text("TBD") is None and parse_money_text("1.2.3") is None


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_cents_round_trip_through_the_float_a_cell_holds(cents):
    # A cell holds a double; the cents typed come back exactly.
    assert float_to_cents(cents / 100) == cents
    assert convert_money([cents / 100])[0] == [cents]


@given(st.decimals(min_value=-(10**13), max_value=10**13, places=3, allow_nan=False, allow_infinity=False))
def test_short_path_agrees_with_decimal_rounding(d):
    # Whatever path a number takes, the result is Excel's ROUND(x, 2) of the number typed.
    as_float = float(d)
    assert convert_money([as_float])[0] == [to_cents(Decimal(repr(as_float)))]


def test_format_cents():
    assert format_cents(12345) == "123.45" and format_cents(-5) == "-0.05" and format_cents(0) == "0.00"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_cents_is_the_decimal_text(cents):
    assert format_cents(cents) == f"{Decimal(cents).scaleb(-2):.2f}"
