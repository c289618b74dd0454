"""Shared fixtures: small real billing workbooks written to disk and read back."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from billing_addin import commands
from billing_addin.core.book import column_letter
from billing_addin.core.findings import Finding
from billing_addin.core.schema import INPUT_SHEETS
from billing_addin.workbook.demo_book import DemoData, generate
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.template import build_template

AS_OF = dt.date(2026, 6, 30)


def letter(sheet: str, field: str) -> str:
    """Column letter of a field in the template's own column order."""
    spec = next(s for s in INPUT_SHEETS if s.name == sheet)
    return column_letter([f.name for f in spec.fields].index(field))


def col(sheet: str, field: str) -> int:
    spec = next(s for s in INPUT_SHEETS if s.name == sheet)
    return [f.name for f in spec.fields].index(field)


def findings_of(path: Path, as_of: dt.date = AS_OF) -> list[Finding]:
    return commands.validate(read_book(path), as_of).findings


@pytest.fixture(scope="session")
def clean_data() -> DemoData:
    return generate(AS_OF, customers=6, invoices=20, payments=12, mistakes=False)


@pytest.fixture
def data(clean_data: DemoData) -> DemoData:
    """A fresh deep copy of a small, correct workbook's rows that a test may change."""
    return copy.deepcopy(clean_data)


@pytest.fixture
def write(tmp_path: Path):
    """write(data) -> path of a real .xlsx built from the template with those rows."""

    def _write(d: DemoData, name: str = "book.xlsx") -> Path:
        path = tmp_path / name
        build_template(path, d.rows, d.settings)
        return path

    return _write


def customers_of_error_cells(path: Path, findings: list[dict]) -> set[str]:
    """The customers the error cells of `findings` concern, read from the file with openpyxl: the Customer
    ID on the error's row, and the customer of the invoice that row names (Applied To / Invoice No)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)

    def rows(sheet: str) -> list[dict]:
        values = list(wb[sheet].iter_rows(values_only=True))
        return [dict(zip(values[0], r)) for r in values]  # index 0 is the header row: Excel row 1

    sheets = {name: rows(name) for name in ("Customers", "Invoices", "Payments", "Adjustments")}
    owner = {str(r["Invoice No"]): str(r["Customer ID"]) for r in sheets["Invoices"][1:]}
    out = set()
    for f in findings:
        if f["severity"] != "error":
            continue
        row = sheets[f["sheet"]][int("".join(c for c in f["cell"] if c.isdigit())) - 1]
        out.add(str(row["Customer ID"]))
        named = row.get("Applied To") if f["sheet"] == "Payments" else row.get("Invoice No")
        if named in owner:
            out.add(owner[named])
    return out
