"""The safe file writer: apply a `Patch` to a workbook on disk, changing nothing the add-in does not own.

Managers share the billing workbook; it may carry charts, pictures, pivots, buttons, slicers and VBA the
add-in knows nothing about. So this is not an openpyxl load+save: the zip is edited directly. Owned sheets
are written as whole new worksheet parts, rows are spliced onto input tables, cells of their existing rows are
set in place (`Patch.updates`), and a few listing parts
(workbook.xml, its rels, [Content_Types].xml, docProps/app.xml, styles.xml by appending) are edited as text.
Every other part is copied as its raw compressed bytes.

    >>> stamp = FileStamp.of("Billing.xlsx")          # when the book is read
    >>> report = apply_patch("Billing.xlsx", patch, expected=stamp)
    >>> report.sheets_written
    ('Findings',)
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers.expat import ExpatError

from billing_addin.core.patch import CellValue, OwnedSheet, Patch

from .parallel_read import SheetPool
from .xlsx import charts
from .xlsx.cell_update import CellsUpdated, update_cells
from .xlsx.cell_xml import column_letters
from .xlsx.file_safety import (
    FileStamp,
    check_book_path,
    check_file_kind,
    check_not_open,
    copy_file_mode,
    fsync_folder,
    make_backup,
    open_temp,
    remove_stale_temps,
)
from .xlsx.owned_sheet import check_sheet, filter_database_ref, register_styles, sheet_xml
from .xlsx.package import (
    CT_CHART,
    CT_DRAWING,
    CT_RELS,
    CT_STYLES,
    CT_WORKSHEET,
    REL_CALC_CHAIN,
    REL_CHART,
    REL_DRAWING,
    REL_EXTENDED_PROPERTIES,
    REL_OFFICE_DOCUMENT,
    REL_STYLES,
    REL_WORKSHEET,
    ContentTypes,
    PackageEdit,
    Relationships,
    rels_part_of,
    require,
)
from .xlsx.refusal import WriteRefused
from .xlsx.styles import StyleBook
from .xlsx.table_append import append_rows
from .xlsx.workbook_part import AppProperties, SheetEntry, WorkbookXml
from .xlsx.zip_package import BadWorkbookZip, SourceZip, ZipBuilder

__all__ = ["FileStamp", "WriteRefused", "WriteReport", "apply_patch"]


@dataclass(frozen=True)
class WriteReport:
    """What `apply_patch` did: the book, its backup (None when backups=0 or nothing was written), and timings."""

    path: Path
    backup: Path | None
    sheets_written: tuple[str, ...]
    rows_appended: int
    seconds: float
    cells_updated: int = 0


def apply_patch(
    path: str | os.PathLike[str],
    patch: Patch,
    *,
    expected: FileStamp | None = None,
    backups: int = 5,
) -> WriteReport:
    """Write `patch` into the workbook at `path`, in place, keeping every part the add-in does not own.

    expected: the FileStamp taken when the book was read; the write is refused if the file changed since.
    backups: how many timestamped copies of the old book to keep in `.billing-backups/` beside it (0: none).
    Raises WriteRefused (one clear line for the clerk) and then the book on disk is unchanged.
    """
    started = time.perf_counter()
    book = Path(path)
    check_book_path(book)
    stamp = FileStamp.of(book)
    if expected is not None and not expected.same_content(stamp):
        raise WriteRefused(
            f"{book.name} was changed on disk after the add-in read it (someone saved it). Run the command again."
        )
    check_file_kind(book)
    for sheet in patch.sheets:
        check_sheet(sheet)
        for chart in sheet.charts:
            charts.check_chart(sheet, chart)
    names = [s.name.casefold() for s in patch.sheets]
    if len(set(names)) != len(names):
        raise WriteRefused("The same sheet name appears twice in what the add-in wants to write; this is a bug.")
    for update in patch.updates:
        if update.cells and update.sheet.casefold() in names:
            raise WriteRefused(
                f"The add-in wants to both rewrite sheet '{update.sheet}' and set cells of it; this is a bug."
            )
    if patch.is_empty:
        return WriteReport(book, None, (), 0, time.perf_counter() - started)

    remove_stale_temps(book)
    try:
        source = SourceZip(str(book))
    except BadWorkbookZip as error:
        raise _damaged(book, error) from error
    temp = None
    try:
        with source:
            try:
                edit, sheet_names, updated = _plan(source, patch)
            except (
                BadWorkbookZip,
                ET.ParseError,
                ExpatError,
                UnicodeDecodeError,
                ValueError,
                KeyError,
                IndexError,
            ) as error:
                # A part the writer must edit is not what Excel writes: say so instead of showing a traceback.
                raise _damaged(book, error) from error
            temp, handle = open_temp(book)
            try:
                with handle:
                    builder = ZipBuilder(handle, source.comment)
                    for name, info in zip(source.names, source.infos, strict=True):
                        if name in edit.removed:
                            continue
                        if name in edit.replaced:
                            builder.write(name, edit.replaced[name])
                        else:
                            builder.copy_raw(info, source.raw(info))
                    for name, content in edit.added.items():
                        builder.write(name, content)
                    builder.close()
                    handle.flush()
                    os.fsync(handle.fileno())
            except BadWorkbookZip as error:
                raise _damaged(book, error) from error
            except OSError as error:
                raise WriteRefused(
                    f"Could not write the new {book.name} in {book.parent} ({error.strerror or error}); "
                    "nothing was changed. Free some disk space and run again."
                ) from error
        _verify(temp, patch, sheet_names, updated)
        # Last look before replacing: someone may have opened or saved the book while we wrote.
        check_not_open(book)
        if not FileStamp.of(book).same_content(stamp):
            raise WriteRefused(
                f"{book.name} was changed on disk while the add-in was writing it. Run the command again."
            )
        copy_file_mode(book, temp)
        backup = make_backup(book, backups)
        try:
            os.replace(temp, book)
        except PermissionError as error:
            raise WriteRefused(
                f"{book.name} is open in another program, so it cannot be replaced. Close it and run again."
            ) from error
        temp = None
        fsync_folder(book.parent)
    finally:
        if temp is not None:
            try:
                temp.unlink()
            except OSError:
                pass
    return WriteReport(
        book,
        backup,
        tuple(sheet_names),
        sum(len(a.rows) for a in patch.appends),
        time.perf_counter() - started,
        sum(len(u.cells) for u in updated),
    )


def _damaged(book: Path, error: Exception) -> WriteRefused:
    return WriteRefused(
        f"{book.name} is damaged and cannot be written safely ({error}). Open it in Excel to repair it, or restore a backup."
    )


def _plan(source: SourceZip, patch: Patch) -> tuple[PackageEdit, list[str], list[CellsUpdated]]:
    """Work out every part that changes. Nothing is written yet; big sheets are streamed later.

    Also returns the owned sheets' names as the workbook spells them (a replaced sheet keeps its spelling), and
    the cells each update set.
    """
    edit = PackageEdit(source)
    content_types = ContentTypes(require(edit.read(ContentTypes.NAME), "[Content_Types].xml"))
    root_rels = Relationships("", edit.read("_rels/.rels"))
    office = root_rels.of_type(REL_OFFICE_DOCUMENT)
    if not office or not office[0].part:
        raise BadWorkbookZip("no main workbook part")
    workbook_part = office[0].part
    workbook = WorkbookXml(require(edit.read(workbook_part), "main workbook part"))
    workbook_rels = edit.relationships(workbook_part)
    styles_rel = workbook_rels.of_type(REL_STYLES)
    styles_part = styles_rel[0].part if styles_rel and styles_rel[0].part and edit.exists(styles_rel[0].part) else None
    styles = StyleBook(edit.read(styles_part).decode("utf-8-sig") if styles_part else None)
    app_rel = root_rels.of_type(REL_EXTENDED_PROPERTIES)
    app_part = app_rel[0].part if app_rel and app_rel[0].part and edit.exists(app_rel[0].part) else None
    app = AppProperties(edit.read(app_part)) if app_part else None

    def part_of(entry: SheetEntry) -> tuple[str, str]:
        rel = workbook_rels.by_id(entry.rel_id)
        if rel is None or rel.part is None:
            raise BadWorkbookZip(f"sheet '{entry.name}' points to no part")
        return rel.part, rel.type

    def input_sheet(name: str, doing: str) -> tuple[SheetEntry, str]:
        entry = workbook.find(name)
        if entry is None:
            raise WriteRefused(f"The workbook has no sheet '{name}'; add it (or restore its name) and run again.")
        part, rel_type = part_of(entry)
        if rel_type.rsplit("/", 1)[-1] != "worksheet":
            raise WriteRefused(f"Sheet '{entry.name}' is not a worksheet, so {doing}.")
        return entry, part

    # Updates first: their row numbers are those of the rows as read, before any append.
    updated: list[CellsUpdated] = []
    for update in patch.updates:
        if not update.cells:
            continue
        entry, part = input_sheet(update.sheet, "its cells cannot be set")
        done = update_cells(edit, workbook_part, part, entry, update, styles, date1904=workbook.date1904)
        updated.append(done)
        if done.had_formula:  # those formulas are gone: so must be their calcChain entries
            _drop_from_calc_chain(edit, workbook_rels, content_types, entry.sheet_id, cells=done.had_formula)

    wrote_formulas = any(u.cells for u in updated)  # formulas that read the cells set have to calculate again
    for append in patch.appends:
        if not append.rows:
            continue
        entry, part = input_sheet(append.sheet, "rows cannot be added to it")
        wrote_formulas |= append_rows(edit, workbook_part, part, entry, append, styles, date1904=workbook.date1904)

    sheet_names = []
    for sheet in patch.sheets:
        sheet_names.append(
            _write_owned_sheet(edit, sheet, workbook, workbook_part, workbook_rels, content_types, styles, app, part_of)
        )

    if wrote_formulas:
        workbook.set_full_calc_on_load()
    if styles.changed:
        if styles_part is None:
            styles_part = "xl/styles.xml" if not edit.exists("xl/styles.xml") else edit.free_name("xl/styles{}.xml")
            workbook_rels.add(REL_STYLES, styles_part)
            content_types.add_override(styles_part, CT_STYLES)
        edit.put(styles_part, styles.render())
    if workbook.changed:
        edit.put(workbook_part, workbook.render())
    if workbook_rels.changed:
        edit.put(rels_part_of(workbook_part), workbook_rels.render())
    if app is not None and app.changed and app_part:
        edit.put(app_part, app.render())
    if content_types.changed:
        content_types.ensure_default("rels", CT_RELS)
        edit.put(ContentTypes.NAME, content_types.render())
    return edit, sheet_names, updated


def _write_owned_sheet(
    edit: PackageEdit,
    sheet: OwnedSheet,
    workbook: WorkbookXml,
    workbook_part: str,
    workbook_rels: Relationships,
    content_types: ContentTypes,
    styles: StyleBook,
    app: AppProperties | None,
    part_of,  # noqa: ANN001 - local helper of _plan
) -> str:
    entry = workbook.find(sheet.name)
    tab_selected = False
    if entry is None:
        part = edit.free_name("xl/worksheets/sheet{}.xml")
        rel_id = workbook_rels.add(REL_WORKSHEET, part)
        worksheet_names = [s.name for s in workbook.sheets if _is_worksheet(workbook_rels, s)]
        entry = workbook.add_sheet(sheet.name, rel_id)
        content_types.add_override(part, CT_WORKSHEET)
        if app is not None:
            app.add_worksheet_title(sheet.name, worksheet_names)
    else:
        part, rel_type = part_of(entry)
        if rel_type.rsplit("/", 1)[-1] != "worksheet":
            raise WriteRefused(
                f"Sheet '{entry.name}' is a chart or macro sheet, not a worksheet; rename it so the add-in can "
                f"write its own '{sheet.name}' sheet, and run again."
            )
        old = edit.head(part, 4096)
        tab_selected = b'tabSelected="1"' in old or b"tabSelected='1'" in old
        # The old sheet's drawings, charts, comments, tables... go with it, unless something else uses them.
        leftovers = edit.descendants(part)
        edit.delete(rels_part_of(part))
        _flush_listing_parts(edit, workbook_part, workbook_rels)
        edit.drop_orphans(leftovers, content_types)
        _drop_from_calc_chain(edit, workbook_rels, content_types, entry.sheet_id)

    drawing_rel_id = None
    if sheet.charts:
        sheet_rels = Relationships(part, None)
        drawing_part = edit.free_name("xl/drawings/drawing{}.xml")
        drawing_rels = Relationships(drawing_part, None)
        chart_rel_ids = []
        for chart in sheet.charts:
            chart_part = edit.free_name("xl/charts/chart{}.xml")
            edit.put(chart_part, charts.chart_xml(sheet, chart))
            content_types.add_override(chart_part, CT_CHART)
            chart_rel_ids.append(drawing_rels.add(REL_CHART, chart_part))
        edit.put(drawing_part, charts.drawing_xml(sheet.charts, chart_rel_ids))
        edit.put(rels_part_of(drawing_part), drawing_rels.render())
        content_types.add_override(drawing_part, CT_DRAWING)
        drawing_rel_id = sheet_rels.add(REL_DRAWING, drawing_part)
        edit.put(rels_part_of(part), sheet_rels.render())

    workbook.set_filter_database(entry.index, filter_database_ref(sheet))
    edit.put(
        part,
        sheet_xml(
            sheet,
            register_styles(sheet, styles),
            date1904=workbook.date1904,
            tab_selected=tab_selected,
            drawing_rel_id=drawing_rel_id,
        ),
    )
    return entry.name


def _is_worksheet(rels: Relationships, entry: SheetEntry) -> bool:
    rel = rels.by_id(entry.rel_id)
    return rel is not None and rel.type.rsplit("/", 1)[-1] == "worksheet"


def _flush_listing_parts(edit: PackageEdit, workbook_part: str, workbook_rels: Relationships) -> None:
    """Orphan checks read relationships from the package, so pending edits of the workbook's rels go in first."""
    if workbook_rels.changed:
        edit.put(rels_part_of(workbook_part), workbook_rels.render())


