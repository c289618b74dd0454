"""What the command line prints: the consoles, findings as tables, JSON, exit codes.

Exit status: 0 fine, 1 the workbook has error findings, 2 the file cannot be read at all (or a bad
argument), 3 the workbook could not be written safely (nothing was changed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import orjson

from billing_addin.cli.tables import Col, show_table, text
from billing_addin.core.findings import ERROR, Finding

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


def print_json(data: object) -> None:
    """One line of JSON. Records are typed (core and commands): dates print as "2026-06-30" and money (Decimal,
    two places) and anything else orjson does not know as its text, "120.50", as json.dumps(default=str) would.
    orjson (Rust) encodes refresh's 100,000 invoice lines in a fifth of the time the json module takes."""
    text = orjson.dumps(data, default=str, option=orjson.OPT_APPEND_NEWLINE)
    stream = sys.stdout
    if hasattr(stream, "buffer"):  # bytes straight out: no second and third copy of a 30 MB text to decode and encode
        stream.flush()
        stream.buffer.write(text)
        stream.buffer.flush()
    else:
        stream.write(text.decode())


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


def show_held_back(held: list[dict], indent: str = "") -> None:
    """One line per customer whose fees were held back, with the cell to fix."""
    by_customer: dict[str, list[dict]] = {}
    for h in held:
        by_customer.setdefault(h["customer_id"], []).append(h)
    for customer_id, fees in by_customer.items():
        out.print(f"{indent}{customer_id}: {len(fees)} fee(s) {fees[0]['reason']}", markup=False)


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


def show_stopped(args: argparse.Namespace, result) -> int:
    """A command that made no figures (data["stopped"]): its findings, as JSON or as tables; exit 1."""
    if args.json:
        print_json({**result.data, "findings": [f.as_dict() for f in result.findings]})
    else:
        show_findings(result.findings, args.book.name, result.as_of)
    return EXIT_ERRORS
