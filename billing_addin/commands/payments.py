"""`payments import` (bank lines matched to customers and invoices, each with why, onto the Bank Import sheet) and
`payments post` (the rows marked Post = Yes appended to Payments, payer names learnt, rows marked posted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from billing_addin.commands.records import money
from billing_addin.commands.result import Result, append_target, audit_sheet, loaded_at, rows_read, stopped
from billing_addin.core.bank_import import ImportRow, import_sheet, mark_posted, proposal_row, read_import_rows
from billing_addin.core.bank_lines import BankLine
from billing_addin.core.book import Book
from billing_addin.core.findings import WARNING, Finding, sort_findings
from billing_addin.core.ledger import Ledger, build_ledger
from billing_addin.core.matching import (
    AUTO,
    DEBIT,
    SKIPPED,
    SUGGESTED,
    UNMATCHED,
    Tolerance,
    match_lines,
    normalize_name,
)
from billing_addin.core.money import cents_to_decimal, format_cents, to_cents
from billing_addin.core.patch import AppendRows, Patch
from billing_addin.core.remittance_sheet import payments_by_trace, read_remittance_rows
from billing_addin.core.schema import (
    ADJUSTMENTS,
    BANK_IMPORT_SHEET,
    CUSTOMERS,
    PAYER_ALIASES,
    PAYMENTS,
    REMITTANCE_SHEET,
)
from billing_addin.loader import LoadedBook

MATCHES = (AUTO, SUGGESTED, UNMATCHED, SKIPPED, DEBIT)
POSTED_COLUMNS = ("Payment ID", "Customer ID", "Payment Date", "Amount", "Bank Transaction ID")


def import_payments(
    loaded: LoadedBook | Book,
    lines: Sequence[BankLine],
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
    ledger: Ledger | None = None,
) -> Result:
    """Match bank lines as at `as_of` (`ledger`: the book's ledger as at that date, when the caller has it): data["lines"] (line, date, amount, currency, reference, payer, match,
    customer_id, invoices, why, candidates). The patch rewrites the Bank Import sheet: its earlier rows as the
    clerk left them, then a row per new line (a line already imported, on the sheet or in Payments, is skipped)."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("payments", loaded, as_of)
    previous = read_import_rows(book.owned_rows.get(BANK_IMPORT_SHEET, []))
    settings = book.settings
    tolerance = Tolerance(
        to_cents(Decimal(str(settings.get("Match Tolerance", 0) or 0))),
        float(settings.get("Match Tolerance %", 0) or 0),
    )
    proposals = match_lines(
        lines,
        ledger if ledger is not None and ledger.as_of == as_of else build_ledger(book, as_of),
        payer_aliases=payer_aliases(book),
        customer_names=customer_names(book),
        known_keys=known_keys(book, previous),
        refunds=refund_rows(book),
        tolerance=tolerance,
        remittances=payments_by_trace(read_remittance_rows(book.owned_rows.get(REMITTANCE_SHEET, []))),
    )
    result = Result("payments", as_of, sort_findings(loaded.errors, book.sheet_titles))
    result.data = {
        "as_of": as_of,
        "lines": [
            {
                "line": p.line.line,
                "source": p.line.source,
                "date": p.line.date,
                "amount": money(p.line.amount),
                "currency": p.line.currency,
                "reference": p.line.reference,
                "payer": p.line.payer,
                "match": p.match,
                "customer_id": p.customer_id,
                "invoices": list(p.invoices),
                "why": p.why,
                "candidates": [
                    {"customer_id": c.customer_id, "invoices": list(c.invoices), "why": c.why} for c in p.candidates
                ],
                "transaction_id": p.line.transaction_id,
                "fee": money(p.line.fee),
            }
            for p in proposals
        ],
    }
    counts = {m: sum(1 for p in proposals if p.match == m) for m in MATCHES}
    result.counts = {
        "errors": len(result.errors),
        "warnings": 0,
        "rows": rows_read(book),
        "lines": len(proposals),
        **counts,
    }
    result.details = ", ".join(f"{counts[m]} {m}" for m in MATCHES if counts[m]) or "no lines"
    new_rows = [proposal_row(p) for p in proposals if p.match != SKIPPED]
    result.patch = Patch(sheets=(import_sheet([*previous, *new_rows]), audit_sheet(book, result, now, user)))
    return result


