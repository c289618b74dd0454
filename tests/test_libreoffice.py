"""The workbook in LibreOffice Calc: the template's summary formulas recalculate to what Python computes,
and a workbook saved by LibreOffice reads back with the same findings.

Real LibreOffice headless (soffice) does the work; nothing is mocked. Each soffice call gets its own fresh
profile (two soffice on one profile hand work to each other) whose registry says OOXMLRecalcMode=0, so
formulas are always recalculated on load whatever the file carries.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from billing_addin.core.schema import ADJUSTMENTS, CUSTOMERS, INPUT_SHEETS, INSTRUCTIONS_SHEET, INVOICES, PAYMENTS
from billing_addin.workbook.demo_book import build_demo_book
from billing_addin.workbook.template import SUMMARY, build_template, summary_cells

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

AS_OF = dt.date(2025, 3, 31)
TIMEOUT = 120

# OOXMLRecalcMode 0 = "always recalculate" when an .xlsx is loaded (1 = never, 2 = ask).
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
</oor:items>
"""


def soffice_convert(src: Path, outdir: Path) -> Path:
    """Open `src` in LibreOffice headless and save it as .xlsx into `outdir` (a fresh profile per call)."""
    outdir.mkdir(parents=True, exist_ok=True)
    assert outdir.resolve() != src.parent.resolve(), "soffice would overwrite its own input"
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir="/tmp"))
    try:
        (profile / "user").mkdir()
        (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
        cmd = [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--calc",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            str(src),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + ".xlsx")
    assert proc.returncode == 0 and out.exists(), f"soffice failed ({proc.returncode}): {proc.stdout}{proc.stderr}"
    return out


def summary_values(path: Path, data_only: bool = True) -> dict[str, object]:
    """Label -> what the Instructions sheet's summary cell holds (its cached result with data_only)."""
    wb = load_workbook(path, data_only=data_only)
    try:
        ws = wb[INSTRUCTIONS_SHEET]
        return {label: ws[addr].value for label, addr in summary_cells().items()}
    finally:
        wb.close()


def cents(v: object) -> int:
    """A number as whole cents (Decimal through repr, so 0.1 + 0.2 style noise cannot hide a cent)."""
    return int((Decimal(repr(float(v))) * 100).quantize(Decimal(1)))


def expected_summary(rows: dict[str, list[list[object]]]) -> dict[str, int]:
    """What the summary formulas must give, computed in Python from the same rows. Counts as ints,
    sums as cents (COUNTA counts non-blank cells; SUM and SUMIFS add numbers only)."""

    def col(spec, name):
        i = [f.name for f in spec.fields].index(name)
        return [r[i] for r in rows.get(spec.name, [])]

    def money(values):
        return sum(cents(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool))

    adj_amount, adj_type = col(ADJUSTMENTS, "Amount"), col(ADJUSTMENTS, "Type")

    def by_type(kind):
        return money(a for a, t in zip(adj_amount, adj_type, strict=True) if t == kind)

    return {
        "Customers": sum(v not in (None, "") for v in col(CUSTOMERS, "Customer ID")),
        "Invoices": sum(v not in (None, "") for v in col(INVOICES, "Invoice No")),
        "Invoiced (all currencies)": money(col(INVOICES, "Amount")),
        "Payments received": money(col(PAYMENTS, "Amount")),
        "Credit notes": by_type("Credit Note"),
        "Write-offs": by_type("Write-off"),
        "Late fees charged": by_type("Late Fee"),
    }


def as_comparable(label: str, value: object) -> int:
    assert isinstance(value, int | float) and not isinstance(value, bool), f"{label}: {value!r} is not a number"
    if label in ("Customers", "Invoices"):
        assert float(value).is_integer(), f"{label}: count {value!r} is not whole"
        return int(value)
    return cents(value)


def test_summary_cells_hold_every_summary_formula(tmp_path):
    """summary_cells() points at one cell per SUMMARY formula, so the tests below check every formula."""
    assert list(summary_cells()) == [label for label, _ in SUMMARY]
    path = build_template(tmp_path / "template.xlsx")
    assert summary_values(path, data_only=False) == dict(SUMMARY)


@pytest.mark.parametrize("which", ["demo", "empty"])
def test_libreoffice_recalculates_the_summary_to_what_python_computes(tmp_path, which):
    """LibreOffice 7.4 evaluates every summary formula (COUNTA, SUM, SUMIFS over table columns) and
    gets exactly the counts and cent totals Python computes from the rows written; the empty
    template gives 0 everywhere."""
    src = tmp_path / f"{which}.xlsx"
    if which == "demo":
        data = build_demo_book(src, AS_OF, mistakes=False)
        rows = data.rows
        # Every Amount is a number here, so SUM and Python's total mean the same thing.
        for spec in (INVOICES, PAYMENTS, ADJUSTMENTS):
            i = [f.name for f in spec.fields].index("Amount")
            assert all(isinstance(r[i], float | int) for r in rows[spec.name]), spec.name
        assert len(rows[ADJUSTMENTS.name]) >= 2  # the SUMIFS have something to find
    else:
        build_template(src)
        rows = {spec.name: [] for spec in INPUT_SHEETS}

    # openpyxl writes formulas without results: any number read back later was computed by LibreOffice.
    assert all(v is None for v in summary_values(src).values())

    out = soffice_convert(src, tmp_path / "lo")
    got = summary_values(out)
    assert all(v is not None for v in got.values()), f"LibreOffice did not recalculate: {got}"
    # The formulas are still formulas after the round trip (not pasted values).
    assert all(str(v).startswith("=") for v in summary_values(out, data_only=False).values())

    want = expected_summary(rows)
    assert {label: as_comparable(label, v) for label, v in got.items()} == want
    if which == "empty":
        assert set(want.values()) == {0}
    else:
        assert want["Customers"] == len(rows[CUSTOMERS.name]) > 0
        assert want["Invoices"] == len(rows[INVOICES.name]) > 0
        assert want["Credit notes"] > 0 and want["Write-offs"] > 0 and want["Late fees charged"] == 0


def with_stale_results(src: Path, dst: Path, stale: str = "999999") -> None:
    """Copy an .xlsx, replacing the cached result of every summary formula with `stale`."""
    replaced = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet") and b"tblCustomers[" in data:
                for addr in summary_cells().values():
                    pattern = rb'(<c r="' + addr.encode() + rb'"[^>]*>(?:(?!</c>).)*?<v>)[^<]*(</v>)'
                    data, n = re.subn(pattern, rb"\g<1>" + stale.encode() + rb"\g<2>", data, flags=re.S)
                    replaced += n
            zout.writestr(item, data)
    assert replaced == len(summary_cells()), f"replaced {replaced} cached results"


@pytest.mark.slow
def test_the_fresh_profile_recalculates_stale_cached_results(tmp_path):
    """The profile's OOXMLRecalcMode=0 is what makes the numbers above LibreOffice's own: a file whose
    summary cells carry wrong cached results (as a file saved by Excel with old data would) comes back
    with the right ones. (With a default profile LibreOffice keeps the stale 999999.)"""
    src = tmp_path / "demo.xlsx"
    data = build_demo_book(src, AS_OF, mistakes=False)
    saved = soffice_convert(src, tmp_path / "lo1")  # now every summary cell carries a cached result
    stale = tmp_path / "stale" / "demo.xlsx"
    stale.parent.mkdir()
    with_stale_results(saved, stale)
    assert set(summary_values(stale).values()) == {999999}

    got = summary_values(soffice_convert(stale, tmp_path / "lo2"))
    assert {label: as_comparable(label, v) for label, v in got.items()} == expected_summary(data.rows)


def run_validate(path: Path) -> tuple[int, list[dict]]:
    """`billing validate PATH --json --as-of AS_OF` in a fresh interpreter: (exit status, findings)."""
    proc = subprocess.run(
        [sys.executable, "-m", "billing_addin", "validate", str(path), "--json", "--as-of", AS_OF.isoformat()],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr}"
    return proc.returncode, json.loads(proc.stdout)


def test_a_workbook_saved_by_libreoffice_gives_the_same_findings(tmp_path):
    """A clerk who opens the workbook in LibreOffice and saves it loses nothing the validator needs:
    the LibreOffice-saved file gives the same findings (codes and cells) as the original, and each
    planted mistake is still pointed at by its exact cell."""
    src = tmp_path / "demo-billing.xlsx"
    data = build_demo_book(src, AS_OF)
    assert data.mistakes, "the demo should plant mistakes"

    out = soffice_convert(src, tmp_path / "lo")
    assert out.read_bytes() != src.read_bytes()  # really re-written by LibreOffice

    status_before, before = run_validate(src)
    status_after, after = run_validate(out)
    assert status_before == status_after == 1

    def key(findings):
        return sorted((f["severity"], f["code"], f["sheet"], f["cell"]) for f in findings)

    assert key(after) == key(before)
    assert after == before  # messages and hints too: the values read back are the same

    flagged = {f"{f['sheet']}!{f['cell']}" for f in after}
    for mistake in data.mistakes:
        cell = mistake.split(":", 1)[0]
        assert cell in flagged, f"planted mistake not found after LibreOffice saved the book: {mistake}"
