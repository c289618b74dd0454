"""A refresh in parts, one set of customers per process, gives exactly what the whole book gives.

The property test cuts random books (fees, dunning, letter logs, case slips, unknown customers, links
between customers) and compares every figure, finding and count with the whole book's refresh. The other
tests run the parts in real forked processes, from the command line too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin import commands
from billing_addin.cli import app as cli
from billing_addin.cli import parallel_refresh as customer_parts
from billing_addin.cli.parallel_refresh import book_part, parts_for, refresh_in_parts, run_parts, split_book
from billing_addin.commands import figures
from billing_addin.core.letter_log import LETTER_COLUMNS
from billing_addin.loader import check_book
from billing_addin.workbook.demo_book import generate
from billing_addin.workbook.reader import book_from_rows, read_book

D = dt.date
AS_OF = D(2026, 6, 30)
CUSTOMERS = [
    ["Customer ID", "Name", "Currency", "Late Fee Policy", "Dunning"],
    ["C1", "Acme", None, None, None],
    ["C2", "Beta", "EUR", "Daily", None],
    ["C3", "Gamma", None, "Exempt", "Manual"],
    ["C4", "Delta", None, "Monthly", None],
    ["C5", "Epsilon", None, "EU", "Excluded"],
]
POLICIES = [
    ["Policy", "Type", "Rate", "Amount", "Grace Days", "Frequency"],
    ["Standard", "Flat", None, 25, 5, None],
    ["Daily", "Daily Interest", 8, None, 0, None],
    ["Monthly", "Recurring Percent", 1.5, None, 10, "Monthly"],
    ["EU", "Statutory EU", None, None, 0, None],
]
INV_HEAD = ["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount", "Currency", "Status", "Dispute"]
PAY_HEAD = ["Payment ID", "Customer ID", "Payment Date", "Amount", "Currency", "Applied To"]
ADJ_HEAD = ["Adjustment ID", "Customer ID", "Invoice No", "Date", "Type", "Amount"]

day = st.dates(min_value=D(2025, 6, 1), max_value=D(2026, 8, 31))  # some after AS_OF
cents = st.integers(min_value=1, max_value=300_000)
# Customer IDs as typed: case slips, one the Customers sheet does not know, and a blank.
customer_ids = st.sampled_from(["C1", "C2", "c2", "C3", "C4", "C5", "C9", None])


def customer_of(cid: str | None) -> str | None:
    return cid.casefold() if cid is not None else None


@st.composite
def books(draw, linked: bool):
    """A random book. linked=False: no Invoice No is shared between customers and every adjustment names
    its own customer's invoice, so the book can always be cut by customer."""
    invoices = []
    for k in range(draw(st.integers(1, 14))):
        issued = draw(day)
        cid = draw(customer_ids)
        no = f"I{k}"
        if linked and invoices and draw(st.integers(0, 5)) == 0:
            no = draw(st.sampled_from([r[0] for r in invoices])).lower()  # the same number again, in lower case
        invoices.append(
            [
                no,
                cid,
                issued,
                issued + dt.timedelta(days=draw(st.integers(0, 45))),
                draw(cents) / 100,
                draw(st.sampled_from([None, None, None, "EUR"])),
                draw(st.sampled_from([None, None, None, None, "Void"])),
                draw(st.sampled_from([None, None, None, None, "Wrong quantity"])),
            ]
        )

    def invoice_for(cid: str | None) -> str | None:
        """A number a payment or adjustment of `cid` names: any invoice, or (unlinked) one of its own."""
        own = [r[0] for r in invoices if linked or customer_of(r[1]) == customer_of(cid)]
        return draw(st.one_of(st.none(), st.sampled_from(own + ["I99"])))

    payments = []
    for k in range(draw(st.integers(0, 14))):
        cid = draw(customer_ids)
        named = draw(st.one_of(st.none(), st.sampled_from([r[0] for r in invoices])))  # anyone's: no link
        payments.append([f"P{k}", cid, draw(day), draw(cents) / 100, draw(st.sampled_from([None, "EUR"])), named])
    kinds = st.sampled_from(["Credit Note", "Write-off", "Refund", "Returned Payment", "Late Fee", "Other"])
    adjustments = []
    for k in range(draw(st.integers(0, 6))):
        cid = draw(customer_ids)
        amount = draw(st.integers(-50_000, 300_000)) / 100
        adjustments.append([f"A{k}", cid, invoice_for(cid), draw(day), draw(kinds), amount])
    book = book_from_rows(
        {
            "Customers": CUSTOMERS,
            "Invoices": [INV_HEAD, *invoices],
            "Payments": [PAY_HEAD, *payments],
            "Adjustments": [ADJ_HEAD, *adjustments],
            "FeePolicies": POLICIES,
        },
        {
            "Company Name": "Us",
            "Default Fee Policy": draw(st.sampled_from(["Standard", "Monthly", "Missing"])),
            "Auto Apply Credits": draw(st.sampled_from(["Yes", "No"])),
        },
    )
    letters = []
    for cid in draw(st.lists(st.sampled_from(["C1", "C2", "C4", "c4"]), max_size=3)):
        sent = draw(st.dates(min_value=D(2026, 3, 1), max_value=D(2026, 6, 29)))
        level = draw(st.integers(1, 3))
        letters.append(
            [dt.datetime.combine(sent, dt.time(9)), sent, "dunning", level, cid, "", "x.docx", "", "", "sent"]
        )
    if letters:
        book.owned_rows["Letters"] = [[c.header for c in LETTER_COLUMNS], *letters]
    return book


