"""The Billing ribbon's buttons and what each does: one handler per button `tag`, one dispatcher for all.

Every button in `addin_src/customUI14.xml` calls the same VBA callback, which runs
`billing_addin.excel.xlwings_shell.ribbon_clicked("<tag>")` through xlwings' RunPython; that builds an
`XlwingsHost` for the calling workbook and calls `dispatch(tag, host)` here. A handler collects its inputs
from the host, runs the same command as the command line, applies the command's patch through the host and
tells the user what happened in one message. Whatever goes wrong, the user sees a sentence, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from billing_addin import commands
from billing_addin.commands import payments as payment_commands
from billing_addin.commands.letters import make_letters, output_folder, templates_folder
from billing_addin.commands.plans import propose
from billing_addin.core.book import Book
from billing_addin.core.findings import Finding
from billing_addin.core.held_back import cause
from billing_addin.core.money import format_cents, to_cents
from billing_addin.documents.templates import check_templates as check_templates_in
from billing_addin.excel.host import Host
from billing_addin.workbook.reader import UnreadableWorkbook

ERROR_LOG = Path(tempfile.gettempdir()) / "billing_addin-errors.log"
LIST_LINES = 12  # lines of detail in one message box before "... and N more"


@dataclass(frozen=True)
class Button:
    tag: str
    label: str
    handler: Callable[[Host], None]


def _as_of(book: Book) -> dt.date:
    return commands.resolve_as_of(book, None)


def _user(book: Book) -> str | None:
    import getpass

    return getpass.getuser() if book.settings.get("Record User Name") == "Yes" else None


def _listed(lines: list[str]) -> str:
    shown = lines[:LIST_LINES]
    if len(lines) > LIST_LINES:
        shown.append(f"... and {len(lines) - LIST_LINES} more")
    return "\n".join(shown)


def _findings_text(findings: list[Finding]) -> str:
    return _listed(
        [
            f"{f.sheet}!{f.cell}: {f.message}" if f.cell else f"{f.sheet}: {f.message}" if f.sheet else f.message
            for f in findings
        ]
    )


# --- the handlers --------------------------------------------------------------------------------------------


def validate(host: Host) -> None:
    book = host.read_book()
    host.status("Billing: checking the workbook...")
    result = commands.validate(book, _as_of(book), user=_user(book))
    written = host.apply(result.patch)
    if not result.findings:
        host.message(f"No problems found (as of {result.as_of}).\n{written}.")
        return
    host.message(
        f"{len(result.errors)} error(s) and {len(result.warnings)} warning(s) as of {result.as_of}. "
        f"The Findings sheet lists them; each Cell links to the wrong cell.\n\n{_findings_text(result.findings)}"
        f"\n\n{written}."
    )


def _stopped(host: Host, result: commands.Result) -> bool:
    """Say so and return True when the command made no figures (a sheet or column they need is missing)."""
    if not result.data.get("stopped"):
        return False
    host.message(f"Nothing was computed as of {result.as_of}:\n\n{_findings_text(result.findings)}")
    return True


def refresh(host: Host) -> None:
    book = host.read_book()
    host.status("Billing: computing balances, aging, fees and dunning...")
    result = commands.refresh(book, _as_of(book), user=_user(book))
    if _stopped(host, result):
        return
    written = host.apply(result.patch)
    data = result.data
    lines = [
        f"{cur}: receivables {p['receivables']}, overdue {p['overdue']}, DSO {p['dso_days'] or '-'} days"
        for cur, p in data["portfolio"].items()
    ]
    lines.append(f"{len(data['dunning']['letters'])} dunning letter(s) due.")
    if result.findings:
        lines.append(f"\n{len(result.findings)} problem(s):\n{_findings_text(result.findings)}")
    host.message(f"Balances as of {result.as_of}\n" + "\n".join(lines) + f"\n\n{written}.")


def _fee_lines(result: commands.Result, held: set | frozenset = frozenset()) -> tuple[list[str], int]:
    """One line per invoice with a fee to post (leaving out the (customer, invoice) pairs in `held`), and the total."""
    due = [f for f in result.data["fees"] if f["to_post"] != 0 and (f["customer_id"], f["invoice_no"]) not in held]
    total = sum(abs(to_cents(f["to_post"])) for f in due)
    return [
        f"{f['invoice_no']} ({f['customer_id']}): {f['to_post']} {f['currency']}, {f['policy']}" for f in due
    ], total


def fees_preview(host: Host) -> None:
    book = host.read_book()
    result = commands.fees(book, _as_of(book))
    if _stopped(host, result):
        return
    lines, total = _fee_lines(result)
    if not lines:
        host.message(f"No late fees to post as of {result.as_of}.")
        return
    host.message(
        f"{len(lines)} invoice(s) have late fees not yet posted as of {result.as_of}, {format_cents(total)} in all. "
        f"Late Fees > Post adds them to the Adjustments sheet.\n\n{_listed(lines)}"
    )


def fees_post(host: Host) -> None:
    book = host.read_book()
    as_of = _as_of(book)
    result = commands.fees(book, as_of, post=True, user=_user(book))  # computed only: nothing written yet
    if _stopped(host, result):
        return
    held = result.data.get("held_back", [])
    lines, total = _fee_lines(result, {(h["customer_id"], h["invoice_no"]) for h in held})
    held_text = (
        "\n\nHeld back until their errors are fixed (Post again then):\n"
        + _listed([f"{h['invoice_no']} ({h['customer_id']}): {cause(h['reason'])}" for h in held])
        if held
        else ""
    )
    if not result.patch.appends:
        if result.data.get("posted") is False:  # an error no one customer owns: nothing may be posted
            host.message(f"Late fees cannot be posted:\n{_findings_text(result.errors)}")
        else:
            host.message(f"No late fees to post as of {as_of}: nothing was changed.{held_text}")
        return
    if not host.confirm(
        f"Post {len(lines)} late fee(s), {format_cents(total)} in all, as of {as_of} to the Adjustments sheet?"
        + held_text
    ):
        host.message("Nothing was posted.")
        return
    written = host.apply(result.patch)
    host.message(f"Posted {len(lines)} late fee(s), {format_cents(total)} in all.\n{written}.{held_text}")


def dunning_preview(host: Host) -> None:
    book = host.read_book()
    result = commands.dunning(book, _as_of(book))
    if _stopped(host, result):
        return
    letters, skipped = result.data["letters"], result.data["skipped"]
    lines = [
        f"{d['customer_id']}: level {d['level']} ({d['letter_template']}), {d['overdue']} overdue"
        + (f"; {d['held_back']}" if d.get("held_back") else "")
        for d in letters
    ]
    text = f"{len(letters)} letter(s) due as of {result.as_of}; {len(skipped)} customer(s) skipped."
    if lines:
        text += f"\n\n{_listed(lines)}"
    if skipped:
        text += "\n\nSkipped:\n" + _listed([f"{s['customer_id']}: {s['reason']}" for s in skipped])
    if result.findings:
        text += f"\n\nProblems:\n{_findings_text(result.findings)}"
    host.message(text)


def _selected_rows(host: Host, book: Book, sheet: str) -> list[int] | None:
    """Data rows of `sheet` the user selected, or None (and a message) when the selection is elsewhere."""
    title, rows = host.selection()
    sd = book.sheet(sheet)
    if sd is None or title is None or title.casefold() != sd.title.casefold():
        host.message(f"Select one or more rows on the {sd.title if sd else sheet} sheet first.")
        return None
    wanted = sorted(set(rows) & set(sd.rows))
    if not wanted:
        host.message(f"The selection holds no {sd.title} data rows: select the rows of the data, then click again.")
    return wanted or None


def _selected_customers(host: Host, book: Book) -> list[str] | None:
    """Customer IDs of the selected rows: rows of Customers, or of Invoices, Payments or Adjustments."""
    title, rows = host.selection()
    for name in ("Customers", "Invoices", "Payments", "Adjustments"):
        sd = book.sheet(name)
        if sd is None or title is None or title.casefold() != sd.title.casefold() or not sd.has("Customer ID"):
            continue
        wanted = set(rows)
        ids = [c for r, c in zip(sd.rows, sd.columns["Customer ID"]) if r in wanted and c is not None]
        if ids:
            return list(dict.fromkeys(ids))
    host.message("Select the customer's row on the Customers sheet (or one of its invoices or payments) first.")
    return None


class NotSaved(Exception):
    """The workbook has never been saved: letters and their folder go beside it."""


def _saved_path(host: Host) -> Path:
    if not host.book_path.is_absolute():
        raise NotSaved
    return host.book_path


def _make_letters(host: Host, book: Book, kind: str, **selection) -> None:
    book_path = _saved_path(host)

    def progress(*args) -> None:  # (done, total) from the batch
        done, total = (args + (None, None))[:2]
        host.status(f"Billing: making letters, {done} of {total}..." if total else "Billing: making letters...")

    host.status("Billing: making letters...")
    result = make_letters(book, book_path, _as_of(book), kind=kind, progress=progress, **selection)
    written = host.apply(result.patch) if not result.patch.is_empty else "Nothing written to the workbook"
    text = f"Made {result.counts.get('letters', 0)} {kind} letter(s)"
    if result.data.get("folder") and result.counts.get("letters"):
        text += f" in {result.data['folder']}"
    text += "."
    if kind == "plan" and result.data.get("letters"):  # a customer may get several: say which is which
        text += "\n\n" + _listed(
            [f"{x['reference']}: {x['letter']} for {x['customer_id']}" for x in result.data["letters"]]
        )
    held = [
        f"{s['customer_id']}: {s['reason']}" for s in result.data.get("skipped", []) if s["reason"].startswith("held")
    ]
    if held:
        text += "\n\nHeld back until their errors are fixed (make the letters again then):\n" + _listed(held)
    if result.findings:
        text += f"\n\n{_findings_text(result.findings)}"
    host.message(f"{text}\n{written}.")


def letters_selected(host: Host) -> None:
    book = host.read_book()
    title, _ = host.selection()
    customers_sheet = book.sheet("Customers")
    if customers_sheet is not None and title and title.casefold() == customers_sheet.title.casefold():
        rows = _selected_rows(host, book, "Customers")
        if rows:
            _make_letters(host, book, "dunning", rows=rows)
        return
    customers = _selected_customers(host, book)
    if customers:
        _make_letters(host, book, "dunning", customers=customers)


def letters_all_due(host: Host) -> None:
    book = host.read_book()
    _make_letters(host, book, "dunning")


def invoices_selected(host: Host) -> None:
    book = host.read_book()
    rows = _selected_rows(host, book, "Invoices")
    if rows:
        _make_letters(host, book, "invoice", rows=rows)


def _one_selected_customer(host: Host, book) -> str | None:
    """The one customer the selection names, or None after telling the clerk why not."""
    customers = _selected_customers(host, book)
    if not customers:
        return None
    if len(customers) > 1:
        host.message(f"Select one customer: the selection holds {len(customers)} ({', '.join(customers[:5])}...).")
        return None
    return customers[0]


def statement_selected(host: Host) -> None:
    book = host.read_book()
    customer = _one_selected_customer(host, book)
    if customer is not None:
        _make_letters(host, book, "statement", customers=[customer])


def _installments_answer(text: str) -> tuple[int, str] | None:
    """ "6" -> (6, "monthly"); "6 weekly", "12 every 2 weeks" -> the number and the frequency; else None."""
    match = re.fullmatch(r"\s*(\d{1,3})\s*(.*?)\s*", text)
    return (int(match[1]), match[2] or "monthly") if match else None


def plan_propose(host: Host) -> None:
    book = host.read_book()
    customer = _one_selected_customer(host, book)
    if customer is None:
        return
    as_of = _as_of(book)
    reply = host.ask(
        f"A payment plan for {customer}'s whole balance, from {as_of}: how many installments?\n"
        "Monthly unless you say otherwise, e.g. 6, 6 weekly, 6 every 2 weeks.",
        default="6",
    )
    if reply is None or not reply.strip():
        host.message("No plan was proposed.")
        return
    asked = _installments_answer(reply)
    if asked is None:
        host.message(f"“{reply}” is not a number of installments such as 6 or 6 weekly: no plan was proposed.")
        return
    try:
        result = propose(book, customer, installments=asked[0], frequency=asked[1], as_of=as_of, add=True)
    except ValueError:
        host.message(f"“{reply}”: the frequency must be weekly, every 2 weeks or monthly. No plan was proposed.")
        return
    except KeyError:
        host.message(f"{customer} has no invoices on the Invoices sheet: no plan was proposed.")
        return
    data = result.data
    if "installments" not in data:  # stopped, held back, nothing owed, two currencies, does not add up
        host.message(f"No plan was proposed for {customer}:\n\n{_findings_text(result.errors)}")
        return
    schedule = [
        f"{'Down payment' if i['number'] == 0 else i['number']}: {i['due']}  {i['amount']}"
        for i in data["installments"]
    ]
    text = (
        f"Plan for {data['customer_id']}: {data['amount_planned']} {data['currency']}, "
        f"{data['frequency'].lower()} from {data['start']}.\n\n{_listed(schedule)}"
    )
    if result.patch.is_empty:  # no PaymentPlans sheet, or not the columns a plan needs
        host.message(f"{text}\n\nThe plan cannot be added:\n{_findings_text(result.errors)}")
        return
    if not host.confirm(f"{text}\n\nAdd it to the PaymentPlans sheet as Proposed (plan {data['plan_id']})?"):
        host.message("Nothing was added.")
        return
    written = host.apply(result.patch)
    host.message(
        f"Added plan {data['plan_id']} for {data['customer_id']} to PaymentPlans as Proposed.\n{written}.\n\n"
        "Plan Letters makes the agreement for the customer to sign; mark the plan Active once they agree."
    )


def plan_letters(host: Host) -> None:
    book = host.read_book()
    _make_letters(host, book, "plan")


def payments_import(host: Host) -> None:
    """Import Payments: pick bank or processor files, match their lines, put them on the Bank Import sheet."""
    from billing_addin.bank import BankFileError, read_statement  # the file formats' parsers: when pressed

    files = host.choose_files("Bank statements or payout exports to import")
    if not files:
        return
    book = host.read_book()
    try:
        statements = [read_statement(path) for path in files]
    except (BankFileError, OSError) as e:
        host.message(f"Nothing was imported: {e}")
        return
    result = payment_commands.import_payments(
        book, [x for st in statements for x in st.lines], _as_of(book), user=_user(book)
    )
    if _stopped(host, result):
        return
    written = host.apply(result.patch)
    counts = result.counts
    shown = [
        f"{st.source}: columns not read: {', '.join(st.ignored_columns)}" for st in statements if st.ignored_columns
    ]
    shown += [f"{st.source}: {note}" for st in statements for note in st.notes]
    host.message(
        f"{counts['lines']} bank line(s): {result.details}.\n{written}.\n\nCheck the Bank Import sheet: Post is Yes "
        "for the certain matches; choose the customer and invoices of a suggested one and type Yes, then Post "
        "Approved Payments." + ("\n\n" + "\n".join(shown) if shown else "")
    )


def payments_post(host: Host) -> None:
    """Post Approved Payments: the Bank Import rows marked Post = Yes, onto the Payments table."""
    book = host.read_book()
    _posted(
        host,
        payment_commands.post_payments(book, _as_of(book), user=_user(book)),
        "No payments were posted",
        "Bank Import",
    )


def era_import(host: Host) -> None:
    """Import Remittance: pick 835 files, match each claim payment to Claims, put them on the Remittance sheet."""
    from billing_addin.bank.x12_835 import RemittanceFileError, read_835  # the 835 parser: when pressed

    files = host.choose_files("Insurance remittances (835 files) to import")
    if not files:
        return
    book = host.read_book()
    try:
        remittances = [r for path in files for r in read_835(path)]
    except (RemittanceFileError, OSError) as e:
        host.message(f"Nothing was imported: {e}")
        return
    result = commands.import_era(book, remittances, _as_of(book), user=_user(book))
    if _stopped(host, result):
        return
    written = host.apply(result.patch)
    lines = [
        f"{c['claim_id']}: {c['status']}, paid {c['paid']}, patient owes {c['patient_responsibility']}"
        + ("" if c["post"] else " (not to post: see its note)")
        for c in result.data["claims"]
    ]
    host.message(
        f"{result.details}.\n{written}.\n\n{_listed(lines)}\n\nCheck the Remittance sheet (type the Claim ID of "
        "a claim not found, or clear Post), then Post Remittance." + _problems(result)
    )


def era_post(host: Host) -> None:
    """Post Remittance: the Remittance rows marked Post = Yes: payments, write-offs and each claim's new status."""
    book = host.read_book()
    _posted(host, commands.post_era(book, _as_of(book), user=_user(book)), "Nothing was posted", "Remittance")


