"""User actions, shared by the ribbon and the command line: (book, as_of, ...) -> Result.

A command never writes. It returns findings, a Patch of what should be written into the workbook,
and a summary of counts; the shell (file writer or xlwings) applies the patch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from billing_addin.cli.memory import gc_paused
from billing_addin.core.book import Book
from billing_addin.core.checks import check_columns, check_structure, run_checks
from billing_addin.core.findings import ERROR, WARNING, Finding, sort_findings
from billing_addin.core.held_back import HeldBack, held_back, stopping_errors
from billing_addin.core.money import format_cents
from billing_addin.core.patch import DATE_FORMAT, DATETIME_FORMAT, Column, Link, OwnedSheet, Patch

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
    """What a command produced: findings for the user, a patch for the workbook, files it made."""

    command: str
    as_of: dt.date
    findings: list[Finding] = field(default_factory=list)
    patch: Patch = field(default_factory=Patch)
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # what --json prints besides findings
    details: str = ""  # one line for the Audit sheet
    # The ledger the result was computed from, when there was one (for a refresh in parts, the part computed
    # in this process). Besides letting a caller look further, it
    # lives as long as the result: the `billing` program exits without freeing it (a big book's ledger is a
    # million small objects, and freeing them one by one costs a tenth of a second that helps no one).
    ledger: object = field(default=None, repr=False, compare=False)

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
        result.details or None,
        user,
    )
    return OwnedSheet(AUDIT_SHEET, AUDIT_COLUMNS, (*kept, row))


def _blank_to_none(v: object) -> object:
    return None if v == "" else v


# --- checked before figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What validation found before a command made figures: every finding, the customers its errors hold
    back, and the errors that stop every figure (a sheet or column the figures need is missing or unreadable)."""

    findings: list[Finding]
    held: HeldBack
    stop: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]


def check_first(book: Book, as_of: dt.date) -> Checked:
    """Run every check, as each command that prints or writes figures does before it makes them."""
    findings = run_checks(book, as_of)
    return Checked(findings, held_back(book, findings), stopping_errors(findings))


def stopped(command: str, book: Book, as_of: dt.date, checked: Checked) -> Result:
    """The result of a command that made no figures because `checked.stop` is not empty: the errors, and
    one more that says nothing was computed. data["stopped"] is True; no other figure is there."""
    why = Finding(
        ERROR,
        "no-figures",
        "",
        "",
        f"Nothing was computed: the workbook lacks {len(checked.stop)} sheet(s) or column(s) the figures depend on, "
        "or could not read them (listed above). Figures made without them would be wrong.",
        "Fix each one at the cell named; `billing columns BOOK` shows how every column was understood.",
    )
    result = Result(command, as_of, [*sort_findings(checked.errors, book.sheet_titles), why])
    result.data = {"as_of": as_of.isoformat(), "stopped": True}
    result.counts = {"errors": len(result.errors), "warnings": 0, "rows": rows_read(book)}
    result.details = f"stopped: {len(checked.stop)} missing or unreadable sheet(s) or column(s)"
    return result


def held_back_json(checked: Checked, customer_ids) -> list[dict]:
    """{customer_id, reason} for each of `customer_ids` (in order, once) that the checks' errors hold back."""
    out, seen = [], set()
    for cid in customer_ids:
        key = cid.casefold()
        if key not in seen and checked.held.holds(cid):
            seen.add(key)
            out.append({"customer_id": cid, "reason": checked.held.reason(cid)})
    return out


# --- ledger commands -----------------------------------------------------------------------------------


def _ledger_findings(book: Book):
    """The reference rates (the RateTable sheet over the sourced ones) and the findings about them, so that
    refresh and fees show rate problems without a separate validate run."""
    from billing_addin.core.statutory import rates_from_book

    rates, findings = rates_from_book(book)
    return tuple(rates), findings


