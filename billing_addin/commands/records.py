"""The records commands put in Result.data, typed: money as Decimal with two places, dates as datetime.date.
`billing ... --json` prints them with these names (money and dates as their text)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing_addin.core.ledger import VOID
from billing_addin.core.money import cents_to_decimal

ZERO = Decimal("0.00")


def money(cents: int | None) -> Decimal | None:
    return None if cents is None else cents_to_decimal(cents)


class _Memo(dict):
    """value -> its record value, each made once: a big book's invoices repeat few amounts."""

    def __init__(self, make, *known):
        super().__init__(known)
        self.make = make

    def __missing__(self, value):
        made = self[value] = self.make(value)
        return made


def customer_record(c) -> dict:
    return {
        "customer_id": c.customer_id,
        "currency": c.currency,
        "balance": money(c.balance),
        "unapplied_credit": money(c.unapplied_credit),
        "overdue": money(c.overdue),
        "oldest_overdue": c.oldest_overdue,
        "last_payment": c.last_payment,
        "buckets": [money(b) for b in c.buckets],
        "max_days_past_due": c.max_days_past_due,
    }


def invoice_records(ledger) -> list[tuple[int, dict]]:
    """Each invoice issued by the as-of date, as a line of the Balances sheet, with its row on the Invoices
    sheet (the ledger keeps them in row order). A void invoice owes nothing and was never paid: paid and
    balance 0.00, paid_date and days_late None. balance is what is still owed, fees included."""
    as_of = ledger.as_of
    amount = _Memo(cents_to_decimal, (0, ZERO))
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
                    "invoice_date": inv.invoice_date,
                    "due_date": inv.due_date,
                    "amount": amount[inv.amount],
                    "paid": ZERO if void else amount[inv.paid],
                    "balance": ZERO if void else amount[inv.outstanding],
                    "status": inv.status,
                    "paid_date": inv.paid_date,
                    "days_late": None if void else inv.days_late,
                },
            )
        )
    return out


def fee_record(f) -> dict:
    return {
        "invoice_no": f.invoice_no,
        "customer_id": f.customer_id,
        "currency": f.currency,
        "policy": f.policy,
        "interest": money(f.interest),
        "fixed": money(f.fixed),
        "accrued": money(f.accrued),
        "charged": money(f.charged),
        "to_post": money(f.to_post),
        "detail": f.detail,
    }


def dunning_records(decisions, skips) -> dict:
    return {
        "letters": [
            {
                "customer_id": d.customer_id,
                "currency": d.currency,
                "level": d.level,
                "letter_template": d.letter_template,
                "invoices": list(d.invoices),
                "overdue": money(d.overdue_cents),
                "max_days_past_due": d.max_days_past_due,
                "fee_policy": d.fee_policy,
                "previous_level": d.previous_level,
                "previous_date": d.previous_date,
                "reason": d.reason,
            }
            for d in decisions
        ],
        "skipped": [
            {"customer_id": s.customer_id, "currency": s.currency, "reason_code": s.reason_code, "reason": s.reason}
            for s in skips
        ],
    }


def statement_record(s) -> dict:
    return {
        "currency": s.currency,
        "opening_balance": money(s.opening),
        "closing_balance": money(s.closing),
        "lines": [
            {
                "date": ln.date,
                "kind": ln.kind,
                "reference": ln.reference,
                "invoice_no": ln.invoice_no,
                "charge": money(ln.charge),
                "credit": money(ln.credit),
                "balance": money(ln.balance),
                "due_date": ln.due_date,
                "disputed": ln.disputed,
            }
            for ln in s.lines
        ],
        "aging": dict(zip(s.bucket_labels, (money(b) for b in s.buckets))),
        "unapplied_credit": money(s.unapplied_credit),
        "open_items": [
            {
                "invoice_no": getattr(i, "invoice_no", getattr(i, "key", "")),
                "due_date": getattr(i, "due_date", None) or i.date,
                "outstanding": money(i.outstanding),
                "days_past_due": getattr(i, "days_past_due", 0),
                "disputed": getattr(i, "disputed", False),
            }
            for i in s.open_items
        ],
    }


def held_back_records(held, customer_ids) -> list[dict]:
    """{customer_id, reason} for each of `customer_ids` (in order, once) that the checks' errors hold back."""
    out, seen = [], set()
    for cid in customer_ids:
        key = cid.casefold()
        if key not in seen and held.holds(cid):
            seen.add(key)
            out.append({"customer_id": cid, "reason": held.reason(cid)})
    return out


def iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def plan_record(p) -> dict:
    """One payment plan as at the as-of date (core.plans.PlanStanding). held: the invoices whose reminders and
    late fees wait for it (none unless it is kept)."""
    following = p.next_installment
    return {
        "plan_id": p.terms.plan_id,
        "customer_id": p.terms.customer_id,
        "currency": p.currency,
        "status": p.status,
        "next_due": following.due if following else None,
        "next_amount": money(following.amount - following.paid) if following else None,
        "misses": p.misses,
        "held": list(p.covered) if p.in_good_standing else [],
        "amount_planned": money(p.amount_planned),
        "paid": money(p.paid),
        "amount_due": money(p.amount_due),
        "broken_on": p.broken_on,
        "invoices": list(p.covered),
        "reason": p.reason,
        "installments": [
            {
                "number": i.number,
                "due": i.due,
                "amount": money(i.amount),
                "paid": money(i.paid),
                "state": i.state,
                "days_late": i.days_late,
            }
            for i in p.schedule
        ],
    }


def promise_record(p) -> dict:
    return {
        "invoice_no": p.invoice_no,
        "customer_id": p.customer_id,
        "date": p.date,
        "amount": money(p.amount),
        "state": p.state,
        "cell": f"{p.sheet}!{p.cell}",
    }
