"""Benchmark: `billing validate` end to end on 100,000 invoices and 150,000 payments over 5,000
customers, against python-calamine's bare read of the same file in the same run.

    python bench/validate.py [--json] [--invoices N]

Both sides run as fresh processes (validate is a command; the baseline is `python -c` reading every sheet
with python-calamine), in turns, three times; the faster run of each side counts, and every pair is printed
(`runs`: validate/read seconds). The warm in-process read is printed too.

Target: ratio <= 2.0 and peak memory under 1.5 GB. The generated workbook is cached in bench/.cache/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import python_calamine as pc

from billing_addin.workbook.demo_book import write_plain_book
from billing_addin.workbook.parallel_read import SheetPool, sheet_sizes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import ChildPeak  # noqa: E402

CACHE = Path(__file__).parent / ".cache"
AS_OF = dt.date(2026, 6, 30)


def big_book(invoices: int = 100_000, payments: int = 150_000, customers: int = 5_000) -> Path:
    """The benchmark workbook, generated once and cached."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"big-v2-{invoices}-{payments}-{customers}.xlsx"  # v2: with the template's FeePolicies
    if not path.exists():
        tmp = path.with_suffix(".tmp.xlsx")
        write_plain_book(tmp, AS_OF, customers=customers, invoices=invoices, payments=payments)
        tmp.replace(path)
    return path


def calamine_read(path: Path) -> float:
    """Seconds for python-calamine to read every sheet's values into Python lists: the floor."""
    t = time.perf_counter()
    wb = pc.CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()
    return time.perf_counter() - t


def calamine_read_two_threads(path: Path) -> float:
    """The same bare read on two threads, biggest sheet first, as `read_book` reads: for comparison only
    (the target is against the plain read above)."""
    t = time.perf_counter()
    wb = pc.CalamineWorkbook.from_path(str(path))
    sizes = sheet_sizes(path)
    names = sorted(wb.sheet_names, key=lambda n: -sizes.get(n, 0))
    pool = SheetPool(path, wb, load_tables=False)
    pool.run([(n, lambda w, n=n: w.get_sheet_by_name(n).to_python()) for n in names])
    pool.close()
    return time.perf_counter() - t


BARE_READ = """
import sys, time
t = time.perf_counter()
import python_calamine as pc
wb = pc.CalamineWorkbook.from_path(sys.argv[1])
for name in wb.sheet_names:
    wb.get_sheet_by_name(name).to_python()
print(time.perf_counter() - t)
"""


def calamine_read_process(path: Path) -> float:
    """Seconds for a fresh Python process to start and read every sheet with python-calamine: the floor
    for a command that runs as its own process (a first read in a process is slower than a repeat)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE_READ, str(path)], check=True, capture_output=True)
    return time.perf_counter() - t


def paired_runs(path: Path, *args: str, runs: int = 3) -> dict:
    """`billing ARGS` and the fresh-process bare read, run in turns `runs` times so that a noisy spell on
    the machine hits both sides; the faster run of each side counts. Returns every timing, the peak
    memory of the command and its last output."""
    calamine_read(path)  # the page cache holds the file from here on
    compile_package()
    reads, commands, peak, proc = [], [], 0.0, None
    stolen = {"read": 0.0, "command": 0.0}
    for _ in range(runs):
        before = stolen_s()
        reads.append(calamine_read_process(path))
        middle = stolen_s()
        seconds, mb, proc = run_billing(*args)
        stolen["read"] += middle - before
        stolen["command"] += stolen_s() - middle
        commands.append(seconds)
        peak = max(peak, mb)
    return {
        "read_runs": reads,
        "command_runs": commands,
        "read_s": min(reads),
        "command_s": min(commands),
        "peak_mb": peak,
        "proc": proc,
        "stolen_s": {side: round(s, 2) for side, s in stolen.items()},
    }


def stolen_s() -> float:
    """CPU seconds the virtual machine's host has taken from this machine so far (all cores; the `steal`
    column of /proc/stat), to show how noisy a run was: 0 where it cannot be told."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def command_against_read(path: Path, command: str, runs: int) -> tuple[dict, subprocess.CompletedProcess]:
    """The figures both read benchmarks print for `billing COMMAND PATH --json` against the bare read (the
    command's time under the key "<command>_s"), and the command's last finished process."""
    warm_s = min(calamine_read(path) for _ in range(2))
    paired = paired_runs(path, command, str(path), "--as-of", str(AS_OF), "--json", runs=runs)
    figures = {
        "calamine_read_s": round(paired["read_s"], 3),
        "calamine_read_in_process_s": round(warm_s, 3),
        "calamine_read_two_threads_s": round(min(calamine_read_two_threads(path) for _ in range(2)), 3),
        f"{command}_s": round(paired["command_s"], 3),
        "ratio": round(paired["command_s"] / paired["read_s"], 2),
        "runs": [f"{c:.2f}/{r:.2f}" for c, r in zip(paired["command_runs"], paired["read_runs"])],
        "peak_rss_mb": round(paired["peak_mb"], 1),
        "cpu_stolen_by_host_s": paired["stolen_s"],
    }
    return figures, paired["proc"]


def compile_package() -> None:
    """Write the package's bytecode, as `pip install` does: a checkout run with PYTHONDONTWRITEBYTECODE
    (set on these machines) would otherwise compile every module from source on every run (70 ms)."""
    import billing_addin

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(billing_addin.__file__).parent)],
        check=True,
        capture_output=True,
    )


def run_billing(*args: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """Seconds, peak memory (MB) and the finished process of `billing ARGS` run as its own process."""
    with ChildPeak() as peak:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "billing_addin", *args], capture_output=True, text=True)
        seconds = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"billing {args[0]} failed: {proc.stderr}")
    return seconds, peak.mb, proc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="turns of (bare read, validate); the best of each counts")
    args = ap.parse_args()
    path = big_book(args.invoices, int(args.invoices * 1.5), max(50, args.invoices // 20))
    figures, proc = command_against_read(path, "validate", args.runs)
    result = {
        "invoices": args.invoices,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        **figures,
        "findings": len(json.loads(proc.stdout)),
        "target": "ratio <= 2.0, peak_rss_mb < 1500",
    }
    print_result(result, args.json)


def print_result(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>16}: {v}")


if __name__ == "__main__":
    main()
