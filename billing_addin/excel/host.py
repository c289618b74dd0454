"""What a ribbon handler needs from the world it runs in: the `Host`.

Inside Excel the host is `xlwings_shell.XlwingsHost` (the calling workbook, its selection, message boxes,
the status bar; patches written through Excel). On a file it is `FileHost` (the reader and the safe file
writer; messages collected), which is how the handlers run end to end in tests and from `billing addin press`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Protocol

from billing_addin.core.book import Book
from billing_addin.core.patch import Patch


class Host(Protocol):
    book_path: Path

    def read_book(self) -> Book: ...

    def apply(self, patch: Patch) -> str:
        """Write a command's patch into the workbook; return one line saying what was written.
        Raises WriteRefused when it cannot be written safely (nothing was changed)."""
        ...

    def selection(self) -> tuple[str | None, list[int]]:
        """The sheet the user's selection is on, and the Excel row numbers it covers (sorted, unique)."""
        ...

    def message(self, text: str, title: str = "Billing") -> None: ...

    def confirm(self, text: str, title: str = "Billing") -> bool: ...

    def ask(self, text: str, default: str = "", title: str = "Billing") -> str | None:
        """Ask the user to type an answer (an input box); None when they cancel."""
        ...

    def choose_files(self, title: str = "Billing") -> list[Path]:
        """Ask the user to pick files (an Open dialog); [] when they cancel."""
        ...

    def status(self, text: str | None) -> None:
        """Show `text` in the status bar; None gives the status bar back to Excel."""
        ...

    def open_folder(self, folder: Path) -> None: ...


class FileHost:
    """A host over a workbook file: read with the reader, patches applied with the safe file writer.

    selection: (sheet title, Excel row numbers) as if the user had selected them; answer: what confirm()
    returns; reply: what the user types where ask() asks (None: they cancel). What the user would have seen is
    kept in `messages`, `statuses`, `questions` (confirm), `asked` (ask) and `opened`.
    """

    def __init__(
        self,
        path: str | Path,
        selection: tuple[str | None, list[int]] = (None, []),
        answer: bool = True,
        now: dt.datetime | None = None,
        reply: str | None = None,
        files: list[Path] | None = None,
    ) -> None:
        self.book_path = Path(path)
        self._selection = selection
        self.answer = answer
        self.reply = reply
        self.files = list(files or [])  # what the user picks where choose_files() opens its dialog
        self.asked: list[str] = []
        self.now = now
        self._stamp = None
        self._backups = 5
        self.messages: list[str] = []
        self.statuses: list[str | None] = []
        self.questions: list[str] = []
        self.opened: list[Path] = []

    def read_book(self) -> Book:
        from billing_addin.workbook.reader import check_readable, read_book
        from billing_addin.workbook.writer import FileStamp

        check_readable(self.book_path)
        self._stamp = FileStamp.of(self.book_path)
        book = read_book(self.book_path)
        self._backups = int(book.settings.get("Backups To Keep", 5))
        return book

    def apply(self, patch: Patch) -> str:
        from billing_addin.workbook.writer import apply_patch

        report = apply_patch(self.book_path, patch, expected=self._stamp, backups=self._backups)
        from billing_addin.workbook.writer import FileStamp

        self._stamp = FileStamp.of(self.book_path)  # a second write in the same handler starts from this one
        parts = list(report.sheets_written)
        if report.cells_updated:
            sheets = ", ".join(dict.fromkeys(u.sheet for u in patch.updates if u.cells))
            parts.append(f"{report.cells_updated} cell(s) updated on {sheets}")
        if report.rows_appended:
            parts.append(f"{report.rows_appended} row(s) on {', '.join(a.sheet for a in patch.appends)}")
        return "Wrote " + ", ".join(parts) if parts else "Nothing to write"

    def selection(self) -> tuple[str | None, list[int]]:
        return self._selection

    def message(self, text: str, title: str = "Billing") -> None:
        self.messages.append(text)

    def confirm(self, text: str, title: str = "Billing") -> bool:
        self.questions.append(text)
        return self.answer

    def ask(self, text: str, default: str = "", title: str = "Billing") -> str | None:
        self.asked.append(text)
        return self.reply

    def choose_files(self, title: str = "Billing") -> list[Path]:
        return list(self.files)

    def status(self, text: str | None) -> None:
        self.statuses.append(text)

    def open_folder(self, folder: Path) -> None:
        self.opened.append(folder)


def rows_in_address(address: str, last_row: int) -> list[int]:
    """Excel row numbers covered by a selection's address, no further than `last_row` (a whole column selected is
    a million rows): "$A$2:$C$5,$B$9" -> [2, 3, 4, 5, 9]; "$A:$A" -> 1..last_row; "$3:$4" -> [3, 4]."""
    rows: set[int] = set()
    for area in address.replace("$", "").split(","):
        ends = [int("".join(ch for ch in end if ch.isdigit()) or 0) for end in area.split(":")]
        first, last = (ends[0] or 1), (ends[-1] or last_row)
        rows.update(range(first, min(last, last_row) + 1))
    return sorted(rows)