def refresh(
    book: Book,
    as_of: dt.date,
    *,
    now: dt.datetime | None = None,
    user: str | None = None,
    sheets: bool = True,
    parts: int = 1,
) -> Result:
    """Balances, aging, fees accrued and dunning preview; the patch holds the Balances, Aging, Dunning and
    Dashboard sheets and an Audit row. sheets=False: a preview, with an empty patch (the sheets are a
    quarter of the work on a big book, wasted when nothing will be written). parts > 1: a preview made in
    that many processes, one set of customers each, when the customers are not linked (customer_parts)."""
    from billing_addin.cli.parallel_refresh import split_book

    with gc_paused():
        # A refresh in parts runs the checks in this process while the parts are refreshed in the others; a
        # missing sheet or column (found in a moment) must stop it before the book is cut.
        plans = None
        if (
            parts > 1
            and not sheets
            and not stopping_errors([*check_structure(book, as_of), *check_columns(book, as_of)])
        ):
            plans = split_book(book, parts)
        if plans is not None:
            return _refresh_in_parts(book, as_of, plans)
        checked = check_first(book, as_of)
        if checked.stop:
            return stopped("refresh", book, as_of, checked)
        return _refresh(book, as_of, now, user, sheets, checked)


def _add_checked(result: Result, book: Book, checked: Checked) -> None:
    """A refresh's figures with the validation errors beside them: the errors join the findings (so the
    command exits 1), and the customers they concern are listed under held_back, their letters marked."""
    if not checked.errors:
        result.data["held_back"] = []
        for letter in result.data["dunning"]["letters"]:
            letter["held_back"] = None
        return
    result.findings = sort_findings([*result.findings, *checked.errors], book.sheet_titles)
    result.counts.update(errors=len(result.errors), warnings=len(result.warnings))
    result.data["held_back"] = held_back_json(checked, [c["customer_id"] for c in result.data["customers"]])
    for letter in result.data["dunning"]["letters"]:
        cid = letter["customer_id"]
        letter["held_back"] = checked.held.reason(cid) if checked.held.holds(cid) else None


def _refresh(
    book: Book, as_of: dt.date, now: dt.datetime | None, user: str | None, sheets: bool, checked: Checked
) -> Result:
    from billing_addin.core import reports

    preview, ledger, fees, decisions, skips = _preview(book, as_of)
    result = _refresh_result(book, as_of, [preview], checked)
    result.ledger = ledger
    if not sheets:
        return result
    result.patch = Patch(
        sheets=(
            reports.balances_sheet(book, ledger, fees),
            reports.aging_sheet(book, ledger),
            reports.dunning_sheet(decisions, skips, reports.customer_id_cells(book)),
            reports.dashboard_sheet(book, ledger),
            audit_sheet(book, result, now, user),
        )
    )
    return result


def _refresh_in_parts(book: Book, as_of: dt.date, plans: list) -> Result:
    """The parts refreshed in forked processes while this one runs the checks (work 0)."""
    from billing_addin.cli.parallel_refresh import book_part, run_parts

    ledgers = []

    def part(k: int) -> Preview | Checked:
        if k == 0:
            return check_first(book, as_of)
        preview, ledger, *_ = _preview(book_part(book, plans[k - 1]), as_of)
        ledgers.append(ledger)  # only when a part was done here: kept with the result (see Result.ledger)
        return preview

    checked, *previews = run_parts(part, len(plans) + 1)
    if checked.stop:
        return stopped("refresh", book, as_of, checked)
    result = _refresh_result(book, as_of, previews, checked)
    result.ledger = ledgers[0] if ledgers else None
    return result


@dataclass
class Preview:
    """A refresh's figures for a book, or for one part of it (customer_parts), in the form the parts' are
    put back together from: money in cents, and with every list, what orders it in the whole."""

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


