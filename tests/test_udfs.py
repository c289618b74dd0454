"""The UDFs as plain functions: Excel-shaped inputs, the same answers as the batch engine for every row of the
demo book, one load per workbook version, and the VBA xlwings' "Import Functions" would write for them.

Excel itself cannot run here: the data reaches the UDFs through `FileBookSource` (a real workbook file), where
inside Excel it comes through `xlwings_shell.ExcelBookSource` (unproven here; see the README)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from billing_addin import commands
from billing_addin.core.cell_values import date_to_serial
from billing_addin.core.fees import accrue_fees
from billing_addin.core.ledger import build_ledger
from billing_addin.excel import udfs
from billing_addin.excel.udf_vba import udf_vba_module
from billing_addin.excel.workbook_data import FileBookSource
from billing_addin.loader import check_book
from billing_addin.workbook.demo_book import build_demo_book
from billing_addin.workbook.reader import book_from_sheet_values, read_book

AS_OF = dt.date(2026, 6, 30)
GOLDEN = Path(__file__).parent / "golden" / "xlwings_udfs.bas"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo book without its planted mistakes: every customer's figures are shown (see
    test_a_customer_whose_rows_have_errors_is_held_back for the book with them)."""
    path = tmp_path_factory.mktemp("udfs") / "demo-billing.xlsx"
    build_demo_book(path, AS_OF, mistakes=False)
    return path


@pytest.fixture(scope="module")
def demo_with_mistakes(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("udfs-mistakes") / "demo-billing.xlsx"
    build_demo_book(path, AS_OF)
    return path


@pytest.fixture(scope="module")
def refreshed(demo):
    """The batch engine's answers: refresh's Balances, Aging and Dunning sheets, by header."""
    result = commands.refresh(read_book(demo), AS_OF)
    sheets = {}
    for s in result.patch.sheets:
        headers = [c.header for c in s.columns]
        sheets[s.name] = [dict(zip(headers, r)) for r in s.rows]
    return sheets


def cell(v):
    """What a cell shows for a patch value (a Link shows its text)."""
    return getattr(v, "text", v)


def num(v) -> float:
    return float(Decimal(v))


# --- Excel-shaped inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "due",
    [
        dt.datetime(2026, 1, 31),  # a date cell, as xlwings hands it over
        dt.date(2026, 1, 31),
        float(date_to_serial(dt.date(2026, 1, 31))),  # a date typed in a General cell: its serial
        date_to_serial(dt.date(2026, 1, 31)) + 0.75,  # a date and time
        "2026-01-31",
        " 31 January 2026 ",
    ],
)
def test_dates_in_every_shape_excel_gives(due):
    assert udfs.DAYS_PAST_DUE(due, "2026-03-02") == 30
    assert udfs.AGING_BUCKET(due, dt.datetime(2026, 3, 2)) == "1-30"
    assert udfs.DAYS_PAST_DUE(due, 46083.0) == 30  # as_of as a serial (2026-03-02)


def test_bad_input_gives_short_excel_errors_and_never_raises():
    assert udfs.DAYS_PAST_DUE("TBD") == "#VALUE! due_date is not a date"
    assert udfs.DAYS_PAST_DUE(None) == "#VALUE! due_date is blank"
    assert udfs.DAYS_PAST_DUE(True) == "#VALUE! due_date is not a date"
    assert udfs.DAYS_PAST_DUE("03/04/2026") == "#VALUE! due_date is not a date"  # ambiguous: never guessed
    assert udfs.DAYS_PAST_DUE(-5.0) == "#VALUE! due_date is not a date"
    assert udfs.DAYS_PAST_DUE("2026-01-31", "soon") == "#VALUE! as_of is not a date"
    assert udfs.STATUTORY_FIXED_SUM("n/a", "EU") == "#VALUE! amount is not an amount"
    assert udfs.STATUTORY_FIXED_SUM(100, "US") == "#VALUE! regime must be EU or UK"
    assert udfs.STATUTORY_INTEREST(0, "2025-01-31", "2025-04-01", "EU") == "#VALUE! amount must be more than zero"
    assert udfs.STATUTORY_INTEREST(100, "2025-01-31", "2025-04-01", "EU", "abc") == (
        "#VALUE! reference_rate is not a number"
    )
    assert udfs.STATUTORY_INTEREST(100, "2040-01-31", "2040-04-01", "EU").startswith(
        "#N/A no EU reference rate known for 2040-01-01"
    )
    assert udfs.BILLING_BALANCE("C1001") == "#N/A no workbook: use this function in a cell of a billing workbook"
    assert udfs.DAYS_PAST_DUE_COLUMN([[45000.0], [None], ["x"]], 45010.0) == [
        [10],
        [""],
        ["#VALUE! due_date is not a date"],
    ]


