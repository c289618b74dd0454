"""`billing letters` and `billing templates check`: the command-line shell of the letter batch."""

from __future__ import annotations

import argparse
from pathlib import Path

from billing_addin.documents.variables import KINDS


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


def register(sub, iso_date) -> None:
    """Add the `letters` and `templates` subcommands to the `billing` parser."""
    p = sub.add_parser("letters", help="make letters as Word and PDF files and log them on the Letters sheet")
    p.add_argument("book", type=Path)
    p.add_argument("--as-of", type=iso_date)
    p.add_argument("--kind", choices=KINDS, default="dunning", help="which letters (default: dunning)")
    p.add_argument("--customers", type=parse_ids, help="only these Customer IDs, e.g. C001,C007")
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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from billing_addin import commands
    from billing_addin.cli import app as cli
    from billing_addin.commands.letters import make_letters
    from billing_addin.workbook.xlsx.file_safety import check_book_path, check_not_open
    from billing_addin.workbook.xlsx.refusal import WriteRefused

    try:  # the log must be writable afterwards, or letters could go out twice: check before making any
        cli.check_readable(args.book)
        check_book_path(args.book)
        check_not_open(args.book)
    except WriteRefused as e:
        cli.err.print(f"billing: no letters made: {e}", markup=False)
        return cli.EXIT_NOT_WRITTEN
    book, stamp = cli.load(args.book)
    as_of = commands.resolve_as_of(book, args.as_of)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=cli.err.made(), transient=True, disable=args.json) as bar:
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
            start=args.start,
            user=cli.audit_user(book),
        )
    if args.json:
        cli._print_json({**result.data, "counts": result.counts, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_letters(result)
    if not result.patch.is_empty and not cli.write_patch(args.book, result, book, stamp):
        cli.err.print(
            f"billing: {result.counts['letters']} letter(s) were made in {result.data['folder']} but are not on the "
            "Letters sheet; close the workbook and run again with the same options (made files are not repeated "
            "in the log until it is written).",
            markup=False,
        )
        return cli.EXIT_NOT_WRITTEN
    if result.data.get("interrupted"):
        cli.err.print("billing: stopped; the letters finished before are kept and logged.", markup=False)
        return 130
    return cli.EXIT_ERRORS if result.errors else cli.EXIT_OK


def show_letters(result) -> None:
    from billing_addin.cli.app import out, show_findings
    from billing_addin.cli.tables import Col, show_table, text

    data = result.data
    if result.findings:
        show_findings(result.findings, "Letters", result.as_of)
    n, pdfs, drafts = result.counts.get("letters", 0), result.counts.get("pdf", 0), result.counts.get("drafts", 0)
    out.print(
        f"[bold]{n} {data['kind']} letter(s)[/bold] made as of {result.as_of}: {n} Word, {pdfs} PDF, {drafts} e-mail draft(s)"
    )
    if n:
        out.print(f"Folder: {data['folder']}", markup=False)
        rows = []
        for x in data["letters"][:20]:
            invoices = ", ".join(x["invoices"][:3]) + (f" +{len(x['invoices']) - 3}" if len(x["invoices"]) > 3 else "")
            rows.append((x["customer_id"], str(x["level"] or ""), invoices, Path(x["pdf"] or x["docx"]).name))
        show_table(out, (Col("Customer"), Col("Level"), text("Invoices"), Col("PDF")), rows)
        if n > 20:
            out.print(f"... and {n - 20} more")
    if data.get("print_file"):
        out.print(f"Print file: {data['print_file']}", markup=False)
    if data["skipped"]:
        out.print(f"{len(data['skipped'])} customer(s) get no letter:")
        for s in data["skipped"][:20]:
            out.print(f"  {s['customer_id']}: {s['reason']}", markup=False)


def cmd_templates_check(args: argparse.Namespace) -> int:
    from billing_addin.cli import app as cli
    from billing_addin.documents.templates import SHIPPED, check_templates

    path = args.path or SHIPPED
    if not path.exists():
        cli.err.print(f"billing: {path} does not exist", markup=False)
        return cli.EXIT_UNREADABLE
    findings = check_templates(path)
    if args.json:
        cli._print_json([f.as_dict() for f in findings])
    elif findings:
        for f in findings:
            cli.out.print(f"{f.sheet}: {f.message}\n    fix: {f.hint}", markup=False)
        cli.out.print(f"{len(findings)} problem(s); letters are refused until they are fixed.")
    else:
        count = 1 if path.suffix.lower() == ".docx" else len(list(path.glob("*.docx")))
        cli.out.print(f"{count} template(s) in {path}: no problems.", markup=False)
    return cli.EXIT_ERRORS if findings else cli.EXIT_OK
