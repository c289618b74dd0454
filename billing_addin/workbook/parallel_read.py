"""Reading a workbook's sheets two at a time.

python-calamine parses a sheet's XML in Rust without holding Python's lock, so while one thread parses
the Payments sheet another can parse Invoices or turn its rows into typed columns: on a big book this
takes a third off the read. A calamine workbook object serves one call at a time ("Already borrowed"),
so each thread has its own.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import python_calamine as pc

from billing_addin.workbook.xlsx.package import Relationships, rels_part_of
from billing_addin.workbook.xlsx.workbook_part import WorkbookXml


class SheetFailed(Exception):
    """A job failed; `what` names the sheet for the user's message and the cause is chained."""

    def __init__(self, what: str, error: BaseException):
        super().__init__(what)
        self.what, self.error = what, error


class SheetPool:
    """Runs jobs `fn(workbook)` on two threads: the caller's, with the workbook it opened, and one helper
    with its own. (Opening parses the shared strings, so a third workbook would cost a third parse.)"""

    def __init__(self, path: Path, workbook: pc.CalamineWorkbook, load_tables: bool):
        self.path, self.workbook, self.load_tables = str(path), workbook, load_tables
        self.helper_workbook: pc.CalamineWorkbook | None = None

    def run(self, jobs: Sequence[tuple[str, Callable]]) -> list:
        """Each job's result, in the order given; the first failure raises SheetFailed and no new job
        starts. Jobs start in the order given: put the biggest first."""
        results: list = [None] * len(jobs)
        errors: dict[int, BaseException] = {}
        pending = iter(range(len(jobs)))
        lock = threading.Lock()

        def work(wb_of: Callable[[], pc.CalamineWorkbook]) -> None:
            try:
                wb = wb_of()
                while not errors:
                    with lock:
                        i = next(pending, None)
                    if i is None:
                        return
                    try:
                        results[i] = jobs[i][1](wb)
                    except BaseException as e:  # noqa: BLE001 - handed to the caller below
                        errors[i] = e
            except BaseException as e:  # noqa: BLE001 - opening failed: the caller's own read reports it
                errors.setdefault(len(jobs), e)

        helper = threading.Thread(target=work, args=(self._helper_workbook,), daemon=True)
        helper.start()
        try:
            work(lambda: self.workbook)
        finally:
            helper.join()
        if errors:
            i = min(errors)
            error = errors[i]
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise error
            raise SheetFailed(jobs[i][0] if i < len(jobs) else "the workbook", error) from error
        return results

    def _helper_workbook(self) -> pc.CalamineWorkbook:
        if self.helper_workbook is None:
            self.helper_workbook = pc.CalamineWorkbook.from_path(self.path, load_tables=self.load_tables)
        return self.helper_workbook

    def close(self) -> None:
        if self.helper_workbook is not None:
            self.helper_workbook.close()


def sheet_sizes(path: Path) -> dict[str, int]:
    """Sheet title -> compressed size of its XML part: how long its parse will take, roughly. Empty when
    the package cannot be read this way (the order of reading then is only a little less good)."""
    try:
        with zipfile.ZipFile(path) as z:
            book = WorkbookXml(z.read("xl/workbook.xml"))
            rels = Relationships("xl/workbook.xml", z.read(rels_part_of("xl/workbook.xml")))
            sizes = {}
            for sheet in book.sheets:
                rel = rels.by_id(sheet.rel_id)
                if rel is not None and rel.part:
                    sizes[sheet.name] = z.getinfo(rel.part).compress_size
            return sizes
    except Exception:  # noqa: BLE001 - a hint only; the real read reports what is wrong
        return {}