def test_statutory_functions_on_numbers_and_money_text():
    # The README's example: EUR 10,000 due 2025-01-31 paid 2025-04-01, 60 days at 11.15%.
    assert udfs.STATUTORY_INTEREST(10000.0, "2025-01-31", "2025-04-01", "EU") == 183.29
    assert udfs.STATUTORY_INTEREST("10,000.00", dt.datetime(2025, 1, 31), 45748.0, "eu") == 183.29
    assert udfs.STATUTORY_INTEREST(10000, "2025-01-31", "2025-04-01", "EU", 3.15) == 183.29
    assert udfs.STATUTORY_INTEREST(10000, "2025-01-31", "2025-01-31", "UK") == 0.0
    assert udfs.STATUTORY_FIXED_SUM(999.99, "UK") == 40.0
    assert udfs.STATUTORY_FIXED_SUM("£1,000", "UK") == 70.0
    assert udfs.STATUTORY_FIXED_SUM(10000, "UK") == 100.0
    assert udfs.STATUTORY_FIXED_SUM(5, "EU") == 40.0
    assert udfs.STATUTORY_FIXED_SUM_COLUMN([[999.99], [10000.0]], "UK") == [[40.0], [100.0]]
    assert udfs.STATUTORY_INTEREST_COLUMN([[10000.0], [None]], [["2025-01-31"], [None]], [[45748.0], [None]], "EU") == [
        [183.29],
        [""],
    ]
    assert udfs.STATUTORY_INTEREST_COLUMN([[1.0, 2.0]], [["2025-01-31"]], [[45748.0]], "EU") == (
        "#VALUE! the ranges must have the same size"
    )


def test_workbook_functions_on_excel_shaped_ids(demo):
    book = FileBookSource(demo)
    assert udfs.BILLING_BALANCE("c1001", AS_OF, caller=book) == udfs.BILLING_BALANCE("C1001", AS_OF, caller=book)
    assert udfs.BILLING_BALANCE("C9999", AS_OF, caller=book) == "#N/A customer C9999 is not on the Customers sheet"
    assert udfs.BILLING_BALANCE(None, AS_OF, caller=book) == "#VALUE! customer_id is blank"
    assert udfs.BILLING_OUTSTANDING("INV-00000", AS_OF, caller=book) == (
        "#N/A invoice INV-00000 is not on the Invoices sheet"
    )
    assert udfs.INVOICE_STATUS(" inv-24001 ", AS_OF, caller=book) in ("Paid", "Partially Paid", "Overdue", "Open")
    assert udfs.DUNNING_LEVEL("C9999", AS_OF, caller=book) == "#N/A customer C9999 is not on the Customers sheet"
    assert udfs.LATE_FEE(1000, "2026-01-31", AS_OF, "No Such Policy", caller=book) == (
        "#N/A fee policy No Such Policy is not on the FeePolicies sheet"
    )
    assert udfs.LATE_FEE(1000, "2026-01-31", AS_OF, "Exempt", caller=book) == 0.0
    # "Flat 25" in the template's FeePolicies: 25.00 whatever the amount, once 15 days late.
    assert udfs.LATE_FEE("$1,000.00", 46053.0, AS_OF, "flat 25", caller=book) == 25.0


# --- the same answers as the batch engine, for every row of the demo book -------------------------------------


def test_invoice_functions_equal_the_balances_sheet_for_every_invoice(demo, refreshed):
    book = FileBookSource(demo)
    rows = refreshed["Balances"]
    assert len(rows) > 250
    nos = [[cell(r["Invoice No"])] for r in rows]
    outstanding = udfs.BILLING_OUTSTANDING_COLUMN(nos, AS_OF, caller=book)
    statuses = udfs.INVOICE_STATUS_COLUMN(nos, AS_OF, caller=book)
    serial_as_of = float(date_to_serial(AS_OF))  # as Excel passes a date typed into a General cell
    for r, out_col, status_col in zip(rows, outstanding, statuses):
        no = cell(r["Invoice No"])
        assert udfs.BILLING_OUTSTANDING(no, serial_as_of, caller=book) == num(r["Outstanding"]) == out_col[0], no
        assert udfs.INVOICE_STATUS(no, dt.datetime.combine(AS_OF, dt.time()), caller=book) == r["Status"]
        assert status_col[0] == r["Status"]
        if num(r["Outstanding"]) > 0:  # the ledger counts days past due only on what is still owed
            assert udfs.DAYS_PAST_DUE(r["Due Date"], AS_OF, caller=book) == r["Days Past Due"], no