def _preview(book: Book, as_of: dt.date):
    """(Preview, ledger, fees, dunning decisions, dunning skips) of a book."""
    from billing_addin.core.dunning import levels_from_book, plan_dunning
    from billing_addin.core.fees import accrue_fees
    from billing_addin.core.ledger import build_ledger
    from billing_addin.core.letter_log import LETTERS_SHEET, read_letter_log
    from billing_addin.core.reports import credit_sales

    ledger = build_ledger(book, as_of)
    rates, findings = _ledger_findings(book)
    fees, fee_findings = accrue_fees(book, ledger, rates)
    levels, level_findings = levels_from_book(book)
    log = read_letter_log(book.owned_rows.get(LETTERS_SHEET, []))
    decisions, skips = plan_dunning(book, as_of, ledger=ledger, levels=levels, log=log)
    totals: dict[str, list[int]] = {}
    for c in ledger.customers:
        t = totals.setdefault(c.currency, [0] * (4 + len(c.buckets)))
        for i, cents in enumerate((c.open_items, c.unapplied_credit, c.balance, c.overdue, *c.buckets)):
            t[i] += cents
    invoices = ledger.invoices
    dunning = dunning_json(decisions, skips)
    preview = Preview(
        ledger.bucket_labels,
        totals,
        credit_sales(ledger),
        [customer_json(c) for c in ledger.customers],
        [(invoices[f.invoice_no].row, fee_json(f)) for f in fees],
        sum(1 for f in fees if f.to_post),
        dunning["letters"],
        dunning["skipped"],
        findings + fee_findings + level_findings,
        invoices_json(ledger),
    )
    return preview, ledger, fees, decisions, skips


def _refresh_result(book: Book, as_of: dt.date, previews: list[Preview], checked: Checked) -> Result:
    """The refresh result (findings, counts, details, data) of a book from its previews (one for the whole
    book, or one per part), with what the checks found (see _add_checked)."""
    from billing_addin.core.reports import dso

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
        days = dso(receivables, sales.get(cur, 0))
        portfolio[cur] = {
            "receivables": money_text(receivables),
            "unapplied_credit": money_text(credit),
            "balance": money_text(balance),
            "overdue": money_text(overdue),
            "buckets": {label: money_text(b) for label, b in zip(previews[0].bucket_labels, buckets)},
            "dso_days": None if days is None else str(days),
        }
    customers = _merged([p.customers for p in previews], _by_customer)
    fees = [fee for _, fee in _merged([p.fees for p in previews], lambda f: f[0])]
    letters = _merged([p.letters for p in previews], _by_customer)
    result.data = {
        "as_of": as_of.isoformat(),
        "portfolio": portfolio,
        "customers": customers,
        "fees": fees,
        "dunning": {"letters": letters, "skipped": _merged([p.skipped for p in previews], _by_customer)},
        "invoices": [line for _, line in _merged([p.invoices for p in previews], _by_row)],
    }
    to_post = sum(p.fees_to_post for p in previews)
    result.details = (
        f"{len(customers)} customer balances, {to_post} invoices with fees to post, {len(letters)} letters due"
    )
    _add_checked(result, book, checked)
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


def money_text(cents: int | None) -> str | None:
    return None if cents is None else format_cents(cents)


def customer_json(c) -> dict:
    return {
        "customer_id": c.customer_id,
        "currency": c.currency,
        "balance": money_text(c.balance),
        "unapplied_credit": money_text(c.unapplied_credit),
        "overdue": money_text(c.overdue),
        "oldest_overdue": c.oldest_overdue.isoformat() if c.oldest_overdue else None,
        "last_payment": c.last_payment.isoformat() if c.last_payment else None,
        "buckets": [money_text(b) for b in c.buckets],
        "max_days_past_due": c.max_days_past_due,
    }


class _Texts(dict):
    """value -> its JSON text, each made once: a big book's invoices repeat few dates and amounts."""

    def __init__(self, make, *known):
        super().__init__(known)
        self.make = make

    def __missing__(self, value):
        text = self[value] = self.make(value)
        return text


