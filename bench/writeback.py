"""Benchmark: writing the Findings and Audit sheets back into the 100k-invoice book with the safe writer,
against an openpyxl load + save of the same book, in the same run.

    python bench/writeback.py [--json] [--invoices N]

Target: write-back under 3 s whatever the size of the input sheets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate import AS_OF, big_book  # noqa: E402

from billing_addin import commands  # noqa: E402
from billing_addin.workbook.reader import read_book  # noqa: E402
from billing_addin.workbook.writer import FileStamp, apply_patch  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--skip-openpyxl", action="store_true", help="leave out the slow baseline")
    args = ap.parse_args()
    source = big_book(args.invoices, int(args.invoices * 1.5), max(50, args.invoices // 20))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        shutil.copy(source, path)
        stamp = FileStamp.of(path)
        result = commands.validate(read_book(path), AS_OF, now=dt.datetime(2026, 6, 30, 12, 0))
        t = time.perf_counter()
        report = apply_patch(path, result.patch, expected=stamp, backups=1)
        writeback_s = time.perf_counter() - t
        baseline_s = None
        if not args.skip_openpyxl:
            import openpyxl

            other = Path(tmp) / "openpyxl.xlsx"
            t = time.perf_counter()
            openpyxl.load_workbook(source).save(other)
            baseline_s = time.perf_counter() - t
    out = {
        "invoices": args.invoices,
        "file_mb": round(source.stat().st_size / 1e6, 1),
        "findings_rows": len(result.findings),
        "writeback_s": round(writeback_s, 3),
        "writer_reported_s": round(report.seconds, 3),
        "openpyxl_roundtrip_s": None if baseline_s is None else round(baseline_s, 3),
        "ratio": None if baseline_s is None else round(writeback_s / baseline_s, 4),
        "target": "writeback_s < 3",
    }
    print(json.dumps(out) if args.json else "\n".join(f"{k:>20}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
