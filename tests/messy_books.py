"""Billing workbooks in the shapes people really paste them, made from one set of rows whose right answers are
known: the same rows in the template's own tables.

Each `Shape` rewrites the Invoices and Payments sheets of a template book as plain ranges with openpyxl (a
title line, everyday headers, Yes/No flags, numbers as IDs, totals under the data, a second table ...). A
shape is either one the add-in must understand (`same`: its figures equal the template's) or one it must refuse
(`same=False`: a non-zero exit with an error finding naming a cell). tests/test_messy_books.py holds every
shape, at several as-of dates, to that rule: never exit 0 with different figures.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from billing_addin.core.schema import ADJUSTMENTS, INVOICES, PAYMENTS
from billing_addin.workbook.demo_book import DemoData, generate
from billing_addin.workbook.template import build_template

AS_OF = dt.date(2026, 6, 30)


def base_data() -> DemoData:
    """A small correct book with disputes, partial payments, payments with and without Applied To."""
    data = generate(AS_OF, customers=10, invoices=70, payments=55, seed=3, mistakes=False)
    for n, row in enumerate(data.rows[INVOICES.name]):
        if n % 9 == 4:
            row[INVOICES.fields.index(INVOICES.field("Dispute"))] = "Price not as quoted"
    return data


@dataclass
class Sheet:
    """One sheet as a messy writer lays it out: columns (header -> values), and what goes around them."""

    headers: list[str]
    rows: list[list[object]]
    title: str | None = None  # a title line above the header (then one blank row)
    merged_band: str | None = None  # a merged cell spanning the first four columns above the header
    hidden: list[int] = field(default_factory=list)  # 0-based columns to hide
    below: list[list[object]] = field(default_factory=list)  # rows under the data, after one blank row
    beside: list[list[object]] = field(default_factory=list)  # a second table right of the data, blank column between


@dataclass(frozen=True)
class Shape:
    name: str
    same: bool  # True: the figures must equal the template's; False: the book must be refused
    change: Callable[[str, Sheet], None]  # edits the Invoices / Payments layout in place
    settings: dict = field(default_factory=dict)


def _fields(spec) -> list[str]:
    return [f.name for f in spec.fields]


def _rename(mapping: dict[str, str]) -> Callable[[str, Sheet], None]:
    def change(sheet: str, s: Sheet) -> None:
        s.headers = [mapping.get(f"{sheet}.{h}", h) for h in s.headers]

    return change


def _column(s: Sheet, header: str) -> int:
    return s.headers.index(header)


def _map_values(s: Sheet, header: str, f: Callable[[object], object]) -> None:
    i = _column(s, header)
    for r in s.rows:
        r[i] = f(r[i])


def _titled(sheet: str, s: Sheet) -> None:
    s.title = f"Accounts receivable - {sheet.lower()} (exported {AS_OF:%d %b %Y})"


def _everyday(sheet: str, s: Sheet) -> None:
    _titled(sheet, s)
    _rename(
        {
            "Invoices.Invoice No": "Invoice Number",
            "Invoices.Customer ID": "Customer Number",
            "Invoices.Invoice Date": "InvoiceDate",
            "Invoices.Due Date": "DueDate",
            "Invoices.Amount": "Invoice Amount",
            "Invoices.Dispute": "Dispute Reason",
            "Payments.Payment ID": "Receipt No",
            "Payments.Customer ID": "Customer Number",
            "Payments.Payment Date": "Date Received",
            "Payments.Amount": "Amount Paid",
            "Payments.Applied To": "Invoice #",
        }
    )(sheet, s)


def _yes_no_disputed(sheet: str, s: Sheet) -> None:
    if sheet == INVOICES.name:
        s.headers[_column(s, "Dispute")] = "Disputed"
        _map_values(s, "Disputed", lambda v: "Yes" if v else "No")


def _dispute_flags_in_other_words(sheet: str, s: Sheet) -> None:
    if sheet == INVOICES.name:
        s.headers[_column(s, "Dispute")] = "In Dispute"
        flip = iter(range(10**6))
        _map_values(
            s,
            "In Dispute",
            lambda v: ("Y", True, "x", "TRUE")[next(flip) % 4] if v else ("N", False, None, "0")[next(flip) % 4],
        )


def _invoice_number_and_settled_date(sheet: str, s: Sheet) -> None:
    _titled(sheet, s)
    _rename({"Payments.Applied To": "Invoice Number", "Payments.Payment Date": "Settled Date"})(sheet, s)


def _numeric_ids(sheet: str, s: Sheet) -> None:
    """Invoice numbers typed as numbers (24001) on both sheets."""
    header = "Applied To" if sheet == PAYMENTS.name else "Invoice No"
    _map_values(s, header, lambda v: int(v[4:]) if isinstance(v, str) and v.startswith("INV-") else v)


def _currency_headers(sheet: str, s: Sheet) -> None:
    _rename({"Invoices.Amount": "Amount ($)", "Payments.Amount": "Amount USD"})(sheet, s)


def _merged_and_hidden(sheet: str, s: Sheet) -> None:
    _titled(sheet, s)
    s.merged_band = "Open items" if sheet == INVOICES.name else "Receipts"
    s.headers.insert(2, "Internal memo")
    for r in s.rows:
        r.insert(2, "see file")
    s.hidden = [2]


def _second_table_beside(sheet: str, s: Sheet) -> None:
    s.beside = [["Region", "Target"], ["North", 12000], ["South", 8000]]


def _total_row_below(sheet: str, s: Sheet) -> None:
    if sheet == INVOICES.name:
        amount = _column(s, "Amount")
        total = [None] * len(s.headers)
        total[0], total[amount] = "Total", sum(r[amount] for r in s.rows)
        s.below = [total]


def _second_table_below(sheet: str, s: Sheet) -> None:
    if sheet == PAYMENTS.name:
        s.below = [["Summary", "Count"], ["Checks", 12], ["Transfers", 30]]


def _no_payment_date(sheet: str, s: Sheet) -> None:
    _rename({"Payments.Payment Date": "When"})(sheet, s)


def _amount_due_on_payments(sheet: str, s: Sheet) -> None:
    _rename({"Payments.Amount": "Amount Due"})(sheet, s)


def _yes_no_under_hold_until(sheet: str, s: Sheet) -> None:
    if sheet == INVOICES.name:
        s.headers[_column(s, "Hold Until")] = "On Hold"
        flip = iter(range(10**6))
        _map_values(s, "On Hold", lambda v: "Yes" if next(flip) % 11 == 0 else "No")


_DATE_HEADERS = ("Invoice Date", "Due Date", "Payment Date", "Date")


def _dates_as_text(fmt: Callable[[dt.date], str], only: Callable[[dt.date], bool] = lambda d: True):
    def change(sheet: str, s: Sheet) -> None:
        for header in _DATE_HEADERS:
            if header in s.headers:
                _map_values(s, header, lambda v: fmt(v) if isinstance(v, dt.date) and only(v) else v)

    return change


SHAPES: tuple[Shape, ...] = (
    Shape("dates as m/d/yyyy text", True, _dates_as_text(lambda d: f"{d.month}/{d.day}/{d.year}")),
    Shape(
        "dates as dd.mm.yy text, Date Order DMY",
        True,
        _dates_as_text(lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}"),
        {"Date Order": "DMY"},
    ),
    Shape(
        "text dates whose order nothing settles",
        False,
        _dates_as_text(lambda d: f"{d.day}/{d.month}/{d.year}", only=lambda d: d.day <= 12),
    ),
    Shape("title line and everyday headers", True, _everyday),
    Shape("Yes/No Disputed column", True, _yes_no_disputed),
    Shape("Y/N, TRUE, x and 0 as dispute flags", True, _dispute_flags_in_other_words),
    Shape("Payments headed Invoice Number and Settled Date", True, _invoice_number_and_settled_date),
    Shape("invoice numbers as numbers", True, _numeric_ids),
    Shape("currency symbols in headers", True, _currency_headers),
    Shape("merged band, title and a hidden column", True, _merged_and_hidden),
    Shape("a second table beside the data", True, _second_table_beside),
    Shape("a total row under the data", False, _total_row_below),
    Shape("a second table under the data", False, _second_table_below),
    Shape("no Payment Date column", False, _no_payment_date),
    Shape("Amount Due instead of the amount paid", False, _amount_due_on_payments),
    Shape("Yes/No under Hold Until", False, _yes_no_under_hold_until),
)


def write_template(path: Path, data: DemoData) -> Path:
    """The right answers: the rows in the template's own tables."""
    build_template(path, data.rows, data.settings)
    return path


