"""The Python API (billing_addin.frames): real workbooks written to disk, read back as DataFrames whose figures
are exactly the ones `billing refresh --json` and `billing validate --json` print for the same book and date."""

from __future__ import annotations

import ast
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import AS_OF, col

import billing_addin
from billing_addin.cli import app as cli
from billing_addin.frames import FiguresStopped, Frames, OpenBook, open_book

ROOT = Path(__file__).resolve().parents[1]


def cli_json(capsys, *args) -> tuple[int, object]:
    code = cli.main([str(a) for a in args])
    return code, json.loads(capsys.readouterr().out)


def plain(value: object) -> object:
    """A frame's value as `--json` writes it: Decimal and date as text, <NA> and None as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, Decimal):
        assert value.as_tuple().exponent == -2, value  # exactly two places, as the JSON text has
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return int(value) if isinstance(value, int) else value  # numpy ints from int64 columns, too


def records(frame: pd.DataFrame, columns) -> list[dict]:
    return [{c: plain(r[c]) for c in columns} for r in frame.to_dict("records")]


@pytest.fixture
def book_path(data, write) -> Path:
    """A small correct book made livelier: a void invoice, one issued after the as-of date (left out), a partly
    paid one, a payment on account that leaves unapplied credit, and a wrong cell (an error that holds back
    its customer but stops no figure)."""
    inv, pay = data.rows["Invoices"], data.rows["Payments"]
    inv[1][col("Invoices", "Status")] = "Void"
    inv[2][col("Invoices", "Invoice Date")] = AS_OF + dt.timedelta(days=3)
    inv[2][col("Invoices", "Due Date")] = AS_OF + dt.timedelta(days=33)
    partly = list(pay[0])
    partly[0], partly[col("Payments", "Applied To")] = "P-PART", inv[-1][col("Invoices", "Invoice No")]
    partly[col("Payments", "Customer ID")] = inv[-1][col("Invoices", "Customer ID")]
    partly[col("Payments", "Amount")] = 12.34
    partly[col("Payments", "Payment Date")] = AS_OF - dt.timedelta(days=2)
    on_account = list(partly)
    on_account[0], on_account[col("Payments", "Applied To")] = "P-ACCT", None
    on_account[col("Payments", "Customer ID")] = data.rows["Customers"][0][col("Customers", "Customer ID")]
    on_account[col("Payments", "Amount")] = 99999.99
    pay += [partly, on_account]
    data.rows["Customers"][2][col("Customers", "Email")] = "no-at-sign.example"  # Customers!D4
    return write(data)


def test_invoices_frame_is_refresh_json_invoices_exactly(book_path, capsys):
    code, out = cli_json(capsys, "refresh", book_path, "--as-of", AS_OF, "--json")
    assert code == 1  # the e-mail error: figures still made, the customer held back
    frames = open_book(book_path).frames(AS_OF)
    inv = frames.invoices
    json_columns = list(out["invoices"][0])
    assert list(inv.columns) == [*json_columns, "row"]
    assert records(inv, json_columns) == out["invoices"]
    # what the book was changed to show is really there
    assert set(inv.status) == {"Void", "Paid", "Partially Paid", "Overdue", "Written Off"}
    void = inv[inv.status == "Void"].iloc[0]
    assert void.balance == Decimal("0.00") and void.paid_date is None and void.days_late is pd.NA
    part = inv[inv.status == "Partially Paid"].iloc[0]
    assert part.paid == Decimal("12.34") and part.balance == part.amount - Decimal("12.34")
    assert part.paid_date is None and part.days_late == 0
    paid = inv[inv.status == "Paid"].iloc[0]
    assert isinstance(paid.paid_date, dt.date) and paid.days_late == max(0, (paid.paid_date - paid.due_date).days)
    # row is the Invoices sheet's Excel row: the invoice number in that row of the file is the frame's
    sheet = openpyxl.load_workbook(book_path, read_only=True)["Invoices"]
    number_and_date = {
        r: (str(no), day.date())
        for r, (no, _, day) in enumerate(sheet.iter_rows(min_row=2, max_col=3, values_only=True), start=2)
    }
    assert [number_and_date[r][0] for r in inv.row] == list(inv.invoice_no)
    issued = [no for no, day in number_and_date.values() if day <= AS_OF]  # the one issued later is left out
    assert list(inv.invoice_no) == issued and len(issued) == len(number_and_date) - 1
    assert inv.row.dtype == "int64" and inv.days_late.dtype == "Int64"


def test_customers_frame_is_refresh_json_customers_with_a_column_per_bucket(book_path, capsys):
    _, out = cli_json(capsys, "refresh", book_path, "--as-of", AS_OF, "--json")
    customers = open_book(book_path).frames(AS_OF).customers
    labels = list(out["portfolio"]["USD"]["buckets"])
    assert labels == ["Current", "1-30", "31-60", "61-90", "91+"]
    plain_columns = [c for c in out["customers"][0] if c != "buckets"]
    assert list(customers.columns) == [*plain_columns, *labels]
    got = records(customers, [*plain_columns, *labels])
    assert [{**{c: r[c] for c in plain_columns}, "buckets": [r[b] for b in labels]} for r in got] == out["customers"]
    on_account = customers.set_index("customer_id").loc[customers.customer_id.iloc[0]]
    assert on_account.unapplied_credit >= Decimal("99999.99") and on_account.balance < 0  # the payment on account
    assert on_account["Current"] == Decimal("0.00")
    # the balances add up, to the cent, to the portfolio's
    assert str(sum(customers.balance, Decimal("0.00"))) == out["portfolio"]["USD"]["balance"]


def test_payments_frame_is_the_sheet_as_read(book_path):
    payments = open_book(book_path).frames(AS_OF).payments
    sheet = openpyxl.load_workbook(book_path, read_only=True)["Payments"]
    header, *rows = sheet.iter_rows(values_only=True)
    filled = [(r, v) for r, v in enumerate(rows, start=2) if any(x not in (None, "") for x in v)]
    assert len(payments) == len(filled) == 14  # every row, as many as the sheet has
    assert list(payments.columns) == [*header, "row"]
    assert list(payments.row) == [r for r, _ in filled]
    for (_, cells), (_, line) in zip(filled, payments.iterrows()):
        given = dict(zip(header, cells))
        assert line["Payment ID"] == str(given["Payment ID"])
        assert line["Amount"] == Decimal(repr(given["Amount"])).quantize(Decimal("0.01"))
        assert line["Amount"].as_tuple().exponent == -2
        assert line["Payment Date"] == given["Payment Date"].date()
    assert payments.set_index("Payment ID").loc["P-ACCT", "Amount"] == Decimal("99999.99")


def test_findings_frame_names_the_broken_cell_as_validate_does(book_path, capsys):
    _, found = cli_json(capsys, "validate", book_path, "--as-of", AS_OF, "--json")
    ob = open_book(book_path)
    frames = ob.frames(AS_OF)
    assert list(frames.findings.columns) == ["severity", "code", "sheet", "cell", "message", "hint"]
    assert frames.findings.to_dict("records") == found
    assert [f.as_dict() for f in ob.findings(AS_OF)] == found
    broken = frames.findings[frames.findings.code == "bad-email"]
    assert broken[["severity", "sheet", "cell"]].values.tolist() == [["error", "Customers", "D4"]]


def test_a_missing_required_column_stops_the_figures(data, write, capsys):
    path = write(data)
    wb = openpyxl.load_workbook(path)
    payments = wb["Payments"]
    date_col = col("Payments", "Payment Date")
    payments.cell(1, date_col + 1).value = "Something Else"  # Excel renames the table column with the header
    payments.tables["tblPayments"].tableColumns[date_col].name = "Something Else"
    wb.save(path)
    ob = open_book(path)
    with pytest.raises(FiguresStopped) as stopped:
        ob.frames(AS_OF)
    e = stopped.value
    assert [(f.severity, f.code, f.sheet) for f in e.stopping] == [("error", "missing-column", "Payments")]
    assert e.stopping[0].cell.endswith("1") and e.stopping[0] in e.findings
    assert "Payment Date" in str(e) and f"Payments!{e.stopping[0].cell}" in str(e)
    assert ob.findings(AS_OF) == e.findings  # the findings are still there to look at
    code, out = cli_json(capsys, "refresh", path, "--as-of", AS_OF, "--json")
    assert code == 1 and out["stopped"] is True  # the command line refuses the same book


def test_as_of_defaults_to_the_settings_date(data, write):
    data.settings["As-of Date"] = AS_OF - dt.timedelta(days=40)
    ob = open_book(write(data))
    frames = ob.frames()
    assert frames.as_of == AS_OF - dt.timedelta(days=40) == ob.as_of()
    assert (frames.invoices.invoice_date <= frames.as_of).all()
    assert len(frames.invoices) < len(ob.frames(AS_OF).invoices)
    assert ob.as_of(AS_OF) == AS_OF


def test_the_api_is_exported_from_the_package_lazily():
    assert billing_addin.open_book is open_book
    assert (billing_addin.Frames, billing_addin.OpenBook, billing_addin.FiguresStopped) == (
        Frames,
        OpenBook,
        FiguresStopped,
    )
    assert {"open_book", "Frames", "OpenBook", "FiguresStopped"} <= set(dir(billing_addin))
    with pytest.raises(AttributeError):
        billing_addin.no_such_thing  # noqa: B018
    code = (
        "import sys, billing_addin, billing_addin.commands, billing_addin.core.ledger, billing_addin.core.checks\n"
        "assert 'pandas' not in sys.modules and 'numpy' not in sys.modules, 'pandas imported too early'\n"
        "billing_addin.open_book\n"
        "assert 'pandas' in sys.modules\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_core_never_imports_pandas():
    for path in sorted((ROOT / "billing_addin" / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] in ("pandas", "numpy") for n in names), path.name


def test_claims_frame_is_the_worklist_of_billing_claims(tmp_path, capsys):
    """A practice's claims as a DataFrame: the same deadlines, days left and actions as `billing claims --json`,
    money as Decimal; a book without a Claims sheet gives an empty frame with the same columns."""
    import json
    from decimal import Decimal

    from billing_addin.cli.app import main
    from billing_addin.workbook.medical_demo import build_practice

    as_of = dt.date(2026, 12, 5)
    path = tmp_path / "practice.xlsx"
    build_practice(path, as_of)
    f = open_book(path).frames(as_of)
    assert main(["claims", str(path), "--as-of", str(as_of), "--json"]) in (0, 1)
    listed = json.loads(capsys.readouterr().out)["claims"]
    assert list(f.claims.claim_id) == [c["claim_id"] for c in listed]
    assert list(f.claims.action) == [c["action"] for c in listed]
    first = f.claims.iloc[0]
    assert first.appeal_deadline == dt.date.fromisoformat(listed[0]["appeal_deadline"]) and first.days_left == 8
    paid = f.claims[f.claims.claim_id == "C-2009"].iloc[0]
    assert (paid.insurance_paid, paid.patient_responsibility) == (Decimal("160.00"), Decimal("40.00"))
    assert f.claims.denial_codes[f.claims.claim_id == "C-2007"].item() == "CO-197; N54"


def test_a_book_without_claims_has_an_empty_claims_frame(book_path):
    from billing_addin.frames import CLAIM_COLUMNS

    claims = open_book(book_path).frames(AS_OF).claims
    assert claims.empty and tuple(claims.columns) == CLAIM_COLUMNS
