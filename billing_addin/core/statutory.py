"""Statutory late-payment interest and fixed compensation, as the EU Directive and the UK Act say.

EU: Directive 2011/7/EU on combating late payment in commercial transactions.
- Art. 2(6): simple interest at the reference rate plus at least eight percentage points.
- Art. 2(7)(a)(i): the reference rate is the ECB's rate on its most recent main refinancing operations.
- Art. 3(2): the reference rate for the first semester of a year is the rate in force on 1 January,
  for the second semester the rate in force on 1 July.
- Art. 3(3)(a): interest runs from the day following the date for payment fixed in the contract.
- Art. 6(1): a fixed sum of at least EUR 40 per late invoice.

UK: Late Payment of Commercial Debts (Interest) Act 1998, as amended.
- s.4(2): interest starts to run on the day after the relevant (due) day, at the rate prevailing
  under s.6 at the end of that day; s.4(7): it stops when the debt is paid.
- The Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002 (SI 2002/1675):
  8% a year over the official dealing rate (Bank Rate) in force on 30 June (interest starting to
  run 1 July-31 December) or 31 December (starting 1 January-30 June) immediately before the day
  interest starts to run. The rate so found is fixed for the life of the debt.
- s.5A: fixed sum GBP 40 (debt under 1,000), GBP 70 (1,000 to 9,999.99), GBP 100 (10,000 or more).

Day count (both regimes): days late = payment date - due date. Interest accrues for every day from
the day after the due date up to and including the payment date; a debt paid the day after it fell
due is one day late. Neither text counts the payment day out (the creditor "has not received the
amount due on time", Art. 3(1)(b)), and this is how creditors' and courts' calculators count.
A year is 365 days, leap years too: interest = principal x annual rate x days / 365.

Money is integer cents; rates are Decimal percent. The exact interest is summed over all days and
rounded once, at the end, half away from zero (Excel's ROUND). This module is pure: no files, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import NamedTuple

from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.money import excel_round, format_cents

REGIMES = ("EU", "UK")
CURRENCY = {"EU": "EUR", "UK": "GBP"}
RATE_NAME = {"EU": "ECB", "UK": "Bank of England"}
MIN_MARGIN = Decimal(8)
MAX_REFERENCE_RATE = Decimal(25)
EU_FIXED_SUM_CENTS = 4000


@dataclass(frozen=True)
class ReferenceRate:
    """A central bank rate and the day it took effect: from `effective_from` on, the rate is `rate`
    (percent) until the next row of the same regime. `source` says where it was published."""

    regime: str  # "EU" (ECB main refinancing operations) or "UK" (Bank of England Bank Rate)
    effective_from: dt.date
    rate: Decimal
    source: str


_D = dt.date
_ECB_TABLE = (
    "ECB, Key ECB interest rates, main refinancing operations (fixed rate), "
    "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html"
)
_BOE_TABLE = (
    "Bank of England, Official Bank Rate history, https://www.bankofengland.co.uk/boeapps/database/Bank-Rate.asp"
)


def _boe_decision(when: str, rate: str) -> str:
    return f"Bank of England, Monetary Policy Summary of {when}: Bank Rate {rate}%; {_BOE_TABLE}"


# Every rate below was checked against a published table or decision (see the report that added
# this module). The table is taken to be complete only up to its latest row: a date after it is
# "not covered" and is never filled with the last known rate. A row that is not a change but a
# confirmation (the rate still in force on a reference date) extends that horizon honestly.
SOURCED_RATES: tuple[ReferenceRate, ...] = (
    # EU: ECB main refinancing operations rate, "with effect from" dates.
    ReferenceRate("EU", _D(2016, 3, 16), Decimal("0.00"), _ECB_TABLE),
    ReferenceRate("EU", _D(2022, 7, 27), Decimal("0.50"), _ECB_TABLE),
    ReferenceRate("EU", _D(2022, 9, 14), Decimal("1.25"), _ECB_TABLE),
    ReferenceRate("EU", _D(2022, 11, 2), Decimal("2.00"), _ECB_TABLE),
    ReferenceRate("EU", _D(2022, 12, 21), Decimal("2.50"), _ECB_TABLE),
    ReferenceRate("EU", _D(2023, 2, 8), Decimal("3.00"), _ECB_TABLE),
    ReferenceRate("EU", _D(2023, 3, 22), Decimal("3.50"), _ECB_TABLE),
    ReferenceRate("EU", _D(2023, 5, 10), Decimal("3.75"), _ECB_TABLE),
    ReferenceRate("EU", _D(2023, 6, 21), Decimal("4.00"), _ECB_TABLE),
    ReferenceRate("EU", _D(2023, 8, 2), Decimal("4.25"), _ECB_TABLE),
    ReferenceRate("EU", _D(2023, 9, 20), Decimal("4.50"), _ECB_TABLE),
    ReferenceRate("EU", _D(2024, 6, 12), Decimal("4.25"), _ECB_TABLE),
    ReferenceRate("EU", _D(2024, 9, 18), Decimal("3.65"), _ECB_TABLE),
    ReferenceRate("EU", _D(2024, 10, 23), Decimal("3.40"), _ECB_TABLE),
    ReferenceRate("EU", _D(2024, 12, 18), Decimal("3.15"), _ECB_TABLE),
    ReferenceRate("EU", _D(2025, 2, 5), Decimal("2.90"), _ECB_TABLE),
    ReferenceRate("EU", _D(2025, 3, 12), Decimal("2.65"), _ECB_TABLE),
    ReferenceRate("EU", _D(2025, 4, 23), Decimal("2.40"), _ECB_TABLE),
    ReferenceRate(
        "EU",
        _D(2025, 6, 11),
        Decimal("2.15"),
        "ECB press release 'Monetary policy decisions' of 5 June 2025: MRO rate 2.15% with effect from "
        "11 June 2025; " + _ECB_TABLE,
    ),
    ReferenceRate(
        "EU",
        _D(2026, 1, 1),
        Decimal("2.15"),
        "Confirmation, not a change: rate in force on 1 January 2026. ECB monetary policy decisions of "
        "24 July, 11 September, 30 October and 18 December 2025 left the MRO rate at 2.15%.",
    ),
    # UK: Bank of England Bank Rate, "date changed".
    ReferenceRate("UK", _D(2020, 3, 19), Decimal("0.10"), _BOE_TABLE),
    ReferenceRate("UK", _D(2021, 12, 16), Decimal("0.25"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 2, 3), Decimal("0.50"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 3, 17), Decimal("0.75"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 5, 5), Decimal("1.00"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 6, 16), Decimal("1.25"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 8, 4), Decimal("1.75"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 9, 22), Decimal("2.25"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 11, 3), Decimal("3.00"), _BOE_TABLE),
    ReferenceRate("UK", _D(2022, 12, 15), Decimal("3.50"), _BOE_TABLE),
    ReferenceRate("UK", _D(2023, 2, 2), Decimal("4.00"), _BOE_TABLE),
    ReferenceRate("UK", _D(2023, 3, 23), Decimal("4.25"), _BOE_TABLE),
    ReferenceRate("UK", _D(2023, 5, 11), Decimal("4.50"), _BOE_TABLE),
    ReferenceRate("UK", _D(2023, 6, 22), Decimal("5.00"), _BOE_TABLE),
    ReferenceRate("UK", _D(2023, 8, 3), Decimal("5.25"), _BOE_TABLE),
    ReferenceRate("UK", _D(2024, 8, 1), Decimal("5.00"), _BOE_TABLE),
    ReferenceRate("UK", _D(2024, 11, 7), Decimal("4.75"), _BOE_TABLE),
    ReferenceRate("UK", _D(2025, 2, 6), Decimal("4.50"), _BOE_TABLE),
    ReferenceRate("UK", _D(2025, 5, 8), Decimal("4.25"), _boe_decision("8 May 2025", "4.25")),
    ReferenceRate("UK", _D(2025, 8, 7), Decimal("4.00"), _boe_decision("7 August 2025", "4.00")),
    ReferenceRate("UK", _D(2025, 12, 18), Decimal("3.75"), _boe_decision("18 December 2025", "3.75")),
    ReferenceRate(
        "UK",
        _D(2025, 12, 31),
        Decimal("3.75"),
        "Confirmation, not a change: Bank Rate in force on 31 December 2025 (cut to 3.75% on "
        "18 December 2025; the next MPC decision was on 5 February 2026).",
    ),
)


class RateNotCovered(Exception):
    """No known reference rate for a date the law needs. The message is one line for the user."""

    def __init__(self, regime: str, date: dt.date, known_through: dt.date | None = None) -> None:
        self.regime = regime
        self.date = date
        self.known_through = known_through
        what = "ECB main refinancing rate" if regime == "EU" else "Bank of England Bank Rate"
        known = (
            f"the rate table is known to be complete only up to {known_through}"
            if known_through
            else f"the rate table has no {regime} rate on or before that day"
        )
        super().__init__(
            f"No {regime} reference rate is known for {date} ({known}). Add a row to the RateTable sheet "
            f"with Regime {regime}, Effective From {date} and Rate = the {what} in force that day "
            "(in percent, e.g. 3.15), or pass --reference-rate."
        )


class Segment(NamedTuple):
    """Part of the late period charged at one statutory rate: first and last day (inclusive)."""

    start: dt.date
    end: dt.date
    days: int
    rate: Decimal  # statutory annual percent: reference + margin
    interest_cents: int  # this part alone, rounded for display; the total is rounded once, not summed


@dataclass(frozen=True)
class InterestResult:
    """Statutory interest on one late invoice. `rate` and `reference_rate` are those of the last
    segment when the EU rate changed across half-years; `segments` shows each part."""

    regime: str
    currency: str
    principal_cents: int
    due: dt.date
    paid: dt.date
    days: int
    rate: Decimal
    reference_rate: Decimal
    margin: Decimal
    interest_cents: int
    fixed_sum_cents: int
    total_cents: int
    segments: tuple[Segment, ...]
    sources: tuple[str, ...]  # where each reference rate used came from

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values: money as '1234.50', rates in percent as '11.15', dates ISO."""
        return {
            "regime": self.regime,
            "currency": self.currency,
            "principal": format_cents(self.principal_cents),
            "due": self.due.isoformat(),
            "paid": self.paid.isoformat(),
            "days": self.days,
            "rate": percent_text(self.rate),
            "reference_rate": percent_text(self.reference_rate),
            "margin": percent_text(self.margin),
            "interest": format_cents(self.interest_cents),
            "fixed_sum": format_cents(self.fixed_sum_cents),
            "total": format_cents(self.total_cents),
            "segments": [
                {
                    "start": s.start.isoformat(),
                    "end": s.end.isoformat(),
                    "days": s.days,
                    "rate": percent_text(s.rate),
                    "reference_rate": percent_text(s.rate - self.margin),
                    "interest": format_cents(s.interest_cents),
                }
                for s in self.segments
            ],
            "sources": list(self.sources),
        }


