"""Appending rows to an input table (e.g. late fees into Adjustments) without touching its existing rows.

The sheet part may be big, so it is never parsed whole: the header row, the last data row and the end of
<sheetData> are found as text, the new <row> elements are spliced in, and <dimension>, the table's ref and
the ranges of validation and conditional formats that covered the whole column are stretched over them.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from defusedxml.ElementTree import fromstring as parse_xml  # no entities, no DTD tricks: the book is user input
from defusedxml.ElementTree import iterparse as iterparse_xml

from billing_addin.core.patch import DATE_FORMAT, DATETIME_FORMAT, AppendRows, CellValue, Link

from .cell_xml import (
    MAX_ROWS,
    check_well_formed,
    column_letters,
    excel_serial,
    inline_string,
    range_ref,
    split_range,
    split_ref,
    xml_attr,
    xml_text,
)
from .owned_sheet import _decimal, _number, link_cell
from .package import REL_SHARED_STRINGS, REL_TABLE, PackageEdit, Relationships, rels_part_of
from .refusal import WriteRefused
from .styles import StyleBook, attributes
from .workbook_part import MAIN_NS, SheetEntry

# Elements that follow <hyperlinks> in a worksheet, in schema order.
_AFTER_HYPERLINKS = (
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


def header_key(text: str) -> str:
    """Headers match ignoring case, spaces and punctuation: 'Late fee (EUR)' ~ 'late_fee_eur'."""
    return re.sub(r"[\W_]+", "", text.casefold())


@dataclass
class _Table:
    part: str
    xml: str
    name: str
    ref: tuple[int, int, int, int]
    columns: list[str]
    formulas: dict[int, str]  # column offset -> calculatedColumnFormula
    header_rows: int
    totals_rows: int


def _read_table(part: str, data: bytes) -> _Table:
    root = parse_xml(data)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    columns, formulas = [], {}
    for i, col in enumerate(root.iter(f"{ns}tableColumn")):
        columns.append(col.get("name", ""))
        formula = col.find(f"{ns}calculatedColumnFormula")
        if formula is not None and formula.text and formula.get("array") not in ("1", "true"):
            formulas[i] = formula.text
    return _Table(
        part,
        data.decode("utf-8-sig"),
        root.get("displayName") or root.get("name") or "",
        split_range(root.get("ref", "A1")),
        columns,
        formulas,
        int(root.get("headerRowCount", "1")),
        int(root.get("totalsRowCount", "0")),
    )


@dataclass
class _Row:
    start: int
    end: int
    number: int | None
    xml: str

    def has_content(self, p: str) -> bool:
        return re.search(rf"<{p}(v|f|is)\b", self.xml) is not None

    def cell_styles(self, p: str) -> dict[int, str]:
        styles = {}
        for match in re.finditer(rf"<{p}c\b([^>]*?)/?>", self.xml):
            attrs = attributes(match.group(1))
            if "r" in attrs and "s" in attrs:
                styles[split_ref(attrs["r"])[0]] = attrs["s"]
        return styles


def _row_at(xml: str, start: int, p: str) -> _Row:
    tag_end = xml.index(">", start)
    if xml[tag_end - 1] == "/":
        end = tag_end + 1
    else:
        end = xml.index(f"</{p}row>", tag_end) + len(f"</{p}row>")
    number = attributes(xml[start:tag_end]).get("r")
    return _Row(start, end, int(number) if number and number.isdigit() else None, xml[start:end])


def _rows_backwards(xml: str, data_start: int, data_end: int, p: str):  # noqa: ANN202 - generator of _Row
    opening = f"<{p}row"
    pos = data_end
    while True:
        i = xml.rfind(opening, data_start, pos)
        if i < 0:
            return
        if xml[i + len(opening)] in " \t\r\n>/":
            yield _row_at(xml, i, p)
        pos = i


def _shared_strings(package: PackageEdit, workbook_part: str, wanted: set[int]) -> dict[int, str]:
    rels = package.relationships(workbook_part).of_type(REL_SHARED_STRINGS)
    data = package.read(rels[0].part) if rels and rels[0].part else None
    if not data or not wanted:
        return {}
    # Streamed, and stopped at the last string wanted: a header's strings come early, and a big book's shared
    # strings (100,000 claim IDs) would otherwise be parsed whole for each sheet written.
    found, i, last = {}, -1, max(wanted)
    for _, si in iterparse_xml(io.BytesIO(data), events=("end",)):
        if si.tag != f"{{{MAIN_NS}}}si":
            continue
        i += 1
        if i in wanted:
            phonetic = {id(t) for r in si.iter(f"{{{MAIN_NS}}}rPh") for t in r.iter(f"{{{MAIN_NS}}}t")}
            found[i] = "".join(t.text or "" for t in si.iter(f"{{{MAIN_NS}}}t") if id(t) not in phonetic)
        si.clear()
        if i >= last:
            break
    return found


def _first_row_headers(
    xml: str, data_start: int, data_end: int, p: str, package: PackageEdit, workbook_part: str
) -> tuple[int, dict[int, str]]:
    match = re.compile(rf"<{p}row[\s>/]").search(xml, data_start, data_end)
    if not match:
        return 0, {}
    row = _row_at(xml, match.start(), p)
    # Regex, not a parser: the row may use prefixes (x14ac:...) declared only on the sheet's root.
    raw: dict[int, tuple[str | None, str]] = {}
    cell = re.compile(rf"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)", re.S)
    for match in cell.finditer(row.xml):
        attrs = attributes(match.group(1))
        if "r" not in attrs:
            continue
        body = match.group(2) or ""
        if attrs.get("t") == "inlineStr":
            text = "".join(re.findall(rf"<{p}t\b[^>]*>([^<]*)</{p}t>", body))
            raw[split_ref(attrs["r"])[0]] = (None, html.unescape(text))
        else:
            value = re.search(rf"<{p}v>([^<]*)</{p}v>", body)
            raw[split_ref(attrs["r"])[0]] = (attrs.get("t"), html.unescape(value.group(1)) if value else "")
    shared = _shared_strings(
        package, workbook_part, {int(v) for t, v in raw.values() if t == "s" and v.strip().isdigit()}
    )
    headers = {col: shared.get(int(v), "") if t == "s" and v.strip().isdigit() else v for col, (t, v) in raw.items()}
    return row.number or 1, headers


@dataclass
class SheetText:
    """A worksheet part as text, with where its <sheetData> content starts and ends; `p` is the main namespace's
    prefix ("" or e.g. "x:")."""

    xml: str
    p: str
    sheet_data_start: int  # where the <sheetData> tag starts
    data_start: int
    data_end: int


def open_sheet(package: PackageEdit, sheet_part: str, where: str, doing: str) -> SheetText:
    """The sheet part as text; an empty <sheetData/> is opened so rows can go in. `doing`: "add rows to"..."""
    data = package.read(sheet_part)
    if data is None:
        raise WriteRefused(f"The part of {where} is missing; the workbook is damaged.")
    xml = data.decode("utf-8")
    opening = re.search(r"<(\w+:)?worksheet\b", xml)
    if not opening:
        raise WriteRefused(f"{where.capitalize()} is not a worksheet; the add-in can only {doing} worksheets.")
    p = opening.group(1) or ""
    sheet_data = re.compile(rf"<{p}sheetData\b[^>]*?(/?)>").search(xml)
    if not sheet_data:
        raise WriteRefused(f"{where.capitalize()} is damaged (no cell data); open and save it in Excel.")
    if sheet_data.group(1) == "/":  # an empty sheet: open the element so rows can go in
        xml = xml[: sheet_data.start()] + f"<{p}sheetData>" + f"</{p}sheetData>" + xml[sheet_data.end() :]
        data_start = sheet_data.start() + len(f"<{p}sheetData>")
    else:
        data_start = sheet_data.end()
    data_end = xml.index(f"</{p}sheetData>", data_start)
    return SheetText(xml, p, sheet_data.start(), data_start, data_end)


@dataclass
class HeaderColumns:
    """Where the columns a patch names are: the table they are in (if any), its header row and columns."""

    table: _Table | None
    tables: list[_Table]
    header_row: int
    last_row: int  # the table's last row (its Total Row included); 0 when the sheet has no table
    headers: dict[int, str]  # 0-based column -> header text
    columns_of: dict[str, int]  # each key asked for -> its 0-based column
    what: str  # "table 'tblClaims'" or "row 1", for messages


def find_header_columns(
    package: PackageEdit, workbook_part: str, sheet_part: str, sheet: SheetText, keys: set[str], where: str
) -> HeaderColumns:
    """The column of each header text in `keys` (matched by `header_key`): from the sheet's Excel Table that has
    them all (else its first table), or from the sheet's first row when it has no table."""
    rels = Relationships(sheet_part, package.read(rels_part_of(sheet_part)))
    tables = []
    for rel in rels.of_type(REL_TABLE):
        table_data = package.read(rel.part) if rel.part else None
        if table_data:
            tables.append(_read_table(rel.part, table_data))
    table = None
    if tables:
        table = next(
            (t for t in tables if {header_key(k) for k in keys} <= {header_key(c) for c in t.columns}), tables[0]
        )
        if table.header_rows == 0:
            raise WriteRefused(f"Table '{table.name}' on {where} has no header row; turn it on and run again.")
        c1, header_row, _, last_row = table.ref
        headers = {c1 + i: name for i, name in enumerate(table.columns)}
        what = f"table '{table.name}'"
    else:
        header_row, headers = _first_row_headers(
            sheet.xml, sheet.data_start, sheet.data_end, sheet.p, package, workbook_part
        )
        if not headers:
            raise WriteRefused(f"{where.capitalize()} has no header row; put the column headers in row 1.")
        last_row = 0
        what = f"row {header_row}"

    by_key: dict[str, int] = {}
    for col in sorted(headers):
        by_key.setdefault(header_key(headers[col]), col)
    columns_of = {}
    for key in keys:
        col = by_key.get(header_key(key))
        if col is None:
            shown = ", ".join(h for h in headers.values() if h)[:200]
            raise WriteRefused(
                f"{where.capitalize()} has no column '{key}' (headers in {what}: {shown}). Add that header and run again."
            )
        columns_of[key] = col
    return HeaderColumns(table, tables, header_row, last_row, headers, columns_of, what)


