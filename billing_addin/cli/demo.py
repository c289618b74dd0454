"""`billing demo`: build a demo workbook and run the main job on it, printing where the results are."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

from billing_addin import commands
from billing_addin.cli import console
from billing_addin.cli.figures import show_portfolio
from billing_addin.cli.workbook_files import load, write_patch


def register(sub) -> None:
    d = sub.add_parser("demo", help="build a demo workbook, validate it and show what the add-in does")
    d.add_argument("--out", type=Path, default=Path("demo-output"), help="folder for the demo files")
    d.add_argument("--as-of", type=console.iso_date, help="the demo's as-of date (default: today)")
    d.add_argument(
        "--medical", action="store_true", help="a medical practice: claims, an 835 remittance, denials and appeals"
    )
    d.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    # The demo book's writer (xlsxwriter, openpyxl) is imported when the demo runs: 0.15 s other commands would pay.
    from billing_addin.workbook.demo_book import build_demo_book

    as_of = args.as_of or dt.date.today()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.medical:
        return medical_demo(args.out, as_of)
    path = args.out / "demo-billing.xlsx"
    if path.exists():
        path.unlink()  # the demo's own file, rebuilt each run
    data = build_demo_book(path, as_of, plans=True)
    console.out.print(f"[bold]1. Built a demo workbook[/bold]: {path.resolve()}")
    console.out.print(
        f"   {len(data.rows['Customers'])} customers, {len(data.rows['Invoices'])} invoices, "
        f"{len(data.rows['Payments'])} payments; planted mistakes:"
    )
    for m in data.mistakes:
        console.out.print(f"   - {m}", markup=False)
    console.out.print("[bold]2. Validated it[/bold] (billing validate --write):")
    _demo_validate(path, as_of)
    console.out.print(
        "[bold]3. Posted late fees[/bold] (billing fees --post), holding back customers whose rows have errors:"
    )
    book, stamp = load(path, as_of, for_write=True)
    result = commands.fees(book, as_of, post=True)
    if result.data.get("posted") and write_patch(path, result, book, stamp):
        console.out.print(f"   {result.details}", markup=False)
        console.show_held_back(result.data.get("held_back", []), indent="   ")
    else:
        console.out.print(f"   Refused: {result.errors[-1].message}", markup=False)
    checked = path.with_name("demo-billing-checked.xlsx")
    shutil.copy2(path, checked)
    build_demo_book(path.with_suffix(".tmp"), as_of, mistakes=False, plans=True)
    path.with_suffix(".tmp").replace(path)
    console.out.print(
        "[bold]4. Fixed the planted mistakes[/bold] (the demo rebuilds its rows without them; the book with the "
        f"Findings sheet that points at them is kept as {checked.name}) and validated again:"
    )
    _demo_validate(path, as_of)
    console.out.print("   Posted late fees (billing fees --post, policy Standard: 1.5% a month after 10 days):")
    book, stamp = load(path, as_of, for_write=True)
    result = commands.fees(book, as_of, post=True)
    if result.patch.appends and write_patch(path, result, book, stamp):
        total = sum(f["to_post"] for f in result.data["fees"])
        console.out.print(
            f"   {result.counts.get('posted', 0)} Late Fee rows, {total:,.2f} in all, added to Adjustments"
        )
    console.out.print("[bold]5. Refreshed balances, aging, dunning and the dashboard[/bold] (billing refresh --write):")
    book, stamp = load(path, as_of, for_write=True)
    result = commands.refresh(book, as_of)
    show_portfolio(result.data)
    write_patch(path, result, book, stamp)
    console.out.print(
        "   Payment plans and promises to pay (billing plans): reminders and fees wait while they are kept:"
    )
    for plan in result.data["plans"]:
        console.out.print(f"   - {plan['reason']}", markup=False)
    console.out.print(
        "[bold]6. Made letters[/bold] (billing letters), each a Word file and a PDF, logged on the Letters sheet:"
    )
    folder = demo_letters(path, as_of)
    console.out.print(f"   Letters are in {folder}", markup=False)
    console.out.print(
        f"\nOpen {path.resolve()} in Excel or LibreOffice: Dashboard first, then Aging, Balances, Dunning, "
        "PlanSchedule, Letters. "
        f"In {checked.name} the Findings sheet links to each planted mistake."
    )
    return console.EXIT_OK


def _demo_validate(path: Path, as_of: dt.date) -> None:
    """`billing validate --write` as the demo runs it: findings shown, and the Findings sheet written."""
    book, stamp = load(path, as_of, for_write=True)
    result = commands.validate(book, as_of)
    console.show_findings(result.findings, path.name, as_of)
    write_patch(path, result, book, stamp)


def demo_letters(path: Path, as_of: dt.date) -> Path:
    """The demo's letters: invoices for the three newest invoice rows, a statement, then every dunning letter."""
    from billing_addin.commands.letters import make_letters  # docxtpl and pypdf: only when the demo gets here

    book, _ = load(path, as_of)
    newest = sorted(book.book.sheet("Invoices").rows)[-3:]
    customer = book.book.sheet("Customers").columns["Customer ID"][0]
    runs = (
        ("invoice", {"rows": newest}, "invoices for the 3 newest invoice rows"),
        ("statement", {"customers": [customer]}, f"a statement of account for {customer}"),
        ("dunning", {}, "dunning letters, one per customer due one"),
        ("plan", {}, "payment-plan letters: agreements to sign, installment reminders, missed installments"),
    )
    folder = path.parent
    for kind, selection, what in runs:
        book, stamp = load(path, as_of, for_write=True)
        result = make_letters(book, path, as_of, kind=kind, print_file=kind == "dunning", **selection)
        folder = Path(result.data["folder"] or folder)
        made, pdfs = result.counts.get("letters", 0), result.counts.get("pdf", 0)
        console.out.print(f"   {what}: {made} Word file(s), {pdfs} PDF(s)", markup=False)
        for f in result.findings:
            console.out.print(f"   {f.severity}: {f.message} {f.hint}", markup=False)
        if not result.patch.is_empty:
            write_patch(path, result, book, stamp)
    return folder.resolve()