def percent_text(rate: Decimal) -> str:
    """A percent for people and JSON: at least two decimals, more only when they carry something.

    >>> percent_text(Decimal("11.150")), percent_text(Decimal("8")), percent_text(Decimal("3.125"))
    ('11.15', '8.00', '3.125')
    """
    two = rate.quantize(Decimal("0.01"))
    return f"{two:.2f}" if two == rate else f"{rate.normalize():f}"


def _check_regime(regime: str) -> str:
    if regime not in REGIMES:
        raise ValueError(f"regime must be EU or UK, not {regime!r}")
    return regime


def rate_in_force(regime: str, on: dt.date, rates: Iterable[ReferenceRate]) -> ReferenceRate | None:
    """The row of `regime` with the latest effective_from on or before `on`; None if there is none.

    This says nothing about whether the table is complete up to `on`: `statutory_interest` also
    checks `covered_through`.
    """
    best: ReferenceRate | None = None
    for r in rates:
        if r.regime == regime and r.effective_from <= on and (best is None or r.effective_from >= best.effective_from):
            best = r
    return best


def covered_through(regime: str, rates: Iterable[ReferenceRate]) -> dt.date | None:
    """The last date for which the table is known complete: its latest row for `regime`."""
    return max((r.effective_from for r in rates if r.regime == regime), default=None)


