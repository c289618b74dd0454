"""Benchmark: 1,000 dunning letters from a generated workbook, a DOCX and a PDF each, end to end
(read the book, plan, render, convert, split, log), against the naive way measured in the same run on the
first 50 letters: docxtpl's own render and save, then one soffice process per DOCX.

    python bench/letters.py [--json] [--n 1000]

Targets: >= 60 letters/s, ratio >= 20, peak memory under 1.5 GB (this process and its LibreOffice lanes
together: the two peaks are added, which overstates it a little).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import ChildPeak  # noqa: E402

from billing_addin.commands.letters import make_letters  # noqa: E402
from billing_addin.core.dunning import levels_from_book, plan_dunning  # noqa: E402
from billing_addin.core.ledger import build_ledger  # noqa: E402
from billing_addin.documents.context import LetterBuilder  # noqa: E402
from billing_addin.documents.pdf import find_soffice  # noqa: E402
from billing_addin.documents.render import sandboxed_env  # noqa: E402
from billing_addin.documents.templates import SHIPPED  # noqa: E402
from billing_addin.workbook.demo_book import generate  # noqa: E402
from billing_addin.workbook.reader import read_book  # noqa: E402
from billing_addin.workbook.template import build_template  # noqa: E402
from billing_addin.workbook.writer import apply_patch  # noqa: E402

AS_OF = dt.date(2026, 11, 27)
CACHE = Path(__file__).resolve().parent / ".cache"
BASELINE_LETTERS = 50


def letters_book(n: int) -> Path:
    """A workbook in which at least `n` customers are due a dunning letter (cached between runs)."""
    path = CACHE / f"letters-{n}.xlsx"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        data = generate(AS_OF, customers=int(n * 1.6), invoices=n * 6, payments=n * 3, seed=3, mistakes=False)
        build_template(path, data.rows, data.settings)
    return path


def naive(book_path: Path, customers: list[str], work: Path) -> float:
    """Letters per second the naive way: a fresh DocxTemplate render and save, then one soffice per file."""
    from docxtpl import DocxTemplate

    book = read_book(book_path)
    ledger = build_ledger(book, AS_OF)
    levels, _ = levels_from_book(book)
    decisions, _ = plan_dunning(book, AS_OF, ledger=ledger, levels=levels)
    wanted = set(customers)
    builder = LetterBuilder(book, ledger)
    letters = [builder.dunning(d, levels) for d in decisions if d.customer_id in wanted][:BASELINE_LETTERS]
    soffice = find_soffice()
    work.mkdir(parents=True, exist_ok=True)
    profile = (work / "profile").as_uri()
    started = time.perf_counter()
    for i, letter in enumerate(letters):
        tpl = DocxTemplate(str(SHIPPED / letter.template))
        tpl.render(letter.context, jinja_env=sandboxed_env())
        docx = work / f"naive{i}.docx"
        buffer = io.BytesIO()
        tpl.save(buffer)
        docx.write_bytes(buffer.getvalue())
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                str(docx),
            ],
            check=True,
            capture_output=True,
        )
    return len(letters) / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    if not find_soffice():
        raise SystemExit("LibreOffice is needed: sudo apt-get install libreoffice-writer-nogui")
    source = letters_book(args.n)
    work = Path(tempfile.mkdtemp(prefix="bench-letters-"))
    try:
        book_path = work / "book.xlsx"
        shutil.copy(source, book_path)
        # Which customers: the first n due a letter (planning them is not timed; the batch plans again).
        book = read_book(book_path)
        decisions, _ = plan_dunning(book, AS_OF, ledger=build_ledger(book, AS_OF))
        customers = [d.customer_id for d in decisions][: args.n]
        if len(customers) < args.n:
            raise SystemExit(f"the generated book has only {len(customers)} letters due")

        with ChildPeak() as children:
            started = time.perf_counter()
            book = read_book(book_path)
            result = make_letters(book, book_path, AS_OF, customers=customers, out_dir=work / "letters")
            apply_patch(book_path, result.patch, backups=0)
            seconds = time.perf_counter() - started
        made = result.counts["letters"]
        pdfs = result.counts["pdf"]
        self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_peak = children.mb

        baseline = naive(source, customers, work / "naive")  # the book as it was before the batch logged letters
        rate = made / seconds
        report = {
            "letters": made,
            "pdfs": pdfs,
            "seconds": round(seconds, 2),
            "letters_per_s": round(rate, 1),
            "baseline_letters_per_s": round(baseline, 2),
            "ratio": round(rate / baseline, 1),
            "peak_rss_mb": round(self_peak + child_peak, 1),  # this process and its LibreOffice lanes together
            "peak_rss_python_mb": round(self_peak, 1),
            "peak_rss_libreoffice_mb": round(child_peak, 1),
            "targets": ">= 60 letters/s, ratio >= 20, peak < 1536 MB",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report) if args.json else "\n".join(f"{k:>24}: {v}" for k, v in report.items()))


if __name__ == "__main__":
    main()
