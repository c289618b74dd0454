"""The `billing` command line, run as a user runs it (a real process) and in-process for speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AS_OF, col

from billing_addin.cli.app import main
from billing_addin.workbook.reader import read_book

ROOT = Path(__file__).resolve().parents[1]


def billing(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "billing_addin", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_validate_json_is_only_an_array_of_findings_with_exact_keys(data, write):
    data.rows["Invoices"][0][col("Invoices", "Amount")] = "TBD"
    path = write(data)
    run = billing("validate", str(path), "--as-of", str(AS_OF), "--json")
    assert run.returncode == 1, run.stderr
    found = json.loads(run.stdout)
    assert isinstance(found, list) and len(found) == 1
    assert set(found[0]) == {"severity", "code", "sheet", "cell", "message", "hint"}
    assert found[0]["severity"] == "error" and found[0]["cell"] == "E2" and found[0]["sheet"] == "Invoices"


def test_validate_exit_0_with_only_warnings_and_readable_report(data, write, capsys):
    pays = data.rows["Payments"]
    dup = list(pays[3])
    dup[0], dup[col("Payments", "Applied To")] = "P-COPY", None
    pays.append(dup)
    path = write(data)
    assert main(["validate", str(path), "--as-of", str(AS_OF)]) == 0
    out = capsys.readouterr().out
    assert "0 error(s), 1 warning(s)" in out and "Payments (1)" in out and f"D{len(pays) + 1}" in out


def test_validate_clean_book_exit_0(data, write, capsys):
    assert main(["validate", str(write(data)), "--as-of", str(AS_OF), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_as_of_from_settings_sheet(data, write, capsys):
    import datetime as dt

    data.settings["As-of Date"] = dt.date(2026, 1, 1)  # before some payments: they are left out as of then
    assert main(["validate", str(write(data)), "--json"]) == 0
    later = [f for f in json.loads(capsys.readouterr().out) if f["code"] == "rows-after-as-of"]
    assert later and all("dated after 2026-01-01 are left out" in f["message"] for f in later)


def test_bad_as_of_argument_is_a_clear_message(data, write):
    run = billing("validate", str(write(data)), "--as-of", "31/12/2026")
    assert run.returncode == 2 and "YYYY-MM-DD" in run.stderr and "Traceback" not in run.stderr


def test_new_writes_the_template_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "mine.xlsx"
    assert main(["new", str(path)]) == 0
    book = read_book(path)
    assert all(book.sheet(n) is not None for n in ("Customers", "Invoices", "Payments", "Adjustments"))
    before = path.read_bytes()
    assert main(["new", str(path)]) != 0
    assert path.read_bytes() == before


@pytest.mark.slow
def test_demo_builds_validates_and_says_where_files_are(tmp_path):
    run = billing("demo", "--out", str(tmp_path / "out"), "--as-of", str(AS_OF))
    assert run.returncode == 0, run.stderr
    book = tmp_path / "out" / "demo-billing.xlsx"
    assert book.exists() and str(book.resolve()) in run.stdout
    assert "error(s)" in run.stdout and "Invoices!E59" in run.stdout
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_medical_demo_imports_posts_and_writes_the_practices_letters(tmp_path):
    """`billing demo --medical`: the 835 posted (four claims), the worklist, appeal, preauthorization and statement
    letters made; no patient's name or member ID in a file name or on the console."""
    from billing_addin.workbook.medical_demo import practice

    out = tmp_path / "out"
    run = billing("demo", "--medical", "--out", str(out), "--as-of", str(AS_OF))
    assert run.returncode == 0, run.stderr
    book = out / "demo-practice.xlsx"
    assert str(book.resolve()) in run.stdout and (out / "demo-remittance.835").exists()
    assert "4 claim payment(s) posted: 3 payment(s), 3 adjustment(s), 2 new invoice(s)" in run.stdout
    assert "C-2004 (member id and date of service): Paid" in run.stdout
    assert "appeal letters (requests for redetermination) to the payers: 3 Word file(s)" in run.stdout
    claims = read_book(book).sheet("Claims")
    statuses = dict(zip(claims.columns["Claim ID"], claims.columns["Status"]))
    assert statuses["C-2001"] == "Paid" and statuses["C-2003"] == "Appealed"  # denied by the 835, then appealed
    rows = practice(AS_OF).rows["Customers"]
    names = {r[1] for r in rows}
    members = {r[4] for r in practice(AS_OF).rows["Claims"]}
    shown = run.stdout + run.stderr + " ".join(p.name for p in out.rglob("*"))
    assert not any(n in shown for n in names | members)
    assert "Traceback" not in run.stderr


def test_readme_workbook_reference_is_generated_from_the_schema():
    from billing_addin.reference import workbook_reference

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert workbook_reference() in readme, "README is stale: run `make readme`"