def claims_worklist(host: Host) -> None:
    """Claims Worklist: every claim's filing or appeal deadline and what to do, on the ClaimsWorklist sheet."""
    from billing_addin.commands.claims import claims

    book = host.read_book()
    result = claims(book, _as_of(book), user=_user(book))
    if _stopped(host, result):
        return
    written = host.apply(result.patch) if not result.patch.is_empty else "Nothing written to the workbook"
    todo = [f"{c['claim_id']}: {c['action']}" for c in result.data.get("claims", []) if c["action"] != "nothing due"]
    host.message(
        f"{result.details or 'Claims worklist'}.\n{written}."
        + (f"\n\nTo do, most pressing first:\n{_listed(todo)}" if todo else "")
        + _problems(result)
    )


def appeal_letters_selected(host: Host) -> None:
    """Appeal Letters for Selected Claims: a request for redetermination for each selected denied claim."""
    book = host.read_book()
    rows = _selected_rows(host, book, "Claims")
    if not rows:
        return
    sd = book.sheet("Claims")
    wanted = set(rows)
    ids = [cid for r, cid in zip(sd.rows, sd.columns["Claim ID"]) if r in wanted and cid]
    if not ids:
        host.message("The selected Claims rows have no Claim ID.")
        return
    _make_letters(host, book, "appeal", claims=ids)