def test_balance_and_aging_bucket_equal_the_aging_sheet_for_every_customer(demo, refreshed):
    book = FileBookSource(demo)
    aging = refreshed["Aging"]
    assert len(aging) > 30
    ids = [[r["Customer ID"]] for r in aging]
    column = udfs.BILLING_BALANCE_COLUMN(ids, AS_OF, caller=book)
    for r, col in zip(aging, column):
        assert udfs.BILLING_BALANCE(r["Customer ID"], AS_OF, r["Currency"], caller=book) == num(r["Balance"]) == col[0]
    # AGING_BUCKET of each open invoice's due date, summed per customer, gives the Aging sheet's buckets.
    labels = ("Current", "1-30", "31-60", "61-90", "91+")
    sums: dict[tuple[str, str], Decimal] = {}
    for r in refreshed["Balances"]:
        if num(r["Outstanding"]) > 0:
            label = udfs.AGING_BUCKET(r["Due Date"], AS_OF, caller=book)
            key = (r["Customer ID"], label)
            sums[key] = sums.get(key, Decimal(0)) + r["Outstanding"]
    for r in aging:
        for label in labels:
            assert sums.get((r["Customer ID"], label), Decimal(0)) == r[label], (r["Customer ID"], label)


def test_dunning_level_equals_the_dunning_sheet_for_every_customer(demo, refreshed):
    book = FileBookSource(demo)
    due = {r["Customer ID"]: r["Level"] for r in refreshed["Dunning"] if r["Action"] == "Letter"}
    assert due, "the demo book has letters due"
    ids = sorted({r["Customer ID"] for r in refreshed["Aging"]})
    levels = udfs.DUNNING_LEVEL_COLUMN([[c] for c in ids], AS_OF, caller=book)
    for cid, col in zip(ids, levels):
        assert udfs.DUNNING_LEVEL(cid, AS_OF, caller=book) == due.get(cid, 0) == col[0], cid


def test_a_customer_whose_rows_have_errors_is_held_back(demo_with_mistakes):
    """As for letters and late fees: a customer whose rows have a validation error gets no figure from a
    function (the cell names the first cell to fix); every other customer's figures are the batch engine's."""
    book = FileBookSource(demo_with_mistakes)
    core = read_book(demo_with_mistakes)
    checked = check_book(core, AS_OF)
    assert checked.errors and not checked.stop and not checked.held.everyone
    result = commands.refresh(core, AS_OF)
    held = {h["customer_id"] for h in result.data["held_back"]}
    assert held and held == {c for c in (r["customer_id"] for r in result.data["customers"]) if checked.held.holds(c)}
    aging = {s.name: s for s in result.patch.sheets}["Aging"]
    headers = [c.header for c in aging.columns]
    shown = 0
    for row in (dict(zip(headers, r)) for r in aging.rows):
        cid = row["Customer ID"]
        got = udfs.BILLING_BALANCE(cid, AS_OF, row["Currency"], caller=book)
        level = udfs.DUNNING_LEVEL(cid, AS_OF, caller=book)
        if cid in held:
            first = checked.held.customers[cid.casefold()][0]
            assert got == level and got.startswith(f"#VALUE! held back: {first.sheet}!{first.cell} has an error"), cid
        else:
            assert got == num(row["Balance"]), cid
            shown += 1
    assert shown > 20
    # An invoice is its customer's: held back with it.
    inv = core.sheet("Invoices")
    for no, cid in zip(inv.columns["Invoice No"], inv.columns["Customer ID"]):
        if cid in held:
            assert udfs.BILLING_OUTSTANDING(no, AS_OF, caller=book).startswith("#VALUE! held back: "), no
            assert udfs.INVOICE_STATUS(no, AS_OF, caller=book).startswith("#VALUE! held back: "), no


def test_a_missing_column_stops_every_figure(tmp_path):
    """Without the Payments sheet's Payment Date column no balance can be right: every function that shows
    a figure from the book says which column is missing, in which cell, instead of a confident wrong number."""
    from openpyxl import load_workbook

    path = tmp_path / "book.xlsx"
    build_demo_book(path, AS_OF, mistakes=False)
    wb = load_workbook(path)
    ws = wb["Payments"]
    for c in ws[1]:
        if c.value == "Payment Date":
            c.value = "When"
    for column in ws.tables["tblPayments"].tableColumns:  # the Table's own copy of its headers
        if column.name == "Payment Date":
            column.name = "When"
    wb.save(path)
    book = FileBookSource(path)
    got = udfs.BILLING_BALANCE("C1001", AS_OF, caller=book)
    assert got.startswith("#N/A Payments!") and "no Payment Date column" in got, got
    assert udfs.DUNNING_LEVEL("C1001", AS_OF, caller=book) == got
    assert udfs.INVOICE_STATUS("INV-24001", AS_OF, caller=book) == got


