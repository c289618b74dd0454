"""`billing letters`, `billing send` and `billing templates check`: the command-line shell of the letter batch."""

from __future__ import annotations

import argparse
from pathlib import Path

from billing_addin.cli import console
from billing_addin.cli.tables import Col, show_table, text
from billing_addin.cli.workbook_files import audit_user, load, read, write_patch
from billing_addin.core.claim_letters import CLAIM_KINDS
from billing_addin.documents.variables import KINDS
from billing_addin.workbook.reader import check_readable
from billing_addin.workbook.xlsx.file_safety import check_book_path, check_not_open
from billing_addin.workbook.xlsx.refusal import WriteRefused


def parse_rows(text: str) -> list[int]:
    """Excel row numbers as a clerk types them: "5-9,12" -> [5, 6, 7, 8, 9, 12]."""
    rows: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            a, b = int(first), int(last or first)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{part!r} is not a row number or a range like 5-9") from e
        if a < 1 or b < a:
            raise argparse.ArgumentTypeError(f"{part!r} is not a range of rows from low to high")
        rows.extend(range(a, b + 1))
    return rows


def parse_ids(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def register_send(sub) -> None:
    e = sub.add_parser("send", help="e-mail the letters marked made that have a draft, and mark them sent")
    e.add_argument("book", type=Path)
    e.add_argument("--dry-run", action="store_true", help="only list what would be sent; connect to nothing")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_send)


def register(sub) -> None:
    """Add the `letters` and `templates` subcommands to the `billing` parser."""
    iso_date = console.iso_date
    p = sub.add_parser("letters", help="make letters as Word and PDF files and log them on the Letters sheet")
    p.add_argument("book", type=Path)
    p.add_argument("--as-of", type=iso_date)
    p.add_argument("--kind", choices=KINDS, default="dunning", help="which letters (default: dunning)")
    p.add_argument("--customers", type=parse_ids, help="only these Customer IDs, e.g. C001,C007")
    p.add_argument(
        "--claims", type=parse_ids, help="appeal, preauth: these Claim IDs (default: every claim that needs one)"
    )
    p.add_argument("--rows", type=parse_rows, help="Excel rows: of Invoices for invoices, else of Customers; 5-9,12")
    p.add_argument("--from", dest="start", type=iso_date, help="a statement's first day (default: 3 months back)")
    p.add_argument("--out", type=Path, help="folder for the files (default: Output Folder in Settings)")
    p.add_argument("--no-pdf", action="store_true", help="Word files only")
    p.add_argument("--print-file", action="store_true", help="also one PDF with every letter in print order")
    p.add_argument("--email-drafts", action="store_true", help="also an .eml draft per letter, its PDF attached")
    p.add_argument("--again", action="store_true", help="make letters the Letters log already has")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_letters)

    t = sub.add_parser("templates", help="check letter templates for broken tags, unknown names, unsafe code")
    tsub = t.add_subparsers(dest="templates_command", required=True, metavar="ACTION")
    c = tsub.add_parser("check", help="list every problem in the templates (default: the ones letters use)")
    c.add_argument("path", type=Path, nargs="?", help="a folder of .docx templates or one template")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_templates_check)


