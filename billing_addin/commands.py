"""User actions, shared by the ribbon and the command line: (book, as_of, ...) -> Result.

A command never writes. It returns findings, a Patch of what should be written into the workbook,
and a summary of counts; the shell (file writer or xlwings) applies the patch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from billing_addin.book import Book
from billing_addin.checks import run_checks
from billing_addin.findings import ERROR, WARNING, Finding, sort_findings
from billing_addin.patch import DATE_FORMAT, DATETIME_FORMAT, Column, Link, OwnedSheet, Patch

FINDINGS_SHEET = "Findings"
AUDIT_SHEET = "Audit"
AUDIT_COLUMNS = (
    Column("When", 18, DATETIME_FORMAT),
    Column("Command", 14),
    Column("As-of Date", 12, DATE_FORMAT),
    Column("Errors", 8),
    Column("Warnings", 10),
    Column("Rows Read", 11),
    Column("User", 14),
)


@dataclass
class Result:
    """What a command produced: findings for the user, a patch for the workbook, files it made."""

    command: str
    as_of: dt.date
    findings: list[Finding] = field(default_factory=list)
    patch: Patch = field(default_factory=Patch)
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]


def resolve_as_of(book: Book, given: dt.date | None, today: dt.date | None = None) -> dt.date:
    """The as-of date: given on the command line, else the Settings sheet's, else today."""
    return given or book.settings.as_of or today or dt.date.today()


def rows_read(book: Book) -> int:
    return sum(len(sd) for sd in book.sheets.values() if sd is not None)


def validate(book: Book, as_of: dt.date, *, now: dt.datetime | None = None, user: str | None = None) -> Result:
    """Check the whole workbook. The patch holds the Findings sheet (re-written whole, errors first)
    and one more row on the Audit sheet."""
    findings = sort_findings(run_checks(book, as_of), book.sheet_titles)
    result = Result("validate", as_of, findings)
    result.counts = {"errors": len(result.errors), "warnings": len(result.warnings), "rows": rows_read(book)}
    result.patch = Patch(sheets=(findings_sheet(findings), audit_sheet(book, result, now, user)))
    return result


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
        user,
    )
    return OwnedSheet(AUDIT_SHEET, AUDIT_COLUMNS, (*kept, row))


def _blank_to_none(v: object) -> object:
    return None if v == "" else v
