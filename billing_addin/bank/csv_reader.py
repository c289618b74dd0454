"""A CSV from any bank, or a payment processor's export (Stripe, PayPal, Square), read into BankLines as a stream.

The encoding (UTF-8 with or without a BOM, UTF-16 with a BOM, else Windows-1252 or Latin-1) and the delimiter
(, ; tab |) are found from the file; the header row is the first of its first rows that names a date and an amount
(a bank's export may start with a few lines about the account). Columns are found by their headers (profiles.py),
or by the names an import profile gives. The file is read row by row and never held whole: a row whose date or
amount its column has not settled yet (3/4/2025, 1,234) is kept and read again at the end.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from billing_addin.bank.profiles import (
    AMOUNT_FIELDS,
    CREDIT_SIGNS,
    DEBIT_SIGNS,
    GENERIC,
    JOINED,
    NOT_MONEY_STATUSES,
    PROCESSORS,
    Processor,
    Profile,
    header_currency,
    norm,
    read_profile,
)
from billing_addin.bank.statement import BankFileError, Statement, main_currency, some_lines
from billing_addin.bank.values import AMOUNT_HINT, DATE_HINT, Amounts, BadValue, DateColumn, Pending
from billing_addin.core.bank_lines import BankLine

SAMPLE_CHARS = 256 * 1024  # what the delimiter and the header row are found from
HEADER_ROWS = 40  # a bank's export may start with lines about the account: the header is within these rows
DELIMITERS = (",", ";", "\t", "|")
# A profile naming one field of a group names the group: its reference columns are all the reference there is,
# and its credit and debit columns are the amount.
_GROUPS = {
    "reference": ("reference", "description"),
    "description": ("reference", "description"),
    "amount": ("amount", "credit", "debit"),
    "credit": ("amount", "credit", "debit"),
    "debit": ("amount", "credit", "debit"),
}
_TOTAL_WORDS = ("total", "sum", "summe", "balance", "saldo", "closing", "opening", "kontostand", "solde")


@dataclass(frozen=True)
class Layout:
    """Where a CSV's fields are: its format, header row and columns."""

    format: str
    processor: Processor | None
    header: tuple[str, ...]
    header_line: int
    columns: dict[str, tuple[int, ...]]
    currencies: dict[str, str]  # amount field -> the currency its header names ('Amount (EUR)')

    def has_date_and_amount(self) -> bool:
        c = self.columns
        return ("date" in c or "value_date" in c) and any(f in c for f in ("amount", "credit", "debit", "net"))

    def unread(self) -> list[int]:
        used = {i for cols in self.columns.values() for i in cols}
        return [i for i in range(len(self.header)) if i not in used]


def _show(cells: list[str] | tuple[str, ...], limit: int = 20) -> str:
    shown = [repr(c.strip() if len(c.strip()) <= 40 else c.strip()[:37] + "...") for c in cells[:limit]]
    return ", ".join(shown) + (f" and {len(cells) - limit} more" if len(cells) > limit else "")


def _aliases(processor: Processor | None) -> dict[str, tuple[str, ...]]:
    return processor.aliases if processor is not None else GENERIC


def layout_of(row: list[str], header_line: int, profile: Profile, source: str, strict: bool) -> Layout:
    """The layout a header row gives. `strict`: a header the profile names must be there (else BankFileError)."""
    norms = [norm(c) for c in row]
    present = set(norms)
    processor = next((p for p in PROCESSORS if p.matches(present)), None)
    columns: dict[str, tuple[int, ...]] = {}
    currencies: dict[str, str] = {}
    used: set[int] = set()
    for field, names in profile.fields.items():
        found = []
        for name in names:
            i = next((i for i, n in enumerate(norms) if n == norm(name) and i not in used), None)
            if i is None:
                if strict:
                    raise BankFileError(
                        source,
                        f"the profile names the column {name!r} for {field}, and the header row has no such column "
                        f"(it has {_show(row)})",
                        "Correct the profile on the ImportProfiles sheet to the header as the file writes it.",
                        line=header_line,
                    )
                continue
            found.append(i)
            used.add(i)
            hc = header_currency(row[i]) if field in AMOUNT_FIELDS else None
            if hc is not None:
                currencies[field] = hc[1]
        if found:
            columns[field] = tuple(found)
    aliases = _aliases(processor)
    named = {g for f in profile.fields for g in _GROUPS.get(f, (f,))}
    for field, names in aliases.items():
        if field in named:  # the profile says where this field is, or the fields that stand for it
            continue
        wanted = [norm(n) for n in names]
        if field in JOINED:
            found = sorted(i for i, n in enumerate(norms) if n in wanted and i not in used)
        else:
            found = []
            for w in wanted:
                i = next((i for i, n in enumerate(norms) if n == w and i not in used), None)
                if i is not None:
                    found.append(i)
                    if processor is None or field not in processor.first_filled:
                        break
        if found:
            columns[field] = tuple(found)
            used.update(found)
    for i, cell in enumerate(row):  # 'Amount (EUR)', 'Paid in (£)'
        hc = header_currency(cell) if i not in used else None
        if hc is None:
            continue
        bases = {norm(b) for b in hc[0]}
        field = next(
            (
                f
                for f in AMOUNT_FIELDS
                if f not in columns and f not in named and bases & {norm(n) for n in aliases.get(f, ())}
            ),
            None,
        )
        if field is not None:
            columns[field] = (i,)
            currencies[field] = hc[1]
            used.add(i)
    if "amount" in columns and "amount" not in named:  # an amount column is the amount: not credit and debit too
        columns.pop("credit", None)
        columns.pop("debit", None)
    return Layout(processor.name if processor else "csv", processor, tuple(row), header_line, columns, currencies)


