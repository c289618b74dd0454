"""Shared fixtures: small real billing workbooks written to disk and read back; and the shared corpus of
workbooks made by Excel, which lies beside the repository (../shared/corpus) or where BILLING_CORPUS says."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import os
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


# ---------------------------------------------------------------- the shared corpus (../shared/corpus)
#
# Every test that uses the corpus finds it here: through the `corpus` fixture (the excel-made folder) or by taking a
# `corpus_book` argument (one test per book of that folder, by file name). Where the corpus is not there, each test
# module that uses it gives exactly one skip whose reason names the folder looked at; its other corpus tests are
# deselected (counted in that reason), so nothing passes silently and there is no skip per book.

CORPUS_ENV = "BILLING_CORPUS"
NO_CORPUS = "no-corpus"  # the one parameter a corpus_book test gets when there are no books


def corpus_root() -> Path:
    """The corpus folder: $BILLING_CORPUS if set, else shared/corpus beside the repository."""
    given = os.environ.get(CORPUS_ENV)
    if given:
        return Path(given).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


def excel_made() -> Path:
    return corpus_root() / "excel-made"


@functools.cache
def excel_made_books() -> tuple[str, ...]:
    """File names of the corpus's Excel-made workbooks, sorted; () when the corpus is not there."""
    folder = excel_made()
    return tuple(sorted(p.name for p in folder.glob("*.xls[xm]"))) if folder.is_dir() else ()


def corpus_missing() -> str | None:
    """Why the corpus tests cannot run (naming the folder looked at), or None when they can."""
    if excel_made_books():
        return None
    source = f"from {CORPUS_ENV}" if os.environ.get(CORPUS_ENV) else "../shared/corpus beside the repository"
    return (
        f"the shared corpus is missing: no .xlsx/.xlsm in {excel_made()} ({source}); "
        f"put it there or set {CORPUS_ENV} to the folder that holds excel-made/"
    )


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The folder of Excel-made workbooks (shared/corpus/excel-made); skips, saying where it looked, when absent."""
    reason = corpus_missing()
    if reason:
        pytest.skip(reason)
    return excel_made()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "corpus_book" in metafunc.fixturenames:
        metafunc.parametrize("corpus_book", excel_made_books() or (NO_CORPUS,))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the corpus: one skip per module that uses it, with the reason; its other corpus tests deselected."""
    reason = corpus_missing()
    if reason is None:
        return
    users: dict[str, list[pytest.Item]] = {}
    for item in items:
        if {"corpus", "corpus_book"} & set(getattr(item, "fixturenames", ())):
            users.setdefault(item.nodeid.split("::")[0], []).append(item)
    dropped = []
    for module_items in users.values():
        first, *rest = module_items
        first.add_marker(
            pytest.mark.skip(reason=f"{len(module_items)} corpus test(s) of this module not run: {reason}")
        )
        dropped += rest
    if dropped:
        gone = {id(item) for item in dropped}
        items[:] = [item for item in items if id(item) not in gone]
        config.hook.pytest_deselected(items=dropped)
