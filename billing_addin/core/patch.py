"""What a command wants written into a workbook, as plain data.

Commands never write. They return a `Patch`; a shell applies it: the file shell through
`billing_addin.workbook.writer` (zip parts of a workbook on disk), the Excel shell through xlwings.

Cell values are str, int, Decimal, float, datetime.date, datetime.datetime, bool, None or `Link`.
Text is always stored as text, never as a formula, whatever character it starts with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

CellValue = Union[str, int, float, Decimal, dt.date, dt.datetime, bool, None, "Link"]  # noqa: UP007

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Link:
    """A cell that shows `text` and jumps to `location` inside the same workbook, e.g. "'Invoices'!E5".

    `text` may be a number (int or float): the cell then holds that number, as the cell it links to does
    (an Invoice No typed as 24081), so that Excel's lookups between the two sheets match."""

    text: str | int | float
    location: str

    @property
    def shown(self) -> str:
        """The text the cell shows (a number in its shortest form: 24081, 1.5)."""
        text = self.text
        if type(text) is str:
            return text
        if isinstance(text, float) and text.is_integer():
            return str(int(text))
        return str(text)


@dataclass(frozen=True)
class Column:
    """One column of an owned sheet: its header, width in characters and Excel number format."""

    header: str
    width: float = 14
    number_format: str | None = None


@dataclass(frozen=True)
class Chart:
    """A native Excel chart on an owned sheet, drawn from that sheet's own columns.

    kind: "bar", "column", "line" or "pie". `categories` and each of `series` name columns of the sheet
    (by header); the chart covers every data row, or data rows `rows` = (first, last), counted from 1.
    `anchor` is the top-left cell, e.g. "H2".
    """

    kind: str
    title: str
    categories: str
    series: tuple[str, ...]
    anchor: str = "H2"
    width_cells: int = 8
    height_cells: int = 16
    rows: tuple[int, int] | None = None


@dataclass(frozen=True)
class OwnedSheet:
    """A sheet the add-in owns and re-writes whole: a header row, then `rows`."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[CellValue, ...], ...]
    charts: tuple[Chart, ...] = ()
    title: str | None = None  # unused by the writer for now; shells may show it


def read_back(rows: list[list[object]], columns: tuple[Column, ...]) -> Iterator[tuple[int, Callable[[str], object]]]:
    """An owned sheet's rows as the reader keeps them (header first, in book.owned_rows): (Excel row, get) for
    each row with a value, get(header) giving its cell (None when blank or when the sheet has no such column).
    Columns are found by header, so a sheet written by an older version, or with a column moved, reads the same."""
    if not rows:
        return
    header = [str(h).strip().casefold() for h in rows[0]]
    where = {c.header.casefold(): header.index(c.header.casefold()) for c in columns if c.header.casefold() in header}
    found = [(c.header, where[c.header.casefold()]) for c in columns if c.header.casefold() in where]
    for n, r in enumerate(rows[1:], start=2):
        if not any(v not in (None, "") for v in r):
            continue
        width = len(r)
        # One dict per row, read by dict.get: an owned sheet may hold 20,000 rows of 20 columns.
        yield n, {name: r[i] for name, i in found if i < width and r[i] != ""}.get


@dataclass(frozen=True)
class AppendRows:
    """Rows to add at the end of an input table (e.g. late fees into Adjustments).

    Each row maps header text (as the user's table spells it, found through the schema) to a value.
    Existing rows, formats and formulas of that sheet are left exactly as they are.
    """

    sheet: str
    rows: tuple[dict[str, CellValue], ...]


@dataclass(frozen=True)
class UpdateCells:
    """Cells of existing data rows of an input table to set (e.g. a claim's Status after its remittance is posted).

    Each is (Excel row number, header text as the user's table spells it, value). Every other cell, row, format
    and formula of the sheet stays exactly as it is. A cell's own format is kept; None (or "") empties the cell.
    Text is stored as text, never as a formula. A `Link` cannot be set into an existing cell.
    """

    sheet: str
    cells: tuple[tuple[int, str, CellValue], ...]


@dataclass(frozen=True)
class Patch:
    """Everything one command wants written: whole owned sheets, rows appended to input tables and cells of
    existing rows of input tables set."""

    sheets: tuple[OwnedSheet, ...] = ()
    appends: tuple[AppendRows, ...] = ()
    updates: tuple[UpdateCells, ...] = ()
    # Optional: the order owned sheets should take when new (after the last input sheet by default).
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.sheets and not any(a.rows for a in self.appends) and not any(u.cells for u in self.updates)
