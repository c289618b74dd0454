"""The suite does not depend on today's date: the date-sensitive commands, run on the same book with the clock
moved a year ahead, give the same answers as on the day they were written (2026-12-06)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path

import time_machine

from billing_addin.cli import app as cli
from billing_addin.workbook.demo_book import build_demo_book

AS_OF = dt.date(2026, 11, 27)
WRITTEN_ON = dt.datetime(2026, 12, 6, 9, 30)


def run(*args) -> tuple[int, object]:
    with contextlib.redirect_stdout(io.StringIO()) as printed, contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([str(a) for a in args])
    out = printed.getvalue().strip()
    return code, json.loads(out.splitlines()[-1] if not out.startswith("[") else out) if out else None


def letters_made(data: dict) -> list:
    return sorted((x["customer_id"], x["level"], tuple(x["invoices"])) for x in data["letters"])


def session(folder: Path) -> dict:
    """A month of a specialist's work on one book: check, post fees, refresh, first letters, a statement,
    then the second letters fifteen days later."""
    folder.mkdir()
    book = folder / "book.xlsx"
    build_demo_book(book, AS_OF, mistakes=False)
    out: dict = {}
    out["validate"] = run("validate", book, "--as-of", AS_OF, "--json")
    out["fees"] = run("fees", book, "--as-of", AS_OF, "--post", "--json")
    out["refresh"] = run("refresh", book, "--as-of", AS_OF, "--json")
    out["dunning"] = run("dunning", book, "--as-of", AS_OF, "--json")
    code, first = run("letters", book, "--as-of", AS_OF, "--no-pdf", "--json")
    out["letters"] = (code, letters_made(first))
    out["statement"] = run("statement", book, "C1003", "--from", "2026-09-01", "--to", AS_OF, "--json")
    later = AS_OF + dt.timedelta(days=15)
    code, second = run("letters", book, "--as-of", later, "--no-pdf", "--json")
    out["letters later"] = (code, letters_made(second))
    return out


def test_the_answers_do_not_move_with_the_clock(tmp_path):
    with time_machine.travel(WRITTEN_ON, tick=False):
        today = session(tmp_path / "today")
    with time_machine.travel(WRITTEN_ON + dt.timedelta(days=365), tick=False):
        assert dt.date.today() == dt.date(2027, 12, 6)
        next_year = session(tmp_path / "next-year")
    for step in today:
        assert today[step] == next_year[step], step
    assert today["letters"][0] == 0 and {lv for _, lv, _ in today["letters"][1]} == {1}
    assert {lv for _, lv, _ in today["letters later"][1]} >= {2}  # the wait counts from the letter's as-of date
    assert today["validate"] == (0, [])
