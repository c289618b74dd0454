"""Payment-plan letters (`billing letters --kind plan`): the agreement with its schedule and signature lines, the
reminder of an installment due within Plan Reminder Days, the letter about a missed installment; each logged on
the Letters sheet and never made twice. Real .xlsx files (the small plan book of test_plans.py), real DOCX from
the shipped templates, real PDF from LibreOffice read back with pdftotext. Every date is fixed: make_letters is
given `now=`, and the command line runs under time_machine."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import time_machine
from docx import Document
from test_plans import MONTHLY_200, book_file, pay, plan_row

from billing_addin.cli.app import main
from billing_addin.commands.letters import make_letters
from billing_addin.loader import load
from billing_addin.workbook.writer import apply_patch

D = dt.date
FEB_25 = D(2026, 2, 25)  # installment 1 paid on its day, installment 2 (15 February) ten days late
needs_pdf = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are needed",
)


def run(path: Path, as_of: dt.date, *, again=False, pdf=False, customers=None, today: dt.date | None = None):
    """make_letters --kind plan as the command line runs it (on a loaded book, the clock fixed to `today`,
    default the as-of date), with the Letters log written back into the file."""
    now = dt.datetime.combine(today or as_of, dt.time(9, 30))
    result = make_letters(
        load(path, as_of), path, as_of, kind="plan", again=again, pdf=pdf, customers=customers, now=now
    )
    if not result.patch.is_empty:
        apply_patch(path, result.patch, backups=0)
    return result


def another_book(tmp_path: Path, name: str, **kw) -> Path:
    """A second plan book in its own folder (book_file always writes plans.xlsx)."""
    folder = tmp_path / name
    folder.mkdir()
    return book_file(folder, **kw)


def references(result) -> list[str]:
    return [x["reference"] for x in result.data["letters"]]


def docx_text(path: str | Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return " ".join(" ".join([*(p.text for p in doc.paragraphs), *cells]).split())


def pdf_text(path: str | Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def letters_log(path: Path) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)["Letters"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# --- the three letters ----------------------------------------------------------------------------------------


@pytest.mark.slow
@needs_pdf
def test_agreement_reminder_and_missed_letter_in_real_pdfs(tmp_path):
    """Two agreements go through one master document (the batch joins the letters of a template): each keeps its
    own schedule and signature block, though the agreement ends with the signature table."""
    plans = [plan_row("PP-1"), plan_row("PP-2", "C2", "INV-2", n=3, start=D(2026, 3, 1))]
    invoices = [
        ["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00],
        ["INV-2", "C2", D(2026, 1, 11), D(2026, 2, 10), 750.00],
    ]
    path = book_file(
        tmp_path,
        invoices=invoices,
        plans=plans,
        payments=[pay(MONTHLY_200[0], 200.00)],
        settings={"Plan Reminder Days": 20},
    )
    result = run(path, FEB_25, pdf=True)
    assert references(result) == ["PLAN-PP-1-A", "PLAN-PP-1-R3", "PLAN-PP-1-M2", "PLAN-PP-2-A", "PLAN-PP-2-R1"]
    assert [x["letter"] for x in result.data["letters"]] == ["agreement", "reminder", "missed", "agreement", "reminder"]
    agreement, reminder, missed, other = (pdf_text(x["pdf"]) for x in result.data["letters"][:4])

    # The agreement: every installment's due date and amount, the plan's total, the invoice, two signatures.
    flat = " ".join(agreement.split())
    assert "Payment plan agreement PP-1" in flat and "PLAN-PP-1-A" in flat and "Harbor Dental" in flat
    for day in MONTHLY_200:
        assert re.search(rf"{day:%b} {day.day}, 2026\s+\S+\s+\$200\.00", agreement), day
    assert re.search(r"^\s*1\s+Jan 15, 2026\s+Paid\s+\$200\.00\s*$", agreement, re.M)
    assert re.search(r"Plan total\s+\$1,200\.00", agreement) and "INV-1" in agreement
    assert "starting on January 15, 2026" in flat
    for caption in ("Signature", "Name", "Title", "Date"):  # a line each for the customer and for us
        assert re.search(rf"^\s*{caption}\s+{caption}\s*$", agreement, re.M), caption
    assert "For the customer: Harbor Dental" in flat and "For Billing Co" in flat
    assert "Maple Clinic" not in flat and "PP-2" not in flat

    flat = " ".join(other.split())
    assert "Payment plan agreement PP-2" in flat and "For the customer: Maple Clinic" in flat
    assert all(re.search(rf"^\s*{c}\s+{c}\s*$", other, re.M) for c in ("Signature", "Name", "Title", "Date"))
    assert re.search(r"Mar 1, 2026\s+Upcoming\s+\$250\.00", other) and "Harbor Dental" not in flat

    # The reminder names the installment coming up, its date and amount.
    flat = " ".join(reminder.split())
    assert "installment 3 of $200.00 under your payment plan PP-1 is due on March 15, 2026" in flat
    assert "PLAN-PP-1-R3" in flat and "So far you have paid $200.00 of the plan's $1,200.00" in flat

    # The missed letter names the installment missed.
    flat = " ".join(missed.split())
    assert (
        "We have not yet received installment 2 of $200.00, due on February 15, 2026, under your payment plan PP-1"
        in flat
    )
    assert "Please pay this installment as soon as possible." in flat and "the plan ended" not in flat
    assert re.search(r"^\s*2\s+Feb 15, 2026\s+Late\s+\$200\.00\s*$", missed, re.M)

    log = letters_log(path)
    assert [(r["Kind"], r["Level"], r["Customer ID"], r["Invoices"], r["Reference"]) for r in log] == [
        ("plan", None, "C1", "INV-1", "PLAN-PP-1-A"),
        ("plan", 3, "C1", "INV-1", "PLAN-PP-1-R3"),
        ("plan", 2, "C1", "INV-1", "PLAN-PP-1-M2"),
        ("plan", None, "C2", "INV-2", "PLAN-PP-2-A"),
        ("plan", 1, "C2", "INV-2", "PLAN-PP-2-R1"),
    ]
    assert all(r["PDF"] and len(r["PDF SHA256"]) == 64 and r["Status"] == "made" for r in log)


def test_a_reminder_only_within_plan_reminder_days_of_a_due_date(tmp_path):
    """Installment 1 is due on 15 January: with the default 7 days its reminder comes on 8 January, not on the 7th;
    with Plan Reminder Days 10 it comes on the 5th. An installment due on the as-of date is reminded too."""
    path = book_file(tmp_path)
    assert references(run(path, D(2026, 1, 7))) == ["PLAN-PP-1-A"]
    assert references(run(path, D(2026, 1, 8))) == ["PLAN-PP-1-R1"]  # the agreement is in the log already

    other = another_book(tmp_path, "ten", settings={"Plan Reminder Days": 10})
    assert references(run(other, D(2026, 1, 4))) == ["PLAN-PP-1-A"]
    assert references(run(other, D(2026, 1, 5))) == ["PLAN-PP-1-R1"]

    on_the_day = another_book(tmp_path, "day", settings={"Plan Reminder Days": 0})
    assert references(run(on_the_day, D(2026, 1, 15))) == ["PLAN-PP-1-A", "PLAN-PP-1-R1"]


def test_no_reminder_for_an_installment_paid_in_full_and_one_for_what_is_left_of_a_part_paid_one(tmp_path):
    paid_early = [pay(MONTHLY_200[0], 200.00), pay(D(2026, 2, 5), 200.00)]  # installment 2 paid ten days early
    path = book_file(tmp_path, payments=paid_early)
    assert references(run(path, D(2026, 2, 10))) == ["PLAN-PP-1-A"]  # installment 2 is paid: no reminder

    part = another_book(tmp_path, "part", payments=[pay(MONTHLY_200[0], 200.00), pay(D(2026, 2, 5), 50.00)])
    result = run(part, D(2026, 2, 10))
    assert references(result) == ["PLAN-PP-1-A", "PLAN-PP-1-R2"]
    text = docx_text(result.data["letters"][1]["docx"])
    assert "Thank you for the $50.00 already received towards it: $150.00 remains to pay." in text


def test_a_broken_plan_gets_a_letter_for_each_missed_installment_and_says_it_ended(tmp_path):
    """Installments 2 and 3 were missed, so the plan broke on 21 March (15 March + 5 days' grace + 1): no
    agreement and no reminder any more, a missed-installment letter for each, saying the plan has ended."""
    path = book_file(tmp_path, payments=[pay(MONTHLY_200[0], 200.00)])
    result = run(path, D(2026, 3, 25), customers=["C1"])
    assert references(result) == ["PLAN-PP-1-M2", "PLAN-PP-1-M3"]
    text = docx_text(result.data["letters"][1]["docx"])
    assert "We have not yet received installment 3 of $200.00, due on March 15, 2026" in text
    assert "the plan ended on March 21, 2026" in text and "Please pay this installment" not in text
    # The next month brings a letter for installment 4 only: the others are in the log.
    assert references(run(path, D(2026, 4, 25))) == ["PLAN-PP-1-M4"]


def test_a_proposed_plan_gets_its_agreement_only_and_completed_or_cancelled_plans_nothing(tmp_path):
    plans = [
        plan_row("PP-1", status="Proposed"),
        plan_row("PP-2", "C2", "INV-2", status="Cancelled"),
        plan_row("PP-3", "C3", "INV-3", n=1),
    ]
    invoices = [
        ["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00],
        ["INV-2", "C2", D(2025, 12, 11), D(2026, 1, 10), 500.00],
        ["INV-3", "C3", D(2025, 12, 11), D(2026, 1, 10), 300.00],
    ]
    path = book_file(tmp_path, invoices=invoices, plans=plans, payments=[pay(D(2026, 1, 15), 300.00, "C3", "INV-3")])
    result = run(path, FEB_25)  # PP-1's installment 2 is late, but a proposed plan asks for nothing yet
    assert references(result) == ["PLAN-PP-1-A"]
    assert "Payment plan agreement PP-1" in docx_text(result.data["letters"][0]["docx"])


# --- never twice ------------------------------------------------------------------------------------------------


def test_the_same_day_twice_makes_nothing_and_again_remakes_only_that_days_letters(tmp_path):
    path = book_file(tmp_path, payments=[pay(MONTHLY_200[0], 200.00)])
    first = run(path, FEB_25)
    assert references(first) == ["PLAN-PP-1-A", "PLAN-PP-1-M2"]

    second = run(path, FEB_25)
    assert second.data["letters"] == [] and second.patch.is_empty
    assert [s["reason"] for s in second.data["skipped"]] == [
        "PLAN-PP-1-A already made (use --again to make it again)",
        "PLAN-PP-1-M2 already made (use --again to make it again)",
    ]

    again = run(path, FEB_25, again=True)
    assert references(again) == ["PLAN-PP-1-A", "PLAN-PP-1-M2"]
    assert {Path(x["docx"]).name for x in again.data["letters"]}.isdisjoint(
        {Path(x["docx"]).name for x in first.data["letters"]}
    )  # new files beside the first ones, never over them
    assert len(letters_log(path)) == 4

    # A later as-of date: the earlier letters are counted, not listed, and --again does not make them again.
    later = run(path, D(2026, 2, 26), again=True)
    assert later.data["letters"] == [] and later.data["skipped"] == [] and later.data["made_before"] == 2


def test_billing_letters_kind_plan_on_the_command_line(tmp_path, capsys):
    path = book_file(tmp_path, payments=[pay(MONTHLY_200[0], 200.00)])
    args = ["letters", str(path), "--kind", "plan", "--as-of", str(FEB_25), "--no-pdf"]
    with time_machine.travel(dt.datetime(2026, 2, 25, 9), tick=False):
        assert main([*args, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert [(x["reference"], x["letter"], x["level"], x["invoices"]) for x in data["letters"]] == [
            ("PLAN-PP-1-A", "agreement", None, ["INV-1"]),
            ("PLAN-PP-1-M2", "missed", 2, ["INV-1"]),
        ]
        assert main(args) == 0
        out = capsys.readouterr().out
    assert "0 plan letter(s) made as of 2026-02-25" in out
    assert "2 letter(s) not made:\n  C1: PLAN-PP-1-A already made (use --again to make it again)" in out
    with time_machine.travel(dt.datetime(2026, 3, 8, 9), tick=False):  # installment 3 is due in 7 days
        assert main(["letters", str(path), "--kind", "plan", "--as-of", "2026-03-08", "--no-pdf"]) == 0
    out = capsys.readouterr().out
    assert "1 plan letter(s) made as of 2026-03-08" in out and re.search(r"C1\s+│ PLAN-PP-1-R3\s+│ reminder", out)
    assert "2 plan letter(s) made as of earlier dates are not made again." in out and "not made:" not in out


# --- held back --------------------------------------------------------------------------------------------------


def test_a_customer_whose_rows_have_errors_is_held_back_and_the_other_plans_get_their_letters(tmp_path):
    plans = [plan_row("PP-1"), plan_row("PP-2", "C2", "INV-2", n=3)]
    invoices = [
        ["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00],
        ["INV-2", "C2", D(2025, 12, 11), D(2026, 1, 10), 600.00],
        ["INV-9", "C2", D(2025, 12, 11), D(2026, 1, 10), "TBD"],  # a wrong amount: C2 waits for the fix
    ]
    path = book_file(tmp_path, invoices=invoices, plans=plans)
    result = run(path, D(2026, 1, 10))
    assert references(result) == ["PLAN-PP-1-A", "PLAN-PP-1-R1"]
    held = [s for s in result.data["skipped"] if s["customer_id"] == "C2"]
    assert held and all(s["reason"].startswith("held back: Invoices!E4 has an error") for s in held)
    assert "letters-held-back" in [f.code for f in result.findings]
    assert {r["Customer ID"] for r in letters_log(path)} == {"C1"}


def test_as_of_an_earlier_date_a_customer_who_paid_since_gets_no_reminder_or_missed_letter(tmp_path):
    """The letters go out today: installment 2, missed as of 25 February, was paid on the 27th. Its letter would
    ask for money already paid, so it waits; the agreement asks for nothing and is made."""
    path = book_file(tmp_path, payments=[pay(MONTHLY_200[0], 200.00), pay(D(2026, 2, 27), 200.00)])
    result = run(path, FEB_25, today=D(2026, 3, 1))
    assert references(result) == ["PLAN-PP-1-A"]
    [skip] = result.data["skipped"]
    assert skip["customer_id"] == "C1" and skip["reason"].startswith("held back: paid since 2026-02-25")


# --- the ribbon's buttons, pressed on a file ------------------------------------------------------------------


def test_propose_plan_and_plan_letters_pressed_from_the_command_line(tmp_path, capsys, monkeypatch):
    """`billing addin press` runs the two plan buttons on a file as Excel would (up to the Host: Excel itself
    cannot run here), the book named by a path relative to the current folder."""
    invoices = [
        ["INV-1", "C1", D(2025, 12, 11), D(2026, 1, 10), 1200.00],
        ["INV-2", "C2", D(2026, 3, 1), D(2026, 3, 31), 900.00],
    ]
    book_file(tmp_path, invoices=invoices, settings={"PDF Engine": "None"})
    monkeypatch.chdir(tmp_path)
    c2 = "3"  # C2's row on Customers
    press = ["addin", "press", "plan_propose", "plans.xlsx", "--sheet", "Customers", "--rows", c2, "--reply", "3"]
    assert main([*press, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "how many installments?" in out and "\n> 3\n" in out
    assert "1: 2026-06-30  300.00\n2: 2026-07-30  300.00\n3: 2026-08-30  300.00" in out
    assert "Add it to the PaymentPlans sheet as Proposed (plan PP-2)? Yes" in out
    assert "Added plan PP-2 for C2 to PaymentPlans as Proposed." in out

    assert main(["addin", "press", "plan_letters", "plans.xlsx"]) == 0
    out = capsys.readouterr().out
    # PP-1 was never paid: broken, a letter for each of its six installments and no agreement; PP-2 is proposed,
    # so its agreement is made to be signed.
    assert out.startswith(f"Made 7 plan letter(s) in {tmp_path.resolve() / 'letters'}.")
    assert "\n".join(f"PLAN-PP-1-M{n}: missed for C1" for n in range(1, 7)) in out and "PLAN-PP-1-A" not in out
    assert "PLAN-PP-2-A: agreement for C2\nWrote Letters, Audit." in out