def test_late_fee_equals_the_fee_engine_for_every_invoice_unpaid_since_due(demo):
    """LATE_FEE asks about an amount unpaid since its due date; for every demo invoice that really was unpaid
    throughout, it must give what `billing fees` accrues on it."""
    book = FileBookSource(demo)
    core = read_book(demo)
    ledger = build_ledger(core, AS_OF)
    fees = {f.invoice_no: f for f in accrue_fees(core, ledger)[0]}
    compared = 0
    for inv in ledger.invoices.values():
        untouched = inv.paid == inv.credited == inv.written_off == 0 and not inv.disputed and inv.hold_until is None
        if not untouched or inv.status == "Void" or inv.invoice_date > AS_OF:
            continue
        expected = fees[inv.invoice_no].accrued / 100 if inv.invoice_no in fees else 0.0
        amount, due = inv.amount / 100, float(date_to_serial(inv.due_date))
        assert udfs.LATE_FEE(amount, due, AS_OF, caller=book) == expected, inv.invoice_no
        compared += 1
    assert compared > 10
    column = udfs.LATE_FEE_COLUMN([[100.0], [None]], [[45000.0], [None]], AS_OF, "Standard", caller=book)
    assert column == [[udfs.LATE_FEE(100.0, 45000.0, AS_OF, "Standard", caller=book)], [""]]


# --- loaded once per workbook version -------------------------------------------------------------------------


def test_the_workbook_is_loaded_once_and_again_only_when_it_changes(tmp_path):
    path = tmp_path / "book.xlsx"
    build_demo_book(path, AS_OF, mistakes=False)  # late fees are posted only on a book without errors
    clean = read_book(path)
    book = FileBookSource(path)
    before = udfs.CACHE.loads
    first = udfs.BILLING_BALANCE("C1003", AS_OF, caller=book)
    for _ in range(200):
        assert udfs.BILLING_BALANCE("C1003", AS_OF, caller=book) == first
        udfs.INVOICE_STATUS("INV-24001", AS_OF, caller=book)
    assert udfs.CACHE.loads == before + 1
    # Posting late fees changes the book: the next call sees the new data.
    from billing_addin.workbook.writer import apply_patch

    posted = commands.fees(read_book(path), AS_OF, post=True)
    assert posted.patch.appends
    apply_patch(path, posted.patch, backups=0)
    after = udfs.BILLING_BALANCE("C1003", AS_OF, caller=book)
    assert udfs.CACHE.loads == before + 2
    charged = sum(f.to_post for f in accrue_fees(clean, build_ledger(clean, AS_OF))[0] if f.customer_id == "C1003")
    assert round(after - first, 2) == charged / 100


def test_live_values_give_the_same_book_as_the_file(demo):
    """What the Excel shell reads (each sheet's used range, blanks as None, dates as datetimes) builds the same
    Book as reading the file."""
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_path(str(demo))
    sheets = {}
    for name in wb.sheet_names:
        s = wb.get_sheet_by_name(name)
        rows = [[None if v == "" else v for v in r] for r in s.to_python()]
        rows = [[dt.datetime.combine(v, dt.time()) if type(v) is dt.date else v for v in r] for r in rows]
        sheets[name] = (s.start or (0, 0), rows)
    live, filed = book_from_sheet_values(sheets), read_book(demo)
    assert live.sheet_titles == filed.sheet_titles
    for name, sd in filed.sheets.items():
        other = live.sheets[name]
        assert (other is None) == (sd is None)
        if sd is not None:
            assert (other.rows, other.columns, other.letters, other.header_row) == (
                sd.rows,
                sd.columns,
                sd.letters,
                sd.header_row,
            ), name
    assert live.settings.values == filed.settings.values


# --- the VBA xlwings writes for them --------------------------------------------------------------------------


def test_import_functions_vba_matches_the_golden_file():
    """xlwings' own generator over the UDF module (xlwings pinned at 0.37.8). To accept a deliberate change:
    python -c "from billing_addin.excel.udf_vba import udf_vba_module as m; print(m(), end='')" > tests/golden/xlwings_udfs.bas"""
    text = udf_vba_module()
    assert text == GOLDEN.read_text(encoding="utf-8")
    for name in (
        "BILLING_BALANCE",
        "BILLING_OUTSTANDING",
        "INVOICE_STATUS",
        "DAYS_PAST_DUE",
        "AGING_BUCKET",
        "LATE_FEE",
        "STATUTORY_INTEREST",
        "STATUTORY_FIXED_SUM",
        "DUNNING_LEVEL",
    ):
        assert f"Function {name}(" in text
        assert f"Function {name}_COLUMN(" in text
    assert "Function BILLING_BALANCE(customer_id, Optional as_of, Optional currency)" in text
    assert (
        'XLPy.CallUDF("billing_addin.excel.udfs", "BILLING_BALANCE", Array(customer_id, as_of, currency, Nothing)'
        in text
    )
