"""E-mail drafts, body templates and `billing send`, against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import json
import shutil
import socket
import ssl
import subprocess
from email import policy
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from jinja2 import Environment, meta
from pypdf import PdfWriter

from billing_addin.cli.app import main
from billing_addin.commands.send import draft_letter_email, email_template_for
from billing_addin.core.letter_log import LETTER_COLUMNS, LETTERS_SHEET
from billing_addin.core.patch import OwnedSheet, Patch
from billing_addin.documents.mail import (
    EmailTemplateError,
    SmtpSettings,
    draft_message,
    email_body,
    read_draft,
    send_drafts,
    write_draft,
)
from billing_addin.documents.variables import BY_KIND, COMMON, INVOICE_ROW_KEYS, TEMPLATE_KINDS, known_names
from billing_addin.workbook.reader import book_from_rows, read_book
from billing_addin.workbook.writer import apply_patch

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "letter_templates"
SENDER = "Brightside Billing <accounts@brightside.example>"
CAFE = "Café Müller <info@cafe-mueller.example>"
REFUSED = "nobody@refused.example"
USER, PASSWORD = "billing", "s3cret-pässword"
NOW = dt.datetime(2026, 6, 30, 9, 15)
# The login tests run without TLS on loopback on purpose; aiosmtpd warns about that in every connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# --- a real SMTP server -------------------------------------------------------------------------------------


class Collector:
    """aiosmtpd handler: keeps every message it accepts; refuses the addresses in `refuse` with 550."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = {REFUSED}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def parsed(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(m[2], policy=policy.default) for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd itself answers 535 on failure