def append_rows(
    package: PackageEdit,
    workbook_part: str,
    sheet_part: str,
    entry: SheetEntry,
    append: AppendRows,
    styles: StyleBook,
    *,
    date1904: bool,
) -> bool:
    """Append `append.rows` to the sheet's table (or below its last row). Returns True when formulas were written."""
    where = f"sheet '{entry.name}'"
    sheet = open_sheet(package, sheet_part, where, "add rows to")
    xml, p, data_start, data_end = sheet.xml, sheet.p, sheet.data_start, sheet.data_end
    keys = {key for row in append.rows for key in row}
    found = find_header_columns(package, workbook_part, sheet_part, sheet, keys, where)
    table, tables, header_row, last_row = found.table, found.tables, found.header_row, found.last_row
    headers, columns_of, what = found.headers, found.columns_of, found.what
    if table is not None and table.totals_rows:
        raise WriteRefused(
            f"Table '{table.name}' on {where} has a Total Row; turn it off (Table Design > Total Row) and run again."
        )

    # Walk back from the end of the sheet data: rows below the table are in the way unless they are empty.
    below: list[_Row] = []
    style_row: _Row | None = None
    for row in _rows_backwards(xml, data_start, data_end, p):
        if row.number is None:
            raise WriteRefused(
                f"{where.capitalize()} has rows without numbers; open and save it in Excel, then run again."
            )
        if table is None and not last_row and row.has_content(p):
            last_row = row.number
        if last_row and row.number <= last_row:
            if row.number > header_row:
                style_row = row
            break
        below.append(row)
    if table is None and not last_row:
        last_row = header_row
    if table is not None and last_row == header_row + 1 and (style_row is None or not style_row.has_content(p)):
        # A new, empty Excel table keeps one blank data row: the first new row takes its place.
        last_row = header_row
        if style_row is not None:
            below.append(style_row)
    first_new, last_new = last_row + 1, last_row + len(append.rows)
    if last_new > MAX_ROWS:
        raise WriteRefused(f"{where.capitalize()} would pass Excel's limit of {MAX_ROWS:,} rows.")
    in_the_way = [r for r in below if r.number <= last_new]
    blocking = next((r for r in in_the_way if r.has_content(p)), None)
    if blocking is not None:
        raise WriteRefused(
            f"Row {blocking.number} of {where} is not empty, so {what} cannot grow; move what is below it and run again."
        )
    for other in tables:
        if other is not table and other.ref[1] <= last_new and other.ref[3] >= first_new:
            if other.ref[0] <= max(headers) and other.ref[2] >= min(headers):
                raise WriteRefused(f"Table '{other.name}' on {where} is in the way of new rows; move it and run again.")

    cell_styles = style_row.cell_styles(p) if style_row else {}
    column_styles = _column_styles(xml[: sheet.sheet_data_start], p)
    formulas = {table.ref[0] + i: formula for i, formula in table.formulas.items()} if table else {}
    columns = sorted(headers)
    links: list[str] = []
    new_rows = []
    wrote_formula = False
    for k, values in enumerate(append.rows):
        number = first_new + k
        given = {columns_of[key]: value for key, value in values.items()}
        cells = []
        for col in columns:
            ref = f"{column_letters(col)}{number}"
            style = cell_styles.get(col) or column_styles.get(col)
            s = f' s="{style}"' if style and style != "0" else ""
            if col in given and given[col] is not None:
                cells.append(_cell(ref, given[col], s, styles, date1904, links))
            elif col in formulas:
                cells.append(f'<c r="{ref}"{s}><f>{xml_text(formulas[col])}</f></c>')
                wrote_formula = True
            elif s:
                cells.append(f'<c r="{ref}"{s}/>')
        new_rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    if p:  # the sheet uses a prefix for the main namespace: give our elements the same one
        new_rows = [re.sub(r"<(/?)(row|c|f|v|is|t)\b", rf"<\1{p}\2", r) for r in new_rows]
    # The sheet is never parsed whole, so at least what goes into it must be well-formed XML.
    namespace = f'xmlns:{p[:-1]}="{MAIN_NS}"' if p else f'xmlns="{MAIN_NS}"'
    check_well_formed(f"<{p}sheetData {namespace}>{''.join(new_rows)}</{p}sheetData>")

    tail_rows = [r for r in reversed(below) if r.number > last_new]
    insert_at = tail_rows[0].start if tail_rows else data_end
    remove_from = min((r.start for r in in_the_way), default=insert_at)
    head = xml[:remove_from]
    tail = xml[insert_at:]
    head = _stretch_dimension(head, sheet.sheet_data_start, p, max(columns), last_new)
    tail = _stretch_ranges(tail, p, header_row + 1, last_row, last_new)
    if links:
        tail = _add_hyperlinks(tail, p, links)
    package.put(sheet_part, (head + "".join(new_rows) + tail).encode("utf-8"))

    if table is not None:
        c1, r1, c2, _ = table.ref
        new_ref = range_ref(c1, r1, c2, last_new)
        table_xml = re.sub(r'(<(?:\w+:)?table\b[^>]*?\sref=")[^"]*(")', rf"\g<1>{new_ref}\2", table.xml, count=1)
        table_xml = re.sub(r'(<(?:\w+:)?autoFilter\b[^>]*?\sref=")[^"]*(")', rf"\g<1>{new_ref}\2", table_xml, count=1)
        for _ in range(2):  # insertRow / insertRowShift describe the blank row the new rows replaced
            table_xml = re.sub(r'(<(?:\w+:)?table\b[^>]*?)\sinsertRow(?:Shift)?="[^"]*"', r"\1", table_xml, count=1)
        package.put(table.part, table_xml.encode("utf-8"))
    return wrote_formula


