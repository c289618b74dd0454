"""The write-back refuses, changing nothing, when it cannot write safely; and a killed write never
leaves a broken book."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import python_calamine as pc

from billing_addin import commands
from billing_addin.cli.app import main
from billing_addin.core.patch import Patch
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.writer import FileStamp, WriteRefused, apply_patch

AS_OF = "2026-06-30"


@pytest.fixture
def book(tmp_path, data, write):
    return write(data)


def test_refuses_while_the_book_is_open_in_excel(book, capsys):
    lock = book.with_name("~$" + book.name)
    lock.write_bytes(b"excel owner file")
    before = book.read_bytes()
    assert main(["validate", str(book), "--as-of", AS_OF, "--write"]) == 3
    err = capsys.readouterr().err
    assert "open in Excel" in err and lock.name in err and "Traceback" not in err
    assert book.read_bytes() == before
    lock.unlink()
    assert main(["validate", str(book), "--as-of", AS_OF, "--write"]) == 0
    assert book.read_bytes() != before


def test_refuses_when_the_file_changed_after_it_was_read(book, tmp_path):
    import datetime as dt

    stamp = FileStamp.of(book)
    result = commands.validate(read_book(book), dt.date(2026, 6, 30))
    # Someone saves the book in the meantime (here: another valid workbook's bytes).
    other = tmp_path / "other.xlsx"
    shutil.copy(book, other)
    apply_patch(other, result.patch, backups=0)
    book.write_bytes(other.read_bytes())
    saved = book.read_bytes()
    with pytest.raises(WriteRefused, match="changed on disk"):
        apply_patch(book, result.patch, expected=stamp)
    assert book.read_bytes() == saved


def test_refuses_an_encrypted_book(tmp_path, capsys):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    before = path.read_bytes()
    assert main(["validate", str(path), "--write"]) == 2
    assert "password-protected" in capsys.readouterr().err
    assert path.read_bytes() == before
    with pytest.raises(WriteRefused):
        apply_patch(path, Patch(sheets=(commands.findings_sheet([]),)))
    assert path.read_bytes() == before


@pytest.mark.skipif(shutil.which("chattr") is None, reason="chattr (e2fsprogs) is not installed")
def test_refuses_a_folder_it_cannot_write(book, capsys):
    # Tests run as root, whom chmod does not stop; an immutable folder stops everyone.
    folder = book.parent
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not support immutable folders")
    try:
        before = book.read_bytes()
        assert main(["validate", str(book), "--as-of", AS_OF, "--write"]) == 3
        err = capsys.readouterr().err
        assert "billing: not written" in err and "Traceback" not in err
        assert book.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == [book.name]
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


WRITER = """
import sys, datetime as dt
from billing_addin.core.patch import Column, OwnedSheet, Patch
from billing_addin.workbook.writer import apply_patch
rows = tuple((f"row {i}", i, dt.date(2026, 1, 1 + i % 28), "x" * 40) for i in range(60000))
sheet = OwnedSheet("Findings", (Column("A"), Column("B"), Column("C", 12, "yyyy-mm-dd"), Column("D")), rows)
apply_patch(sys.argv[1], Patch(sheets=(sheet,)), backups=1)
print("done", flush=True)
"""


def opens_with_findings(path: Path) -> int | None:
    """Rows of the Findings sheet if the book opens and has one, else None; raises if it does not open."""
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    wb = pc.CalamineWorkbook.from_path(str(path))
    if "Findings" not in wb.sheet_names:
        return None
    return len(wb.get_sheet_by_name("Findings").to_python())


def test_killing_the_writer_at_random_moments_leaves_the_old_or_the_new_book(book, tmp_path):
    original = book.read_bytes()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    # How long a whole write takes here, so the kills land all through it.
    t = time.perf_counter()
    subprocess.run([sys.executable, str(script), str(book)], check=True, env=env, capture_output=True)
    full = time.perf_counter() - t
    assert opens_with_findings(book) == 60001
    rnd = random.Random(7)
    outcomes = {"old": 0, "new": 0}
    for _ in range(25):
        book.write_bytes(original)
        proc = subprocess.Popen(
            [sys.executable, str(script), str(book)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        time.sleep(rnd.uniform(0, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rows = opens_with_findings(book)  # the book always opens ...
        if book.read_bytes() == original:
            outcomes["old"] += 1
        else:
            assert rows == 60001  # ... and is either untouched or completely new
            outcomes["new"] += 1
    assert outcomes["old"] > 0, outcomes  # the kills did land mid-write
    leftovers = [p.name for p in book.parent.iterdir() if p.is_file() and p.name not in (book.name, "writer.py")]
    # A killed write may leave its temporary file; the next write cleans it up.
    subprocess.run([sys.executable, str(script), str(book)], check=True, env=env, capture_output=True)
    assert not [p.name for p in book.parent.iterdir() if p.is_file() and p.name in leftovers and p.name != book.name]
