"""`fees`: late fees and interest accrued per invoice; with `post`, the ones not yet charged as Late Fee rows
on the Adjustments sheet."""

from __future__ import annotations

import datetime as dt

from billing_addin.commands.records import ZERO, fee_record
from billing_addin.commands.result import Result, append_target, audit_sheet, loaded_at, rows_read, stopped
from billing_addin.core.book import Book
from billing_addin.core.fees import accrue_fees
from billing_addin.core.findings import Finding, sort_findings
from billing_addin.core.held_back import held_back_warning, split_held
from billing_addin.core.ledger import build_ledger
from billing_addin.core.money import cents_to_decimal, format_cents
from billing_addin.core.patch import AppendRows, Patch
from billing_addin.core.plans import plans_as_of
from billing_addin.loader import LoadedBook

LATE_FEE_REASON = "Late fee ({policy}) accrued to {as_of}; posted by the billing add-in"
POSTED_COLUMNS = ("Customer ID", "Invoice No", "Date", "Type", "Amount")


def fees(
    loaded: LoadedBook | Book,
    as_of: dt.date | None = None,
    *,
    post: bool = False,
    now: dt.datetime | None = None,
    user: str | None = None,
) -> Result:
    """Fees accrued per invoice as at `as_of`; with `post`, the patch appends what is not yet charged as
    Late Fee rows on the Adjustments sheet (each marked as made by the add-in) and an Audit row.

    Late fees computed from rows with errors in them would be wrong (a "TBD" amount, a payment applied to no
    invoice): an error that concerns every customer stops the posting; otherwise the customers whose rows
    have errors are held back and the rest are posted. A preview lists the fees the errors hold back."""
    loaded = loaded_at(loaded, as_of)
    as_of, book, config = loaded.as_of, loaded.book, loaded.config
    if loaded.stop:
        return stopped("fees", loaded, as_of)
    ledger = build_ledger(book, as_of)
    plan_fees = plans_as_of(book, ledger).fee_terms  # what payment plans do to the fees of what they cover
    accruals, fee_findings = accrue_fees(book, ledger, config.rates, config.fee_policies, plan_fees)
    findings = [*config.rate_findings, *config.policy_findings, *fee_findings]
    result = Result("fees", as_of, sort_findings(findings, book.sheet_titles))
    result.data = {"as_of": as_of, "fees": [fee_record(f) for f in accruals], "posted": post}
    result.counts = {"errors": len(result.errors), "warnings": len(result.warnings), "rows": rows_read(book)}
    held, errors = loaded.held, loaded.errors
    result.findings = sort_findings([*result.findings, *errors], book.sheet_titles)
    if held.everyone and post:
        result.findings.append(
            held.nothing_goes_out(
                "fees-not-posted",
                errors,
                "Late fees were not posted",
                "Each error above names its cell (or run `billing validate BOOK`); post again once they are fixed.",
                then=" Fix the errors first; nothing was posted.",
            )
        )
        result.data["posted"] = False
        result.counts.update(errors=len(result.errors), warnings=len(result.warnings), posted=0)
        result.details = f"not posted: {len(errors)} validation error(s)"
        return result
    to_post, waiting = split_held(held, [f for f in accruals if f.to_post > 0], lambda f: f.customer_id)
    result.data["held_back"] = [
        {
            "customer_id": f["customer_id"],
            "invoice_no": f["invoice_no"],
            "to_post": f["to_post"],
            "reason": held.reason(f["customer_id"]),
        }
        for f in result.data["fees"]
        if f["to_post"] != ZERO and held.holds(f["customer_id"])
    ]
    customers = {h["customer_id"] for h in result.data["held_back"]}
    if customers and post:
        result.findings.append(
            held_back_warning(
                "fees-held-back",
                f"Late fees of {len(customers)} customer(s) were held back: rows of theirs have the errors above. "
                "Only the other customers' fees are posted.",
                "Fix the errors and post again: the held-back fees are posted then, and nothing twice.",
            )
        )
        result.findings = sort_findings(result.findings, book.sheet_titles)
    result.counts.update(errors=len(result.errors), warnings=len(result.warnings))
    if not post:
        to_post += waiting  # a preview counts every fee due
    total = sum(f.to_post for f in to_post)
    result.details = f"{len(to_post)} late fees, {format_cents(total)} in all" + (" posted" if post else " (preview)")
    if post and to_post:
        appended = _late_fee_rows(book, to_post, as_of)
        if isinstance(appended, Finding):
            result.findings.append(appended)
            return result
        result.patch = Patch(sheets=(audit_sheet(book, result, now, user),), appends=(appended,))
    result.counts["posted"] = len(to_post) if post else 0
    return result


def _late_fee_rows(book: Book, to_post: list, as_of: dt.date) -> AppendRows | Finding:
    """The Late Fee rows to append to Adjustments, or the error that says why they cannot be."""
    adj = append_target(
        book,
        "Adjustments",
        POSTED_COLUMNS,
        "Late fees cannot be posted",
        "Add an Adjustments sheet (`billing new` shows its columns).",
    )
    if isinstance(adj, Finding):
        return adj
    header = adj.headers
    rows = []
    for f in to_post:
        row = {
            header["Customer ID"]: f.customer_id,
            header["Invoice No"]: f.invoice_no,
            header["Date"]: as_of,
            header["Type"]: "Late Fee",
            header["Amount"]: cents_to_decimal(f.to_post),
        }
        if "Adjustment ID" in header:
            row[header["Adjustment ID"]] = f"LF-{f.invoice_no}-{as_of:%Y%m%d}"
        if "Reason" in header:
            row[header["Reason"]] = LATE_FEE_REASON.format(policy=f.policy, as_of=as_of)
        rows.append(row)
    return AppendRows(adj.title, tuple(rows))
