"""The worksheet XML of a sheet the add-in owns, streamed as text chunks.

Every text is an inline string (t="inlineStr"): the shared-strings part stays untouched, and text such as
"=SUM(A1)" or "+1" can never become a formula.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import numbers
from collections.abc import Iterator
from decimal import Decimal

from billing_addin.core.patch import DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT, Link, OwnedSheet

from .cell_xml import (
    MAX_COLUMNS,
    MAX_ROWS,
    column_letters,
    excel_serial,
    inline_string,
    quote_sheet,
    xml_attr,
)
from .refusal import WriteRefused
from .styles import StyleBook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FORBIDDEN_IN_NAME = set("[]:*?/\\")
_CELLS_PER_CHUNK = 20_000
_INFINITIES = (math.inf, -math.inf)


def check_sheet(sheet: OwnedSheet) -> None:
    """Refuse a sheet Excel could not hold (bad name, no columns, too big)."""
    name = sheet.name
    if not name or len(name) > 31 or _FORBIDDEN_IN_NAME & set(name) or name[0] == "'" or name[-1] == "'":
        raise WriteRefused(
            f"'{name}' cannot be a sheet name: use 1-31 characters without [ ] : * ? / \\ and no quote at either end."
        )
    if name.casefold() == "history":
        raise WriteRefused("'History' is reserved by Excel and cannot be a sheet name.")
    if not sheet.columns:
        raise WriteRefused(f"Sheet '{name}' has no columns to write.")
    if len(sheet.columns) > MAX_COLUMNS or len(sheet.rows) + 1 > MAX_ROWS:
        raise WriteRefused(
            f"Sheet '{name}' is larger than Excel's limit of {MAX_ROWS:,} rows x {MAX_COLUMNS:,} columns."
        )


def data_ref(sheet: OwnedSheet) -> str:
    """The header and data area, e.g. 'A1:D11'."""
    return f"A1:{column_letters(len(sheet.columns) - 1)}{len(sheet.rows) + 1}"


def filter_database_ref(sheet: OwnedSheet) -> str:
    """The value of the hidden _xlnm._FilterDatabase name that goes with the sheet's autoFilter."""
    return f"{quote_sheet(sheet.name)}!$A$1:${column_letters(len(sheet.columns) - 1)}${len(sheet.rows) + 1}"


def _number(value: float) -> str | None:
    if math.isfinite(value):
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    return None


def _decimal(value: Decimal) -> str | None:
    if value.is_finite():
        text = str(value)  # three times as fast as format(value, "f"), and the same text unless it has an exponent
        if "E" in text:
            text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return None


def _kind(value_type: type) -> str | None:
    """Which cell format a value of this type needs (None: the workbook's default)."""
    if value_type is str or value_type is bool or issubclass(value_type, str | bool):
        return None
    if issubclass(value_type, Link):
        return "link"
    if issubclass(value_type, Decimal):
        return "money"
    if issubclass(value_type, dt.datetime):
        return "datetime"
    if issubclass(value_type, dt.date):
        return "date"
    if issubclass(value_type, numbers.Number):
        return "number"
    return None


_DEFAULT_FORMATS = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "money": MONEY_FORMAT}


def register_styles(sheet: OwnedSheet, styles: StyleBook) -> dict[tuple[int, str], str]:
    """Find the cell formats the sheet needs and register them in `styles` before anything is written.

    styles.xml is written before the sheet streams, so every format must be known up front: one pass over
    the column types (C speed), not over the cells. Returns (column, kind) -> ' s="N"' attribute text.
    """
    found: dict[tuple[int, str], str] = {("header", "bold"): f' s="{styles.cell_format(None, "bold")}"'}  # type: ignore[dict-item]
    for ci, column in enumerate(itertools.zip_longest(*sheet.rows)):
        if ci >= len(sheet.columns):
            break
        fmt = sheet.columns[ci].number_format
        for value_type in set(map(type, column)):
            kind = _kind(value_type)
            if kind is None or (ci, kind) in found:
                continue
            if kind == "link":
                index = styles.cell_format(None, "link")
            else:
                index = styles.cell_format(fmt or _DEFAULT_FORMATS.get(kind))
            found[(ci, kind)] = f' s="{index}"' if index else ""
    return found


