"""E-mail for letters: ready-to-open drafts (.eml) with the PDF attached, bodies from text templates,
and sending a batch of drafts through the company's SMTP server. Standard library only, besides jinja2.

A draft carries `X-Unsent: 1`, so Outlook opens it as an unsent message the clerk can check and send by
hand (Thunderbird opens .eml files too); `send_drafts` removes that header and sends the same bytes.

    >>> msg = draft_message(sender="billing@example.com", to="Café Müller <info@cafe.example>",
    ...     subject="Invoice INV-1", body="Please find it attached.", attachments=[Path("INV-1.pdf")],
    ...     date=datetime.now(), message_id_domain="example.com")
    >>> write_draft(msg, Path("INV-1.eml"))
"""

from __future__ import annotations

import base64
import email
import mimetypes
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from billing_addin.documents.files import write_whole

UNSENT_HEADER = "X-Unsent"
SMTP_TIMEOUT = 30  # seconds; a clerk waits this long at most for a silent server
IMPLICIT_TLS_PORT = 465  # "SMTPS": TLS from the first byte, where STARTTLS would hang until the timeout


# --- drafts ---------------------------------------------------------------------------------------------


def draft_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    attachments: list[Path],
    date: datetime,
    message_id_domain: str,
) -> EmailMessage:
    """A draft e-mail: plain UTF-8 text `body`, each of `attachments` attached under its own file name.

    sender, to: addresses, optionally with a display name ("Café Müller <info@cafe.example>"); `to` may
    hold several separated by ',' or ';' (as the Customers sheet's Email column allows).
    date: when the draft was made (a naive datetime is taken as local time).
    Raises ValueError for an address without '@' or a subject with a line break (header injection).
    """
    msg = EmailMessage(policy=policy.default)
    msg["From"] = _addresses(sender)[0]
    msg["To"] = _addresses(to)
    msg["Subject"] = subject  # the policy refuses CR/LF here and encodes non-ASCII as RFC 2047
    msg["Date"] = format_datetime(date if date.tzinfo else date.astimezone())
    msg["Message-ID"] = make_msgid(domain=message_id_domain)
    msg[UNSENT_HEADER] = "1"
    msg.set_content(body if body.endswith("\n") else body + "\n", subtype="plain", charset="utf-8")
    for path in attachments:
        kind, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def _addresses(text: str) -> list[Address]:
    """Parse 'Name <a@b>, c@d; e@f' into Address objects (a quoted name may hold ',' or ';')."""
    if '"' not in text:
        text = text.replace(";", ",")
    pairs = [(name, addr) for name, addr in getaddresses([text]) if addr]
    try:
        if pairs and all("@" in addr for _, addr in pairs):
            return [Address(display_name=name, addr_spec=addr) for name, addr in pairs]
    except ValueError:
        pass  # a malformed address: the message below says what is expected
    raise ValueError(f"{text!r} is not an e-mail address such as accounts@example.com")


def write_draft(message: EmailMessage, path: Path) -> None:
    """Write `message` to `path` as an .eml file (CRLF line ends, as RFC 5322 and Outlook expect).

    Atomic: the bytes go to a temporary file in the same folder that then replaces `path`, so a reader
    (or `billing send`) never sees half a draft.
    """
    write_whole(path, message.as_bytes(policy=message.policy.clone(linesep="\r\n")), sync=True)


def read_draft(path: Path) -> EmailMessage:
    """A draft as written by `write_draft` (any .eml file works)."""
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


# --- bodies from templates ------------------------------------------------------------------------------


class EmailTemplateError(ValueError):
    """A body template that cannot be used; the message names the file, the line and the fix."""


def _template_env() -> SandboxedEnvironment:
    # Sandboxed: templates are edited by clerks and may come from anywhere, so no attribute of Python's
    # internals (the cycler.__init__.__globals__ route to os) is reachable: it raises SecurityError.
    # autoescape=False: the output is plain text, where HTML escaping would print "Johnson &amp; Sons".
    # StrictUndefined: a misspelt variable stops the batch with its name instead of e-mailing "Dear ,"
    # to a customer; values that may be blank are given as "" so they never trip it.
    # trim_blocks/lstrip_blocks: a line that holds only {% if %} or {% for %} leaves no blank line behind.
    return SandboxedEnvironment(
        autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True
    )


