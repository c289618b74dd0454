"""The xlwings boundary: the only module that touches Excel. Everything here runs only inside Excel
(Windows, or macOS for the ribbon), so no test runs it; keep it thin enough to read in one sitting.

- `ribbon_clicked(tag)`: what every ribbon button runs (through RunPython): the calling workbook as an
  `XlwingsHost`, then `ribbon.dispatch`.
- `excel_source(caller)`: the `BookSource` of the workbook a UDF is called from. Its fingerprint is a counter
  that Excel's SheetChange event moves (so a cached workbook is reused until the user changes a cell); when
  the event cannot be hooked, a digest of the values read.
- `apply_patch_xlwings(book, patch, read)`: a command's patch written through Excel, a block at a time.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import xlwings as xw

from billing_addin.core.book import Book
from billing_addin.core.patch import Chart, OwnedSheet, Patch
from billing_addin.core.schema import INPUT_SHEETS, LOG_SHEETS, SETTINGS_SHEET, normalize_header
from billing_addin.excel import patch_plan
from billing_addin.excel.host import rows_in_address
from billing_addin.workbook.reader import book_from_sheet_values
from billing_addin.workbook.xlsx.refusal import WriteRefused

# Sheets the reader looks at; the others (the add-in's reports, the user's own) are not read at all.
_WANTED = {normalize_header(n) for s in INPUT_SHEETS for n in (s.name, *s.aliases)} | {
    normalize_header(n) for n in (SETTINGS_SHEET, *LOG_SHEETS)
}
_CHART_TYPES = {"bar": "bar_clustered", "column": "column_clustered", "line": "line", "pie": "pie"}


def sheet_values(book: xw.Book) -> dict[str, tuple[tuple[int, int], list[list[object]]]]:
    """Each sheet's used range as (0-based origin, rows of values), one read per sheet the reader needs."""
    out = {}
    for sheet in book.sheets:
        if normalize_header(sheet.name) not in _WANTED:
            out[sheet.name] = ((0, 0), [])
            continue
        used = sheet.used_range
        out[sheet.name] = ((used.row - 1, used.column - 1), used.options(ndim=2).value)
    return out


def read_live_book(book: xw.Book) -> Book:
    return book_from_sheet_values(sheet_values(book), source=book.name)


# --- UDFs: which workbook, and has it changed ---------------------------------------------------------------

_changes: dict[str, int] = {}  # workbook full name -> SheetChange events seen
_watched: dict[int, object] = {}  # Excel process id -> the event sink (kept alive)


class _ChangeEvents:
    """Excel Application events (win32com): count every change to a cell, per workbook."""

    def OnSheetChange(self, sheet, target):  # noqa: N802 (the COM event's name)
        name = sheet.Parent.FullName
        _changes[name] = _changes.get(name, 0) + 1

    def OnWorkbookBeforeClose(self, workbook, cancel):  # noqa: N802
        _changes[workbook.FullName] = _changes.get(workbook.FullName, 0) + 1


def _watch(app: xw.App) -> bool:
    if app.pid in _watched:
        return True
    try:
        import win32com.client

        _watched[app.pid] = win32com.client.WithEvents(app.api, _ChangeEvents)
        return True
    except Exception:  # no pywin32 events here (macOS, or COM refused): fall back to reading the values
        return False


class ExcelBookSource:
    def __init__(self, book: xw.Book) -> None:
        self.book = book
        self.key = book.fullname
        self._values = None

    def fingerprint(self):
        if _watch(self.book.app):
            return ("changes", _changes.get(self.key, 0))
        self._values = sheet_values(self.book)
        return ("values", hashlib.blake2b(repr(self._values).encode(), digest_size=16).hexdigest())

    def load(self) -> Book:
        values, self._values = self._values or sheet_values(self.book), None
        return book_from_sheet_values(values, source=self.book.name)


_sources: dict[str, ExcelBookSource] = {}


def excel_source(caller) -> ExcelBookSource:
    """The source of the workbook holding the calling cell (xlwings passes the cell as `caller`)."""
    book = caller.sheet.book
    found = _sources.get(book.fullname)
    if found is None:
        found = _sources[book.fullname] = ExcelBookSource(book)
    return found


# --- the ribbon -------------------------------------------------------------------------------------------------