def _column_styles(head: str, p: str) -> dict[int, str]:
    styles = {}
    for match in re.finditer(rf"<{p}col\b([^>]*?)/?>", head):
        attrs = attributes(match.group(1))
        if attrs.get("style") and attrs.get("min", "").isdigit() and attrs.get("max", "").isdigit():
            for col in range(int(attrs["min"]) - 1, min(int(attrs["max"]), 16384)):
                styles[col] = attrs["style"]
    return styles


def _cell(ref: str, value: CellValue, s: str, styles: StyleBook, date1904: bool, links: list[str]) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Link):
        links.append(
            f'<hyperlink ref="{ref}" location="{xml_attr(value.location.removeprefix("#"))}" display="{xml_attr(value.shown)}"/>'
        )
        return link_cell(ref, s, value)
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr">{inline_string(value)}</c>'
    if isinstance(value, dt.date):
        serial = excel_serial(value, date1904)
        if serial is None:
            return f'<c r="{ref}"{s} t="inlineStr">{inline_string(value.isoformat())}</c>'
        if not s:  # no format to copy: a date must still look like a date
            fmt = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT
            s = f' s="{styles.cell_format(fmt)}"'
        return f'<c r="{ref}"{s}><v>{_number(serial)}</v></c>'
    text = (
        _decimal(value)
        if isinstance(value, Decimal)
        else _number(float(value))
        if isinstance(value, float)
        else str(int(value))
    )
    if text is None:
        return f'<c r="{ref}"{s} t="e"><v>#NUM!</v></c>'
    return f'<c r="{ref}"{s}><v>{text}</v></c>'


