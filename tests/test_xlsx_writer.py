"""The safe writer on real files: owned sheets, charts and rows appended to input tables, read back with
python-calamine, openpyxl and (where installed) LibreOffice."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from billing_addin.core.patch import MONEY_FORMAT, AppendRows, Chart, Column, Link, OwnedSheet, Patch, UpdateCells
from billing_addin.workbook.writer import WriteRefused, apply_patch
from billing_addin.workbook.xlsx.package import PackageEdit, Relationships, rels_part_of
from billing_addin.workbook.xlsx.zip_package import SourceZip

SOFFICE = shutil.which("soffice")
TRICKY_TEXTS = (
    "=SUM(A1)",
    "+1",
    "-x",
    "@foo",
    "\tTabbed",
    "\rCarriage",
    " padded ",
    "two\nlines",
    "_x0041_",
    "a & <b>",
)


def make_book(path: Path, **options: object) -> Path:
    """A small input book like the billing workbook: an Invoices sheet with text, numbers and dates."""
    book = xlsxwriter.Workbook(str(path), options)
    sheet = book.add_worksheet("Invoices")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Invoice", "Customer", "Amount", "Due"])
    for i in range(1, 6):
        sheet.write_row(i, 0, [f"INV-{i}", f"Customer {i}", 100 * i])
        sheet.write_datetime(i, 3, dt.datetime(2024, 1, i), date_format)
    book.close()
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def orphan_problems(path: Path) -> list[str]:
    """Parts nothing points to, relationships to missing parts, content-type overrides of missing parts."""
    problems = []
    with SourceZip(str(path)) as source:
        edit = PackageEdit(source)
        reachable = edit.reachable_parts()
        names = {n.lower() for n in source.names}
        for name in source.names:
            lower = name.lower()
            if lower == "[content_types].xml" or lower.endswith(".rels"):
                continue
            if lower not in reachable:
                problems.append(f"orphan part {name}")
        for name in source.names:
            if name.endswith(".rels") and name != "_rels/.rels":
                owner = re.sub(r"_rels/([^/]+)\.rels$", r"\1", name)
                if owner.lower() not in names:
                    problems.append(f"rels of missing part {name}")
                for rel in Relationships(owner, source.read(name)).items:
                    if rel.part and rel.part.lower() not in names:
                        problems.append(f"{name} points to missing {rel.part}")
        types = source.read("[Content_Types].xml").decode()
        for part in re.findall(r'PartName="/([^"]+)"', types):
            if part.lower() not in names:
                problems.append(f"content type for missing part {part}")
    return problems


def findings_sheet(rows: int = 10) -> OwnedSheet:
    return OwnedSheet(
        "Findings",
        (
            Column("Invoice", 12),
            Column("Due", 12),
            Column("Amount", 14, MONEY_FORMAT),
            Column("Note", 30),
            Column("Where", 16),
            Column("Seen", 18),
            Column("Paid"),
            Column("Rate", 8, "0.00%"),
        ),
        tuple(
            (
                f"INV-{i}",
                dt.date(2024, 3, 1) + dt.timedelta(days=i),
                Decimal("1234.56") + i,
                TRICKY_TEXTS[i % len(TRICKY_TEXTS)],
                Link(f"Invoice {i}", f"'Invoices'!A{i + 1}"),
                dt.datetime(2024, 3, 2, 13, 45, 30),
                i % 2 == 0,
                0.015,
            )
            for i in range(1, rows + 1)
        ),
    )


def test_owned_sheet_reads_back_in_calamine_and_openpyxl(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    sheet = findings_sheet()
    report = apply_patch(book, Patch(sheets=(sheet,)))
    assert report.sheets_written == ("Findings",)

    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Findings").to_python()
    assert rows[0] == [c.header for c in sheet.columns]
    assert rows[1][:3] == ["INV-1", dt.date(2024, 3, 2), 1235.56]
    assert rows[1][5] == dt.datetime(2024, 3, 2, 13, 45, 30)
    assert [r[3] for r in rows[1:]] == [r[3] for r in sheet.rows]

    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Invoices", "Findings"]
    ws = wb["Findings"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:H11"
    assert all(ws.cell(1, c).font.b for c in range(1, 9))
    assert ws["B2"].value == dt.datetime(2024, 3, 2) and ws["B2"].is_date
    assert ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["C2"].value == pytest.approx(1235.56) and ws["C2"].number_format == MONEY_FORMAT
    assert ws["F2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["H2"].number_format == "0.00%"
    assert ws["G2"].value is False and ws["G3"].value is True
    assert ws.column_dimensions["D"].width == 30
    for row in range(2, 12):
        note = ws.cell(row, 4)
        assert note.data_type == "s", note.value  # text that looks like a formula stays text
        # openpyxl does not decode Excel's _xHHHH_ escapes (Excel and calamine do, checked above).
        assert note.value == sheet.rows[row - 2][3].replace("_x0041_", "_x005F_x0041_")
    link = ws["E2"]
    assert link.value == "Invoice 1" and link.hyperlink.location == "'Invoices'!A2"
    assert link.font.u == "single"
    # The workbook's own sheet is as it was.
    assert [c.value for c in wb["Invoices"][2]][:3] == ["INV-1", "Customer 1", 100]


def test_text_is_cleaned_of_characters_xml_cannot_hold(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    sheet = OwnedSheet("Findings", (Column("Note"),), (("bell\x07 and null\x00 gone",), ("x" * 40000,)))
    apply_patch(book, Patch(sheets=(sheet,)))
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Findings").to_python()
    assert rows[1] == ["bell and null gone"]
    assert len(rows[2][0]) == 32767  # Excel's limit for one cell


def test_numbers_nan_and_old_dates(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    sheet = OwnedSheet(
        "Findings",
        (Column("Value"),),
        ((10**12,), (float("nan"),), (dt.date(1899, 1, 1),), (Decimal("-0.10"),), (1e-7,)),
    )
    apply_patch(book, Patch(sheets=(sheet,)))
    ws = openpyxl.load_workbook(book)["Findings"]
    assert ws["A2"].value == 10**12
    assert ws["A3"].value == "#NUM!" and ws["A3"].data_type == "e"
    assert ws["A4"].value == "1899-01-01"  # before Excel's first day: kept as readable text
    assert ws["A5"].value == pytest.approx(-0.1)
    assert ws["A6"].value == pytest.approx(1e-7)


def test_dates_follow_the_1904_date_system(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx", date_1904=True)
    apply_patch(book, Patch(sheets=(OwnedSheet("Findings", (Column("Due"),), ((dt.date(2024, 5, 17),),)),)))
    sheet_xml = next(v for k, v in parts(book).items() if k.endswith("sheet2.xml")).decode()
    assert "<v>43967</v>" in sheet_xml  # 1904 serial (the 1900 serial would be 45429)
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Findings").to_python()
    assert rows[1] == [dt.date(2024, 5, 17)]
    ws = openpyxl.load_workbook(book)["Findings"]
    assert ws["A2"].value == dt.datetime(2024, 5, 17)


def test_rewriting_a_sheet_leaves_one_sheet_and_no_orphans(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    with_chart = OwnedSheet(
        "Findings",
        (Column("Invoice"), Column("Amount")),
        (("INV-1", 10), ("INV-2", 20)),
        charts=(Chart("column", "Amounts", "Invoice", ("Amount",)),),
    )
    apply_patch(book, Patch(sheets=(with_chart,)))
    first = parts(book)
    assert any(n.startswith("xl/charts/") for n in first)
    apply_patch(book, Patch(sheets=(with_chart,)))
    assert set(parts(book)) == set(first)  # the chart was replaced, not doubled
    without_chart = OwnedSheet("FINDINGS", (Column("Invoice"),), (("INV-9",),))
    apply_patch(book, Patch(sheets=(without_chart,)))
    after = parts(book)
    assert not any(n.startswith(("xl/charts/", "xl/drawings/")) for n in after)
    assert orphan_problems(book) == []
    wb = openpyxl.load_workbook(book)
    assert [n.casefold() for n in wb.sheetnames] == ["invoices", "findings"]
    assert wb.worksheets[1]["A2"].value == "INV-9"
    workbook_xml = after["xl/workbook.xml"].decode()
    assert workbook_xml.count("_xlnm._FilterDatabase") == 1
    app = after["docProps/app.xml"].decode()
    assert "<vt:i4>2</vt:i4>" in app and app.count("<vt:lpstr>Findings</vt:lpstr>") == 1


def test_styles_are_only_appended_and_reused_on_the_next_run(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    original = parts(book)["xl/styles.xml"].decode()
    apply_patch(book, Patch(sheets=(findings_sheet(),)))
    once = parts(book)["xl/styles.xml"].decode()
    apply_patch(book, Patch(sheets=(findings_sheet(),)))
    assert parts(book)["xl/styles.xml"].decode() == once  # the same formats are found, not added again
    for section, child in (("cellXfs", "xf"), ("fonts", "font")):
        old = re.findall(
            rf"<{child}\b.*?(?:/>|</{child}>)", re.search(rf"<{section}.*?</{section}>", original).group(0)
        )
        new = re.findall(rf"<{child}\b.*?(?:/>|</{child}>)", re.search(rf"<{section}.*?</{section}>", once).group(0))
        assert new[: len(old)] == old and len(new) > len(old)


def test_replacing_an_existing_sheet_matches_its_name_case_insensitively(tmp_path: Path, corpus: Path) -> None:
    path = tmp_path / "Book.xlsx"
    image = tmp_path / "logo.png"
    image.write_bytes(zipfile.ZipFile(corpus / "image01.xlsx").read("xl/media/image1.png"))
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Invoices").write("A1", "Invoice")
    old = book.add_worksheet("findings")
    old.write("A1", "stale")
    old.write_comment("A1", "a comment that goes with the old sheet")
    old.insert_image("C3", str(image))
    book.close()
    apply_patch(path, Patch(sheets=(OwnedSheet("Findings", (Column("Invoice"),), (("INV-1",),)),)))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Invoices", "findings"]
    assert wb["findings"]["A1"].value == "Invoice"
    assert not any(n.startswith(("xl/comments", "xl/drawings/", "xl/media/")) for n in parts(path))
    assert orphan_problems(path) == []


def test_calc_chain_loses_only_the_replaced_sheets_entries(tmp_path: Path, corpus: Path) -> None:
    book = tmp_path / "pivots.xlsx"
    shutil.copy(corpus / "cal_pivots.xlsx", book)
    # DataSheet2 (sheetId 6) has formulas listed in calcChain as i="6"; DataSheet (sheetId 1) keeps its own.
    apply_patch(book, Patch(sheets=(OwnedSheet("datasheet2", (Column("A"),), ((1,),)),)))
    chain = parts(book)["xl/calcChain.xml"].decode()
    assert 'i="6"' not in chain and chain.count("<c ") == 11

    book = tmp_path / "table10.xlsx"
    shutil.copy(corpus / "table10.xlsx", book)
    apply_patch(book, Patch(sheets=(OwnedSheet("Sheet1", (Column("A"),), ((1,),)),)))
    after = parts(book)
    assert "xl/calcChain.xml" not in after
    assert "calcChain" not in after["xl/_rels/workbook.xml.rels"].decode()
    assert "calcChain" not in after["[Content_Types].xml"].decode()
    assert orphan_problems(book) == []


def _chart_book(tmp_path: Path) -> tuple[Path, OwnedSheet]:
    book = make_book(tmp_path / "Charts.xlsx")
    sheet = OwnedSheet(
        "Aging",
        (Column("Bucket"), Column("Open"), Column("Overdue")),
        (("0-30", 1200, 100), ("31-60", 800, 300), ("61-90", 400, 250), ("90+", 150, 150)),
        charts=(
            Chart("column", "Open by bucket", "Bucket", ("Open", "Overdue"), anchor="E2"),
            Chart("bar", "Bars", "Bucket", ("Open",), anchor="E20"),
            Chart("line", "Trend", "Bucket", ("Overdue",), anchor="N2"),
            Chart("pie", "Share", "Bucket", ("Open",), anchor="N20"),
        ),
    )
    apply_patch(book, Patch(sheets=(sheet,)))
    return book, sheet


def test_charts_reference_the_owned_sheets_columns(tmp_path: Path) -> None:
    book, _ = _chart_book(tmp_path)
    files = parts(book)
    charts = sorted(n for n in files if n.startswith("xl/charts/chart"))
    assert len(charts) == 4
    first = files[charts[0]].decode()
    assert "<c:barChart>" in first and '<c:barDir val="col"/>' in first
    assert "<c:f>'Aging'!$A$2:$A$5</c:f>" in first
    assert "<c:f>'Aging'!$B$2:$B$5</c:f>" in first and "<c:f>'Aging'!$C$2:$C$5</c:f>" in first
    assert "<c:f>'Aging'!$B$1</c:f>" in first
    kinds = {re.search(r"<c:(\w+Chart)>", files[n].decode()).group(1) for n in charts}
    assert kinds == {"barChart", "lineChart", "pieChart"}
    ws = openpyxl.load_workbook(book)["Aging"]
    assert len(ws._charts) == 4
    assert orphan_problems(book) == []


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_renders_the_chart_sheet(tmp_path: Path) -> None:
    book, _ = _chart_book(tmp_path)
    out = tmp_path / "pdf"
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    pdf = out / "Charts.pdf"
    assert result.returncode == 0 and pdf.exists() and pdf.stat().st_size > 1000, result.stderr
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    for title in ("Open by bucket", "Bars", "Trend", "Share", "90+"):
        assert title in text


# ---------------------------------------------------------------- appending rows to an input table


def make_adjustments_book(path: Path, with_table: bool = True) -> Path:
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Invoices").write_row(0, 0, ["Invoice", "Amount"])
    sheet = book.add_worksheet("Adjustments")
    money = book.add_format({"num_format": "#,##0.00", "bg_color": "#FFF2CC"})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    data = [
        [dt.datetime(2024, 1, 5), "Acme", 10.5, "Discount"],
        [dt.datetime(2024, 1, 6), "Bolt", 20.25, "Correction"],
        [dt.datetime(2024, 1, 7), "Core", 30, "Write-off"],
    ]
    if with_table:
        sheet.add_table(
            "A1:E4",
            {
                "name": "tblAdjustments",
                "columns": [
                    {"header": "Date", "format": date},
                    {"header": "Customer"},
                    {"header": "Amount", "format": money},
                    {"header": "Reason"},
                    {"header": "Double", "formula": "=tblAdjustments[[#This Row],[Amount]]*2", "format": money},
                ],
                "data": data,
            },
        )
        sheet.data_validation(
            "D2:D4", {"validate": "list", "source": ["Discount", "Correction", "Write-off", "Late fee"]}
        )
    else:
        sheet.write_row(0, 0, ["Date", "Customer", "Amount", "Reason"])
        for r, row in enumerate(data, start=1):
            sheet.write_datetime(r, 0, row[0], date)
            sheet.write_row(r, 1, row[1:3])
            sheet.write_number(r, 2, row[2], money)
            sheet.write_string(r, 3, row[3])
    book.close()
    return path


def _rows_xml(xml: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<row r="(\d+)".*?</row>', xml)}


def test_append_rows_to_a_table_keeps_existing_rows_and_grows_the_table(tmp_path: Path) -> None:
    book = make_adjustments_book(tmp_path / "Book.xlsx")
    before = parts(book)
    sheet_part = "xl/worksheets/sheet2.xml"
    rows = (
        {"date": dt.date(2024, 2, 1), "CUSTOMER": "Acme", "Amount": Decimal("40.00"), "reason": "Late fee"},
        {"Date": dt.date(2024, 2, 2), "Customer ": "=Bolt", "amount": 12.5, "Reason": "Late fee"},
    )
    report = apply_patch(book, Patch(appends=(AppendRows("adjustments", rows),)))
    assert report.rows_appended == 2
    after = parts(book)

    changed = {n for n in before if before[n] != after.get(n)}
    # workbook.xml may change only to ask for calculation on load (xlsxwriter already asks for it).
    assert {sheet_part, "xl/tables/table1.xml"} <= changed <= {sheet_part, "xl/tables/table1.xml", "xl/workbook.xml"}
    assert set(after) == set(before)
    old_rows, new_rows = _rows_xml(before[sheet_part].decode()), _rows_xml(after[sheet_part].decode())
    assert all(new_rows[r] == xml for r, xml in old_rows.items())  # every existing row is byte-identical
    assert sorted(new_rows, key=int) == ["1", "2", "3", "4", "5", "6"]

    table = after["xl/tables/table1.xml"].decode()
    assert 'ref="A1:E6"' in table and '<autoFilter ref="A1:E6"/>' in table
    sheet_xml = after[sheet_part].decode()
    assert '<dimension ref="A1:E6"/>' in sheet_xml
    assert 'sqref="D2:D6"' in sheet_xml  # the Reason dropdown covers the new rows too
    assert 'fullCalcOnLoad="1"' in after["xl/workbook.xml"].decode()
    last_old = re.findall(r'<c r="([A-E])4" s="(\d+)"', old_rows["4"])
    for letter, style in last_old:
        assert f'<c r="{letter}5" s="{style}"' in new_rows["5"]  # formats carry on
    assert "<f>tblAdjustments[[#This Row],[Amount]]*2</f>" in new_rows["6"]

    ws = openpyxl.load_workbook(book)["Adjustments"]
    assert ws["A5"].value == dt.datetime(2024, 2, 1) and ws["A5"].number_format == "dd/mm/yyyy"
    assert ws["B6"].value == "=Bolt" and ws["B6"].data_type == "s"
    assert ws["C5"].value == 40 and ws["C5"].number_format == "#,##0.00"
    assert ws["C5"].fill.fgColor.rgb == ws["C4"].fill.fgColor.rgb
    assert ws.tables["tblAdjustments"].ref == "A1:E6"
    rows_read = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Adjustments").to_python()
    assert rows_read[4][:4] == [dt.date(2024, 2, 1), "Acme", 40.0, "Late fee"]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_calculates_the_appended_table_formula(tmp_path: Path) -> None:
    book = make_adjustments_book(tmp_path / "Book.xlsx")
    rows = ({"Date": dt.date(2024, 2, 1), "Customer": "Acme", "Amount": Decimal("40.00"), "Reason": "Late fee"},)
    apply_patch(book, Patch(appends=(AppendRows("Adjustments", rows),)))
    out = tmp_path / "out"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,true,false,false,2", "--outdir", str(out),
         str(book)],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    csv = next(out.glob("*.csv")).read_text()
    assert csv.splitlines()[4] == "01/02/2024,Acme,40.00,Late fee,80.00"


def test_append_without_a_table_goes_below_the_last_row(tmp_path: Path) -> None:
    book = make_adjustments_book(tmp_path / "Book.xlsx", with_table=False)
    before = parts(book)["xl/worksheets/sheet2.xml"].decode()
    apply_patch(book, Patch(appends=(AppendRows("Adjustments", ({"Customer": "Dyn", "Amount": 5},)),)))
    after = parts(book)["xl/worksheets/sheet2.xml"].decode()
    assert all(_rows_xml(after)[r] == xml for r, xml in _rows_xml(before).items())
    ws = openpyxl.load_workbook(book)["Adjustments"]
    assert [c.value for c in ws[5]][:3] == [None, "Dyn", 5]
    assert ws["C5"].number_format == "#,##0.00"


def test_append_refuses_unknown_headers_and_sheets(tmp_path: Path) -> None:
    book = make_adjustments_book(tmp_path / "Book.xlsx")
    original = book.read_bytes()
    with pytest.raises(WriteRefused, match=r"no column 'Fee code'.*Add that header"):
        apply_patch(book, Patch(appends=(AppendRows("Adjustments", ({"Fee code": "X"},)),)))
    with pytest.raises(WriteRefused, match="no sheet 'Credits'"):
        apply_patch(book, Patch(appends=(AppendRows("Credits", ({"Amount": 1},)),)))
    assert book.read_bytes() == original


def test_append_refuses_a_table_with_a_total_row_and_rows_in_the_way(tmp_path: Path, corpus: Path) -> None:
    book = tmp_path / "totals.xlsx"
    shutil.copy(corpus / "table10.xlsx", book)
    with pytest.raises(WriteRefused, match="Total Row"):
        apply_patch(book, Patch(appends=(AppendRows("Sheet1", ({"Column1": 1},)),)))

    path = tmp_path / "blocked.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Adjustments")
    ws.add_table("A1:B3", {"columns": [{"header": "Customer"}, {"header": "Amount"}], "data": [["A", 1], ["B", 2]]})
    ws.write("A5", "notes below the table")
    wb.close()
    original = path.read_bytes()
    with pytest.raises(WriteRefused, match="Row 5 .* is not empty"):
        apply_patch(path, Patch(appends=(AppendRows("Adjustments", ({"Amount": 3}, {"Amount": 4})),)))
    assert path.read_bytes() == original
    apply_patch(path, Patch(appends=(AppendRows("Adjustments", ({"Amount": 3},)),)))  # one row still fits
    assert openpyxl.load_workbook(path)["Adjustments"]["B4"].value == 3


def test_owned_sheet_and_append_in_one_patch_with_rels_intact(tmp_path: Path) -> None:
    book = make_adjustments_book(tmp_path / "Book.xlsx")
    patch = Patch(
        sheets=(findings_sheet(3),),
        appends=(AppendRows("Adjustments", ({"Customer": "Acme", "Amount": 1},)),),
    )
    apply_patch(book, patch)
    assert orphan_problems(book) == []
    with SourceZip(str(book)) as source:
        rels = Relationships("xl/workbook.xml", source.read(rels_part_of("xl/workbook.xml")))
        assert sum(r.type.endswith("/worksheet") for r in rels.items) == 3


def test_append_fills_the_blank_row_of_a_new_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "Empty.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    money = wb.add_format({"num_format": "#,##0.00"})
    wb.add_worksheet("Adjustments").add_table(
        "A1:C2", {"columns": [{"header": "Customer"}, {"header": "Amount", "format": money}, {"header": "Reason"}]}
    )
    wb.close()
    rows = ({"Customer": "Acme", "Amount": 5}, {"Customer": "Bolt", "Amount": 7, "Reason": "Late fee"})
    apply_patch(path, Patch(appends=(AppendRows("Adjustments", rows),)))
    ws = openpyxl.load_workbook(path)["Adjustments"]
    assert ws.tables["Table1"].ref == "A1:C3"
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [["Acme", 5, None], ["Bolt", 7, "Late fee"]]


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_cell_text_is_the_plain_number(d):
    """Money goes into a cell as plain digits (no exponent), trailing zeros dropped: what format(d, "f") gives."""
    from billing_addin.workbook.xlsx.owned_sheet import _decimal

    plain = format(d, "f")
    assert _decimal(d) == (plain.rstrip("0").rstrip(".") if "." in plain else plain)


# ---------------------------------------------------------------- setting cells of existing rows (UpdateCells)


def make_claims_book(path: Path) -> Path:
    """The project's own template with four claims on its Claims sheet (an Excel table, tblClaims). Claim CL-2 has
    no Status, and its Status cell is absent from the file (the column has no number format)."""
    from billing_addin.core.schema import INPUT_SHEETS
    from billing_addin.workbook.template import build_template

    names = [f.name for f in next(s for s in INPUT_SHEETS if s.name == "Claims").fields]

    def claim(i: int, **values: object) -> list[object]:
        row = dict.fromkeys(names)
        row.update(
            {
                "Claim ID": f"CL-{i}",
                "Patient Account": "C1",
                "Payer": "Aetna",
                "Payer Type": "Commercial",
                "Date of Service": dt.date(2026, 1, i),
                "Billed": Decimal("120.00"),
                "Status": "Submitted",
                "Submitted Date": dt.date(2026, 1, i + 1),
                "Notes": f"note {i}",
            }
        )
        row.update(values)
        return [row[n] for n in names]

    build_template(path, {"Claims": [claim(1), claim(2, Status=None), claim(3), claim(4)]})
    return path


def _sheet_part(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rel_id = re.search(rf'<sheet [^>]*name="{name}"[^>]*r:id="([^"]+)"', workbook).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rel_id}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rel_id}"', rels
    )
    return "xl/" + target.group(1).removeprefix("/xl/")


def _cells_xml(row_xml: str) -> list[tuple[str, str]]:
    """(reference, whole <c> element) of each cell of a row, in file order."""
    return [(m.group(1), m.group(0)) for m in re.finditer(r'<c r="([A-Z]+\d+)".*?(?:/>|</c>)', row_xml)]


def test_update_cells_sets_typed_values_keeps_styles_and_inserts_missing_cells(tmp_path: Path) -> None:
    from billing_addin.excel.host import FileHost
    from billing_addin.workbook.reader import read_book

    book = make_claims_book(tmp_path / "Claims.xlsx")
    sheet_part = _sheet_part(book, "Claims")
    before = parts(book)
    old_rows = _rows_xml(before[sheet_part].decode())
    old_j3 = dict(_cells_xml(old_rows["3"]))["J3"]
    assert 'r="L3"' not in old_rows["3"] and 'r="O3"' not in old_rows["3"]  # Status and Denial Codes are absent
    paid_style = re.search(r's="(\d+)"', old_j3).group(1)

    update = UpdateCells(
        "claims",  # sheet and headers matched as the append does: case, spaces and punctuation ignored
        (
            (3, "Status", "Paid"),
            (3, "insurance paid", Decimal("80.00")),
            (3, "Denial Date", dt.date(2026, 2, 3)),
            (3, "Denial Codes", "=SUM(A1)"),
            (5, "Notes", None),
            (4, "Status", "Denied"),
        ),
    )
    host = FileHost(book)
    host.read_book()
    message = host.apply(Patch(updates=(update,)))
    assert message == "Wrote 6 cell(s) updated on claims"

    after = parts(book)
    changed = {n for n in before if before[n] != after.get(n)}
    # The sheet; workbook.xml only to ask for calculation on load (the template already asks for it).
    assert {sheet_part} <= changed <= {sheet_part, "xl/workbook.xml"}
    assert set(after) == set(before)
    assert 'fullCalcOnLoad="1"' in after["xl/workbook.xml"].decode()
    new_rows = _rows_xml(after[sheet_part].decode())
    assert {r: x for r, x in new_rows.items() if r not in ("3", "4", "5")} == {
        r: x for r, x in old_rows.items() if r not in ("3", "4", "5")
    }
    cells3 = _cells_xml(new_rows["3"])
    refs = [ref for ref, _ in cells3]
    assert refs == sorted(refs, key=lambda r: (len(r), r))  # the inserted cells are in column order
    assert "L3" in refs and "O3" in refs
    assert dict(cells3)["J3"] == f'<c r="J3" s="{paid_style}"><v>80</v></c>'  # the cell's own style is kept
    assert dict(cells3)["O3"] == '<c r="O3" t="inlineStr"><is><t>=SUM(A1)</t></is></c>'
    # The cells the update does not name are as they were, byte for byte.
    old_cells3 = dict(_cells_xml(old_rows["3"]))
    assert all(dict(cells3)[r] == x for r, x in old_cells3.items() if r not in ("J3", "N3"))

    claims = read_book(book).sheet("Claims")
    at = {row: i for i, row in enumerate(claims.rows)}
    assert claims.columns["Status"][at[3]] == "Paid"
    assert claims.columns["Insurance Paid"][at[3]] == 8000  # cents
    assert claims.columns["Denial Date"][at[3]] == dt.date(2026, 2, 3)
    assert claims.columns["Denial Codes"][at[3]] == "=SUM(A1)"
    assert claims.columns["Status"][at[4]] == "Denied"
    assert claims.columns["Notes"][at[5]] is None and claims.columns["Notes"][at[4]] == "note 3"
    assert claims.columns["Status"][at[2]] == "Submitted"

    ws = openpyxl.load_workbook(book)["Claims"]
    assert ws["L3"].value == "Paid" and ws["L3"].data_type == "s"
    assert ws["J3"].value == 80 and ws["J3"].number_format == "#,##0.00"
    assert ws["N3"].value == dt.datetime(2026, 2, 3) and ws["N3"].number_format == "yyyy-mm-dd"
    assert ws["O3"].value == "=SUM(A1)" and ws["O3"].data_type == "s"
    assert ws["S5"].value is None and ws["S4"].value == "note 3"
    assert ws.tables["tblClaims"].ref == "A1:S5"  # the table did not move


def test_update_cells_on_a_sheet_without_a_table(tmp_path: Path) -> None:
    """Header columns from the first row; an unstyled cell given a date gets a date format; texts Excel would read
    as formulas or escapes stay text; a number, a bool and None; the 1904 date system."""
    book = make_book(tmp_path / "Book.xlsx", date_1904=True)
    sheet_part = "xl/worksheets/sheet1.xml"
    before = parts(book)[sheet_part].decode()
    cells = tuple((2 + i, "Customer", text) for i, text in enumerate(TRICKY_TEXTS[:4]))
    update = UpdateCells(
        "Invoices",
        (
            *cells,
            (6, "Customer", dt.date(2024, 5, 17)),
            (2, "Amount", 12.5),
            (3, "Amount", True),
            (4, "Amount", None),
            (5, "due", dt.date(2024, 6, 1)),
        ),
    )
    report = apply_patch(book, Patch(updates=(update,)))
    assert report.cells_updated == 9 and report.rows_appended == 0
    after = parts(book)[sheet_part].decode()
    assert _rows_xml(after)["1"] == _rows_xml(before)["1"]
    assert "<v>43967</v>" in _rows_xml(after)["6"]  # 1904 serial of 2024-05-17
    ws = openpyxl.load_workbook(book)["Invoices"]
    for i, text in enumerate(TRICKY_TEXTS[:4]):
        assert ws.cell(2 + i, 2).value == text and ws.cell(2 + i, 2).data_type == "s"
    assert ws["B6"].value == dt.datetime(2024, 5, 17) and ws["B6"].is_date
    assert ws["C2"].value == 12.5 and ws["C3"].value is True and ws["C4"].value is None
    assert ws["D5"].value == dt.datetime(2024, 6, 1) and ws["D5"].number_format == "yyyy-mm-dd"
    assert ws["D4"].value == dt.datetime(2024, 1, 3)  # untouched
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Invoices").to_python()
    assert rows[1][:3] == ["INV-1", "=SUM(A1)", 12.5]


def test_update_cells_in_a_row_the_file_does_not_hold(tmp_path: Path) -> None:
    """A blank row inside a table may have no <row> element at all: it is made, in row order."""
    path = tmp_path / "Gap.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Adjustments").add_table(
        "A1:B4",
        {"columns": [{"header": "Customer"}, {"header": "Amount"}], "data": [["A", 1], [None, None], ["C", 3]]},
    )
    wb.close()
    assert '<row r="3"' not in parts(path)["xl/worksheets/sheet1.xml"].decode()
    apply_patch(path, Patch(updates=(UpdateCells("Adjustments", ((3, "Amount", 2), (3, "Customer", "B"))),)))
    xml = parts(path)["xl/worksheets/sheet1.xml"].decode()
    assert [int(n) for n in re.findall(r'<row r="(\d+)"', xml)] == [1, 2, 3, 4]
    ws = openpyxl.load_workbook(path)["Adjustments"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [["A", 1], ["B", 2], ["C", 3]]


def test_updates_and_appends_to_one_sheet_in_one_patch(tmp_path: Path) -> None:
    book = make_adjustments_book(tmp_path / "Book.xlsx")
    sheet_part = "xl/worksheets/sheet2.xml"
    before = _rows_xml(parts(book)[sheet_part].decode())
    patch = Patch(
        appends=(AppendRows("Adjustments", ({"Customer": "Dyn", "Amount": 5, "Reason": "Late fee"},)),),
        updates=(UpdateCells("Adjustments", ((3, "Reason", "Late fee"), (4, "Amount", Decimal("31.5")))),),
    )
    report = apply_patch(book, patch)
    assert (report.rows_appended, report.cells_updated) == (1, 2)
    after = _rows_xml(parts(book)[sheet_part].decode())
    assert after["2"] == before["2"]
    assert re.search(r'<c r="E4" s="\d+"><f>tblAdjustments\[\[#This Row\],\[Amount\]\]\*2</f>', after["4"])
    ws = openpyxl.load_workbook(book)["Adjustments"]
    assert ws["D3"].value == "Late fee" and ws["B3"].value == "Bolt"
    assert ws["C4"].value == 31.5 and ws["C4"].number_format == "#,##0.00"
    assert [c.value for c in ws[5]][:4] == [None, "Dyn", 5, "Late fee"]
    assert ws.tables["tblAdjustments"].ref == "A1:E5"


def test_update_refuses_what_it_cannot_set_safely_and_leaves_the_book(tmp_path: Path, corpus: Path) -> None:
    book = make_adjustments_book(tmp_path / "Book.xlsx")
    original = book.read_bytes()
    refused = {
        r"Row 5 of sheet 'Adjustments' is not a data row of table 'tblAdjustments' \(rows 2 to 4\)": (5, "Amount", 1),
        r"Row 1 of sheet 'Adjustments' is not a data row": (1, "Amount", 1),
        r"Row 0 of": (0, "Amount", 1),
        r"no column 'Fee code'.*Add that header": (2, "Fee code", "X"),
        r"link": (2, "Reason", Link("x", "Invoices!A1")),
    }
    for message, cell in refused.items():
        with pytest.raises(WriteRefused, match=message):
            # With a good cell first and an append beside it: nothing at all is written.
            apply_patch(
                book,
                Patch(
                    appends=(AppendRows("Adjustments", ({"Amount": 1},)),),
                    updates=(UpdateCells("Adjustments", ((2, "Amount", 7), cell)),),
                ),
            )
    with pytest.raises(WriteRefused, match="no sheet 'Claims'"):
        apply_patch(book, Patch(updates=(UpdateCells("Claims", ((2, "Status", "Paid"),)),)))
    assert book.read_bytes() == original

    charts = tmp_path / "chartsheet.xlsx"
    shutil.copy(corpus / "chartsheet01.xlsx", charts)
    charts.chmod(0o644)
    chart_sheet = next(
        n for n in python_calamine.CalamineWorkbook.from_path(str(charts)).sheet_names if n.lower().startswith("chart")
    )
    original = charts.read_bytes()
    with pytest.raises(WriteRefused, match="not a worksheet"):
        apply_patch(charts, Patch(updates=(UpdateCells(chart_sheet, ((2, "A", 1),)),)))
    assert charts.read_bytes() == original


def test_update_of_a_formula_cell_in_an_excel_book(tmp_path: Path, corpus: Path) -> None:
    """cal_pivots.xlsx (made by Excel): DataSheet (sheetId 1) has a plain formula in G2 and J5, a shared formula in
    G3:G11 and pivot tables that read it. Setting G2 and J5 drops only their calcChain entries; a cell of the shared
    formula is refused; every other part stays byte for byte."""
    book = tmp_path / "pivots.xlsx"
    shutil.copy(corpus / "cal_pivots.xlsx", book)
    book.chmod(0o644)
    sheet_part = _sheet_part(book, "DataSheet")
    original = book.read_bytes()
    for cell in ("G3", "G4", "G11"):
        with pytest.raises(WriteRefused, match=rf"Cell {cell} of sheet 'DataSheet' is part of a shared formula"):
            apply_patch(book, Patch(updates=(UpdateCells("DataSheet", ((int(cell[1:]), "Value / Size", 0),)),)))
    assert book.read_bytes() == original

    before, raw_before = parts(book), _raw_parts(book)
    report = apply_patch(
        book,
        Patch(updates=(UpdateCells("DataSheet", ((2, "Value / Size", 5.5), (5, "Misc", "n/a"), (4, "Value", 16))),)),
    )
    assert report.cells_updated == 3
    after, raw_after = parts(book), _raw_parts(book)
    assert set(after) == set(before)
    for name in before:
        if name not in (sheet_part, "xl/calcChain.xml", "xl/workbook.xml"):
            assert after[name] == before[name] and raw_after[name] == raw_before[name], name
    chain = re.findall(r'<c r="(\w+)" i="(\d+)"', after["xl/calcChain.xml"].decode())
    old_chain = re.findall(r'<c r="(\w+)" i="(\d+)"', before["xl/calcChain.xml"].decode())
    assert [c for c in old_chain if c not in chain] == [("G2", "1"), ("J5", "1")]
    assert len(chain) == len(old_chain) - 2
    old_rows, new_rows = _rows_xml(before[sheet_part].decode()), _rows_xml(after[sheet_part].decode())
    assert [r for r in old_rows if old_rows[r] != new_rows[r]] == ["2", "4", "5"]
    assert "<f>" not in dict(_cells_xml(new_rows["2"]))["G2"]
    assert dict(_cells_xml(new_rows["5"]))["J5"] == '<c r="J5" s="3" t="inlineStr"><is><t>n/a</t></is></c>'
    assert dict(_cells_xml(new_rows["3"]))["G3"] == dict(_cells_xml(old_rows["3"]))["G3"]
    # (openpyxl cannot load this book, before or after.)
    sheet = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("DataSheet")
    rows = sheet.to_python()
    assert (rows[1][6], rows[4][9], rows[3][3]) == (5.5, "n/a", 16.0)
    assert 'fullCalcOnLoad="1"' in after["xl/workbook.xml"].decode()  # G3:G11 read D4: Excel calculates again


def test_a_kept_calc_chain_entry_keeps_its_sheet_when_the_one_before_is_dropped(tmp_path: Path, corpus: Path) -> None:
    """In calcChain an entry without i="" belongs to the sheet of the entry before it."""
    book = tmp_path / "pivots.xlsx"
    with zipfile.ZipFile(corpus / "cal_pivots.xlsx") as source, zipfile.ZipFile(book, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/calcChain.xml":
                # DataSheet's G2 then J5 (sheet 1) with J5 relying on G2's i="1", between sheet 6's entries.
                text = data.decode().replace('<c r="G2" i="1"/><c r="J5" i="1"/>', "")
                text = text.replace('<c r="J5" i="6"/>', '<c r="J5" i="6"/><c r="G2" i="1"/><c r="J5"/>')
                data = text.encode()
            target.writestr(info, data)
    apply_patch(book, Patch(updates=(UpdateCells("DataSheet", ((2, "Value / Size", 1),)),)), backups=0)
    chain = parts(book)["xl/calcChain.xml"].decode()
    assert '<c r="J5" i="6"/><c i="1" r="J5"/><c r="G5" i="6"/>' in chain
    assert '<c r="G2" i="1"/>' not in chain


def test_update_a_row_of_a_table_in_an_excel_made_book(tmp_path: Path, corpus: Path) -> None:
    """cal_inventory-table.xlsx (made by Excel, shared strings): only the sheet part and workbook.xml change, only
    in the row set; the shared strings the old cell used stay (Excel tolerates an unused one)."""
    book = tmp_path / "inventory.xlsx"
    shutil.copy(corpus / "cal_inventory-table.xlsx", book)
    book.chmod(0o644)
    before, raw_before = parts(book), _raw_parts(book)
    apply_patch(book, Patch(updates=(UpdateCells("Sheet1", ((3, "Type", "green"), (3, "Quantity", 250))),)))
    after, raw_after = parts(book), _raw_parts(book)
    sheet_part = "xl/worksheets/sheet1.xml"
    assert {n for n in before if after[n] != before[n]} == {sheet_part, "xl/workbook.xml"}
    assert all(raw_after[n] == raw_before[n] for n in before if n not in (sheet_part, "xl/workbook.xml"))
    old_rows, new_rows = _rows_xml(before[sheet_part].decode()), _rows_xml(after[sheet_part].decode())
    assert [r for r in old_rows if old_rows[r] != new_rows[r]] == ["3"]
    outside = re.sub(r"<sheetData>.*</sheetData>", "", after[sheet_part].decode())
    assert outside == re.sub(r"<sheetData>.*</sheetData>", "", before[sheet_part].decode())
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Sheet1").to_python()
    assert rows[2] == [2.0, "green", 250.0] and rows[1] == [1.0, "Apple", 50.0]
    assert openpyxl.load_workbook(book)["Sheet1"]["B3"].value == "green"


def _raw_parts(path: Path) -> dict[str, bytes]:
    with SourceZip(str(path)) as source:
        return {info.filename: source.raw(info) for info in source.infos}


def test_the_writer_reads_updated_cells_back_before_replacing_the_book(tmp_path: Path, monkeypatch) -> None:
    from billing_addin.workbook.xlsx import cell_update

    book = make_adjustments_book(tmp_path / "Book.xlsx")
    original = book.read_bytes()
    wrong = cell_update._cell
    monkeypatch.setattr(cell_update, "_cell", lambda ref, value, *rest: wrong(ref, 999, *rest))
    with pytest.raises(WriteRefused, match=r"could not verify .*cell C3 of 'Adjustments' reads back as 999"):
        apply_patch(book, Patch(updates=(UpdateCells("Adjustments", ((3, "Amount", 5),)),)))
    assert book.read_bytes() == original
    assert not [p for p in tmp_path.iterdir() if p.name != "Book.xlsx"]  # no temp file left behind
