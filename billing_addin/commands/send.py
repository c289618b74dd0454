"""`billing send` and the ribbon's Send button: e-mail the letters logged as made whose draft exists,
and mark them sent on the Letters sheet.

The draft of a letter is its PDF path with the suffix .eml (written when the letter is made, see
`draft_letter_email`). Sending needs the SMTP settings of the book and, when SMTP User is set, the
password from the environment variable that SMTP Password Variable names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path, PureWindowsPath

from billing_addin.commands.result import Result, audit_sheet
from billing_addin.core.book import Book, Settings, column_letter
from billing_addin.core.findings import Finding, error, warning
from billing_addin.core.letter_log import LETTER_COLUMNS, LETTERS_SHEET, LetterRecord, read_letter_log
from billing_addin.core.patch import OwnedSheet, Patch
from billing_addin.core.schema import SETTINGS_SHEET
from billing_addin.documents.mail import SmtpSettings, draft_message, email_body, read_draft, send_drafts
from billing_addin.loader import LoadedBook

MADE, SENT = "made", "sent"
DRAFT_SUFFIX = ".eml"
EMAIL_TEMPLATE_SUFFIX = ".email.txt"


# --- drafts for letters ----------------------------------------------------------------------------------


def draft_path(pdf: Path) -> Path:
    """Where the e-mail draft of a letter lives: beside its PDF, same name, suffix .eml."""
    return pdf.with_suffix(DRAFT_SUFFIX)


def email_template_for(letter_template: Path) -> Path:
    """The e-mail body template of a letter template: reminder.docx -> reminder.email.txt beside it."""
    return letter_template.with_name(letter_template.stem + EMAIL_TEMPLATE_SUFFIX)


def sender_address(settings: Settings) -> str | None:
    """Email From, else Company Email, with Company Name as the display name; None when both are blank."""
    address = settings.get("Email From") or settings.get("Company Email")
    if not address:
        return None
    return str(Address(display_name=str(settings.get("Company Name") or ""), addr_spec=str(address)))


def draft_letter_email(
    settings: Settings,
    context: dict,
    template: Path,
    pdf: Path,
    *,
    to: str | None = None,
    now: dt.datetime | None = None,
) -> EmailMessage | None:
    """The draft that carries one letter: subject and body from `template` (an .email.txt), `pdf` attached.

    to: the recipient(s); default the context's customer.email, under the customer's name.
    Returns None when there is no recipient or the book has no sender (Email From, Company Email).
    Raises EmailTemplateError for a template that cannot be used, ValueError for a malformed address.
    Write the result with `write_draft(message, draft_path(pdf))`.
    """
    customer = context.get("customer", {})
    to, sender = str(to or customer.get("email") or "").strip(), sender_address(settings)
    if not to or not sender:
        return None
    if ";" not in to and "," not in to and "<" not in to:
        to = str(Address(display_name=str(customer.get("name") or ""), addr_spec=to))
    subject, body = email_body(template, context)
    return draft_message(
        sender=sender,
        to=to,
        subject=subject,
        body=body,
        attachments=[pdf],
        date=now or dt.datetime.now(),
        message_id_domain=sender.rsplit("@", 1)[-1].rstrip(">"),
    )


# --- settings ----------------------------------------------------------------------------------------------


class MissingPassword(ValueError):
    """SMTP User is set but the environment variable with the password is not: one line that names it."""


def smtp_from_settings(book: Book) -> tuple[SmtpSettings | None, list[Finding]]:
    """The SMTP settings of the book, or None and findings naming each Settings cell to fix."""
    s = book.settings
    sheet = s.sheet_title or SETTINGS_SHEET

    def problem(name: str, message: str, hint: str) -> Finding:
        cell = s.cells.get(name, "")
        if not cell:
            hint = f"Add a row {name} to the Settings sheet (Setting column) with its value beside it. {hint}"
        return error("setting-missing" if "blank" in message else "setting-invalid", sheet, cell, message, hint)

    findings: list[Finding] = []
    host = str(s.get("SMTP Host") or "").strip()
    if not host:
        findings.append(
            problem(
                "SMTP Host",
                "SMTP Host is blank — enter your mail server",
                "Type the outgoing mail server, e.g. smtp.office365.com or smtp.gmail.com (IT knows it).",
            )
        )
    port = s.get("SMTP Port", 587)
    if not isinstance(port, int) or not 0 < port < 65536:
        findings.append(
            problem("SMTP Port", f"SMTP Port {port} is not a port number", "Type 587 (STARTTLS), 465 (SSL) or 25.")
        )
    if not sender_address(s):
        findings.append(
            problem(
                "Email From",
                "Email From and Company Email are both blank — enter the sender address",
                "Type the address letters come from, e.g. billing@example.com.",
            )
        )
    user = str(s.get("SMTP User") or "").strip() or None
    variable = str(s.get("SMTP Password Variable") or "").strip()
    if user and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
        findings.append(
            problem(
                "SMTP Password Variable",
                f"SMTP Password Variable {variable!r} is not the name of an environment variable",
                "Type a name such as BILLING_SMTP_PASSWORD (letters, digits, _) and put the password in that "
                "variable, never in the workbook.",
            )
        )
    if findings:
        return None, findings
    smtp = SmtpSettings(
        host=host,
        port=int(port),
        starttls=str(s.get("SMTP STARTTLS", "Yes")) != "No",
        user=user,
        password_env=variable or "BILLING_SMTP_PASSWORD",
    )
    return smtp, []


def smtp_password(book: Book, smtp: SmtpSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The password from the environment variable the settings name; None when no login is needed.
    Raises MissingPassword (one line naming the variable and its Settings cell) when it is unset."""
    if not smtp.user:
        return None
    value = (os.environ if environ is None else environ).get(smtp.password_env)
    if value is None:
        cell = book.settings.cells.get("SMTP Password Variable")
        where = f" ({book.settings.sheet_title or SETTINGS_SHEET}!{cell}, SMTP Password Variable)" if cell else ""
        raise MissingPassword(
            f"the environment variable {smtp.password_env}{where} is not set: set it to the mail password of the "
            "SMTP User and run again (nothing was sent)"
        )
    return value


