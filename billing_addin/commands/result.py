"""What every command returns, and the pieces they share: the Findings and Audit sheets, the result of a
command that stopped before its figures, and the loaded book a command works on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from billing_addin.core.book import Book, SheetData
from billing_addin.core.findings import ERROR, WARNING, Finding, sort_findings
from billing_addin.core.patch import DATE_FORMAT, DATETIME_FORMAT, Column, Link, OwnedSheet, Patch
from billing_addin.loader import LoadedBook, check_book

FINDINGS_SHEET = "Findings"
AUDIT_SHEET = "Audit"
AUDIT_COLUMNS = (
    Column("When", 18, DATETIME_FORMAT),
    Column("Command", 14),
    Column("As-of Date", 12, DATE_FORMAT),
    Column("Errors", 8),
    Column("Warnings", 10),
    Column("Rows Read", 11),
    Column("Details", 40),
    Column("User", 14),
)


@dataclass
class Result:
    """What a command produced: findings for the user, a patch for the workbook, files it made.

    `data` holds the command's records, typed: money as Decimal (two places), dates as datetime.date, counts as
    int. The command line prints it as JSON (Decimal and date as their text: "120.50", "2026-06-30"); the
    ribbon and the tests read the values as they are."""

    command: str
    as_of: dt.date
    findings: list[Finding] = field(default_factory=list)
    patch: Patch = field(default_factory=Patch)
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # what --json prints besides findings
    details: str = ""  # one line for the Audit sheet
    # The ledger the result was computed from, when there was one (for a refresh in parts, the part computed
    # in this process). Besides letting a caller look further, it lives as long as the result: the `billing`
    # program exits without freeing it (a big book's ledger is a million small objects, and freeing them one
    # by one costs a tenth of a second that helps no one).
    ledger: object = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]


def loaded_at(book: LoadedBook | Book, as_of: dt.date | None) -> LoadedBook:
    """The loaded book checked as at `as_of` (its own date when None). A plain Book (an analyst's, a test's)
    goes through the loader's checks first."""
    if isinstance(book, Book):
        return check_book(book, as_of)
    return book if as_of is None else book.at(as_of)


def rows_read(book: Book) -> int:
    return sum(len(sd) for sd in book.sheets.values() if sd is not None)


def findings_sheet(findings: list[Finding]) -> OwnedSheet:
    rows = tuple(
        (
            f.severity,
            f.code,
            f.sheet,
            Link(f.cell, f"{quote_sheet(f.sheet)}!{f.cell}") if f.cell and f.sheet else f.cell,
            f.message,
            f.hint,
        )
        for f in findings
    )
    columns = (
        Column("Severity", 10),
        Column("Code", 24),
        Column("Sheet", 14),
        Column("Cell", 8),
        Column("Message", 60),
        Column("Hint", 70),
    )
    return OwnedSheet(FINDINGS_SHEET, columns, rows)


def quote_sheet(title: str) -> str:
    """A sheet name as a formula or hyperlink reference: 'My Sheet' with inner quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def audit_sheet(book: Book, result: Result, now: dt.datetime | None, user: str | None) -> OwnedSheet:
    """The Audit sheet as it was, plus one row for this command."""
    previous = book.owned_rows.get(AUDIT_SHEET, [])
    kept = tuple(tuple(_blank_to_none(v) for v in r[: len(AUDIT_COLUMNS)]) for r in previous[1:] if any(r))
    row = (
        (now or dt.datetime.now()).replace(microsecond=0),
        result.command,
        result.as_of,
        result.counts.get("errors", 0),
        result.counts.get("warnings", 0),
        result.counts.get("rows", 0),
        result.details or None,
        user,
    )
    return OwnedSheet(AUDIT_SHEET, AUDIT_COLUMNS, (*kept, row))


def _blank_to_none(v: object) -> object:
    return None if v == "" else v


def stopped(command: str, loaded: LoadedBook, as_of: dt.date) -> Result:
    """The result of a command that made no figures because `loaded.stop` is not empty: the errors, and
    one more that says nothing was computed. data["stopped"] is True; no other figure is there."""
    book = loaded.book
    why = Finding(
        ERROR,
        "no-figures",
        "",
        "",
        f"Nothing was computed: the workbook lacks {len(loaded.stop)} sheet(s) or column(s) the figures depend on, "
        "or could not read them (listed above). Figures made without them would be wrong.",
        "Fix each one at the cell named; `billing columns BOOK` shows how every column was understood.",
    )
    result = Result(command, as_of, [*sort_findings(loaded.errors, book.sheet_titles), why])
    result.data = {"as_of": as_of, "stopped": True}
    result.counts = {"errors": len(result.errors), "warnings": 0, "rows": rows_read(book)}
    result.details = f"stopped: {len(loaded.stop)} missing or unreadable sheet(s) or column(s)"
    return result


def append_target(
    book: Book, sheet: str, needed: tuple[str, ...], cannot: str, sheet_hint: str, column_hint: str | None = None
) -> SheetData | Finding:
    """The sheet a command appends rows to, or the error that says why it cannot: the sheet, or one of the
    `needed` columns, is missing. cannot: what fails, e.g. "Late fees cannot be posted"."""
    sd = book.sheet(sheet)
    if sd is None:
        return Finding(ERROR, "missing-sheet", sheet, "", f"{cannot}: the workbook has no {sheet} sheet.", sheet_hint)
    missing = [n for n in needed if n not in sd.headers]
    if missing:
        return Finding(
            ERROR,
            "missing-column",
            sd.title,
            f"A{sd.header_row}",
            f"{cannot}: {sheet} has no {', '.join(missing)} column.",
            column_hint or f"Add the column(s) to the {sheet} sheet's header row.",
        )
    return sd
