"""The commands called as a library, without the command line: loaded book in, typed Result out.

The command line, the ribbon and the UDFs are thin shells over these; here each command is called the way an
analyst or another shell would, on real .xlsx files written and read back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from billing_addin import commands
from billing_addin.cli.app import main
from billing_addin.commands.claims import claims
from billing_addin.commands.letters import make_letters
from billing_addin.core.ledger import build_ledger
from billing_addin.core.money import cents_to_decimal
from billing_addin.loader import LoadedBook, load
from tests.conftest import AS_OF, col

START = dt.date(2026, 1, 1)


def is_money(v: object) -> bool:
    return isinstance(v, Decimal) and v.as_tuple().exponent == -2


@pytest.fixture
def book(data, write):
    return write(data)


def test_the_loader_gives_an_immutable_book_checked_at_its_date(book):
    loaded = load(book, AS_OF)
    assert isinstance(loaded, LoadedBook) and loaded.as_of == AS_OF and loaded.findings == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.as_of = START  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.book.sheets = {}  # type: ignore[misc]
    assert [lv.level for lv in loaded.config.dunning_levels] == [1, 2, 3]  # the defaults: no DunningLevels rows
    later = loaded.at(AS_OF + dt.timedelta(days=30))
    assert later.as_of == AS_OF + dt.timedelta(days=30) and later.book is loaded.book and later.config is loaded.config
    assert loaded.at(AS_OF) is loaded


def test_validate_names_the_cell_and_patches_findings_and_audit(data, write):
    data.rows["Invoices"][2][col("Invoices", "Amount")] = "TBD"
    result = commands.validate(load(write(data), AS_OF))
    [error] = result.errors
    assert (error.code, error.sheet, error.cell) == (
        "not-money",
        "Invoices",
        "E4",
    )  # rows[2]: Excel row 4 (row 1 is the header)
    assert [s.name for s in result.patch.sheets] == ["Findings", "Audit"]
    assert result.counts["errors"] == 1 and result.as_of == AS_OF


def test_refresh_records_are_typed_and_are_the_ledgers_figures(book):
    loaded = load(book, AS_OF)
    result = commands.refresh(loaded, sheets=False)
    ledger = build_ledger(loaded.book, AS_OF)
    invoices = result.data["invoices"]
    assert invoices and len(invoices) == sum(1 for i in ledger.invoices.values() if i.invoice_date <= AS_OF)
    for line in invoices:
        inv = ledger.invoices[line["invoice_no"]]
        assert all(is_money(line[k]) for k in ("amount", "paid", "balance"))
        assert isinstance(line["invoice_date"], dt.date) and isinstance(line["due_date"], dt.date)
        assert line["balance"] == cents_to_decimal(inv.outstanding) and line["paid_date"] == inv.paid_date
    [usd] = result.data["portfolio"].values()
    assert usd["balance"] == sum(c["balance"] for c in result.data["customers"])
    assert result.patch.is_empty and result.ledger is not None


def test_the_command_lines_json_is_the_commands_records_as_text(book, capsys):
    """The shell adds nothing and drops nothing: `billing refresh --json` prints the records, money and dates
    as their text."""
    result = commands.refresh(load(book, AS_OF), sheets=False)
    assert main(["refresh", str(book), "--as-of", str(AS_OF), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed.pop("findings") == []
    assert printed == json.loads(json.dumps(result.data, default=str))
    assert printed["invoices"][0]["amount"] == str(result.data["invoices"][0]["amount"])


def test_fees_post_appends_late_fee_rows_with_exact_amounts(book):
    result = commands.fees(load(book, AS_OF), post=True)
    due = [f for f in result.data["fees"] if f["to_post"] > 0]
    assert due and all(is_money(f["to_post"]) for f in result.data["fees"])
    [append] = result.patch.appends
    assert append.sheet == "Adjustments" and len(append.rows) == len(due) == result.counts["posted"]
    assert sorted(r["Amount"] for r in append.rows) == sorted(f["to_post"] for f in due)
    assert {r["Type"] for r in append.rows} == {"Late Fee"}


def test_fees_hold_back_the_customer_whose_row_has_an_error(data, write):
    row = 2  # Excel row 4
    data.rows["Invoices"][row][col("Invoices", "Due Date")] = "soon"
    customer = data.rows["Invoices"][row][col("Invoices", "Customer ID")]
    loaded = load(write(data), AS_OF)
    assert loaded.held.holds(customer) and not loaded.held.everyone
    result = commands.fees(loaded, post=True)
    due = {f["customer_id"] for f in result.data["fees"] if f["to_post"] > 0}
    assert {h["customer_id"] for h in result.data["held_back"]} == due & {customer}
    posted = {r["Customer ID"] for a in result.patch.appends for r in a.rows}
    assert customer not in posted and posted == due - {customer}


def test_dunning_and_statement_as_a_library(book):
    loaded = load(book, AS_OF)
    dunning = commands.dunning(loaded)
    assert dunning.counts["letters"] == len(dunning.data["letters"])
    for letter in dunning.data["letters"]:
        assert isinstance(letter["level"], int) and is_money(letter["overdue"]) and letter["held_back"] is None
    customer = loaded.book.sheet("Customers").columns["Customer ID"][0]
    statement = commands.statement(loaded, customer, START, AS_OF)
    for s in statement.data["statements"]:
        moved = sum(ln["charge"] - ln["credit"] for ln in s["lines"])
        assert s["closing_balance"] == s["opening_balance"] + moved
        assert all(isinstance(ln["date"], dt.date) for ln in s["lines"])


def test_every_command_stops_without_a_column_its_figures_need(book):
    wb = openpyxl.load_workbook(book)
    ws = wb["Payments"]
    header = next(c for c in ws[1] if c.value == "Payment Date")
    header.value = "Something Else"
    ws.tables["tblPayments"].tableColumns[header.column - 1].name = "Something Else"
    wb.save(book)
    loaded = load(book, AS_OF)
    assert [f.code for f in loaded.stop] == ["missing-column"]
    customer = loaded.book.sheet("Customers").columns["Customer ID"][0]
    for result in (
        commands.refresh(loaded),
        commands.fees(loaded, post=True),
        commands.dunning(loaded),
        commands.statement(loaded, customer, START, AS_OF),
        claims(loaded),
        commands.import_era(loaded, []),
        commands.post_era(loaded),
    ):
        assert result.data["stopped"] is True and result.patch.is_empty, result.command
        assert [f.code for f in result.errors][-2:] == ["missing-column", "no-figures"]


def test_letters_as_a_library(book, tmp_path):
    loaded = load(book, AS_OF)
    made = make_letters(
        loaded, book, kind="dunning", pdf=False, out_dir=tmp_path / "out", now=dt.datetime(2026, 6, 30, 9)
    )
    assert made.counts["letters"] == len(made.data["letters"]) > 0
    assert all(Path(x["docx"]).is_file() and x["pdf"] is None for x in made.data["letters"])
    assert [s.name for s in made.patch.sheets] == ["Letters", "Audit"]
    letters_sheet = made.patch.sheets[0]
    assert len(letters_sheet.rows) == made.counts["letters"]
