"""Never a confident wrong answer: for every messy shape of the same rows (tests/messy_books.py) and several
as-of dates, each command that prints figures either gives exactly the figures of the template's own tables,
or exits non-zero with an error finding that names a cell. It never exits 0 with different figures."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import pytest
from messy_books import AS_OF, SHAPES, base_data, comparable, write_shape, write_template

from billing_addin.cli import app as cli

AS_OF_DATES = (AS_OF, dt.date(2026, 3, 31), dt.date(2025, 12, 31))
CUSTOMER = "C1003"


def run(capsys, *args) -> tuple[int, dict]:
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr().out.strip()
    return code, json.loads(out.splitlines()[-1]) if out else {}


def commands_for(as_of: dt.date) -> list[tuple[str, list]]:
    return [
        ("refresh", ["--as-of", as_of, "--json"]),
        ("dunning", ["--as-of", as_of, "--json"]),
        ("fees", ["--as-of", as_of, "--json"]),
        ("statement", [CUSTOMER, "--from", as_of - dt.timedelta(days=120), "--to", as_of, "--json"]),
    ]


@pytest.fixture(scope="module")
def data():
    return base_data()


@pytest.fixture(scope="module")
def right_answers(data, tmp_path_factory) -> dict:
    """(command, as-of) -> the figures of the same rows in the template's tables."""
    path = write_template(tmp_path_factory.mktemp("template") / "book.xlsx", data)
    answers = {}
    for as_of in AS_OF_DATES:
        for command, args in commands_for(as_of):
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                code = cli.main([command, str(path), *map(str, args)])
            out = printed.getvalue().strip()
            assert code == 0, (command, as_of, out[-2000:])
            answers[command, as_of] = comparable(command, json.loads(out.splitlines()[-1]))
    refresh = answers["refresh", AS_OF]
    assert refresh["letters"] and any(f["to_post"] != "0.00" for f in refresh["fees"])  # a book worth comparing
    return answers


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_figures_are_the_templates_or_the_book_is_refused_with_a_cell(shape, data, right_answers, tmp_path, capsys):
    path = write_shape(tmp_path / "messy.xlsx", data, shape)
    for as_of in AS_OF_DATES:
        for command, args in commands_for(as_of):
            code, got = run(capsys, command, path, *args)
            if shape.same:
                assert code == 0, (command, as_of, [f for f in got.get("findings", []) if f["severity"] == "error"])
            if code == 0:  # never exit 0 with figures other than the template's
                assert comparable(command, got) == right_answers[command, as_of], (command, as_of)
                if not shape.same:  # a preview that lists what it would hold back (dunning): everything held
                    assert command == "dunning" and all(x["held_back"] for x in got["letters"]), (command, as_of)
            else:
                assert code == 1, (command, as_of, code)
                errors = [f for f in got.get("findings", []) if f["severity"] == "error" and f["cell"]]
                assert errors, (command, as_of, got)
                assert all(f["sheet"] for f in errors)
                assert not shape.same
        if not shape.same:
            assert run(capsys, "refresh", path, "--as-of", as_of, "--json")[0] == 1


def test_the_refused_shapes_say_where_and_what(data, tmp_path, capsys):
    """The finding names the real header row and the cell just right of its last header (not row 1)."""
    shape = next(s for s in SHAPES if s.name == "no Payment Date column")
    path = write_shape(tmp_path / "messy.xlsx", data, shape)
    code, got = run(capsys, "refresh", path, "--as-of", AS_OF, "--json")
    assert code == 1 and got["stopped"] is True and "portfolio" not in got
    missing = [f for f in got["findings"] if f["code"] == "missing-column"]
    assert [(f["sheet"], f["cell"]) for f in missing] == [
        ("Payments", "K1")
    ]  # right of Bank Transaction ID, the last header
    assert "no Payment Date column" in missing[0]["message"]
    unread = [f for f in got["findings"] if f["code"] == "column-not-read"]
    assert unread == [] or all(f["severity"] == "warning" for f in unread)
    titled = next(s for s in SHAPES if s.name == "title line and everyday headers")

    def without_payment_date(sheet, s):
        titled.change(sheet, s)
        s.headers = ["When" if h == "Date Received" else h for h in s.headers]

    from messy_books import Shape

    path = write_shape(tmp_path / "titled.xlsx", data, Shape("titled, no date", False, without_payment_date))
    code, got = run(capsys, "refresh", path, "--as-of", AS_OF, "--json")
    missing = [f for f in got["findings"] if f["code"] == "missing-column"]
    assert code == 1 and [(f["sheet"], f["cell"]) for f in missing] == [("Payments", "K3")]


def test_yes_no_under_hold_until_is_one_finding_for_the_column(data, tmp_path, capsys):
    shape = next(s for s in SHAPES if s.name == "Yes/No under Hold Until")
    path = write_shape(tmp_path / "messy.xlsx", data, shape)
    code = cli.main(["validate", str(path), "--as-of", str(AS_OF), "--json"])
    found = json.loads(capsys.readouterr().out)
    flags = [f for f in found if f["code"] == "flag-column"]
    assert code == 1 and [(f["sheet"], f["cell"], f["severity"]) for f in flags] == [("Invoices", "J1", "error")]
    assert not [f for f in found if f["code"] == "not-a-date"]  # one finding, not one per cell


def test_a_total_row_is_named_as_one(data, tmp_path, capsys):
    shape = next(s for s in SHAPES if s.name == "a total row under the data")
    path = write_shape(tmp_path / "messy.xlsx", data, shape)
    code = cli.main(["validate", str(path), "--as-of", str(AS_OF), "--json"])
    found = [f for f in json.loads(capsys.readouterr().out) if f["severity"] == "error"]
    total_row = len(data.rows["Invoices"]) + 3  # header row 1, the data, one blank row, then the total
    assert code == 1 and {f["cell"] for f in found} == {f"B{total_row}", f"C{total_row}"}
    assert all(f["code"] == "required" and "looks like a total row" in f["hint"] for f in found)
