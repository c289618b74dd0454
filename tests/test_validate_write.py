"""`billing validate COPY --write` over every workbook Excel made: nothing the add-in does not own changes.

For each file of ../shared/corpus/excel-made/ (charts, pictures, pivots, VBA, slicers, comments ...):
copy it, write Findings and Audit twice, then compare every zip part with the original.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine as pc

from billing_addin.cli.app import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "excel-made"
if not CORPUS.exists():  # the checkout may sit elsewhere; CI runs from main/ beside shared/
    CORPUS = Path("/work/shared/corpus/excel-made")
FILES = sorted(p for p in CORPUS.glob("*.xls[xm]")) if CORPUS.exists() else []
# Parts that list sheets, and the style sheet (entries are only appended to it).
LISTING_PARTS = {
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "docProps/app.xml",
    "xl/styles.xml",
}


def owned(name: str, new_parts: set[str]) -> bool:
    return name in LISTING_PARTS or name in new_parts


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def style_entries(xml: bytes) -> dict[bytes, bytes]:
    """The inside of each numFmts/fonts/fills/borders/xfs list (the writer may only add after them)."""
    out = {}
    for tag in (b"numFmts", b"fonts", b"fills", b"borders", b"cellStyleXfs", b"cellXfs"):
        m = re.search(rb"<" + tag + rb"(?: [^>]*)?>(.*?)</" + tag + rb">", xml, re.S)
        if m:
            out[tag] = m.group(1)
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every corpus file, copied and written twice by `billing validate --write`."""
    if not FILES:
        pytest.skip(f"the Excel-made corpus is not beside the project ({CORPUS})")
    folder = tmp_path_factory.mktemp("corpus")
    results = {}
    for src in FILES:
        dst = folder / src.name
        shutil.copy(src, dst)
        codes = [main(["validate", str(dst), "--write", "--json"]) for _ in range(2)]
        results[src.name] = (src, dst, codes)
    return results


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_unowned_parts_stay_byte_for_byte(written, name, capsys):
    src, dst, codes = written[name]
    capsys.readouterr()
    assert codes == [1, 1], "a book without billing sheets gives error findings (exit 1) and is written"
    before, after = parts(src), parts(dst)
    new_parts = set(after) - set(before)
    assert not set(before) - set(after), f"parts lost: {set(before) - set(after)}"
    changed = [n for n in before if before[n] != after[n] and not owned(n, new_parts)]
    assert not changed, f"parts the add-in does not own changed: {changed}"
    if "xl/styles.xml" in before:
        old, new = style_entries(before["xl/styles.xml"]), style_entries(after["xl/styles.xml"])
        for tag, entries in old.items():
            assert new[tag].startswith(entries), f"existing {tag.decode()} entries must stay as they were, first"
    if "xl/vbaProject.bin" in before:
        assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    # Only two sheets were added, whatever ran twice.
    names = re.findall(rb'<sheet [^>]*name="([^"]+)"', after["xl/workbook.xml"])
    assert names.count(b"Findings") == 1 and names.count(b"Audit") == 1


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_findings_read_back_and_openpyxl_still_opens(written, name, capsys):
    src, dst, _ = written[name]
    assert main(["validate", str(dst), "--json"]) == 1
    import json

    expected = json.loads(capsys.readouterr().out)
    wb = pc.CalamineWorkbook.from_path(str(dst))
    rows = wb.get_sheet_by_name("Findings").to_python()
    assert rows[0] == ["Severity", "Code", "Sheet", "Cell", "Message", "Hint"]
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        (f["severity"], f["code"], f["sheet"], f["cell"], f["message"], f["hint"]) for f in expected
    ]
    audit = wb.get_sheet_by_name("Audit").to_python()
    assert [r[1] for r in audit[1:]] == ["validate", "validate"]
    try:
        openpyxl.load_workbook(src, keep_vba=True)
    except Exception:
        pytest.skip(f"openpyxl cannot open the original {name} either")
    loaded = openpyxl.load_workbook(dst, keep_vba=True)
    assert "Findings" in loaded.sheetnames and "Audit" in loaded.sheetnames


# LibreOffice takes a few seconds a book: it opens a sample that covers every kind of part in the corpus.
LIBREOFFICE_SAMPLE = (
    "chart_bar01.xlsx",
    "chartsheet01.xlsx",
    "cal_pivots.xlsx",
    "cal_vba.xlsm",
    "macro01.xlsm",
    "image01.xlsx",
    "textbox01.xlsx",
    "comment01.xlsx",
    "table01.xlsx",
    "dynamic_array01.xlsx",
    "cal_date_1904.xlsx",
    "data_validation01.xlsx",
    "cond_format01.xlsx",
    "hyperlink01.xlsx",
    "button07.xlsm",
    "cal_picture_richdata.xlsx",
)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (make test installs it)")
@pytest.mark.parametrize("name", [n for n in LIBREOFFICE_SAMPLE if (CORPUS / n).exists()])
def test_libreoffice_opens_the_written_book(written, name, tmp_path):
    _, dst, _ = written[name]
    out = tmp_path / "out"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(out),
            str(dst),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert (out / f"{dst.stem}.csv").exists(), f"LibreOffice could not open the written {name}"