# --- the command -------------------------------------------------------------------------------------------


def send_letters(
    loaded: LoadedBook | Book,
    book_path: Path,
    smtp: SmtpSettings,
    password: str | None,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    user: str | None = None,
) -> Result:
    """E-mail every letter of the Letters log whose Status is made and whose draft exists beside its PDF.

    book_path: the workbook file (letter paths in the log are relative to its folder).
    dry_run: only list what would be sent (data["to_send"]); no connection, an empty patch.
    Returns a Result whose patch rewrites the Letters sheet with the sent letters marked sent (plus an
    Audit row), whose findings name the Letters row of each letter that failed, and whose data holds
    "to_send", "sent", "failed" ({file, error}) and "without_draft" (files relative to the book's folder).
    """
    book = loaded.book if isinstance(loaded, LoadedBook) else loaded  # sending reads only the Letters log
    now = (now or dt.datetime.now()).replace(microsecond=0)
    result = Result("send", now.date())
    raw = book.owned_rows.get(LETTERS_SHEET, [])
    logged = _log_with_rows(raw)
    status_col = _status_column(raw)
    folder = book_path.parent
    due: dict[Path, list[int]] = {}  # draft -> indexes into `logged` (rows that share a PDF go out once)
    names: dict[Path, str] = {}  # draft -> its path relative to the book's folder, for messages
    first_row: dict[Path, int] = {}
    failed: list[dict[str, str]] = []
    without_draft: list[str] = []
    for i, (row, rec) in enumerate(logged):
        if rec.status.strip().casefold() != MADE or not rec.pdf.strip():
            continue
        pdf_rel = Path(PureWindowsPath(rec.pdf.strip()).as_posix())  # a log made on Windows has backslashes
        draft = draft_path(folder / pdf_rel)
        if not draft.is_file():
            without_draft.append(pdf_rel.as_posix())
            continue
        name = draft_path(pdf_rel).as_posix()
        problem = _draft_problem(draft, rec.sha256)
        if problem:
            result.findings.append(_failed(row, status_col, name, problem))
            failed.append({"file": name, "error": problem})
            continue
        due.setdefault(draft, []).append(i)
        names[draft] = name
        first_row.setdefault(draft, row)
    drafts = list(due)
    sent: list[str] = []
    result.data = {
        "dry_run": dry_run,
        "to_send": [names[d] for d in drafts],
        "sent": sent,
        "failed": failed,
        "without_draft": without_draft,
    }
    if without_draft:
        result.findings.append(
            warning(
                "letter-without-draft",
                LETTERS_SHEET,
                "",
                f"{len(without_draft)} letter(s) marked made have no e-mail draft (.eml beside the PDF).",
                "Print and post them, or make them again with an e-mail address on the customer's row.",
            )
        )
    result.counts = {"to_send": len(drafts), "sent": 0, "failed": len(failed), "rows": len(logged)}
    if dry_run or not drafts:
        return result

    outcomes = send_drafts(drafts, smtp, password=password)
    sent_indexes: set[int] = set()
    for outcome in outcomes:
        name = names[outcome.path]
        if outcome.ok:
            sent_indexes.update(due[outcome.path])
            sent.append(name)
        else:
            result.findings.append(_failed(first_row[outcome.path], status_col, name, outcome.error))
            failed.append({"file": name, "error": outcome.error})
        result.files.append(str(outcome.path))
    result.counts.update(sent=len(sent), failed=len(failed))
    result.counts.update(errors=len(result.errors), warnings=len(result.warnings))
    result.details = f"{result.counts['sent']} letter(s) e-mailed, {result.counts['failed']} failed"
    if sent_indexes:
        rows = tuple(
            (dataclasses.replace(rec, status=SENT) if i in sent_indexes else rec).as_row()
            for i, (_, rec) in enumerate(logged)
        )
        letters = OwnedSheet(LETTERS_SHEET, LETTER_COLUMNS, rows)
        result.patch = Patch(sheets=(letters, audit_sheet(book, result, now, user)))
    return result


