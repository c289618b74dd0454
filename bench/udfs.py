"""Benchmark: scalar UDF calls once the workbook is cached, against plain Python calls in the same run.

    python bench/udfs.py [--json] [--calls N]

Each UDF is called as Excel would call it (dates as serial numbers, IDs as text, the workbook through its
BookSource) on the demo book. The first call of each loads the book and builds the ledger; it is timed apart.
The baseline is a plain Python function that does one dict lookup (the least any cached answer costs).
Target: <= 50 microseconds per scalar call once cached. Inside Excel each call also crosses COM (not measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing_addin.core.cell_values import date_to_serial  # noqa: E402
from billing_addin.excel import udfs  # noqa: E402
from billing_addin.excel.workbook_data import FileBookSource  # noqa: E402
from billing_addin.workbook.demo_book import build_demo_book  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
TARGET_US = 50.0


def per_call_us(f, args, kwargs, calls: int) -> float:
    best = float("inf")
    for _ in range(5):  # best of five: the machine is shared
        t = time.perf_counter()
        for _ in range(calls):
            f(*args, **kwargs)
        best = min(best, time.perf_counter() - t)
    return best / calls * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--calls", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-billing.xlsx"
        build_demo_book(path, AS_OF)
        book = FileBookSource(path)
        serial = float(date_to_serial(AS_OF))
        due = serial - 45
        cases = {
            "BILLING_BALANCE": (udfs.BILLING_BALANCE, ("C1003", serial)),
            "BILLING_OUTSTANDING": (udfs.BILLING_OUTSTANDING, ("INV-24120", serial)),
            "INVOICE_STATUS": (udfs.INVOICE_STATUS, ("INV-24120", serial)),
            "DAYS_PAST_DUE": (udfs.DAYS_PAST_DUE, (due, serial)),
            "AGING_BUCKET": (udfs.AGING_BUCKET, (due, serial)),
            "DUNNING_LEVEL": (udfs.DUNNING_LEVEL, ("C1003", serial)),
            "LATE_FEE": (udfs.LATE_FEE, (1250.0, due, serial, "Interest 8%")),
            "STATUTORY_INTEREST": (udfs.STATUTORY_INTEREST, (10000.0, "2025-01-31", "2025-04-01", "EU")),
            "STATUTORY_FIXED_SUM": (udfs.STATUTORY_FIXED_SUM, (5000.0, "UK")),
        }
        t = time.perf_counter()
        udfs.BILLING_BALANCE("C1003", serial, caller=book)  # loads the book and builds the ledger once
        first_call_ms = (time.perf_counter() - t) * 1000
        table = {"dict_lookup_baseline": None}
        answers = {}
        for name, (f, a) in cases.items():
            kw = {} if name == "STATUTORY_FIXED_SUM" else {"caller": book}
            answers[name] = f(*a, **kw)
            table[name] = per_call_us(f, a, kw, args.calls)
        lookup = {"C1003": 1.0}

        def baseline(customer_id, as_of=None, caller=None):
            return lookup.get(customer_id)

        table["dict_lookup_baseline"] = per_call_us(baseline, ("C1003", serial), {"caller": book}, args.calls * 5)
    base = table["dict_lookup_baseline"]
    rows = [
        {"udf": n, "us_per_call": round(v, 2), "ratio_to_baseline": round(v / base, 1), "answer": answers.get(n)}
        for n, v in table.items()
    ]
    worst = max(v for n, v in table.items() if n != "dict_lookup_baseline")
    out = {
        "book": "demo (40 customers, 300 invoices)",
        "first_call_ms": round(first_call_ms, 1),
        "calls_per_case": args.calls,
        "rows": rows,
        "worst_us_per_call": round(worst, 2),
        "target_us_per_call": TARGET_US,
        "met": worst <= TARGET_US,
    }
    if args.json:
        print(json.dumps(out, default=str))
        return
    print(f"First call (load the book, build the ledger): {out['first_call_ms']} ms")
    print(f"{'UDF':24} {'us/call':>9} {'x baseline':>11}  answer")
    for r in rows:
        print(f"{r['udf']:24} {r['us_per_call']:>9.2f} {r['ratio_to_baseline']:>11.1f}  {r['answer']}")
    print(
        f"Worst scalar call {out['worst_us_per_call']} us; target <= {TARGET_US} us: {'met' if out['met'] else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
