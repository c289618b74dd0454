"""Checks of each sheet on its own: sheets and columns present and readable, cells of their column's type,
required cells filled, no key twice, amounts above zero. The DunningLevels parser runs some of them on its
own sheet, so they live apart from the checks that look across sheets (checks.py).
"""

from __future__ import annotations

import datetime as dt
import re

from billing_addin.core.book import Book, SheetData
from billing_addin.core.book_index import column_of
from billing_addin.core.cell_values import DATE_ORDER_UNKNOWN
from billing_addin.core.column_report import lookalike, lookalike_text
from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.money import format_cents
from billing_addin.core.schema import INPUT_SHEETS, INVOICES, PAYMENTS, SETTINGS_SHEET, Kind


def values(sd: SheetData | None, name: str) -> list[tuple[int, object]]:
    """(Excel row, value) for every non-blank value of a column that exists."""
    if sd is None or name not in sd.columns:
        return []
    return [(row, v) for row, v in zip(sd.rows, sd.columns[name]) if v is not None]


def present(sd: SheetData | None, name: str) -> list:
    """The non-blank values of a column (for quick whole-column tests such as min and max)."""
    if sd is None or name not in sd.columns:
        return []
    return [v for v in sd.columns[name] if v is not None]


def check_structure(book: Book, as_of: dt.date) -> list[Finding]:
    """A missing sheet or a missing required column."""
    out = []
    for spec in INPUT_SHEETS:
        sd = book.sheet(spec.name)
        if sd is None:
            if spec.when_missing is None:
                continue  # the add-in's defaults apply
            make = warning if spec.when_missing == "warning" else error
            cols = ", ".join(f.name for f in spec.fields[:6])
            out.append(
                make(
                    "missing-sheet",
                    spec.name,
                    "",
                    f"The workbook has no sheet named {spec.name}.",
                    f"Add a sheet named {spec.name} with the columns {cols}, ... "
                    "(`billing new` writes a template with every sheet).",
                )
            )
            continue
        next_free = sd.next_free
        for name in sd.missing:
            f = spec.field(name)
            if not f.required:
                continue
            also = f" (or one of: {', '.join(f.aliases[:4])})" if f.aliases else ""
            out.append(
                error(
                    "missing-column",
                    sd.title,
                    f"{next_free}{sd.header_row}",
                    f"Sheet {sd.title} has no {name} column.",
                    f"Add a column headed '{name}'{also} in the header row (row {sd.header_row}).",
                )
            )
    if book.settings.sheet_title is None:
        out.append(
            error(
                "missing-sheet",
                SETTINGS_SHEET,
                "",
                "The workbook has no Settings sheet.",
                "Add a sheet named Settings with two columns, Setting and Value, and a row for "
                "Company Name (`billing new` writes a template).",
            )
        )
    return out


def check_columns(book: Book, as_of: dt.date) -> list[Finding]:
    """A whole column that cannot be read as its field (Yes/No under a date), and a column the add-in ignores
    although its header looks like a field (of this sheet, or of another): nothing is dropped silently."""
    out = []
    for sd in book.sheets.values():
        if sd is None:
            continue
        for p in sd.column_problems:
            make = error if p.severity == "error" else warning
            out.append(make(p.code, sd.title, sd.cell(p.field, sd.header_row), p.message, p.hint))
        for letter, header in sd.ignored:
            like = lookalike(sd, header)
            if like is None:
                continue
            if like.same_sheet and like.taken_by is None:
                hint = f"Rename the header to '{like.field}' if that is what the column holds."
            elif like.same_sheet:
                hint = f"Only one column can be {like.field}; rename or remove the other if this one is meant."
            else:
                hint = f"Move the column to the {like.sheet} sheet if it belongs there; otherwise nothing to do."
            out.append(
                warning(
                    "column-not-read",
                    sd.title,
                    f"{letter}{sd.header_row}",
                    f"Column '{header}' is not read: it {lookalike_text(sd, like)}.",
                    hint + " Columns the add-in does not read are kept as they are.",
                )
            )
    return out


