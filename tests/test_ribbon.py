"""The ribbon handlers end to end on real workbook files: the same commands as the command line, patches
written by the safe file writer, what the user would see collected by `FileHost`.

Inside Excel the host is `xlwings_shell.XlwingsHost` (xlwings' Book.caller(), message boxes, the status bar,
patches written through Excel); that host cannot run here. Nothing below imitates xlwings."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from billing_addin import commands
from billing_addin.core.money import format_cents
from billing_addin.core.patch import Link, Patch, UpdateCells
from billing_addin.excel import patch_plan, ribbon
from billing_addin.excel.host import FileHost, rows_in_address
from billing_addin.workbook.demo_book import generate
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.template import build_template
from billing_addin.workbook.writer import WriteRefused, apply_patch

AS_OF = dt.date(2026, 6, 30)


def _master(tmp_path_factory, name: str, mistakes: bool) -> Path:
    path = tmp_path_factory.mktemp("ribbon") / name
    data = generate(AS_OF, mistakes=mistakes)
    build_template(path, data.rows, {**data.settings, "As-of Date": AS_OF})
    return path


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory) -> Path:
    return _master(tmp_path_factory, "master.xlsx", mistakes=True)


@pytest.fixture(scope="module")
def clean_master(tmp_path_factory) -> Path:
    return _master(tmp_path_factory, "clean.xlsx", mistakes=False)


@pytest.fixture
def book(demo_master, tmp_path) -> Path:
    """The demo book with its planted mistakes (what Validate should find)."""
    path = tmp_path / "billing.xlsx"
    path.write_bytes(demo_master.read_bytes())
    return path


@pytest.fixture
def clean_book(clean_master, tmp_path) -> Path:
    """The demo book without mistakes: no customer is held back from late fees or letters."""
    path = tmp_path / "billing.xlsx"
    path.write_bytes(clean_master.read_bytes())
    return path


def press(tag: str, path: Path, **kw) -> FileHost:
    host = FileHost(path, **kw)
    ribbon.dispatch(tag, host)
    assert host.statuses[-1] is None, "the status bar is given back to Excel"
    assert not any("Traceback" in m for m in host.messages)
    return host


def sheet_names(path: Path) -> list[str]:
    return read_book(path).sheet_titles


# --- workbook buttons -----------------------------------------------------------------------------------------


def test_validate_writes_findings_and_audit_and_says_how_many(book):
    host = press("validate", book)
    (text,) = host.messages
    expected = commands.validate(read_book(book), AS_OF)
    assert text.startswith(f"{len(expected.errors)} error(s) and {len(expected.warnings)} warning(s) as of {AS_OF}")
    assert "Invoices!E59: Amount: 'TBD' is not an amount." in text  # a planted mistake, by its cell
    assert "Wrote Findings, Audit." in text
    assert {"Findings", "Audit"} <= set(sheet_names(book))


def test_refresh_writes_the_four_report_sheets(book):
    host = press("refresh", book)
    assert host.messages[0].startswith(f"Balances as of {AS_OF}\nUSD: receivables ")
    assert "dunning letter(s) due" in host.messages[0]
    assert {"Balances", "Aging", "Dunning", "Dashboard", "Audit"} <= set(sheet_names(book))


def test_fees_preview_changes_nothing_and_post_asks_then_posts_once(clean_book):
    before = clean_book.read_bytes()
    host = press("fees_preview", clean_book)
    assert "late fees not yet posted" in host.messages[0] and "Late Fees > Post" in host.messages[0]
    assert clean_book.read_bytes() == before

    host = press("fees_post", clean_book, answer=False)
    assert host.questions and host.questions[0].startswith("Post ")
    assert host.messages == ["Nothing was posted."]
    assert clean_book.read_bytes() == before

    adjustments = len(read_book(clean_book).sheet("Adjustments").rows)
    host = press("fees_post", clean_book, answer=True)
    assert host.messages[0].startswith("Posted ")
    posted = int(host.messages[0].split()[1])
    assert len(read_book(clean_book).sheet("Adjustments").rows) == adjustments + posted > adjustments

    host = press("fees_post", clean_book, answer=True)
    assert host.messages == [f"No late fees to post as of {AS_OF}: nothing was changed."]


def test_fees_post_holds_back_customers_whose_rows_have_errors_and_says_so(book):
    preview = commands.fees(read_book(book), AS_OF).data["fees"]
    adjustments = len(read_book(book).sheet("Adjustments").rows)
    host = press("fees_post", book, answer=True)  # the demo book with its planted mistakes
    message = host.messages[0]
    assert message.startswith("Posted ") and "Held back until their errors are fixed" in message
    assert "Customers!D7 has an error" in message  # the e-mail typed without @: that customer waits
    said = re.match(r"Posted (\d+) late fee\(s\), (\S+) in all", message)
    posted = int(said[1])
    rows = read_book(book).sheet("Adjustments")
    assert len(rows.rows) == adjustments + posted
    assert said[2] == format_cents(sum(rows.columns["Amount"][adjustments:]))  # what was posted, not the preview
    assert 0 < posted < sum(1 for f in preview if f["to_post"] != "0.00")
    asked = re.match(r"Post (\d+) late fee\(s\), (\S+) in all", host.questions[0])
    assert (int(asked[1]), asked[2]) == (posted, said[2]) and "Held back" in host.questions[0]  # asked what it did


def test_fees_post_refused_by_an_error_no_one_customer_owns_changes_nothing(clean_book):
    import openpyxl

    wb = openpyxl.load_workbook(clean_book)
    wb["Payments"]["B5"] = "NOBODY"
    wb.save(clean_book)
    before = clean_book.read_bytes()
    host = press("fees_post", clean_book, answer=True)
    assert not host.questions and host.messages[0].startswith("Late fees cannot be posted:")
    assert "NOBODY" in host.messages[0] and clean_book.read_bytes() == before


def test_letters_for_all_due_hold_back_customers_whose_rows_have_errors(book):
    host = press("letters_all_due", book)  # the demo book with its planted mistakes
    message = host.messages[0]
    made = int(re.match(r"Made (\d+) dunning letter", message)[1])
    assert made > 0 and "Held back until their errors are fixed" in message
    assert re.search(r"C\d+: held back: (Customers|Invoices|Payments)![A-Z]+\d+ has an error", message)


def test_dunning_preview_lists_letters_and_skips(book):
    host = press("dunning_preview", book)
    expected = commands.dunning(read_book(book), AS_OF).data
    assert host.messages[0].startswith(
        f"{len(expected['letters'])} letter(s) due as of {AS_OF}; {len(expected['skipped'])} customer(s) skipped."
    )


def test_open_output_folder_makes_and_opens_the_settings_folder(book):
    host = press("open_output_folder", book)
    assert host.opened == [book.parent.resolve() / "letters"]
    assert host.opened[0].is_dir()


def test_check_templates_reports_the_shipped_templates(book):
    host = press("check_templates", book)
    assert "letter_templates" in host.messages[0]


def test_check_templates_names_a_broken_template_in_the_books_own_folder(tmp_path):
    data = generate(AS_OF, customers=4, invoices=8, payments=4, mistakes=False)
    path = tmp_path / "own.xlsx"
    build_template(path, data.rows, {**data.settings, "Templates Folder": "my_templates"})
    folder = tmp_path / "my_templates"
    folder.mkdir()
    (folder / "reminder.docx").write_bytes(b"not a word file")
    host = press("check_templates", path)
    assert str(folder) in host.messages[0] and "reminder.docx" in host.messages[0]
    assert "problem(s)" in host.messages[0]


def test_help_names_every_button():
    host = FileHost(Path("unused.xlsx"))
    ribbon.dispatch("help", host)
    for button in ribbon.BUTTONS:
        if button.tag not in ("fees_preview", "fees_post", "letters_selected", "letters_all_due", "help"):
            assert button.label in host.messages[0], button.label
    for label in ("Late Fees", "Make Letters"):
        assert label in host.messages[0]


# --- selections -------------------------------------------------------------------------------------------------


def test_selection_aware_buttons_say_where_to_select(book):
    host = press("invoices_selected", book, selection=("Customers", [5]))
    assert host.messages == ["Select one or more rows on the Invoices sheet first."]
    host = press("invoices_selected", book, selection=("Invoices", [1]))  # the header row only
    assert host.messages[0].startswith("The selection holds no Invoices data rows")
    host = press("statement_selected", book, selection=("Customers", [2, 3]))
    assert host.messages[0].startswith("Select one customer: the selection holds 2 (C1001, C1002")
    host = press("statement_selected", book, selection=("Dashboard", [3]))
    assert host.messages[0].startswith("Select the customer's row on the Customers sheet")


def test_rows_of_a_selection_address():
    """XlwingsHost turns the selection's address (as Excel gives it on Windows and macOS) into rows."""
    assert rows_in_address("$A$2:$C$5,$B$9", 300) == [2, 3, 4, 5, 9]
    assert rows_in_address("$B$7", 300) == [7]
    assert rows_in_address("$A:$A", 4) == [1, 2, 3, 4]  # a whole column: up to the last used row
    assert rows_in_address("$3:$4,$2:$2", 300) == [2, 3, 4]
    assert rows_in_address("$A$290:$A$400", 300) == list(range(290, 301))


