"""Letters on disk and in the log: a statement is one per period, and letter files follow the umask so that
colleagues sharing the folder can open them. Real workbooks, real DOCX (and PDF with LibreOffice)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
from pathlib import Path

import openpyxl
import pytest
from conftest import AS_OF

from billing_addin import commands
from billing_addin.cli import app as cli
from billing_addin.commands.letters import make_letters
from billing_addin.core.letter_log import LETTER_COLUMNS, LETTERS_SHEET, read_letter_log
from billing_addin.core.patch import OwnedSheet, Patch
from billing_addin.documents.files import write_whole
from billing_addin.workbook.demo_book import build_demo_book
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.writer import apply_patch


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "billing.xlsx"
    build_demo_book(path, AS_OF, mistakes=False)
    return path


@pytest.fixture
def book(master, tmp_path) -> Path:
    path = tmp_path / "billing.xlsx"
    shutil.copy(master, path)
    return path


def a_customer_with_a_balance(path: Path) -> str:
    data = commands.refresh(read_book(path), AS_OF).data
    return next(c["customer_id"] for c in data["customers"] if c["balance"] != "0.00")


def statement_letters(book: Path, capsys, customer: str, start: str, *more: str) -> dict:
    args = ["letters", str(book), "--as-of", str(AS_OF), "--kind", "statement", "--customers", customer]
    code = cli.main([*args, "--from", start, "--no-pdf", "--out", str(book.parent / "out"), "--json", *more])
    assert code == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def letters_sheet(book: Path) -> list[dict]:
    rows = list(openpyxl.load_workbook(book, read_only=True)[LETTERS_SHEET].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# --- a statement is one per period ---------------------------------------------------------------------------


def test_a_statement_for_another_period_is_made_and_the_same_one_again_is_refused(book, capsys):
    customer = a_customer_with_a_balance(book)
    first = statement_letters(book, capsys, customer, "2026-04-01")
    assert len(first["letters"]) == 1

    same = statement_letters(book, capsys, customer, "2026-04-01")
    assert same["letters"] == []
    assert [s["reason"] for s in same["skipped"]] == ["already made (use --again to make it again)"]

    other = statement_letters(book, capsys, customer, "2026-05-01")  # same as-of date, another period
    assert len(other["letters"]) == 1 and other["letters"][0]["customer_id"] == customer

    again = statement_letters(book, capsys, customer, "2026-04-01", "--again")
    assert len(again["letters"]) == 1

    logged = [(r["Kind"], r["Customer ID"], r["Period From"], r["Period To"]) for r in letters_sheet(book)]
    april, may, end = dt.datetime(2026, 4, 1), dt.datetime(2026, 5, 1), dt.datetime.combine(AS_OF, dt.time())
    assert logged == [
        ("statement", customer, april, end),
        ("statement", customer, may, end),
        ("statement", customer, april, end),
    ]
    records = read_letter_log(list(map(list, read_book(book).owned_rows[LETTERS_SHEET])))
    assert [(r.period_start, r.period_end) for r in records] == [
        (dt.date(2026, 4, 1), AS_OF),
        (dt.date(2026, 5, 1), AS_OF),
        (dt.date(2026, 4, 1), AS_OF),
    ]


def test_a_log_written_before_periods_still_reads_and_its_statements_still_count(book, capsys):
    """An older Letters sheet has no Period columns: its statement of an as-of date counts for every period
    of that date, as it did when it was written (no statement goes out twice after an upgrade)."""
    customer = a_customer_with_a_balance(book)
    assert len(statement_letters(book, capsys, customer, "2026-04-01")["letters"]) == 1
    # The same log as an older version wrote it: the columns up to Status, no period.
    old_columns = LETTER_COLUMNS[: [c.header for c in LETTER_COLUMNS].index("Status") + 1]
    [logged] = letters_sheet(book)
    row = tuple(logged[c.header] for c in old_columns)
    apply_patch(book, Patch(sheets=(OwnedSheet(LETTERS_SHEET, old_columns, (row,)),)), backups=0)
    assert "Period From" not in letters_sheet(book)[0]
    [record] = read_letter_log(list(map(list, read_book(book).owned_rows[LETTERS_SHEET])))
    assert (record.kind, record.customer_id, record.as_of, record.period_start, record.period_end) == (
        "statement",
        customer,
        AS_OF,
        None,
        None,
    )
    refused = statement_letters(book, capsys, customer, "2026-05-01")
    assert refused["letters"] == [] and "already made" in refused["skipped"][0]["reason"]
    later = AS_OF + dt.timedelta(days=31)  # another as-of date is another statement, as before
    code = cli.main(
        ["letters", str(book), "--as-of", str(later), "--kind", "statement", "--customers", customer]
        + ["--from", "2026-05-01", "--no-pdf", "--out", str(book.parent / "out"), "--json"]
    )
    made_later = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and len(made_later["letters"]) == 1
    rows = letters_sheet(book)  # the old row kept, the new one with its period
    assert [r["Period From"] for r in rows] == [None, dt.datetime(2026, 5, 1)]


# --- letter files follow the umask ---------------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_write_whole_makes_files_as_the_umask_says(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = write_whole(tmp_path / "letter.pdf", b"%PDF-1.7 whole")
        replaced = write_whole(path, b"%PDF-1.7 again", sync=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode and replaced.read_bytes() == b"%PDF-1.7 again"
    assert [p.name for p in tmp_path.iterdir()] == ["letter.pdf"]  # no temporary file left behind


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_every_letter_file_made_follows_the_umask(book, umask, mode):
    """DOCX, PDF, the print file and the .eml drafts: readable by colleagues under umask 022, by the owner
    only under 077."""
    pdf = shutil.which("soffice") is not None
    customer = commands.dunning(read_book(book), AS_OF).data["letters"][0]["customer_id"]
    out = book.parent / "out"
    old = os.umask(umask)
    try:
        result = make_letters(
            read_book(book), book, AS_OF, customers=[customer], out_dir=out, pdf=pdf, print_file=pdf, email_drafts=pdf
        )
    finally:
        os.umask(old)
    made = sorted(out.iterdir())
    suffixes = {p.suffix for p in made}
    assert result.counts["letters"] == 1 and ".docx" in suffixes
    if pdf:
        assert {".pdf", ".eml"} <= suffixes and result.data["print_file"]
        assert len([p for p in made if p.suffix == ".pdf"]) == 2  # the letter and the print file
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in made} == {p.name: oct(mode) for p in made}


# --- the statement letter shows due dates and disputes -------------------------------------------------------


def test_the_statement_letter_shows_each_invoice_lines_due_date_and_its_dispute(book, capsys):
    import subprocess

    from docx import Document

    from billing_addin.core.ledger import build_ledger
    from billing_addin.documents.formatting import locale_for, short_date

    ledger = build_ledger(read_book(book), AS_OF)
    inv = max((i for i in ledger.invoices.values() if i.disputed), key=lambda i: i.invoice_date)
    others = [
        i for i in ledger.invoices.values() if i.customer_id == inv.customer_id and i.invoice_date >= inv.invoice_date
    ]
    start = inv.invoice_date.replace(day=1)
    pdf = shutil.which("soffice") is not None and shutil.which("pdftotext") is not None
    args = ["letters", str(book), "--as-of", str(AS_OF), "--kind", "statement", "--customers", inv.customer_id]
    code = cli.main(
        [*args, "--from", str(start), "--out", str(book.parent / "out"), "--json"] + ([] if pdf else ["--no-pdf"])
    )
    [letter] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["letters"]
    assert code == 0
    loc = locale_for("en_US")
    rows = [[c.text for c in r.cells] for t in Document(letter["docx"]).tables for r in t.rows]
    row = next(r for r in rows if inv.invoice_no in r and "Invoice" in r)
    assert short_date(inv.due_date, loc) in row[4] and "Disputed" in row[4]
    for other in others:  # every invoice line of the period shows its due date, "Disputed" only where it is
        cells = next(r for r in rows if other.invoice_no in r and "Invoice" in r)
        assert short_date(other.due_date, loc) in cells[4] and ("Disputed" in cells[4]) == other.disputed
    if pdf:
        text = subprocess.run(["pdftotext", "-layout", letter["pdf"], "-"], capture_output=True, text=True).stdout
        assert "Due date" in text and short_date(inv.due_date, loc) in text and "Disputed" in text
