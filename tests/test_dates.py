"""Dates typed as text with numbers only (3/4/2025, 13.04.25): the day/month order is settled per column by
its own unambiguous values, or by Date Order / an explicit Locale in Settings; a column that stays ambiguous
is one finding on its header cell and its ambiguous cells stay unread; a column mixing orders is a finding.
Real .xlsx files are written and read back with read_book, as a user's would be."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
import python_calamine as pc
from conftest import AS_OF, col, findings_of, letter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_addin import commands
from billing_addin.cli.app import main
from billing_addin.core.cell_values import DMY, MDY, YMD, convert_dates, locale_date_order, parse_date
from billing_addin.core.held_back import held_back
from billing_addin.workbook.reader import book_from_rows, book_from_sheet_values, read_book

DATE = col("Invoices", "Invoice Date")
HEADER = f"{letter('Invoices', 'Invoice Date')}1"  # the Invoice Date header cell on the template's Invoices


def as_text(d: dt.date, order: str, sep: str = "/", two_digit_year: bool = False, pad: bool = False) -> str:
    y = f"{d.year % 100:02d}" if two_digit_year else str(d.year)
    day, month = (f"{d.day:02d}", f"{d.month:02d}") if pad else (str(d.day), str(d.month))
    return sep.join((month, day, y) if order == MDY else (day, month, y))


def typed_as_text(data, order: str, **how) -> list[dt.date]:
    """Every Invoice Date of `data` typed as text in `order`; the dates they stand for."""
    originals = []
    for r in data.rows["Invoices"]:
        originals.append(r[DATE])
        r[DATE] = as_text(r[DATE], order, **how)
    return originals


def all_ambiguous(data) -> None:
    """Move each Invoice Date to a day of 12 or less that is not its month (so each could be either order),
    never later than it was (so no due date comes before its invoice date)."""
    for r in data.rows["Invoices"]:
        d = r[DATE]
        day = min(d.day, 12)
        if day == d.month:
            day = day - 1 if day > 1 else 2
        r[DATE] = d.replace(day=day)


def invoice_findings(path: Path) -> list:
    return [f for f in findings_of(path) if f.sheet == "Invoices"]


# --- the column's own values settle the order ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "how"),
    [
        (MDY, {}),
        (DMY, {}),
        (MDY, {"pad": True}),
        (DMY, {"sep": ".", "pad": True}),
        (DMY, {"sep": "-", "two_digit_year": True}),
        (MDY, {"sep": "-", "two_digit_year": True, "pad": True}),
    ],
)
def test_a_text_date_column_with_days_over_12_reads_right_and_clean(data, write, order, how):
    originals = typed_as_text(data, order, **how)
    assert any(d.day > 12 for d in originals) and any(d.day <= 12 and d.day != d.month for d in originals)
    path = write(data)
    book = read_book(path)
    assert book.sheet("Invoices").columns["Invoice Date"] == originals
    assert commands.validate(book, AS_OF).errors == []


def test_an_all_ambiguous_column_is_one_finding_on_its_header_cell(data, write):
    rows = data.rows["Invoices"]
    all_ambiguous(data)
    originals = typed_as_text(data, DMY, pad=True)
    path = write(data)
    book = read_book(path)
    assert book.sheet("Invoices").columns["Invoice Date"] == [None] * len(rows)  # no figure from a guess
    found = invoice_findings(path)
    assert [(f.severity, f.code, f.cell) for f in found] == [("error", "ambiguous-date-column", HEADER)]
    (f,) = found
    assert f"{len(rows)} text dates such as '{rows[0][DATE]}' (C2)" in f.message and "left unread" in f.message
    assert "Date Order" in f.hint and "MDY" in f.hint and "DMY" in f.hint and "2025-03-31" in f.hint
    # The unread cells are neither reported one by one nor as blank required cells.
    assert not [x for x in findings_of(path) if x.code in ("required", "not-a-date")]
    # It holds back every customer's letters and fees: which invoices are overdue cannot be told.
    assert held_back(book, findings_of(path)).everyone == [f]

    data.settings["Date Order"] = "DMY"
    fixed = write(data, "dmy.xlsx")
    book = read_book(fixed)
    assert book.sheet("Invoices").columns["Invoice Date"] == originals
    assert commands.validate(book, AS_OF).errors == []
    data.settings["Date Order"] = "mdy"  # any case, as a dropdown choice; now every date reads month first
    book = read_book(write(data, "mdy.xlsx"))
    assert book.settings.get("Date Order") == MDY
    assert book.sheet("Invoices").columns["Invoice Date"] == [d.replace(month=d.day, day=d.month) for d in originals]


def test_one_ambiguous_text_date_among_real_dates_is_told_once_for_its_column(data, write):
    """Real dates are no evidence for the order text is typed in: a lone 03/04/2026 stays unread. (Before Date
    Order this was a not-a-date finding on the cell; now it is one finding for the column, on its header.)"""
    data.rows["Invoices"][1][col("Invoices", "Due Date")] = "03/04/2026"
    found = invoice_findings(write(data))
    due = letter("Invoices", "Due Date")
    assert [(f.code, f.cell) for f in found] == [("ambiguous-date-column", f"{due}1")]
    assert (
        f"the text date '03/04/2026' ({due}3) could be" in found[0].message and "it is left unread" in found[0].message
    )
    assert "2026-03-04" in found[0].hint and "2026-04-03" in found[0].hint


@pytest.mark.parametrize(
    ("locale", "order"), [("en_GB", DMY), ("de-DE", DMY), ("fr_FR", DMY), ("en_PH", MDY), ("ja_JP", None)]
)
def test_an_explicit_locale_decides_a_column_without_evidence(data, write, locale, order):
    all_ambiguous(data)
    originals = typed_as_text(data, order or DMY)
    data.settings["Locale"] = locale
    path = write(data)
    found = invoice_findings(path)
    if order is None:  # a locale that writes the year first (ja_JP y/MM/dd) says nothing of 3/4/2025
        assert [f.code for f in found] == ["ambiguous-date-column"]
        return
    assert read_book(path).sheet("Invoices").columns["Invoice Date"] == originals
    assert found == []


def test_the_template_locale_en_us_decides_nothing(data, write):
    """en_US is on the Settings sheet of every workbook made from the template, chosen or not: it does not read
    an ambiguous column month first (Date Order = MDY does)."""
    all_ambiguous(data)
    typed_as_text(data, MDY)
    assert data.settings["Locale"] == "en_US"
    assert [f.code for f in invoice_findings(write(data))] == ["ambiguous-date-column"]


def test_a_column_mixing_orders_is_a_finding_naming_a_cell_of_each_kind(data, write):
    rows = data.rows["Invoices"]
    rows[0][DATE] = "13/01/2025"
    rows[1][DATE] = "01/14/2025"
    rows[2][DATE] = "03/04/2025"
    rows[3][DATE] = "05/05/2025"  # the same day either way: read
    path = write(data)
    (f,) = invoice_findings(path)
    assert (f.severity, f.code, f.cell) == ("error", "mixed-date-order", HEADER)
    assert "'13/01/2025' (C2)" in f.message and "'01/14/2025' (C3)" in f.message
    assert "the text date '03/04/2025' (C4)" not in f.message and "1 text date that could be either" in f.message
    column = read_book(path).sheet("Invoices").columns["Invoice Date"]
    assert column[:4] == [dt.date(2025, 1, 13), dt.date(2025, 1, 14), None, dt.date(2025, 5, 5)]


def test_under_an_explicit_order_a_date_that_does_not_fit_is_not_a_date(data, write):
    rows = data.rows["Invoices"]
    rows[0][DATE] = "13/01/2025"
    rows[1][DATE] = "01/14/2025"
    data.settings["Date Order"] = "MDY"
    path = write(data)
    found = invoice_findings(path)
    assert [(f.code, f.cell) for f in found] == [("not-a-date", "C2")]
    assert "month/day/year" in found[0].message and "Date Order" in found[0].message
    assert read_book(path).sheet("Invoices").columns["Invoice Date"][:2] == [None, dt.date(2025, 1, 14)]


def test_ymd_reads_two_digit_years_first(data, write):
    rows = data.rows["Invoices"]
    rows[0][DATE], rows[1][DATE], rows[2][DATE] = "25/03/31", "25-4-01", "2025/04/02"
    data.settings["Date Order"] = "YMD"
    column = read_book(write(data)).sheet("Invoices").columns["Invoice Date"]
    assert column[:3] == [dt.date(2025, 3, 31), dt.date(2025, 4, 1), dt.date(2025, 4, 2)]


def test_the_settings_as_of_date_follows_date_order(data, write):
    data.settings["As-of Date"] = "03/04/2026"
    book = read_book(write(data))
    assert book.settings.as_of is None
    assert [p[2] for p in book.settings.problems] == ["setting-invalid"] and "Date Order" in book.settings.problems[0][
        4
    ]
    data.settings["Date Order"] = "DMY"
    assert read_book(write(data, "dmy.xlsx")).settings.as_of == dt.date(2026, 4, 3)


def test_validate_json_end_to_end(data, write, capsys):
    all_ambiguous(data)
    typed_as_text(data, MDY, pad=True)
    path = write(data)
    assert main(["validate", str(path), "--as-of", str(AS_OF), "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert [(f["severity"], f["code"], f["sheet"], f["cell"]) for f in found] == [
        ("error", "ambiguous-date-column", "Invoices", HEADER)
    ]
    assert found[0]["message"].startswith("Invoice Date: 20 text dates such as ")

    wb = openpyxl.load_workbook(path)  # the fix the hint gives, made as a user makes it
    ws = wb["Settings"]
    (row,) = [r for r in ws.iter_rows() if r[0].value == "Date Order"]
    row[1].value = "MDY"
    wb.save(path)
    assert main(["validate", str(path), "--as-of", str(AS_OF), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_no_figures_from_an_ambiguous_column(data, write, capsys):
    """refresh, fees and dunning stop on it (exit 1, the header cell, no figures): every customer's balance and
    lateness would depend on a guess."""
    all_ambiguous(data)
    typed_as_text(data, MDY)
    path = write(data)
    for command in ("refresh", "fees", "dunning"):
        assert main([command, str(path), "--as-of", str(AS_OF), "--json"]) == 1
        out = json.loads(capsys.readouterr().out)
        assert out["stopped"] is True
        assert [(f["code"], f["cell"]) for f in out["findings"]] == [
            ("ambiguous-date-column", HEADER),
            ("no-figures", ""),
        ]


# --- the three ways into a Book agree, and random columns read back exactly -----------------------------------


def three_books(path: Path):
    """The book read from the file, as the Excel shell builds it from the sheets' values, and from rows."""
    wb = pc.CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in wb.sheet_names:
        s = wb.get_sheet_by_name(name)
        rows = [[None if v == "" else v for v in r] for r in s.to_python()]
        sheets[name] = (s.start or (0, 0), rows)
    wb.close()
    by_rows = {name: rows for name, (_, rows) in sheets.items() if name != "Settings"}
    settings_rows = sheets["Settings"][1][1:]
    given = {r[0]: r[1] for r in settings_rows if r and r[0] and r[1] is not None}
    return read_book(path), book_from_sheet_values(sheets), book_from_rows(by_rows, given)