def _posted(host: Host, result, nothing: str, sheet: str) -> None:
    """A posting button's end: what was posted (and written), or why nothing was, row by row of `sheet`."""
    if _stopped(host, result):
        return
    if result.patch.is_empty:
        why = "\n".join(f"{sheet} row {x['row']}: {x['reason']}" for x in result.data["not_posted"])
        host.message(f"{nothing}: {result.details}." + (f"\n{why}" if why else "") + _problems(result))
        return
    written = host.apply(result.patch)
    host.message(f"{result.details}.\n{written}." + _problems(result))


def _problems(result) -> str:
    return f"\n\n{_findings_text(result.findings)}" if result.findings else ""


def open_output_folder(host: Host) -> None:
    folder = output_folder(host.read_book(), _saved_path(host).parent)
    folder.mkdir(parents=True, exist_ok=True)
    host.open_folder(folder)


def check_templates(host: Host) -> None:
    folder = templates_folder(host.read_book(), host.book_path.parent)
    if folder is None:
        host.message("The Templates Folder in Settings does not exist beside the workbook.")
        return
    findings = check_templates_in(folder)
    if not findings:
        host.message(f"Every template in {folder} is fine.")
        return
    host.message(
        f"{len(findings)} problem(s) in the templates in {folder}:\n\n"
        + _listed([f"{f.sheet} {f.cell}: {f.message}".replace("  ", " ") for f in findings])
    )


