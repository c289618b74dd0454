"""`statement`: a statement of account for one customer and period (one per currency)."""

from __future__ import annotations

import datetime as dt

from billing_addin.commands.records import statement_record
from billing_addin.commands.result import Result, loaded_at, stopped
from billing_addin.core.book import Book
from billing_addin.core.findings import ERROR, Finding, sort_findings
from billing_addin.core.statements import statements
from billing_addin.loader import LoadedBook


def statement(loaded: LoadedBook | Book, customer_id: str, start: dt.date, end: dt.date) -> Result:
    """A statement of account for one customer from `start` to `end` (the as-of date). KeyError if the
    customer is unknown. A customer whose rows have errors gets none: it would tell wrong amounts."""
    loaded = loaded_at(loaded, end)
    book = loaded.book
    if loaded.stop:
        return stopped("statement", loaded, end)
    if loaded.held.holds(customer_id):
        result = Result("statement", end, sort_findings(loaded.errors, book.sheet_titles))
        result.findings.append(
            Finding(
                ERROR,
                "statement-held-back",
                "",
                "",
                f"No statement for {customer_id}: {loaded.held.reason(customer_id)}.",
                "Each error above names its cell (or run `billing validate BOOK`).",
            )
        )
        result.data = {"customer_id": customer_id, "stopped": True}
        return result
    result = Result("statement", end)
    stmts = statements(book, customer_id, start, end)
    result.data = {
        "customer_id": stmts[0].customer_id,
        "from": start,
        "to": end,
        "statements": [statement_record(s) for s in stmts],
    }
    return result
