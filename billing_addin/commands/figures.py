"""`refresh`: balances, aging, fees accrued and the dunning preview, with the Balances, Aging, Dunning and
Dashboard sheets to write. A big book's preview can be made in parts (one set of customers each) and put
back together: `preview` makes one part's figures, `refresh_result` joins them (cli/parallel_refresh.py
runs the parts in processes; nothing here starts one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from billing_addin.commands.records import (
    customer_record,
    dunning_records,
    fee_record,
    held_back_records,
    invoice_records,
    money,
    plan_record,
)
from billing_addin.commands.result import Result, audit_sheet, loaded_at, rows_read, stopped
from billing_addin.core import reports
from billing_addin.core.book import Book
from billing_addin.core.claim_worklist import claims_worklist, worklist_sheet
from billing_addin.core.config import Config
from billing_addin.core.dunning import plan_dunning
from billing_addin.core.fees import accrue_fees
from billing_addin.core.findings import Finding, sort_findings
from billing_addin.core.ledger import build_ledger
from billing_addin.core.patch import Patch
from billing_addin.core.plans import BROKEN, PlansAsOf, plans_as_of
from billing_addin.core.schema import CLAIMS
from billing_addin.loader import LoadedBook


def refresh(
    loaded: LoadedBook | Book,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
    sheets: bool = True,
) -> Result:
    """Balances, aging, fees accrued and dunning preview; the patch holds the Balances, Aging, Dunning and
    Dashboard sheets (PlanSchedule with payment plans, ClaimsWorklist with a Claims sheet) and an Audit row. sheets=False: a preview, with an empty patch (the sheets are a
    quarter of the work on a big book, wasted when nothing will be written)."""
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    if loaded.stop:
        return stopped("refresh", loaded, as_of)
    part, ledger, fees, decisions, skips, standing = preview(book, loaded.config, as_of)
    result = refresh_result(loaded, [part])
    result.ledger = ledger
    if sheets:
        customer_cell = reports.customer_id_cells(book)
        result.patch = Patch(
            sheets=(
                reports.balances_sheet(book, ledger, fees),
                reports.aging_sheet(book, ledger),
                reports.dunning_sheet(decisions, skips, customer_cell, broken_promises(standing)),
                reports.dashboard_sheet(book, ledger),
                *([reports.plan_schedule_sheet(standing.plans, customer_cell)] if standing.plans else []),
                *([worklist_sheet(book, claims_worklist(book, as_of))] if book.sheet(CLAIMS.name) else []),
                audit_sheet(book, result, now, user),
            )
        )
    return result


@dataclass
class Preview:
    """A refresh's figures for a book, or for one part of it, in the form the parts' are put back together
    from: money in cents, and with every list, what orders it in the whole."""

    bucket_labels: tuple[str, ...]
    totals: dict[str, list[int]]  # currency -> receivables, unapplied credit, balance, overdue, *buckets
    sales: dict[str, int]  # currency -> credit sales in the DSO window
    customers: list[dict]  # by customer ID, then currency
    fees: list[tuple[int, dict]]  # (Invoices row of the invoice, its fee): by row
    fees_to_post: int
    letters: list[dict]  # by customer ID, then currency
    skipped: list[dict]  # by customer ID, then currency
    findings: list[Finding]
    invoices: list[tuple[int, dict]] = field(default_factory=list)  # (Invoices row, the invoice): by row
    plans: list[tuple[int, dict]] = field(default_factory=list)  # (PaymentPlans row, the plan): by row


def preview(book: Book, config: Config, as_of: dt.date):
    """(Preview, ledger, fees, dunning decisions, dunning skips, plans and promises) of a book, or of a part of
    one. Payment plans and promises to pay hold the reminders and fees of what they cover."""
    ledger = build_ledger(book, as_of)
    decisions, skips, standing = dunning_with_plans(book, config, ledger)
    fees, fee_findings = accrue_fees(book, ledger, config.rates, config.fee_policies, standing.fee_terms)
    totals: dict[str, list[int]] = {}
    for c in ledger.customers:
        t = totals.setdefault(c.currency, [0] * (4 + len(c.buckets)))
        for i, cents in enumerate((c.open_items, c.unapplied_credit, c.balance, c.overdue, *c.buckets)):
            t[i] += cents
    invoices = ledger.invoices
    dunning = dunning_records(decisions, skips)
    part = Preview(
        ledger.bucket_labels,
        totals,
        reports.credit_sales(ledger),
        [customer_record(c) for c in ledger.customers],
        [(invoices[f.invoice_no].row, fee_record(f)) for f in fees],
        sum(1 for f in fees if f.to_post),
        dunning["letters"],
        dunning["skipped"],
        [*config.rate_findings, *config.policy_findings, *fee_findings, *config.level_findings],
        invoice_records(ledger),
        [(p.terms.row, plan_record(p)) for p in standing.plans],
    )
    return part, ledger, fees, decisions, skips, standing


def dunning_with_plans(book: Book, config: Config, ledger) -> tuple[list, list, PlansAsOf]:
    """Who gets which reminder as at the ledger's date, with payment plans kept and promises not yet due holding
    what they cover (and broken ones told in the reason): (decisions, skips, the plans and promises)."""
    standing = plans_as_of(book, ledger)
    decisions, skips = plan_dunning(
        book,
        ledger.as_of,
        ledger=ledger,
        levels=config.dunning_levels,
        log=config.letter_log,
        holds=standing.holds,
        notes=standing.notes,
    )
    return decisions, skips, standing


def refresh_result(loaded: LoadedBook, previews: list[Preview]) -> Result:
    """The refresh result (findings, counts, details, data) from its previews (one for the whole book, or
    one per part), with what the checks found: their errors join the findings (so the command exits 1), and
    the customers they concern are listed under held_back, their letters marked."""
    book, as_of = loaded.book, loaded.as_of
    findings = sort_findings([f for p in previews for f in p.findings], book.sheet_titles)
    result = Result("refresh", as_of, findings)
    result.counts = {"errors": len(result.errors), "warnings": len(result.warnings), "rows": rows_read(book)}
    totals: dict[str, list[int]] = {}
    sales: dict[str, int] = {}
    for p in previews:
        for cur, t in p.totals.items():
            totals[cur] = [a + b for a, b in zip(totals[cur], t)] if cur in totals else t
        for cur, cents in p.sales.items():
            sales[cur] = sales.get(cur, 0) + cents
    portfolio = {}
    for cur in sorted(totals):
        receivables, credit, balance, overdue, *buckets = totals[cur]
        portfolio[cur] = {
            "receivables": money(receivables),
            "unapplied_credit": money(credit),
            "balance": money(balance),
            "overdue": money(overdue),
            "buckets": {label: money(b) for label, b in zip(previews[0].bucket_labels, buckets)},
            "dso_days": reports.dso(receivables, sales.get(cur, 0)),
        }
    customers = _merged([p.customers for p in previews], _by_customer)
    fees = [fee for _, fee in _merged([p.fees for p in previews], _by_row)]
    letters = _merged([p.letters for p in previews], _by_customer)
    result.data = {
        "as_of": as_of,
        "portfolio": portfolio,
        "customers": customers,
        "fees": fees,
        "dunning": {"letters": letters, "skipped": _merged([p.skipped for p in previews], _by_customer)},
        "invoices": [line for _, line in _merged([p.invoices for p in previews], _by_row)],
        "plans": [plan for _, plan in _merged([p.plans for p in previews], _by_row)],
    }
    to_post = sum(p.fees_to_post for p in previews)
    result.details = (
        f"{len(customers)} customer balances, {to_post} invoices with fees to post, {len(letters)} letters due"
    )
    held = loaded.held
    errors = loaded.errors
    result.data["held_back"] = held_back_records(held, [c["customer_id"] for c in customers]) if errors else []
    for letter in letters:
        letter["held_back"] = held.reason_or_none(letter["customer_id"]) if errors else None
    if errors:
        result.findings = sort_findings([*result.findings, *errors], book.sheet_titles)
        result.counts.update(errors=len(result.errors), warnings=len(result.warnings))
    return result


def _merged(lists: list[list], key) -> list:
    """The parts' lists as one, in the whole's order (each list is in that order already)."""
    if len(lists) == 1:
        return lists[0]
    return sorted((x for part in lists for x in part), key=key)  # stable: a customer's lines keep their order


def _by_customer(line: dict) -> tuple[str, str]:
    return line["customer_id"], line["currency"]


def _by_row(item: tuple[int, dict]) -> int:
    return item[0]


def broken_promises(standing: PlansAsOf) -> list:
    return [p for p in standing.promises if p.state == BROKEN]
