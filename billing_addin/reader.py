"""Reading a billing workbook (.xlsx, .xlsm) from disk with python-calamine into a `Book`.

Sheets are found by name, case-insensitively; data may sit in an Excel Table or on a plain range
anywhere on the sheet. Headers are matched through the schema's aliases. Every data row keeps the
Excel row number the user sees, every column its letter.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path

import python_calamine as pc

from billing_addin.book import Book, CellProblem, Settings, SheetData, column_letter
from billing_addin.gc_pause import gc_paused
from billing_addin.schema import (
    INPUT_SHEETS,
    LOG_SHEETS,
    SETTINGS_SHEET,
    Field,
    Kind,
    SheetSpec,
    normalize_header,
    setting_spec,
)
from billing_addin.sheet_pool import SheetFailed, SheetPool, sheet_sizes
from billing_addin.values import convert_column, convert_ids, is_blank, show_full

HEADER_SCAN_ROWS = 30
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnreadableWorkbook(Exception):
    """The file cannot be read at all; the message is one line for the user."""


def check_readable(path: Path) -> None:
    """Raise UnreadableWorkbook with a plain reason when `path` is not a workbook we can open."""
    if not path.exists():
        raise UnreadableWorkbook(f"{path}: no such file. Check the path and try again.")
    if path.is_dir():
        raise UnreadableWorkbook(f"{path} is a folder, not a workbook.")
    with path.open("rb") as f:
        head = f.read(8)
    if head == OLE_MAGIC:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raise UnreadableWorkbook(
                f"{path.name} is password-protected (encrypted). Remove the password in Excel "
                "(File > Info > Protect Workbook) and try again."
            )
        raise UnreadableWorkbook(f"{path.name} is an old .xls workbook. Save it as .xlsx in Excel and try again.")
    if not head.startswith(b"PK"):
        raise UnreadableWorkbook(f"{path.name} is not an Excel workbook (.xlsx or .xlsm).")
    if not zipfile.is_zipfile(path):
        raise UnreadableWorkbook(f"{path.name} is damaged (not a complete .xlsx file). Restore it from a backup.")


def open_workbook(path: Path) -> tuple[pc.CalamineWorkbook, bool]:
    """The workbook, and whether its Excel Tables could be loaded (plain ranges still work without)."""
    check_readable(path)
    try:
        return pc.CalamineWorkbook.from_path(str(path), load_tables=True), True
    except Exception as e:  # calamine raises several types for damaged files
        try:
            return pc.CalamineWorkbook.from_path(str(path)), False
        except Exception:
            pass
        raise UnreadableWorkbook(f"{path.name} is damaged and cannot be read ({type(e).__name__}).") from e


def read_book(path: str | Path) -> Book:
    """Read every sheet the schema knows from a workbook file. Raises UnreadableWorkbook only when
    the file cannot be opened at all; everything wrong inside it becomes findings later."""
    path = Path(path)
    with gc_paused():
        return _read_book(path)


def _read_book(path: Path) -> Book:
    wb, tables_loaded = open_workbook(path)
    pool = SheetPool(path, wb, tables_loaded)
    try:
        # A Rust panic prints a backtrace on stderr; the user gets our one line instead. Silenced once
        # around the whole read: the file descriptor is shared by the reading threads.
        with quiet_stderr():
            titles = list(wb.sheet_names)
            by_key = {normalize_header(t): t for t in reversed(titles)}
            tables = _tables_by_sheet(wb, pool)
            settings_title = _find_title(SETTINGS_SHEET, (), by_key)
            logs = {name: t for name in LOG_SHEETS if (t := _find_title(name, (), by_key)) is not None}
            jobs: dict[str, tuple[str, object]] = {}  # what is read -> (sheet title, job)
            for spec in INPUT_SHEETS:
                title = _find_title(spec.name, spec.aliases, by_key)
                if title is not None:
                    jobs[spec.name] = (title, lambda w, s=spec, t=title: _read_sheet(w, s, t, tables.get(t, [])))
            if settings_title is not None:
                jobs[SETTINGS_SHEET] = (settings_title, lambda w: read_settings(_sheet_rows(w, settings_title)))
            for name, t in logs.items():
                jobs[f"log {name}"] = (t, lambda w, t=t: _sheet_rows(w, t)[1])
            sizes = sheet_sizes(path)
            order = sorted(jobs, key=lambda k: -sizes.get(jobs[k][0], 0))  # the biggest first: it sets the pace
            done = dict(zip(order, pool.run([(f"sheet {jobs[k][0]}", jobs[k][1]) for k in order])))
    except SheetFailed as failed:
        raise _unreadable(path, failed.what, failed.error) from failed.error
    except (UnreadableWorkbook, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        raise _unreadable(path, "the workbook", e) from e
    finally:
        pool.close()
        wb.close()
    sheets: dict[str, SheetData | None] = {spec.name: done.get(spec.name) for spec in INPUT_SHEETS}
    settings = done[SETTINGS_SHEET] if settings_title is not None else Settings.defaults()
    settings.sheet_title = settings_title
    owned = {name: done[f"log {name}"] for name in logs}
    return Book(sheet_titles=titles, sheets=sheets, settings=settings, owned_rows=owned, source=path.name)


def _unreadable(path: Path, reading: str, e: BaseException) -> BaseException:
    if isinstance(e, (UnreadableWorkbook, KeyboardInterrupt, SystemExit)):
        return e
    if type(e).__name__ == "PanicException":  # python-calamine turns some cells into a Rust panic
        return UnreadableWorkbook(
            f"{path.name}: {reading} holds a value the reader cannot convert ({e}); most often a huge or "
            "negative number in a date-formatted cell. Correct that cell (Excel shows it as ####) and try again."
        )
    return UnreadableWorkbook(f"{path.name} is damaged and cannot be read ({type(e).__name__}: {e}).")


def _find_title(name: str, aliases: Sequence[str], by_key: dict[str, str]) -> str | None:
    for candidate in (name, *aliases):
        t = by_key.get(normalize_header(candidate))
        if t is not None:
            return t
    return None


def _tables_by_sheet(wb: pc.CalamineWorkbook, pool: SheetPool) -> dict[str, list]:
    """Sheet title -> its Excel Tables. Loading a table parses its sheet, so the pool loads them."""
    try:
        names = wb.table_names
    except Exception:  # tables were not loadable; plain ranges still work
        return {}
    out: dict[str, list] = {}
    for t in pool.run([(f"table {n}", lambda w, n=n: _table_or_none(w, n)) for n in names]):
        if t is not None:
            out.setdefault(t.sheet, []).append(t)
    return out


def _table_or_none(wb: pc.CalamineWorkbook, name: str):
    try:
        return wb.get_table_by_name(name)
    except Exception:  # a damaged table: its sheet is read as a plain range
        return None


def _sheet_rows(wb: pc.CalamineWorkbook, title: str) -> tuple[tuple[int, int], list[list[object]]]:
    """(0-based row, col of the first cell returned), and the rows of the sheet's used range."""
    sheet = wb.get_sheet_by_name(title)
    return sheet.start or (0, 0), sheet.to_python()