class XlwingsHost:
    """The calling workbook, its selection, message boxes and the status bar (see host.Host)."""

    def __init__(self, book: xw.Book) -> None:
        self.book = book
        self.book_path = Path(book.fullname)  # not absolute while the book was never saved
        self._read: Book | None = None

    def read_book(self) -> Book:
        self._read = read_live_book(self.book)
        return self._read

    def apply(self, patch: Patch) -> str:
        return apply_patch_xlwings(self.book, patch, self._read)

    def selection(self) -> tuple[str | None, list[int]]:
        selected = self.book.app.selection
        if selected is None:
            return None, []
        # The address works alike on Windows and macOS: "$A$2:$C$5,$A$9".
        return selected.sheet.name, rows_in_address(selected.address, selected.sheet.used_range.last_cell.row)

    def message(self, text: str, title: str = "Billing") -> None:
        self.book.app.alert(text, title=title)

    def confirm(self, text: str, title: str = "Billing") -> bool:
        return self.book.app.alert(text, title=title, buttons="yes_no") == "yes"

    def ask(self, text: str, default: str = "", title: str = "Billing") -> str | None:
        if sys.platform.startswith("win"):
            # Excel's own input box; Type=2 asks for text. It gives False when the user cancels.
            answer = self.book.app.api.InputBox(text, title, default, Type=2)
            return None if answer is False else str(answer)
        # macOS: AppleScript's own dialog through osascript (untried in Excel here; Cancel exits non-zero).
        script = (
            "on run argv",
            "display dialog (item 1 of argv) default answer (item 2 of argv) with title (item 3 of argv)",
            "return text returned of result",
            "end run",
        )
        lines = [arg for line in script for arg in ("-e", line)]
        done = subprocess.run(["osascript", *lines, text, default, title], capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else None

    def choose_files(self, title: str = "Billing") -> list[Path]:
        if sys.platform.startswith("win"):
            # Excel's own Open dialog, several files at once; False when the user cancels.
            kinds = (
                "Bank files (*.csv;*.ofx;*.qfx;*.xml;*.sta;*.mt940;*.txt),*.csv;*.ofx;*.qfx;*.xml;*.sta;*.mt940;*.txt"
            )
            picked = self.book.app.api.GetOpenFilename(kinds, 1, title, None, True)
            return [] if picked is False else [Path(p) for p in picked]
        # macOS: AppleScript's chooser through osascript (untried in Excel here; Cancel exits non-zero).
        script = (
            "on run argv",
            "set picked to choose file with prompt (item 1 of argv) with multiple selections allowed",
            "set out to {}",
            "repeat with f in picked",
            "set end of out to POSIX path of f",
            "end repeat",
            "set AppleScript's text item delimiters to linefeed",
            "return out as text",
            "end run",
        )
        lines = [arg for line in script for arg in ("-e", line)]
        done = subprocess.run(["osascript", *lines, title], capture_output=True, text=True)
        return [Path(p) for p in done.stdout.splitlines() if p] if done.returncode == 0 else []

    def status(self, text: str | None) -> None:
        self.book.app.status_bar = text if text else False

    def open_folder(self, folder: Path) -> None:
        if sys.platform.startswith("win"):
            os.startfile(folder)  # noqa: S606 (a folder the add-in made)
        else:
            subprocess.run(["open", str(folder)], check=False)


def ribbon_clicked(tag: str) -> None:
    """Run by the Billing tab's VBA callback for every button: RunPython "...; ribbon_clicked('<tag>')"."""
    from billing_addin.excel.ribbon import ERROR_LOG, dispatch, log_error

    try:
        book = xw.Book.caller()
    except Exception:  # no workbook to work on: say so instead of xlwings' traceback box
        log_error(tag)
        xw.apps.active.alert(f"Open a billing workbook first. (Details: {ERROR_LOG})", title="Billing")
        return
    dispatch(tag, XlwingsHost(book))


# --- writing a patch through Excel ------------------------------------------------------------------------------


def apply_patch_xlwings(book: xw.Book, patch: Patch, read: Book | None = None) -> str:
    """Write owned sheets whole, set cells of existing rows and append rows under input tables, one range
    assignment per block. `read`: the Book the command ran on (where the input tables end); read again when not
    given."""
    read = read or read_live_book(book)

    def sheet_read(title: str):  # noqa: ANN202 - SheetData | None
        return next((s for s in read.sheets.values() if s is not None and s.title.casefold() == title.casefold()), None)

    # Every update is planned before anything is written: a refused one (WriteRefused) leaves the book as it was.
    updates = []
    for update in patch.updates:
        if not update.cells:
            continue
        sd = sheet_read(update.sheet)
        if sd is None:
            raise WriteRefused(
                f"The workbook has no sheet '{update.sheet}'; add it (or restore its name) and run again."
            )
        updates.append(patch_plan.update_block(sd, update))
    app = book.app
    updating = app.screen_updating
    app.screen_updating = False
    try:
        for owned in patch.sheets:
            _write_owned_sheet(book, owned)
        updated = 0
        for block in updates:  # before the appends: the row numbers are those of the rows as read
            sheet = _sheet(book, block.sheet)
            for address, values in block.runs:
                sheet.range(address).value = [values]
            updated += block.cells
        appended = 0
        for append in patch.appends:
            sd = next((s for s in read.sheets.values() if s is not None and s.title == append.sheet), None)
            if sd is None or not append.rows:
                continue
            _append(book, patch_plan.append_block(sd, append))
            appended += len(append.rows)
    finally:
        app.screen_updating = updating
    parts = [s.name for s in patch.sheets] + ([f"{updated} cell(s) updated"] if updated else [])
    parts += [f"{appended} row(s) appended"] if appended else []
    return "Wrote " + ", ".join(parts) if parts else "Nothing to write"


def _sheet(book: xw.Book, name: str) -> xw.Sheet:
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():
            return sheet
    return book.sheets.add(name, after=book.sheets[-1])


def _write_owned_sheet(book: xw.Book, owned: OwnedSheet) -> None:
    block = patch_plan.sheet_block(owned)
    sheet = _sheet(book, owned.name)
    for chart in list(sheet.charts):
        chart.delete()
    sheet.clear()
    width = len(block.widths)
    sheet.range("A1").value = block.values
    sheet.range((1, 1), (1, width)).font.bold = True
    height = len(block.values)
    for i, (number_format, column_width) in enumerate(zip(block.number_formats, block.widths), start=1):
        column = sheet.range((1, i), (max(height, 1), i))
        column.column_width = column_width
        if number_format and height > 1:
            sheet.range((2, i), (height, i)).number_format = number_format
    for chart in owned.charts:
        try:
            _add_chart(sheet, owned, chart, height)
        except Exception:  # the figures are written; a chart Excel refuses must not undo them
            from billing_addin.excel.ribbon import log_error

            log_error(f"chart on {owned.name}")


def _add_chart(sheet: xw.Sheet, owned: OwnedSheet, chart: Chart, height: int) -> None:
    headers = [c.header for c in owned.columns]
    first, last = chart.rows or (1, height - 1)
    anchor = sheet.range(chart.anchor)
    made = sheet.charts.add(anchor.left, anchor.top, width=chart.width_cells * 64, height=chart.height_cells * 20)
    made.chart_type = _CHART_TYPES.get(chart.kind, "bar_clustered")
    api = made.api[1]  # on Windows, (ChartObject, Chart)
    while api.SeriesCollection().Count:
        api.SeriesCollection(1).Delete()
    cat = headers.index(chart.categories) + 1
    for name in chart.series:
        col = headers.index(name) + 1
        series = api.SeriesCollection().NewSeries()
        series.Name = name
        series.Values = sheet.range((first + 1, col), (last + 1, col)).api
        series.XValues = sheet.range((first + 1, cat), (last + 1, cat)).api
    api.HasTitle = True
    api.ChartTitle.Text = chart.title


def _append(book: xw.Book, block: patch_plan.AppendBlock) -> None:
    sheet = _sheet(book, block.sheet)
    # An Excel Table must grow to cover the new rows, or they sit outside it (and outside its formulas).
    for table in sheet.tables:
        area = table.range
        if area.row + area.rows.count == block.first_row:
            last_column = area.column + area.columns.count - 1
            table.resize(sheet.range((area.row, area.column), (block.last_row, last_column)))
            break
    for letter, rows in block.runs:
        sheet.range(f"{letter}{block.first_row}").value = rows
