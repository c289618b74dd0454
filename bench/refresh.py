"""Benchmark: `billing refresh --json` (balances, aging, fees, dunning) end to end on the 100k-invoice /
150k-payment book, against python-calamine's bare read of the same file in the same run.

    python bench/refresh.py [--json] [--invoices N]

Target: ratio <= 2.0. The baseline is a fresh process reading every sheet, as in bench/validate.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate import AS_OF, baselines, big_book, run_billing  # noqa: E402


def run_refresh(path: Path) -> tuple[float, float, dict]:
    seconds, peak, proc = run_billing("refresh", str(path), "--as-of", str(AS_OF), "--json")
    return seconds, peak, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--invoices", type=int, default=100_000)
    args = ap.parse_args()
    path = big_book(args.invoices, int(args.invoices * 1.5), max(50, args.invoices // 20))
    warm_s, read_s = baselines(path)
    refresh_s, peak_mb, data = run_refresh(path)
    result = {
        "invoices": args.invoices,
        "calamine_read_s": round(read_s, 3),
        "calamine_read_in_process_s": round(warm_s, 3),
        "refresh_s": round(refresh_s, 3),
        "ratio": round(refresh_s / read_s, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "customers": len(data["customers"]),
        "letters_due": len(data["dunning"]["letters"]),
        "target": "ratio <= 2.0",
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k:>16}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
