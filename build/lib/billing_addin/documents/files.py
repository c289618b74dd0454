"""Letter files are written whole or not at all: to a temporary file beside the target, then renamed over it.
A reader (the clerk, `billing send`, a crash) sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_whole(path: Path, data: bytes, *, sync: bool = False) -> Path:
    """Write `data` to `path` atomically; `sync` also forces it to disk before the rename."""
    handle, temp = tempfile.mkstemp(prefix=".~", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
