"""The billing workbook as typed data: typed columns per input sheet, Excel row numbers and column letters kept.

This module holds plain data only; `reader.py` fills it from a file, and the Excel shell can fill it
from a live workbook. Checks and ledger code work on these objects and never touch files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from billing_addin.core.schema import SETTINGS, SettingSpec, SheetSpec


def column_letter(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


@dataclass(frozen=True)
class CellProblem:
    """A cell whose content could not be read as its column's type."""

    field: str
    row: int  # Excel row number
    code: str
    message: str
    hint: str


@dataclass(frozen=True)
class ColumnProblem:
    """A whole column that cannot be read as its field (reported once, on its header cell)."""

    field: str
    severity: str  # "error" or "warning"
    code: str
    message: str
    hint: str


@dataclass
class SheetData:
    """One input sheet as read: typed columns (None when blank), the Excel row number of each data row,
    and where each column is. Plain lists keep the checks fast (billing_addin.frames gives DataFrames)."""

    spec: SheetSpec
    title: str  # the sheet's name as the user spelled it
    header_row: int  # Excel row number of the header row
    letters: dict[str, str]  # field name -> column letter, for the columns found
    rows: list[int]  # Excel row number of each data row (blank rows skipped)
    columns: dict[str, list]  # field name -> typed values, one per data row
    problems: list[CellProblem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # schema fields with no column (required or not)
    headers: dict[str, str] = field(default_factory=dict)  # field name -> header text as the user wrote it
    extra_headers: list[str] = field(default_factory=list)  # user columns the schema does not know (kept)
    in_table: str | None = None  # name of the Excel Table the data came from, if any
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (column letter, header) of columns not read
    next_free: str = "A"  # the column just right of the header row's last header cell
    column_problems: list[ColumnProblem] = field(default_factory=list)
    # ID field -> Excel rows whose cell held a number (IDs are read as text, "24081" for 24081): an owned sheet
    # writes these back as numbers. Empty when every ID cell held text.
    numeric_ids: dict[str, frozenset[int]] = field(default_factory=dict)

    def cell(self, field_name: str, row: int) -> str:
        """A1 address of a field's cell in a row; the header cell when `row` is the header row."""
        return f"{self.letters[field_name]}{row}"

    def has(self, field_name: str) -> bool:
        return field_name in self.letters

    def numeric_rows(self, field_name: str) -> frozenset[int]:
        """The Excel rows whose `field_name` cell held a number (an ID field; empty for all text)."""
        return self.numeric_ids.get(field_name, frozenset())

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Settings:
    """Values of the Settings sheet, typed, with defaults filled in; `cells` says where each came from."""

    values: dict[str, object]
    cells: dict[str, str] = field(default_factory=dict)  # setting name -> A1 address of its value
    problems: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # name, cell, code, msg, hint
    sheet_title: str | None = None
    given: set[str] = field(default_factory=set)  # the settings whose value the sheet gives (not a default)

    def get(self, name: str, default: object = None) -> object:
        v = self.values.get(name)
        return default if v is None else v

    @property
    def as_of(self) -> dt.date | None:
        v = self.values.get("As-of Date")
        return v if isinstance(v, dt.date) else None

    @classmethod
    def defaults(cls) -> Settings:
        return cls(values={s.name: s.default for s in SETTINGS})


@dataclass
class Book:
    """A whole billing workbook as the core sees it."""

    sheet_titles: list[str]
    sheets: dict[str, SheetData | None]  # by schema sheet name; None when the sheet is absent
    settings: Settings
    owned_rows: dict[str, list[list[object]]] = field(default_factory=dict)  # e.g. the Audit sheet's rows
    source: str = ""  # file name for messages (never a customer name)
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # indexes shared by checks

    def sheet(self, name: str) -> SheetData | None:
        return self.sheets.get(name)


def settings_spec_by_name() -> dict[str, SettingSpec]:
    return {s.name: s for s in SETTINGS}
