"""Hostile input: random corruption of a valid workbook never crashes validation.

Cell-level: hypothesis overwrites a few cells (headers included) of a small valid workbook with awkward
values and saves it with openpyxl; reading and validating must not raise, and every finding must be
well-formed and point at a real place. Byte-level: random bytes of the .xlsx are flipped or the file is
cut short; the CLI must exit 0, 1 or 2 and, when it gives up, say so in one line without a traceback.
Real files on disk throughout; nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from billing_addin import commands
from billing_addin.cli import app as cli
from billing_addin.core.findings import ERROR, WARNING
from billing_addin.core.schema import INPUT_SHEETS, SETTINGS, SETTINGS_SHEET
from billing_addin.workbook.demo_book import build_demo_book
from billing_addin.workbook.reader import UnreadableWorkbook, read_book

AS_OF = dt.date(2025, 3, 31)
SIZES = {"customers": 8, "invoices": 30, "payments": 20}
CELL = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")
SCHEMA_SHEETS = {spec.name for spec in INPUT_SHEETS} | {SETTINGS_SHEET}
FUZZED_SHEETS = ("Customers", "Invoices", "Payments", "Adjustments", SETTINGS_SHEET)
# Below this many days before 1899-12-30 a date-formatted number overflows chrono in python-calamine (a Rust
# panic); the reader then refuses the workbook in one line (measured: -106751991168.3, i64 ms / 86400000).
CALAMINE_DATE_LIMIT = -1e11


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """A small valid workbook (zero error findings), and the number of data rows on each fuzzed sheet."""
    path = tmp_path_factory.mktemp("fuzz-base") / "base.xlsx"
    data = build_demo_book(path, AS_OF, **SIZES, mistakes=False)
    result = commands.validate(read_book(path), AS_OF)
    assert result.errors == [], result.errors
    rows = {name: len(data.rows[name]) for name in FUZZED_SHEETS if name != SETTINGS_SHEET}
    rows[SETTINGS_SHEET] = len(SETTINGS)
    return path, rows


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """One folder for every example's file (hypothesis runs examples one after another)."""
    return tmp_path_factory.mktemp("fuzz-work")


# openpyxl refuses control characters (not valid in XML), and surrogates cannot be encoded.
plain_text = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=40)
texts = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "TBD",
            "n/a",
            "=1+1",
            "-",
            "0",
            "1,250.00",
            "(12.50)",
            "EUR 40",
            "2025-02-30",
            "03/04/2025",
            "31 March 2025",
            "USD",
            "usd",
            "XXX",
            "Void",
            "auto",
            "Credit Note",
            "C1001",
            "INV-24001",
            "Customer ID",
            "Invoice No",
            "Amount",
            "Setting",
            "Value",
            "Company Name",
            "Default Currency",
            "a@b",
            "x" * 300,
            "€" * 5000,
            "A" * 32767,
        ]
    ),
    plain_text,
)
numbers = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from([0, -1, 1, 2**53 + 1, 10**20, -(10**20)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, -12.5, 1e300, -1e300, 1e-300, 5e-324, 2.675, 0.005, 1e15, 2958465.0, 2958466.0]),
)
dates = st.one_of(
    st.sampled_from(
        [
            dt.date(1900, 1, 1),
            dt.date(1900, 2, 28),
            dt.date(1900, 3, 1),
            dt.date(2205, 3, 31),
            dt.date(9999, 12, 31),
            dt.date(2024, 2, 29),
        ]
    ),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)),
)
datetimes = st.one_of(
    st.sampled_from(
        [
            dt.datetime(1900, 1, 1),
            dt.datetime(9999, 12, 31, 23, 59, 59),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
            dt.datetime(2025, 3, 31, 12, 0),
        ]
    ),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)),
)
cell_values = st.one_of(texts, numbers, dates, datetimes, st.booleans(), st.none())


@st.composite
def cell_edits(draw, rows: dict[str, int]) -> list[tuple[str, int, int, object]]:
    """1-6 (sheet, row, column, value) edits, rows 1..N+2 (header and one row past the data), columns 1..16."""
    edits = []
    for _ in range(draw(st.integers(1, 6))):
        sheet = draw(st.sampled_from(FUZZED_SHEETS))
        edits.append((sheet, draw(st.integers(1, rows[sheet] + 2)), draw(st.integers(1, 16)), draw(cell_values)))
    return edits


def write_edits(
    src: Path, dst: Path, edits: list[tuple[str, int, int, object]], plain_ranges: bool = False
) -> set[str]:
    """Apply the edits with openpyxl and save to `dst`; with `plain_ranges`, first turn every Excel Table into
    a plain range (Excel's Convert to Range), so the reader must find the header row itself.
    Returns the sheets where a date-formatted cell now holds a number python-calamine cannot turn into a
    date (see CALAMINE_DATE_LIMIT)."""
    wb = load_workbook(src)
    if plain_ranges:
        for ws in wb.worksheets:
            for name in list(ws.tables):
                del ws.tables[name]
    for sheet, row, column, value in edits:
        cell = wb[sheet].cell(row=row, column=column)
        cell.value = value
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # the text '=1+1', not a formula
    overflowing = set()
    for sheet, row, column, _ in edits:  # the cell's final state: a later edit may overwrite an earlier one
        cell = wb[sheet].cell(row=row, column=column)
        v = cell.value
        if cell.is_date and isinstance(v, int | float) and not isinstance(v, bool) and v < CALAMINE_DATE_LIMIT:
            overflowing.add(sheet)
    wb.save(dst)
    wb.close()
    return overflowing