def write_shape(path: Path, data: DemoData, shape: Shape) -> Path:
    """The same rows, with Invoices, Payments and Adjustments laid out as `shape` says (plain ranges, no Tables)."""
    settings = {**data.settings, **shape.settings}
    build_template(path, data.rows, settings)
    wb = openpyxl.load_workbook(path)
    for spec in (INVOICES, PAYMENTS, ADJUSTMENTS):
        layout = Sheet(_fields(spec), copy.deepcopy([list(r) for r in data.rows[spec.name]]))
        shape.change(spec.name, layout)
        at = wb.sheetnames.index(spec.name)
        wb.remove(wb[spec.name])
        _lay_out(wb.create_sheet(spec.name, at), layout)
    wb.save(path)
    return path


def _lay_out(ws, s: Sheet) -> None:
    row = 1
    if s.title:
        ws.cell(row, 1, s.title)
        row += 2
    if s.merged_band:
        ws.cell(row, 1, s.merged_band)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        row += 1
    for j, h in enumerate(s.headers):
        ws.cell(row, j + 1, h)
    for i, r in enumerate(s.rows):
        for j, v in enumerate(r):
            if v is not None:
                ws.cell(row + 1 + i, j + 1, v)
    for i, r in enumerate(s.beside):
        for j, v in enumerate(r):
            ws.cell(row + i, len(s.headers) + 2 + j, v)
    after = row + len(s.rows) + 2
    for i, r in enumerate(s.below):
        for j, v in enumerate(r):
            if v is not None:
                ws.cell(after + i, j + 1, v)
    for j in s.hidden:
        ws.column_dimensions[openpyxl.utils.get_column_letter(j + 1)].hidden = True


_INVOICE_NO = re.compile(r"^INV-(\d+)$")


def comparable(command: str, data: dict) -> object:
    """The figures of a command's JSON, with what may rightly differ between shapes taken out (texts that quote
    a dispute reason, invoice numbers typed as numbers)."""

    def norm(v):
        if isinstance(v, str):
            m = _INVOICE_NO.match(v)
            return m[1] if m else v
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items() if k not in ("reason", "detail", "held_back")}
        return v

    if command == "refresh":
        keep = ("portfolio", "customers", "fees", "invoices")
        out = {k: data.get(k) for k in keep}
        out["letters"] = data["dunning"]["letters"]
        out["skipped"] = data["dunning"]["skipped"]
        return norm(out)
    if command == "dunning":
        return norm({"letters": data["letters"], "skipped": data["skipped"]})
    if command == "fees":
        return norm(data["fees"])
    return norm(data)