# --- failures become one sentence -------------------------------------------------------------------------------


def test_a_book_open_in_excel_is_not_written_and_the_user_is_told(book):
    lock = book.parent / f"~${book.name}"
    lock.write_bytes(b"owner")
    before = book.read_bytes()
    host = press("validate", book)
    assert host.messages[0].startswith("Nothing was written: ")
    assert book.read_bytes() == before


def test_an_unreadable_file_and_an_unknown_button(tmp_path):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("just text")
    host = press("refresh", bad)
    assert host.messages == ["notes.xlsx is not an Excel workbook (.xlsx or .xlsm)."]
    host = press("no_such_button", bad)
    assert "has no action in this version" in host.messages[0]


def test_an_unexpected_error_is_logged_not_shown(book, monkeypatch, tmp_path):
    log = tmp_path / "errors.log"
    monkeypatch.setattr(ribbon, "ERROR_LOG", log)

    who = ("Ann Quill", "M-12345")  # data an error message may quote (the raise below names no literal)

    def broken(*args, **kwargs):
        raise ZeroDivisionError(f"a bug near {who[0]}, member {who[1]}")

    monkeypatch.setattr(commands, "refresh", broken)
    host = press("refresh", book)
    assert host.messages[0].startswith("Something went wrong and nothing more was done.")
    assert str(log) in host.messages[0]
    logged = log.read_text()
    assert "ZeroDivisionError" in logged and "in broken" in logged  # where and what, for whoever supports it
    assert "Ann Quill" not in logged and "M-12345" not in logged  # never the data an error message may quote


