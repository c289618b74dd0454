"""What the commands print never hides a number: money, dates and IDs come out whole at 80 columns, piped, and
in a terminal too narrow for the table. Real commands on a real workbook with big amounts and long IDs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AS_OF, col
from pypdf import PdfWriter

from billing_addin import commands
from billing_addin.cli import app as cli
from billing_addin.cli import console
from billing_addin.core.letter_log import LETTER_COLUMNS, LETTERS_SHEET
from billing_addin.core.patch import OwnedSheet, Patch
from billing_addin.documents.mail import draft_message, write_draft
from billing_addin.workbook.demo_book import generate
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.template import build_template
from billing_addin.workbook.writer import apply_patch

BIG = 13_699_759.25
BIG_TEXT = "13699759.25"  # as the commands print money
UNKNOWN_INVOICE = "INV-2026-999999999999"
START = dt.date(2025, 6, 1)


def long_customer(cid: str) -> str:
    return f"5119{13699759 + int(cid[1:]):012d}"  # C1002 -> 5119000013700761


def long_invoice(no: str) -> str:
    return f"INV-2026-{13699759000 + int(no[4:]):013d}"  # INV-24002 -> INV-2026-0013699783002


def big_rows():
    """The small demo book with amounts in the tens of millions, 16-digit customer IDs, 22-character invoice
    numbers, a disputed invoice, and two errors on one customer's rows (so that someone is held back)."""
    d = generate(AS_OF, customers=6, invoices=20, payments=12, mistakes=False)
    rows = d.rows
    for sheet, field in (
        ("Customers", "Customer ID"),
        ("Invoices", "Customer ID"),
        ("Payments", "Customer ID"),
        ("Adjustments", "Customer ID"),
    ):
        for r in rows[sheet]:
            r[col(sheet, field)] = long_customer(r[col(sheet, field)])
    for sheet, field in (("Invoices", "Invoice No"), ("Payments", "Applied To"), ("Adjustments", "Invoice No")):
        for r in rows[sheet]:
            if r[col(sheet, field)]:
                r[col(sheet, field)] = long_invoice(r[col(sheet, field)])
    for r in rows["Payments"]:
        r[col("Payments", "Payment ID")] = f"PAY-2026-{13699759000 + int(r[0][1:]):013d}"
    for r in rows["Adjustments"]:
        r[col("Adjustments", "Adjustment ID")] = f"ADJ-2026-{13699759000 + int(r[0][1:]):013d}"
    invoices = {r[col("Invoices", "Invoice No")]: r for r in rows["Invoices"]}
    invoices[long_invoice("INV-24002")][col("Invoices", "Amount")] = BIG  # unpaid, a year overdue
    invoices[long_invoice("INV-24005")][col("Invoices", "Amount")] = BIG  # part paid
    invoices[long_invoice("INV-24005")][col("Invoices", "Dispute")] = "Says the delivery was short"
    invoices[long_invoice("INV-24009")][col("Invoices", "Amount")] = 1_234_567.89
    # Errors on one customer's rows (C1005): a "TBD" amount and a payment applied to an unknown invoice.
    invoices[long_invoice("INV-24008")][col("Invoices", "Amount")] = "TBD"
    pay = next(r for r in rows["Payments"] if r[col("Payments", "Customer ID")] == long_customer("C1005"))
    pay[col("Payments", "Applied To")] = UNKNOWN_INVOICE
    return d


BIG_CUSTOMER = long_customer("C1002")
HELD_CUSTOMER = long_customer("C1005")


@pytest.fixture(scope="module")
def big_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "book.xlsx"
    d = big_rows()
    build_template(path, d.rows, d.settings)
    return path


