"""The `billing` command line: a thin shell over the commands. Collect inputs, call, show, apply.

Exit status: 0 fine, 1 the workbook has error findings, 2 the file cannot be read at all (or a bad
argument), 3 the workbook could not be written safely (nothing was changed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import getpass
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from billing_addin import commands
from billing_addin.cli import addin as addin_cli
from billing_addin.cli.interest import add_interest_parser
from billing_addin.cli.letters import register as add_letters_parsers
from billing_addin.cli.parallel_refresh import parts_for
from billing_addin.cli.tables import Col, money, show_table, text
from billing_addin.core.column_report import column_report
from billing_addin.core.findings import ERROR, Finding
from billing_addin.core.held_back import cause as held_back_cause
from billing_addin.workbook.reader import UnreadableWorkbook, check_readable, read_book

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE, EXIT_NOT_WRITTEN = 0, 1, 2, 3


class _Console:
    """A rich Console, made when first used: importing rich takes 40 ms that a run printing JSON never needs."""

    def __init__(self, **options: object) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_made", None)

    def made(self):
        """The Console itself."""
        if self._made is None:
            from rich.console import Console

            object.__setattr__(self, "_made", Console(**self._options))
        return self._made

    def __getattr__(self, name: str):
        return getattr(self.made(), name)

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self.made(), name, value)


out = _Console(highlight=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from e


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="billing", description="Billing workbook add-in: validate, compute, write letters."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check a billing workbook and point at every wrong cell")
    v.add_argument("book", type=Path, help="the workbook (.xlsx or .xlsm)")
    v.add_argument("--as-of", type=iso_date, help="date to check against (default: Settings, else today)")
    v.add_argument("--json", action="store_true", help="print only a JSON array of findings")
    v.add_argument("--write", action="store_true", help="also write the Findings and Audit sheets into the book")
    v.set_defaults(func=cmd_validate)

    c = sub.add_parser("columns", help="how each sheet's columns were understood: header cell -> field, ignored")
    c.add_argument("book", type=Path, help="the workbook (.xlsx or .xlsm)")
    c.add_argument("--json", action="store_true", help="print the report as one JSON object")
    c.set_defaults(func=cmd_columns)

    n = sub.add_parser("new", help="write an empty billing workbook from the template")
    n.add_argument("path", type=Path)
    n.set_defaults(func=cmd_new)

    d = sub.add_parser("demo", help="build a demo workbook, validate it and show what the add-in does")
    d.add_argument("--out", type=Path, default=Path("demo-output"), help="folder for the demo files")
    d.add_argument("--as-of", type=iso_date, help="the demo's as-of date (default: today)")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("refresh", help="balances, aging, fees and dunning preview; --write puts them in the book")
    r.add_argument("book", type=Path)
    r.add_argument("--as-of", type=iso_date)
    r.add_argument("--write", action="store_true", help="write the Balances, Aging, Dunning and Dashboard sheets")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_refresh)

    f = sub.add_parser("fees", help="late fees and interest accrued per invoice; --post adds them to Adjustments")
    f.add_argument("book", type=Path)
    f.add_argument("--as-of", type=iso_date)
    f.add_argument("--post", action="store_true", help="append what is not yet charged as Late Fee adjustments")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_fees)

    g = sub.add_parser("dunning", help="who would get which reminder letter and why, and who is skipped")
    g.add_argument("book", type=Path)
    g.add_argument("--as-of", type=iso_date)
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_dunning)

    t = sub.add_parser("statement", help="statement of account for one customer and period")
    t.add_argument("book", type=Path)
    t.add_argument("customer_id")
    t.add_argument("--from", dest="start", type=iso_date, required=True)
    t.add_argument("--to", dest="end", type=iso_date, required=True)
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_statement)

    e = sub.add_parser("send", help="e-mail the letters marked made that have a draft, and mark them sent")
    e.add_argument("book", type=Path)
    e.add_argument("--dry-run", action="store_true", help="only list what would be sent; connect to nothing")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_send)

    s = sub.add_parser("schema", help="print the workbook reference (sheets, columns, aliases) as Markdown")
    s.set_defaults(func=cmd_schema)
    add_interest_parser(sub)
    addin_cli.register(sub)
    add_letters_parsers(sub, iso_date)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UnreadableWorkbook as e:
        err.print(f"billing: {e}", markup=False)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        err.print("billing: stopped; nothing was half-written.", markup=False)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERRORS


# What the `billing` program exits with rather than frees (see `run`); None when main() is called from Python.
_kept_until_exit: list | None = None


def keep_until_exit(*objects: object) -> None:
    """Hold a command's big objects (the book, a result with its ledger) until the program exits, so that
    they are not freed one by one when the command returns."""
    if _kept_until_exit is not None:
        _kept_until_exit.extend(objects)


def run() -> None:
    """The `billing` program: `main`, then exit at once. A big book leaves millions of objects behind, and
    freeing them one by one, when the command returns and at interpreter exit, takes a few tenths of a
    second that help no one."""
    global _kept_until_exit
    _kept_until_exit = []
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a reader that went away (`| head`): nothing more to say to it
            pass
    os._exit(code)


def load(path: Path, for_write: bool = True):
    """Read a book, and (when it will be written) the stamp of the file as read, so that the write
    can tell if someone changed the file in between."""
    stamp = None
    if for_write:
        from billing_addin.workbook.writer import FileStamp

        check_readable(path)
        stamp = FileStamp.of(path)
    book = read_book(path)
    keep_until_exit(book)
    # The book's millions of small objects live as long as the command: keep the cyclic garbage
    # collector from walking them again and again while the ledger makes its own (measured: ~2 s on 100k rows).
    gc.freeze()
    return book, stamp


def write_patch(path: Path, result: commands.Result, book, stamp) -> bool:
    """Apply a command's patch to the file; on refusal say why on stderr and return False."""
    from billing_addin.workbook.writer import WriteRefused, apply_patch

    try:
        report = apply_patch(path, result.patch, expected=stamp, backups=int(book.settings.get("Backups To Keep", 5)))
    except WriteRefused as e:
        err.print(f"billing: not written: {e}", markup=False)
        return False
    appended = (
        f" and {report.rows_appended} row(s) on {', '.join(a.sheet for a in result.patch.appends)}"
        if report.rows_appended
        else ""
    )
    err.print(
        f"Wrote {', '.join(report.sheets_written)}{appended} into {path.name}"
        + (f" (backup: {report.backup})" if report.backup else ""),
        markup=False,
    )
    return True