def _encodings(path: Path, profile: Profile) -> list[str]:
    if profile.encoding:
        return [profile.encoding]
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(b"\xef\xbb\xbf"):
        return ["utf-8-sig"]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ["utf-16"]
    return ["utf-8", "cp1252", "latin-1"]


def _sample_rows(sample: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The first rows of the sample with the line each starts on; fewer when the sample cannot be parsed."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in itertools.islice(reader, HEADER_ROWS):
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error:
        pass
    return rows


def find_header(sample: str, profile: Profile, source: str) -> tuple[str, int, Layout]:
    """(delimiter, index of the header among the rows, layout); BankFileError naming the headers found."""
    delimiters = (profile.delimiter,) if profile.delimiter else DELIMITERS
    best: tuple[int, int, str, int, Layout] | None = None
    fallback: tuple[int, int, list[str], Layout] | None = None  # the row to show when none is a header
    for d in delimiters:
        for index, (line, row) in enumerate(_sample_rows(sample, d)):
            if not any(c.strip() for c in row):
                continue
            layout = layout_of(row, line, profile, source, strict=False)
            if layout.has_date_and_amount():
                key = (index, -len(row))
                if best is None or key < best[:2]:
                    best = (*key, d, index, layout)
                break
            score = (len(layout.columns), len(row))
            if len(row) > 1 and (fallback is None or score > fallback[:2]):
                fallback = (*score, row, layout)
    if best is not None:
        _, _, d, index, layout = best
        if profile.fields:  # now insist on every header the profile names
            layout = layout_of(list(layout.header), layout.header_line, profile, source, strict=True)
        return d, index, layout
    if fallback is None:
        rows = _sample_rows(sample, delimiters[0])
        first = next(((line, row) for line, row in rows if any(c.strip() for c in row)), None)
        if first is None and sample.strip():
            raise BankFileError(
                source,
                "is not a CSV: its first rows cannot be read (no line breaks, or a cell of more than 128 KB)",
                "Export the statement from the bank again as CSV.",
            )
        if first is None:
            raise BankFileError(source, "is empty", "Export the statement from the bank again.")
        fallback = (0, len(first[1]), first[1], layout_of(first[1], first[0], profile, source, strict=False))
    if profile.fields:
        layout_of(fallback[2], fallback[3].header_line, profile, source, strict=True)  # names the missing header
    layout = fallback[3]
    no_date = "date" not in layout.columns and "value_date" not in layout.columns
    no_amount = not any(f in layout.columns for f in ("amount", "credit", "debit", "net"))
    missing = " and no ".join(w for w, m in (("date", no_date), ("amount", no_amount)) if m)
    date_names = ", ".join((*GENERIC["date"][:6], "Value Date"))
    amount_names = ", ".join(GENERIC["amount"][:3])
    raise BankFileError(
        source,
        f"has no {missing} column: the headers are {_show(layout.header)}",
        f"A date column is headed {date_names} (or Buchungstag, Datum, Fecha...); an amount column {amount_names} "
        "(or Betrag, Montant, Importe...), or Credit and Debit, or Paid In and Paid Out. Name this bank's columns "
        "in a profile on the ImportProfiles sheet (for example date = Buchungstag, amount = Betrag).",
        line=layout.header_line,
    )


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def read_csv(path: Path, profile: Mapping[str, str] | None, source: str) -> Statement:
    spec = read_profile(profile, source)
    encodings = _encodings(path, spec)
    for encoding in encodings:
        try:
            return _read(path, encoding, spec, source)
        except UnicodeDecodeError as e:
            if encoding == encodings[-1]:
                raise BankFileError(
                    source,
                    f"is not text in {encoding} (byte {e.start + 1} of a piece cannot be read)",
                    "Export the statement again as CSV, or name its encoding in the file's profile (encoding = ...).",
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _read(path: Path, encoding: str, spec: Profile, source: str) -> Statement:
    with path.open(encoding=encoding, newline="") as f:
        sample = f.read(SAMPLE_CHARS)
        if len(sample) == SAMPLE_CHARS and "\n" in sample:
            sample = sample[: sample.rindex("\n") + 1]
    if "\x00" in sample:
        raise BankFileError(source, "holds binary data (NUL bytes), not text", "Export the statement again as CSV.")
    delimiter, header_index, layout = find_header(sample, spec, source)
    rows = _Rows(layout, spec, source)
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        start = 1
        try:
            for _ in range(header_index + 1):
                next(reader)
                start = reader.line_num + 1
            for row in reader:
                rows.add(row, start)
                start = reader.line_num + 1
        except csv.Error as e:
            raise BankFileError(
                source, f"is not a well-formed CSV ({e})", "Export the statement again as CSV.", line=reader.line_num
            ) from None
    return rows.statement()


class _Rows:
    """The lines of a CSV, built row by row."""

    def __init__(self, layout: Layout, spec: Profile, source: str) -> None:
        self.layout = layout
        self.source = source
        self.dates = DateColumn(spec.date_order)
        self.value_dates = DateColumn(spec.date_order)
        self.amounts = Amounts(spec.decimal)
        self.lines: list[BankLine | None] = []
        self.pending: list[tuple[int, list[str], int]] = []  # (position in lines, row, line)
        self.skipped: dict[str, list[int]] = {}
        self.extra_columns: set[int] = set()  # columns past the header, or without a header, that hold data
        self.build = self._builder()

    def add(self, row: list[str], line: int) -> None:
        if not any(c.strip() for c in row):
            return
        header = self.layout.header
        if len(row) > len(header) or "" in header:  # data past the header, or under a blank header
            self.extra_columns.update(
                i for i in range(len(row)) if row[i].strip() and (i >= len(header) or not header[i].strip())
            )
        try:
            self.lines.append(self.build(row, line))
        except Pending:
            self.pending.append((len(self.lines), row, line))
            self.lines.append(None)
        except _Skip as s:
            self.skipped.setdefault(s.reason, []).append(line)

    def statement(self) -> Statement:
        for field, column in (("date", self.dates), ("value_date", self.value_dates), (None, self.amounts)):
            problem = column.problem()
            if problem is not None:
                line, text, fix = problem
                raise BankFileError(self.source, text, fix, line=line, column=field and self._header(field))
        for position, row, line in self.pending:  # every date and amount is settled now
            self.lines[position] = self.build(row, line)
        lines = tuple(x for x in self.lines if x is not None)
        header = self.layout.header
        ignored = [header[i].strip() for i in self.layout.unread() if header[i].strip()]
        ignored += [f"column {i + 1} (no header)" for i in sorted(self.extra_columns)]
        notes = tuple(
            f"{len(numbers)} row{'s' if len(numbers) > 1 else ''} not read ({reason}): {some_lines(numbers)}"
            for reason, numbers in self.skipped.items()
        )
        return Statement(
            format=self.layout.format,
            lines=lines,
            ignored_columns=tuple(ignored),
            currency=main_currency(x.currency for x in lines),
            source=self.source,
            notes=notes,
        )

    def _header(self, field: str) -> str | None:
        cols = self.layout.columns.get(field)
        return self.layout.header[cols[0]].strip() if cols else None

    def _builder(self) -> Callable[[list[str], int], BankLine]:
        """The function that reads one row: BankLine, or Pending, _Skip, BankFileError."""
        c = self.layout.columns
        header = self.layout.header
        source = self.source
        processor = self.layout.processor
        # Every row is padded to `blank` + 1 cells, so a field the file lacks reads the blank cell `blank`.
        blank = max([len(header), *(i + 1 for cols in c.values() for i in cols)])
        one = {f: (c[f][0] if f in c else blank) for f in (
            "date", "value_date", "amount", "credit", "debit", "sign", "fee", "net", "currency", "status",
            "balance_impact")}  # fmt: skip
        texts = [i for f in ("reference", "description") for i in c.get(f, ())]
        payer, account, tx_id = c.get("payer", ()), c.get("account", ()), c.get("transaction_id", ())
        dates, value_dates, amounts = self.dates, self.value_dates, self.amounts
        date_i, value_i, status_i, impact_i, sign_i, currency_i = (
            one[f] for f in ("date", "value_date", "status", "balance_impact", "sign", "currency")
        )
        money_fields = [(f, one[f]) for f in AMOUNT_FIELDS if f in c]
        header_ccy = next((self.layout.currencies[f] for f, _ in money_fields if f in self.layout.currencies), None)
        fee_negative = processor.fee_written_negative if processor else None
        read_amount = amounts.read

        def fail(line: int, i: int, problem: str, fix: str) -> BankFileError:
            return BankFileError(source, problem, fix, line=line, column=header[i].strip() if i < len(header) else None)

        def first(row: list[str], cols: tuple[int, ...]) -> str:
            for i in cols:
                if t := row[i].strip():
                    return t
            return ""

        def total_row(row: list[str]) -> bool:
            words = " ".join(norm(x) for x in row)
            return any(w in words for w in _TOTAL_WORDS)

        def build(row: list[str], line: int) -> BankLine:
            if len(row) <= blank:
                row = row + [""] * (blank + 1 - len(row))
            if row[status_i] and norm(row[status_i]) in NOT_MONEY_STATUSES:
                raise _Skip(f"status {row[status_i].strip()}")
            if row[impact_i] and norm(row[impact_i]) == "memo":
                raise _Skip("Balance Impact Memo: no money moved")
            pending = False
            money: dict[str, int | None] = {}
            code = None
            for f, i in money_fields:
                try:
                    read = read_amount(row[i], line)
                except Pending:
                    pending = True
                    continue
                except BadValue as e:
                    raise fail(line, i, str(e), AMOUNT_HINT) from None
                if read is None:
                    money[f] = None
                else:
                    money[f] = read[0]
                    code = code or read[1]
            date_text, column, date_col = row[date_i], dates, date_i
            if not date_text.strip() and value_i != blank:
                date_text, column, date_col = row[value_i], value_dates, value_i
            if not date_text.strip():
                if pending or any(v is not None for v in money.values()):
                    if total_row(row):
                        raise _Skip("a total or balance row without a date")
                    raise fail(line, date_col, "has an amount but no date",
                               "Fill in the date, or delete the row if it is not a transaction.")  # fmt: skip
                raise _Skip("no date and no amount")
            try:
                date = column.read(date_text, line)
            except Pending:
                pending = True
            except BadValue as e:
                if total_row(row):
                    raise _Skip("a total or balance row without a date") from None
                raise fail(line, date_col, str(e), DATE_HINT) from None
            if pending:
                raise Pending
            amount = money.get("amount")
            if "amount" not in money and ("credit" in money or "debit" in money):
                credit, debit = money.get("credit"), money.get("debit")
                if credit and debit:
                    raise fail(line, one["credit"], "has both a credit and a debit",
                               "Keep one of the two, or split the row in two.")  # fmt: skip
                if credit is not None or debit is not None:
                    amount = (credit or 0) - abs(debit or 0)
            if amount is not None and sign_i != blank:
                s = norm(row[sign_i]) or row[sign_i].strip()
                if s in DEBIT_SIGNS:
                    amount = -abs(amount)
                elif s in CREDIT_SIGNS:
                    amount = abs(amount)
                else:
                    raise fail(line, sign_i, f"{row[sign_i].strip()!r} is neither credit nor debit",
                               "Write C or D (credit or debit) in the column.")  # fmt: skip
            fee_written, net = money.get("fee"), money.get("net")
            fee = 0
            if fee_written is not None:  # the fee kept, in cents: Stripe writes it so, PayPal and Square negative
                fee = -fee_written if fee_negative else fee_written if fee_negative is False else abs(fee_written)
            if net is not None:
                if amount is None:
                    amount = net + fee
                kept = amount - net
                if fee_written is None or (fee_negative is None and abs(fee_written) == abs(kept)):
                    fee = kept
                if fee != kept:
                    raise fail(line, one["net"], f"the gross {_money(amount)} less the fee {_money(fee)} is not "
                               f"the net {_money(net)}", "Correct the row: gross, fee and net must agree.")  # fmt: skip
            if amount is None:
                raise fail(line, one["amount"] if "amount" in c else one["credit"], "has a date but no amount",
                           "Fill in the amount, or delete the row if it is not a transaction.")  # fmt: skip
            currency = row[currency_i].strip().upper() or code or header_ccy
            if currency is not None and not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
                raise fail(line, currency_i, f"{currency!r} is not a currency code",
                           "Write the currency as its three-letter code, such as USD or EUR.")  # fmt: skip
            if len(texts) == 1:
                reference = row[texts[0]].strip()
            else:
                parts: list[str] = []
                for i in texts:
                    if (t := row[i].strip()) and t not in parts:
                        parts.append(t)
                reference = " | ".join(parts)
            return BankLine(
                line=line,
                date=date,
                amount=amount,
                currency=currency,
                reference=reference,
                payer=first(row, payer),
                account=first(row, account),
                transaction_id=first(row, tx_id) or None,
                fee=fee,
                source=source,
            )

        return build


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}"
