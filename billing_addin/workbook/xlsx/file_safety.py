"""Checks before a workbook is touched, and the temp-file / backup / atomic-replace steps around a write.

The book on disk is only ever replaced whole by os.replace of a finished, verified file from the same
folder, so Ctrl-C or a killed process leaves either the old book or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from .refusal import WriteRefused

EXTENSIONS = (".xlsx", ".xlsm")
BACKUP_FOLDER = ".billing-backups"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_TEMP_SUFFIX = ".billing-tmp"
_STALE_SECONDS = 3600


@dataclass(frozen=True)
class FileStamp:
    """What a workbook file was when it was read: size, modification time and content hash.

    Take it before reading the book (`FileStamp.of(path)`) and pass it to `apply_patch(expected=...)`:
    the write is refused if the file's content changed in between.
    """

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileStamp:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            before = os.fstat(handle.fileno())
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return cls(before.st_size, before.st_mtime_ns, digest.hexdigest())

    def same_content(self, other: FileStamp) -> bool:
        """Same bytes (a touched file with unchanged bytes still counts as the same)."""
        return self.size == other.size and self.sha256 == other.sha256


def lock_file_of(path: Path) -> Path:
    """Excel's owner file for an open book: ~$Book.xlsx beside Book.xlsx."""
    return path.with_name("~$" + path.name)


def check_not_open(path: Path) -> None:
    lock = lock_file_of(path)
    if lock.exists():
        raise WriteRefused(f"{path.name} is open in Excel (lock file {lock.name}). Close it in Excel and run again.")


def check_book_path(path: Path) -> None:
    """Refuse what is not an existing .xlsx/.xlsm in a writable folder, or is open in Excel."""
    if path.suffix.lower() not in EXTENSIONS:
        raise WriteRefused(
            f"{path.name} is not an .xlsx or .xlsm workbook; save it as an Excel Workbook (.xlsx) and run again."
        )
    if not path.is_file():
        raise WriteRefused(f"{path} does not exist (or is not a file); check the path and run again.")
    check_not_open(path)
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WriteRefused(
            f"The folder {folder} is not writable, so {path.name} cannot be saved there. "
            "Copy the workbook to a folder you can write to and run again."
        )


def check_file_kind(path: Path) -> None:
    """Refuse encrypted books, old .xls files and anything that is not a zip, in words a clerk knows."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if head == _OLE_MAGIC:
            # Encrypted .xlsx files are OLE containers holding an "EncryptedPackage" stream (names are UTF-16).
            handle.seek(0)
            body = handle.read(64 << 20)
            if "EncryptedPackage".encode("utf-16-le") in body or "EncryptionInfo".encode("utf-16-le") in body:
                raise WriteRefused(
                    f"{path.name} is password-protected (encrypted). Remove the password in Excel "
                    "(File > Info > Protect Workbook > Encrypt with Password) and run again."
                )
            if "Workbook".encode("utf-16-le") in body or "Book".encode("utf-16-le") in body:
                raise WriteRefused(
                    f"{path.name} is an old Excel 97-2003 file (.xls) with an .xlsx name. "
                    "Open it in Excel, save it as Excel Workbook (.xlsx) and run again."
                )
            raise WriteRefused(f"{path.name} is not an Excel workbook (it is an older Office file). Save it as .xlsx.")
        if head[:4] != _ZIP_MAGIC:
            raise WriteRefused(
                f"{path.name} is not a valid Excel workbook (damaged or another kind of file). "
                "Open it in Excel and save it as .xlsx, or restore a backup."
            )


def temp_path_for(path: Path) -> Path:
    """A temp file name in the book's own folder (os.replace is only atomic within one file system)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{_TEMP_SUFFIX}")


def remove_stale_temps(path: Path) -> None:
    """Delete temp files a killed earlier run left beside this book (its process is gone, or it is old)."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)-[0-9a-f]{{8}}{re.escape(_TEMP_SUFFIX)}$")
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return
    now = time.time()
    for candidate in candidates:
        match = pattern.match(candidate.name)
        if not match:
            continue
        try:
            old = now - candidate.stat().st_mtime > _STALE_SECONDS
            if old or not _process_alive(int(match.group(1))):
                candidate.unlink()
        except OSError:
            continue


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def open_temp(path: Path) -> tuple[Path, object]:
    temp = temp_path_for(path)
    try:
        handle = open(temp, "x+b")  # noqa: SIM115 - the caller closes it
    except OSError as error:
        raise WriteRefused(
            f"Cannot create a file in {path.parent} ({error.strerror}), so {path.name} cannot be saved there. "
            "Copy the workbook to a folder you can write to and run again."
        ) from error
    return temp, handle


def copy_file_mode(source: Path, target: Path) -> None:
    """The new book keeps the old one's permissions (and owner, where the OS lets us)."""
    info = source.stat()
    os.chmod(target, stat.S_IMODE(info.st_mode))
    if hasattr(os, "chown"):
        try:
            os.chown(target, info.st_uid, info.st_gid)
        except OSError:
            pass


def make_backup(path: Path, keep: int) -> Path | None:
    """Copy the book to .billing-backups/<stem>.<YYYYmmdd-HHMMSS-ffffff><ext>, keeping the newest `keep` copies."""
    if keep <= 0:
        return None
    folder = path.parent / BACKUP_FOLDER
    try:
        folder.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        backup = folder / f"{path.stem}.{stamp}{path.suffix}"
        partial = backup.with_name(f"{backup.name}.{os.getpid()}.partial")
        shutil.copy2(path, partial)
        os.replace(partial, backup)  # a backup under its final name is always whole
    except OSError as error:
        raise WriteRefused(
            f"Cannot make a backup of {path.name} in {folder} ({error.strerror}); nothing was changed. "
            "Free some disk space or check the folder's permissions and run again."
        ) from error
    pattern = re.compile(
        rf"^{re.escape(path.stem)}\.\d{{8}}-\d{{6}}-\d{{6}}{re.escape(path.suffix)}(?:\.(\d+)\.partial)?$"
    )
    backups = []
    for candidate in sorted(folder.iterdir()):
        match = pattern.match(candidate.name)
        if match and match.group(1) is None:
            backups.append(candidate)
        elif match and not _process_alive(int(match.group(1))):  # a copy cut short by a killed run
            try:
                candidate.unlink()
            except OSError:
                pass
    for old in backups[:-keep]:
        try:
            old.unlink()
        except OSError:
            pass
    return backup


def fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows has no directory handles to sync."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
