"""A command's Patch as the blocks of cells Excel should receive: what the xlwings shell writes, whole ranges
at a time. Pure data, so it is tested here; only the few xlwings calls that write each block are not.

Excel parses text assigned through COM as if typed (a text "=1+1" becomes a formula, "1/2" a date, "-5" a
number), so every text is written with Excel's text prefix (an apostrophe, which the cell does not show).
Links become HYPERLINK formulas, so a whole sheet is still one block.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from billing_addin.core.book import SheetData
from billing_addin.core.patch import AppendRows, CellValue, Link, OwnedSheet, UpdateCells
from billing_addin.core.schema import normalize_header
from billing_addin.workbook.xlsx.refusal import WriteRefused


@dataclass(frozen=True)
class SheetBlock:
    """An owned sheet: every cell from A1 (header row first), and per column its number format and width."""

    name: str
    values: list[list[object]]
    number_formats: list[str | None]
    widths: list[float]


@dataclass(frozen=True)
class AppendBlock:
    """Rows to add under an input table: `first_row` (Excel row number), then runs of adjacent columns,
    each (first column letter, rows of values). Columns the rows do not name are left alone (their formulas too)."""

    sheet: str
    first_row: int
    last_row: int
    runs: list[tuple[str, list[list[object]]]]


@dataclass(frozen=True)
class UpdateBlock:
    """Cells to set in existing rows of an input table: runs of adjacent cells of one row, each (A1 address of
    its first cell, the values left to right). Every cell the update does not name is left alone."""

    sheet: str
    runs: list[tuple[str, list[object]]]

    @property
    def cells(self) -> int:
        return sum(len(values) for _, values in self.runs)


def excel_value(v: CellValue) -> object:
    """One value as Excel should receive it through xlwings."""
    if isinstance(v, Link):
        location = v.location.replace('"', '""')
        if not isinstance(v.text, str):  # a number stays a number: HYPERLINK gives back its second argument
            return f'=HYPERLINK("#{location}",{v.shown})'
        return f'=HYPERLINK("#{location}","{v.text.replace(chr(34), chr(34) * 2)}")'
    if isinstance(v, str):
        return "'" + v if v else None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime.combine(v, dt.time())  # pywin32 passes datetimes to Excel as dates
    return v


def sheet_block(sheet: OwnedSheet) -> SheetBlock:
    header = [excel_value(c.header) for c in sheet.columns]
    rows = [[excel_value(v) for v in r] for r in sheet.rows]
    return SheetBlock(
        sheet.name,
        [header, *rows],
        [c.number_format for c in sheet.columns],
        [c.width for c in sheet.columns],
    )


def append_block(sd: SheetData, append: AppendRows) -> AppendBlock:
    """Where and what to write to add `append.rows` under the data of `sd` (the sheet as last read)."""
    letter_of = {sd.headers[f]: sd.letters[f] for f in sd.headers}
    index = {letter: _column_index(letter) for letter in letter_of.values()}
    columns = sorted({letter_of[h] for row in append.rows for h in row}, key=index.get)
    first_row = max(sd.rows, default=sd.header_row) + 1
    runs: list[tuple[str, list[list[object]]]] = []
    run: list[str] = []
    for letter in columns:
        if run and index[letter] != index[run[-1]] + 1:
            runs.append(_run(run, letter_of, append))
            run = []
        run.append(letter)
    if run:
        runs.append(_run(run, letter_of, append))
    return AppendBlock(sd.title, first_row, first_row + len(append.rows) - 1, runs)


def update_block(sd: SheetData, update: UpdateCells) -> UpdateBlock:
    """Where and what to write to set `update.cells` in the data rows of `sd` (the sheet as last read): each value
    under its header (matched as the file writer matches it: case, spaces and punctuation ignored), text with
    Excel's text prefix. Raises WriteRefused (nothing written) for a header the sheet lacks, a row that is not one
    of its data rows, or a link."""
    letter_of = {normalize_header(sd.headers[f]): sd.letters[f] for f in sd.headers if f in sd.letters}
    first, last = sd.header_row + 1, max(sd.rows, default=sd.header_row)
    cells: dict[tuple[int, int], object] = {}
    for row, key, value in update.cells:
        letter = letter_of.get(normalize_header(key))
        if letter is None:
            shown = ", ".join(sd.headers.values())[:200]
            raise WriteRefused(
                f"Sheet '{sd.title}' has no column '{key}' (headers: {shown}). Add that header and run again."
            )
        if not isinstance(row, int) or isinstance(row, bool) or not first <= row <= last:
            span = f"rows {first} to {last}" if last >= first else "no data rows"
            raise WriteRefused(
                f"Row {row} of sheet '{sd.title}' is not a data row ({span}), so its '{key}' cell was not set; "
                "nothing was written. Read the workbook again and rerun the command."
            )
        if isinstance(value, Link):
            raise WriteRefused(f"A link cannot be set into cell '{key}' of row {row} on '{sd.title}'; this is a bug.")
        cells[(row, _column_index(letter))] = excel_value(value)
    runs: list[tuple[str, list[object]]] = []
    previous = None
    for row, col in sorted(cells):
        if previous == (row, col - 1):
            runs[-1][1].append(cells[(row, col)])
        else:
            runs.append((f"{_letters(col)}{row}", [cells[(row, col)]]))
        previous = (row, col)
    return UpdateBlock(sd.title, runs)


def _letters(index: int) -> str:
    """1 -> A, 27 -> AA (the inverse of _column_index)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _run(letters: list[str], letter_of: dict[str, str], append: AppendRows) -> tuple[str, list[list[object]]]:
    header_of = {letter: header for header, letter in letter_of.items()}
    return letters[0], [[excel_value(row.get(header_of[letter])) for letter in letters] for row in append.rows]


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n
