"""`statement`: a statement of account for one customer and period (one per currency)."""

from __future__ import annotations

import datetime as dt

from billing_addin.commands.records import money, statement_record
from billing_addin.commands.result import Result, loaded_at, stopped
from billing_addin.core.book import Book
from billing_addin.core.dunning import INSURANCE_PENDING
from billing_addin.core.findings import ERROR, Finding, sort_findings
from billing_addin.core.ledger import build_ledger
from billing_addin.core.plans import amount_due, plans_as_of
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
    ledger = build_ledger(book, end)
    stmts = statements(book, customer_id, start, end, ledger=ledger)
    key = customer_id.casefold()
    standing = plans_as_of(book, ledger)
    plans = [p for p in standing.plans if p.terms.customer_id.casefold() == key]
    insurance = {k: why for k, (code, why) in standing.holds.items() if code == INSURANCE_PENDING}
    result.data = {
        "customer_id": stmts[0].customer_id,
        "from": start,
        "to": end,
        "statements": [_with_amount_due(statement_record(s), s, plans, insurance) for s in stmts],
    }
    return result


def _with_amount_due(record: dict, s, plans, insurance: dict[str, str]) -> dict:
    """The statement's amount due: the closing balance, less what a kept payment plan covers, plus the plan's
    installments due by the end date (a customer on a plan is asked for the installment, not the whole), less
    what is still with the insurer (listed under insurance_pending)."""
    pending = [i for i in s.open_items if getattr(i, "invoice_no", "").casefold() in insurance and i.outstanding > 0]
    due, kept = amount_due(
        s.closing, s.open_items, plans, s.currency, frozenset(i.invoice_no.casefold() for i in pending)
    )
    record["amount_due"] = money(due)
    record["insurance_pending"] = [
        {"invoice": i.invoice_no, "amount": money(i.outstanding), "why": insurance[i.invoice_no.casefold()]}
        for i in pending
    ]
    record["payment_plans"] = [
        {
            "plan_id": p.terms.plan_id,
            "amount_due": money(p.amount_due),
            "next_due": p.next_installment.due if p.next_installment else None,
            "next_amount": money(p.next_installment.amount - p.next_installment.paid) if p.next_installment else None,
        }
        for p in kept
    ]
    return record