dates = st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2069, 12, 31))


@st.composite
def text_columns(draw):
    """Dates, an order, how they are typed; at least one of them unambiguous (day over 12)."""
    ds = draw(st.lists(dates, min_size=1, max_size=12))
    assume_one = draw(dates.filter(lambda d: d.day > 12))
    ds.insert(draw(st.integers(0, len(ds))), assume_one)
    order = draw(st.sampled_from([MDY, DMY]))
    how = {
        "sep": draw(st.sampled_from("/.-")),
        "two_digit_year": draw(st.booleans()),
        "pad": draw(st.booleans()),
    }
    return ds, order, how


@settings(max_examples=150, deadline=None)
@given(text_columns())
def test_random_text_dates_with_one_unambiguous_value_read_back_exactly(column):
    ds, order, how = column
    texts = [as_text(d, order, **how) for d in ds]
    out, problems = convert_dates(texts)
    assert out == ds and problems == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=text_columns(), date_order=st.sampled_from(["Auto", "MDY", "DMY"]))
def test_random_text_date_columns_through_a_real_file(tmp_path, column, date_order):
    """Written with xlsxwriter as text cells, read back by all three readers: the same dates, and the originals
    whenever Date Order is Auto or the order they were typed in."""
    import xlsxwriter

    ds, order, how = column
    path = tmp_path / "dates.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    inv = wb.add_worksheet("Invoices")
    inv.write_row(0, 0, ["Invoice No", "Customer ID", "Invoice Date", "Amount"])
    for i, d in enumerate(ds, start=1):
        inv.write_row(i, 0, [f"I{i}", "C1", as_text(d, order, **how), 10])
    st_ = wb.add_worksheet("Settings")
    st_.write_row(0, 0, ["Setting", "Value"])
    st_.write_row(1, 0, ["Company Name", "X"])
    st_.write_row(2, 0, ["Date Order", date_order])
    wb.close()
    books = three_books(path)
    columns = [b.sheet("Invoices").columns["Invoice Date"] for b in books]
    problems = [b.sheet("Invoices").problems for b in books]
    assert columns[0] == columns[1] == columns[2] and problems[0] == problems[1] == problems[2]
    if date_order in ("Auto", order):
        assert columns[0] == ds and problems[0] == []


