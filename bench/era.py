"""Benchmark: an 835 of 10,000 claim payments imported and posted against a practice book of 100,000 claims (each
with its visit invoice), against `billing validate` on the same book in the same run.

    python bench/era.py [--json] [--claims N] [--paid N] [--runs R]

Each run copies the book fresh, then times, as their own processes: `billing validate BOOK`, `billing era import
BOOK FILE.835 --write` and `billing era post BOOK`. The faster run of each counts. Ratios printed: import / validate,
post / validate, and (import + post) / validate.

Target (issue 17): posting at most 1.5x validate. The book is cached in bench/.cache/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

from billing_addin.workbook.medical_demo import era_text, write_big_practice

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate import compile_package, print_result, run_billing  # noqa: E402

CACHE = Path(__file__).parent / ".cache"
AS_OF = dt.date(2026, 6, 30)


def practice_and_era(claims: int, paid: int) -> tuple[Path, Path]:
    CACHE.mkdir(exist_ok=True)
    book = CACHE / f"practice-v1-{claims}.xlsx"
    era = CACHE / f"practice-v1-{claims}-{paid}.835"
    if not book.exists() or not era.exists():
        tmp = book.with_suffix(".tmp.xlsx")
        payable = write_big_practice(tmp, AS_OF, claims=claims, patients=max(50, claims // 5))
        tmp.replace(book)
        era.write_text(era_text(payable[:paid], "BENCH-1", "Acme Health", "ACME1", AS_OF - dt.timedelta(days=1)))
    return book, era


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--paid", type=int, default=10_000, help="claim payments in the 835")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    book, era = practice_and_era(args.claims, args.paid)
    compile_package()
    times: dict[str, list[float]] = {"validate": [], "import": [], "post": []}
    peaks: dict[str, float] = {k: 0.0 for k in times}
    posted = matched = 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            work = Path(tmp) / "practice.xlsx"
            shutil.copy2(book, work)
            for name, cmd in (
                ("validate", ["validate", str(work), "--as-of", str(AS_OF), "--json"]),
                ("import", ["era", "import", str(work), str(era), "--as-of", str(AS_OF), "--write", "--json"]),
                ("post", ["era", "post", str(work), "--as-of", str(AS_OF), "--json"]),
            ):
                seconds, mb, proc = run_billing(*cmd)
                times[name].append(seconds)
                peaks[name] = max(peaks[name], mb)
                if name == "import":
                    matched = len(json.loads(proc.stdout)["claims"])
                if name == "post":
                    posted = len(json.loads(proc.stdout)["posted"])
    best = {k: min(v) for k, v in times.items()}
    result = {
        "claims_in_book": args.claims,
        "claims_in_835": args.paid,
        "matched": matched,
        "posted": posted,
        "file_mb": round(book.stat().st_size / 1e6, 1),
        "validate_s": round(best["validate"], 3),
        "era_import_s": round(best["import"], 3),
        "era_post_s": round(best["post"], 3),
        "import_ratio": round(best["import"] / best["validate"], 2),
        "post_ratio": round(best["post"] / best["validate"], 2),
        "import_plus_post_ratio": round((best["import"] + best["post"]) / best["validate"], 2),
        "runs": [f"{v:.2f}/{i:.2f}/{p:.2f}" for v, i, p in zip(times["validate"], times["import"], times["post"])],
        "peak_rss_mb": {k: round(v, 1) for k, v in peaks.items()},
        "target": "each of import and post <= 1.5x validate",
    }
    print_result(result, args.json)


if __name__ == "__main__":
    main()
