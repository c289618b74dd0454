"""Benchmark: `billing payments import BOOK bank.csv --json` with 10,000 bank lines against the 100k-invoice
book, against `billing validate BOOK --json` on the same book in the same run (in turns, the best of each).

    python bench/payments_import.py [--lines N] [--runs 3] [--json]

Target: ratio <= 1.5. The statement is generated from the book's own open invoices with realistic noise: most
lines name their invoice in one of the forms people type, some only carry the payer's name, some pay two or
three invoices at once, some are short by a bank fee, some are noise; the auto / suggested / unmatched split is
printed too.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate import AS_OF, big_book, compile_package, print_result, run_billing  # noqa: E402

from billing_addin.core.ledger import build_ledger  # noqa: E402
from billing_addin.workbook.reader import read_book  # noqa: E402


def bank_csv(book_path: Path, n: int, seed: int = 5) -> Path:
    """A bank statement CSV of `n` credit lines paying the book's open invoices (cached beside the book)."""
    out = book_path.with_name(f"bank-{n}-{seed}.csv")
    if out.exists():
        return out
    rnd = random.Random(seed)
    book = read_book(book_path)
    names = dict(zip(book.sheet("Customers").columns["Customer ID"], book.sheet("Customers").columns["Name"]))
    ledger = build_ledger(book, AS_OF)
    open_invoices = [i for i in ledger.invoices.values() if i.outstanding > 0 and i.invoice_date <= AS_OF]
    by_customer: dict[str, list] = {}
    for inv in open_invoices:
        by_customer.setdefault(inv.customer_id, []).append(inv)
    rnd.shuffle(open_invoices)
    rows = []
    for k in range(n):
        inv = open_invoices[k % len(open_invoices)]
        kind = rnd.random()
        payer = names.get(inv.customer_id, "")
        number = inv.invoice_no.split("-")[-1]
        cents = inv.outstanding
        if kind < 0.55:
            reference = rnd.choice([inv.invoice_no, f"INV {number}", f"inv#{number}", f"Payment {number} thank you"])
        elif kind < 0.70:
            reference = "Monthly payment"  # the payer's name only
        elif kind < 0.80:
            more = by_customer[inv.customer_id][:3]
            cents = sum(i.outstanding for i in more)
            reference = " ".join(i.invoice_no for i in more)
        elif kind < 0.88:
            cents = max(1, cents - rnd.choice([150, 500, 1000]))  # a bank fee withheld
            reference = inv.invoice_no
        elif kind < 0.94:
            reference = inv.invoice_no.replace("0", "O", 1)  # a typo
            payer = payer.split()[0] if payer else ""  # an abbreviated name
        else:
            reference, payer, cents = "TRANSFER", "UNKNOWN SENDER", rnd.randint(1000, 500000)
        day = AS_OF - dt.timedelta(days=rnd.randint(0, 20))
        rows.append([day.isoformat(), f"{cents / 100:.2f}", "USD", reference, payer, f"TX{seed}{k:07d}"])
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Date", "Amount", "Currency", "Reference", "Counterparty", "Transaction ID"])
        w.writerows(rows)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    book = big_book()
    statement = bank_csv(book, args.lines)
    compile_package()
    validate_runs, import_runs, proc = [], [], None
    for _ in range(args.runs):  # in turns, so a noisy spell hits both sides
        validate_runs.append(run_billing("validate", str(book), "--as-of", str(AS_OF), "--json")[0])
        seconds, _mb, proc = run_billing(
            "payments", "import", str(book), str(statement), "--as-of", str(AS_OF), "--json"
        )
        import_runs.append(seconds)
    data = json.loads(proc.stdout)
    split = {m: sum(1 for x in data["lines"] if x["match"] == m) for m in ("auto", "suggested", "unmatched", "skipped")}
    result = {
        "lines": len(data["lines"]),
        "validate_s": round(min(validate_runs), 3),
        "import_s": round(min(import_runs), 3),
        "ratio": round(min(import_runs) / min(validate_runs), 2),
        "runs": [f"{i:.2f}/{v:.2f}" for i, v in zip(import_runs, validate_runs)],
        **{f"{m}_share": f"{100 * c / max(1, len(data['lines'])):.1f}%" for m, c in split.items()},
        "target": "ratio <= 1.5",
    }
    print_result(result, args.json)


if __name__ == "__main__":
    main()
