"""`dunning`: who would get which reminder letter and why, and who is skipped and why. Nothing is written."""

from __future__ import annotations

import datetime as dt

from billing_addin.commands.figures import dunning_with_plans
from billing_addin.commands.records import dunning_records
from billing_addin.commands.result import Result, loaded_at, stopped
from billing_addin.core.book import Book
from billing_addin.core.findings import sort_findings
from billing_addin.core.held_back import held_back_warning
from billing_addin.core.ledger import build_ledger
from billing_addin.loader import LoadedBook


def dunning(loaded: LoadedBook | Book, as_of: dt.date | None = None) -> Result:
    """Who would get which letter and why, and who is skipped and why (a preview; nothing is written).
    Each letter says whether `billing letters` would hold it back today, and why."""
    loaded = loaded_at(loaded, as_of)
    as_of, book, config = loaded.as_of, loaded.book, loaded.config
    if loaded.stop:
        return stopped("dunning", loaded, as_of)
    decisions, skips, _ = dunning_with_plans(book, config, build_ledger(book, as_of))
    result = Result("dunning", as_of, sort_findings(list(config.level_findings), book.sheet_titles))
    result.data = {"as_of": as_of, **dunning_records(decisions, skips)}
    held = loaded.held
    for letter in result.data["letters"]:
        letter["held_back"] = held.reason_or_none(letter["customer_id"])
    waiting = sum(1 for letter in result.data["letters"] if letter["held_back"])
    if waiting:
        result.findings.append(
            held_back_warning(
                "letters-held-back",
                f"{waiting} of these letters would be held back: validation finds errors in those customers' rows"
                + (" (or an error that concerns every customer)." if held.everyone else "."),
                "Run `billing validate BOOK`; each error names its cell. Letters go out once their errors are fixed.",
            )
        )
    result.counts = {"letters": len(decisions), "skipped": len(skips), "held_back": waiting}
    return result