@contextlib.contextmanager
def quiet_stderr():
    """Send what native code writes on file descriptor 2 to nowhere for the duration."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (e.g. under Excel): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def match_headers(spec: SheetSpec, headers: Sequence[object]) -> dict[str, int]:
    """Field name -> position in `headers`. Canonical names win over aliases; each column serves one field."""
    keys = [normalize_header(h) for h in headers]
    found: dict[str, int] = {}
    used: set[int] = set()
    for pass_aliases in (False, True):
        for f in spec.fields:
            if f.name in found:
                continue
            names = f.aliases if pass_aliases else (f.name,)
            wanted = {normalize_header(n) for n in names}
            for i, k in enumerate(keys):
                if i not in used and k and k in wanted:
                    found[f.name] = i
                    used.add(i)
                    break
    return found


def _read_sheet(wb: pc.CalamineWorkbook, spec: SheetSpec, title: str, tables: list) -> SheetData:
    # Prefer an Excel Table on this sheet whose header matches the schema best.
    best = None
    for t in tables:
        score = len(match_headers(spec, t.columns))
        if score and (best is None or score > best[0]):
            best = (score, t)
    if best is not None:
        t = best[1]
        header_row0, col0 = t.start[0] - 1, t.start[1]
        rows = t.to_python()
        headers, table_name = list(t.columns), t.name
    else:
        return _sheet_from_range(spec, title, *_sheet_rows(wb, title))
    return _build_sheet(spec, title, header_row0, col0, headers, rows, table_name)


def _sheet_from_range(spec: SheetSpec, title: str, origin: tuple[int, int], all_rows: list[list[object]]) -> SheetData:
    """A sheet's data from its used range (0-based origin): the header is the row among the first 30 that
    matches the schema best."""
    row0, col0 = origin
    at, score = 0, -1
    for i, r in enumerate(all_rows[:HEADER_SCAN_ROWS]):
        s = len(match_headers(spec, r))
        if s > score:
            at, score = i, s
    headers = all_rows[at] if all_rows else []
    return _build_sheet(spec, title, row0 + at, col0, headers, all_rows[at + 1 :], None)


def _build_sheet(spec, title, header_row0, col0, headers, rows, table_name) -> SheetData:
    positions = match_headers(spec, headers)
    first_row = header_row0 + 2  # Excel row number of the first data row
    shortest, longest = min(map(len, rows), default=0), max(map(len, rows), default=0)
    if shortest == longest and [""] * longest not in rows:  # calamine's rows: all as wide, and none blank
        row_numbers = list(range(first_row, first_row + len(rows)))
    else:
        keep = [i for i, r in enumerate(rows) if r.count("") < len(r)]  # calamine gives '' for empty cells
        if len(keep) != len(rows):
            rows = [rows[i] for i in keep]
            shortest = min(map(len, rows), default=0)
        row_numbers = [first_row + i for i in keep]
    data: dict[str, list] = {}
    problems: list[CellProblem] = []
    numeric_ids: dict[str, frozenset[int]] = {}
    for f in spec.fields:
        if f.name not in positions:
            continue
        if f.kind is Kind.ID:
            typed, numbers = convert_ids(_column(rows, positions[f.name], shortest))
            if numbers:
                numeric_ids[f.name] = frozenset(map(row_numbers.__getitem__, numbers))
            bad = ()
        else:
            typed, bad = convert_column(f, _column(rows, positions[f.name], shortest))
        data[f.name] = typed
        for pos, code, msg, hint in bad:
            problems.append(CellProblem(f.name, row_numbers[pos], code, msg, hint))
    letters = {name: column_letter(col0 + i) for name, i in positions.items()}
    header_text = {name: show_full(headers[i]) for name, i in positions.items()}
    known = set(positions.values())
    extras = [show_full(h) for i, h in enumerate(headers) if i not in known and not is_blank(h)]
    return SheetData(
        spec=spec,
        title=title,
        header_row=header_row0 + 1,
        letters=letters,
        rows=row_numbers,
        columns=data,
        problems=problems,
        missing=[f.name for f in spec.fields if f.name not in positions],
        headers=header_text,
        extra_headers=extras,
        in_table=table_name,
        numeric_ids=numeric_ids,
    )


def _column(rows: list, i: int, shortest: int) -> list:
    """The i-th cell of every row ('' where a row is too short). One column at a time: zip(*rows) makes
    every column at once, and takes several times as long on a big sheet (measured: 0.23 s against 0.05 s
    for a 150k-row, 9-column sheet)."""
    if i < shortest:
        return list(map(itemgetter(i), rows))
    return [r[i] if i < len(r) else "" for r in rows]


def book_from_rows(rows: dict[str, list[list[object]]], settings: dict[str, object] | None = None) -> Book:
    """A Book from rows as cells would hold them (header row first), through the same conversion as a
    file: for the Excel shell, which reads values through xlwings, and for fast property tests."""
    sheets: dict[str, SheetData | None] = {}
    for spec in INPUT_SHEETS:
        data = rows.get(spec.name)
        sheets[spec.name] = None if data is None else _build_sheet(spec, spec.name, 0, 0, data[0], data[1:], None)
    setting_rows = [["Setting", "Value"], *[[k, v] for k, v in (settings or {}).items()]]
    book_settings = read_settings(((0, 0), setting_rows))
    book_settings.sheet_title = SETTINGS_SHEET
    return Book(sheet_titles=[*rows, SETTINGS_SHEET], sheets=sheets, settings=book_settings, source="(rows)")


def book_from_sheet_values(
    sheets: dict[str, tuple[tuple[int, int], list[list[object]]]], source: str = "(Excel)"
) -> Book:
    """A Book from a live workbook's sheets, as the Excel shell reads them through xlwings: sheet title ->
    ((first row, first column) of the used range, 0-based; its rows of values). Blank cells may be None or ''.
    Sheets, headers and Excel row numbers are found exactly as `read_book` finds them in a file."""
    titles = list(sheets)
    by_key = {normalize_header(t): t for t in reversed(titles)}

    def used_range(title: str) -> tuple[tuple[int, int], list[list[object]]]:
        origin, rows = sheets[title]
        return origin, [["" if v is None else v for v in r] for r in rows]  # calamine's blank is ''

    found: dict[str, SheetData | None] = {}
    for spec in INPUT_SHEETS:
        title = _find_title(spec.name, spec.aliases, by_key)
        found[spec.name] = None if title is None else _sheet_from_range(spec, title, *used_range(title))
    settings_title = _find_title(SETTINGS_SHEET, (), by_key)
    settings = read_settings(used_range(settings_title)) if settings_title else Settings.defaults()
    settings.sheet_title = settings_title
    owned = {}
    for name in LOG_SHEETS:
        t = _find_title(name, (), by_key)
        if t is not None:
            owned[name] = used_range(t)[1]
    return Book(sheet_titles=titles, sheets=found, settings=settings, owned_rows=owned, source=source)


def read_settings(sheet: tuple[tuple[int, int], list[list[object]]]) -> Settings:
    """Settings from a Setting / Value sheet: names in the first column of the table, values beside them."""
    (row0, col0), rows = sheet
    name_col, value_col, start = 0, 1, 0
    for i, r in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [normalize_header(v) for v in r]
        if "setting" in keys and "value" in keys:
            name_col, value_col, start = keys.index("setting"), keys.index("value"), i + 1
            break
    settings = Settings.defaults()
    for i, r in enumerate(rows[start:], start=start):
        if name_col >= len(r) or is_blank(r[name_col]):
            continue
        spec = setting_spec(str(r[name_col]))
        if spec is None:
            continue  # unknown settings are the user's own notes; later issues may know them
        cell = f"{column_letter(col0 + value_col)}{row0 + i + 1}"
        settings.cells[spec.name] = cell
        raw = r[value_col] if value_col < len(r) else None
        if is_blank(raw):
            continue
        typed, bad = convert_column(Field(spec.name, spec.kind, spec.description, choices=spec.choices), [raw])
        if bad:
            _, code, msg, hint = bad[0]
            settings.problems.append((spec.name, cell, "setting-invalid", f"{spec.name}: {msg}", hint))
        elif typed[0] is not None:
            settings.values[spec.name] = typed[0]
    return settings
