"""A big book cut into parts by customer, so that a refresh can use more than one core.

Every figure a refresh gives belongs to one customer: its invoices, payments and adjustments, the fees on
its invoices, its dunning letter. So a book whose customers never name one another's invoices can be cut
into parts, each with a set of customers and all of their rows, and each part refreshed on a core of its
own; put back in the order the whole book gives, the parts' figures are exactly the whole book's (a test
compares the two on random books).

When customers are linked (two customers' invoices share an Invoice No, or an adjustment names another
customer's invoice, so that one customer's figures depend on another's rows), `split_book` says so and
the book is refreshed whole.

The parts reach the other processes by fork: each starts with the book already read, and only the parts'
results come back, pickled. Only on Linux (the command line's batch runs): elsewhere, and always under
Excel, a book is refreshed whole in one process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import TypeVar

from billing_addin.commands import figures
from billing_addin.commands.result import Result, stopped
from billing_addin.core.book import Book
from billing_addin.core.checks import run_checks
from billing_addin.core.config import read_config
from billing_addin.core.held_back import stopping_errors
from billing_addin.core.sheet_checks import check_columns, check_structure
from billing_addin.loader import LoadedBook, check_book

SPLIT_SHEETS = ("Customers", "Invoices", "Payments", "Adjustments")  # the sheets whose rows belong to a customer
# Below this many rows a second process costs more than it saves. Measured with bench's books, best of 3:
# 12,750 rows took 0.61 s whole and 0.67 s in two processes; 25,500 rows 0.74 s and 0.70 s.
MIN_ROWS = 20_000
MAX_PARTS = 4
PROCESSES_ENV = "BILLING_PROCESSES"  # a number: that many processes whatever the book's size; 1 turns it off

# For each part, sheet name -> the positions (in SheetData order) of that sheet's rows in the part.
Plan = dict[str, list[int]]
T = TypeVar("T")


def parts_for(book: Book) -> int:
    """How many processes to refresh `book` with: one per available core (at most MAX_PARTS) for a book
    of MIN_ROWS rows or more, on Linux (where fork is safe and cheap); else 1. BILLING_PROCESSES overrides
    the count."""
    if not sys.platform.startswith("linux"):
        return 1
    asked = os.environ.get(PROCESSES_ENV, "").strip()
    if asked.isdigit() and int(asked) > 0:
        return int(asked)
    rows = sum(len(sd) for name in SPLIT_SHEETS if (sd := book.sheet(name)) is not None)
    if rows < MIN_ROWS:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_PARTS))


def split_book(book: Book, n: int) -> list[Plan] | None:
    """Cut the customers into `n` parts (in turn, in the order they first appear) and give each part all of
    its customers' rows. None when customers are linked and the book must be taken whole.

    Rows are given to a customer by Customer ID, case folded, as the ledger matches them; a row without one
    goes to the first part (the ledger skips it, but it stays in the book)."""
    part_of: dict[str | None, int] = {None: 0}  # Customer ID as typed -> part
    folded: dict[str, int] = {}
    plans: list[Plan] = [{} for _ in range(n)]
    for name in SPLIT_SHEETS:
        sd = book.sheet(name)
        if sd is None:
            continue
        positions: list[list[int]] = [[] for _ in range(n)]
        ids = sd.columns.get("Customer ID")
        if ids is None:
            positions[0] = list(range(len(sd.rows)))  # nobody's rows: the ledger skips them all
        else:
            for i, cid in enumerate(ids):
                k = part_of.get(cid)
                if k is None:
                    k = part_of[cid] = folded.setdefault(cid.casefold(), len(folded) % n)
                positions[k].append(i)
        for plan, p in zip(plans, positions):
            plan[name] = p
    if _linked(book, part_of):
        return None
    return plans


def _linked(book: Book, part_of: dict[str | None, int]) -> bool:
    """Whether a row of one part names an invoice of another: an Invoice No used in two parts (the
    ledger keeps its first row, whoever's it is), or an adjustment naming another part's invoice (its
    currency, and late fees already charged on it, come from that invoice)."""
    owner: dict[str, int] = {}  # Invoice No, case folded -> part
    inv = book.sheet("Invoices")
    if inv is not None and "Invoice No" in inv.columns and "Customer ID" in inv.columns:
        for no, cid in zip(inv.columns["Invoice No"], inv.columns["Customer ID"]):
            if no is not None and owner.setdefault(no.casefold(), part_of[cid]) != part_of[cid]:
                return True
    adj = book.sheet("Adjustments")
    if adj is not None and "Invoice No" in adj.columns:
        ids = adj.columns.get("Customer ID") or [None] * len(adj.rows)
        for no, cid in zip(adj.columns["Invoice No"], ids):
            if no is not None and owner.get(no.casefold(), part_of[cid]) != part_of[cid]:
                return True
    return False


def book_part(book: Book, plan: Plan) -> Book:
    """The book with only the rows `plan` gives a part (the other sheets and the settings whole)."""
    sheets = dict(book.sheets)
    for name, keep in plan.items():
        sd = book.sheets[name]
        rows = set(map(sd.rows.__getitem__, keep)) if sd.problems else ()
        sheets[name] = dataclasses.replace(
            sd,
            rows=list(map(sd.rows.__getitem__, keep)),
            columns={f: list(map(values.__getitem__, keep)) for f, values in sd.columns.items()},
            problems=[p for p in sd.problems if p.row in rows],
        )
    return dataclasses.replace(book, sheets=sheets)


def refresh_in_parts(book: Book, as_of: dt.date, parts: int) -> Result | None:
    """`billing refresh`'s preview (no sheets) of a book made in `parts` processes, one set of customers each,
    while this process parses the configuration sheets and runs the checks: the same result as
    commands.refresh on the whole book. None when the book should be refreshed whole: one part asked for,
    customers linked, or a sheet or column the figures need missing (found first, before the book is cut)."""
    if parts <= 1 or stopping_errors([*check_structure(book, as_of), *check_columns(book, as_of)]):
        return None
    plans = split_book(book, parts)
    if plans is None:
        return None
    config = read_config(book)
    ledgers = []

    def part(k: int):
        if k == 0:
            return check_book(book, as_of, config)
        preview, ledger, *_ = figures.preview(book_part(book, plans[k - 1]), config, as_of)
        ledgers.append(ledger)  # only when a part was done here: kept with the result (see Result.ledger)
        return preview

    loaded, *previews = run_parts(part, len(plans) + 1)
    if loaded.stop:
        return stopped("refresh", loaded, as_of)
    result = figures.refresh_result(loaded, previews)
    result.ledger = ledgers[0] if ledgers else None
    return result


def run_parts(work: Callable[[int], T], n: int) -> list[T]:
    """[work(0), ..., work(n - 1)], with work(1) onwards each in a forked process while this one does
    work(0). A part whose process fails or dies is done again here, so that a real fault raises here
    with its own traceback."""
    if n <= 1:
        return [work(0)]
    context = multiprocessing.get_context("fork")
    sys.stdout.flush()  # a child flushes its copy of these buffers when it ends: empty them first
    sys.stderr.flush()
    started, finished = [], False
    try:
        for k in range(1, n):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_work_in_child, args=(work, k, send), daemon=True)
            process.start()
            send.close()
            started.append((k, process, receive))
        results = [work(0)]
        for k, _process, receive in started:
            try:
                ok, value = receive.recv()
            except EOFError:  # the process ended without an answer
                ok, value = False, None
            results.append(value if ok else work(k))
        finished = True
        return results
    finally:
        for _, process, receive in started:
            receive.close()
            if not finished:  # this process failed or was interrupted: the others' work is not wanted
                process.terminate()
            process.join()


def _work_in_child(work: Callable[[int], T], k: int, send) -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent says it stopped and ends the
    # children, which would otherwise each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        answer = (True, work(k))
    except Exception:  # done again in the parent, where the error is shown
        answer = (False, None)
    try:
        send.send(answer)
    except Exception:  # the answer could not be pickled: the parent does the part itself
        send.send((False, None))
    finally:
        send.close()
        # Straight out: nothing of this process is wanted now, and a normal exit would free the book's
        # objects one by one and flush streams whose locks another thread may have held at the fork.
        os._exit(0)


def checked_beside(book, as_of, work: Callable[[], T]) -> tuple[LoadedBook, T | None]:
    """The loaded book as at `as_of`, and work() done meanwhile. A big book's checks run in a forked process
    while this one does the work (the two take about as long); the checks' findings come back, the book stays
    here. A small book is checked here and the work is left to the command (None)."""
    config = read_config(book)
    if parts_for(book) <= 1:
        return check_book(book, as_of, config), None

    def part(k: int):
        return work() if k == 0 else tuple(run_checks(book, as_of, config))

    done, findings = run_parts(part, 2)
    return LoadedBook(book, config, as_of, findings), done
