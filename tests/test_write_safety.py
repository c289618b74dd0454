"""The write-back refuses, changing nothing, when it cannot write safely (through `billing validate --write` and
through the writer itself), leaves the book untouched when it does, keeps backups, and never leaves a broken book
behind, even when killed with SIGKILL in the middle of a write."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter

from billing_addin import commands
from billing_addin.cli.app import main
from billing_addin.core.patch import Column, OwnedSheet, Patch
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.writer import FileStamp, WriteRefused, apply_patch

AS_OF = "2026-06-30"
REPO = Path(__file__).resolve().parents[1]
SMALL = Patch(sheets=(OwnedSheet("Findings", (Column("Invoice"), Column("Amount")), (("INV-1", 10),)),))
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ---------------------------------------------------------------- a billing workbook, through `billing validate --write`


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


def test_validate_write_refuses_an_encrypted_book(tmp_path, capsys):
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
def test_validate_write_refuses_an_immutable_folder(book, capsys):
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


# ---------------------------------------------------------------- the writer itself


def make_book(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Invoices").write_row(0, 0, ["Invoice", "Amount"])
    book.close()
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "billing-tmp" in p.name)


def refused(path: Path, patch: Patch = SMALL, **kwargs: object) -> str:
    """Apply, expect a refusal, check the book did not change; return the message."""
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(WriteRefused) as caught:
        apply_patch(path, patch, **kwargs)
    if before is not None:
        assert path.read_bytes() == before
    assert leftovers(path.parent) == []
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_refuses_a_book_open_in_excel(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    (tmp_path / "~$Book.xlsx").write_bytes(b"owner")
    assert refused(book) == "Book.xlsx is open in Excel (lock file ~$Book.xlsx). Close it in Excel and run again."


def test_refuses_a_book_changed_since_it_was_read(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    stamp = FileStamp.of(book)
    apply_patch(book, SMALL)  # someone else wrote it meanwhile
    assert "was changed on disk after the add-in read it" in refused(book, expected=stamp)


def test_a_touched_but_unchanged_book_is_still_written(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    stamp = FileStamp.of(book)
    os.utime(book, ns=(stamp.mtime_ns + 5_000_000_000, stamp.mtime_ns + 5_000_000_000))
    assert apply_patch(book, SMALL, expected=stamp).sheets_written == ("Findings",)


def test_refuses_an_encrypted_book(tmp_path: Path) -> None:
    # An encrypted .xlsx is an OLE compound file holding EncryptionInfo and EncryptedPackage streams.
    book = tmp_path / "Secret.xlsx"
    book.write_bytes(
        OLE_MAGIC + bytes(504) + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")
    )
    assert "Secret.xlsx is password-protected (encrypted)" in refused(book)


def test_refuses_an_old_xls_named_xlsx(tmp_path: Path) -> None:
    book = tmp_path / "Old.xlsx"
    book.write_bytes(OLE_MAGIC + bytes(504) + "Workbook".encode("utf-16-le") + bytes(100))
    assert "old Excel 97-2003 file (.xls)" in refused(book)


def test_refuses_what_is_not_a_zip_or_is_cut_short(tmp_path: Path) -> None:
    book = tmp_path / "Text.xlsx"
    book.write_text("Invoice;Amount\nINV-1;10\n")
    assert "is not a valid Excel workbook" in refused(book)
    cut = tmp_path / "Cut.xlsx"
    cut.write_bytes(make_book(tmp_path / "Whole.xlsx").read_bytes()[:-200])
    assert "Cut.xlsx is damaged" in refused(cut)


def test_refuses_a_zip_whose_parts_are_damaged(tmp_path: Path) -> None:
    whole = make_book(tmp_path / "Whole.xlsx")
    for broken_part, expected in (("xl/workbook.xml", "damaged"), ("xl/_rels/workbook.xml.rels", "damaged")):
        book = tmp_path / f"Broken-{broken_part.replace('/', '_')}.xlsx"
        with zipfile.ZipFile(whole) as source, zipfile.ZipFile(book, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                target.writestr(info, b"<workbook><sheets>" if info.filename == broken_part else data)
        assert expected in refused(book)
    missing = tmp_path / "NoTypes.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(missing, "w") as target:
        for info in source.infolist():
            if info.filename != "[Content_Types].xml":
                target.writestr(info, source.read(info))
    assert "has no [Content_Types].xml" in refused(missing)


def test_refuses_other_extensions_and_missing_files(tmp_path: Path) -> None:
    xls = tmp_path / "Book.xls"
    xls.write_bytes(make_book(tmp_path / "Book.xlsx").read_bytes())
    assert "is not an .xlsx or .xlsm workbook" in refused(xls)
    assert "does not exist" in refused(tmp_path / "Missing.xlsx")


def test_refuses_a_folder_it_cannot_write(tmp_path: Path) -> None:
    """As root, permission bits do not stop writes; the child then runs as root without CAP_DAC_OVERRIDE
    (setpriv), which makes the kernel apply the folder's r-x bits to it like to any user."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    book = make_book(folder / "Book.xlsx")
    before = book.read_bytes()
    folder.chmod(0o555)
    try:
        if os.geteuid() != 0:
            message = refused(book)
        else:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root and setpriv (util-linux) is missing, so a read-only folder cannot be made")
            drop = "-dac_override,-dac_read_search"
            code = textwrap.dedent(f"""
                from billing_addin.core.patch import Column, OwnedSheet, Patch
                from billing_addin.workbook.writer import WriteRefused, apply_patch
                try:
                    apply_patch({str(book)!r}, Patch(sheets=(OwnedSheet("F", (Column("A"),), ((1,),)),)))
                except WriteRefused as error:
                    print(error)
            """)
            result = subprocess.run(
                [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", sys.executable, "-c", code],
                capture_output=True, text=True, cwd=REPO, timeout=60,
            )  # fmt: skip
            message = result.stdout.strip()
            assert book.read_bytes() == before
    finally:
        folder.chmod(0o755)
    assert message.startswith(f"The folder {folder} is not writable, so Book.xlsx cannot be saved there."), message


def test_backups_keep_the_last_n_copies(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    originals = []
    for _ in range(4):
        originals.append(book.read_bytes())
        report = apply_patch(book, SMALL, backups=2)
        assert report.backup is not None and report.backup.read_bytes() == originals[-1]
    backups = sorted((tmp_path / ".billing-backups").iterdir())
    assert [b.read_bytes() for b in backups] == originals[-2:]
    assert all(
        b.name.startswith("Book.") and b.suffix == ".xlsx" and len(b.name) == len("Book.20240101-120000-123456.xlsx")
        for b in backups
    )
    assert apply_patch(book, SMALL, backups=0).backup is None
    assert len(list((tmp_path / ".billing-backups").iterdir())) == 2


def test_keeps_file_mode_and_cleans_stale_temp_files(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    book.chmod(0o640)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".Book.xlsx.{dead.pid}-0123abcd.billing-tmp"
    stale.write_bytes(b"half a zip")
    mine = tmp_path / f".Book.xlsx.{os.getpid()}-89abcdef.billing-tmp"  # a live writer's temp is left alone
    mine.write_bytes(b"in progress")
    other = tmp_path / f".Other.xlsx.{dead.pid}-0123abcd.billing-tmp"  # another book's is not ours to judge
    other.write_bytes(b"x")
    apply_patch(book, SMALL)
    assert (book.stat().st_mode & 0o777) == 0o640
    assert leftovers(tmp_path) == sorted([mine.name, other.name])


def test_an_empty_patch_changes_nothing(tmp_path: Path) -> None:
    book = make_book(tmp_path / "Book.xlsx")
    before = book.read_bytes()
    report = apply_patch(book, Patch())
    assert report.backup is None and report.sheets_written == () and book.read_bytes() == before


# ---------------------------------------------------------------- kill -9 in the middle of a write

KILL_ROWS = 50000
_CHILD = textwrap.dedent("""
    import datetime as dt, sys
    from decimal import Decimal
    from billing_addin.core.patch import Column, Link, OwnedSheet, Patch
    from billing_addin.workbook.writer import apply_patch
    rows = tuple(
        (f"INV-{i:06d}", dt.date(2024, 1, 1) + dt.timedelta(days=i % 365), Decimal(i % 9999) / 100, "late", Link("go", "Sheet1!A1"))
        for i in range(int(sys.argv[2]))
    )
    sheet = OwnedSheet("Findings", tuple(Column(h) for h in ("Invoice", "Due", "Amount", "Note", "Go")), rows)
    print("start", flush=True)
    apply_patch(sys.argv[1], Patch(sheets=(sheet,)), backups=2)
    print("done", flush=True)
""")


def _contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def _findings_rows(path: Path) -> int | None:
    """Rows of the Findings sheet, header included, or None when the book has none; raises if it does not open."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    if "Findings" not in workbook.sheet_names:
        return None
    return len(workbook.get_sheet_by_name("Findings").to_python())


@pytest.mark.slow
def test_kill_9_at_any_moment_leaves_the_old_or_the_new_book(tmp_path: Path, corpus: Path) -> None:
    source = corpus / "chart_bar01.xlsx"
    if not source.exists():
        pytest.skip(f"corpus book {source} is not here")
    rows = str(KILL_ROWS)
    reference = tmp_path / "reference" / "Book.xlsx"
    reference.parent.mkdir()
    shutil.copy(source, reference)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(reference), rows], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline() == "start\n"
    started = time.perf_counter()
    assert child.stdout.readline() == "done\n"
    write_time = time.perf_counter() - started  # from the start of apply_patch to its return
    child.wait()
    child.stdout.close()
    old, new = _contents(source), _contents(reference)
    assert _findings_rows(reference) == KILL_ROWS + 1  # a write that is not killed holds every row

    book = tmp_path / "crash" / "Book.xlsx"
    book.parent.mkdir()
    rng = random.Random(20240501)
    outcomes = {"old": 0, "new": 0}
    deadline = time.perf_counter() + 45
    for _ in range(30):
        if time.perf_counter() > deadline:
            break
        shutil.copy(source, book)
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(book), rows], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout.readline() == "start\n"
        time.sleep(rng.uniform(0.0, write_time * 1.5))  # anywhere in the write, and a little after it
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        contents = _contents(book)
        found = _findings_rows(book)  # the book always opens ...
        if contents == old:
            outcomes["old"] += 1
        else:
            assert contents == new, "the book is neither the old one nor a completed new one"
            assert found == KILL_ROWS + 1  # ... and is either untouched or completely new
            outcomes["new"] += 1
        python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Sheet1").to_python()
    print(outcomes, f"write {write_time:.2f}s")
    # Kills that land before the replace leave the old book; on a busy machine every kill may land
    # before it, so only require that the kills really interrupted writes.
    assert sum(outcomes.values()) >= 10 and outcomes["old"] > 0, outcomes
    # A run after all those kills cleans the dead runs' temp files (whatever a kill left) and still works.
    left = [p.name for p in book.parent.iterdir() if p.is_file() and p.name != book.name]
    apply_patch(book, SMALL, backups=0)
    assert leftovers(book.parent) == []
    assert not [name for name in left if (book.parent / name).exists()], left
    apply_patch(book, SMALL, backups=1)  # and the backup step drops copies cut short by a kill
    assert [p.suffix for p in (book.parent / ".billing-backups").iterdir()] == [".xlsx"]