def cmd_letters(args: argparse.Namespace) -> int:
    # The letter batch (docxtpl, pypdf) is imported when letters are made: 0.15 s every other command would pay.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from billing_addin.commands.letters import make_letters

    try:  # the log must be writable afterwards, or letters could go out twice: check before making any
        check_readable(args.book)
        check_book_path(args.book)
        check_not_open(args.book)
    except WriteRefused as e:
        console.err.print(f"billing: no letters made: {e}", markup=False)
        return console.EXIT_NOT_WRITTEN
    book, stamp = load(args.book, args.as_of, for_write=True)
    as_of = book.as_of
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console.err.made(), transient=True, disable=args.json) as bar:
        task = bar.add_task(f"{args.kind} letters", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = make_letters(
            book,
            args.book,
            as_of,
            kind=args.kind,
            customers=args.customers,
            rows=args.rows,
            out_dir=args.out,
            pdf=not args.no_pdf,
            print_file=args.print_file,
            email_drafts=args.email_drafts,
            again=args.again,
            progress=progress,
            claims=args.claims,
            start=args.start,
            user=audit_user(book),
        )
    if args.json:
        console.print_json({**result.data, "counts": result.counts, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_letters(result)
    if not result.patch.is_empty and not write_patch(args.book, result, book, stamp):
        console.err.print(
            f"billing: {result.counts['letters']} letter(s) were made in {result.data['folder']} but are not on the "
            "Letters sheet; close the workbook and run again with the same options (made files are not repeated "
            "in the log until it is written).",
            markup=False,
        )
        return console.EXIT_NOT_WRITTEN
    if result.data.get("interrupted"):
        console.err.print("billing: stopped; the letters finished before are kept and logged.", markup=False)
        return 130
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def show_letters(result) -> None:
    data = result.data
    if result.findings:
        console.show_findings(result.findings, "Letters", result.as_of)
    n, pdfs, drafts = result.counts.get("letters", 0), result.counts.get("pdf", 0), result.counts.get("drafts", 0)
    console.out.print(
        f"[bold]{n} {data['kind']} letter(s)[/bold] made as of {result.as_of}: {n} Word, {pdfs} PDF, {drafts} e-mail draft(s)"
    )
    if n:
        console.out.print(f"Folder: {data['folder']}", markup=False)
        rows = []
        for x in data["letters"][:20]:
            invoices = ", ".join(x["invoices"][:3]) + (f" +{len(x['invoices']) - 3}" if len(x["invoices"]) > 3 else "")
            name = Path(x["pdf"] or x["docx"]).name
            if data["kind"] == "plan":  # the reference tells a plan's letters apart: PLAN-PP-1-A, -R3, -M2
                rows.append((x["customer_id"], x["reference"], x["letter"], invoices, name))
            elif data["kind"] in CLAIM_KINDS:  # to the payer, one per claim: never the patient's name
                rows.append((x["customer_id"], x["invoices"][0], x["reference"], name))
            else:
                rows.append((x["customer_id"], str(x["level"] or ""), invoices, name))
        if data["kind"] == "plan":
            columns = (Col("Customer"), Col("Reference"), Col("Letter"), text("Invoices"), Col("PDF"))
        elif data["kind"] in CLAIM_KINDS:
            columns = (Col("Patient account"), Col("Claim"), Col("Reference"), Col("PDF"))
        else:
            columns = (Col("Customer"), Col("Level"), text("Invoices"), Col("PDF"))
        show_table(console.out, columns, rows)
        if n > 20:
            console.out.print(f"... and {n - 20} more")
    if data.get("print_file"):
        console.out.print(f"Print file: {data['print_file']}", markup=False)
    if data.get("made_before"):
        console.out.print(f"{data['made_before']} plan letter(s) made as of earlier dates are not made again.")
    if data["skipped"]:
        who = "letter(s) not made" if data["kind"] in ("plan", *CLAIM_KINDS) else "customer(s) get no letter"
        console.out.print(f"{len(data['skipped'])} {who}:")
        for s in data["skipped"][:20]:
            console.out.print(f"  {s['customer_id']}: {s['reason']}", markup=False)


def cmd_templates_check(args: argparse.Namespace) -> int:
    from billing_addin.documents.templates import SHIPPED, check_templates  # docxtpl: when asked for

    path = args.path or SHIPPED
    if not path.exists():
        console.err.print(f"billing: {path} does not exist", markup=False)
        return console.EXIT_UNREADABLE
    findings = check_templates(path)
    if args.json:
        console.print_json([f.as_dict() for f in findings])
    elif findings:
        for f in findings:
            console.out.print(f"{f.sheet}: {f.message}\n    fix: {f.hint}", markup=False)
        console.out.print(f"{len(findings)} problem(s); letters are refused until they are fixed.")
    else:
        count = 1 if path.suffix.lower() == ".docx" else len(list(path.glob("*.docx")))
        console.out.print(f"{count} template(s) in {path}: no problems.", markup=False)
    return console.EXIT_ERRORS if findings else console.EXIT_OK


def cmd_send(args: argparse.Namespace) -> int:
    from billing_addin.commands import send as sending  # the mail machinery: when asked for

    book, stamp = read(args.book, for_write=not args.dry_run)
    smtp, problems = sending.smtp_from_settings(book)
    for f in problems:
        console.err.print(f"billing: {f.sheet}!{f.cell or 'A1'}: {f.message}. {f.hint}", markup=False)
    if smtp is None:
        return console.EXIT_ERRORS
    password = None
    if not args.dry_run:
        try:
            password = sending.smtp_password(book, smtp)
            check_not_open(args.book)  # a book open in Excel could not be marked: send nothing, not twice later
        except sending.MissingPassword as e:
            console.err.print(f"billing: {e}", markup=False)
            return console.EXIT_ERRORS
        except WriteRefused as e:
            console.err.print(f"billing: nothing was sent: {e}", markup=False)
            return console.EXIT_NOT_WRITTEN
    result = sending.send_letters(book, args.book, smtp, password, dry_run=args.dry_run, user=audit_user(book))
    if args.json:
        console.print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_sending(result.data)
    if not result.patch.is_empty and not write_patch(args.book, result, book, stamp):
        console.err.print(
            "billing: these letters were e-mailed but are still marked made on the Letters sheet: "
            f"{', '.join(result.data['sent'])}. Mark them sent by hand before the next billing send.",
            markup=False,
        )
        return console.EXIT_NOT_WRITTEN
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def show_sending(data: dict) -> None:
    if data["dry_run"]:
        console.out.print(f"Would e-mail {len(data['to_send'])} letter(s):")
        for name in data["to_send"]:
            console.out.print(f"  {name}", markup=False)
    elif not data["to_send"] and not data["failed"]:
        console.out.print("Nothing to e-mail: no letter on the Letters sheet is marked made and has a draft.")
    else:
        console.out.print(f"E-mailed {len(data['sent'])} letter(s); {len(data['failed'])} failed.")
    if data["failed"]:
        show_table(
            console.out,
            (Col("Draft"), text("Why")),
            [(f["file"], f["error"]) for f in data["failed"]],
            title="Not sent",
        )
    if data["without_draft"]:
        console.out.print(
            f"{len(data['without_draft'])} letter(s) marked made have no e-mail draft: print and post them."
        )