def email_body(template_path: Path, context: dict) -> tuple[str, str]:
    """Render an e-mail text template: its first line is `Subject: ...`, the rest is the body.

    context: the letter's variables (documents/variables.py), values already formatted as text.
    Returns (subject, body); the subject is one line (line breaks from values become spaces).
    Raises EmailTemplateError naming the file and line for a missing Subject line, a syntax error, an
    unknown variable, or a template that reaches for Python internals (which never runs).
    """
    name = template_path.name
    try:
        source = template_path.read_text(encoding="utf-8-sig")  # Notepad may add a byte-order mark
    except (OSError, UnicodeDecodeError) as e:
        raise EmailTemplateError(f"{name}: cannot be read ({e}); save it as UTF-8 text.") from e
    first, _, rest = source.replace("\r\n", "\n").partition("\n")
    match = re.match(r"\s*subject\s*:(.*)$", first, re.IGNORECASE)
    if not match:
        raise EmailTemplateError(f"{name} line 1: must be 'Subject: ...' (the e-mail's subject), then the body.")
    env = _template_env()
    # The body is rendered with an empty first line so that error line numbers match the file's.
    subject = _render(env, name, match.group(1), context)
    body = _render(env, name, "\n" + rest, context)[1:]
    return " ".join(subject.split()), body.strip("\n") + "\n"


def _render(env: SandboxedEnvironment, name: str, source: str, context: dict) -> str:
    try:
        return env.from_string(source).render(**context)
    except TemplateSyntaxError as e:
        raise EmailTemplateError(f"{name} line {e.lineno}: {e.message}. Check the {{{{ }}}} and {{% %}} tags.") from e
    except SecurityError as e:
        raise EmailTemplateError(
            f"{name} line {_template_line(e)}: the template tries to reach Python internals ({e}); this is not "
            "allowed and nothing was run. Use only the letter variables, e.g. {{ customer.name }}."
        ) from e
    except TemplateError as e:
        raise EmailTemplateError(
            f"{name} line {_template_line(e)}: {e}. Use only the letter variables listed in the README."
        ) from e


def _template_line(error: BaseException) -> int | str:
    """The template line a runtime error came from (jinja puts template frames into the traceback)."""
    line: int | str = "?"
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# --- sending --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server. The password is not here: it comes from the environment variable
    named `password_env`, so it never lands in the workbook or a log."""

    host: str
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password_env: str = "BILLING_SMTP_PASSWORD"
    cafile: str | None = None  # an extra CA certificate to trust (a company's own CA; tests)


@dataclass(frozen=True)
class SendOutcome:
    """What became of one draft. `error` never names a recipient: only the file and the server's reason."""

    path: Path
    ok: bool
    error: str = ""


class MailServerError(Exception):
    """The server cannot be reached or refuses the login: one clear line, no recipient in it."""


def send_drafts(paths: list[Path], smtp: SmtpSettings, *, password: str | None) -> list[SendOutcome]:
    """Send each draft (without its X-Unsent header) over one connection; one outcome per draft, in order.

    A refused recipient or a bad draft fails that draft only; the others still go. If the connection
    drops, it is opened again for the next draft. When the server cannot be reached or the login is
    refused, every draft not yet sent fails with that reason.
    Raises ValueError when `smtp.user` is set and `password` is None.
    """
    if smtp.user and password is None:
        raise ValueError(f"a password is needed to log in as the SMTP user (environment variable {smtp.password_env})")
    outcomes: list[SendOutcome] = []
    server: smtplib.SMTP | None = None
    try:
        for i, path in enumerate(paths):
            try:
                message = read_draft(path)
            except OSError as e:
                outcomes.append(SendOutcome(path, False, f"cannot read the draft ({e.strerror or e})"))
                continue
            del message[UNSENT_HEADER]
            if not message["To"] or not message["From"]:
                outcomes.append(SendOutcome(path, False, "the draft has no To or no From address"))
                continue
            if server is None:
                try:
                    server = _connect(smtp, password)
                except MailServerError as e:
                    outcomes += [SendOutcome(p, False, str(e)) for p in paths[i:]]
                    break
            try:
                refused = server.send_message(message)
            except smtplib.SMTPServerDisconnected as e:
                server = None  # try a fresh connection for the next draft
                outcomes.append(SendOutcome(path, False, f"the mail server closed the connection ({_redact(e)})"))
                continue
            except smtplib.SMTPRecipientsRefused as e:
                reasons = "; ".join(_reply(code, text) for code, text in e.recipients.values())
                outcomes.append(SendOutcome(path, False, f"recipient refused by the mail server: {reasons}"))
                continue
            except smtplib.SMTPSenderRefused as e:
                outcomes.append(
                    SendOutcome(
                        path, False, f"the mail server refused the sender address: {_reply(e.smtp_code, e.smtp_error)}"
                    )
                )
                continue
            except smtplib.SMTPResponseException as e:
                outcomes.append(
                    SendOutcome(
                        path, False, f"the mail server refused the message: {_reply(e.smtp_code, e.smtp_error)}"
                    )
                )
                continue
            except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as e:
                server = _close(server)
                outcomes.append(SendOutcome(path, False, f"not sent: {_redact(e)}"))
                continue
            if refused:
                reasons = "; ".join(_reply(code, text) for code, text in refused.values())
                outcomes.append(SendOutcome(path, True, f"sent, but {len(refused)} recipient(s) refused: {reasons}"))
            else:
                outcomes.append(SendOutcome(path, True))
    finally:
        _close(server)
    return outcomes