def _stretch_dimension(head: str, search_end: int, p: str, last_col: int, last_row: int) -> str:
    match = re.compile(rf'(<{p}dimension\b[^>]*?\sref=")([^"]*)(")').search(head, 0, search_end)
    if not match:
        return head
    try:
        c1, r1, c2, r2 = split_range(match.group(2))
    except ValueError:
        return head
    new = range_ref(c1, r1, max(c2, last_col), max(r2, last_row))
    return head[: match.start(2)] + new + head[match.end(2) :]


def _stretch_ranges(tail: str, p: str, first_data_row: int, last_row: int, last_new: int) -> str:
    """Ranges of data validation and conditional formats that ran to the table's last row now run to the new one."""

    def stretch(sqref: str) -> str:
        parts = []
        for piece in sqref.split():
            try:
                c1, r1, c2, r2 = split_range(piece)
            except ValueError:
                parts.append(piece)
                continue
            # Only ranges over the whole data column (from the header or first data row) grow, as in Excel.
            if r2 == last_row and first_data_row - 1 <= r1 <= first_data_row:
                parts.append(range_ref(c1, r1, c2, last_new))
            else:
                parts.append(piece)
        return " ".join(parts)

    pattern = re.compile(rf'(<{p}(?:conditionalFormatting|dataValidation)\b[^>]*?\ssqref=")([^"]*)(")')
    return pattern.sub(lambda m: m.group(1) + stretch(m.group(2)) + m.group(3), tail)


def _add_hyperlinks(tail: str, p: str, links: list[str]) -> str:
    links_xml = "".join(re.sub(r"<hyperlink\b", f"<{p}hyperlink", link) for link in links)
    closing = tail.find(f"</{p}hyperlinks>")
    if closing >= 0:
        return tail[:closing] + links_xml + tail[closing:]
    best = None
    for name in _AFTER_HYPERLINKS:
        match = re.search(rf"<{p}{name}\b", tail)
        if match and (best is None or match.start() < best):
            best = match.start()
    if best is None:
        best = tail.rindex(f"</{p}worksheet>")
    return tail[:best] + f"<{p}hyperlinks>{links_xml}</{p}hyperlinks>" + tail[best:]
