"""What every bank and processor file is read into: a `Statement` of `BankLine`s, or a `BankFileError`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from billing_addin.core.bank_lines import BankLine

# The formats read_statement knows, as Statement.format names them.
FORMATS = ("csv", "stripe", "paypal", "square", "ofx", "camt.052", "camt.053", "camt.054", "mt940")


@dataclass(frozen=True)
class Statement:
    """One file read: its format, its lines in file order, and what the clerk should be shown about it.

    ignored_columns: the CSV headers that were not read (shown to the user, never silently dropped).
    currency: the file's own currency (OFX CURDEF, camt account currency, MT940 opening balance; for a CSV the
    currency most of its lines are in), for lines that carry none.
    account: the file's own account (the statement's IBAN or account number) when it says.
    notes: rows deliberately not read and why (a pending PayPal payment, a total row), for the clerk to see."""

    format: str
    lines: tuple[BankLine, ...]
    ignored_columns: tuple[str, ...] = ()
    currency: str | None = None
    source: str = ""
    account: str = ""
    notes: tuple[str, ...] = ()


class BankFileError(ValueError):
    """A file that cannot be read as it is: one message for the clerk naming the file, where in it (line, and the
    column for a CSV), what is wrong and what to do. Never a traceback, never a guessed figure."""

    def __init__(
        self, source: str, problem: str, fix: str = "", line: int | None = None, column: str | int | None = None
    ) -> None:
        self.source = source
        self.problem = problem
        self.fix = fix
        self.line = line
        self.column = column
        where = source
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}" if isinstance(column, int) else f", column {column!r}"
        super().__init__(f"{where}: {problem}" + (f" {fix}" if fix else ""))


def main_currency(currencies: Iterable[str | None]) -> str | None:
    """The currency most lines are in (the first seen on a tie); None when no line has one."""
    counts = Counter(c for c in currencies if c)
    return counts.most_common(1)[0][0] if counts else None


def some_lines(numbers: list[int], limit: int = 8) -> str:
    """'line 4', 'lines 4, 9 and 12', 'lines 4, 9, ... (120 in all)'."""
    if len(numbers) == 1:
        return f"line {numbers[0]}"
    if len(numbers) <= limit:
        return "lines " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    return "lines " + ", ".join(map(str, numbers[:limit])) + f", ... ({len(numbers):,} in all)"