@pytest.fixture(scope="module")
def expected(big_book) -> dict[str, list[str]]:
    """The values each command must print whole, from the commands' own results."""
    book = read_book(big_book)
    validate = commands.validate(book, AS_OF)
    refresh = commands.refresh(book, AS_OF)
    fees = commands.fees(book, AS_OF)
    dunning = commands.dunning(book, AS_OF)
    statement = commands.statement(book, BIG_CUSTOMER, START, AS_OF)
    [usd] = refresh.data["portfolio"].values()
    out = {
        "validate": [f.cell for f in validate.findings] + [UNKNOWN_INVOICE],
        "refresh": [usd["receivables"], usd["balance"], usd["overdue"], *usd["buckets"].values()],
        "fees": [
            v for f in fees.data["fees"] for v in (f["invoice_no"], f["customer_id"], f["interest"], f["to_post"])
        ],
        "dunning": [v for d in dunning.data["letters"] for v in (d["customer_id"], d["overdue"], d["letter_template"])]
        + [i for d in dunning.data["letters"] for i in d["invoices"]]
        + [k["customer_id"] for k in dunning.data["skipped"]],
        "statement": [
            v
            for s in statement.data["statements"]
            for ln in s["lines"]
            for v in (ln["date"], ln["reference"], ln["invoice_no"], ln["charge"], ln["balance"], ln["due_date"])
            if v and v != "0.00"
        ],
    }
    out = {command: [str(v) for v in values] for command, values in out.items()}  # as the shell prints them
    # The book is what the test says it is: big amounts, long IDs, someone held back, a disputed invoice line.
    assert BIG_TEXT in out["statement"] and any(len(v) >= 16 for v in out["fees"]) and out["validate"]
    assert any(d["held_back"] for d in dunning.data["letters"])
    lines = statement.data["statements"][0]["lines"]
    assert any(ln["disputed"] for ln in lines) and all(ln["due_date"] for ln in lines if ln["kind"] == "Invoice")
    return out


ARGS = {
    "validate": ["validate", "{book}", "--as-of", str(AS_OF)],
    "refresh": ["refresh", "{book}", "--as-of", str(AS_OF)],
    "fees": ["fees", "{book}", "--as-of", str(AS_OF)],
    "dunning": ["dunning", "{book}", "--as-of", str(AS_OF)],
    "statement": ["statement", "{book}", BIG_CUSTOMER, "--from", str(START), "--to", str(AS_OF)],
}


def args_for(command: str, book: Path) -> list[str]:
    return [a.format(book=book) for a in ARGS[command]]


def billing_piped(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    """`billing ...` as a real process whose stdout is a pipe, in a terminal COLUMNS wide."""
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "billing_addin", *args], capture_output=True, text=True, env=env, timeout=300
    )


def assert_whole(text: str, values: list[str]) -> None:
    assert "…" not in text, "a value was cut"
    missing = [v for v in values if v not in text]
    assert not missing, f"not printed whole: {missing[:5]}\n{text}"


@pytest.mark.parametrize("command", list(ARGS))
def test_piped_at_80_columns_every_amount_date_and_id_is_printed_whole(big_book, expected, command):
    run = billing_piped(*args_for(command, big_book))
    assert run.returncode in (0, 1), run.stderr
    assert_whole(run.stdout, expected[command])
    if command == "statement":
        assert "(disputed)" in run.stdout


@pytest.mark.parametrize(("width", "terminal"), [(40, False), (40, True), (80, True), (24, True)])
@pytest.mark.parametrize("command", list(ARGS))
def test_a_console_too_narrow_for_the_table_still_prints_every_value_whole(
    big_book, expected, command, width, terminal, monkeypatch
):
    buffer = io.StringIO()
    narrow = console._Console(
        file=buffer, width=width, force_terminal=terminal, color_system=None, highlight=False, soft_wrap=True
    )
    monkeypatch.setattr(console, "out", narrow)
    cli.main(args_for(command, big_book))
    assert_whole(buffer.getvalue(), expected[command])


def test_a_terminal_too_narrow_shows_records_and_a_pipe_shows_the_whole_table(big_book, monkeypatch):
    shown = {}
    for terminal in (True, False):
        buffer = io.StringIO()
        narrow = console._Console(file=buffer, width=40, force_terminal=terminal, color_system=None, soft_wrap=True)
        monkeypatch.setattr(console, "out", narrow)
        cli.main(args_for("fees", big_book))
        shown[terminal] = buffer.getvalue()
    assert "┃" not in shown[True] and f"Customer: {BIG_CUSTOMER}" in shown[True]
    table = [line for line in shown[False].splitlines() if BIG_CUSTOMER in line]
    assert table and all(line.startswith("│") and len(line) > 40 for line in table)  # wider than 40: never cut


