"""Statutory late-payment interest (EU Directive 2011/7/EU, UK Late Payment Act 1998), checked against
the law's own formula worked out here in the test: principal x annual rate x days late / 365, days late
counted from the day after the due date, simple interest, rounded once half away from zero."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin.cli.app import main
from billing_addin.core.book import Book, Settings
from billing_addin.core.statutory import (
    SOURCED_RATES,
    RateNotCovered,
    ReferenceRate,
    default_rate_rows,
    fixed_sum_cents,
    rate_in_force,
    rates_from_book,
    statutory_interest,
)
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.template import build_template

D = dt.date


def law(*parts: tuple[str, str, int]) -> int:
    """Cents of interest for (principal, annual percent, days) parts, summed exactly, rounded once."""
    exact = sum(Decimal(p) * Decimal(r) / 100 * days / 365 for p, r, days in parts)
    return int(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


# --- EU: Directive 2011/7/EU ---------------------------------------------------------------------


def test_eu_invoice_late_in_one_half_year_uses_the_rate_in_force_on_1_january():
    # ECB rate in force on 1 Jan 2025: 3.15 (from 18 Dec 2024); the cut to 2.90 on 5 Feb does not apply.
    r = statutory_interest("EU", 1_000_000, D(2025, 1, 31), D(2025, 4, 1))
    assert r.days == 60  # 28 days of February, 31 of March, 1 April
    assert r.rate == Decimal("11.15") and r.reference_rate == Decimal("3.15")
    assert r.interest_cents == law(("10000", "11.15", 60)) == 18329
    assert r.fixed_sum_cents == 4000 and r.total_cents == 22329
    assert r.currency == "EUR"
    assert r.segments == ((D(2025, 2, 1), D(2025, 4, 1), 60, Decimal("11.15"), 18329),)


def test_eu_debt_late_across_1_july_takes_each_half_years_rate():
    r = statutory_interest("EU", 1_000_000, D(2025, 6, 15), D(2025, 7, 20))
    # 16-30 June at 3.15 + 8 (rate on 1 Jan 2025); 1-20 July at 2.15 + 8 (rate on 1 Jul 2025, from 11 Jun).
    assert r.days == 35
    assert [(s.start, s.end, s.days, s.rate) for s in r.segments] == [
        (D(2025, 6, 16), D(2025, 6, 30), 15, Decimal("11.15")),
        (D(2025, 7, 1), D(2025, 7, 20), 20, Decimal("10.15")),
    ]
    assert r.interest_cents == law(("10000", "11.15", 15), ("10000", "10.15", 20))
    assert r.rate == Decimal("10.15") and r.reference_rate == Decimal("2.15")  # the last segment's
    assert r.total_cents == r.interest_cents + 4000


def test_eu_debt_late_across_new_year():
    r = statutory_interest("EU", 250_000, D(2024, 12, 20), D(2025, 1, 10))
    # 21-31 Dec 2024 at the rate on 1 Jul 2024 (4.25, from 12 Jun 2024); 1-10 Jan 2025 at 3.15.
    assert [(s.days, s.rate) for s in r.segments] == [(11, Decimal("12.25")), (10, Decimal("11.15"))]
    assert r.interest_cents == law(("2500", "12.25", 11), ("2500", "11.15", 10))


def test_eu_one_day_late_is_one_day_of_interest():
    r = statutory_interest("EU", 3_650_000, D(2025, 3, 31), D(2025, 4, 1))
    assert r.days == 1 and r.interest_cents == law(("36500", "11.15", 1)) == 1115


def test_eu_margin_above_eight_and_below_eight():
    r = statutory_interest("EU", 1_000_000, D(2025, 1, 31), D(2025, 4, 1), margin=Decimal(9))
    assert r.rate == Decimal("12.15") and r.interest_cents == law(("10000", "12.15", 60))
    with pytest.raises(ValueError, match="at least 8"):
        statutory_interest("EU", 1_000_000, D(2025, 1, 31), D(2025, 4, 1), margin=Decimal(7))


# --- UK: Late Payment of Commercial Debts (Interest) Act 1998 ---------------------------------------


def test_uk_rate_is_bank_rate_on_31_december_for_debts_late_in_first_half():
    r = statutory_interest("UK", 500_000, D(2025, 3, 15), D(2025, 6, 13))
    # Bank Rate on 31 Dec 2024: 4.75 (from 7 Nov 2024); the cuts of Feb and May 2025 do not apply.
    assert r.days == 90 and r.rate == Decimal("12.75") and r.reference_rate == Decimal("4.75")
    assert r.interest_cents == law(("5000", "12.75", 90)) == 15719
    assert r.fixed_sum_cents == 7000 and r.total_cents == 22719 and r.currency == "GBP"


def test_uk_rate_is_fixed_for_the_life_of_the_debt():
    r = statutory_interest("UK", 500_000, D(2025, 6, 20), D(2025, 9, 30))  # late from 21 June, runs past 1 July
    assert len(r.segments) == 1 and r.rate == Decimal("12.75")
    assert r.interest_cents == law(("5000", "12.75", 102))


def test_uk_debt_late_from_10_july_uses_bank_rate_on_30_june():
    r = statutory_interest("UK", 1_234_567, D(2025, 7, 9), D(2026, 1, 15))  # late from 2025-07-10
    # Bank Rate on 30 Jun 2025: 4.25 (from 8 May 2025), kept after the Aug and Dec 2025 cuts.
    assert r.reference_rate == Decimal("4.25") and r.rate == Decimal("12.25")
    assert r.days == 190 and r.interest_cents == law(("12345.67", "12.25", 190))
    assert r.fixed_sum_cents == 10000


def test_uk_reference_date_follows_the_day_interest_starts():
    june_30_due = statutory_interest("UK", 100_000, D(2025, 6, 30), D(2025, 7, 31))  # starts 1 July
    june_29_due = statutory_interest("UK", 100_000, D(2025, 6, 29), D(2025, 7, 31))  # starts 30 June
    assert june_30_due.reference_rate == Decimal("4.25")
    assert june_29_due.reference_rate == Decimal("4.75")


@pytest.mark.parametrize(
    "cents, fixed", [(1, 4000), (99_999, 4000), (100_000, 7000), (999_999, 7000), (1_000_000, 10000), (10**12, 10000)]
)
def test_uk_fixed_sum_by_size_of_debt(cents, fixed):
    assert fixed_sum_cents("UK", cents) == fixed
    assert statutory_interest("UK", cents, D(2025, 3, 15), D(2025, 4, 15)).fixed_sum_cents == fixed


@pytest.mark.parametrize("cents", [99_999, 100_000, 999_999, 1_000_000])
def test_eu_fixed_compensation_is_40_euros_whatever_the_size(cents):
    assert fixed_sum_cents("EU", cents) == 4000


# --- common rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("regime", ["EU", "UK"])
@pytest.mark.parametrize("paid", [D(2030, 5, 1), D(2030, 4, 1)])
def test_paid_on_or_before_due_date_owes_nothing_and_needs_no_rate(regime, paid):
    r = statutory_interest(regime, 1_000_000, D(2030, 5, 1), paid)  # far beyond the known rates
    assert (r.days, r.interest_cents, r.fixed_sum_cents, r.total_cents, r.segments) == (0, 0, 0, 0, ())


def test_reference_rate_given_overrides_the_table_for_every_day():
    r = statutory_interest("EU", 1_000_000, D(2025, 6, 15), D(2025, 7, 20), reference_rate=Decimal("4"))
    assert len(r.segments) == 1 and r.rate == Decimal("12") and r.interest_cents == law(("10000", "12", 35))
    uk = statutory_interest("UK", 500_000, D(2027, 3, 1), D(2027, 4, 1), reference_rate=Decimal("3.5"))
    assert uk.rate == Decimal("11.5") and uk.interest_cents == law(("5000", "11.5", 31))


@pytest.mark.parametrize(
    "regime, due, paid, needed",
    [
        ("EU", D(2026, 6, 15), D(2026, 7, 13), D(2026, 7, 1)),  # second half of 2026: rate on 1 July unknown
        ("UK", D(2026, 7, 9), D(2026, 8, 1), D(2026, 6, 30)),  # late from 10 July 2026: Bank Rate on 30 June
        ("EU", D(2015, 3, 1), D(2015, 4, 1), D(2015, 1, 1)),  # before the first sourced rate
    ],
)
def test_date_beyond_the_known_rates_is_not_covered_never_guessed(regime, due, paid, needed):
    with pytest.raises(RateNotCovered) as caught:
        statutory_interest(regime, 1_000_000, due, paid)
    e = caught.value
    assert (e.regime, e.date) == (regime, needed)
    msg = str(e)
    assert "\n" not in msg and "RateTable" in msg and "--reference-rate" in msg
    assert f"Regime {regime}, Effective From {needed}" in msg
    assert ("complete only up to" in msg) == (needed.year > 2020)


def test_rate_in_force_is_latest_row_on_or_before_the_day():
    assert rate_in_force("EU", D(2025, 1, 1), SOURCED_RATES).rate == Decimal("3.15")
    assert rate_in_force("EU", D(2025, 2, 5), SOURCED_RATES).rate == Decimal("2.90")  # effective that day
    assert rate_in_force("UK", D(2024, 12, 31), SOURCED_RATES).rate == Decimal("4.75")
    assert rate_in_force("UK", D(2000, 1, 1), SOURCED_RATES) is None


def test_sourced_rates_are_sourced_sorted_unique_and_as_published():
    for regime in ("EU", "UK"):
        rows = [r for r in SOURCED_RATES if r.regime == regime]
        dates = [r.effective_from for r in rows]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert all(r.source.strip() and Decimal(0) <= r.rate <= 25 for r in SOURCED_RATES)
    table = {(r.regime, r.effective_from.isoformat()): str(r.rate) for r in SOURCED_RATES}
    published = {
        ("EU", "2022-07-27"): "0.50", ("EU", "2022-09-14"): "1.25", ("EU", "2022-11-02"): "2.00",
        ("EU", "2022-12-21"): "2.50", ("EU", "2023-02-08"): "3.00", ("EU", "2023-03-22"): "3.50",
        ("EU", "2023-05-10"): "3.75", ("EU", "2023-06-21"): "4.00", ("EU", "2023-08-02"): "4.25",
        ("EU", "2023-09-20"): "4.50", ("EU", "2024-06-12"): "4.25", ("EU", "2024-09-18"): "3.65",
        ("EU", "2024-10-23"): "3.40", ("EU", "2024-12-18"): "3.15", ("EU", "2025-02-05"): "2.90",
        ("EU", "2025-03-12"): "2.65", ("EU", "2025-04-23"): "2.40", ("EU", "2025-06-11"): "2.15",
        ("UK", "2023-08-03"): "5.25", ("UK", "2024-08-01"): "5.00", ("UK", "2024-11-07"): "4.75",
        ("UK", "2025-02-06"): "4.50", ("UK", "2025-05-08"): "4.25", ("UK", "2025-08-07"): "4.00",
    }  # fmt: skip
    assert {k: table.get(k) for k in published} == published


def test_default_rate_rows_are_the_sourced_rates_for_the_template():
    rows = default_rate_rows()
    assert len(rows) == len(SOURCED_RATES)
    assert all(len(r) == 4 and r[0] in ("EU", "UK") and isinstance(r[1], dt.date) for r in rows)
    assert {ReferenceRate(*r) for r in rows} == set(SOURCED_RATES)


# --- the workbook's RateTable sheet --------------------------------------------------------------


def test_rates_from_a_real_workbook_override_extend_and_report_by_cell(tmp_path: Path):
    path = build_template(
        tmp_path / "rates.xlsx",
        rows={
            "RateTable": [
                ["EU", D(2024, 12, 18), 3.0, "typed by the clerk"],  # row 2: overrides the ECB's 3.15
                ["EU", D(2026, 7, 1), 2.4, None],  # row 3: extends the EU table
                ["UK", D(2026, 6, 30), 3.5, None],  # row 4
                ["UK", D(2026, 6, 30), 3.25, None],  # row 5: same regime and date, another rate
                ["EU", D(2025, 6, 11), 2.15, None],  # row 6: the same as published, no finding
                ["UK", D(2024, 1, 1), 315, None],  # row 7: a typo
            ]
        },
    )
    rates, findings = rates_from_book(read_book(path))
    by_code = {(f.code, f.cell): f for f in findings}
    assert set(by_code) == {
        ("reference-rate-differs-from-source", "C2"),
        ("conflicting-reference-rates", "C5"),
        ("reference-rate-out-of-range", "C7"),
    }
    conflict = by_code[("conflicting-reference-rates", "C5")]
    assert conflict.severity == "error" and conflict.sheet == "RateTable"
    assert "row 4" in conflict.message and "row 5" in conflict.message
    assert by_code[("reference-rate-out-of-range", "C7")].severity == "error"

    # The book's row wins: 3.00 + 8 for the first half of 2025.
    r = statutory_interest("EU", 1_000_000, D(2025, 1, 31), D(2025, 4, 1), rates=rates)
    assert r.rate == Decimal("11.00") and r.interest_cents == law(("10000", "11.00", 60))
    # The book's 1 July 2026 row makes the second half of 2026 known.
    r = statutory_interest("EU", 1_000_000, D(2026, 6, 15), D(2026, 7, 13), rates=rates)
    assert [s.rate for s in r.segments] == [Decimal("10.15"), Decimal("10.40")]
    assert r.interest_cents == law(("10000", "10.15", 15), ("10000", "10.40", 13))
    # Conflicting rows are not used, so the date stays uncovered; the typo is not used either.
    with pytest.raises(RateNotCovered):
        statutory_interest("UK", 1_000_000, D(2026, 7, 9), D(2026, 8, 1), rates=rates)
    assert all(r.rate <= 25 for r in rates)


def test_template_filled_with_default_rows_reads_back_as_the_sourced_rates(tmp_path: Path):
    path = build_template(tmp_path / "defaults.xlsx", rows={"RateTable": default_rate_rows()})
    rates, findings = rates_from_book(read_book(path))
    assert findings == []
    assert rates == sorted(SOURCED_RATES, key=lambda r: (r.regime, r.effective_from))


def test_rate_typed_as_a_percent_cell_is_flagged(tmp_path: Path):
    path = build_template(tmp_path / "pct.xlsx", rows={"RateTable": [["EU", D(2026, 7, 1), 0.024, None]]})
    _, findings = rates_from_book(read_book(path))
    assert [(f.severity, f.code, f.cell) for f in findings] == [
        ("warning", "reference-rate-looks-like-a-fraction", "C2")
    ]


def test_book_without_a_rate_table_uses_the_sourced_rates():
    book = Book(sheet_titles=[], sheets={}, settings=Settings.defaults())
    rates, findings = rates_from_book(book)
    assert findings == [] and set(rates) == set(SOURCED_RATES)


# --- invariants ----------------------------------------------------------------------------------

# Dates whose reference rates are all known: EU late days from 1 Jul 2016 to 30 Jun 2026;
# UK debts whose interest starts between 1 Jul 2020 and 30 Jun 2026 (the rate is fixed for life).
EU_DUE = st.dates(D(2016, 6, 30), D(2026, 6, 29))
UK_DUE = st.dates(D(2020, 6, 30), D(2026, 6, 29))
CENTS = st.integers(1, 10**11)


@st.composite
def late_invoices(draw):
    regime = draw(st.sampled_from(["EU", "UK"]))
    due = draw(EU_DUE if regime == "EU" else UK_DUE)
    last = D(2026, 6, 30) if regime == "EU" else due + dt.timedelta(days=2000)
    a = draw(st.dates(due, last))
    b = draw(st.dates(a, last))
    return regime, draw(CENTS), due, a, b


@settings(max_examples=300, deadline=None)
@given(late_invoices())
def test_interest_never_decreases_as_payment_comes_later(case):
    regime, cents, due, earlier, later = case
    first = statutory_interest(regime, cents, due, earlier)
    second = statutory_interest(regime, cents, due, later)
    assert second.interest_cents >= first.interest_cents
    assert second.total_cents >= first.total_cents


@settings(max_examples=300, deadline=None)
@given(late_invoices())
def test_total_is_interest_plus_fixed_sum_and_segments_cover_every_late_day(case):
    regime, cents, due, paid, _ = case
    r = statutory_interest(regime, cents, due, paid)
    assert r.total_cents == r.interest_cents + r.fixed_sum_cents
    assert sum(s.days for s in r.segments) == r.days == (paid - due).days
    if r.days:
        assert r.fixed_sum_cents == fixed_sum_cents(regime, cents)
        assert r.segments[0].start == due + dt.timedelta(days=1) and r.segments[-1].end == paid
        # the single rounding of the exact sum is within half a cent per segment of the rounded parts
        assert abs(r.interest_cents - sum(s.interest_cents for s in r.segments)) <= len(r.segments) // 2 + 1


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["EU", "UK"]), CENTS, st.dates(D(1990, 1, 1), D(2100, 1, 1)), st.integers(0, 4000))
def test_no_interest_when_paid_on_or_before_due(regime, cents, due, early):
    paid = max(D(1990, 1, 1), due - dt.timedelta(days=early))
    r = statutory_interest(regime, cents, due, paid)
    assert (r.days, r.interest_cents, r.fixed_sum_cents, r.total_cents) == (0, 0, 0, 0)


# --- the command line ----------------------------------------------------------------------------


def billing(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "billing_addin", "interest", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_json_for_an_eu_invoice():
    run = billing("--regime", "EU", "--amount", "10,000.00", "--due", "2025-01-31", "--paid", "2025-04-01", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert {
        "days",
        "rate",
        "interest",
        "fixed_sum",
        "total",
        "regime",
        "currency",
        "reference_rate",
        "segments",
    } <= set(out)
    assert (out["days"], out["rate"], out["interest"], out["fixed_sum"], out["total"]) == (
        60,
        "11.15",
        "183.29",
        "40.00",
        "223.29",
    )
    assert (out["regime"], out["currency"], out["reference_rate"]) == ("EU", "EUR", "3.15")
    assert out["segments"] == [
        {"start": "2025-02-01", "end": "2025-04-01", "days": 60, "rate": "11.15", "reference_rate": "3.15", "interest": "183.29"}
    ]  # fmt: skip


def test_cli_json_for_a_uk_invoice_and_a_reference_rate_override():
    run = billing("--regime", "UK", "--amount", "5000", "--due", "2025-03-15", "--paid", "2025-06-13", "--json")
    out = json.loads(run.stdout)
    assert (out["rate"], out["interest"], out["fixed_sum"], out["total"], out["currency"]) == (
        "12.75",
        "157.19",
        "70.00",
        "227.19",
        "GBP",
    )
    run = billing("--regime", "EU", "--amount", "100", "--due", "2026-06-15", "--paid", "2026-07-13")
    assert run.returncode == 2
    run = billing(
        "--regime", "EU", "--amount", "100", "--due", "2026-06-15", "--paid", "2026-07-13", "--reference-rate", "2.40", "--json"
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert (out["rate"], out["reference_rate"], out["days"]) == ("10.40", "2.40", 28)
    assert out["interest"] == f"{Decimal(law(('100', '10.40', 28))) / 100:.2f}"


def test_cli_readable_statement(capsys):
    assert main(["interest", "--regime", "EU", "--amount", "10000", "--due", "2025-01-31", "--paid", "2025-04-01"]) == 0
    assert capsys.readouterr().out.strip() == (
        "Invoice of EUR 10,000.00 due 2025-01-31, paid 2025-04-01: 60 days late. Interest at 11.15% "
        "(ECB 3.15% + 8): EUR 183.29. Fixed compensation EUR 40.00. Total EUR 223.29."
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (["--regime", "EU", "--amount", "TBD", "--due", "2025-01-31", "--paid", "2025-04-01"], "not an amount"),
        (["--regime", "EU", "--amount", "-5", "--due", "2025-01-31", "--paid", "2025-04-01"], "more than zero"),
        (["--regime", "FR", "--amount", "5", "--due", "2025-01-31", "--paid", "2025-04-01"], "EU or UK"),
        (["--regime", "EU", "--amount", "5", "--due", "31/01/2025", "--paid", "2025-04-01"], "YYYY-MM-DD"),
        (["--regime", "EU", "--amount", "5", "--due", "2025-01-31"], "required"),
        (["--regime", "UK", "--amount", "5", "--due", "2025-01-31", "--paid", "2025-04-01", "--reference-rate", "x"],
         "not a number"),
        (["--regime", "UK", "--amount", "5000", "--due", "2026-07-10", "--paid", "2026-08-13"], "RateTable"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_line_and_exit_2(args, words):
    run = billing(*args)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("billing:") and words in lines[0], run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_cli_uses_the_rate_table_of_a_workbook(tmp_path: Path, capsys):
    path = build_template(tmp_path / "b.xlsx", rows={"RateTable": [["UK", D(2026, 6, 30), 3.5, "MPC"]]})
    args = ["interest", "--regime", "UK", "--amount", "5000", "--due", "2026-07-10", "--paid", "2026-08-13"]
    assert main([*args, "--book", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rate"] == "11.50" and out["interest"] == f"{Decimal(law(('5000', '11.5', 34))) / 100:.2f}"