def invoices_json(ledger) -> list[tuple[int, dict]]:
    """Each invoice issued by the as-of date, as a line of the Balances sheet, with its row on the Invoices
    sheet (the ledger keeps them in row order). A void invoice owes nothing and was never paid: paid and
    balance 0.00, paid_date and days_late null. balance is what is still owed, fees included."""
    from billing_addin.core.ledger import VOID

    as_of = ledger.as_of
    day = _Texts(dt.date.isoformat, (None, None))
    money = _Texts(format_cents, (0, "0.00"))
    out = []
    for inv in ledger.invoices.values():
        if inv.invoice_date > as_of:
            continue  # not yet part of the balance, as on the Balances sheet
        void = inv.status == VOID
        out.append(
            (
                inv.row,
                {
                    "invoice_no": inv.invoice_no,
                    "customer_id": inv.customer_id,
                    "currency": inv.currency,
                    "invoice_date": day[inv.invoice_date],
                    "due_date": day[inv.due_date],
                    "amount": money[inv.amount],
                    "paid": "0.00" if void else money[inv.paid],
                    "balance": "0.00" if void else money[inv.outstanding],
                    "status": inv.status,
                    "paid_date": day[inv.paid_date],
                    "days_late": None if void else inv.days_late,
                },
            )
        )
    return out


def fee_json(f) -> dict:
    return {
        "invoice_no": f.invoice_no,
        "customer_id": f.customer_id,
        "currency": f.currency,
        "policy": f.policy,
        "interest": money_text(f.interest),
        "fixed": money_text(f.fixed),
        "accrued": money_text(f.accrued),
        "charged": money_text(f.charged),
        "to_post": money_text(f.to_post),
        "detail": f.detail,
    }


def dunning_json(decisions, skips) -> dict:
    return {
        "letters": [
            {
                "customer_id": d.customer_id,
                "currency": d.currency,
                "level": d.level,
                "letter_template": d.letter_template,
                "invoices": list(d.invoices),
                "overdue": money_text(d.overdue_cents),
                "max_days_past_due": d.max_days_past_due,
                "fee_policy": d.fee_policy,
                "previous_level": d.previous_level,
                "previous_date": d.previous_date.isoformat() if d.previous_date else None,
                "reason": d.reason,
            }
            for d in decisions
        ],
        "skipped": [
            {"customer_id": s.customer_id, "currency": s.currency, "reason_code": s.reason_code, "reason": s.reason}
            for s in skips
        ],
    }


LATE_FEE_REASON = "Late fee ({policy}) accrued to {as_of}; posted by the billing add-in"