def _reference(regime: str, on: dt.date, rates: Sequence[ReferenceRate]) -> ReferenceRate:
    found = rate_in_force(regime, on, rates)
    horizon = covered_through(regime, rates)
    if found is None:
        raise RateNotCovered(regime, on)
    if horizon is None or on > horizon:
        raise RateNotCovered(regime, on, horizon)
    return found


def fixed_sum_cents(regime: str, principal_cents: int) -> int:
    """Fixed compensation for one late invoice, in cents of the regime's currency.

    EU (Art. 6(1)): EUR 40. UK (s.5A): GBP 40 under 1,000; 70 from 1,000 to 9,999.99; 100 from 10,000.
    >>> fixed_sum_cents("UK", 99_999), fixed_sum_cents("UK", 100_000), fixed_sum_cents("UK", 1_000_000)
    (4000, 7000, 10000)
    """
    if _check_regime(regime) == "EU":
        return EU_FIXED_SUM_CENTS
    if principal_cents < 100_000:
        return 4000
    if principal_cents < 1_000_000:
        return 7000
    return 10000


def _half_year_start(d: dt.date) -> dt.date:
    return dt.date(d.year, 1 if d.month <= 6 else 7, 1)


def _next_half_year(d: dt.date) -> dt.date:
    return dt.date(d.year, 7, 1) if d.month <= 6 else dt.date(d.year + 1, 1, 1)