HELP = """Billing add-in

Validate: check every cell; the Findings sheet links to each wrong cell.
Refresh: balances, aging, fees and dunning into the Balances, Aging, Dunning and Dashboard sheets.
Late Fees: preview what is due, or post it to the Adjustments sheet.
Dunning Preview: who would get which reminder, and who is skipped and why.
Make Letters: reminders for the selected customers, or for everyone due.
Invoices for Selected Rows: invoice letters for the rows selected on the Invoices sheet.
Statement for Selected Customer: a statement of account for the selected customer.
Propose Plan for Selected Customer: a payment plan's schedule for the customer's balance; added to
PaymentPlans as Proposed if you say so.
Plan Letters: plan agreements, reminders of installments due soon, and letters about missed installments.
Import Payments: bank or processor files matched to customers and invoices, each with why, on the Bank Import sheet.
Post Approved Payments: the Bank Import rows marked Post = Yes go to the Payments table, none twice.
Import Remittance: insurance remittances (835 files) matched to the Claims sheet, on the Remittance sheet.
Post Remittance: the Remittance rows marked Post = Yes: insurer payments, write-offs, each claim's status; none twice.
Claims Worklist: every claim's filing or appeal deadline and what to do, on the ClaimsWorklist sheet.
Appeal Letters for Selected Claims: a request for redetermination for each selected denied claim (Claims rows).
Open Output Folder: where the letters are.
Check Templates: find broken tags in the Word templates before making letters.

The as-of date is the Settings sheet's As-of Date, else today. The add-in writes only its own sheets
(and Late Fee rows on Adjustments, payments on Payments, plans on PaymentPlans, payer names on PayerAliases,
each when you ask); see the README for everything else."""


