"""Dunning: who gets which reminder letter now, and who is skipped and why.

Pure functions of (book, as_of, ledger, levels, letter log). Nothing here reads files or the clock.

The rules (the billing specialist's, written down):
- One letter per customer and currency; it bundles every eligible overdue invoice, most overdue first.
- Eligible: outstanding, past due, not void, not disputed, not on hold (Hold Until after the as-of date).
- The most overdue eligible invoice decides how far the customer has come; levels still go out one after
  another: a customer 90 days late with nothing sent gets level 1 first.
- The Letters log says which level went out last and when. A level counts as sent once it is in the log
  (kind dunning, status made or sent, dated on or before the as-of date). A logged letter that lists its
  invoices counts only while one of them is still eligible and overdue: once that debt is settled, the
  next overdue invoice starts again at level 1.
- The next level goes out when its Days Past Due is reached, its Days Since Previous have passed since
  the last letter, and the overdue total is at least its Min Balance.
- Customers set to Manual or Excluded, or on a payment plan in good standing, get no letter.
Reasons name invoices, amounts and dates, never a customer's name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from billing_addin.core.book import Book, SheetData
from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.ledger import VOID, InvoiceBalance, Ledger, build_ledger
from billing_addin.core.letter_log import LETTERS_SHEET, LetterRecord, read_letter_log
from billing_addin.core.money import format_cents
from billing_addin.core.schema import DUNNING_LEVELS, OWNED_SHEETS
from billing_addin.core.sheet_checks import check_cell_types, check_duplicate_keys, check_required, check_structure

# Skip reason codes (stable: the Dunning sheet, the JSON output and tests use them).
DUNNING_MANUAL = "dunning-manual"
DUNNING_EXCLUDED = "dunning-excluded"
PAYMENT_PLAN = "payment-plan"
ALL_DISPUTED = "all-disputed"
ON_HOLD = "on-hold"
PROMISED = "promised"
INSURANCE_PENDING = "insurance-pending"  # the invoice's claim is with the insurer (or denied): not the patient's yet
NOT_OVERDUE_ENOUGH = "not-overdue-enough"
ALREADY_AT_LEVEL = "already-at-level"
BELOW_MINIMUM = "below-minimum"
WAITING = "waiting"

COUNTED_STATUSES = frozenset({"made", "sent"})  # a letter in the log with another status was never sent
LIST_LIMIT = 5  # invoice numbers named in one reason before "and N more"


@dataclass(frozen=True)
class DunningLevel:
    """One row of the DunningLevels sheet. Money in cents."""

    level: int
    days_past_due: int
    letter_template: str
    fee_policy: str | None = None
    min_balance: int = 0
    days_since_previous: int = 0


DEFAULT_LEVELS: tuple[DunningLevel, ...] = (
    DunningLevel(1, 7, "reminder.docx", None, 0, 0),
    DunningLevel(2, 30, "past_due.docx", None, 0, 14),
    DunningLevel(3, 60, "final_notice.docx", None, 0, 14),
)


@dataclass(frozen=True)
class DunningDecision:
    """A letter that should go out now: one customer, one currency, one level, its invoices."""

    customer_id: str
    currency: str
    level: int
    letter_template: str
    invoices: tuple[str, ...]  # most overdue first
    overdue_cents: int
    max_days_past_due: int
    fee_policy: str | None
    previous_level: int  # 0 when no dunning letter is in the log
    previous_date: dt.date | None
    reason: str


@dataclass(frozen=True)
class DunningSkip:
    """A customer (in one currency) with overdue invoices who gets no letter now, and why."""

    customer_id: str
    currency: str
    reason_code: str
    reason: str


# --- the DunningLevels sheet ------------------------------------------------------------------------------


def levels_from_book(book: Book) -> tuple[tuple[DunningLevel, ...], list[Finding]]:
    """The DunningLevels sheet's levels, sorted by level, with findings for rows that cannot work.

    No sheet: DEFAULT_LEVELS and no findings. A row with a blank, unreadable, duplicate or negative
    number is left out; a sheet with no usable row falls back to DEFAULT_LEVELS (with a warning).
    Days Past Due that do not increase with the level, a Letter Template that is not a .docx name and a
    Fee Policy not on the FeePolicies sheet are reported, and the level is kept.
    """
    sd = book.sheet(DUNNING_LEVELS.name)
    if sd is None or sd.title.casefold() in {s.casefold() for s in OWNED_SHEETS}:
        # The add-in's own Dunning report is not a levels sheet, whatever the aliases say.
        return DEFAULT_LEVELS, []
    findings = _sheet_findings(book, sd)
    policies = _fee_policy_names(book)

    def column(name: str) -> list:
        return sd.columns.get(name) or [None] * len(sd.rows)

    kept: dict[int, tuple[int, DunningLevel]] = {}  # level -> (row, level)
    for row, level, days, template, policy, min_balance, wait in zip(
        sd.rows,
        column("Level"),
        column("Days Past Due"),
        column("Letter Template"),
        column("Fee Policy"),
        column("Min Balance"),
        column("Days Since Previous"),
    ):
        if level is None or days is None or template is None:
            continue  # blank or unreadable: reported by the required and cell type checks
        usable = True
        for name, value in (
            ("Level", level),
            ("Days Past Due", days),
            ("Min Balance", min_balance),
            ("Days Since Previous", wait),
        ):
            if value is not None and value < 0:
                shown = format_cents(value) if name == "Min Balance" else str(value)
                findings.append(
                    error(
                        "dunning-level-negative",
                        sd.title,
                        sd.cell(name, row),
                        f"{sd.headers.get(name, name)} cannot be negative; it is {shown} in row {row}.",
                        "Type 0 or a positive number.",
                    )
                )
                usable = False
        if level == 0:
            findings.append(
                error(
                    "dunning-level-below-one",
                    sd.title,
                    sd.cell("Level", row),
                    f"Level 0 in row {row}: levels are numbered from 1.",
                    "Number the levels 1, 2, 3 ... in the order the letters go out.",
                )
            )
            usable = False
        problem = _template_problem(template)
        if problem:
            findings.append(
                error(
                    "dunning-template-not-docx",
                    sd.title,
                    sd.cell("Letter Template", row),
                    f"Level {level}: Letter Template {template!r} {problem}.",
                    "Type the file name of a Word template in letter_templates/, e.g. reminder.docx.",
                )
            )
        if policy is not None and policy.casefold() not in policies:
            findings.append(
                error(
                    "unknown-fee-policy",
                    sd.title,
                    sd.cell("Fee Policy", row),
                    f"Level {level}: Fee Policy {policy!r} is not on the FeePolicies sheet.",
                    "Type a Policy name from the FeePolicies sheet, or leave it blank for no fee.",
                )
            )
        if not usable or level in kept:
            continue  # a duplicate is reported by the duplicate key check; the first row wins
        kept[level] = (row, DunningLevel(level, days, template, policy, min_balance or 0, wait or 0))

    ordered = [kept[n] for n in sorted(kept)]
    for (_, before), (row, lv) in zip(ordered, ordered[1:]):
        if lv.days_past_due <= before.days_past_due:
            findings.append(
                error(
                    "dunning-days-not-increasing",
                    sd.title,
                    sd.cell("Days Past Due", row),
                    f"Level {lv.level} starts at {_days(lv.days_past_due)} past due, not later than "
                    f"level {before.level} ({_days(before.days_past_due)}).",
                    "Give each level more Days Past Due than the level before, e.g. 7, 30, 60.",
                )
            )
    for i, (row, lv) in enumerate(ordered):
        expected = ordered[i - 1][1].level + 1 if i else 1
        if lv.level != expected:
            findings.append(
                warning(
                    "dunning-level-gap",
                    sd.title,
                    sd.cell("Level", row),
                    f"Level {lv.level} comes after "
                    + (f"level {expected - 1}" if i else "no level 1")
                    + f": there is no level {expected}. Letters go out in the order of the levels listed.",
                    "Number the levels 1, 2, 3 ... without gaps.",
                )
            )
    if not ordered:
        findings.append(
            warning(
                "dunning-levels-default",
                sd.title,
                sd.cell("Level", sd.header_row) if sd.has("Level") else "",
                f"Sheet {sd.title} has no usable level, so the default levels apply: "
                + ", ".join(f"level {lv.level} at {_days(lv.days_past_due)}" for lv in DEFAULT_LEVELS)
                + ".",
                "Add rows with Level, Days Past Due and Letter Template, e.g. 1, 7, reminder.docx.",
            )
        )
        return DEFAULT_LEVELS, findings
    return tuple(lv for _, lv in ordered), findings


def _sheet_findings(book: Book, sd: SheetData) -> list[Finding]:
    """Missing columns, blank required cells, unreadable cells and duplicate levels on the DunningLevels
    sheet, worded exactly as validation words them (so a command that shows both shows each once)."""
    alone = Book(sheet_titles=[sd.title], sheets={DUNNING_LEVELS.name: sd}, settings=book.settings)
    unused_date = dt.date(2000, 1, 1)  # these checks do not look at the as-of date
    out = [f for f in check_structure(alone, unused_date) if f.sheet == sd.title and f.code == "missing-column"]
    for check in (check_cell_types, check_required, check_duplicate_keys):
        out.extend(check(alone, unused_date))
    return out


def _fee_policy_names(book: Book) -> set[str]:
    sd = book.sheet("FeePolicies")
    if sd is None:
        return set()
    return {str(p).casefold() for p in sd.columns.get("Policy", []) if p is not None}


def _template_problem(name: object) -> str | None:
    """Why a Letter Template cannot name a template in letter_templates/, or None when it can."""
    text = str(name).strip()
    if any(c in text for c in "/\\:"):
        return "names a folder; type only the file name"
    if not text.casefold().endswith(".docx") or text.startswith("."):
        return "is not the name of a .docx file"
    return None


# --- the plan ---------------------------------------------------------------------------------------------


def plan_dunning(
    book: Book,
    as_of: dt.date,
    ledger: Ledger | None = None,
    levels: Sequence[DunningLevel] | None = None,
    log: Sequence[LetterRecord] | None = None,
    plans_in_good_standing: Iterable[str] = frozenset(),
    holds: Mapping[str, tuple[str, str]] | None = None,
    notes: Mapping[str, str] | None = None,
) -> tuple[list[DunningDecision], list[DunningSkip]]:
    """Who gets which dunning letter as at `as_of`, and who with overdue invoices gets none and why.

    book: the workbook (its Customers sheet's Dunning column; the rest through the ledger).
    ledger, levels, log: computed from the book when not given (the ledger must be as at `as_of`).
    plans_in_good_standing: Customer IDs whose payment plan is kept: no reminders while it is.
    holds: Invoice No (casefolded) -> (skip code, why) reminders wait for it (a payment plan kept, a promise to pay not yet
    due: core/plans.py). notes: Invoice No (casefolded) -> a broken plan or promise, told in the reason.
    Returns decisions and skips, each sorted by customer ID then currency. Customers with nothing
    overdue appear in neither.

    Example: C1's only invoice is 45 days past due and no letter is in the log, so the reason reads
    "Level 1: INV-1 is 45 days past due (120.00 USD); no reminder sent yet; level 2's days are
    reached, but levels go out in order".
    """
    if ledger is None:
        ledger = build_ledger(book, as_of)
    elif ledger.as_of != as_of:
        raise ValueError(f"the ledger is as at {ledger.as_of}, not {as_of}")
    if levels is None:
        levels = levels_from_book(book)[0]
    ladder = sorted(levels, key=lambda lv: lv.level)
    if log is None:
        log = read_letter_log(book.owned_rows.get(LETTERS_SHEET, []))
    modes = _dunning_modes(book)
    on_plan = {str(c).casefold() for c in plans_in_good_standing}
    sent = _dunning_letters(log, as_of)

    overdue: dict[tuple[str, str], list[InvoiceBalance]] = defaultdict(list)
    for inv in ledger.invoices.values():
        # days_past_due first: it is 0 for most invoices (paid or not yet due), and the cheapest to read.
        if inv.days_past_due > 0 and inv.status != VOID and inv.invoice_date <= as_of and inv.outstanding > 0:
            overdue[(inv.customer_id, inv.currency)].append(inv)

    decisions: list[DunningDecision] = []
    skips: list[DunningSkip] = []
    for (cid, currency), invoices in sorted(overdue.items()):
        invoices.sort(key=_most_overdue_first)
        outcome = _plan_one(
            cid,
            currency,
            invoices,
            as_of,
            ladder,
            modes.get(cid.casefold()),
            cid.casefold() in on_plan,
            sent.get(cid.casefold(), []),
            holds or {},
            notes or {},
        )
        (decisions if isinstance(outcome, DunningDecision) else skips).append(outcome)
    return decisions, skips


def _plan_one(
    cid: str,
    currency: str,
    overdue: list[InvoiceBalance],
    as_of: dt.date,
    ladder: list[DunningLevel],
    mode: str | None,
    on_plan: bool,
    letters: list[LetterRecord],
    holds: Mapping[str, tuple[str, str]],
    notes: Mapping[str, str],
) -> DunningDecision | DunningSkip:
    def skip(code: str, reason: str) -> DunningSkip:
        return DunningSkip(cid, currency, code, reason)

    everything = f"{_count(len(overdue), 'overdue invoice')}, {_money(sum(i.outstanding for i in overdue), currency)}"
    if mode == "Manual":
        return skip(DUNNING_MANUAL, f"Dunning is Manual for this customer ({everything}): send reminders by hand.")
    if mode == "Excluded":
        return skip(DUNNING_EXCLUDED, f"Dunning is Excluded for this customer ({everything}): no reminders.")
    if on_plan:
        return skip(PAYMENT_PLAN, f"A payment plan in good standing holds reminders ({everything}).")

    waiting = [i for i in overdue if i.invoice_no.casefold() in holds]
    if waiting and len(waiting) == len(overdue):
        codes, whys = zip(*(holds[i.invoice_no.casefold()] for i in waiting))
        code = next(c for c in (PAYMENT_PLAN, PROMISED, INSURANCE_PENDING) if c in codes)
        return skip(code, f"Reminders wait ({everything}): {_listed(sorted(set(whys)))}")
    overdue = [i for i in overdue if i not in waiting]
    disputed = [i for i in overdue if i.disputed]
    held = [i for i in overdue if not i.disputed and i.hold_until is not None and i.hold_until > as_of]
    eligible = [i for i in overdue if i not in disputed and i not in held]
    if not eligible:
        if not held:
            return skip(ALL_DISPUTED, f"Every overdue invoice is disputed: {_names(disputed)}.")
        holds = _listed([f"{i.invoice_no} until {i.hold_until.isoformat()}" for i in held])
        also = f"; disputed: {_names(disputed)}" if disputed else ""
        return skip(ON_HOLD, f"Every overdue invoice is on hold or disputed: on hold {holds}{also}.")

    worst = eligible[0]
    max_dpd = worst.days_past_due
    total = sum(i.outstanding for i in eligible)
    bundle = f"{worst.invoice_no} is {_days(max_dpd)} past due (" + (
        f"{len(eligible)} overdue invoices, {_money(total, currency)} in all)"
        if len(eligible) > 1
        else f"{_money(total, currency)})"
    )
    if not ladder:
        return skip(NOT_OVERDUE_ENOUGH, f"{bundle}; no dunning levels are set up.")

    previous, previous_date = _previous_letter(letters, {i.invoice_no.casefold() for i in eligible})
    following = next((lv for lv in ladder if lv.level > previous), None)
    if following is None or max_dpd < following.days_past_due:
        if previous == 0:
            first = ladder[0]
            return skip(
                NOT_OVERDUE_ENOUGH,
                f"{bundle}; level {first.level} starts at {_days(first.days_past_due)} past due "
                f"(on {as_of + dt.timedelta(days=first.days_past_due - max_dpd)}).",
            )
        if following is None:
            return skip(
                ALREADY_AT_LEVEL,
                f"Level {previous}, the last level, {_went_out(previous_date)}; {bundle}: no further reminder.",
            )
        return skip(
            ALREADY_AT_LEVEL,
            f"Level {previous} {_went_out(previous_date)}; {bundle}; level {following.level} starts at "
            f"{_days(following.days_past_due)} past due "
            f"(on {as_of + dt.timedelta(days=following.days_past_due - max_dpd)}).",
        )

    if total < following.min_balance:
        return skip(
            BELOW_MINIMUM,
            f"Level {following.level} needs at least {_money(following.min_balance, currency)} overdue; {bundle}.",
        )
    wait = following.days_since_previous
    if previous and previous_date is not None and (as_of - previous_date).days < wait:
        ends = previous_date + dt.timedelta(days=wait)
        return skip(
            WAITING,
            f"Level {following.level} is next ({bundle}), but level {previous} {_went_out(previous_date)}: "
            f"the {_days(wait)}' wait ends on {ends.isoformat()}.",
        )

    reached = max((lv.level for lv in ladder if lv.days_past_due <= max_dpd), default=following.level)
    in_order = f"; level {reached}'s days are reached, but levels go out in order" if reached > following.level else ""
    if previous == 0:
        history = "no reminder sent yet"
    else:
        history = f"level {previous} {_went_out(previous_date)}"
        if wait and previous_date is not None:
            history += f" ({_days(wait)}' wait passed)"
    told = sorted({notes[i.invoice_no.casefold()] for i in eligible if i.invoice_no.casefold() in notes})
    if told:
        in_order += "; " + "; ".join(told)
    return DunningDecision(
        customer_id=cid,
        currency=currency,
        level=following.level,
        letter_template=following.letter_template,
        invoices=tuple(i.invoice_no for i in eligible),
        overdue_cents=total,
        max_days_past_due=max_dpd,
        fee_policy=following.fee_policy,
        previous_level=previous,
        previous_date=previous_date,
        reason=f"Level {following.level}: {bundle}; {history}{in_order}",
    )


def _dunning_modes(book: Book) -> dict[str, str | None]:
    """Customer ID (case-folded) -> Dunning (Auto, Manual, Excluded or None for blank). First row wins."""
    sd = book.sheet("Customers")
    if sd is None:
        return {}
    modes: dict[str, str | None] = {}
    for cid, mode in zip(sd.columns.get("Customer ID", []), sd.columns.get("Dunning") or [None] * len(sd.rows)):
        if cid is not None:
            modes.setdefault(str(cid).casefold(), mode)
    return modes


def _dunning_letters(log: Sequence[LetterRecord], as_of: dt.date) -> dict[str, list[LetterRecord]]:
    """Dunning letters that count as sent by `as_of`, by customer ID (case-folded)."""
    out: dict[str, list[LetterRecord]] = defaultdict(list)
    for r in log:
        if r.kind.strip().casefold() != "dunning" or r.level is None or r.level < 1:
            continue
        if r.status.strip().casefold() not in COUNTED_STATUSES:
            continue
        if r.date is not None and r.date > as_of:
            continue  # dated after the as-of date: not yet sent as far as this run is concerned
        out[r.customer_id.casefold()].append(r)
    return out


def _previous_letter(letters: list[LetterRecord], eligible: set[str]) -> tuple[int, dt.date | None]:
    """The highest level sent about this debt, and the latest day it went out (None: day not recorded).

    A letter that lists invoices is about this debt while one of them is still eligible and overdue;
    a letter that lists none is taken to be about it (the safe side: no level is sent twice).
    """
    about = [r for r in letters if not r.invoices or any(n.casefold() in eligible for n in r.invoices)]
    if not about:
        return 0, None
    top = max(r.level or 0 for r in about)
    days = [r.date for r in about if r.level == top and r.date is not None]
    return top, max(days, default=None)


def _most_overdue_first(inv: InvoiceBalance) -> tuple:
    return (-inv.days_past_due, inv.due_date, inv.invoice_date, inv.invoice_no)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _money(cents: int, currency: str) -> str:
    return f"{format_cents(cents)} {currency}"


def _went_out(day: dt.date | None) -> str:
    return f"went out on {day.isoformat()}" if day is not None else "went out (day not recorded)"


def _names(invoices: list[InvoiceBalance]) -> str:
    return _listed([i.invoice_no for i in invoices])


def _listed(items: list[str]) -> str:
    if len(items) <= LIST_LIMIT:
        return ", ".join(items)
    return ", ".join(items[:LIST_LIMIT]) + f" and {len(items) - LIST_LIMIT} more"
