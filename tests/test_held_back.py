"""Which customers a validation error holds back from letters and late fees, on real workbooks."""

from __future__ import annotations

from conftest import AS_OF, letter

from billing_addin.core.checks import run_checks
from billing_addin.core.held_back import held_back
from billing_addin.workbook.reader import read_book


def _held(path):
    book = read_book(path)
    return held_back(book, run_checks(book, AS_OF))


def _other_customer(data, customer_id: str) -> str:
    return next(r[0] for r in data.rows["Customers"] if r[0] != customer_id)


def test_a_clean_book_holds_back_no_one(write, data):
    held = _held(write(data))
    assert not held.everyone and not held.customers and not held.holds(data.rows["Customers"][0][0])


def test_an_error_on_a_customers_row_holds_back_that_customer_only(write, data):
    customer_id = data.rows["Customers"][2][0]
    data.rows["Customers"][2][3] = "no-at-sign.example"  # E-mail
    held = _held(write(data))
    assert not held.everyone and set(held.customers) == {customer_id.casefold()}
    assert held.holds(customer_id) and held.holds(customer_id.lower())
    assert not held.holds(_other_customer(data, customer_id))
    assert held.reason(customer_id).startswith(f"held back: Customers!{letter('Customers', 'Email')}4 has an error")


def test_a_payment_against_another_customers_invoice_holds_back_both(write, data):
    payment = data.rows["Payments"][0]
    invoice = next(r for r in data.rows["Invoices"] if r[1] != payment[1])
    payment[7] = invoice[0]  # Applied To: an invoice of another customer
    held = _held(write(data))
    assert not held.everyone and set(held.customers) == {payment[1].casefold(), invoice[1].casefold()}


def test_errors_no_one_customer_owns_hold_back_everyone(write, data):
    data.rows["Payments"][0][1] = "NOBODY"  # may be anyone's money
    held = _held(write(data))
    assert "unknown-customer" in {f.code for f in held.everyone} and not held.customers
    assert held.reason(data.rows["Customers"][0][0]).startswith("held back: Payments!")
    assert {(f.sheet, f.cell[1:]) for f in held.everyone} == {("Payments", "2")}
    assert all(held.holds(r[0]) for r in data.rows["Customers"])


def test_a_settings_error_holds_back_everyone(write, data):
    data.settings["Default Terms"] = "thirty"
    held = _held(write(data))
    assert held.everyone and {f.sheet for f in held.everyone} == {"Settings"}
    assert held.holds(data.rows["Customers"][0][0])


def test_warnings_hold_back_no_one(write, data):
    twice = list(data.rows["Payments"][0])
    twice[0] = "P-AGAIN"  # the same payment entered twice under another ID: a warning, not an error
    data.rows["Payments"].append(twice)
    book = read_book(write(data))
    warnings = [f for f in run_checks(book, AS_OF) if f.severity == "warning"]
    assert "likely-duplicate-payment" in {f.code for f in warnings}
    assert not held_back(book, warnings).customers and not held_back(book, warnings).everyone


def test_an_error_on_a_claim_holds_back_only_its_patient():
    """A Claims row with a bad cell concerns its patient (Patient Account), not every customer."""
    import datetime as dt

    from billing_addin.core.checks import run_checks
    from billing_addin.core.held_back import held_back
    from billing_addin.workbook.reader import book_from_rows

    rows = {
        "Customers": [["Customer ID", "Name"], ["C1", "A"], ["C2", "B"]],
        "Invoices": [["Invoice No", "Customer ID", "Invoice Date", "Amount"], ["I-1", "C2", dt.date(2026, 6, 1), 10.0]],
        "Payments": [["Payment ID", "Customer ID", "Payment Date", "Amount"]],
        "Claims": [["Claim ID", "Patient Account", "Payer", "Date of Service"], ["CL-1", "C1", "Acme", "soon"]],
    }
    book = book_from_rows(rows, {"Company Name": "X"})
    held = held_back(book, run_checks(book, dt.date(2026, 6, 30)))
    assert not held.everyone and held.holds("C1") and not held.holds("C2")