def test_the_dunning_table_says_held_back_once(big_book, monkeypatch):
    buffer = io.StringIO()  # wide enough that the Why column does not wrap
    monkeypatch.setattr(console, "out", console._Console(file=buffer, width=400, color_system=None, soft_wrap=True))
    cli.main(args_for("dunning", big_book))
    text = buffer.getvalue()
    assert "HELD BACK: " in text and "HELD BACK: held back" not in text
    assert re.search(r"HELD BACK: (Invoices|Payments)![A-Z]+\d+ has an error", text)


def test_the_ribbon_says_held_back_once_per_line(big_book, tmp_path, capsys):
    book = tmp_path / "book.xlsx"
    book.write_bytes(big_book.read_bytes())
    for tag in ("fees_post", "dunning_preview"):
        assert cli.main(["addin", "press", tag, str(book)]) == 0
        text = capsys.readouterr().out
        assert "held back" in text.lower()
        assert all(line.lower().count("held back") <= 1 for line in text.splitlines()), text


def test_letters_table_piped_at_80_columns_shows_ids_and_file_names_whole(big_book, tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(big_book.read_bytes())
    out = tmp_path / "letters"
    run = billing_piped("letters", str(book), "--as-of", str(AS_OF), "--no-pdf", "--out", str(out))
    assert run.returncode == 1, run.stderr  # the held-back customer's errors are reported
    made = sorted(p.name for p in out.glob("*.docx"))
    assert made
    customers = [n.split("_")[1] for n in made]
    assert_whole(run.stdout, made + customers)
    assert HELD_CUSTOMER in run.stdout  # listed as held back, whole


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_send_failures_piped_at_80_columns_show_each_draft_whole(tmp_path):
    """`billing send` to a port where no server listens: each draft fails, and the table names it whole."""
    d = big_rows()
    d.settings.update({"SMTP Host": "127.0.0.1", "SMTP Port": free_port(), "SMTP STARTTLS": "No"})
    book = tmp_path / "book.xlsx"
    build_template(book, d.rows, d.settings)
    now = dt.datetime(2026, 6, 30, 9, 0)
    rows, drafts = [], []
    for cid in (BIG_CUSTOMER, long_customer("C1003")):
        pdf = tmp_path / "letters" / f"dunning_{cid}_{AS_OF}.pdf"
        pdf.parent.mkdir(exist_ok=True)
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        with open(pdf, "wb") as f:
            writer.write(f)
        message = draft_message(
            sender="accounts@brightside.example",
            to="ap@customer.example",
            subject="Payment reminder",
            body="Please find the letter attached.",
            attachments=[pdf],
            date=now,
            message_id_domain="brightside.example",
        )
        write_draft(message, pdf.with_suffix(".eml"))
        sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
        rel = f"letters/{pdf.name}"
        rows.append((now, AS_OF, "dunning", 1, cid, long_invoice("INV-24002"), rel[:-4] + ".docx", rel, sha, "made"))
        drafts.append(rel[:-4] + ".eml")
    apply_patch(book, Patch(sheets=(OwnedSheet(LETTERS_SHEET, LETTER_COLUMNS, tuple(rows)),)), backups=0)
    run = billing_piped("send", str(book))
    assert run.returncode != 0 and "Not sent" in run.stdout, run.stdout + run.stderr
    assert_whole(run.stdout, drafts)


def test_statement_json_gives_each_invoice_lines_due_date_and_dispute(big_book, capsys):
    import json

    assert cli.main([*args_for("statement", big_book), "--json"]) == 0
    [s] = json.loads(capsys.readouterr().out)["statements"]
    by_ref = {ln["reference"]: ln for ln in s["lines"]}
    disputed, plain = by_ref[long_invoice("INV-24005")], by_ref[long_invoice("INV-24002")]
    assert (disputed["due_date"], disputed["disputed"]) == ("2025-11-12", True)
    assert (plain["due_date"], plain["disputed"]) == ("2025-09-18", False)
    assert all(ln["due_date"] is None and ln["disputed"] is False for ln in s["lines"] if ln["kind"] != "Invoice")
    items = {i["invoice_no"]: i for i in s["open_items"]}
    assert (
        items[long_invoice("INV-24005")]["disputed"] is True and items[long_invoice("INV-24002")]["disputed"] is False
    )