def sheet_xml(
    sheet: OwnedSheet,
    style_of: dict[tuple[int, str], str],
    *,
    date1904: bool,
    tab_selected: bool = False,
    drawing_rel_id: str | None = None,
) -> Iterator[str]:
    """Yield the worksheet XML in chunks of a few thousand rows; `style_of` comes from `register_styles`."""
    ncols = len(sheet.columns)
    letters = [column_letters(i) for i in range(ncols)]
    ref = data_ref(sheet)
    selected = ' tabSelected="1"' if tab_selected else ""
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{float(c.width):g}" customWidth="1"/>'
        for i, c in enumerate(sheet.columns)
    )
    header_style = style_of[("header", "bold")]  # type: ignore[index]
    header = "".join(
        f'<c r="{letters[i]}1"{header_style} t="inlineStr">{inline_string(c.header)}</c>'
        for i, c in enumerate(sheet.columns)
    )
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="{ref}"/>'
        f'<sheetViews><sheetView{selected} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData><row r="1">{header}</row>'
    )

    def style(ci: int, kind: str) -> str:
        return style_of.get((ci, kind), "")

    # Per-column lookups made once, so the loop over (maybe 100k x 12) cells does little more than format.
    number_style = [style(ci, "number") for ci in range(ncols)]
    money_style = [style(ci, "money") for ci in range(ncols)]
    date_style = [style(ci, "date") for ci in range(ncols)]
    epoch = (dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)).toordinal()
    first_plain_day = 0 if date1904 else 61  # 1900 system: before 1 March 1900 Excel's count is off by one
    texts: dict[str, str] = {}  # billing columns repeat their texts (status, currency, customer)
    links: list[str] = []
    out: list[str] = []
    for ri, row in enumerate(sheet.rows, start=2):
        if len(row) > ncols:
            raise WriteRefused(f"Row {ri} of sheet '{sheet.name}' has more values than the sheet has columns.")
        rs = str(ri)
        out.append(f'<row r="{rs}">')
        for ci, value in enumerate(row):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                body = texts.get(value)
                if body is None:
                    body = inline_string(value)
                    if len(texts) < 100_000:
                        texts[value] = body
                out.append(f'<c r="{letters[ci]}{rs}" t="inlineStr">{body}</c>')
            elif kind is int:
                out.append(f'<c r="{letters[ci]}{rs}"{number_style[ci]}><v>{value}</v></c>')
            elif kind is float and value == value and value not in _INFINITIES:
                text = repr(value)
                if text.endswith(".0"):
                    text = text[:-2]
                out.append(f'<c r="{letters[ci]}{rs}"{number_style[ci]}><v>{text}</v></c>')
            elif kind is Decimal and value.is_finite():
                out.append(f'<c r="{letters[ci]}{rs}"{money_style[ci]}><v>{_decimal(value)}</v></c>')
            elif kind is dt.date and value.toordinal() - epoch >= first_plain_day:
                out.append(f'<c r="{letters[ci]}{rs}"{date_style[ci]}><v>{value.toordinal() - epoch}</v></c>')
            else:
                out.append(_other_cell(value, letters[ci] + rs, ci, style, date1904, links, sheet.name, ri))
        out.append("</row>")
        if len(out) > _CELLS_PER_CHUNK:
            yield "".join(out)
            out.clear()
    out.append(f'</sheetData><autoFilter ref="{ref}"/>')
    if links:
        out.append(f"<hyperlinks>{''.join(links)}</hyperlinks>")
    out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    if drawing_rel_id:
        out.append(f'<drawing r:id="{drawing_rel_id}"/>')
    out.append("</worksheet>")
    yield "".join(out)


def link_cell(ref: str, s: str, link: Link) -> str:
    """The cell of a hyperlink (the <hyperlink> entry goes apart): text as an inline string, never a formula;
    a number (an ID that was a number on the sheet it links to) as a number."""
    text = link.text
    if isinstance(text, str):
        return f'<c r="{ref}"{s} t="inlineStr">{inline_string(text)}</c>'
    number = _number(float(text)) if isinstance(text, float) else str(int(text))
    if number is None:
        return f'<c r="{ref}"{s} t="inlineStr">{inline_string(link.shown)}</c>'
    return f'<c r="{ref}"{s}><v>{number}</v></c>'


def _other_cell(value, cell, ci, style, date1904, links, sheet_name, ri) -> str:  # noqa: ANN001 - hot-path helper
    """Cells that are not plain str/int/float: bool, Decimal, dates, links, numpy/pandas scalars."""
    if isinstance(value, bool):
        return f'<c r="{cell}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimal):
        text = _decimal(value)
        if text is None:
            return f'<c r="{cell}" t="e"><v>#NUM!</v></c>'
        return f'<c r="{cell}"{style(ci, "money")}><v>{text}</v></c>'
    if isinstance(value, dt.date):
        try:
            serial = excel_serial(value, date1904)
        except (ValueError, TypeError, AttributeError):  # pandas NaT and the like: an empty cell
            return ""

        if serial is None:  # before Excel's first day: keep it readable as text
            return f'<c r="{cell}" t="inlineStr">{inline_string(value.isoformat())}</c>'
        kind = "datetime" if isinstance(value, dt.datetime) else "date"
        return f'<c r="{cell}"{style(ci, kind)}><v>{_number(serial)}</v></c>'
    if isinstance(value, Link):
        location = value.location.removeprefix("#")
        links.append(f'<hyperlink ref="{cell}" location="{xml_attr(location)}" display="{xml_attr(value.shown)}"/>')
        return link_cell(cell, style(ci, "link"), value)
    if isinstance(value, numbers.Integral):
        return f'<c r="{cell}"{style(ci, "number")}><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real):
        text = _number(float(value))
        if text is None:
            return f'<c r="{cell}" t="e"><v>#NUM!</v></c>'
        return f'<c r="{cell}"{style(ci, "number")}><v>{text}</v></c>'
    if isinstance(value, str):
        return f'<c r="{cell}" t="inlineStr">{inline_string(str(value))}</c>'
    raise WriteRefused(f"Sheet '{sheet_name}' row {ri}: the add-in cannot write a {type(value).__name__} into a cell.")
