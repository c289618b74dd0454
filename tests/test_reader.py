"""The reader: header aliases, reordered columns, tables and plain ranges, exact cents, real dates,
and files that cannot be read at all."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import AS_OF, findings_of
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from billing_addin.cli.app import main
from billing_addin.workbook.reader import UnreadableWorkbook, read_book


def plain_book(path: Path) -> Path:
    """A hand-made book: lowercase sheet names, a title above the headers, columns in another order
    under other names, an extra column, data starting in column B, no Excel Tables."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "customers"
    ws.append(["Cust ID", "Customer Name", "E-mail", "My own column"])
    ws.append([1001, "Johnson & Sons <Ltd>", "ap@johnson.example", "keep me"])
    ws.append(["C2", "O'Brien", None, None])
    inv = wb.create_sheet("INVOICES")
    inv["A1"] = "Invoices for 2026"
    inv.append([])
    inv.append([None, "Customer #", "Inv No", "Notes (mine)", "Total", "Date", "Due"])
    inv.append([None, 1001, "A-1", "x", 100.1, dt.date(2026, 1, 5), "2026-02-04"])
    inv.append([None, "C2", "A-2", None, "1,250.50", 46000, None])
    inv.append([None, "C2", "A-3", None, "TBD", dt.date(2026, 3, 1), None])
    inv.append([None, "C2", "A-4", None, 2.675, dt.datetime(2026, 3, 2, 14, 30), None])
    pay = wb.create_sheet("Payments")
    pay.append(["Date Received", "Amount Paid", "Customer ID", "Invoice #", "Ref"])
    pay.append([dt.date(2026, 2, 1), 100.1, 1001, "A-1", "chk 1"])
    settings = wb.create_sheet("settings")
    settings.append(["Setting", "Value"])
    settings.append(["company name", "Brightside"])
    settings.append(["Default Currency", "EUR"])
    adj = wb.create_sheet("Adjustments")
    adj.append(["Customer ID", "Date", "Type", "Amount"])
    path = path / "plain.xlsx"
    wb.save(path)
    return path


def test_aliases_reordered_columns_and_offsets_name_the_users_cells(tmp_path):
    path = plain_book(tmp_path)
    book = read_book(path)
    inv = book.sheet("Invoices")
    assert inv.title == "INVOICES" and inv.header_row == 3 and inv.in_table is None
    assert inv.letters["Invoice No"] == "C" and inv.letters["Amount"] == "E" and inv.letters["Customer ID"] == "B"
    assert inv.rows == [4, 5, 6, 7]
    assert inv.extra_headers == ["Notes (mine)"]
    found = findings_of(path)
    assert [(f.code, f.sheet, f.cell) for f in found if f.severity == "error"] == [("not-money", "INVOICES", "E6")]


def test_values_are_exact_cents_and_real_dates(tmp_path):
    book = read_book(plain_book(tmp_path))
    inv = book.sheet("Invoices")
    # 2.675 is 2.68 as Excel's ROUND has it; text amounts are read too; numbers as IDs match text IDs.
    assert inv.columns["Amount"] == [10010, 125050, None, 268]
    assert inv.columns["Customer ID"] == ["1001", "C2", "C2", "C2"]
    assert inv.columns["Invoice Date"] == [
        dt.date(2026, 1, 5),
        dt.date(2025, 12, 9),
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
    ]
    assert inv.columns["Due Date"] == [dt.date(2026, 2, 4), None, None, None]
    assert book.settings.get("Company Name") == "Brightside"
    assert book.settings.get("Default Currency") == "EUR"
    assert book.settings.get("Default Terms") == 30  # the default when the sheet leaves it out
    pay = book.sheet("Payments")
    assert pay.columns["Applied To"] == ["A-1"] and pay.columns["Reference"] == ["chk 1"]


def test_data_in_an_excel_table_not_at_a1(tmp_path):
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws["A1"] = "Our customers"
    ws.append([])
    ws.append([None, None, "Name", "Customer ID"])
    ws.append([None, None, "Acme", "C1"])
    ws.append([None, None, None, None])  # a blank row inside the table is skipped
    ws.append([None, None, "Beta", "C1"])
    ws.add_table(Table(displayName="tblCust", ref="C3:D6"))
    ws["H20"] = "a note far away that is not data"
    path = tmp_path / "table.xlsx"
    wb.save(path)
    sd = read_book(path).sheet("Customers")
    assert sd.in_table == "tblCust" and sd.header_row == 3
    assert sd.rows == [4, 6] and sd.letters == {"Name": "C", "Customer ID": "D"}
    found = findings_of(path)
    assert [(f.code, f.cell) for f in found if f.sheet == "Customers"] == [("duplicate-customer-id", "D6")]


def test_header_row_in_an_excel_table_matched_through_aliases(write, data):
    book = read_book(write(data))
    assert book.sheet("Invoices").in_table == "tblInvoices"
    assert len(book.sheet("Invoices")) == len(data.rows["Invoices"])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        (b"hello, this is text", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
        (b"PK\x03\x04 truncated zip", "damaged"),
    ],
)
def test_unreadable_files_exit_2_with_one_line(tmp_path, capsys, content, reason):
    path = tmp_path / "book.xlsx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UnreadableWorkbook):
        read_book(path)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and "Traceback" not in captured.err


def test_a_zip_that_is_not_a_workbook_exits_2(tmp_path, capsys):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("billing: ") and "Traceback" not in err


