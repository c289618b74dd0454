"""The letter log: one row per letter on the owned `Letters` sheet, so no letter goes out twice and
dunning knows which level a customer last received and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from billing_addin.core.cell_values import parse_date, to_id
from billing_addin.core.patch import DATE_FORMAT, DATETIME_FORMAT, Column, read_back

LETTERS_SHEET = "Letters"
LETTER_COLUMNS = (
    Column("Made At", 18, DATETIME_FORMAT),
    Column("As-of Date", 12, DATE_FORMAT),
    Column("Kind", 12),
    Column("Level", 7),
    Column("Customer ID", 12),
    Column("Invoices", 30),
    Column("DOCX", 34),
    Column("PDF", 34),
    Column("PDF SHA256", 20),
    Column("Status", 9),
    # A statement's period (blank for other letters): a statement for another period is another letter.
    # Added after Status, so a log written before it still reads (its statements have no period).
    Column("Period From", 12, DATE_FORMAT),
    Column("Period To", 12, DATE_FORMAT),
    # Our reference on the letter (D1-C001-20261127, PLAN-PP-1-R3): a plan letter is one per plan, letter and
    # installment, which only the reference tells apart. Added last, so older logs still read.
    Column("Reference", 18),
)


@dataclass(frozen=True)
class LetterRecord:
    made_at: dt.datetime | None
    as_of: dt.date | None
    kind: str  # invoice, statement, dunning, plan, appeal
    level: int | None  # dunning level, else None
    customer_id: str
    invoices: tuple[str, ...]
    docx: str
    pdf: str
    sha256: str
    status: str  # made, sent
    period_start: dt.date | None = None  # a statement's first day (None: another kind, or an older log)
    period_end: dt.date | None = None  # a statement's last day
    reference: str = ""  # our reference on the letter (blank in an older log)

    @property
    def date(self) -> dt.date | None:
        """The day the letter is dated: its as-of date, which the customer reads on it and its pay-by date
        counts from, so dunning waits from it too (a month-end run made a week late waits from month end).
        The day it was made only when the log lost the as-of date."""
        if self.as_of is not None:
            return self.as_of
        return self.made_at.date() if isinstance(self.made_at, dt.datetime) else None

    def as_row(self) -> tuple:
        return (
            self.made_at,
            self.as_of,
            self.kind,
            self.level,
            self.customer_id,
            ", ".join(self.invoices),
            self.docx,
            self.pdf,
            self.sha256,
            self.status,
            self.period_start,
            self.period_end,
            self.reference or None,
        )


def read_letter_log(rows: list[list[object]]) -> list[LetterRecord]:
    """Records from the Letters sheet's raw rows (header first), as the reader keeps them in
    `book.owned_rows["Letters"]`. Rows that cannot be understood are skipped: the log is the add-in's own."""
    out = []
    for _, get in read_back(rows, LETTER_COLUMNS):
        customer = to_id(get("Customer ID"))
        kind = get("Kind")
        if not customer or not kind:
            continue
        made = get("Made At")
        if isinstance(made, dt.date) and not isinstance(made, dt.datetime):
            made = dt.datetime.combine(made, dt.time())
        as_of = parse_date(get("As-of Date"))
        level = get("Level")
        try:
            level = int(level) if level is not None else None
        except (TypeError, ValueError):
            level = None
        invoices = tuple(s.strip() for s in str(get("Invoices") or "").split(",") if s.strip())
        start, end = parse_date(get("Period From")), parse_date(get("Period To"))
        out.append(
            LetterRecord(
                made if isinstance(made, dt.datetime) else None,
                as_of if isinstance(as_of, dt.date) else None,
                str(kind),
                level,
                customer,
                invoices,
                str(get("DOCX") or ""),
                str(get("PDF") or ""),
                str(get("PDF SHA256") or ""),
                str(get("Status") or "made"),
                start if isinstance(start, dt.date) else None,
                end if isinstance(end, dt.date) else None,
                str(get("Reference") or "").strip(),
            )
        )
    return out
