"""`billing addin ...`: build the Excel add-in, install it, uninstall it, or press one of its buttons on a file.

A thin shell: the work is in addin_file.py, install.py and ribbon.py. Registered by cli.py with `register`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PureWindowsPath

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser("addin", help="the Excel add-in: build, install, uninstall, press a button")
    sub = p.add_subparsers(dest="addin_command", required=True, metavar="ACTION")

    b = sub.add_parser("build", help="make billing_addin.xlam from the ribbon XML and VBA in the repository")
    b.add_argument("--out", type=Path, default=Path("billing_addin.xlam"), help="the file (or folder) to write")
    b.set_defaults(func=cmd_build)

    for name, helptext in (
        ("install", "put the add-in where Excel opens it at start and write its Python settings"),
        ("uninstall", "remove the add-in and its settings"),
    ):
        i = sub.add_parser(name, help=helptext)
        i.add_argument("--dir", type=Path, help="the add-in folder (default: Excel's startup folder)")
        i.add_argument("--config", type=Path, help="the settings file (default: where the add-in reads it)")
        i.set_defaults(func=cmd_install if name == "install" else cmd_uninstall)

    r = sub.add_parser("press", help="run a ribbon button on a workbook file, as Excel would (no Excel needed)")
    r.add_argument("tag", help="the button's tag, e.g. validate, refresh, fees_post, letters_all_due")
    r.add_argument("book", type=Path)
    r.add_argument("--sheet", help="the sheet of the selection, e.g. Invoices")
    r.add_argument("--rows", default="", help="the selected Excel rows, e.g. 5-9,12")
    r.add_argument("--yes", action="store_true", help="answer Yes to the button's question (e.g. post fees)")
    r.add_argument("--reply", help="what to type where the button asks (e.g. 6 for Propose Plan's installments)")
    r.add_argument("--files", type=Path, nargs="*", default=[], help="what to pick where the button opens files")
    r.set_defaults(func=cmd_press)


def cmd_build(args: argparse.Namespace) -> int:
    from billing_addin.excel.addin_file import build_addin

    path = build_addin(args.out)
    print(f"Built {path}")
    return EXIT_OK


def _places(args: argparse.Namespace):
    from billing_addin.excel.install import CONFIG_NAME, excel_places

    found = excel_places()
    if args.dir is None and found is None:
        windows = excel_places("win32", Path("C:/Users/<you>"), {})
        mac = excel_places("darwin", Path("/Users/<you>"))
        win_addin, win_config = (PureWindowsPath(str(p)) for p in (windows.addin_dir, windows.config_file))
        print(
            "billing: Excel is not on this system. The add-in would go in\n"
            f"  Windows: {win_addin}\n  macOS:   {mac.addin_dir}\n"
            f"and its settings in\n  Windows: {win_config}\n  macOS:   {mac.config_file}\n"
            "Give --dir (and --config) to use other folders.",
            file=sys.stderr,
        )
        return None
    addin_dir = args.dir or found.addin_dir
    config = args.config or (found.config_file if found and args.dir is None else addin_dir / CONFIG_NAME)
    return addin_dir, config


def cmd_install(args: argparse.Namespace) -> int:
    from billing_addin.excel.install import install

    places = _places(args)
    if places is None:
        return EXIT_BAD_INPUT
    try:
        addin, config = install(*places)
    except PermissionError as e:
        print(f"billing: cannot write {e.filename}: close Excel and try again.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Installed {addin}\nSettings in {config}\nStart Excel: the Billing tab is on the ribbon.")
    return EXIT_OK


def cmd_uninstall(args: argparse.Namespace) -> int:
    from billing_addin.excel.install import uninstall

    places = _places(args)
    if places is None:
        return EXIT_BAD_INPUT
    try:
        removed = uninstall(*places)
    except PermissionError as e:
        print(f"billing: cannot remove {e.filename}: close Excel and try again.", file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(f"Removed {p}" for p in removed) or "Nothing to remove: the add-in was not installed there.")
    return EXIT_OK


def parse_rows(text: str) -> list[int]:
    """'5-9,12' -> [5, 6, 7, 8, 9, 12]."""
    rows: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        rows.update(range(int(first), int(last or first) + 1))
    return sorted(rows)


def cmd_press(args: argparse.Namespace) -> int:
    from billing_addin.excel.host import FileHost
    from billing_addin.excel.ribbon import HANDLERS, dispatch

    if args.tag not in HANDLERS:
        print(f"billing: no button {args.tag!r}; the buttons are: {', '.join(HANDLERS)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        rows = parse_rows(args.rows)
    except ValueError:
        print(f"billing: --rows {args.rows!r} is not a list of rows such as 5-9,12", file=sys.stderr)
        return EXIT_BAD_INPUT
    # Absolute, as Excel gives it: letters go in a folder beside a saved workbook.
    host = FileHost(
        args.book.absolute(), selection=(args.sheet, rows), answer=args.yes, reply=args.reply, files=args.files
    )
    dispatch(args.tag, host)
    for question in host.asked:
        print(f"{question}\n> {args.reply if args.reply is not None else '(nothing typed: give --reply)'}")
    for question in host.questions:
        print(f"{question} {'Yes' if args.yes else 'No (give --yes to answer Yes)'}")
    for text in host.messages:
        print(text)
    for folder in host.opened:
        print(f"Output folder: {folder}")
    return EXIT_OK