def uk_reference_date(first_late_day: dt.date) -> dt.date:
    """SI 2002/1675: Bank Rate on 31 December (interest starting 1 Jan-30 Jun) or 30 June (1 Jul-31 Dec)
    immediately before the day interest starts to run."""
    if first_late_day.month <= 6:
        return dt.date(first_late_day.year - 1, 12, 31)
    return dt.date(first_late_day.year, 6, 30)


def statutory_interest(
    regime: str,
    principal_cents: int,
    due: dt.date,
    paid: dt.date,
    rates: Sequence[ReferenceRate] = SOURCED_RATES,
    reference_rate: Decimal | None = None,
    margin: Decimal = MIN_MARGIN,
) -> InterestResult:
    """Statutory interest and fixed compensation on an invoice due `due` and paid `paid`.

    regime: "EU" or "UK". principal_cents: the unpaid amount (> 0). rates: reference rates to look
    up (default: the sourced ones; `rates_from_book` merges a workbook's). reference_rate: a percent
    that replaces the table for every day. margin: points over the reference rate (at least 8).
    Raises RateNotCovered when a date the law needs is beyond (or before) the known rates.

    >>> r = statutory_interest("EU", 1_000_000, dt.date(2025, 1, 31), dt.date(2025, 4, 1))
    >>> r.days, r.rate, r.interest_cents, r.fixed_sum_cents, r.total_cents
    (60, Decimal('11.15'), 18329, 4000, 22329)
    """
    _check_regime(regime)
    margin = Decimal(margin)
    if margin < MIN_MARGIN:
        raise ValueError(f"the margin over the reference rate must be at least 8 points, not {margin}")
    if principal_cents <= 0:
        raise ValueError("the amount must be more than zero")
    given = None if reference_rate is None else Decimal(reference_rate)
    if given is not None and given < 0:
        raise ValueError(f"the reference rate cannot be negative ({given})")
    currency = CURRENCY[regime]

    if paid <= due:  # paid on time: no interest, no fixed sum, and no rate needs looking up
        ref = given if given is not None else Decimal(0)
        return InterestResult(
            regime=regime,
            currency=currency,
            principal_cents=principal_cents,
            due=due,
            paid=paid,
            days=0,
            rate=ref + margin if given is not None else Decimal(0),
            reference_rate=ref,
            margin=margin,
            interest_cents=0,
            fixed_sum_cents=0,
            total_cents=0,
            segments=(),
            sources=(),
        )

    first = due + dt.timedelta(days=1)
    # (start, end, reference percent, source) for each run of days at one rate
    parts: list[tuple[dt.date, dt.date, Decimal, str]] = []
    if given is not None:
        parts.append((first, paid, given, "reference rate given by the user"))
    elif regime == "UK":
        # SI 2002/1675 with s.4(2): one rate, found for the day interest starts, for the life of the debt.
        row = _reference("UK", uk_reference_date(first), rates)
        parts.append((first, paid, row.rate, row.source))
    else:
        # Art. 3(2)(a)/(b) (and Art. 4(2)): the reference rate *applicable for* each semester is the
        # rate in force on its 1 January / 1 July, so a debt late across semesters takes each
        # semester's rate for its days in it (as Germany's s.247/288 BGB does), not one rate for life.
        start = first
        while start <= paid:
            end = min(_next_half_year(start) - dt.timedelta(days=1), paid)
            row = _reference("EU", _half_year_start(start), rates)
            parts.append((start, end, row.rate, row.source))
            start = end + dt.timedelta(days=1)

    with localcontext() as ctx:
        ctx.prec = 60  # exact products; one division per figure
        segments: list[Segment] = []
        total_numerator = Decimal(0)  # principal cents x percent x days
        for start, end, ref, _ in parts:
            days = (end - start).days + 1
            numerator = Decimal(principal_cents) * (ref + margin) * days
            total_numerator += numerator
            segments.append(Segment(start, end, days, ref + margin, int(excel_round(numerator / 36500, 0))))
        interest = int(excel_round(total_numerator / 36500, 0))

    fixed = fixed_sum_cents(regime, principal_cents)
    sources = tuple(dict.fromkeys(p[3] for p in parts))
    return InterestResult(
        regime=regime,
        currency=currency,
        principal_cents=principal_cents,
        due=due,
        paid=paid,
        days=(paid - due).days,
        rate=segments[-1].rate,
        reference_rate=parts[-1][2],
        margin=margin,
        interest_cents=interest,
        fixed_sum_cents=fixed,
        total_cents=interest + fixed,
        segments=tuple(segments),
        sources=sources,
    )