def _drop_from_calc_chain(
    edit: PackageEdit,
    workbook_rels: Relationships,
    content_types: ContentTypes,
    sheet_id: int,
    cells: set[str] | None = None,
) -> None:
    """The replaced sheet's formulas are gone, so are their calcChain entries (Excel repairs a book otherwise).

    cells: only these cells of the sheet (A1 references, e.g. cells whose formula an update replaced by a value).
    An entry without `i` belongs to the sheet of the entry before it, so a kept entry that follows a dropped one
    gets its sheet written out."""
    rels = workbook_rels.of_type(REL_CALC_CHAIN)
    if not rels or not rels[0].part or not edit.exists(rels[0].part):
        return
    part = rels[0].part
    xml = edit.read(part).decode("utf-8-sig")
    wanted = {c.replace("$", "").upper() for c in cells} if cells is not None else None
    current = None
    kept_sheet = None  # the sheet of the last entry kept
    kept, dropped = [], 0
    entries = list(re.finditer(r"<(?:\w+:)?c\b[^>]*?(?:/>|>.*?</(?:\w+:)?c>)", xml, re.S))
    if not entries:
        return
    for match in entries:
        text = match.group(0)
        tag = text[: text.index(">") + 1]
        i = re.search(r'\si="(\d+)"', tag)
        if i:
            current = int(i.group(1))
        r = re.search(r'\sr="([^"]*)"', tag)
        if current == sheet_id and (
            wanted is None or (r is not None and r.group(1).replace("$", "").upper() in wanted)
        ):
            dropped += 1
            continue
        if i is None and current is not None and kept_sheet != current:
            text = re.sub(r"^(<(?:\w+:)?c\b)", rf'\1 i="{current}"', text)
        kept.append(text)
        kept_sheet = current
    if not dropped:
        return
    if not kept:
        edit.delete(part)
        content_types.remove_override(part)
        workbook_rels.remove(rels[0].id)
        return
    new = xml[: entries[0].start()] + "".join(kept) + xml[entries[-1].end() :]
    edit.put(part, new.encode("utf-8"))


