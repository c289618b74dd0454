"""Letter files are written whole or not at all: to a temporary file beside the target, then renamed over it.
A reader (the clerk, `billing send`, a crash) sees the old file or the new one, never half of one.

The temporary file is created as any program creates a file (mode 0666 less the umask, and the folder's
default ACL where it has one), not as `tempfile.mkstemp` does (0600, the owner only): colleagues who share the
letters folder must be able to open the letters, and a user who wants them private sets umask 077.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty, hidden file in `path`'s folder, opened for writing; its mode follows the umask."""
    for _ in range(100):
        temp = path.parent / f".~{secrets.token_hex(6)}{path.suffix}"
        try:
            return os.open(temp, _FLAGS, 0o666), temp
        except FileExistsError:  # another writer's temporary file: take another name
            continue
    raise FileExistsError(f"no free temporary file name in {path.parent}")


def write_whole(path: Path, data: bytes, *, sync: bool = False) -> Path:
    """Write `data` to `path` atomically; `sync` also forces it to disk before the rename."""
    handle, temp = _create_beside(path)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
