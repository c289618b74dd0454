"""Write-back into every workbook of the Excel-made corpus (../shared/corpus/excel-made) loses nothing the add-in
does not own.

Each book is copied twice. One copy gets two owned sheets (one with a chart) from the writer, twice; the other goes
through `billing validate --write` twice (its Findings and Audit sheets). In both results every part of the original
that the writer may not touch must be byte-identical (decompressed and as stored), and the few listing parts it may
edit must equal the original once the writer's own insertions are taken out again. Then the owned sheets must read
back (python-calamine, openpyxl) and LibreOffice must open every result.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import openpyxl
import pytest
import python_calamine

from billing_addin.cli.app import main
from billing_addin.core.patch import MONEY_FORMAT, Chart, Column, Link, OwnedSheet, Patch
from billing_addin.workbook.writer import apply_patch
from billing_addin.workbook.xlsx.zip_package import SourceZip

SOFFICE = shutil.which("soffice")
# Verified by hand: LibreOffice 7.4 converts the original comment03.xlsx (a comment in cell XFD1048576) in ~10 s,
# but once the book has any second sheet, even one holding a single number, it takes over 8 minutes.
LIBREOFFICE_TOO_SLOW = {"comment03.xlsx"}
EDITABLE = {"[content_types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "docprops/app.xml", "xl/styles.xml"}
OWNED = ("Findings", "Audit")
VALIDATE_FINDINGS_HEADER = ["Severity", "Code", "Sheet", "Cell", "Message", "Hint"]

FINDINGS = OwnedSheet(
    "Findings",
    (Column("Invoice", 12), Column("Due", 12), Column("Amount", 14, MONEY_FORMAT), Column("Note", 24), Column("Go")),
    tuple(
        (
            f"INV-{i}",
            dt.date(2024, 1, i),
            Decimal(f"{i}00.25"),
            "=HYPERLINK(1)" if i % 2 else "+1",
            Link("back", "Audit!A1"),
        )
        for i in range(1, 8)
    ),
    charts=(Chart("column", "Amounts", "Invoice", ("Amount",), anchor="H2"),),
)
AUDIT = OwnedSheet("Audit", (Column("Step"), Column("Rows", 8, "0")), (("read", 7), ("checked", 7)))
PATCH = Patch(sheets=(FINDINGS, AUDIT))


class Written(NamedTuple):
    original: Path
    patched: Path  # PATCH applied twice with the writer
    validated: Path  # `billing validate --write --json` run twice
    codes: list[int]  # the exit codes of those two runs


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def _raw(path: Path) -> dict[str, bytes]:
    with SourceZip(str(path)) as source:
        return {info.filename: source.raw(info) for info in source.infos}


def _children(xml: str, section: str, child: str) -> list[str]:
    match = re.search(rf"<{section}\b[^>]*?(?:/>|>(.*?)</{section}>)", xml, re.S)
    body = (match.group(1) or "") if match else ""
    return re.findall(rf"<{child}\b[^>]*?/>|<{child}\b[^>]*>.*?</{child}>", body, re.S)


def _without_counts(xml: str) -> str:
    return re.sub(r'\scount="\d+"', "", xml)


def _new_parts(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return set(after) - set(before)


def check_styles(before: str, after: str) -> None:
    """Every existing style entry keeps its place; the writer's entries only follow them."""
    stripped = after
    for section, child in (("numFmts", "numFmt"), ("fonts", "font"), ("cellXfs", "xf")):
        old, new = _children(before, section, child), _children(after, section, child)
        assert new[: len(old)] == old, section
        for added in new[len(old) :]:
            stripped = stripped.replace(added, "", 1)
        if not old and new:
            stripped = re.sub(rf"<{section}\b[^>]*>\s*</{section}>", "", stripped)
    assert _without_counts(stripped) == _without_counts(before)
    old_lists, new_lists = style_entries(before), style_entries(after)
    for tag, entries in old_lists.items():
        assert new_lists[tag].startswith(entries), f"existing {tag} entries must stay as they were, first"