def start_server(**smtp_options) -> tuple[Controller, Collector, int]:
    handler, port = Collector(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    return controller, handler, port


@pytest.fixture
def server():
    """A plain SMTP server on 127.0.0.1 (no TLS, no login)."""
    controller, handler, port = start_server()
    yield handler, SmtpSettings("127.0.0.1", port, starttls=False)
    controller.stop()


@pytest.fixture
def auth_server():
    """A server that requires a login (over plain text: loopback only, so no TLS is needed here)."""
    controller, handler, port = start_server(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    yield handler, SmtpSettings("127.0.0.1", port, starttls=False, user=USER)
    controller.stop()


# --- letters on disk ----------------------------------------------------------------------------------------


def make_pdf(path: Path, pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        writer.write(f)
    return path.read_bytes()


def make_draft(pdf: Path, to: str = CAFE, subject: str = "Rechnung für Café Müller") -> Path:
    msg = draft_message(
        sender=SENDER,
        to=to,
        subject=subject,
        body="Grüße aus Springfield.\nThe letter is attached as a PDF.",
        attachments=[pdf],
        date=NOW,
        message_id_domain="brightside.example",
    )
    eml = pdf.with_suffix(".eml")
    write_draft(msg, eml)
    return eml


# --- drafts -------------------------------------------------------------------------------------------------


def test_draft_round_trips_attachment_subject_and_unsent_header(tmp_path):
    pdf_bytes = make_pdf(tmp_path / "letters" / "INV-1001.pdf", pages=2)
    eml = make_draft(tmp_path / "letters" / "INV-1001.pdf", subject="Rechnung für Café Müller")
    raw = eml.read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), "headers must be encoded (RFC 2047), not raw UTF-8"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")

    msg = read_draft(eml)
    assert msg["X-Unsent"] == "1"
    assert msg["Subject"] == "Rechnung für Café Müller"
    assert msg["To"].addresses[0].display_name == "Café Müller"
    assert msg["To"].addresses[0].addr_spec == "info@cafe-mueller.example"
    assert msg["Message-ID"].endswith("@brightside.example>")
    assert msg.get_body(("plain",)).get_content().startswith("Grüße aus Springfield.")
    (att,) = list(msg.iter_attachments())
    assert att.get_content_type() == "application/pdf"
    assert att.get_filename() == "INV-1001.pdf"  # the name only, never the folder
    assert att.get_content() == pdf_bytes
    assert not [p for p in eml.parent.iterdir() if p.name.endswith(".tmp")]


def test_draft_to_several_addresses_and_refuses_header_injection(tmp_path):
    pdf = tmp_path / "a.pdf"
    make_pdf(pdf)
    msg = draft_message(
        sender=SENDER,
        to="a@x.example; b@y.example",
        subject="s",
        body="b",
        attachments=[pdf],
        date=NOW,
        message_id_domain="x.example",
    )
    assert [a.addr_spec for a in msg["To"].addresses] == ["a@x.example", "b@y.example"]
    with pytest.raises(ValueError):
        draft_message(
            sender=SENDER,
            to=CAFE,
            subject="hi\nBcc: victim@example.com",
            body="b",
            attachments=[],
            date=NOW,
            message_id_domain="x.example",
        )
    with pytest.raises(ValueError, match="not an e-mail address"):
        draft_message(
            sender=SENDER, to="nobody", subject="s", body="b", attachments=[], date=NOW, message_id_domain="x"
        )


# --- bodies -------------------------------------------------------------------------------------------------


def fake_context(kind: str) -> dict:
    """A context with every variable of `kind` (documents/variables.py), each value naming itself."""
    ctx: dict = {}
    for name in {**COMMON, **BY_KIND[kind]}:
        *parents, last = name.split(".")
        node = ctx
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = f"<{name}>"
    row = {k: f"<invoice.{k}>" for k in INVOICE_ROW_KEYS}
    ctx["invoices"] = [row, {**row, "number": "<second>"}]
    ctx["totals"]["has_fees"] = True
    if kind == "invoice":
        ctx["invoice"] = {**row, "terms_days": "30"}
    if kind == "plan":
        for which, number in (("missed", 3), ("upcoming", 4)):
            ctx["plan"][which] = {"number": number} | {
                k: f"<{which}.{k}>" for k in ("due_date", "amount", "paid", "to_pay")
            }
        ctx["plan"]["installments"] = []
    return ctx


@pytest.mark.parametrize("letter", sorted(TEMPLATE_KINDS))
def test_shipped_email_templates_render_with_the_documented_variables_only(letter):
    kind = TEMPLATE_KINDS[letter]
    path = TEMPLATES / letter.replace(".docx", ".email.txt")
    used = meta.find_undeclared_variables(Environment().parse(path.read_text(encoding="utf-8")))
    assert used <= known_names(kind), f"{path.name} uses {used - known_names(kind)}"
    subject, body = email_body(path, fake_context(kind))
    assert subject and "\n" not in subject and "{" not in subject
    assert "PDF" in body and "attached" in body
    assert "<company.name>" in body and "{{" not in body and "{%" not in body


def test_claim_appeal_email_carries_no_health_details_beyond_the_claim_number():
    subject, body = email_body(TEMPLATES / "claim_appeal.email.txt", fake_context("appeal"))
    assert "<claim.number>" in subject + body
    for detail in ("patient", "member_id", "service_dates", "services", "denial_codes", "payer"):
        assert f"<claim.{detail}>" not in subject + body


def test_reminder_levels_differ_in_tone():
    texts = {
        name: email_body(TEMPLATES / f"{name}.email.txt", fake_context("dunning"))[1]
        for name in ("reminder", "past_due", "final_notice")
    }
    assert "friendly reminder" in texts["reminder"]
    assert "ignore this message" in texts["reminder"]
    assert "final notice" in texts["final_notice"] and "further steps" in texts["final_notice"]
    assert "further steps" not in texts["reminder"]


def test_template_code_execution_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    template = tmp_path / "evil.email.txt"
    template.write_text(
        f"Subject: hello\nDear {{{{ customer.name }}}},\n{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(EmailTemplateError, match=r"evil\.email\.txt line 3: the template tries to reach Python"):
        email_body(template, {"customer": {"name": "X"}})
    assert not marker.exists()


def test_template_errors_name_file_line_and_fix(tmp_path):
    t = tmp_path / "t.email.txt"
    t.write_text("Dear {{ customer.name }}\n", encoding="utf-8")
    with pytest.raises(EmailTemplateError, match=r"t\.email\.txt line 1: must be 'Subject: \.\.\.'"):
        email_body(t, {})
    t.write_text("Subject: x\nDear {{ customer.name }},\n\n{{ totals.totl }}\n", encoding="utf-8")
    with pytest.raises(EmailTemplateError, match=r"line 4: .*totl"):
        email_body(t, {"customer": {"name": "A"}, "totals": {"total": "1"}})
    t.write_text("Subject: x\n{% for i in invoices %}\n", encoding="utf-8")
    with pytest.raises(EmailTemplateError, match=r"line \d+: .*Check the"):
        email_body(t, {"invoices": []})


def test_values_are_not_escaped_and_subject_is_one_line(tmp_path):
    t = tmp_path / "t.email.txt"
    t.write_text("Subject: Invoice for {{ customer.name }}\nDear {{ customer.name }},\n", encoding="utf-8")
    subject, body = email_body(t, {"customer": {"name": "Johnson & Sons <Ltd>\nBcc: x@y.example"}})
    assert subject == "Invoice for Johnson & Sons <Ltd> Bcc: x@y.example"
    assert body == "Dear Johnson & Sons <Ltd>\nBcc: x@y.example,\n"


def test_draft_for_a_letter_from_the_book_settings_and_the_letter_context(tmp_path):
    book = book_from_rows({}, {"Company Name": "Brightside, Inc.", "Company Email": "ar@brightside.example"})
    pdf = tmp_path / "D2-C001.pdf"
    pdf_bytes = make_pdf(pdf)
    ctx = fake_context("dunning")
    ctx["customer"].update(name="Café Müller", email="info@cafe-mueller.example")
    template = email_template_for(Path("letter_templates/past_due.docx"))
    msg = draft_letter_email(book.settings, ctx, ROOT / template, pdf, now=NOW)
    assert msg["From"].addresses[0].display_name == "Brightside, Inc."
    assert str(msg["To"].addresses[0]) == "Café Müller <info@cafe-mueller.example>"
    assert msg["Subject"].startswith("Past due notice")
    assert next(msg.iter_attachments()).get_content() == pdf_bytes
    ctx["customer"]["email"] = ""
    assert draft_letter_email(book.settings, ctx, ROOT / template, pdf, now=NOW) is None


# --- sending ------------------------------------------------------------------------------------------------


def test_send_delivers_every_draft_with_pdf_and_without_unsent_header(tmp_path, server):
    handler, smtp = server
    pdfs = {n: make_pdf(tmp_path / f"{n}.pdf", pages=i + 1) for i, n in enumerate(("L1", "L2", "L3"))}
    drafts = [make_draft(tmp_path / f"{n}.pdf", to=f"{n.lower()}@customers.example") for n in pdfs]
    outcomes = send_drafts(drafts, smtp, password=None)
    assert [(o.path, o.ok, o.error) for o in outcomes] == [(d, True, "") for d in drafts]
    got = handler.parsed()
    assert len(got) == 3
    for msg, (name, data) in zip(got, pdfs.items(), strict=True):
        assert "X-Unsent" not in msg
        assert msg["Subject"] == "Rechnung für Café Müller"
        (att,) = list(msg.iter_attachments())
        assert att.get_filename() == f"{name}.pdf" and att.get_content() == data
    assert [m[1] for m in handler.messages] == [
        ["l1@customers.example"],
        ["l2@customers.example"],
        ["l3@customers.example"],
    ]
    assert all(m[0] == "accounts@brightside.example" for m in handler.messages)


def test_a_refused_recipient_fails_its_draft_only_and_the_outcome_names_no_address(tmp_path, server):
    handler, smtp = server
    drafts = []
    for name, to in (("A", "a@customers.example"), ("B", f"Refused Person <{REFUSED}>"), ("C", "c@customers.example")):
        make_pdf(tmp_path / f"{name}.pdf")
        drafts.append(make_draft(tmp_path / f"{name}.pdf", to=to))
    outcomes = send_drafts(drafts, smtp, password=None)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert "550" in outcomes[1].error and "recipient refused" in outcomes[1].error
    assert REFUSED not in outcomes[1].error and "Refused Person" not in outcomes[1].error
    assert [m[1] for m in handler.messages] == [["a@customers.example"], ["c@customers.example"]]


def test_login_with_password_succeeds_and_a_wrong_one_fails_clearly(tmp_path, auth_server):
    handler, smtp = auth_server
    make_pdf(tmp_path / "L.pdf")
    draft = make_draft(tmp_path / "L.pdf")
    with pytest.raises(ValueError, match="BILLING_SMTP_PASSWORD"):
        send_drafts([draft], smtp, password=None)
    (bad,) = send_drafts([draft], smtp, password="wrong")
    assert not bad.ok and "refused the user name or password" in bad.error and "BILLING_SMTP_PASSWORD" in bad.error
    assert handler.messages == []
    (good,) = send_drafts([draft], smtp, password=PASSWORD)
    assert good.ok and len(handler.messages) == 1


def test_no_server_listening_is_one_clear_reason_per_draft(tmp_path):
    make_pdf(tmp_path / "L.pdf")
    draft = make_draft(tmp_path / "L.pdf")
    outcomes = send_drafts([draft, draft], SmtpSettings("127.0.0.1", free_port(), starttls=False), password=None)
    assert [o.ok for o in outcomes] == [False, False]
    assert "refused the connection; check SMTP Host and SMTP Port" in outcomes[0].error


def test_server_without_starttls_or_login_says_which_setting_to_change(tmp_path, server):
    handler, plain = server
    make_pdf(tmp_path / "L.pdf")
    draft = make_draft(tmp_path / "L.pdf")
    (no_tls,) = send_drafts([draft], SmtpSettings("127.0.0.1", plain.port, starttls=True), password=None)
    assert not no_tls.ok and "does not offer STARTTLS" in no_tls.error
    (no_login,) = send_drafts([draft], SmtpSettings("127.0.0.1", plain.port, starttls=False, user=USER), password="x")
    assert not no_login.ok and "offers no login; clear SMTP User" in no_login.error
    assert handler.messages == []


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1, made with the openssl command (cheap: an EC key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed, so no certificate can be made for the STARTTLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_starttls_then_login_delivers_and_an_untrusted_certificate_is_refused(tmp_path, tls_files):
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # Login only after STARTTLS (aiosmtpd's default auth_require_tls), as a real mail server insists.
    controller, handler, port = start_server(
        tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True
    )
    try:
        make_pdf(tmp_path / "L.pdf")
        draft = make_draft(tmp_path / "L.pdf")
        smtp = SmtpSettings("127.0.0.1", port, starttls=True, user=USER, cafile=str(cert))
        (ok,) = send_drafts([draft], smtp, password=PASSWORD)
        assert ok.ok, ok.error
        assert len(handler.messages) == 1
        untrusted = SmtpSettings("127.0.0.1", port, starttls=True, user=USER)
        (refused,) = send_drafts([draft], untrusted, password=PASSWORD)
        assert not refused.ok and "cannot be trusted" in refused.error
        assert len(handler.messages) == 1
    finally:
        controller.stop()


# --- billing send, end to end on a real .xlsx ---------------------------------------------------------------


def log_letters(book: Path, letters: list[tuple[str, str, str]], status: str = "made") -> None:
    """Write the Letters sheet as the letter batch does, through the safe writer: (customer, pdf, sha256) rows."""
    rows = tuple(
        (NOW, NOW.date(), "dunning", 1, customer, f"INV-{i}", pdf.replace(".pdf", ".docx"), pdf, sha, status)
        for i, (customer, pdf, sha) in enumerate(letters, start=1)
    )
    apply_patch(book, Patch(sheets=(OwnedSheet(LETTERS_SHEET, LETTER_COLUMNS, rows),)), backups=0)


def letters_status(book: Path) -> list[str]:
    ws = openpyxl.load_workbook(book, read_only=True)[LETTERS_SHEET]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    i = header.index("Status")
    return [r[i] for r in ws.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def send_book(data, write, tmp_path):
    """A billing .xlsx whose Settings point at a loopback server, with two letters made and their drafts."""

    def _make(port: int, *, user: str | None = None, recipients=("a@customers.example", CAFE)) -> Path:
        data.settings.update({"SMTP Host": "127.0.0.1", "SMTP Port": port, "SMTP STARTTLS": "No"})
        if user:
            data.settings["SMTP User"] = user
        book = write(data)
        letters = []
        for n, to in enumerate(recipients, start=1):
            rel = f"letters/D1-C00{n}-20260630.pdf"
            make_pdf(tmp_path / rel)
            make_draft(tmp_path / rel, to=to)
            letters.append((f"C00{n}", rel, hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest()))
        log_letters(book, letters)
        return book

    return _make


def test_billing_send_end_to_end_marks_letters_sent_and_sends_nothing_twice(send_book, server, capsys):
    handler, smtp = server
    book = send_book(smtp.port)
    assert main(["send", str(book)]) == 0
    out = capsys.readouterr()
    assert "E-mailed 2 letter(s); 0 failed." in out.out
    assert "Wrote Letters, Audit" in out.err
    assert len(handler.messages) == 2
    assert all(next(m.iter_attachments()).get_content_type() == "application/pdf" for m in handler.parsed())
    assert letters_status(book) == ["sent", "sent"]
    ws = openpyxl.load_workbook(book, read_only=True)["Audit"]
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["send"]

    assert main(["send", str(book)]) == 0
    assert "Nothing to e-mail" in capsys.readouterr().out
    assert main(["send", str(book), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["to_send"] == [] and again["sent"] == []
    assert len(handler.messages) == 2


def test_billing_send_refused_recipient_exit_1_and_that_letter_stays_made(send_book, server, capsys):
    handler, smtp = server
    book = send_book(smtp.port, recipients=("a@customers.example", REFUSED))
    assert main(["send", str(book), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["sent"] == ["letters/D1-C001-20260630.eml"]
    assert [f["file"] for f in out["failed"]] == ["letters/D1-C002-20260630.eml"]
    assert REFUSED not in json.dumps(out)
    (finding,) = [f for f in out["findings"] if f["code"] == "letter-not-sent"]
    assert finding["sheet"] == "Letters" and finding["cell"] == "J3"
    assert letters_status(book) == ["sent", "made"]
    assert len(handler.messages) == 1


def test_billing_send_dry_run_lists_and_changes_nothing(send_book, server, capsys):
    handler, smtp = server
    book = send_book(smtp.port)
    before = book.read_bytes()
    assert main(["send", str(book), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Would e-mail 2 letter(s)" in out and "letters/D1-C001-20260630.eml" in out
    assert handler.messages == [] and book.read_bytes() == before


def test_billing_send_with_login_uses_the_named_variable_and_says_when_it_is_unset(
    send_book, auth_server, capsys, monkeypatch
):
    handler, smtp = auth_server
    book = send_book(smtp.port, user=USER)
    monkeypatch.delenv("BILLING_SMTP_PASSWORD", raising=False)
    assert main(["send", str(book)]) == 1
    err = capsys.readouterr().err
    assert "environment variable BILLING_SMTP_PASSWORD (Settings!B" in err and "is not set" in err
    assert len(err.strip().splitlines()) == 1 and handler.messages == []
    monkeypatch.setenv("BILLING_SMTP_PASSWORD", PASSWORD)
    assert main(["send", str(book)]) == 0
    assert len(handler.messages) == 2 and letters_status(book) == ["sent", "sent"]


def test_billing_send_blank_host_names_the_settings_cell(data, write, capsys):
    book = write(data)
    assert main(["send", str(book)]) == 1
    err = capsys.readouterr().err
    cell = read_book(book).settings.cells["SMTP Host"]
    assert f"billing: Settings!{cell}: SMTP Host is blank — enter your mail server" in err


def test_billing_send_a_draft_whose_pdf_is_not_the_logged_one_is_not_sent(send_book, server, tmp_path, capsys):
    handler, smtp = server
    book = send_book(smtp.port)
    (tmp_path / "letters/D1-C002-20260630.eml").write_bytes(
        make_draft(make_pdf_path(tmp_path / "other.pdf", pages=3)).read_bytes()
    )
    assert main(["send", str(book), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["sent"] == ["letters/D1-C001-20260630.eml"]
    assert "PDF SHA256 differs" in out["failed"][0]["error"]
    assert letters_status(book) == ["sent", "made"]


def make_pdf_path(path: Path, pages: int = 1) -> Path:
    make_pdf(path, pages)
    return path
