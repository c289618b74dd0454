"""Each validation check on a real .xlsx file, asserting the exact cell it names."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import time_machine
from conftest import AS_OF, col, findings_of, letter

from billing_addin.core.findings import ERROR, WARNING


def only(findings, code):
    return [f for f in findings if f.code == code]


def test_a_correct_workbook_has_no_findings(data, write):
    assert findings_of(write(data)) == []


def test_demo_workbook_findings_are_exactly_the_planted_mistakes(tmp_path):
    from billing_addin.workbook.demo_book import build_demo_book

    path = tmp_path / "demo.xlsx"
    demo = build_demo_book(path, AS_OF)
    found = findings_of(path)
    planted = {m.split(":")[0] for m in demo.mistakes}
    assert planted <= {f"{f.sheet}!{f.cell}" for f in found}

    def sheet_row(ref):
        sheet, cell = ref.split("!")
        return sheet, cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    # No error on a row that was not tampered with.
    assert {sheet_row(f"{f.sheet}!{f.cell}") for f in found if f.severity == ERROR} <= {sheet_row(p) for p in planted}


def test_required_value_missing(data, write):
    data.rows["Invoices"][3][col("Invoices", "Customer ID")] = None
    f = only(findings_of(write(data)), "required")
    assert [(x.sheet, x.cell, x.severity) for x in f] == [("Invoices", f"{letter('Invoices', 'Customer ID')}5", ERROR)]


def test_missing_sheet_and_missing_column(data, write):
    path = write(data)
    wb = openpyxl.load_workbook(path)
    del wb["Payments"]
    wb["Invoices"]["E1"] = "Something Else"  # the Amount header; Excel renames the table column with it
    wb["Invoices"].tables["tblInvoices"].tableColumns[4].name = "Something Else"
    wb.save(path)
    found = findings_of(path)
    sheet = only(found, "missing-sheet")
    assert [(x.sheet, x.cell) for x in sheet] == [("Payments", "")]
    column = only(found, "missing-column")
    assert len(column) == 1 and column[0].sheet == "Invoices" and column[0].cell.endswith("1")
    assert "Amount" in column[0].message and "Amount" in column[0].hint


@pytest.mark.parametrize(
    ("sheet", "field", "value", "code"),
    [
        ("Invoices", "Amount", "TBD", "not-money"),
        ("Invoices", "Invoice Date", "n/a", "not-a-date"),
        ("Invoices", "Due Date", "31/02/2026", "not-a-date"),  # 03/04/2026: see test_dates.py (one per column)
        ("Payments", "Amount", "n/a", "not-money"),
        ("Payments", "Payment Date", "soon", "not-a-date"),
        ("Customers", "Payment Terms", "thirty", "not-a-whole-number"),
        ("Customers", "Dunning", "Sometimes", "bad-choice"),
        ("Adjustments", "Type", "Discount", "bad-choice"),
    ],
)
def test_wrong_type_names_the_cell(data, write, sheet, field, value, code):
    data.rows[sheet][1][col(sheet, field)] = value
    f = only(findings_of(write(data)), code)
    assert [(x.sheet, x.cell) for x in f] == [(sheet, f"{letter(sheet, field)}3")]
    assert value in f[0].message and f[0].hint


@pytest.mark.parametrize(
    ("sheet", "amount"), [("Invoices", 0), ("Invoices", -10.5), ("Payments", 0.0), ("Payments", -1)]
)
def test_zero_or_negative_amount(data, write, sheet, amount):
    data.rows[sheet][2][col(sheet, "Amount")] = amount
    f = only(findings_of(write(data)), "amount-not-positive")
    assert [(x.sheet, x.cell) for x in f] == [(sheet, f"{letter(sheet, 'Amount')}4")]


def test_duplicate_customer_id_and_invoice_no(data, write):
    data.rows["Customers"][4][0] = data.rows["Customers"][1][0]
    data.rows["Invoices"][7][0] = data.rows["Invoices"][2][0]
    found = findings_of(write(data))
    assert [(x.sheet, x.cell) for x in only(found, "duplicate-customer-id")] == [("Customers", "A6")]
    dup = only(found, "duplicate-invoice-no")
    assert [(x.sheet, x.cell) for x in dup] == [("Invoices", "A9")]
    assert "row 4" in dup[0].message and "row 9" in dup[0].message


@pytest.mark.parametrize("sheet", ["Invoices", "Payments", "Adjustments"])
def test_unknown_customer(data, write, sheet):
    data.rows[sheet][0][col(sheet, "Customer ID")] = "C9999"
    f = only(findings_of(write(data)), "unknown-customer")
    assert [(x.sheet, x.cell) for x in f] == [(sheet, f"{letter(sheet, 'Customer ID')}2")]


def test_fee_policy_names_that_are_not_on_the_fee_policies_sheet(data, write):
    data.rows["Customers"][1][col("Customers", "Late Fee Policy")] = "Standrad"
    data.rows["Customers"][2][col("Customers", "Late Fee Policy")] = "exempt"  # any case: not a policy name
    data.settings["Default Fee Policy"] = "Gold"
    path = write(data)
    f = only(findings_of(path), "unknown-fee-policy")
    cells = {(x.sheet, x.cell) for x in f}
    settings_cell = next(x.cell for x in f if x.sheet == "Settings")
    assert cells == {("Customers", f"{letter('Customers', 'Late Fee Policy')}3"), ("Settings", settings_cell)}
    assert openpyxl.load_workbook(path)["Settings"][settings_cell].value == "Gold"  # the cell named holds it


def test_applied_to_unknown_or_other_customers_invoice(data, write):
    pays = data.rows["Payments"]
    applied = col("Payments", "Applied To")
    i = next(k for k, p in enumerate(pays) if p[applied])
    j = next(k for k, p in enumerate(pays) if p[applied] and k != i)
    pays[i][applied] = "INV-00000"
    other = next(inv for inv in data.rows["Invoices"] if inv[1] != pays[j][1])
    pays[j][applied] = other[0]
    found = findings_of(write(data))
    assert [(x.cell) for x in only(found, "unknown-invoice")] == [f"{letter('Payments', 'Applied To')}{i + 2}"]
    assert [(x.cell) for x in only(found, "invoice-of-other-customer")] == [
        f"{letter('Payments', 'Applied To')}{j + 2}"
    ]


def test_due_date_before_invoice_date(data, write):
    inv = data.rows["Invoices"][5]
    inv[col("Invoices", "Due Date")] = inv[col("Invoices", "Invoice Date")] - dt.timedelta(days=1)
    f = only(findings_of(write(data)), "due-before-invoice-date")
    assert [(x.sheet, x.cell) for x in f] == [("Invoices", f"{letter('Invoices', 'Due Date')}7")]


def test_payment_after_today_is_an_error_and_one_after_the_as_of_date_is_left_out(data, write):
    """Month-end runs after the fact are normal: a payment dated after the as-of date is not counted as of
    that date (one warning for the sheet, naming the first), and only one dated after today is a mistake."""
    pays = data.rows["Payments"]
    pays[0][col("Payments", "Payment Date")] = AS_OF + dt.timedelta(days=1)
    pays[1][col("Payments", "Payment Date")] = AS_OF + dt.timedelta(days=3)
    with time_machine.travel(dt.datetime(2026, 12, 6, 10), tick=False):
        pays[2][col("Payments", "Payment Date")] = dt.date(2026, 12, 7)  # tomorrow
        found = findings_of(write(data))
    later = only(found, "rows-after-as-of")
    assert [(x.cell, x.severity) for x in later] == [(f"{letter('Payments', 'Payment Date')}2", WARNING)]
    assert later[0].message.startswith(f"3 payment(s) dated after {AS_OF} are left out")
    future = only(found, "payment-in-future")
    assert [(x.cell, x.severity) for x in future] == [(f"{letter('Payments', 'Payment Date')}4", ERROR)]
    assert "after today (2026-12-06)" in future[0].message


def test_payment_before_the_invoice_it_pays(data, write):
    pays = data.rows["Payments"]
    applied = col("Payments", "Applied To")
    i = next(k for k, p in enumerate(pays) if p[applied])
    inv = next(r for r in data.rows["Invoices"] if r[0] == pays[i][applied])
    pays[i][col("Payments", "Payment Date")] = inv[2] - dt.timedelta(days=3)
    f = only(findings_of(write(data)), "payment-before-invoice")
    assert [(x.cell, x.severity) for x in f] == [(f"{letter('Payments', 'Payment Date')}{i + 2}", WARNING)]


def test_payments_beyond_invoice_amount_are_a_warning(data, write):
    pays = data.rows["Payments"]
    applied = col("Payments", "Applied To")
    i = next(k for k, p in enumerate(pays) if p[applied])
    extra = list(pays[i])
    extra[0], extra[6] = "P-EXTRA", "REF-EXTRA"
    pays.append(extra)
    f = only(findings_of(write(data)), "overapplied")
    assert [(x.cell, x.severity) for x in f] == [(f"{letter('Payments', 'Applied To')}{len(pays) + 1}", WARNING)]


def test_currency_codes_and_mismatch(data, write):
    data.rows["Invoices"][0][col("Invoices", "Currency")] = "DOLLARS"
    pays = data.rows["Payments"]
    applied = col("Payments", "Applied To")
    i = next(k for k, p in enumerate(pays) if p[applied] and p[applied] != data.rows["Invoices"][0][0])
    pays[i][col("Payments", "Currency")] = "EUR"
    found = findings_of(write(data))
    assert [(x.sheet, x.cell) for x in only(found, "bad-currency")] == [
        ("Invoices", f"{letter('Invoices', 'Currency')}2")
    ]
    mismatch = only(found, "currency-mismatch")
    assert [(x.sheet, x.cell) for x in mismatch] == [("Payments", f"{letter('Payments', 'Currency')}{i + 2}")]
    assert "EUR" in mismatch[0].message and "USD" in mismatch[0].message


def test_lowercase_currency_is_accepted(data, write):
    data.rows["Invoices"][0][col("Invoices", "Currency")] = "usd"
    assert findings_of(write(data)) == []


@pytest.mark.parametrize("email", ["accounts.example.com", "a@b", "two@@example.com", "x@example.com; broken"])
def test_malformed_email(data, write, email):
    data.rows["Customers"][2][col("Customers", "Email")] = email
    f = only(findings_of(write(data)), "bad-email")
    assert [(x.cell) for x in f] == [f"{letter('Customers', 'Email')}4"]


def test_several_emails_separated_by_semicolons_are_fine(data, write):
    data.rows["Customers"][2][col("Customers", "Email")] = "ap@example.com; boss@example.co.uk"
    assert findings_of(write(data)) == []


def test_likely_duplicate_payment(data, write):
    pays = data.rows["Payments"]
    copy_of = list(pays[3])
    copy_of[0] = "P-COPY"
    copy_of[col("Payments", "Applied To")] = None  # so only the duplicate is flagged
    pays.append(copy_of)
    f = only(findings_of(write(data)), "likely-duplicate-payment")
    assert [(x.cell, x.severity) for x in f] == [(f"{letter('Payments', 'Amount')}{len(pays) + 1}", WARNING)]
    assert "row 5" in f[0].message


def test_implausible_dates(data, write):
    inv = data.rows["Invoices"]
    inv[2][col("Invoices", "Due Date")] = dt.date(2206, 1, 31)
    inv[3][col("Invoices", "Invoice Date")] = dt.date(1996, 1, 1)
    inv[3][col("Invoices", "Due Date")] = dt.date(1996, 1, 31)
    f = only(findings_of(write(data)), "implausible-date")
    got = {(x.cell, x.severity) for x in f}
    assert got == {("D4", ERROR), ("C5", WARNING), ("D5", WARNING)}


def test_settings_missing_and_invalid(data, write):
    data.settings["Company Name"] = None
    data.settings["Default Currency"] = "XYZ"
    data.settings["Default Terms"] = "thirty"
    data.settings["Locale"] = "xx_YY"
    found = [f for f in findings_of(write(data)) if f.sheet == "Settings"]
    got = {(f.code, f.cell) for f in found}
    # Settings rows follow the schema's order, starting at row 2.
    assert got == {
        ("setting-missing", "B2"),
        ("setting-invalid", "B7"),
        ("setting-invalid", "B8"),
        ("setting-invalid", "B9"),
    }


def test_every_bad_cell_of_a_row_is_reported(data, write):
    row = data.rows["Invoices"][4]
    row[col("Invoices", "Amount")] = "TBD"
    row[col("Invoices", "Invoice Date")] = "someday"
    row[col("Invoices", "Customer ID")] = "C0000"
    row[col("Invoices", "Status")] = "Cancelled"
    found = {(f.code, f.cell) for f in findings_of(write(data))}
    assert {("not-money", "E6"), ("not-a-date", "C6"), ("unknown-customer", "B6"), ("bad-choice", "I6")} <= found


def test_configuration_sheets_are_validated_too(data, write):
    data.rows["FeePolicies"] = [["Bad", "Percent", None]]
    data.rows["DunningLevels"] = [[1, 30, "reminder.docx"], [2, 10, "past_due.docx"]]
    data.rows["RateTable"] = [["EU", dt.date(2025, 1, 1), 40, "typo"]]
    found = {(f.code, f.sheet, f.cell) for f in findings_of(write(data))}
    assert ("fee-policy-no-rate", "FeePolicies", "C2") in found
    assert ("dunning-days-not-increasing", "DunningLevels", "B3") in found
    assert ("reference-rate-out-of-range", "RateTable", "C2") in found
