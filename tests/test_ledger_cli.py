"""refresh, fees --post, dunning and statement end to end on real workbook files."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import openpyxl
import pytest
import python_calamine as pc

from billing_addin.cli.app import main
from billing_addin.core.ledger import build_ledger
from billing_addin.workbook.demo_book import build_demo_book
from billing_addin.workbook.reader import read_book

AS_OF = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "book.xlsx"
    build_demo_book(path, AS_OF, mistakes=False)
    return path


@pytest.fixture
def book_copy(demo_book, tmp_path):
    path = tmp_path / "book.xlsx"
    shutil.copy(demo_book, path)
    return path


def sheet(path, name):
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def run_json(capsys, *args):
    code = main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_refresh_json_matches_the_ledger_and_write_puts_four_sheets_in(book_copy, capsys):
    code, data = run_json(capsys, "refresh", str(book_copy), "--as-of", str(AS_OF))
    assert code == 0
    ledger = build_ledger(read_book(book_copy), AS_OF)
    usd = data["portfolio"]["USD"]
    assert usd["balance"] == f"{sum(c.balance for c in ledger.customers) / 100:.2f}"
    assert list(usd["buckets"]) == ["Current", "1-30", "31-60", "61-90", "91+"]
    assert sum(float(v) for v in usd["buckets"].values()) == pytest.approx(float(usd["receivables"]))
    assert data["dunning"]["letters"] and data["fees"]

    assert main(["refresh", str(book_copy), "--as-of", str(AS_OF), "--write"]) == 0
    capsys.readouterr()
    aging = sheet(book_copy, "Aging")
    assert aging[0][:4] == ["Customer ID", "Name", "Currency", "Balance"]
    assert len(aging) - 1 == len(data["customers"])
    first = data["customers"][0]
    assert aging[1][0] == first["customer_id"] and f"{aging[1][3]:.2f}" == first["balance"]
    dashboard = sheet(book_copy, "Dashboard")
    assert [r[1] for r in dashboard[1:6]] == ["Current", "1-30", "31-60", "61-90", "91+"]
    assert any(r[0] == "Largest overdue" for r in dashboard)
    balances = sheet(book_copy, "Balances")
    assert len(balances) - 1 == len(ledger.invoices)
    # The Dashboard carries a native chart over the aging rows only.
    import zipfile

    with zipfile.ZipFile(book_copy) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
    assert "'Dashboard'!$D$2:$D$6" in xml or "Dashboard!$D$2:$D$6" in xml


def test_refresh_lists_every_invoice_with_its_paid_date_and_days_late_as_the_balances_sheet_shows_them(
    book_copy, capsys
):
    code, data = run_json(capsys, "refresh", str(book_copy), "--as-of", str(AS_OF))
    book = read_book(book_copy)
    invoices = book.sheet("Invoices")
    lines = data["invoices"]
    # One line per invoice issued by the as-of date, in the Invoices sheet's row order.
    issued = [no for no, day in zip(invoices.columns["Invoice No"], invoices.columns["Invoice Date"]) if day <= AS_OF]
    assert [x["invoice_no"] for x in lines] == issued
    assert list(lines[0]) == [
        "invoice_no",
        "customer_id",
        "currency",
        "invoice_date",
        "due_date",
        "amount",
        "paid",
        "balance",
        "status",
        "paid_date",
        "days_late",
    ]
    ledger = build_ledger(book, AS_OF)
    for x in lines:
        inv = ledger.invoices[x["invoice_no"]]
        assert x["status"] == inv.status
        if inv.status == "Void":
            assert (x["paid"], x["balance"], x["paid_date"], x["days_late"]) == ("0.00", "0.00", None, None)
        elif inv.outstanding > 0:
            assert x["paid_date"] is None and x["days_late"] == inv.days_past_due
        else:
            paid = dt.date.fromisoformat(x["paid_date"])
            assert x["balance"] == "0.00" and paid <= AS_OF
            assert x["days_late"] == max(0, (paid - dt.date.fromisoformat(x["due_date"])).days)
    statuses = {x["status"] for x in lines}
    assert {"Paid", "Overdue"} <= statuses
    assert any(x["paid_date"] and x["days_late"] > 0 for x in lines), "the demo has invoices paid late"

    assert main(["refresh", str(book_copy), "--as-of", str(AS_OF), "--write"]) == 0
    capsys.readouterr()
    header, *rows = sheet(book_copy, "Balances")
    assert header[-2:] == ["Paid Date", "Days Late"]
    by_no = {x["invoice_no"]: x for x in lines}
    for r in rows:
        cells = dict(zip(header, r))
        x = by_no[cells["Invoice No"]]
        shown = cells["Paid Date"]
        assert (shown.isoformat() if shown != "" else None) == x["paid_date"]
        assert (None if cells["Days Late"] == "" else int(cells["Days Late"])) == x["days_late"]
        assert f"{cells['Outstanding']:.2f}" == x["balance"]


def test_fees_post_is_idempotent_and_a_later_date_adds_only_what_accrued(book_copy, capsys):
    code, preview = run_json(capsys, "fees", str(book_copy), "--as-of", str(AS_OF))
    to_post = [f for f in preview["fees"] if f["to_post"] != "0.00"]
    assert to_post, "the demo book has overdue invoices under the Standard policy"
    before = len(sheet(book_copy, "Adjustments"))
    assert main(["fees", str(book_copy), "--as-of", str(AS_OF), "--post"]) == 0
    adj = sheet(book_copy, "Adjustments")
    assert len(adj) == before + len(to_post)
    header = adj[0]
    new = [dict(zip(header, r)) for r in adj[before:]]
    assert {r["Type"] for r in new} == {"Late Fee"} and all("billing add-in" in r["Reason"] for r in new)
    assert sorted(f"{r['Amount']:.2f}" for r in new) == sorted(f["to_post"] for f in to_post)
    # Again the same day: nothing more. For an earlier day the payments made since are not counted (they are
    # dated after it), and what accrued by then is charged already: nothing is added.
    assert main(["fees", str(book_copy), "--as-of", str(AS_OF), "--post"]) == 0
    assert main(["fees", str(book_copy), "--as-of", str(AS_OF - dt.timedelta(days=20)), "--post"]) == 0
    assert len(sheet(book_copy, "Adjustments")) == len(adj)
    # Two months later: only what accrued since.
    later = AS_OF + dt.timedelta(days=62)
    capsys.readouterr()
    _, again = run_json(capsys, "fees", str(book_copy), "--as-of", str(later))
    assert all(float(f["charged"]) <= float(f["accrued"]) for f in again["fees"])
    assert any(f["to_post"] != "0.00" for f in again["fees"])
    # The posted fees are charges in the ledger now: balances grew by exactly what was posted.
    posted = sum(round(float(f["to_post"]) * 100) for f in to_post)
    original = build_ledger(read_book(book_copy), AS_OF)
    assert sum(i.fees for i in original.invoices.values()) == posted


def test_fees_post_refuses_a_book_with_an_error_no_one_customer_owns_and_changes_nothing(tmp_path, capsys, monkeypatch):
    from billing_addin.cli import console

    monkeypatch.setattr(console.out.made(), "width", 250)  # one table line per finding, whatever the terminal
    path = tmp_path / "mistakes.xlsx"
    build_demo_book(path, AS_OF, mistakes=False)
    wb = openpyxl.load_workbook(path)
    wb["Payments"]["B5"] = "NOBODY"  # a payment whose customer cannot be told: it may be anyone's money
    wb["Invoices"]["E59"] = "TBD"
    wb.save(path)
    before = path.read_bytes()
    code, preview = run_json(capsys, "fees", str(path), "--as-of", str(AS_OF))
    assert any(f["to_post"] != "0.00" for f in preview["fees"]), "there would be fees to post"

    assert main(["fees", str(path), "--as-of", str(AS_OF), "--post"]) == 1
    shown = capsys.readouterr()
    assert "fix the errors first; nothing was posted" in shown.out.casefold()
    assert "E59" in shown.out and "'TBD' is not an amount" in shown.out  # the findings, with their cells
    assert "B5" in shown.out and "NOBODY is not on the Customers sheet" in shown.out
    assert "Posted" not in shown.err
    assert path.read_bytes() == before and not (tmp_path / ".billing-backups").exists()

    code, data = run_json(capsys, "fees", str(path), "--as-of", str(AS_OF), "--post")
    assert code == 1 and data["posted"] is False
    codes = {f["code"] for f in data["findings"] if f["severity"] == "error"}
    assert {"fees-not-posted", "not-money", "unknown-customer"} <= codes
    assert path.read_bytes() == before


def test_fees_of_customers_whose_rows_have_errors_are_held_back_and_posted_once_fixed(tmp_path, capsys):
    from conftest import customers_of_error_cells

    path = tmp_path / "mistakes.xlsx"
    build_demo_book(path, AS_OF)  # the demo's planted mistakes, each on one customer's row
    code, data = run_json(capsys, "fees", str(path), "--as-of", str(AS_OF), "--post")
    assert code == 1 and data["posted"] is True
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    concerned = customers_of_error_cells(path, errors)
    held = {h["customer_id"] for h in data["held_back"]}
    assert held and held <= concerned
    assert "fees-held-back" in {f["code"] for f in data["findings"]}
    posted = [r for r in sheet(path, "Adjustments")[1:] if r[4] == "Late Fee"]
    assert posted and not {r[1] for r in posted} & concerned  # Customer ID is column B
    due = {(f["customer_id"], f["invoice_no"]) for f in data["fees"] if f["to_post"] != "0.00"}
    assert {(r[1], r[2]) for r in posted} == {k for k in due if k[0] not in held}

    wb = openpyxl.load_workbook(path)  # the specialist fixes every planted mistake
    for f in errors:
        ws = wb[f["sheet"]]
        if f["code"] == "duplicate-payment-id":
            ws.delete_rows(ws[f["cell"]].row)
        else:
            ws[f["cell"]] = 100 if f["code"] == "not-money" else None  # a blank due date follows the terms
    wb["Customers"]["D7"] = "accounts@example.com"
    wb.save(path)
    code, again = run_json(capsys, "fees", str(path), "--as-of", str(AS_OF), "--post")
    assert [f["cell"] for f in again["findings"] if f["severity"] == "error"] == []
    assert code == 0 and "held_back" in again and not again["held_back"]
    now_posted = [r for r in sheet(path, "Adjustments")[1:] if r[4] == "Late Fee"]
    added = now_posted[len(posted) :]
    assert now_posted[: len(posted)] == posted and added
    # Only customers whose rows had errors get fees now (a fixed "TBD" amount may start accruing), and
    # no invoice is charged twice.
    assert held <= {r[1] for r in added} <= concerned
    assert not {(r[1], r[2]) for r in added} & {(r[1], r[2]) for r in posted}


def test_dunning_preview_shows_which_letters_would_be_held_back(tmp_path, capsys):
    from billing_addin.commands.letters import make_letters

    path = tmp_path / "mistakes.xlsx"
    build_demo_book(path, AS_OF)  # the demo's planted mistakes, each on one customer's row
    code, data = run_json(capsys, "dunning", str(path), "--as-of", str(AS_OF))
    assert code == 0  # a preview: the errors are warned about, not failed on
    held = {d["customer_id"] for d in data["letters"] if d["held_back"]}
    assert held and all(d["held_back"].startswith("held back: ") for d in data["letters"] if d["held_back"])
    assert "letters-held-back" in {f["code"] for f in data["findings"]}
    made = make_letters(read_book(path), path, AS_OF, kind="dunning", out_dir=tmp_path / "out", pdf=False)
    assert held == {s["customer_id"] for s in made.data["skipped"] if s["reason"].startswith("held back")}
    assert {x["customer_id"] for x in made.data["letters"]} == {d["customer_id"] for d in data["letters"]} - held


def test_dunning_preview_json(book_copy, capsys):
    code, data = run_json(capsys, "dunning", str(book_copy), "--as-of", str(AS_OF))
    assert code == 0
    letters = data["letters"]
    assert letters and all(d["level"] == 1 for d in letters)  # nothing sent yet: everyone starts at level 1
    assert {"customer_id", "level", "letter_template", "invoices", "overdue", "reason"} <= set(letters[0])
    names = {r[1] for r in sheet(book_copy, "Customers")[1:]}
    assert not any(n in json.dumps(data) for n in names), "no customer names in dunning output"


def test_statement_json_and_unknown_customer(book_copy, capsys):
    code, data = run_json(capsys, "statement", str(book_copy), "C1002", "--from", "2026-06-01", "--to", str(AS_OF))
    assert code == 0
    [s] = data["statements"]
    running = float(s["opening_balance"])
    for line in s["lines"]:
        running += float(line["charge"]) - float(line["credit"])
        assert f"{running:.2f}" == line["balance"]
    ledger = build_ledger(read_book(book_copy), AS_OF)
    c1002 = next(c for c in ledger.customers if c.customer_id == "C1002")
    assert s["closing_balance"] == f"{c1002.balance / 100:.2f}"
    assert main(["statement", str(book_copy), "NOPE", "--from", "2026-01-01", "--to", "2026-02-01"]) == 1
    assert "NOPE" in capsys.readouterr().err


def test_a_refresh_preview_computes_the_same_figures_without_the_sheets(demo_book):
    """`refresh` without --write skips building the owned sheets; everything it shows is the same."""
    from billing_addin import commands

    book = read_book(demo_book)
    full = commands.refresh(book, AS_OF)
    preview = commands.refresh(book, AS_OF, sheets=False)
    assert preview.patch.is_empty and not full.patch.is_empty
    assert preview.data == full.data and preview.findings == full.findings and preview.counts == full.counts