def audit_user(book) -> str | None:
    return getpass.getuser() if book.settings.get("Record User Name") == "Yes" else None


def cmd_validate(args: argparse.Namespace) -> int:
    book, stamp = load(args.book, for_write=args.write)
    as_of = commands.resolve_as_of(book, args.as_of)
    result = commands.validate(book, as_of, user=audit_user(book))
    if args.json:
        print(json.dumps([f.as_dict() for f in result.findings], ensure_ascii=False, indent=1))
    else:
        show_columns(column_report(book))
        show_findings(result.findings, args.book.name, as_of)
    if args.write and not write_patch(args.book, result, book, stamp):
        return EXIT_NOT_WRITTEN
    return EXIT_ERRORS if result.errors else EXIT_OK


def cmd_columns(args: argparse.Namespace) -> int:
    """How the columns were understood; exit 1 when a sheet or a required column is missing (as validate)."""
    book, _ = load(args.book, for_write=False)
    report = column_report(book)
    if args.json:
        _print_json({"book": args.book.name, "sheets": report})
    else:
        show_columns(report)
    missing = any(
        (not s["found"] and s["required"]) or any(m["required"] for m in s.get("missing", [])) for s in report
    )
    return EXIT_ERRORS if missing else EXIT_OK


def show_columns(report: list[dict]) -> None:
    """Per sheet, one line per column: header cell, header, the field it is read as (or why it is not)."""
    from rich.markup import escape as _plain  # headers are the user's text, never markup

    for s in report:
        if not s["found"]:
            out.print(f"[bold]{s['sheet']}[/bold]: no such sheet")
            continue
        where = f"table {s['table']}, " if s["table"] else ""
        out.print(
            f"[bold]{_plain(s['title'])}[/bold] ({where}header row {s['header_row']}, {s['rows']} row(s)): "
            f"{len(s['columns'])} column(s) read, {len(s['ignored'])} ignored"
        )
        as_named = [c for c in s["columns"] if c["header"] == c["field"]]
        if as_named:  # the usual case, one line: the columns whose header is the field's own name
            out.print("  as named: " + ", ".join(f"{c['cell']} {_plain(c['header'])}" for c in as_named))
        for c in s["columns"]:
            if c["header"] != c["field"]:
                out.print(f"  {c['cell']:>6}  {_plain(c['header'])} -> {c['field']}", soft_wrap=True)
        for c in s["ignored"]:
            note = f" ({_plain(c['note'])})" if c["note"] else ""
            out.print(f"  {c['cell']:>6}  {_plain(c['header'])} -> ignored{note}", soft_wrap=True)
        absent = [m["field"] + (" (required)" if m["required"] else "") for m in s["missing"]]
        if absent:
            out.print(f"          no column for: {', '.join(absent)}", soft_wrap=True)


