"""The workbook data UDFs look things up in: loaded once per workbook, kept until that workbook's data changes.

A `BookSource` says which workbook (`key`), gives a cheap `fingerprint()` that changes whenever its data may
have changed, and `load()`s it as a `Book`. `WorkbookCache` keeps one `BookFacts` per workbook and builds a
new one only when the fingerprint moves; `BookFacts` computes the ledger, fees and dunning plan once per
as-of date, through the same core functions the batch commands use.

Sources: `FileBookSource` (a file on disk: tests, benchmarks, any Python caller); inside Excel,
`xlwings_shell.ExcelBookSource` (the live workbook's values; fingerprint from Excel's change events).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from billing_addin.core.book import Book
from billing_addin.core.claim_worklist import Worklist, claims_worklist
from billing_addin.core.config import Config, read_config
from billing_addin.core.dunning import plan_dunning
from billing_addin.core.ledger import (
    DEFAULT_BUCKETS,
    CustomerBalance,
    InvoiceBalance,
    Ledger,
    build_ledger,
    parse_buckets,
)
from billing_addin.core.plans import PlansAsOf, plans_as_of
from billing_addin.loader import LoadedBook, check_book, resolve_as_of

MAX_BOOKS = 8  # workbooks open at once in one Excel
MAX_DAYS = 8  # as-of dates kept per workbook (today, the Settings date, a few typed ones)


@runtime_checkable
class BookSource(Protocol):
    key: str

    def fingerprint(self) -> Hashable: ...

    def load(self) -> Book: ...


class FileBookSource:
    """A workbook file: its data changes when the file is saved (modification time or size move)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()
        self.key = str(self.path)

    def fingerprint(self) -> Hashable:
        st = os.stat(self.path)
        return (st.st_mtime_ns, st.st_size)

    def load(self) -> Book:
        from billing_addin.workbook.reader import read_book

        return read_book(self.path)


@dataclass
class DayFacts:
    """What the ledger says as at one date, indexed the way the UDFs look it up (case-insensitive keys)."""

    as_of: dt.date
    ledger: Ledger | None  # None when the checks stop every figure (checked.stop)
    invoices: dict[str, InvoiceBalance]
    balances: dict[str, list[CustomerBalance]]
    dunning_levels: dict[str, int]
    checked: LoadedBook | None = None  # the book checked as at this date: what stops figures, who is held back
    plans: PlansAsOf | None = None  # payment plans and promises to pay as at this date


@dataclass
class BookFacts:
    """One version of one workbook's data, and everything computed from it so far."""

    book: Book
    fingerprint: Hashable
    _days: dict[dt.date, DayFacts] = field(default_factory=dict)
    _lazy: dict[str, object] = field(default_factory=dict)

    def default_as_of(self, today: dt.date | None = None) -> dt.date:
        """The Settings sheet's As-of Date, else today (as every command resolves it)."""
        return resolve_as_of(self.book, None, today)

    def day(self, as_of: dt.date) -> DayFacts:
        found = self._days.get(as_of)
        if found is None:
            if len(self._days) >= MAX_DAYS:
                self._days.pop(next(iter(self._days)))
            found = self._days[as_of] = self._compute_day(as_of)
        return found

    def _compute_day(self, as_of: dt.date) -> DayFacts:
        # The checks come first, as for every command that shows figures: a missing column stops them all,
        # and the customers whose rows have errors are held back (the UDFs show the cell to fix instead).
        checked = check_book(self.book, as_of, self.config)
        if checked.stop:
            return DayFacts(as_of, None, {}, {}, {}, checked)
        ledger = build_ledger(self.book, as_of)
        invoices: dict[str, InvoiceBalance] = {}
        for no, inv in ledger.invoices.items():
            invoices.setdefault(no.casefold(), inv)
        balances: dict[str, list[CustomerBalance]] = {}
        for c in ledger.customers:
            balances.setdefault(c.customer_id.casefold(), []).append(c)
        plans = plans_as_of(self.book, ledger)
        decisions, _ = plan_dunning(
            self.book,
            as_of,
            ledger=ledger,
            levels=self.config.dunning_levels,
            log=self.config.letter_log,
            holds=plans.holds,
            notes=plans.notes,
        )
        levels: dict[str, int] = {}
        for d in decisions:  # one letter per customer and currency: the highest level due
            key = d.customer_id.casefold()
            levels[key] = max(levels.get(key, 0), d.level)
        return DayFacts(as_of, ledger, invoices, balances, levels, checked, plans)

    def _once(self, name: str, make):
        if name not in self._lazy:
            self._lazy[name] = make()
        return self._lazy[name]

    def claims(self, as_of: dt.date) -> Worklist:
        """The claims worklist as at `as_of` (the same `billing claims` makes), once per date."""
        return self._once(f"claims {as_of}", lambda: claims_worklist(self.book, as_of))

    @property
    def customer_ids(self) -> frozenset[str]:
        """Customer IDs on the Customers sheet, case-folded."""

        def make():
            sd = self.book.sheet("Customers")
            ids = sd.columns.get("Customer ID", []) if sd is not None else []
            return frozenset(c.casefold() for c in ids if c is not None)

        return self._once("customers", make)

    @property
    def invoice_customers(self) -> dict[str, str]:
        """Invoice No (case-folded) -> its Customer ID, from the Invoices sheet (the first row that has it)."""

        def make():
            sd = self.book.sheet("Invoices")
            if sd is None:
                return {}
            out: dict[str, str] = {}
            for no, cid in zip(sd.columns.get("Invoice No", []), sd.columns.get("Customer ID", [])):
                if no is not None and cid is not None:
                    out.setdefault(no.casefold(), cid)
            return out

        return self._once("invoice_customers", make)

    @property
    def bucket_bounds(self) -> tuple[int, ...]:
        def make():
            try:
                return parse_buckets(self.book.settings.get("Aging Buckets"))
            except ValueError:
                return DEFAULT_BUCKETS  # validation reports it; the ledger falls back the same way

        return self._once("buckets", make)

    @property
    def config(self) -> Config:
        """The configuration sheets, parsed once per version of the workbook (core/config.py)."""
        return self._once("config", lambda: read_config(self.book))

    @property
    def fee_policies(self) -> dict:
        return self.config.fee_policies

    @property
    def rates(self) -> tuple:
        return self.config.rates


class WorkbookCache:
    """BookFacts per workbook, rebuilt only when the workbook's fingerprint changes."""

    def __init__(self) -> None:
        self._books: dict[str, BookFacts] = {}
        self.loads = 0  # how many times a workbook was (re)loaded: tests and the benchmark read it

    def facts(self, source: BookSource) -> BookFacts:
        fingerprint = source.fingerprint()
        found = self._books.get(source.key)
        if found is None or found.fingerprint != fingerprint:
            if found is None and len(self._books) >= MAX_BOOKS:
                self._books.pop(next(iter(self._books)))
            found = self._books[source.key] = BookFacts(source.load(), fingerprint)
            self.loads += 1
        return found

    def clear(self) -> None:
        self._books.clear()
