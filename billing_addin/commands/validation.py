"""`validate`: every check over the whole book, written to the Findings sheet."""

from __future__ import annotations

import datetime as dt

from billing_addin.commands.result import Result, audit_sheet, findings_sheet, loaded_at, rows_read
from billing_addin.core.book import Book
from billing_addin.core.findings import sort_findings
from billing_addin.core.patch import Patch
from billing_addin.loader import LoadedBook


def validate(
    loaded: LoadedBook | Book,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
) -> Result:
    """Check the whole workbook. The patch holds the Findings sheet (re-written whole, errors first)
    and one more row on the Audit sheet."""
    loaded = loaded_at(loaded, as_of)
    book = loaded.book
    findings = sort_findings(list(loaded.findings), book.sheet_titles)
    result = Result("validate", loaded.as_of, findings)
    result.counts = {"errors": len(result.errors), "warnings": len(result.warnings), "rows": rows_read(book)}
    result.patch = Patch(sheets=(findings_sheet(findings), audit_sheet(book, result, now, user)))
    return result