# --- letters (the handlers call billing_addin.commands.letters.make_letters) --------------------------------------


@pytest.mark.slow
def test_make_letters_for_selected_customers_and_all_due(clean_book):
    due = commands.dunning(read_book(clean_book), AS_OF).data["letters"]
    ids = [d["customer_id"] for d in due]
    customers = read_book(clean_book).sheet("Customers")
    row = customers.rows[customers.columns["Customer ID"].index(ids[0])]
    host = press("letters_selected", clean_book, selection=("Customers", [row]))
    assert host.messages[0].startswith("Made 1 dunning letter(s)")
    log = read_book(clean_book).owned_rows["Letters"]
    assert [r[4] for r in log[1:]] == [ids[0]]
    host = press("letters_all_due", clean_book)
    assert host.messages[0].startswith(f"Made {len(ids) - 1} dunning letter(s)")  # the first is in the log
    assert len(read_book(clean_book).owned_rows["Letters"]) == len(ids) + 1


def test_invoices_for_selected_rows_and_statement_for_selected_customer(clean_book):
    invoices = read_book(clean_book).sheet("Invoices")
    host = press("invoices_selected", clean_book, selection=("Invoices", invoices.rows[:2]))
    assert host.messages[0].startswith("Made 2 invoice letter(s)")
    made = [Path(r[6]).name for r in read_book(clean_book).owned_rows["Letters"][1:]]
    assert all((clean_book.parent / "letters" / name).is_file() for name in made) and len(made) == 2
    host = press("statement_selected", clean_book, selection=("Invoices", invoices.rows[:1]))
    assert host.messages[0].startswith("Made 1 statement letter(s)")


# --- payment plans ------------------------------------------------------------------------------------------------


@pytest.fixture
def plan_book(tmp_path) -> Path:
    """The small plan book of test_plans.py: C1 on plan PP-1 (five installments paid on their days), C2 owing
    900.00, C3 paid up. No PDFs, so the letter buttons run in a moment."""
    from test_plans import MONTHLY_200, book_file, pay

    invoices = [
        ["INV-1", "C1", dt.date(2025, 12, 11), dt.date(2026, 1, 10), 1200.00],
        ["INV-2", "C2", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 900.00],
        ["INV-3", "C3", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 300.00],
    ]
    payments = [pay(day, 200.00) for day in MONTHLY_200[:5]] + [pay(dt.date(2026, 3, 20), 300.00, "C3", "INV-3")]
    return book_file(tmp_path, invoices=invoices, payments=payments, settings={"PDF Engine": "None"})