def _connect(smtp: SmtpSettings, password: str | None) -> smtplib.SMTP:
    """An open, (when asked) encrypted and logged-in connection, or MailServerError saying what to fix."""
    where = f"{smtp.host}:{smtp.port}"
    context = ssl.create_default_context(cafile=smtp.cafile)
    server: smtplib.SMTP | None = None
    try:
        if smtp.port == IMPLICIT_TLS_PORT and smtp.starttls:
            server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT)
            if smtp.starttls:
                server.starttls(context=context)
        if smtp.user:
            _login(server, smtp.user, password or "")
        return server
    except socket.gaierror as e:
        raise MailServerError(f"the mail server {smtp.host} cannot be found ({e.strerror}); check SMTP Host") from e
    except ConnectionRefusedError as e:
        raise MailServerError(f"{where} refused the connection; check SMTP Host and SMTP Port") from e
    except TimeoutError as e:
        raise MailServerError(f"{where} did not answer within {SMTP_TIMEOUT} s; check SMTP Host and SMTP Port") from e
    except ssl.SSLCertVerificationError as e:
        _close(server)
        raise MailServerError(f"the certificate of {smtp.host} cannot be trusted ({e.verify_message})") from e
    except MailServerError:
        _close(server)
        raise
    except smtplib.SMTPNotSupportedError as e:
        _close(server)
        if "AUTH" in str(e):
            raise MailServerError(
                f"{where} offers no login; clear SMTP User if it needs none, or set SMTP STARTTLS to Yes "
                "(many servers offer login only on an encrypted connection)"
            ) from e
        raise MailServerError(
            f"{where} does not offer STARTTLS; ask IT which port encrypts, or set SMTP STARTTLS to No "
            "only for a server inside your network"
        ) from e
    except smtplib.SMTPAuthenticationError as e:
        _close(server)
        raise MailServerError(
            f"{where} refused the user name or password ({_reply(e.smtp_code, e.smtp_error)}); check SMTP User "
            f"and the password in {smtp.password_env}"
        ) from e
    except (smtplib.SMTPException, ssl.SSLError, OSError, ValueError) as e:
        _close(server)
        raise MailServerError(f"cannot talk to the mail server {where} ({_redact(e)})") from e


def _login(server: smtplib.SMTP, user: str, password: str) -> None:
    """Log in, by AUTH PLAIN in UTF-8 (RFC 4616) when the server offers it. Not smtplib's login() there:
    it encodes credentials as ASCII, so a password such as "Grüße2026" fails before reaching the server."""
    server.ehlo_or_helo_if_needed()
    if "plain" not in server.esmtp_features.get("auth", "").lower().split():
        if not (user + password).isascii():
            raise MailServerError(
                "the mail server offers no login that accepts a user name or password with accents or other "
                "non-ASCII characters; ask IT for an ASCII password"
            )
        server.login(user, password)
        return
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, reply = server.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _close(server: smtplib.SMTP | None) -> None:
    if server is None:
        return None
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()
    return None


_EMAIL_LIKE = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


def _redact(value: object) -> str:
    """Server text with any e-mail address replaced: servers echo the recipient, outcomes must not."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return _EMAIL_LIKE.sub("<address>", text).strip()


def _reply(code: int, text: object) -> str:
    return f"{code} {_redact(text)}"