def show_help(host: Host) -> None:
    host.message(HELP)


BUTTONS: tuple[Button, ...] = (
    Button("validate", "Validate", validate),
    Button("refresh", "Refresh", refresh),
    Button("fees_preview", "Preview", fees_preview),
    Button("fees_post", "Post", fees_post),
    Button("dunning_preview", "Dunning Preview", dunning_preview),
    Button("letters_selected", "Selected Rows", letters_selected),
    Button("letters_all_due", "All Due", letters_all_due),
    Button("invoices_selected", "Invoices for Selected Rows", invoices_selected),
    Button("statement_selected", "Statement for Selected Customer", statement_selected),
    Button("plan_propose", "Propose Plan for Selected Customer", plan_propose),
    Button("plan_letters", "Plan Letters", plan_letters),
    Button("payments_import", "Import Payments", payments_import),
    Button("payments_post", "Post Approved Payments", payments_post),
    Button("era_import", "Import Remittance", era_import),
    Button("era_post", "Post Remittance", era_post),
    Button("claims_worklist", "Claims Worklist", claims_worklist),
    Button("appeal_letters_selected", "Appeal Letters for Selected Claims", appeal_letters_selected),
    Button("open_output_folder", "Open Output Folder", open_output_folder),
    Button("check_templates", "Check Templates", check_templates),
    Button("help", "Help", show_help),
)
HANDLERS: dict[str, Callable[[Host], None]] = {b.tag: b.handler for b in BUTTONS}