def test_propose_plan_asks_how_many_installments_shows_the_schedule_and_adds_it_once_confirmed(plan_book):
    c2 = read_book(plan_book).sheet("Customers").rows[1]  # C2's row
    host = press("plan_propose", plan_book, selection=("Customers", [c2]), reply="3", answer=False)
    [asked] = host.asked
    assert asked.startswith(f"A payment plan for C2's whole balance, from {AS_OF}: how many installments?")
    [question] = host.questions
    assert question.startswith(f"Plan for C2: 900.00 USD, monthly from {AS_OF}.")
    assert "1: 2026-06-30  300.00\n2: 2026-07-30  300.00\n3: 2026-08-30  300.00" in question
    assert question.endswith("Add it to the PaymentPlans sheet as Proposed (plan PP-2)?")
    assert host.messages == ["Nothing was added."] and len(read_book(plan_book).sheet("PaymentPlans").rows) == 1

    host = press("plan_propose", plan_book, selection=("Customers", [c2]), reply="4 every 2 weeks", answer=True)
    assert host.questions[0].startswith(f"Plan for C2: 900.00 USD, every 2 weeks from {AS_OF}.")
    assert host.messages[0].startswith("Added plan PP-2 for C2 to PaymentPlans as Proposed.\nWrote ")
    plans = read_book(plan_book).sheet("PaymentPlans")
    added = {name: values[-1] for name, values in plans.columns.items()}
    assert (added["Plan ID"], added["Customer ID"], added["Installments"]) == ("PP-2", "C2", 4)
    assert (added["Frequency"], added["Status"]) == ("Every 2 Weeks", "Proposed")


def test_propose_plan_says_why_when_it_cannot(plan_book):
    customers = read_book(plan_book).sheet("Customers")
    c2, c3 = customers.rows[1], customers.rows[2]
    assert press("plan_propose", plan_book, selection=("Customers", [c2]), reply=None).messages == [
        "No plan was proposed."
    ]
    host = press("plan_propose", plan_book, selection=("Customers", [c2]), reply="six")
    assert host.messages == ["“six” is not a number of installments such as 6 or 6 weekly: no plan was proposed."]
    host = press("plan_propose", plan_book, selection=("Customers", [c2]), reply="6 yearly")
    assert host.messages[0].startswith("“6 yearly”: the frequency must be weekly, every 2 weeks or monthly.")
    host = press("plan_propose", plan_book, selection=("Customers", [c3]), reply="6")
    assert host.messages == ["No plan was proposed for C3:\n\nC3 owes nothing on 2026-06-30: no plan is needed."]
    host = press("plan_propose", plan_book, selection=("Customers", [c2, c3]))
    assert host.messages[0].startswith("Select one customer: the selection holds 2") and not host.asked
    host = press("plan_propose", plan_book, selection=("Dashboard", [2]))
    assert host.messages[0].startswith("Select the customer's row on the Customers sheet") and not host.asked
    assert len(read_book(plan_book).sheet("PaymentPlans").rows) == 1


def test_plan_letters_makes_the_plan_letters_once(plan_book):
    """PP-1's sixth installment (15 June) is unpaid as of 30 June: its agreement and a missed-installment letter."""
    host = press("plan_letters", plan_book)
    assert host.messages[0].startswith(f"Made 2 plan letter(s) in {plan_book.parent.resolve() / 'letters'}.")
    assert "PLAN-PP-1-A: agreement for C1\nPLAN-PP-1-M6: missed for C1" in host.messages[0]
    assert "Wrote Letters, Audit" in host.messages[0]
    log = read_book(plan_book).owned_rows["Letters"]
    assert [(r["Kind"], r["Customer ID"], r["Reference"]) for r in (dict(zip(log[0], r)) for r in log[1:])] == [
        ("plan", "C1", "PLAN-PP-1-A"),
        ("plan", "C1", "PLAN-PP-1-M6"),
    ]
    host = press("plan_letters", plan_book)
    assert (
        host.messages[0].startswith("Made 0 plan letter(s).") and "Nothing written to the workbook" in host.messages[0]
    )


# --- the blocks the xlwings shell writes -------------------------------------------------------------------------


def test_owned_sheet_block_keeps_text_as_text_and_links_as_formulas(book):
    result = commands.refresh(read_book(book), AS_OF)
    balances = next(s for s in result.patch.sheets if s.name == "Balances")
    block = patch_plan.sheet_block(balances)
    assert block.values[0][0] == "'Invoice No"
    first = balances.rows[0][0]
    assert isinstance(first, Link)
    assert block.values[1][0] == f'=HYPERLINK("#{first.location}","{first.text}")'
    assert len(block.values) == len(balances.rows) + 1
    assert all(len(r) == len(block.widths) for r in block.values)
    assert patch_plan.excel_value("=1+1") == "'=1+1" and patch_plan.excel_value("-5") == "'-5"
    assert patch_plan.excel_value(dt.date(2026, 6, 30)) == dt.datetime(2026, 6, 30)


