"""How the add-in understood a workbook's columns: header cell -> field, the columns it ignores, the fields it
found no column for, and which ignored headers look like a field (so that none is dropped silently).

Pure: it reads a `Book` as the reader made it. `billing columns` prints it; `billing validate` shows it in the
terminal; the lookalike warnings are a validation check (checks.check_columns).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from billing_addin.core.book import Book, SheetData
from billing_addin.core.schema import INPUT_SHEETS, Field, SheetSpec, normalize_header

# How alike an ignored header and a field's name (or alias) must be to be called a likely match: difflib's
# ratio on the normalised texts. 0.8 takes "Paymnt Date" and "Invoice Numbr", not "Paperless Bill".
LIKENESS = 0.8
SHORTEST_PART = 5  # a name inside a header ("invoicenumberref") counts only from this many letters


@dataclass(frozen=True)
class Lookalike:
    """The field an ignored header probably means, and where that field lives."""

    sheet: str  # schema sheet name of the field
    field: str
    same_sheet: bool
    taken_by: str | None  # on the same sheet: the header cell already read as that field


def lookalike(sd: SheetData, header: str) -> Lookalike | None:
    """The field an ignored column's header most resembles, on its own sheet first, then on the others."""
    key = normalize_header(header)
    if not key:
        return None
    best: tuple[float, int, SheetSpec, Field] | None = None
    for spec in INPUT_SHEETS:
        own = spec.name == sd.spec.name
        for f in spec.fields:
            score = max(_likeness(key, normalize_header(n)) for n in (f.name, *f.aliases))
            if score >= LIKENESS and (best is None or (score, own) > (best[0], best[1])):
                best = (score, own, spec, f)
    if best is None:
        return None
    _, own, spec, f = best
    taken = f"{sd.letters[f.name]}{sd.header_row}" if own and f.name in sd.letters else None
    return Lookalike(spec.name, f.name, bool(own), taken)


def _likeness(key: str, name: str) -> float:
    if not name:
        return 0.0
    if key == name:
        return 1.0
    if len(name) >= SHORTEST_PART and (name in key or key in name) and min(len(key), len(name)) >= SHORTEST_PART:
        return 0.85
    return difflib.SequenceMatcher(None, key, name).ratio()


def lookalike_text(sd: SheetData, like: Lookalike) -> str:
    """In words: what an ignored column probably is, and why it is not read."""
    if like.same_sheet and like.taken_by:
        return f"looks like {like.field}, which is read from {like.taken_by}"
    if like.same_sheet:
        return f"looks like {like.field}"
    return f"looks like {like.field} of the {like.sheet} sheet, which {sd.title} does not have"


def column_report(book: Book) -> list[dict]:
    """One entry per input sheet of the schema: where its header is, each column read (cell, header, field),
    each column ignored (cell, header, and the field it looks like, if any), and the fields with no column."""
    out = []
    for spec in INPUT_SHEETS:
        sd = book.sheet(spec.name)
        if sd is None:
            out.append({"sheet": spec.name, "title": None, "found": False, "required": spec.when_missing == "error"})
            continue
        by_letter = sorted(sd.letters.items(), key=lambda kv: (len(kv[1]), kv[1]))
        ignored = []
        for letter, header in sd.ignored:
            like = lookalike(sd, header)
            ignored.append(
                {
                    "cell": f"{letter}{sd.header_row}",
                    "header": header,
                    "looks_like": None if like is None else {"sheet": like.sheet, "field": like.field},
                    "note": None if like is None else lookalike_text(sd, like),
                }
            )
        out.append(
            {
                "sheet": spec.name,
                "title": sd.title,
                "found": True,
                "header_row": sd.header_row,
                "table": sd.in_table,
                "rows": len(sd),
                "columns": [
                    {"cell": f"{letter}{sd.header_row}", "header": sd.headers[name], "field": name}
                    for name, letter in by_letter
                ],
                "ignored": ignored,
                "missing": [{"field": name, "required": spec.field(name).required} for name in sd.missing],
            }
        )
    return out
