"""IDs typed as numbers come back as numbers on the owned sheets, so that Excel's lookups match.

The reader turns every ID into text ("24081" for a number cell holding 24081) so that rows link whatever
the cell type; it remembers which cells held numbers, and Balances, Aging and Dunning write those IDs as
numbers. Text stays text (never a formula), digits typed as text included.
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import python_calamine as pc

from billing_addin.cli.app import main
from billing_addin.core.cell_values import convert_ids, id_cell
from billing_addin.core.patch import Column, Link, OwnedSheet
from billing_addin.excel import patch_plan
from billing_addin.workbook.reader import book_from_rows, book_from_sheet_values, read_book
from billing_addin.workbook.template import build_template
from billing_addin.workbook.xlsx.owned_sheet import register_styles, sheet_xml
from billing_addin.workbook.xlsx.styles import StyleBook

D = dt.date
AS_OF = D(2026, 6, 30)


def test_ids_are_text_and_the_number_cells_are_remembered():
    assert convert_ids(["A1", "B2", ""]) == (["A1", "B2", None], [])  # all text: nothing to remember
    typed, numbers = convert_ids([24081.0, "24082", 7, " C1 ", "", True, 1.5, D(2026, 1, 2)])
    assert typed == ["24081", "24082", "7", "C1", None, "True", "1.5", "2026-01-02"]
    assert numbers == [0, 2, 6]  # a bool or a date is no number
    assert [id_cell(t) for t in ("24081", "-3", "1.5", "1e+20")] == [24081, -3, 1.5, 1e20]
    assert [id_cell(t) for t in ("C1", "inf", "nan")] == ["C1", "inf", "nan"]


def test_the_numeric_rows_are_the_same_however_the_book_is_read(tmp_path):
    rows = {
        "Customers": [["Customer ID", "Name"], [500, "Acme"], ["C2", "Beta"]],
        "Invoices": [
            ["Invoice No", "Customer ID", "Invoice Date", "Amount"],
            [24081, 500, D(2026, 1, 1), 10],
            ["24082", "C2", D(2026, 1, 1), 10],
            [24083.0, "C2", D(2026, 1, 1), 10],
        ],
    }
    from_rows = book_from_rows(rows).sheet("Invoices")
    assert from_rows.numeric_ids == {"Invoice No": frozenset({2, 4}), "Customer ID": frozenset({2})}
    assert from_rows.columns["Invoice No"] == ["24081", "24082", "24083"]
    assert book_from_rows(rows).sheet("Customers").numeric_rows("Customer ID") == {2}
    excel = book_from_sheet_values({name: ((0, 0), r) for name, r in rows.items()}).sheet("Invoices")
    assert excel.numeric_ids == from_rows.numeric_ids
    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Invoices"
    for r in rows["Invoices"]:
        wb.active.append(r)
    wb.save(path)
    assert read_book(path).sheet("Invoices").numeric_ids == from_rows.numeric_ids


def test_a_link_to_a_number_is_a_number_in_the_file_and_through_excel():
    sheet = OwnedSheet(
        "Balances",
        (Column("Invoice No", 14),),
        ((Link(24081, "'Invoices'!A2"),), (Link("24082", "'Invoices'!A3"),), (Link("=1+1", "'Invoices'!A4"),)),
    )
    xml = "".join(sheet_xml(sheet, register_styles(sheet, StyleBook(None)), date1904=False))
    assert '<c r="A2" s="' in xml and "><v>24081</v></c>" in xml
    assert 'display="24081"' in xml
    assert "<is><t>24082</t></is>" in xml and "<is><t>=1+1</t></is>" in xml and "<f>" not in xml
    assert patch_plan.excel_value(Link(24081, "'Invoices'!A2")) == "=HYPERLINK(\"#'Invoices'!A2\",24081)"
    assert patch_plan.excel_value(Link(1.5, "X!A2")) == '=HYPERLINK("#X!A2",1.5)'
    assert patch_plan.excel_value(Link("24082", "X!A3")) == '=HYPERLINK("#X!A3","24082")'


def numeric_book(path):
    """A real workbook whose Invoice Nos and some Customer IDs are numbers, with text IDs beside them."""
    rows = {
        "Customers": [
            [500, "Acme", None, None, None, None, None, None, None, None, None, None, 30],
            ["C2", "Beta", None, None, None, None, None, None, None, None, None, None, 30],
            ["0042", "Gamma", None, None, None, None, None, None, None, None, None, None, 30],  # digits as text
        ],
        "Invoices": [
            [24081, 500, D(2026, 1, 1), D(2026, 1, 31), 100],
            [24082, "C2", D(2026, 2, 1), D(2026, 3, 3), 200],
            ["24083", "0042", D(2026, 3, 1), D(2026, 3, 31), 300],  # digits typed as text stay text
            ["INV-9", 500, D(2026, 4, 1), D(2026, 5, 1), 400],
            ["-24084", "C2", D(2026, 4, 2), D(2026, 5, 2), 50],  # text Excel would take for a number if typed
        ],
        "Payments": [
            ["P1", 500, D(2026, 2, 10), 100, None, None, None, 24081],  # Applied To as a number
            ["P2", "0042", D(2026, 4, 20), 300, None, None, None, "24083"],
        ],
    }
    build_template(path, rows, {"Company Name": "Us"})
    return path


def test_refresh_write_keeps_numbers_numbers_and_text_text(tmp_path, capsys):
    path = numeric_book(tmp_path / "numbers.xlsx")
    assert main(["refresh", str(path), "--as-of", str(AS_OF), "--write"]) in (0, 1)
    capsys.readouterr()
    wb = openpyxl.load_workbook(path)
    invoices = {ws_row[0].row: ws_row for ws_row in wb["Invoices"].iter_rows(min_row=2, max_col=2)}
    balances = wb["Balances"]
    header = [c.value for c in balances[1]]
    no_col, cust_col = header.index("Invoice No"), header.index("Customer ID")
    seen = {}
    for row in balances.iter_rows(min_row=2):
        no, cust = row[no_col], row[cust_col]
        target = invoices[int(no.hyperlink.location.rsplit("A", 1)[1])]  # the link still jumps to the invoice
        # The same value and the same type as the Invoices cell: what VLOOKUP / XLOOKUP need.
        assert (no.value, type(no.value)) == (target[0].value, type(target[0].value)), no.coordinate
        assert (cust.value, type(cust.value)) == (target[1].value, type(target[1].value)), cust.coordinate
        assert no.data_type != "f" and cust.data_type != "f"
        seen[no.value] = (no.data_type, cust.value)
    assert seen == {
        24081: ("n", 500),
        24082: ("n", "C2"),
        "24083": ("s", "0042"),
        "INV-9": ("s", 500),
        "-24084": ("s", "C2"),
    }
    # Aging and Dunning, one row per customer: the Customers sheet's type.
    aging = {r[0] for r in wb["Aging"].iter_rows(min_row=2, values_only=True)}
    assert aging == {500, "C2", "0042"}
    dunning = {r[1] for r in wb["Dunning"].iter_rows(min_row=2, values_only=True)}
    assert 500 in dunning and "500" not in dunning
    # python-calamine (what the add-in reads with) sees numbers too.
    cal = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Balances").to_python()
    assert {r[0] for r in cal[1:]} == {24081.0, 24082.0, "24083", "INV-9", "-24084"}
    # The book still reads and refreshes as before: the numbers are the same invoices.
    book = read_book(path)
    assert book.sheet("Invoices").columns["Invoice No"] == ["24081", "24082", "24083", "INV-9", "-24084"]
    capsys.readouterr()
    assert main(["refresh", str(path), "--as-of", str(AS_OF), "--json"]) in (0, 1)
    data = json.loads(capsys.readouterr().out)
    by_no = {x["invoice_no"]: x for x in data["invoices"]}
    assert by_no["24081"]["status"] == "Paid" and by_no["24081"]["paid_date"] == "2026-02-10"
    assert by_no["24083"]["status"] == "Paid" and by_no["24081"]["customer_id"] == "500"  # JSON IDs are text
