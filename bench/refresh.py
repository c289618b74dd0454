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
from validate import AS_OF, big_book, calamine_read, calamine_read_two_threads, paired_runs, print_result  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="turns of (bare read, refresh); the best of each counts")
    args = ap.parse_args()
    path = big_book(args.invoices, int(args.invoices * 1.5), max(50, args.invoices // 20))
    warm_s = min(calamine_read(path) for _ in range(2))
    runs = paired_runs(path, "refresh", str(path), "--as-of", str(AS_OF), "--json", runs=args.runs)
    data = json.loads(runs["proc"].stdout)
    result = {
        "invoices": args.invoices,
        "calamine_read_s": round(runs["read_s"], 3),
        "calamine_read_in_process_s": round(warm_s, 3),
        "calamine_read_two_threads_s": round(min(calamine_read_two_threads(path) for _ in range(2)), 3),
        "refresh_s": round(runs["command_s"], 3),
        "ratio": round(runs["command_s"] / runs["read_s"], 2),
        "runs": [f"{c:.2f}/{r:.2f}" for c, r in zip(runs["command_runs"], runs["read_runs"])],
        "peak_rss_mb": round(runs["peak_mb"], 1),
        "cpu_stolen_by_host_s": runs["stolen_s"],
        "customers": len(data["customers"]),
        "letters_due": len(data["dunning"]["letters"]),
        "target": "ratio <= 2.0",
    }
    print_result(result, args.json)


if __name__ == "__main__":
    main()
