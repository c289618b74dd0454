"""Peak memory of the processes a benchmark starts.

`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` cannot be used: a child starts with its parent's
high-water mark (measured: a parent holding 500 MB makes `true` report 511 MB). So a thread samples
the live descendants five times a second, adds up each one's own high-water mark (VmHWM on Linux,
else its resident size) and keeps the largest such sum: processes that run one after the other are
not added together.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psutil


def _peak_of(proc: psutil.Process) -> int:
    status = Path(f"/proc/{proc.pid}/status")
    try:
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return proc.memory_info().rss
    except (OSError, psutil.Error, ValueError):
        return 0


class ChildPeak:
    """`with ChildPeak() as peak: ...` then `peak.mb`: the most memory the processes started meanwhile held at
    one time (their high-water marks are added, which overstates a little when they did not peak together)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, sum(_peak_of(child) for child in me.children(recursive=True)))

    @property
    def mb(self) -> float:
        return self.peak / 2**20

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