def fees(
    book: Book, as_of: dt.date, *, post: bool = False, now: dt.datetime | None = None, user: str | None = None
) -> Result:
    """Fees accrued per invoice as at `as_of`; with `post`, the patch appends what is not yet charged as
    Late Fee rows on the Adjustments sheet (each marked as made by the add-in) and an Audit row."""
    from billing_addin.core.fees import accrue_fees
    from billing_addin.core.ledger import build_ledger
    from billing_addin.core.patch import AppendRows

    checked = check_first(book, as_of)
    if checked.stop:
        return stopped("fees", book, as_of, checked)
    ledger = build_ledger(book, as_of)
    rates, findings = _ledger_findings(book)
    accruals, fee_findings = accrue_fees(book, ledger, rates)
    result = Result("fees", as_of, sort_findings(findings + fee_findings, book.sheet_titles))
    to_post = [f for f in accruals if f.to_post > 0]
    result.data = {"as_of": as_of.isoformat(), "fees": [fee_json(f) for f in accruals], "posted": post}
    result.counts = {"errors": len(result.errors), "warnings": len(result.warnings), "rows": rows_read(book)}
    held = _checked_for_posting(book, result, checked, post)
    if held is None:
        return result
    if post:
        to_post = [f for f in to_post if not held.holds(f.customer_id)]
    total = sum(f.to_post for f in to_post)
    result.details = f"{len(to_post)} late fees, {money_text(total)} in all" + (" posted" if post else " (preview)")
    if post and to_post:
        adj = book.sheet("Adjustments")
        if adj is None:
            result.findings.append(
                Finding(
                    ERROR,
                    "missing-sheet",
                    "Adjustments",
                    "",
                    "Late fees cannot be posted: the workbook has no Adjustments sheet.",
                    "Add an Adjustments sheet (`billing new` shows its columns).",
                )
            )
            return result
        header = adj.headers
        needed = ("Customer ID", "Invoice No", "Date", "Type", "Amount")
        missing = [n for n in needed if n not in header]
        if missing:
            result.findings.append(
                Finding(
                    ERROR,
                    "missing-column",
                    adj.title,
                    f"A{adj.header_row}",
                    f"Late fees cannot be posted: Adjustments has no {', '.join(missing)} column.",
                    "Add the column(s) to the Adjustments sheet's header row.",
                )
            )
            return result
        rows = []
        for f in to_post:
            row = {
                header["Customer ID"]: f.customer_id,
                header["Invoice No"]: f.invoice_no,
                header["Date"]: as_of,
                header["Type"]: "Late Fee",
                header["Amount"]: money_decimal(f.to_post),
            }
            if "Adjustment ID" in header:
                row[header["Adjustment ID"]] = f"LF-{f.invoice_no}-{as_of:%Y%m%d}"
            if "Reason" in header:
                row[header["Reason"]] = LATE_FEE_REASON.format(policy=f.policy, as_of=as_of)
            rows.append(row)
        result.patch = Patch(
            sheets=(audit_sheet(book, result, now, user),), appends=(AppendRows(adj.title, tuple(rows)),)
        )
    result.counts["posted"] = len(to_post) if post else 0
    return result


def _checked_for_posting(book: Book, result: Result, checked: Checked, post: bool):
    """Late fees computed from rows with errors in them would be wrong (a "TBD" amount, a payment applied
    to no invoice). Validated first: an error that concerns every customer (or one whose customer cannot be
    told) stops the posting, and None is returned; otherwise the customers whose rows have errors are held
    back and the rest are posted. Either way the result carries the errors and says what was not posted.
    A preview (not `post`) lists the errors and the fees they hold back, and posts nothing anyway."""
    held = checked.held
    errors = checked.errors
    result.findings = sort_findings([*result.findings, *errors], book.sheet_titles)
    if held.everyone and post:
        result.findings.append(
            Finding(
                ERROR,
                "fees-not-posted",
                "",
                "",
                f"Late fees were not posted: validation found {len(errors)} error(s), {len(held.everyone)} of them "
                "concerning every customer (or a customer that cannot be told). Fix the errors first; nothing was posted.",
                "Each error above names its cell (or run `billing validate BOOK`); post again once they are fixed.",
            )
        )
        result.data["posted"] = False
        result.counts.update(errors=len(result.errors), warnings=len(result.warnings), posted=0)
        result.details = f"not posted: {len(errors)} validation error(s)"
        return None
    result.data["held_back"] = [
        {
            "customer_id": f["customer_id"],
            "invoice_no": f["invoice_no"],
            "to_post": f["to_post"],
            "reason": held.reason(f["customer_id"]),
        }
        for f in result.data["fees"]
        if f["to_post"] != "0.00" and held.holds(f["customer_id"])
    ]
    customers = {h["customer_id"] for h in result.data["held_back"]}
    if customers and post:
        result.findings.append(
            Finding(
                WARNING,
                "fees-held-back",
                "",
                "",
                f"Late fees of {len(customers)} customer(s) were held back: rows of theirs have the errors above. "
                "Only the other customers' fees are posted.",
                "Fix the errors and post again: the held-back fees are posted then, and nothing twice.",
            )
        )
        result.findings = sort_findings(result.findings, book.sheet_titles)
    result.counts.update(errors=len(result.errors), warnings=len(result.warnings))
    return held


def money_decimal(cents: int):
    from billing_addin.core.money import cents_to_decimal

    return cents_to_decimal(cents)