# --- single values and locales ---------------------------------------------------------------------------------


def test_single_values_read_when_only_one_order_makes_a_date():
    assert parse_date("13/4/2025") == dt.date(2025, 4, 13)
    assert parse_date("4/13/2025") == dt.date(2025, 4, 13)
    assert parse_date("5.5.25") == dt.date(2025, 5, 5)
    assert parse_date("3/4/2025") == "is ambiguous text (day and month order unknown)"
    assert parse_date("31/2/2025") == "is not a real calendar date"
    assert parse_date("13/1/70") == dt.date(1970, 1, 13) and parse_date("13/1/69") == dt.date(2069, 1, 13)
    assert parse_date("3/4/2025 10:30") == "is ambiguous text (day and month order unknown)"
    assert parse_date("13/4/2025 10:30") == dt.date(2025, 4, 13)


def test_locale_date_order_from_babel():
    assert locale_date_order("en_US") == MDY and locale_date_order("en_GB") == DMY
    assert locale_date_order("de_DE") == DMY and locale_date_order("fr-FR") == DMY
    assert locale_date_order("en_CA") is None and locale_date_order("ja_JP") is None  # the year first
    assert locale_date_order("xx_YY") is None
    assert YMD not in {locale_date_order(n) for n in ("sv_SE", "zh_CN", "hu_HU")}


def test_a_columns_own_evidence_outweighs_the_locale():
    from billing_addin.core.cell_values import DateOrder

    out, problems = convert_dates(["1/13/2025", "3/4/2025"], DateOrder(locale="en_GB"))
    assert out == [dt.date(2025, 1, 13), dt.date(2025, 3, 4)] and problems == []
    out, problems = convert_dates(["3/4/2025", dt.date(2025, 1, 1), ""], DateOrder(locale="en_GB"))
    assert out == [dt.date(2025, 4, 3), dt.date(2025, 1, 1), None] and problems == []