def _log_with_rows(raw: list[list[object]]) -> list[tuple[int, LetterRecord]]:
    """Each record of the log with its Excel row (the add-in writes the sheet from A1, header in row 1)."""
    if not raw:
        return []
    out = []
    for row, cells in enumerate(raw[1:], start=2):
        records = read_letter_log([raw[0], cells])
        if records:
            out.append((row, records[0]))
    return out


def _status_column(raw: list[list[object]]) -> str:
    header = [str(h).strip().casefold() for h in raw[0]] if raw else []
    position = header.index("status") if "status" in header else [c.header for c in LETTER_COLUMNS].index("Status")
    return column_letter(position)


def _draft_problem(draft: Path, logged_sha: str) -> str:
    """Why a draft must not go out ("" when it may): the PDF in it is not the one the log recorded."""
    logged = logged_sha.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{8,64}", logged):
        return ""  # no hash logged (or not one we know): nothing to compare with
    try:
        message = read_draft(draft)
    except OSError as e:
        return f"cannot read the draft ({e.strerror or e})"
    pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    if not any(hashlib.sha256(p.get_content()).hexdigest().startswith(logged) for p in pdfs):
        return "the PDF attached to the draft is not the letter the log recorded (PDF SHA256 differs); make it again"
    return ""


def _failed(row: int, status_col: str, file: str, reason: str) -> Finding:
    return error(
        "letter-not-sent",
        LETTERS_SHEET,
        f"{status_col}{row}",
        f"{file} was not e-mailed: {reason}",
        "Fix the cause and run billing send again: it sends only letters still marked made.",
    )