def default_rate_rows() -> list[list[object]]:
    """Rows [Regime, Effective From, Rate, Source] for the template's RateTable sheet."""
    ordered = sorted(SOURCED_RATES, key=lambda r: (r.regime, r.effective_from))
    return [[r.regime, r.effective_from, r.rate, r.source] for r in ordered]


def rates_from_book(book) -> tuple[list[ReferenceRate], list[Finding]]:
    """The workbook's RateTable rows merged over SOURCED_RATES, and findings about them.

    A book row replaces the sourced row of the same regime and date. Rows that are blank or unreadable
    in Regime, Effective From or Rate are skipped (the type and required checks report them). Rows
    with a rate below 0 or above 25, and both rows of a regime and date given two different rates,
    are reported as errors and not used.
    """
    sourced = {(r.regime, r.effective_from): r for r in SOURCED_RATES}
    sheet = book.sheet("RateTable")
    if sheet is None or not all(sheet.has(f) for f in ("Regime", "Effective From", "Rate")):
        return sorted(sourced.values(), key=_order), []

    findings: list[Finding] = []
    regimes, dates, values = sheet.columns["Regime"], sheet.columns["Effective From"], sheet.columns["Rate"]
    sources = sheet.columns.get("Source") or [None] * len(sheet.rows)
    first_seen: dict[tuple[str, dt.date], tuple[int, Decimal]] = {}
    conflicting: set[tuple[str, dt.date]] = set()
    book_rates: dict[tuple[str, dt.date], ReferenceRate] = {}
    for row, regime, when, rate, source in zip(sheet.rows, regimes, dates, values, sources):
        if regime is None or when is None or rate is None:
            continue
        cell = sheet.cell("Rate", row)
        if rate < 0 or rate > MAX_REFERENCE_RATE:
            findings.append(
                error(
                    "reference-rate-out-of-range",
                    sheet.title,
                    cell,
                    f"The {regime} reference rate for {when} is {rate}%, outside 0 to 25%; it is not used.",
                    "Type the central bank rate in percent, e.g. 3.15 for 3.15%.",
                )
            )
            continue
        if 0 < rate < Decimal("0.25") and rate.as_tuple().exponent < -2:
            findings.append(
                warning(
                    "reference-rate-looks-like-a-fraction",
                    sheet.title,
                    cell,
                    f"The {regime} reference rate for {when} reads as {rate}%; "
                    f"did you mean {(rate * 100).normalize():f}%?",
                    "Type the rate in percent (3.15, not 0.0315), or format the cell as a plain number.",
                )
            )
        key = (regime, when)
        if key in first_seen:
            first_row, first_rate = first_seen[key]
            if first_rate != rate:
                conflicting.add(key)
                findings.append(
                    error(
                        "conflicting-reference-rates",
                        sheet.title,
                        cell,
                        f"Two {regime} reference rates take effect on {when}: {first_rate}% in row {first_row} "
                        f"and {rate}% in row {row}; neither is used.",
                        "Keep one row per regime and date and delete the wrong one.",
                    )
                )
            continue
        first_seen[key] = (row, rate)
        book_rates[key] = ReferenceRate(regime, when, rate, source or f"{sheet.title} sheet, row {row}")

    merged = dict(sourced)
    for key, r in book_rates.items():
        if key in conflicting:
            continue
        known = sourced.get(key)
        if known is not None and known.rate == r.rate:
            continue  # the template's own copy of a sourced row
        if known is not None:
            findings.append(
                warning(
                    "reference-rate-differs-from-source",
                    sheet.title,
                    sheet.cell("Rate", first_seen[key][0]),
                    f"The {r.regime} reference rate for {r.effective_from} is {r.rate}% here but "
                    f"{known.rate}% as published by the {RATE_NAME[r.regime]}; the workbook's rate is used.",
                    f"Check the rate; type {known.rate} if the workbook's is a mistake.",
                )
            )
        merged[key] = r
    return sorted(merged.values(), key=_order), findings


def _order(r: ReferenceRate) -> tuple[str, dt.date]:
    return (r.regime, r.effective_from)