def log_error(tag: str) -> None:
    """Append the exception being handled to ERROR_LOG: where it happened (file, line, function, code) and its
    type, never its message, which may quote a cell: a customer's or patient's name or member ID (HIPAA)."""
    kind, _, tb = sys.exc_info()
    frames = "".join(traceback.format_list(traceback.extract_tb(tb)))
    name = kind.__name__ if kind else "Error"
    with ERROR_LOG.open("a", encoding="utf-8") as log:
        log.write(
            f"--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} {tag}\nTraceback (most recent call last):\n{frames}"
            f"{name} (its message is left out: it may quote the workbook's data)\n\n"
        )


def dispatch(tag: str, host: Host) -> None:
    """Run the handler of the button `tag`. Every failure becomes one message; the status bar is given back."""
    from billing_addin.workbook.writer import WriteRefused

    handler = HANDLERS.get(tag)
    try:
        if handler is None:
            host.message(f"This button ({tag}) has no action in this version of the add-in. Reinstall the add-in.")
            return
        handler(host)
    except UnreadableWorkbook as e:
        host.message(str(e))
    except WriteRefused as e:
        host.message(f"Nothing was written: {e}")
    except NotSaved:
        host.message("Save the workbook first: letters go in a folder beside it.")
    except KeyboardInterrupt:
        host.message("Stopped. Letters already made are kept; nothing was half-written.")
    except Exception:  # the clerk gets a sentence; the details go to a log for whoever supports them
        log_error(tag)
        host.message(
            f"Something went wrong and nothing more was done. The details are in {ERROR_LOG}; "
            "please send that file to whoever supports the add-in."
        )
    finally:
        host.status(None)
