"""The command line's way in and out of a workbook file: read it through the loader (with the collector
paused), and apply a command's patch through the safe writer."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from pathlib import Path

from billing_addin.cli import console
from billing_addin.cli.memory import gc_paused, keep_until_exit
from billing_addin.commands.result import Result
from billing_addin.core.book import Book
from billing_addin.loader import LoadedBook, check_book
from billing_addin.workbook.reader import check_readable, read_book
from billing_addin.workbook.writer import FileStamp, WriteRefused, apply_patch


def read(path: Path, for_write: bool = False) -> tuple[Book, FileStamp | None]:
    """Read a book, and (when it will be written) the stamp of the file as read, so that the write can tell
    if someone changed the file in between."""
    stamp = None
    if for_write:
        check_readable(path)
        stamp = FileStamp.of(path)
    with gc_paused():
        book = read_book(path)
    keep_until_exit(book)
    return book, stamp


def load(path: Path, as_of: dt.date | None = None, for_write: bool = False) -> tuple[LoadedBook, FileStamp | None]:
    """The loader's pipeline on a file (read, parse the configuration sheets, check as at `as_of`), and the
    file's stamp when it will be written."""
    book, stamp = read(path, for_write)
    with gc_paused():
        loaded = check_book(book, as_of)
    return loaded, stamp


def write_patch(path: Path, result: Result, book: Book | LoadedBook, stamp) -> bool:
    """Apply a command's patch to the file; on refusal say why on stderr and return False."""
    book = book.book if isinstance(book, LoadedBook) else book
    try:
        report = apply_patch(path, result.patch, expected=stamp, backups=int(book.settings.get("Backups To Keep", 5)))
    except WriteRefused as e:
        console.err.print(f"billing: not written: {e}", markup=False)
        return False
    appended = (
        f" and {report.rows_appended} row(s) on {', '.join(a.sheet for a in result.patch.appends)}"
        if report.rows_appended
        else ""
    )
    if report.cells_updated:
        appended += f" and {report.cells_updated} cell(s) on {', '.join(u.sheet for u in result.patch.updates)}"
    console.err.print(
        f"Wrote {', '.join(report.sheets_written)}{appended} into {path.name}"
        + (f" (backup: {report.backup})" if report.backup else ""),
        markup=False,
    )
    return True


def audit_user(book: Book | LoadedBook) -> str | None:
    book = book.book if isinstance(book, LoadedBook) else book
    return getpass.getuser() if book.settings.get("Record User Name") == "Yes" else None


def finish(args, result: Result, loaded: LoadedBook, stamp, show: Callable[[], None], write: bool) -> int:
    """The end every command that may write shares: a stopped result's findings; else its JSON (--json) or what
    `show` prints; then its patch written when `write`; the exit status."""
    if result.data.get("stopped"):
        return console.show_stopped(args, result)
    if args.json:
        console.print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show()
    if write and not write_patch(args.book, result, loaded, stamp):
        return console.EXIT_NOT_WRITTEN
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def finish_posting(args, result: Result, loaded: LoadedBook, stamp, lines: list[str]) -> int:
    """The end of a posting command (payments post, era post): its one-line details, `lines` and findings (or its
    JSON), then its patch written when there is one."""

    def show() -> None:
        console.out.print(result.details, markup=False)
        for line in lines:
            console.out.print(f"  {line}", markup=False)
        if result.findings:
            console.show_findings(result.findings, args.book.name, result.as_of)

    return finish(args, result, loaded, stamp, show, write=not result.patch.is_empty)
