"""`billing validate`, `columns`, `new` and `schema`: the workbook itself, its columns and its findings."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from billing_addin import commands
from billing_addin.cli import console
from billing_addin.cli.workbook_files import audit_user, load, read, write_patch
from billing_addin.core.column_report import column_report


def register(sub) -> None:
    v = sub.add_parser("validate", help="check a billing workbook and point at every wrong cell")
    v.add_argument("book", type=Path, help="the workbook (.xlsx or .xlsm)")
    v.add_argument("--as-of", type=console.iso_date, help="date to check against (default: Settings, else today)")
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


def register_schema(sub) -> None:
    s = sub.add_parser("schema", help="print the workbook reference (sheets, columns, aliases) as Markdown")
    s.set_defaults(func=cmd_schema)


def cmd_validate(args: argparse.Namespace) -> int:
    loaded, stamp = load(args.book, args.as_of, for_write=args.write)
    result = commands.validate(loaded, user=audit_user(loaded))
    if args.json:
        print(json.dumps([f.as_dict() for f in result.findings], ensure_ascii=False, indent=1))
    else:
        console.show_columns(column_report(loaded.book))
        console.show_findings(result.findings, args.book.name, result.as_of)
    if args.write and not write_patch(args.book, result, loaded, stamp):
        return console.EXIT_NOT_WRITTEN
    return console.EXIT_ERRORS if result.errors else console.EXIT_OK


def cmd_columns(args: argparse.Namespace) -> int:
    """How the columns were understood; exit 1 when a sheet or a required column is missing (as validate)."""
    book, _ = read(args.book)
    report = column_report(book)
    if args.json:
        console.print_json({"book": args.book.name, "sheets": report})
    else:
        console.show_columns(report)
    missing = any(
        (not s["found"] and s["required"]) or any(m["required"] for m in s.get("missing", [])) for s in report
    )
    return console.EXIT_ERRORS if missing else console.EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from billing_addin.workbook.template import build_template

    if args.path.exists():
        console.err.print(
            f"billing: {args.path} already exists; choose another name (nothing was changed).", markup=False
        )
        return console.EXIT_UNREADABLE
    if args.path.suffix.lower() not in (".xlsx", ".xlsm"):
        console.err.print("billing: the new workbook's name must end in .xlsx", markup=False)
        return console.EXIT_UNREADABLE
    build_template(args.path)
    console.out.print(f"Wrote a new billing workbook: {args.path}")
    return console.EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from billing_addin.reference import workbook_reference

    print(workbook_reference())
    return console.EXIT_OK