def style_entries(xml: str) -> dict[str, str]:
    """The inside of each numFmts/fonts/fills/borders/cellStyleXfs/cellXfs list (the writer may only add after)."""
    out = {}
    for tag in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs"):
        match = re.search(rf"<{tag}(?: [^>]*)?>(.*?)</{tag}>", xml, re.S)
        if match:
            out[tag] = match.group(1)
    return out


def check_workbook(before: str, after: str, names: tuple[str, ...]) -> None:
    """The workbook part is the original plus the owned sheets' entries and their hidden filter names."""
    stripped = after
    for name in names:
        stripped = re.sub(rf'<sheet name="{name}" sheetId="\d+" (?:xmlns:r="[^"]+" )?r:id="rId\d+"/>', "", stripped)
        stripped = re.sub(
            rf'<definedName name="_xlnm._FilterDatabase" localSheetId="\d+" hidden="1">\'{name}\'!\$A\$1:\$[A-Z]+\$\d+</definedName>',
            "",
            stripped,
        )
    if "<definedNames>" not in before:
        stripped = stripped.replace("<definedNames></definedNames>", "")
    assert stripped == before


def check_listing(before: str, after: str, new_parts: set[str], element: str, attribute: str) -> None:
    """Relationships / content types: the original plus elements that point at the writer's new parts only."""
    stripped = after
    for match in re.finditer(rf'<{element}\b[^>]*\b{attribute}="/?([^"]+)"[^>]*/>', after):
        target = match.group(1)
        if target.startswith("worksheets/"):
            target = "xl/" + target
        if target in new_parts:
            stripped = stripped.replace(match.group(0), "", 1)
    assert stripped == before


def check_preserved(original: Path, result: Path, charts: int) -> None:
    """Every part the writer does not own is as it was; the parts it may edit hold only its own insertions."""
    before, after = _parts(original), _parts(result)
    raw_before, raw_after = _raw(original), _raw(result)
    assert set(before) <= set(after), f"parts lost: {set(before) - set(after)}"
    for part in before:
        if part.lower() in EDITABLE:
            continue
        assert after[part] == before[part], part
        assert raw_after[part] == raw_before[part], f"{part} was re-compressed"
    new_parts = _new_parts(before, after)
    assert all(p.startswith(("xl/worksheets/", "xl/drawings/", "xl/charts/")) for p in new_parts), new_parts
    # A second run replaces the first run's chart rather than adding one.
    assert sum(p.startswith("xl/charts/") for p in new_parts) == charts

    if "xl/styles.xml" in before:
        check_styles(before["xl/styles.xml"].decode(), after["xl/styles.xml"].decode())
    check_workbook(before["xl/workbook.xml"].decode(), after["xl/workbook.xml"].decode(), OWNED)
    # Only two sheets were added, whatever ran twice.
    names = re.findall(rb'<sheet [^>]*name="([^"]+)"', after["xl/workbook.xml"])
    assert names.count(b"Findings") == 1 and names.count(b"Audit") == 1
    check_listing(
        before["xl/_rels/workbook.xml.rels"].decode(),
        after["xl/_rels/workbook.xml.rels"].decode(),
        new_parts,
        "Relationship",
        "Target",
    )
    check_listing(
        before["[Content_Types].xml"].decode(), after["[Content_Types].xml"].decode(), new_parts, "Override", "PartName"
    )
    if original.suffix == ".xlsm":
        assert "macroEnabled" in after["[Content_Types].xml"].decode()
    if original.suffix == ".xlsm" or "xl/vbaProject.bin" in before:
        assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]


