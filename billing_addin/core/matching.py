"""Matching bank lines to customers and invoices, and saying why.

Each credit line gets one of:
- auto: certain, posted when the clerk posts (the Bank Import sheet's Post column says Yes);
- suggested: candidates ranked, the clerk picks;
- unmatched: nothing fits.
A line already imported is skipped with the reason; a debit (refund, returned payment, bank charge) is listed,
matched to a Refund or Returned Payment row where one fits, and never posted as a payment.

Certain means one of these, and nothing else: the invoice numbers the reference names belong to one customer and
the amount equals their open balance (or falls short of it by no more than the tolerance, or pays part of one
invoice); or the payer is a known customer (PayerAliases, or the exact customer name) and the amount equals one
open balance, a run of its oldest open invoices, or its whole balance, in one way only. Everything else is a
suggestion: an amount alone, a name that is only close, or a payer that disagrees with the invoice named.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from billing_addin.core.bank_lines import BankLine
from billing_addin.core.ledger import VOID, InvoiceBalance, Ledger
from billing_addin.core.money import format_cents

AUTO, SUGGESTED, UNMATCHED, SKIPPED, DEBIT = "auto", "suggested", "unmatched", "skipped", "debit"
MAX_COMBINED = 6  # invoices one payment may pay when no invoice is named (the search is bounded)
MAX_CANDIDATES = 5
# A run of 3+ digits that is not part of an amount ("1,200.00") or of a longer number: what may be an invoice number.
_DIGITS = re.compile(r"(?<![\d.,])\d{3,}(?!\d|[.,]\d)")
_WORD = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    invoices: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Proposal:
    """What to do with one bank line."""

    line: BankLine
    match: str  # auto, suggested, unmatched, skipped, debit
    customer_id: str | None
    invoices: tuple[str, ...]
    why: str
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Tolerance:
    """How far short a payment may be of what it pays and still pay it (a bank fee, an early-payment discount):
    at most `cents`, or `percent` of the amount, whichever is more."""

    cents: int = 0
    percent: float = 0.0

    def allows(self, shortfall: int, amount: int) -> bool:
        return 0 < shortfall <= max(self.cents, int(amount * self.percent / 100))


def normalize_name(text: str) -> str:
    """'ACME Corp.' and 'acme corp' alike: case, punctuation and spacing ignored."""
    return _WORD.sub(" ", text.casefold()).strip()


def _number_core(invoice_no: str) -> str | None:
    """The digits that identify an invoice when people type it ('24081' of 'INV-24081'): its longest digit run."""
    runs = re.findall(r"\d+", invoice_no)
    return max(runs, key=len) if runs and len(max(runs, key=len)) >= 3 else None


class OpenInvoices:
    """The open invoices of a ledger, found by number as people type it, by customer and by balance."""

    def __init__(self, ledger: Ledger):
        self.by_customer: dict[str, list[InvoiceBalance]] = defaultdict(list)
        self.by_core: dict[str, list[InvoiceBalance]] = defaultdict(list)
        self.by_no: dict[str, InvoiceBalance] = {}
        self.by_balance: dict[int, list[InvoiceBalance]] = defaultdict(list)
        for inv in ledger.invoices.values():
            if inv.status == VOID or inv.outstanding <= 0 or inv.invoice_date > ledger.as_of:
                continue
            self.by_customer[inv.customer_id.casefold()].append(inv)
            self.by_no[_compact(inv.invoice_no)] = inv
            self.by_balance[inv.outstanding].append(inv)
            core = _number_core(inv.invoice_no)
            if core:
                self.by_core[core].append(inv)
        for invoices in self.by_customer.values():
            invoices.sort(key=lambda i: (i.due_date, i.row))

    def named_in(self, text: str) -> list[InvoiceBalance]:
        """The open invoices a reference names: 'INV 24081', 'inv#24081', '24081', several in one line. Words
        are tried alone and joined with the next one or two ('INV 24081' is 'inv24081'), digits by their run."""
        found: dict[str, InvoiceBalance] = {}
        words = normalize_name(text).split()
        for k in range(len(words)):
            for n in (1, 2, 3):
                inv = self.by_no.get("".join(words[k : k + n])) if k + n <= len(words) else None
                if inv is not None:
                    found[inv.invoice_no] = inv
        for run in _DIGITS.findall(text):
            for inv in self.by_core.get(run, ()):
                found[inv.invoice_no] = inv
        return sorted(found.values(), key=lambda i: (i.due_date, i.row))


def _compact(text: str) -> str:
    return _WORD.sub("", text.casefold())


def _names(invoices: Iterable[InvoiceBalance]) -> str:
    names = [i.invoice_no for i in invoices]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _money(cents: int, currency: str | None) -> str:
    return f"{format_cents(cents)}{' ' + currency if currency else ''}"


def match_lines(
    lines: Iterable[BankLine],
    ledger: Ledger,
    *,
    payer_aliases: Mapping[str, str] | None = None,
    customer_names: Mapping[str, str] | None = None,
    known_keys: Mapping[str, str] | None = None,
    refunds: Iterable[tuple[str, int, str]] = (),
    tolerance: Tolerance = Tolerance(),
    remittances: Mapping[str, int] | None = None,
) -> list[Proposal]:
    """A proposal for each line, in the lines' order.

    payer_aliases: normalized payer name or account -> Customer ID (the PayerAliases sheet). customer_names:
    normalized customer name -> Customer ID. known_keys: BankLine.key -> where it was imported before (skipped).
    refunds: (Customer ID, cents, where) of Refund and Returned Payment rows, for the debits. remittances: an
    insurer's remittance trace number (835 TRN02) -> its payment in cents: a deposit that names one is that
    insurer's payment, posted claim by claim by `billing era post`, never as a patient's payment here."""
    open_invoices = OpenInvoices(ledger)
    aliases = dict(payer_aliases or {})
    names = dict(customer_names or {})
    known = dict(known_keys or {})
    refund_rows = list(refunds)
    out = []
    seen: dict[str, int] = {}
    traces = {t.upper(): (t, cents) for t, cents in (remittances or {}).items() if len(t) >= 6}
    for line in lines:
        before = known.get(line.key) or (f"line {seen[line.key]} of this import" if line.key in seen else None)
        seen.setdefault(line.key, line.line)
        remittance = _remittance_named(line, traces) if traces and line.amount > 0 else None
        if before:
            out.append(Proposal(line, SKIPPED, None, (), f"already imported ({before}): not posted again"))
        elif remittance is not None:
            trace, cents = remittance
            if cents == line.amount:
                why = (
                    f"the insurer's payment of remittance {trace}: its claims are posted one by one by `billing era "
                    "post`, not here"
                )
                out.append(Proposal(line, SKIPPED, None, (), why))
            else:
                why = (
                    f"names remittance {trace}, whose payment is {format_cents(cents)}, not {format_cents(line.amount)}:"
                    " ask the insurer"
                )
                out.append(Proposal(line, UNMATCHED, None, (), why))
        elif line.amount < 0:
            out.append(_debit(line, aliases, names, refund_rows))
        elif line.amount == 0:
            out.append(Proposal(line, UNMATCHED, None, (), "no amount"))
        else:
            out.append(_credit(line, open_invoices, aliases, names, tolerance))
    return out


def _remittance_named(line: BankLine, traces: Mapping[str, tuple[str, int]]) -> tuple[str, int] | None:
    """The remittance (trace, cents) whose trace number stands whole in the line's reference (not inside a longer
    run of letters and digits), if any."""
    pattern = _trace_pattern(tuple(sorted(traces, key=len, reverse=True)))
    found = pattern.search(f"{line.reference} {line.transaction_id or ''}".upper())
    return traces[found.group(1)] if found else None


@functools.lru_cache(maxsize=8)
def _trace_pattern(traces: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![0-9A-Z])(" + "|".join(re.escape(t) for t in traces) + r")(?![0-9A-Z])")


def _payer(line: BankLine, aliases: Mapping[str, str], names: Mapping[str, str]) -> tuple[str | None, str]:
    """The customer the payer is known as, and how it is known."""
    for key, how in ((normalize_name(line.account), "account"), (normalize_name(line.payer), "payer name")):
        if key and key in aliases:
            return aliases[
                key
            ], f"{how} {line.account if how == 'account' else line.payer!r} is known as {aliases[key]}"
    key = normalize_name(line.payer)
    if key and key in names:
        return names[key], f"payer {line.payer!r} is the name of {names[key]}"
    return None, ""


def _credit(line, open_invoices: OpenInvoices, aliases, names, tolerance: Tolerance) -> Proposal:
    amount, cur = line.amount, line.currency
    customer, known_how = _payer(line, aliases, names)
    named = open_invoices.named_in(line.reference) if line.reference else []
    if named:
        owners = {i.customer_id.casefold() for i in named}
        if len(owners) == 1:
            owner = named[0].customer_id
            if customer is not None and customer.casefold() != owner.casefold():
                why = (
                    f"{_names(named)} named in the reference are {owner}'s, but the {known_how.split(' is ')[0]} "
                    f"is known as {customer}: check before posting"
                )
                return Proposal(line, SUGGESTED, owner, tuple(i.invoice_no for i in named), why, (
                    Candidate(owner, tuple(i.invoice_no for i in named), "the invoices named"),
                    Candidate(customer, (), "the payer's customer"),
                ))  # fmt: skip
            return _named(line, owner, named, tolerance)
        ranked = tuple(
            Candidate(i.customer_id, (i.invoice_no,), f"{i.invoice_no} named in the reference") for i in named
        )
        why = f"the reference names invoices of {len(owners)} customers ({_names(named)}): choose"
        return Proposal(line, SUGGESTED, None, (), why, ranked[:MAX_CANDIDATES])
    if customer is not None:
        return _by_customer(line, customer, known_how, open_invoices, tolerance)
    same = open_invoices.by_balance.get(amount, [])
    if same:
        ranked = tuple(
            Candidate(i.customer_id, (i.invoice_no,), f"open balance of {i.invoice_no} equals the amount") for i in same
        )
        why = (
            f"no invoice named and the payer {line.payer!r} is not known; {len(same)} open invoice(s) equal "
            f"{_money(amount, cur)}: choose, and the payer's name is learnt when posted"
        )
        return Proposal(
            line, SUGGESTED, same[0].customer_id if len(same) == 1 else None, (), why, ranked[:MAX_CANDIDATES]
        )
    return Proposal(
        line,
        UNMATCHED,
        None,
        (),
        f"no invoice named, payer {line.payer or '(none)'!r} not known, and no open balance equals {_money(amount, cur)}",
    )


def _named(line: BankLine, owner: str, named: list[InvoiceBalance], tolerance: Tolerance) -> Proposal:
    amount, cur = line.amount, line.currency
    nos = tuple(i.invoice_no for i in named)
    owed = sum(i.outstanding for i in named)
    said = f"{_names(named)} named in the reference"
    if amount == owed:
        what = "its open balance" if len(named) == 1 else "their open balances together"
        return Proposal(line, AUTO, owner, nos, f"{said}; amount equals {what}")
    if amount < owed and tolerance.allows(owed - amount, amount):
        why = f"{said}; amount is {_money(owed - amount, cur)} short of the open balance, within the tolerance (a bank fee or discount: that much stays open)"
        return Proposal(line, AUTO, owner, nos, why)
    if amount < owed and len(named) == 1:
        why = f"{said}; a part payment: {_money(amount, cur)} of {_money(owed, cur)} owed"
        return Proposal(line, AUTO, owner, nos, why)
    if amount < owed:
        why = f"{said}; {_money(amount, cur)} pays part of the {_money(owed, cur)} they owe: choose which"
        return Proposal(line, SUGGESTED, owner, nos, why, (Candidate(owner, nos, "oldest first"),))
    why = f"{said}; {_money(amount - owed, cur)} more than they owe: the rest would be credit on the account"
    return Proposal(
        line, SUGGESTED, owner, nos, why, (Candidate(owner, nos, "the invoices named, the rest as credit"),)
    )


def _by_customer(line: BankLine, customer: str, known_how: str, open_invoices: OpenInvoices, tolerance) -> Proposal:
    amount, cur = line.amount, line.currency
    invoices = open_invoices.by_customer.get(customer.casefold(), [])
    if not invoices:
        return Proposal(
            line, SUGGESTED, customer, (), f"{known_how}, who owes nothing now: the payment would be credit"
        )
    total = sum(i.outstanding for i in invoices)
    certain: set[tuple[str, ...]] = {(i.invoice_no,) for i in invoices if i.outstanding == amount}
    running = 0
    for k, inv in enumerate(invoices):  # a run of the oldest invoices, as people pay them
        running += inv.outstanding
        if k and running == amount:
            certain.add(tuple(i.invoice_no for i in invoices[: k + 1]))
    if amount == total:
        certain.add(tuple(i.invoice_no for i in invoices))
    other = {nos for nos in _subsets(invoices, amount) if nos not in certain}
    ways = certain | other
    if len(ways) == 1 and certain:
        [nos] = certain
        chosen = [i for i in invoices if i.invoice_no in nos]
        if len(chosen) == 1:
            what = "its open balance"
        elif len(chosen) == len(invoices):
            what = "its whole balance"
        else:
            what = f"the open balances of its oldest {len(chosen)} invoices"
        return Proposal(line, AUTO, customer, nos, f"{known_how}; amount equals {what} ({_names(chosen)})")
    if ways:
        ranked = tuple(
            Candidate(customer, nos, "open balances that add up to the amount") for nos in sorted(ways, key=len)
        )
        why = f"{known_how}; {len(ways)} set(s) of open invoices add up to {_money(amount, cur)}: choose"
        return Proposal(line, SUGGESTED, customer, ranked[0].invoices, why, ranked[:MAX_CANDIDATES])
    oldest = invoices[0]
    if amount < oldest.outstanding and tolerance.allows(oldest.outstanding - amount, amount):
        why = f"{known_how}; amount is {_money(oldest.outstanding - amount, cur)} short of {oldest.invoice_no}, within the tolerance"
        return Proposal(
            line,
            SUGGESTED,
            customer,
            (oldest.invoice_no,),
            why,
            (Candidate(customer, (oldest.invoice_no,), "oldest, short by the tolerance"),),
        )
    why = f"{known_how}; {_money(amount, cur)} matches no open balance ({_money(total, cur)} owed): a part payment, oldest first"
    return Proposal(line, SUGGESTED, customer, (), why, (Candidate(customer, (), "oldest first"),))


def _subsets(invoices: list[InvoiceBalance], amount: int) -> set[tuple[str, ...]]:
    """Sets of 2 to MAX_COMBINED of the customer's oldest ten open invoices whose balances add up to `amount`
    (a bounded search; at most three are kept per sum: more than one already makes the line a suggestion).
    Sums above the amount are dropped as they appear, so a customer with few open invoices costs little."""
    by_sum: dict[int, list[tuple[int, ...]]] = {0: [()]}
    pool = invoices[:10]
    for k, inv in enumerate(pool):
        grown: dict[int, list[tuple[int, ...]]] = {}
        for total, sets in by_sum.items():
            reach = total + inv.outstanding
            if reach > amount:
                continue
            for s in sets:
                if len(s) < MAX_COMBINED:
                    bucket = grown.setdefault(reach, [])
                    if len(bucket) < 3:
                        bucket.append((*s, k))
        for total, sets in grown.items():
            bucket = by_sum.setdefault(total, [])
            bucket.extend(sets[: 3 - len(bucket)])
    return {tuple(pool[k].invoice_no for k in s) for s in by_sum.get(amount, []) if len(s) >= 2}


def _debit(line: BankLine, aliases, names, refunds: list[tuple[str, int, str]]) -> Proposal:
    customer, known_how = _payer(line, aliases, names)
    fits = [r for r in refunds if r[1] == -line.amount and (customer is None or r[0].casefold() == customer.casefold())]
    if fits:
        cid, _, where = fits[0]
        return Proposal(
            line,
            DEBIT,
            cid,
            (),
            f"money out: matches {where} ({cid}, {_money(-line.amount, line.currency)}); not a payment",
        )
    return Proposal(
        line,
        DEBIT,
        customer,
        (),
        "money out (a refund, a returned payment or a bank charge): listed, never posted as a payment",
    )
