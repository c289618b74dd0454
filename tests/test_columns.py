"""`billing columns` and the column map `billing validate` prints: how each header was understood, what is
ignored, and which ignored header looks like a field (a warning, so nothing is dropped silently)."""

from __future__ import annotations

import contextlib
import io
import json

from messy_books import AS_OF, SHAPES, Shape, base_data, write_shape

from billing_addin.cli import app as cli


def run(*args) -> tuple[int, str]:
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        code = cli.main([str(a) for a in args])
    return code, printed.getvalue()


def _messy(sheet, s):
    next(x for x in SHAPES if x.name == "title line and everyday headers").change(sheet, s)
    if sheet == "Payments":
        s.headers = ["Setled Date" if h == "Date Received" else h for h in s.headers]  # a typo: not read
        s.headers.append("Paperless Bill")
        for r in s.rows:
            r.append("Yes")


def test_columns_report_shows_each_header_cell_its_field_and_what_is_ignored(tmp_path):
    path = write_shape(tmp_path / "book.xlsx", base_data(), Shape("messy", False, _messy))
    code, out = run("columns", path, "--json")
    report = {s["sheet"]: s for s in json.loads(out)["sheets"]}
    assert code == 1  # Payments has no Payment Date column
    inv = report["Invoices"]
    assert inv["header_row"] == 3 and inv["table"] is None
    assert {c["cell"]: (c["header"], c["field"]) for c in inv["columns"]}["A3"] == ("Invoice Number", "Invoice No")
    pay = report["Payments"]
    ignored = {c["header"]: c for c in pay["ignored"]}
    assert ignored["Setled Date"]["looks_like"] == {"sheet": "Payments", "field": "Payment Date"}
    assert (
        ignored["Paperless Bill"]["looks_like"] is None and ignored["Paperless Bill"]["cell"] == "K3"
    )  # after Bank Transaction ID
    assert {"field": "Payment Date", "required": True} in pay["missing"]
    assert report["Customers"]["table"] == "tblCustomers"

    code, text = run("validate", path, "--as-of", AS_OF)
    assert code == 1
    assert "A3  Invoice Number -> Invoice No" in text
    assert "Setled Date -> ignored (looks like Payment Date)" in text
    assert "no column for: Payment Date (required)" in text
    code, out = run("validate", path, "--as-of", AS_OF, "--json")
    found = json.loads(out)  # validate's --json stays a bare array of findings
    unread = [f for f in found if f["code"] == "column-not-read"]
    assert [(f["sheet"], f["severity"]) for f in unread] == [("Payments", "warning")]
    assert unread[0]["cell"] == next(c["cell"] for c in pay["ignored"] if c["header"] == "Setled Date")


def test_columns_of_the_template_book_are_all_read(tmp_path):
    from messy_books import write_template

    path = write_template(tmp_path / "book.xlsx", base_data())
    code, out = run("columns", path, "--json")
    sheets = json.loads(out)["sheets"]
    assert code == 0
    assert all(s["found"] and not s["ignored"] for s in sheets if s["sheet"] in ("Invoices", "Payments"))