def show_findings(findings: list[Finding], name: str, as_of: dt.date) -> None:
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    out.print(
        f"[bold]{name}[/bold] checked as of {as_of}: "
        f"[red]{errors} error(s)[/red], [yellow]{warnings} warning(s)[/yellow]"
    )
    by_sheet: dict[str, list[Finding]] = {}
    for f in findings:
        by_sheet.setdefault(f.sheet or "(workbook)", []).append(f)
    for sheet, items in by_sheet.items():
        show_table(
            out,
            (Col("Cell"), Col(""), text("Problem"), text("Fix")),
            [(f.cell or "-", _severity(f.severity), f.message, f.hint) for f in items],
            title=f"{sheet} ({len(items)})",
        )
    if not findings:
        out.print("[green]No problems found.[/green]")


def _severity(severity: str):
    from rich.text import Text

    return Text(severity, style="red" if severity == ERROR else "yellow")


def cmd_new(args: argparse.Namespace) -> int:
    from billing_addin.workbook.template import build_template

    if args.path.exists():
        err.print(f"billing: {args.path} already exists; choose another name (nothing was changed).", markup=False)
        return EXIT_UNREADABLE
    if args.path.suffix.lower() not in (".xlsx", ".xlsm"):
        err.print("billing: the new workbook's name must end in .xlsx", markup=False)
        return EXIT_UNREADABLE
    build_template(args.path)
    out.print(f"Wrote a new billing workbook: {args.path}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from billing_addin.workbook.demo_book import build_demo_book

    as_of = args.as_of or dt.date.today()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "demo-billing.xlsx"
    if path.exists():
        path.unlink()  # the demo's own file, rebuilt each run
    data = build_demo_book(path, as_of)
    out.print(f"[bold]1. Built a demo workbook[/bold]: {path.resolve()}")
    out.print(
        f"   {len(data.rows['Customers'])} customers, {len(data.rows['Invoices'])} invoices, "
        f"{len(data.rows['Payments'])} payments; planted mistakes:"
    )
    for m in data.mistakes:
        out.print(f"   - {m}", markup=False)
    out.print("[bold]2. Validated it[/bold] (billing validate --write):")
    _demo_validate(path, as_of)
    out.print("[bold]3. Posted late fees[/bold] (billing fees --post), holding back customers whose rows have errors:")
    book, stamp = load(path)
    result = commands.fees(book, as_of, post=True)
    if result.data.get("posted") and write_patch(path, result, book, stamp):
        out.print(f"   {result.details}", markup=False)
        show_held_back(result.data.get("held_back", []), indent="   ")
    else:
        out.print(f"   Refused: {result.errors[-1].message}", markup=False)
    checked = path.with_name("demo-billing-checked.xlsx")
    shutil.copy2(path, checked)
    build_demo_book(path.with_suffix(".tmp"), as_of, mistakes=False)
    path.with_suffix(".tmp").replace(path)
    out.print(
        "[bold]4. Fixed the planted mistakes[/bold] (the demo rebuilds its rows without them; the book with the "
        f"Findings sheet that points at them is kept as {checked.name}) and validated again:"
    )
    _demo_validate(path, as_of)
    out.print("   Posted late fees (billing fees --post, policy Standard: 1.5% a month after 10 days):")
    book, stamp = load(path)
    result = commands.fees(book, as_of, post=True)
    if result.patch.appends and write_patch(path, result, book, stamp):
        total = sum(int(f["to_post"].replace(".", "")) for f in result.data["fees"])
        out.print(f"   {result.counts.get('posted', 0)} Late Fee rows, {total / 100:,.2f} in all, added to Adjustments")
    out.print("[bold]5. Refreshed balances, aging, dunning and the dashboard[/bold] (billing refresh --write):")
    book, stamp = load(path)
    result = commands.refresh(book, as_of)
    show_portfolio(result.data)
    write_patch(path, result, book, stamp)
    out.print(
        "[bold]6. Made letters[/bold] (billing letters), each a Word file and a PDF, logged on the Letters sheet:"
    )
    folder = demo_letters(path, as_of)
    out.print(f"   Letters are in {folder}", markup=False)
    out.print(
        f"\nOpen {path.resolve()} in Excel or LibreOffice: Dashboard first, then Aging, Balances, Dunning, Letters. "
        f"In {checked.name} the Findings sheet links to each planted mistake."
    )
    return EXIT_OK


def _demo_validate(path: Path, as_of: dt.date) -> None:
    """`billing validate --write` as the demo runs it: findings shown, and the Findings sheet written."""
    book, stamp = load(path)
    result = commands.validate(book, as_of)
    show_findings(result.findings, path.name, as_of)
    write_patch(path, result, book, stamp)


def show_held_back(held: list[dict], indent: str = "") -> None:
    """One line per customer whose fees were held back, with the cell to fix."""
    by_customer: dict[str, list[dict]] = {}
    for h in held:
        by_customer.setdefault(h["customer_id"], []).append(h)
    for customer_id, fees in by_customer.items():
        out.print(f"{indent}{customer_id}: {len(fees)} fee(s) {fees[0]['reason']}", markup=False)


def demo_letters(path: Path, as_of: dt.date) -> Path:
    """The demo's letters: invoices for the three newest invoice rows, a statement, then every dunning letter."""
    from billing_addin.commands.letters import make_letters

    book, _ = load(path, for_write=False)
    newest = sorted(book.sheet("Invoices").rows)[-3:]
    customer = book.sheet("Customers").columns["Customer ID"][0]
    runs = (
        ("invoice", {"rows": newest}, "invoices for the 3 newest invoice rows"),
        ("statement", {"customers": [customer]}, f"a statement of account for {customer}"),
        ("dunning", {}, "dunning letters, one per customer due one"),
    )
    folder = path.parent
    for kind, selection, what in runs:
        book, stamp = load(path)
        result = make_letters(book, path, as_of, kind=kind, print_file=kind == "dunning", **selection)
        folder = Path(result.data["folder"] or folder)
        made, pdfs = result.counts.get("letters", 0), result.counts.get("pdf", 0)
        out.print(f"   {what}: {made} Word file(s), {pdfs} PDF(s)", markup=False)
        for f in result.findings:
            out.print(f"   {f.severity}: {f.message} {f.hint}", markup=False)
        if not result.patch.is_empty:
            write_patch(path, result, book, stamp)
    return folder.resolve()


def _print_json(data: object) -> None:
    # One line: these outputs run to thousands of customers, and json's indenting encoder is pure Python.
    print(json.dumps(data, ensure_ascii=False, default=str))


def _money(text: str | None) -> str:
    return "" if text is None else text


def cmd_refresh(args: argparse.Namespace) -> int:
    book, stamp = load(args.book, for_write=args.write)
    as_of = commands.resolve_as_of(book, args.as_of)
    parts = 1 if args.write else parts_for(book)  # a preview of a big book: one process per core
    result = commands.refresh(book, as_of, user=audit_user(book), sheets=args.write, parts=parts)
    keep_until_exit(result)
    if result.data.get("stopped"):
        return show_stopped(args, result)
    if args.json:
        _print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_portfolio(result.data)
        if result.findings:
            show_findings(result.findings, args.book.name, as_of)
    if args.write and not write_patch(args.book, result, book, stamp):
        return EXIT_NOT_WRITTEN
    return EXIT_ERRORS if result.errors else EXIT_OK


def show_stopped(args: argparse.Namespace, result: commands.Result) -> int:
    """A command that made no figures (data["stopped"]): its findings, as JSON or as tables; exit 1."""
    if args.json:
        _print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_findings(result.findings, args.book.name, result.as_of)
    return EXIT_ERRORS


def show_portfolio(data: dict) -> None:
    out.print(f"[bold]Receivables as of {data['as_of']}[/bold]")
    for cur, p in data["portfolio"].items():
        show_table(
            out,
            [money(col) for col in ("Receivables", "Credit", "Balance", "Overdue", *p["buckets"], "DSO")],
            [
                (
                    p["receivables"],
                    p["unapplied_credit"],
                    p["balance"],
                    p["overdue"],
                    *p["buckets"].values(),
                    p["dso_days"] or "-",
                )
            ],
            title=cur,
        )
    letters = data["dunning"]["letters"]
    fees = [f for f in data["fees"] if f["to_post"] != "0.00"]
    out.print(
        f"{len(data['customers'])} customer accounts; {len(fees)} invoices with fees not yet posted; "
        f"{len(letters)} dunning letters due ({len(data['dunning']['skipped'])} customers skipped)."
    )


def cmd_fees(args: argparse.Namespace) -> int:
    book, stamp = load(args.book, for_write=args.post)
    as_of = commands.resolve_as_of(book, args.as_of)
    result = commands.fees(book, as_of, post=args.post, user=audit_user(book))
    if result.data.get("stopped"):
        return show_stopped(args, result)
    if args.json:
        _print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        held = {(h["customer_id"], h["invoice_no"]) for h in result.data.get("held_back", [])}
        columns = [Col("Invoice"), Col("Customer"), text("Policy")]
        columns += [money(col) for col in ("Interest", "Fixed", "Charged", "To post")]
        rows = [
            [
                fee["invoice_no"],
                fee["customer_id"],
                fee["policy"],
                fee["interest"],
                fee["fixed"],
                fee["charged"],
                fee["to_post"],
                "held back" if (fee["customer_id"], fee["invoice_no"]) in held else "",
            ]
            for fee in result.data["fees"]
        ]
        if held:  # a column of its own, so that the amount to post stays a bare number
            columns.append(Col("Note"))
        show_table(out, columns, [r[: len(columns)] for r in rows], title=f"Late fees accrued as of {as_of}")
        if result.findings:
            show_findings(result.findings, args.book.name, as_of)
        show_held_back(result.data.get("held_back", []))
    if args.post:
        if result.errors and not result.patch.appends:
            return EXIT_ERRORS
        if result.patch.appends and not write_patch(args.book, result, book, stamp):
            return EXIT_NOT_WRITTEN
        err.print(f"Posted {result.counts.get('posted', 0)} late fee(s) to the Adjustments sheet.", markup=False)
    return EXIT_ERRORS if result.errors else EXIT_OK


def cmd_dunning(args: argparse.Namespace) -> int:
    book, _ = load(args.book, for_write=False)
    as_of = commands.resolve_as_of(book, args.as_of)
    result = commands.dunning(book, as_of)
    if result.data.get("stopped"):
        return show_stopped(args, result)
    if args.json:
        _print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
        return EXIT_ERRORS if result.errors else EXIT_OK
    show_table(
        out,
        (Col("Customer"), Col("Level"), Col("Letter"), text("Invoices"), money("Overdue"), text("Why")),
        [
            (
                d["customer_id"],
                str(d["level"]),
                d["letter_template"],
                ", ".join(d["invoices"]),
                d["overdue"],
                d["reason"] + (f" HELD BACK: {held_back_cause(d['held_back'])}" if d.get("held_back") else ""),
            )
            for d in result.data["letters"]
        ],
        title=f"Dunning as of {as_of}",
    )
    show_table(
        out,
        (Col("Customer"), text("Why")),
        [(k["customer_id"], k["reason"]) for k in result.data["skipped"]],
        title="Skipped",
    )
    if result.findings:
        show_findings(result.findings, args.book.name, as_of)
    return EXIT_ERRORS if result.errors else EXIT_OK


def cmd_statement(args: argparse.Namespace) -> int:
    book, _ = load(args.book, for_write=False)
    try:
        result = commands.statement(book, args.customer_id, args.start, args.end)
    except KeyError:
        err.print(
            f"billing: customer {args.customer_id} has no invoices, payments or adjustments up to {args.end}.",
            markup=False,
        )
        return EXIT_ERRORS
    except ValueError as e:
        err.print(f"billing: {e}", markup=False)
        return EXIT_UNREADABLE
    if result.data.get("stopped"):
        return show_stopped(args, result)
    if args.json:
        _print_json(result.data)
        return EXIT_OK
    for s in result.data["statements"]:
        columns = (
            Col("Date"),
            text("Type"),
            Col("Reference"),
            Col("Invoice"),
            Col("Due"),
            money("Charge"),
            money("Credit"),
            money("Balance"),
        )
        rows = [("", "Opening balance", "", "", "", "", "", s["opening_balance"])]
        rows += [
            (
                ln["date"],
                ln["kind"] + (" (disputed)" if ln.get("disputed") else ""),
                ln["reference"],
                ln["invoice_no"],
                ln.get("due_date") or "",
                "" if ln["charge"] == "0.00" else ln["charge"],
                "" if ln["credit"] == "0.00" else ln["credit"],
                ln["balance"],
            )
            for ln in s["lines"]
        ]
        rows.append(("", "Closing balance", "", "", "", "", "", s["closing_balance"]))
        title = f"Statement for {result.data['customer_id']} ({s['currency']}), {result.data['from']} to {result.data['to']}"
        show_table(out, columns, rows, title=title)
        out.print("Aging: " + ", ".join(f"{k} {v}" for k, v in s["aging"].items()), markup=False)
    return EXIT_OK


def cmd_send(args: argparse.Namespace) -> int:
    from billing_addin.commands import send as sending
    from billing_addin.workbook.xlsx.file_safety import check_not_open
    from billing_addin.workbook.xlsx.refusal import WriteRefused

    book, stamp = load(args.book, for_write=not args.dry_run)
    smtp, problems = sending.smtp_from_settings(book)
    for f in problems:
        err.print(f"billing: {f.sheet}!{f.cell or 'A1'}: {f.message}. {f.hint}", markup=False)
    if smtp is None:
        return EXIT_ERRORS
    password = None
    if not args.dry_run:
        try:
            password = sending.smtp_password(book, smtp)
            check_not_open(args.book)  # a book open in Excel could not be marked: send nothing, not twice later
        except sending.MissingPassword as e:
            err.print(f"billing: {e}", markup=False)
            return EXIT_ERRORS
        except WriteRefused as e:
            err.print(f"billing: nothing was sent: {e}", markup=False)
            return EXIT_NOT_WRITTEN
    result = sending.send_letters(book, args.book, smtp, password, dry_run=args.dry_run, user=audit_user(book))
    if args.json:
        _print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_sending(result.data)
    if not result.patch.is_empty and not write_patch(args.book, result, book, stamp):
        err.print(
            "billing: these letters were e-mailed but are still marked made on the Letters sheet: "
            f"{', '.join(result.data['sent'])}. Mark them sent by hand before the next billing send.",
            markup=False,
        )
        return EXIT_NOT_WRITTEN
    return EXIT_ERRORS if result.errors else EXIT_OK


def show_sending(data: dict) -> None:
    if data["dry_run"]:
        out.print(f"Would e-mail {len(data['to_send'])} letter(s):")
        for name in data["to_send"]:
            out.print(f"  {name}", markup=False)
    elif not data["to_send"] and not data["failed"]:
        out.print("Nothing to e-mail: no letter on the Letters sheet is marked made and has a draft.")
    else:
        out.print(f"E-mailed {len(data['sent'])} letter(s); {len(data['failed'])} failed.")
    if data["failed"]:
        show_table(
            out, (Col("Draft"), text("Why")), [(f["file"], f["error"]) for f in data["failed"]], title="Not sent"
        )
    if data["without_draft"]:
        out.print(f"{len(data['without_draft'])} letter(s) marked made have no e-mail draft: print and post them.")


def cmd_schema(args: argparse.Namespace) -> int:
    from billing_addin.reference import workbook_reference

    print(workbook_reference())
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