def medical_demo(out: Path, as_of: dt.date) -> int:
    """`billing demo --medical`: a practice's workbook, its insurer's 835 imported and posted, the claims worklist,
    appeal letters for the denials, and statements that bill patients only what their insurer left to them."""
    from billing_addin.bank.x12_835 import read_835
    from billing_addin.workbook.medical_demo import build_practice

    path, era_file = out / "demo-practice.xlsx", out / "demo-remittance.835"
    for old in (path, era_file):
        if old.exists():
            old.unlink()  # the demo's own files, rebuilt each run
    data = build_practice(path, as_of)
    era_file.write_text(data.era, encoding="ascii")
    console.out.print(f"[bold]1. Built a practice workbook[/bold]: {path.resolve()}")
    console.out.print(
        f"   {len(data.rows['Customers'])} patients, {len(data.rows['Claims'])} claims in every state, "
        f"{len(data.rows['Payers'])} payers; and the insurer's remittance {era_file.resolve()}",
        markup=False,
    )
    console.out.print("[bold]2. Validated it[/bold] (billing validate --write):")
    _demo_validate(path, as_of)
    console.out.print("[bold]3. Imported the remittance[/bold] (billing era import --write): each claim matched")
    loaded, stamp = load(path, as_of, for_write=True)
    result = commands.import_era(loaded, read_835(era_file))
    for c in result.data["claims"]:
        console.out.print(
            f"   {c['claim_id']} ({c['matched_by']}): {c['status']}, paid {c['paid']}, patient owes "
            f"{c['patient_responsibility']}" + (f", codes {'; '.join(c['denial_codes'])}" if c["denial_codes"] else ""),
            markup=False,
        )
    write_patch(path, result, loaded, stamp)
    console.out.print("[bold]4. Posted it[/bold] (billing era post): payments, write-offs, claim status")
    loaded, stamp = load(path, as_of, for_write=True)
    result = commands.post_era(loaded)
    console.out.print(f"   {result.details}", markup=False)
    write_patch(path, result, loaded, stamp)
    console.out.print("[bold]5. The claims worklist[/bold] (billing claims --write): deadlines and what to do")
    from billing_addin.commands.claims import claims
    from billing_addin.commands.letters import make_letters

    loaded, stamp = load(path, as_of, for_write=True)
    result = claims(loaded)
    for c in result.data["claims"]:
        if c["action"] != "nothing due":
            console.out.print(f"   {c['claim_id']} ({c['status']}): {c['action']}", markup=False)
    write_patch(path, result, loaded, stamp)
    console.out.print(
        "[bold]6. Made letters[/bold] (billing letters): appeals for the denials, preauthorization requests, and "
        "statements that ask patients only for what their insurer left to them:"
    )
    folder = out
    for kind, what in (
        ("appeal", "appeal letters (requests for redetermination) to the payers"),
        ("preauth", "preauthorization requests"),
        ("statement", "patient statements"),
    ):
        loaded, stamp = load(path, as_of, for_write=True)
        result = make_letters(loaded, path, as_of, kind=kind)
        folder = Path(result.data.get("folder") or folder)
        console.out.print(
            f"   {what}: {result.counts.get('letters', 0)} Word file(s), {result.counts.get('pdf', 0)} PDF(s)"
        )
        for s in result.data.get("skipped", []):
            if "insurance" in s["reason"]:
                console.out.print(f"   - no statement for {s['customer_id']}: {s['reason']}", markup=False)
        if not result.patch.is_empty:
            write_patch(path, result, loaded, stamp)
    console.out.print(f"   Letters are in {folder.resolve()}", markup=False)
    console.out.print(
        f"\nOpen {path.resolve()}: Claims (status after posting), Remittance (every claim and line), ClaimsWorklist, "
        "Payments and Adjustments (what was posted), Letters (every letter made)."
    )
    return console.EXIT_OK