@pytest.fixture(scope="module")
def written(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Written]:
    """Each corpus book, copied twice and each copy written twice: name -> Written."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "patched").mkdir()
    (folder / "validated").mkdir()
    books = {}
    for original in sorted(corpus.glob("*.xls[xm]")):
        patched, validated = folder / "patched" / original.name, folder / "validated" / original.name
        for copy in (patched, validated):
            shutil.copy(original, copy)
            copy.chmod(0o644)
        apply_patch(patched, PATCH, backups=0)
        apply_patch(patched, PATCH, backups=0)
        codes = [main(["validate", str(validated), "--write", "--json"]) for _ in range(2)]
        books[original.name] = Written(original, patched, validated, codes)
    return books


def test_unowned_parts_are_byte_identical(written: dict[str, Written], corpus_book: str) -> None:
    book = written[corpus_book]
    assert book.codes == [1, 1], "a book without billing sheets gives error findings (exit 1) and is written"
    check_preserved(book.original, book.patched, charts=1)
    check_preserved(book.original, book.validated, charts=0)


def test_owned_sheets_read_back(written: dict[str, Written], corpus_book: str, capsys: pytest.CaptureFixture) -> None:
    book = written[corpus_book]
    original_names = python_calamine.CalamineWorkbook.from_path(str(book.original)).sheet_names

    workbook = python_calamine.CalamineWorkbook.from_path(str(book.patched))
    assert workbook.sheet_names == [*original_names, "Findings", "Audit"]
    findings = workbook.get_sheet_by_name("Findings").to_python()
    assert findings[0] == ["Invoice", "Due", "Amount", "Note", "Go"]
    assert findings[1] == ["INV-1", dt.date(2024, 1, 1), 100.25, "=HYPERLINK(1)", "back"]
    assert len(findings) == 8
    assert workbook.get_sheet_by_name("Audit").to_python() == [["Step", "Rows"], ["read", 7.0], ["checked", 7.0]]

    # What `billing validate --json` says of the written book is what its Findings sheet holds.
    capsys.readouterr()
    assert main(["validate", str(book.validated), "--json"]) == 1
    expected = json.loads(capsys.readouterr().out)
    workbook = python_calamine.CalamineWorkbook.from_path(str(book.validated))
    assert workbook.sheet_names == [*original_names, "Findings", "Audit"]
    rows = workbook.get_sheet_by_name("Findings").to_python()
    assert rows[0] == VALIDATE_FINDINGS_HEADER
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        (f["severity"], f["code"], f["sheet"], f["cell"], f["message"], f["hint"]) for f in expected
    ]
    audit = workbook.get_sheet_by_name("Audit").to_python()
    assert [r[1] for r in audit[1:]] == ["validate", "validate"]


def test_openpyxl_still_loads_the_book(written: dict[str, Written], corpus_book: str) -> None:
    book = written[corpus_book]
    try:
        openpyxl.load_workbook(book.original)
    except Exception as error:  # noqa: BLE001 - some corpus books defeat openpyxl before any write
        with pytest.raises(type(error)):
            openpyxl.load_workbook(book.patched)
        with pytest.raises(type(error)):
            openpyxl.load_workbook(book.validated, keep_vba=True)
        pytest.skip(f"openpyxl cannot load the original either ({type(error).__name__}: {error})")
    wb = openpyxl.load_workbook(book.patched)
    ws = wb["Findings"]
    assert ws["D2"].data_type == "s" and ws["D2"].value == "=HYPERLINK(1)"
    assert ws["E2"].hyperlink.location == "Audit!A1"
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert len(ws._charts) == 1
    openpyxl.load_workbook(book.original, keep_vba=True)
    loaded = openpyxl.load_workbook(book.validated, keep_vba=True)
    assert "Findings" in loaded.sheetnames and "Audit" in loaded.sheetnames


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_every_result(written: dict[str, Written], tmp_path: Path) -> None:
    """One soffice per kind of result converts them all back to xlsx; its copies must hold the owned sheets."""
    names = [name for name in written if name not in LIBREOFFICE_TOO_SLOW]
    for kind in ("patched", "validated"):
        books = [getattr(written[name], kind) for name in names]
        out = tmp_path / kind
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to", "xlsx",
             "--outdir", str(out), *map(str, books)],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        for book in books:
            converted = out / book.with_suffix(".xlsx").name
            assert converted.exists(), f"LibreOffice did not open the {kind} {book.name}"
            rows = python_calamine.CalamineWorkbook.from_path(str(converted)).get_sheet_by_name("Findings").to_python()
            if kind == "patched":
                assert rows[1][:4] == ["INV-1", dt.date(2024, 1, 1), 100.25, "=HYPERLINK(1)"], book.name
            else:
                assert rows[0] == VALIDATE_FINDINGS_HEADER, book.name