def test_append_block_puts_rows_where_the_file_writer_puts_them(clean_book):
    """The xlwings shell and the safe file writer must agree on where late fees go: under the last data row,
    each value under its header."""
    before = read_book(clean_book)
    result = commands.fees(before, AS_OF, post=True)
    (append,) = result.patch.appends
    block = patch_plan.append_block(before.sheet("Adjustments"), append)
    apply_patch(clean_book, result.patch, backups=0)
    after = read_book(clean_book).sheet("Adjustments")
    new_rows = after.rows[len(before.sheet("Adjustments").rows) :]
    assert new_rows == list(range(block.first_row, block.last_row + 1))
    letters = {after.letters[f]: f for f in after.letters}
    for first_letter, rows in block.runs:
        start = patch_plan._column_index(first_letter)
        for k, values in enumerate(rows):
            for j, value in enumerate(values):
                field = letters[_letter(start + j)]
                got = after.columns[field][after.rows.index(block.first_row + k)]
                assert _same(got, value), (field, got, value)


def test_update_block_sets_the_cells_the_file_writer_sets(clean_book):
    """The xlwings shell and the safe file writer must agree on which cell an update sets: the same cells change,
    with the same values, and text keeps Excel's text prefix (a text "=1+1" stays text)."""
    before = read_book(clean_book)
    invoices = before.sheet("Invoices")
    first, second = invoices.rows[0], invoices.rows[3]
    update = UpdateCells(
        "invoices",
        (
            (first, "Description", "=1+1"),
            (first, "due date", dt.date(2026, 9, 30)),
            (first, "Amount", Decimal("80.00")),
            (second, "Status", None),
            (second, "Description", "-5"),
        ),
    )
    block = patch_plan.update_block(invoices, update)
    assert block.sheet == "Invoices" and block.cells == 5
    letters = {f: invoices.letters[f] for f in ("Description", "Due Date", "Amount", "Status")}
    expected = {
        f"{letters['Description']}{first}": "'=1+1",
        f"{letters['Due Date']}{first}": dt.datetime(2026, 9, 30),
        f"{letters['Amount']}{first}": 80.0,
        f"{letters['Status']}{second}": None,
        f"{letters['Description']}{second}": "'-5",
    }
    planned = {}
    for address, values in block.runs:
        column, row = re.match(r"([A-Z]+)(\d+)$", address).groups()
        for j, value in enumerate(values):
            planned[f"{_letter(patch_plan._column_index(column) + j)}{row}"] = value
    assert planned == expected
    # Adjacent cells of one row go in one assignment (Due Date and Amount are side by side in the template).
    assert any(len(values) > 1 for _, values in block.runs)

    report = apply_patch(clean_book, Patch(updates=(update,)), backups=0)
    assert report.cells_updated == 5
    after = read_book(clean_book).sheet("Invoices")
    for address, value in expected.items():
        column, row = re.match(r"([A-Z]+)(\d+)$", address).groups()
        field = next(f for f, letter in after.letters.items() if letter == column)
        got = after.columns[field][after.rows.index(int(row))]
        assert got is None if value is None else _same(got, value), (address, got, value)
    untouched = [f for f in invoices.columns if f not in ("Description", "Due Date", "Amount", "Status")]
    assert all(after.columns[f] == invoices.columns[f] for f in untouched)


def test_update_block_refuses_rows_outside_the_data_and_unknown_headers(clean_book):
    invoices = read_book(clean_book).sheet("Invoices")
    last = max(invoices.rows)
    for row in (invoices.header_row, last + 1, 0):
        with pytest.raises(WriteRefused, match=rf"Row {row} of sheet 'Invoices' is not a data row"):
            patch_plan.update_block(invoices, UpdateCells("Invoices", ((row, "Status", "Paid"),)))
    with pytest.raises(WriteRefused, match="no column 'Colour'"):
        patch_plan.update_block(invoices, UpdateCells("Invoices", ((last, "Colour", "red"),)))
    with pytest.raises(WriteRefused, match="link"):
        patch_plan.update_block(invoices, UpdateCells("Invoices", ((last, "Description", Link("x", "A1")),)))


def _letter(index: int) -> str:
    from billing_addin.core.book import column_letter

    return column_letter(index - 1)


def _same(typed, sent) -> bool:
    if isinstance(sent, str):
        sent = sent[1:]  # the text prefix
    if isinstance(sent, dt.datetime):
        sent = sent.date()
    if isinstance(sent, float):
        return typed == round(sent * 100)  # money is read back as cents
    return typed == sent
