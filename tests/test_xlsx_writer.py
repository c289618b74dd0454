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

from billing_addin.core.patch import MONEY_FORMAT, AppendRows, Chart, Column, Link, OwnedSheet, Patch
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
