"""The one way a workbook becomes something a command can take, as a readable pipeline:

    read the workbook (workbook/reader.py)         -> Book: typed sheets, Excel rows and columns kept
    parse the configuration sheets once (config)   -> fee policies, rate table, dunning levels, letter log
    run every check at the as-of date (checks)     -> findings, the customers they hold back, what stops figures
    = LoadedBook, immutable; every command takes one.

`load(path)` does all three from a file; `check_book(book)` does the last two for a book read some other way
(the Excel shell reads cell values through xlwings).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from billing_addin.core.book import Book
from billing_addin.core.checks import run_checks
from billing_addin.core.config import Config, read_config
from billing_addin.core.findings import ERROR, Finding
from billing_addin.core.held_back import HeldBack, held_back, stopping_errors
from billing_addin.workbook.reader import read_book


@dataclass(frozen=True)
class LoadedBook:
    """A book with its configuration parsed and its checks run as at `as_of`."""

    book: Book
    config: Config
    as_of: dt.date
    findings: tuple[Finding, ...]  # every finding of every check, unsorted

    @cached_property
    def held(self) -> HeldBack:
        """The customers the errors hold back from fees, letters and statements (core/held_back.py)."""
        return held_back(self.book, list(self.findings))

    @cached_property
    def stop(self) -> list[Finding]:
        """The errors that stop every figure: a sheet or column the figures are made from is missing or unreadable."""
        return stopping_errors(list(self.findings))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def at(self, as_of: dt.date) -> LoadedBook:
        """The same book and configuration checked as at another date (itself when the date is its own)."""
        if as_of == self.as_of:
            return self
        return dataclasses.replace(self, as_of=as_of, findings=tuple(run_checks(self.book, as_of, self.config)))


def resolve_as_of(book: Book, given: dt.date | None, today: dt.date | None = None) -> dt.date:
    """The as-of date: given on the command line, else the Settings sheet's, else today."""
    return given or book.settings.as_of or today or dt.date.today()


def check_book(book: Book, as_of: dt.date | None = None, config: Config | None = None) -> LoadedBook:
    """Parse the configuration sheets (unless given) and run every check as at `as_of` (resolve_as_of)."""
    config = config or read_config(book)
    day = resolve_as_of(book, as_of)
    return LoadedBook(book, config, day, tuple(run_checks(book, day, config)))


def load(path: Path | str, as_of: dt.date | None = None) -> LoadedBook:
    """Read a workbook file and check it: the whole pipeline. Raises reader.UnreadableWorkbook when the file
    cannot be read as a workbook at all."""
    return check_book(read_book(Path(path)), as_of)