def _verify(temp: Path, patch: Patch, sheet_names: list[str], updated: list[CellsUpdated] | None = None) -> None:
    """The new file must open as a zip with sound parts and show the owned sheets and the cells set as written."""
    import python_calamine

    try:
        with zipfile.ZipFile(temp) as check:
            bad = check.testzip()
        if bad is not None:
            raise ValueError(f"part {bad} is damaged")
        workbook = python_calamine.CalamineWorkbook.from_path(str(temp))
        try:
            # Every sheet to check read back at once, two at a time (the updated ones, the biggest, first).
            names = list(dict.fromkeys([*(d.sheet for d in updated or ()), *sheet_names]))
            pool = SheetPool(temp, workbook, load_tables=False)
            try:
                read = pool.run(
                    [(n, lambda wb, n=n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in names]
                )
            finally:
                pool.close()
            sheets = dict(zip(names, read))
            for sheet, name in zip(patch.sheets, sheet_names, strict=True):
                rows = sheets[name]
                headers = [c.header for c in sheet.columns]
                if not rows or [str(v) for v in rows[0][: len(headers)]] != [_as_read(h) for h in headers]:
                    raise ValueError(f"sheet '{sheet.name}' reads back with other headers")
                last = max(
                    (i for i, row in enumerate(sheet.rows, start=2) if any(v is not None for v in row)), default=1
                )
                if len(rows) != last:
                    raise ValueError(f"sheet '{sheet.name}' reads back {len(rows) - 1} rows, not {last - 1}")
            for done in updated or ():
                rows = sheets[done.sheet]
                for row, col, value in done.cells:
                    got = rows[row - 1][col] if row <= len(rows) and col < len(rows[row - 1]) else ""
                    if not _reads_back(got, value, done.date1904):
                        raise ValueError(f"cell {column_letters(col)}{row} of '{done.sheet}' reads back as {got!r}")
        finally:
            workbook.close()
    except Exception as error:  # noqa: BLE001 - any failure to read back means: do not replace the book
        raise WriteRefused(
            f"The add-in could not verify the workbook it wrote ({error}); the original was left unchanged. "
            "Please report this."
        ) from error


def _reads_back(got: object, value: CellValue, date1904: bool) -> bool:
    """Whether python-calamine's reading of a cell is the value set (how it shows depends on the cell's format)."""
    from .xlsx.cell_xml import excel_serial

    if value is None or value == "":
        return got in ("", None)
    if isinstance(value, bool):
        return got is value
    if isinstance(value, str):
        return got == _as_read(value).replace("\r\n", "\n") or got == _as_read(value)
    if isinstance(value, dt.date):
        serial = excel_serial(value, date1904)
        if serial is None:  # before Excel's first day: written as text
            return got == value.isoformat()
        if isinstance(got, dt.datetime) and not isinstance(value, dt.datetime):
            return got == dt.datetime.combine(value, dt.time())
        if isinstance(got, dt.date):
            return got == value
        return isinstance(got, (int, float)) and abs(got - serial) < 1e-6
    number = float(value)
    if not math.isfinite(number):
        return True  # written as Excel's #NUM! error
    if isinstance(got, (dt.date, dt.time, dt.timedelta)):
        return True  # a number in a cell formatted as a date or time reads back as one
    return (
        isinstance(got, (int, float))
        and not isinstance(got, bool)
        and math.isclose(got, number, rel_tol=1e-12, abs_tol=1e-12)
    )


def _as_read(text: str) -> str:
    from .xlsx.cell_xml import clean_text

    return clean_text(text).replace("_x005F_", "_")