def check_cell_types(book: Book, as_of: dt.date) -> list[Finding]:
    """Text such as 'TBD' in a money or date cell, a word that is not one of a column's choices. (The cells of a
    text date column whose day/month order is unknown or mixed are told once, by check_columns.)"""
    out = []
    for sd in book.sheets.values():
        if sd is None:
            continue
        for p in sd.problems:
            if p.code == DATE_ORDER_UNKNOWN:
                continue  # told once for the column (a ColumnProblem)
            header = sd.headers.get(p.field, p.field)
            out.append(error(p.code, sd.title, sd.cell(p.field, p.row), f"{header}: {p.message}.", p.hint))
    return out


def check_required(book: Book, as_of: dt.date) -> list[Finding]:
    """A required cell left blank (a cell that holds something unreadable is reported as its type instead)."""
    out = []
    for sd in book.sheets.values():
        if sd is None:
            continue
        unreadable = {(p.field, p.row) for p in sd.problems}
        totals: set[int] | None = None
        for f in sd.spec.required:
            if f.name not in sd.columns or None not in sd.columns[f.name]:
                continue  # the column is complete (a C-speed scan spares the row loop)
            totals = _total_rows(sd) if totals is None else totals
            for row, v in zip(sd.rows, sd.columns[f.name]):
                if v is None and (f.name, row) not in unreadable:
                    hint = f"Fill in the {f.name}: {f.description[0].lower()}{f.description[1:]}"
                    if row in totals:
                        hint = (
                            "This looks like a total row: every row under the header is read as data, blank rows "
                            "between or not. Move totals to another sheet (or above the header)."
                        )
                    out.append(
                        error(
                            "required",
                            sd.title,
                            sd.cell(f.name, row),
                            f"{sd.headers[f.name]} is empty in row {row}.",
                            hint,
                        )
                    )
    return out


_TOTAL_WORDS = frozenset(
    {"total", "totals", "grand total", "subtotal", "sub-total", "sum", "summe", "gesamt", "totaal"}
)


def _total_rows(sd: SheetData) -> set[int]:
    """Rows one of whose text cells reads "Total" (or the like): a total row under the data."""
    out = set()
    for name, column in sd.columns.items():
        if sd.spec.field(name).kind in (Kind.ID, Kind.TEXT):
            out.update(row for row, v in zip(sd.rows, column) if isinstance(v, str) and v.casefold() in _TOTAL_WORDS)
    return out


def check_amounts(book: Book, as_of: dt.date) -> list[Finding]:
    """Zero or negative invoice and payment amounts."""
    out = []
    for spec, what in ((INVOICES, "An invoice"), (PAYMENTS, "A payment")):
        sd = book.sheet(spec.name)
        if min(present(sd, "Amount"), default=1) > 0:
            continue
        for row, cents in values(sd, "Amount"):
            if cents <= 0:
                out.append(
                    error(
                        "amount-not-positive",
                        sd.title,
                        sd.cell("Amount", row),
                        f"{what} amount must be more than zero; it is {format_cents(cents)}.",
                        "Enter the amount as a positive number. Record credits and refunds on "
                        "the Adjustments sheet instead.",
                    )
                )
    return out


def check_duplicate_keys(book: Book, as_of: dt.date) -> list[Finding]:
    """The same Customer ID, Invoice No, Payment ID or Adjustment ID on two rows."""
    out = []
    for spec in INPUT_SHEETS:
        sd = book.sheet(spec.name)
        if spec.key is None:
            continue
        keys = [k for k in column_of(sd, spec.key) if k is not None]
        if len({str(k).casefold() for k in keys}) == len(keys):
            continue  # no duplicates: skip the row-by-row pass
        first: dict[str, int] = {}
        for row, key in values(sd, spec.key):
            k = str(key).casefold()
            if k in first:
                out.append(
                    error(
                        f"duplicate-{_slug(spec.key)}",
                        sd.title,
                        sd.cell(spec.key, row),
                        f"{spec.key} {key} is used twice: in row {first[k]} and row {row}.",
                        f"Give each row its own {spec.key}, or delete the duplicate row.",
                    )
                )
            else:
                first[k] = row
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