def dunning(book: Book, as_of: dt.date) -> Result:
    """Who would get which letter and why, and who is skipped and why (a preview; nothing is written)."""
    from billing_addin.core.dunning import levels_from_book, plan_dunning
    from billing_addin.core.ledger import build_ledger
    from billing_addin.core.letter_log import LETTERS_SHEET, read_letter_log

    checked = check_first(book, as_of)
    if checked.stop:
        return stopped("dunning", book, as_of, checked)
    ledger = build_ledger(book, as_of)
    levels, findings = levels_from_book(book)
    decisions, skips = plan_dunning(
        book, as_of, ledger=ledger, levels=levels, log=read_letter_log(book.owned_rows.get(LETTERS_SHEET, []))
    )
    result = Result("dunning", as_of, sort_findings(findings, book.sheet_titles))
    result.data = {"as_of": as_of.isoformat(), **dunning_json(decisions, skips)}
    # The letters that `billing letters` would hold back today, and why: validation errors in the customer's rows.
    held = checked.held
    for letter in result.data["letters"]:
        letter["held_back"] = held.reason(letter["customer_id"]) if held.holds(letter["customer_id"]) else None
    waiting = sum(1 for letter in result.data["letters"] if letter["held_back"])
    if waiting:
        result.findings.append(
            Finding(
                WARNING,
                "letters-held-back",
                "",
                "",
                f"{waiting} of these letters would be held back: validation finds errors in those customers' rows"
                + (" (or an error that concerns every customer)." if held.everyone else "."),
                "Run `billing validate BOOK`; each error names its cell. Letters go out once their errors are fixed.",
            )
        )
    result.counts = {"letters": len(decisions), "skipped": len(skips), "held_back": waiting}
    return result


def statement(book: Book, customer_id: str, start: dt.date, end: dt.date) -> Result:
    """A statement of account for one customer and period (one per currency). KeyError if unknown."""
    from billing_addin.core.statements import statements

    checked = check_first(book, end)
    if checked.stop:
        return stopped("statement", book, end, checked)
    if checked.held.holds(customer_id):  # a statement from rows with errors in them would tell wrong amounts
        result = Result("statement", end, sort_findings(checked.errors, book.sheet_titles))
        result.findings.append(
            Finding(
                ERROR,
                "statement-held-back",
                "",
                "",
                f"No statement for {customer_id}: {checked.held.reason(customer_id)}.",
                "Each error above names its cell (or run `billing validate BOOK`).",
            )
        )
        result.data = {"customer_id": customer_id, "stopped": True}
        return result
    result = Result("statement", end)
    stmts = statements(book, customer_id, start, end)
    result.data = {
        "customer_id": stmts[0].customer_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "statements": [statement_json(s) for s in stmts],
    }
    return result


def statement_json(s) -> dict:
    return {
        "currency": s.currency,
        "opening_balance": money_text(s.opening),
        "closing_balance": money_text(s.closing),
        "lines": [
            {
                "date": ln.date.isoformat(),
                "kind": ln.kind,
                "reference": ln.reference,
                "invoice_no": ln.invoice_no,
                "charge": money_text(ln.charge),
                "credit": money_text(ln.credit),
                "balance": money_text(ln.balance),
                "due_date": ln.due_date.isoformat() if ln.due_date else None,
                "disputed": ln.disputed,
            }
            for ln in s.lines
        ],
        "aging": dict(zip(s.bucket_labels, (money_text(b) for b in s.buckets))),
        "unapplied_credit": money_text(s.unapplied_credit),
        "open_items": [
            {
                "invoice_no": getattr(i, "invoice_no", getattr(i, "key", "")),
                "due_date": (getattr(i, "due_date", None) or i.date).isoformat(),
                "outstanding": money_text(i.outstanding),
                "days_past_due": getattr(i, "days_past_due", 0),
                "disputed": getattr(i, "disputed", False),
            }
            for i in s.open_items
        ],
    }