def assert_well_formed(findings, sheet_titles: list[str]) -> None:
    crashed = [f for f in findings if f.code == "internal-check-failure"]
    assert not crashed, f"a check crashed: {crashed}"
    known_sheets = set(sheet_titles) | SCHEMA_SHEETS
    for f in findings:
        assert f.severity in (ERROR, WARNING), f
        assert f.code and f.message and f.hint, f
        assert f.cell == "" or CELL.match(f.cell), f
        assert f.sheet in known_sheets, f


def validate_after_edits(
    src: Path, path: Path, edits: list[tuple[str, int, int, object]], plain_ranges: bool = False
) -> list:
    """Write the edited copy, read and validate it; return the findings (checked for form), or [] when
    the reader refused it for the one documented reason."""
    overflowing = write_edits(src, path, edits, plain_ranges)
    try:
        book = read_book(path)
    except UnreadableWorkbook as e:
        # python-calamine panics on a number far below year 1 in a date-formatted cell; the reader
        # then refuses the workbook in one line naming the sheet (exit 2 in the CLI).
        assert overflowing, f"a workbook with only cell edits was refused: {e}"
        message = str(e)
        assert "\n" not in message and "date-formatted cell" in message, message
        assert any(f"sheet {sheet} " in message for sheet in overflowing), message
        return []
    result = commands.validate(book, AS_OF)
    assert_well_formed(result.findings, book.sheet_titles)
    assert result.counts["errors"] == len(result.errors)
    return result.findings


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_cells_never_crash_validation(base, workdir, data):
    """Whatever lands in a few cells (headers included): read_book + validate return findings, never
    raise, no check crashes, and every finding names a real sheet and a real A1 cell. The one allowed
    refusal is the documented one (a date-formatted number python-calamine cannot convert). Half the
    examples have no Excel Tables, so edited header cells change what the reader matches."""
    src, rows = base
    edits = data.draw(cell_edits(rows), label="edits")
    plain_ranges = data.draw(st.booleans(), label="plain_ranges")
    validate_after_edits(src, workdir / "fuzzed.xlsx", edits, plain_ranges)


@st.composite
def byte_damage(draw, size: int) -> tuple[list[tuple[int, int]], int | None]:
    """(position, xor mask) flips and an optional length to cut the file to."""
    flips = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(1, 255)), min_size=0, max_size=8))
    cut = draw(st.none() | st.integers(0, size - 1))
    if not flips and cut is None:
        flips = [(draw(st.integers(0, size - 1)), draw(st.integers(1, 255)))]
    return flips, cut


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_bytes_give_a_clear_exit(base, workdir, data, capfd):
    """A damaged file makes `billing validate` exit 0, 1 or 2; with 2 it prints one line on stderr
    that starts with 'billing:' and holds no traceback; with 0 or 1 it prints a JSON array."""
    src, _ = base
    raw = bytearray(src.read_bytes())
    flips, cut = data.draw(byte_damage(len(raw)), label="damage")
    for pos, mask in flips:
        raw[pos] ^= mask
    if cut is not None:
        del raw[cut:]
    path = workdir / "damaged.xlsx"
    path.write_bytes(bytes(raw))

    capfd.readouterr()  # drop what earlier examples printed
    status = cli.main(["validate", str(path), "--json", "--as-of", AS_OF.isoformat()])
    captured = capfd.readouterr()  # file-descriptor level: a Rust panic message would show up here too

    assert status in (0, 1, 2), (status, captured.err)
    for bad in ("Traceback", "panicked"):
        assert bad not in captured.err and bad not in captured.out, captured.err
    if status == 2:
        lines = captured.err.strip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("billing:"), captured.err
    else:
        findings = json.loads(captured.out)
        assert isinstance(findings, list)
        assert all(f["code"] != "internal-check-failure" for f in findings), findings


def test_cutting_the_file_to_nothing_is_a_clear_exit(workdir, capfd):
    """The smallest damage: an empty file named .xlsx."""
    path = workdir / "empty.xlsx"
    path.write_bytes(b"")
    assert cli.main(["validate", str(path), "--json", "--as-of", AS_OF.isoformat()]) == 2
    err = capfd.readouterr().err
    assert err.startswith("billing:") and err.count("\n") == 1


def test_a_huge_amount_is_a_finding_without_numpy_warnings(tmp_path):
    """An absurd amount (1e307) is reported as not-money at its cell, and nothing else reaches the user."""
    src = tmp_path / "base.xlsx"
    build_demo_book(src, AS_OF, **SIZES, mistakes=False)
    path = tmp_path / "huge.xlsx"
    write_edits(src, path, [("Invoices", 2, 5, 1e307)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        findings = commands.validate(read_book(path), AS_OF).findings
    assert [(f.code, f.cell) for f in findings if f.sheet == "Invoices"] == [("not-money", "E2")]
    assert [str(w.message) for w in caught] == []