def test_a_workbook_without_billing_sheets_gives_findings_not_a_crash(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    wb.save(path)
    found = findings_of(path, AS_OF)
    assert {f.sheet for f in found if f.code == "missing-sheet"} == {
        "Customers",
        "Invoices",
        "Payments",
        "Adjustments",
        "Settings",
    }


def test_xlsm_is_read(tmp_path, write, data):
    src = write(data)
    wb = openpyxl.load_workbook(src)
    path = tmp_path / "book.xlsm"
    wb.save(path)
    assert len(read_book(path).sheet("Invoices")) == len(data.rows["Invoices"])


def test_a_huge_number_in_a_date_cell_is_one_clear_line_not_a_rust_panic(tmp_path, capfd):
    from billing_addin.workbook.template import build_template

    path = tmp_path / "book.xlsx"
    build_template(path)
    wb = openpyxl.load_workbook(path)
    wb["Invoices"]["C2"] = -1e12  # date-formatted by the template: python-calamine panics on it
    wb.save(path)
    assert main(["validate", str(path)]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "sheet Invoices" in err and "date-formatted cell" in err
    assert "panicked" not in err and "Traceback" not in err


def _as_compared(book) -> dict:
    return {
        name: None if sd is None else (sd.rows, sd.columns, sd.problems, sd.letters, sd.in_table)
        for name, sd in book.sheets.items()
    } | {"settings": book.settings.values, "owned": book.owned_rows, "titles": book.sheet_titles}


def test_the_order_sheets_are_read_in_changes_nothing(write, data, monkeypatch):
    """Sheets are read two at a time, biggest first; any order and either thread gives the same book."""
    from billing_addin.workbook import reader

    data.rows["Invoices"][3][4] = "TBD"  # a problem cell, so problems are compared too
    path = write(data)
    as_read = _as_compared(read_book(path))
    sizes = reader.sheet_sizes(path)
    assert set(sizes) == set(as_read["titles"]) and min(sizes.values()) > 0
    monkeypatch.setattr(reader, "sheet_sizes", lambda p: {t: -s for t, s in sizes.items()})  # smallest first
    assert _as_compared(read_book(path)) == as_read
    assert as_read["Invoices"][2]  # the problem cell was found


def test_a_failing_job_names_its_sheet_whichever_thread_ran_it(write, data):
    import python_calamine as pc

    from billing_addin.workbook.parallel_read import SheetFailed, SheetPool

    path = write(data)
    wb = pc.CalamineWorkbook.from_path(str(path))

    def slow(w):
        w.get_sheet_by_name("Invoices").to_python()
        return "done"

    def broken(w):
        raise ValueError("bad cell")

    pool = SheetPool(path, wb, load_tables=False)
    try:
        assert pool.run([("sheet A", slow), ("sheet B", lambda w: len(w.sheet_names))]) == ["done", len(wb.sheet_names)]
        for jobs in ([("sheet A", slow), ("sheet B", broken)], [("sheet B", broken), ("sheet A", slow)]):
            with pytest.raises(SheetFailed) as failed:
                pool.run(jobs)
            assert failed.value.what == "sheet B" and isinstance(failed.value.error, ValueError)

        def interrupted(w):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            pool.run([("sheet A", slow), ("sheet B", interrupted)])
    finally:
        pool.close()
        wb.close()


def test_rows_of_different_lengths_keep_every_cell():
    """Rows as the Excel shell may pass them (a short row where the last cells are blank): the cells of the
    longer rows in the columns the short row lacks are still read, and the short row's are blank."""
    from billing_addin.workbook.reader import book_from_rows

    book = book_from_rows(
        {
            "Invoices": [
                ["Invoice No", "Customer ID", "Invoice Date", "Amount", "Currency"],
                ["I1", "C1", dt.date(2026, 5, 1), 12.5, "EUR"],
                ["I2", "C1"],
                ["I3", "C2", dt.date(2026, 5, 3)],
            ]
        }
    )
    sd = book.sheet("Invoices")
    assert sd.columns["Invoice No"] == ["I1", "I2", "I3"]
    assert sd.columns["Invoice Date"] == [dt.date(2026, 5, 1), None, dt.date(2026, 5, 3)]
    assert sd.columns["Amount"] == [1250, None, None]
    assert sd.columns["Currency"] == ["EUR", None, None]


# Cells as calamine gives them: text (some with spaces to strip, some only spaces), '' for blank, numbers, dates.
cells = st.one_of(
    st.sampled_from(["C1", "c1", " C2", "C3 ", "   ", "", "INV-7"]),
    st.text(max_size=4),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10, 10_000),
    st.dates(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, max_size=12), st.booleans())
def test_text_columns_fast_path_gives_what_the_cell_by_cell_rule_gives(values, all_text):
    """ID, text and currency columns take a one-pass path when every cell is tidy text; the result must be
    what tidying each cell on its own gives (the rule the fast path stands in for)."""
    from billing_addin.core.cell_values import _tidy_text, to_id

    if all_text:
        values = [v for v in values if type(v) is str]
    assume(values)

    def by_cell(v):
        return v if type(v) is str and v and v.strip() is v else (None if v == "" or v is None else to_id(v))

    assert _tidy_text(values, to_id) == [by_cell(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", "", "x", 1.0]), min_size=0, max_size=4), max_size=8))
def test_blank_rows_are_skipped_and_the_others_keep_their_excel_row(rows):
    """Rectangular rows with no blank row take a short cut; any other shape is checked row by row."""
    from billing_addin.core.cell_values import to_id
    from billing_addin.workbook.reader import book_from_rows

    header = ["Customer ID", "Name", "Email", "Phone"]
    sd = book_from_rows({"Customers": [header, *rows]}).sheet("Customers")
    kept = [i for i, r in enumerate(rows) if r.count("") < len(r)]
    assert sd.rows == [i + 2 for i in kept]
    assert sd.columns["Customer ID"] == [to_id(rows[i][0]) if rows[i] else None for i in kept]