def refreshed_in_parts(book, plans) -> commands.Result:
    """What `refresh(parts=n)` computes, with the parts one after another in this process."""
    loaded = check_book(book, AS_OF)
    previews = [figures.preview(book_part(book, plan), loaded.config, AS_OF)[0] for plan in plans]
    return figures.refresh_result(loaded, previews)


def assert_same(parts: commands.Result, whole: commands.Result) -> None:
    # Every invoice issued by the as-of date is in the whole's list, in Invoices row order, so that comparing
    # the data compares each invoice's balance, paid date and days late.
    issued = [inv for inv in whole.ledger.invoices.values() if inv.invoice_date <= whole.as_of]
    assert [(x["invoice_no"], x["paid_date"]) for x in whole.data["invoices"]] == [
        (inv.invoice_no, inv.paid_date) for inv in sorted(issued, key=lambda i: i.row)
    ]
    assert parts.data == whole.data
    assert parts.findings == whole.findings
    assert (parts.counts, parts.details) == (whole.counts, whole.details)


@settings(max_examples=150, deadline=None)
@given(books(linked=False), st.integers(2, 4))
def test_a_book_without_links_is_cut_and_its_parts_give_the_whole(book, n):
    plans = split_book(book, n)
    assert plans is not None
    assert_same(refreshed_in_parts(book, plans), commands.refresh(book, AS_OF, sheets=False))


@settings(max_examples=150, deadline=None)
@given(books(linked=True), st.integers(2, 3))
def test_a_linked_book_is_cut_only_when_its_parts_still_give_the_whole(book, n):
    plans = split_book(book, n)
    if plans is not None:
        assert_same(refreshed_in_parts(book, plans), commands.refresh(book, AS_OF, sheets=False))


# --- cutting --------------------------------------------------------------------------------------------


def small_book(invoices, adjustments=()):
    return book_from_rows(
        {
            "Customers": CUSTOMERS,
            "Invoices": [INV_HEAD, *invoices],
            "Payments": [
                PAY_HEAD,
                ["P1", "c2", D(2026, 5, 1), 10, None, "I1"],
                ["P2", None, D(2026, 5, 1), 5, None, None],
            ],
            "Adjustments": [ADJ_HEAD, *adjustments],
        },
        {"Company Name": "Us"},
    )


def inv(no, cid):
    return [no, cid, D(2026, 4, 1), D(2026, 5, 1), 100, None, None, None]


def test_customers_go_to_parts_in_turn_and_take_every_row_of_theirs():
    book = small_book([inv("I1", "C2"), inv("I2", "C1"), inv("I3", "c2"), inv("I4", None), inv("I5", "C9")])
    plans = split_book(book, 2)
    # Customers in sheet order: C1 -> 0, C2 -> 1, C3 -> 0, C4 -> 1, C5 -> 0; C9 (unknown) comes next -> 1.
    assert [p["Customers"] for p in plans] == [[0, 2, 4], [1, 3]]
    assert [p["Invoices"] for p in plans] == [[1, 3], [0, 2, 4]]  # a blank Customer ID goes to the first part
    assert [p["Payments"] for p in plans] == [[1], [0]]  # "c2" is C2; a payment of C2 naming C2's I1
    part = book_part(book, plans[1])
    assert part.sheet("Invoices").columns["Invoice No"] == ["I1", "I3", "I5"]
    assert part.sheet("Invoices").rows == [2, 4, 6]  # Excel rows kept
    assert part.sheet("FeePolicies") is book.sheet("FeePolicies") and part.settings is book.settings


def test_an_invoice_number_in_two_parts_or_an_adjustment_on_another_parts_invoice_keeps_the_book_whole():
    assert split_book(small_book([inv("I1", "C1"), inv("i1", "C2")]), 2) is None  # the ledger keeps the first
    assert split_book(small_book([inv("I1", "C1"), inv("i1", "C3")]), 2) is not None  # both in the first part
    other = [["A1", "C2", "I1", D(2026, 5, 2), "Late Fee", 5]]
    assert split_book(small_book([inv("I1", "C1")], other), 2) is None
    own = [["A1", "c1", "i1", D(2026, 5, 2), "Late Fee", 5]]
    assert split_book(small_book([inv("I1", "C1")], own), 2) is not None