def post_payments(
    loaded: LoadedBook | Book,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
) -> Result:
    """Append the Bank Import rows marked Post = Yes (and not posted yet) to the Payments table, one Payments row
    per invoice they pay (what is more than those invoices owe goes on the account), learn each payer's name on
    PayerAliases, and mark the rows posted. Validation runs first: an error no one customer owns posts nothing;
    a customer whose rows have errors waits."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("payments", loaded, as_of)
    now = now or dt.datetime.now()
    result = Result("payments", as_of, sort_findings(loaded.errors, book.sheet_titles))
    rows = read_import_rows(book.owned_rows.get(BANK_IMPORT_SHEET, []))
    marked = [r for r in rows if r.post and r.posted is None]
    result.data = {"as_of": as_of, "posted": [], "not_posted": []}
    result.counts = {"errors": len(result.errors), "warnings": 0, "rows": rows_read(book), "posted": 0}
    if not marked:
        result.details = "nothing marked Post = Yes"
        return result
    held = loaded.held
    if held.everyone:
        result.findings.append(
            held.nothing_goes_out(
                "payments-not-posted",
                loaded.errors,
                "No payments were posted",
                "Each error above names its cell (or run `billing validate BOOK`); post once they are fixed.",
            )
        )
        result.details = "not posted: validation errors"
        return result
    pay = append_target(
        book,
        PAYMENTS.name,
        POSTED_COLUMNS,
        "Payments cannot be posted",
        "Add a Payments sheet (`billing new` shows its columns).",
        "Add the column(s) to the Payments table's header row (the Bank Transaction ID keeps a line from "
        "being posted twice).",
    )
    if isinstance(pay, Finding):
        result.findings.append(pay)
        return result
    ledger = build_ledger(book, as_of)
    taken = {str(p).casefold() for p in pay.columns.get("Payment ID", []) if p is not None}
    posted_ids = {str(t).strip().casefold() for t in pay.columns.get("Bank Transaction ID", []) if t is not None}
    known_customers = book.index.customers
    header = pay.headers
    payments_rows, alias_rows, updated = [], [], {r.row: r for r in rows}
    aliases = payer_aliases(book)
    for r in marked:
        why_not = _cannot_post(r, known_customers, ledger, posted_ids, held)
        if why_not:
            result.data["not_posted"].append({"row": r.row, "reason": why_not})
            result.findings.append(
                Finding(
                    WARNING,
                    "payment-not-posted",
                    BANK_IMPORT_SHEET,
                    f"A{r.row}",
                    f"Bank line {r.line} of {r.source}: {why_not}.",
                    "Fix the Customer ID or Invoices cell, or clear Post.",
                )
            )
            continue
        split = _split(r, ledger)
        first_id = None
        for k, (invoice, cents) in enumerate(split, start=1):
            pid = _payment_id(r, k if len(split) > 1 else None, taken)
            first_id = first_id or pid
            row = {
                header["Payment ID"]: pid,
                header["Customer ID"]: r.customer_id,
                header["Payment Date"]: r.date,
                header["Amount"]: cents_to_decimal(cents),
                header["Bank Transaction ID"]: r.transaction_id or r.key,
            }
            optional = {
                "Currency": r.currency,
                "Method": "Bank Transfer",
                "Reference": r.reference[:250] or None,
                "Applied To": invoice,
                "Notes": f"imported from {r.source}, line {r.line}"
                + (f"; processor fee {format_cents(r.fee)} kept" if r.fee else ""),
            }
            for name, value in optional.items():
                if name in header and value is not None:
                    row[header[name]] = value
            payments_rows.append(row)
        posted_ids.add((r.transaction_id or r.key).strip().casefold())
        updated[r.row] = mark_posted(r, as_of, first_id)
        for name in (r.payer, r.account):
            key = normalize_name(name)
            if key and key not in aliases:
                aliases[key] = r.customer_id
                alias_rows.append((name, r.customer_id))
        result.data["posted"].append(
            {
                "row": r.row,
                "customer_id": r.customer_id,
                "amount": money(r.amount),
                "payment_id": first_id,
                "invoices": [i for i, _ in split if i],
            }
        )
    appends = [AppendRows(pay.title, tuple(payments_rows))] if payments_rows else []
    learnt = book.sheet(PAYER_ALIASES.name)
    if alias_rows and learnt is not None and {"Payer", "Customer ID"} <= set(learnt.headers):
        appends.append(
            AppendRows(
                learnt.title,
                tuple({learnt.headers["Payer"]: p, learnt.headers["Customer ID"]: c} for p, c in alias_rows),
            )
        )
        result.data["learnt"] = [{"payer": p, "customer_id": c} for p, c in alias_rows]
    elif alias_rows:
        result.findings.append(
            Finding(
                WARNING,
                "payers-not-learnt",
                PAYER_ALIASES.name,
                "",
                f"{len(alias_rows)} payer name(s) were not learnt: the workbook has no PayerAliases sheet.",
                "Add a PayerAliases sheet (Payer, Customer ID); the next import then knows these payers.",
            )
        )
    result.counts.update(posted=len(result.data["posted"]), warnings=len(result.warnings))
    result.details = f"{len(result.data['posted'])} bank line(s) posted as {len(payments_rows)} payment row(s)"
    if payments_rows:
        result.patch = Patch(
            sheets=(import_sheet([updated[r.row] for r in rows]), audit_sheet(book, result, now, user)),
            appends=tuple(appends),
        )
    result.findings = sort_findings(result.findings, book.sheet_titles)
    return result


def _cannot_post(r: ImportRow, customers, ledger, posted_ids: set[str], held) -> str | None:
    if r.customer_id is None or r.customer_id not in customers:
        return (
            "no Customer ID from the Customers sheet"
            if r.customer_id is None
            else f"customer {r.customer_id} is not on the Customers sheet"
        )
    if r.amount is None or r.amount <= 0 or r.date is None:
        return "not money in (a debit or a blank amount or date is never posted as a payment)"
    if (r.transaction_id or r.key).strip().casefold() in posted_ids:
        return "already in Payments (its Bank Transaction ID is there): not posted twice"
    for no in r.invoices:
        inv = ledger.invoices.get(no) or next(
            (i for n, i in ledger.invoices.items() if n.casefold() == no.casefold()), None
        )
        if inv is None:
            return f"invoice {no} is not on the Invoices sheet"
        if inv.customer_id.casefold() != r.customer_id.casefold():
            return f"invoice {no} is {inv.customer_id}'s, not {r.customer_id}'s"
    if held.holds(r.customer_id):
        return held.reason(r.customer_id)
    return None


def _split(r: ImportRow, ledger) -> list[tuple[str | None, int]]:
    """(Applied To, cents) rows for one bank line: each invoice it names, in order, gets what it owes (the last
    what is left); anything more than they owe goes on the account (Applied To blank)."""
    left, out = r.amount, []
    for no in r.invoices:
        inv = _invoice(ledger, no)
        share = min(left, max(inv.outstanding, 0))
        if share > 0:
            out.append((inv.invoice_no, share))
            left -= share
    if left > 0:
        out.append((None, left))
    return out


def _invoice(ledger, no: str):
    return ledger.invoices.get(no) or next(
        (i for n, i in ledger.invoices.items() if n.casefold() == no.casefold()), None
    )


def _payment_id(r: ImportRow, part: int | None, taken: set[str]) -> str:
    day = r.date.strftime("%Y%m%d") if r.date else "nodate"
    base = f"BANK-{day}-{r.line or r.row}" + (f"-{part}" if part else "")
    pid, n = base, 1
    while pid.casefold() in taken:
        n += 1
        pid = f"{base}-{n}"
    taken.add(pid.casefold())
    return pid


def payer_aliases(book: Book) -> dict[str, str]:
    """Normalized payer name or account -> Customer ID, from the PayerAliases sheet (the first row of each wins)."""
    sd = book.sheet(PAYER_ALIASES.name)
    out: dict[str, str] = {}
    if sd is not None:
        for payer, cid in zip(sd.columns.get("Payer", []), sd.columns.get("Customer ID", [])):
            if payer and cid:
                out.setdefault(normalize_name(str(payer)), cid)
    return out


def customer_names(book: Book) -> dict[str, str]:
    """Normalized customer name -> Customer ID, for the names no two customers share."""
    sd = book.sheet(CUSTOMERS.name)
    out: dict[str, str] = {}
    twice: set[str] = set()
    if sd is not None:
        for cid, name in zip(sd.columns.get("Customer ID", []), sd.columns.get("Name", [])):
            key = normalize_name(str(name or ""))
            if not key or not cid:
                continue
            if key in out and out[key] != cid:
                twice.add(key)
            out.setdefault(key, cid)
    return {k: v for k, v in out.items() if k not in twice}


def known_keys(book: Book, previous: list[ImportRow]) -> dict[str, str]:
    """Lines imported before: on the Bank Import sheet, or posted to Payments with their Bank Transaction ID."""
    out = {r.key: f"{BANK_IMPORT_SHEET} row {r.row}" for r in previous}
    pay = book.sheet(PAYMENTS.name)
    if pay is not None and pay.has("Bank Transaction ID"):
        for row, tid in zip(pay.rows, pay.columns["Bank Transaction ID"]):
            if tid:
                # posted without a bank id, a line's cell holds its date|amount|reference key (ImportRow.key)
                key = str(tid) if "|" in str(tid) else f"id:{str(tid).strip().casefold()}"
                out.setdefault(key, f"{pay.title}!{pay.cell('Bank Transaction ID', row)}")
    return out


def refund_rows(book: Book) -> list[tuple[str, int, str]]:
    """(Customer ID, cents, cell) of the Refund and Returned Payment rows on Adjustments, for the debits."""
    sd = book.sheet(ADJUSTMENTS.name)
    if sd is None or not sd.has("Type") or not sd.has("Amount"):
        return []
    ids = sd.columns.get("Customer ID") or [None] * len(sd.rows)
    return [
        (cid, cents, f"{sd.title}!{sd.cell('Amount', row)}")
        for row, cid, kind, cents in zip(sd.rows, ids, sd.columns["Type"], sd.columns["Amount"])
        if kind in ("Refund", "Returned Payment") and cid and cents
    ]
