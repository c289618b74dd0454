"""Benchmark: `billing refresh --json` (balances, aging, fees, dunning) end to end on the 100k-invoice /
150k-payment book, against python-calamine's bare read of the same file in the same run.

    python bench/refresh.py [--json] [--invoices N]

Target: ratio <= 2.0. The baseline is a fresh process reading every sheet, run in turns with refresh and
the best of three on each side counting, as in bench/validate.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate import big_book, command_against_read, print_result  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="turns of (bare read, refresh); the best of each counts")
    args = ap.parse_args()
    path = big_book(args.invoices, int(args.invoices * 1.5), max(50, args.invoices // 20))
    figures, proc = command_against_read(path, "refresh", args.runs)
    data = json.loads(proc.stdout)
    result = {
        "invoices": args.invoices,
        **figures,
        "customers": len(data["customers"]),
        "letters_due": len(data["dunning"]["letters"]),
        "target": "ratio <= 2.0",
    }
    print_result(result, args.json)


if __name__ == "__main__":
    main()