def test_how_many_parts(monkeypatch):
    small = small_book([inv("I1", "C1")])
    monkeypatch.delenv(customer_parts.PROCESSES_ENV, raising=False)
    assert parts_for(small) == 1  # not worth a second process
    monkeypatch.setattr(customer_parts, "MIN_ROWS", 3)
    cores = len(os.sched_getaffinity(0))
    assert parts_for(small) == min(cores, customer_parts.MAX_PARTS)
    monkeypatch.setenv(customer_parts.PROCESSES_ENV, "3")
    assert parts_for(small) == 3
    monkeypatch.setenv(customer_parts.PROCESSES_ENV, "1")
    assert parts_for(small) == 1


# --- processes ------------------------------------------------------------------------------------------


def test_parts_run_in_processes_of_their_own():
    me = os.getpid()
    pids = run_parts(lambda k: (k, os.getpid()), 3)
    assert [k for k, _ in pids] == [0, 1, 2]
    assert pids[0][1] == me and len({pid for _, pid in pids}) == 3


def test_a_part_whose_process_fails_or_dies_is_done_here():
    me = os.getpid()

    def work(k):
        if os.getpid() != me and k == 1:
            raise ValueError("only in the child")
        if os.getpid() != me and k == 2:
            os._exit(3)  # dies without a word
        return k * 10, os.getpid()

    assert run_parts(work, 3) == [(0, me), (10, me), (20, me)]


def test_an_error_here_stops_the_other_processes():
    me = os.getpid()

    def work(k):
        if os.getpid() == me:
            raise KeyError("the first part")
        import time

        time.sleep(60)

    with pytest.raises(KeyError):
        run_parts(work, 2)
    import multiprocessing

    assert multiprocessing.active_children() == []


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory) -> Path:
    from billing_addin.workbook.template import build_template

    d = generate(AS_OF, customers=40, invoices=400, payments=500, mistakes=False)
    path = tmp_path_factory.mktemp("parts") / "book.xlsx"
    build_template(path, d.rows, d.settings)
    return path


def test_refresh_in_forked_parts_equals_the_whole_on_the_demo_book(demo_book):
    book = read_book(demo_book)
    assert split_book(book, 2) is not None
    assert_same(refresh_in_parts(book, AS_OF, 2), commands.refresh(book, AS_OF, sheets=False))


def test_billing_refresh_json_in_two_processes_prints_what_one_prints(demo_book):
    """The command as a user runs it, in a fresh process: BILLING_PROCESSES makes a small book go in parts."""
    outputs = []
    for processes in ("2", "1"):
        env = {**os.environ, customer_parts.PROCESSES_ENV: processes}
        args = [sys.executable, "-m", "billing_addin", "refresh", str(demo_book), "--as-of", str(AS_OF), "--json"]
        proc = subprocess.run(args, capture_output=True, text=True, env=env)
        assert proc.returncode in (0, 1), proc.stderr
        outputs.append((proc.returncode, proc.stdout))
    assert outputs[0] == outputs[1]
    outputs = [out for _, out in outputs]
    assert len(json.loads(outputs[0])["customers"]) > 20


def test_refresh_write_is_never_in_parts(demo_book, tmp_path, monkeypatch):
    """--write needs the whole ledger for its sheets: the command takes the book whole."""
    monkeypatch.setenv(customer_parts.PROCESSES_ENV, "2")
    seen = []
    monkeypatch.setattr(customer_parts, "split_book", lambda *a: seen.append(a))
    copy = tmp_path / "book.xlsx"
    copy.write_bytes(demo_book.read_bytes())
    assert cli.main(["refresh", str(copy), "--as-of", str(AS_OF), "--write"]) in (0, 1)
    assert seen == []


def test_ctrl_c_stops_the_parts_quietly(capfd):
    """Ctrl-C goes to every process of the terminal: the parent stops, ends the others, and no process
    prints a traceback."""
    import multiprocessing
    import signal
    import time

    me = os.getpid()

    def work(k):
        if os.getpid() != me:
            time.sleep(30)
            return k
        time.sleep(0.5)  # the other process is running by now
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGINT)  # what the terminal sends it
        time.sleep(0.5)
        raise KeyboardInterrupt  # and what this process gets

    with pytest.raises(KeyboardInterrupt):
        run_parts(work, 2)
    assert multiprocessing.active_children() == []
    assert "Traceback" not in capfd.readouterr().err
