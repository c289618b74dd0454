"""The shipped letter templates render with the sandboxed docxtpl environment and come out right in a PDF.

Real parts only: docxtpl renders each template, LibreOffice headless converts all of them in one call, pdftotext
reads the text back. The sample context is hostile but legitimate (`Johnson & Sons <Ltd>`, `O'Brien`,
`Café Müller`) and has 70 invoices or statement lines, so the tables must run onto a second page and repeat
their header there. Page 1 of each letter is also saved as a PNG next to the PDFs for a person to look at.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from billing_addin.documents import variables

TEMPLATES = Path(__file__).resolve().parent.parent / "letter_templates"
SOFFICE = shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")
TIMEOUT = 120
ROWS = 70

CUSTOMER = "Johnson & Sons <Ltd>"
CONTACT = "Siobhán O'Brien"
COMPANY = "Café Müller & Co. Supplies"
PATIENT = "Seán O'Brien"

DUNNING = ("reminder.docx", "past_due.docx", "final_notice.docx")
# Table header text as pdftotext -layout prints it, for the check that page 2 repeats the header.
DUNNING_HEADER = re.compile(r"Invoice\s+Date\s+Due date\s+Amount\s+Outstanding\s+Days overdue")
STATEMENT_HEADER = re.compile(r"Date\s+Type\s+Reference\s+Invoice\s+Due date\s+Charges\s+Credits\s+Balance")

MONTHS = "January February March April May June July August September October November December".split()


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def day(n: int) -> str:
    """A date written out, the long form a locale formatter gives (the widest a table column must hold)."""
    return f"{MONTHS[(n // 28) % 12]} {n % 28 + 1}, {2025 + n // 336}"


def short_day(n: int) -> str:
    """A date in a locale's medium form, as a letter's table cells get it."""
    return f"{MONTHS[(n // 28) % 12][:3]} {n % 28 + 1}, {2025 + n // 336}"


def invoice_row(k: int) -> dict[str, str]:
    amount = 50_000 + (k * 7_919) % 900_000
    paid = amount // 4 if k % 3 == 0 else 0
    return {
        "number": f"INV-{24001 + k}",
        "date": day(10 + 3 * k),
        "due_date": day(40 + 3 * k),
        "description": f"Espresso beans & café supplies, order {k + 1}",
        "po_number": f"PO-{7700 + k}",
        "amount": money(amount),
        "paid": money(paid),
        "outstanding": money(amount - paid),
        "fees": money(0),
        "days_overdue": str(300 - 3 * k),
    }


def logo_png(path: Path) -> Path:
    """A 240x80 two-colour PNG written with zlib alone (no Pillow here)."""
    width, height = 240, 80
    rows = b""
    for y in range(height):
        line = b"".join(
            bytes((0x1F, 0x3A, 0x5F)) if x < 80 else (bytes((0xC8, 0x8B, 0x3A)) if 20 < y < 60 else b"\xff\xff\xff")
            for x in range(width)
        )
        rows += b"\x00" + line

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )
    return path


def sample_context(tpl: DocxTemplate, name: str, logo: Path | None) -> dict:
    """What the letter builder would pass for template `name`: every value already a formatted string."""
    kind = variables.TEMPLATE_KINDS[name]
    rows = [invoice_row(k) for k in range(ROWS)]
    principal = sum(int(r["outstanding"].strip("$").replace(",", "").replace(".", "")) for r in rows)
    fees = 12_345
    level = {"reminder.docx": 1, "past_due.docx": 2, "final_notice.docx": 3}.get(name, "")
    context = {
        "company": {
            "name": COMPANY,
            "address_lines": ["1200 Market Street, Suite 400", "Springfield, IL 62701", "United States"],
            "phone": "+1 217 555 0142",
            "email": "accounts@cafe-mueller.example",
            "payment_instructions": "Bank transfer to First Springfield Bank, account 0012 3456 78, routing "
            "071000013.\nPlease quote our reference with your payment.",
            "logo": InlineImage(tpl, str(logo), height=Mm(14)) if logo else "",
        },
        "letter": {
            "kind": kind,
            "level": level,
            "date": "November 27, 2026",
            "reference": f"D{level or 0}-C0042-20261127",
            "subject": {
                "invoice.docx": "Invoice INV-24001",
                "statement.docx": "Statement of account, October 1 – October 31, 2026",
                "reminder.docx": "Payment reminder",
                "past_due.docx": "Second reminder: invoices past due",
                "final_notice.docx": "Final notice before collection",
                "payment_plan.docx": "Payment plan agreement PP-0042",
                "installment_reminder.docx": "Payment plan PP-0042: installment 4 due on December 27, 2026",
                "missed_installment.docx": "Missed installment on payment plan PP-0042",
                "claim_appeal.docx": "Request for redetermination, claim 2026-1127-0042",
                "preauth_request.docx": "Request for prior authorization: claim 2026-1127-0042",
            }[name],
            "currency": "USD",
        },
        "customer": {
            "id": "C-0042",
            "name": CUSTOMER,
            "contact": CONTACT,
            "address_lines": ["45 Harbour Road", "Portland, ME 04101", "United States"],
            "email": "ap@johnson-sons.example",
        },
        "invoices": rows,
        "totals": {
            "principal": money(principal),
            "fees": money(fees),
            "total": money(principal + fees),
            "has_fees": True,
        },
    }
    if kind == "invoice":
        context["invoice"] = {**invoice_row(0), "terms_days": "30"}
        context["invoices"] = [context["invoice"]]
    if kind == "statement":
        balance = 120_000
        lines = []
        for k in range(ROWS):
            charge = 40_000 + k * 131 if k % 2 == 0 else 0
            credit = 0 if k % 2 == 0 else 35_000
            balance += charge - credit
            lines.append(
                {
                    "date": day(3 * k),
                    "kind": "Invoice" if charge else "Payment",
                    "reference": f"INV-{24001 + k}" if charge else f"P{5001 + k}",
                    "invoice": f"INV-{24001 + k - (k % 2)}",
                    "charge": money(charge) if charge else "",
                    "credit": money(credit) if credit else "",
                    "balance": money(balance),
                    "due_date": short_day(30 + 3 * k) if charge else "",
                    "disputed": k == 4,
                }
            )
        context["statement"] = {
            "start": "October 1, 2026",
            "end": "October 31, 2026",
            "opening": money(120_000),
            "closing": money(balance),
            "lines": lines,
            "aging": [
                {"label": "Current", "amount": money(80_000)},
                {"label": "1–30 days", "amount": money(40_000)},
                {"label": "31–60 days", "amount": money(20_000)},
                {"label": "61–90 days", "amount": money(10_000)},
                {"label": "Over 90 days", "amount": money(balance - 150_000)},
            ],
            "unapplied_credit": money(2_500),
        }
    if kind == "dunning":
        context["dunning"] = {
            "max_days_overdue": "300",
            "previous_date": "November 13, 2026" if level > 1 else "",
            "pay_by": "December 11, 2026",
        }
    if kind == "plan":
        context["invoices"] = rows[:4]
        statuses = ["Paid", "Paid", "Paid", "Missed", "Upcoming", "Upcoming", "Upcoming"]
        context["plan"] = {
            "id": "PP-0042",
            "installments": [  # 0 is the down payment
                {
                    "number": n,
                    "due_date": short_day(300 + 30 * n),
                    "amount": money(125_000),
                    "paid": money(125_000 if status == "Paid" else 0),
                    "status": status,
                }
                for n, status in enumerate(statuses)
            ],
            "total": money(875_000),
            "missed": {
                "number": 3,
                "due_date": day(390),
                "amount": money(125_000),
                "paid": money(25_000),
                "to_pay": money(100_000),
            },
            "upcoming": {
                "number": 4,
                "due_date": "December 27, 2026",
                "amount": money(125_000),
                "paid": money(0),
                "to_pay": money(125_000),
            },
            "start": day(300),
            "frequency": "Monthly",
            "status": "Active",
            "paid": money(375_000),
            "remaining": money(500_000),
            "broken_on": "",
        }
    if kind in ("appeal", "preauth"):
        context["customer"] = {**context["customer"], "name": CUSTOMER, "contact": "Appeals Unit"}
        context["invoices"] = []
        context["claim"] = {
            "number": "2026-1127-0042",
            "payer_reference": "ICN 22126000123450",
            "payer": "Northern Benefits & Health <Medicare Part B>",
            "payer_type": "Medicare",
            "member_id": "1EG4-TE5-MK73",
            "patient": PATIENT,
            "date_of_service": "September 2, 2026",
            "services": [{"code": "99214", "date": "Sep 2, 2026"}, {"code": "93000", "date": "Sep 2, 2026"}],
            "billed": money(24_900),
            "submitted": "September 8, 2026",
            "denial_date": "September 27, 2026",
            # The practice's own words (X12's CARC/RARC texts are copyrighted and never shipped); N115 has none.
            "denial_codes": [
                {"code": "CO-50", "meaning": "Payer says not medically necessary: send the physician's letter"},
                {"code": "N115", "meaning": ""},
            ],
            "deadline": "January 25, 2027",
            "preauth_number": "PA-77120",
        }
    return context


def render(name: str, out: Path, logo: Path | None, change=None, save_as: str | None = None) -> Path:
    tpl = DocxTemplate(TEMPLATES / name)
    context = sample_context(tpl, name, logo)
    if change:
        change(context)
    tpl.render(context, jinja_env=SandboxedEnvironment(autoescape=True))
    path = out / (save_as or name)
    tpl.save(path)
    return path


def leave_out_optional_parts(context: dict) -> None:
    """No logo, phone, contact, payment instructions, fees or previous letter: every optional part left out."""
    context["company"].update(logo="", phone="", payment_instructions="")
    context["customer"]["contact"] = ""
    context["totals"]["has_fees"] = False
    if "dunning" in context:
        context["dunning"]["previous_date"] = ""


# Extra renderings with every optional part blank, converted in the same soffice call as the others.
PLAIN = {"plain_reminder.docx": "reminder.docx", "plain_past_due.docx": "past_due.docx"}


def convert_all(docs: list[Path], outdir: Path) -> None:
    """All documents in one soffice call (much faster than one call each), with a profile of its own."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        cmd = [SOFFICE, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--norestore", "--convert-to", "pdf"]
        proc = subprocess.run(
            [*cmd, "--outdir", str(outdir), *map(str, docs)], capture_output=True, text=True, timeout=TIMEOUT
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    missing = [d.name for d in docs if not (outdir / (d.stem + ".pdf")).exists()]
    assert proc.returncode == 0 and not missing, f"soffice failed ({proc.returncode}), missing {missing}: {proc.stderr}"


def pdf_text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        [PDFTOTEXT, "-layout", *pages, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


# The one soffice call behind this fixture takes ~3.5 s, so the tests that use it are marked slow.
@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    """Every template rendered and converted to PDF once (one soffice call); name -> PDF, also the PLAIN ones."""
    if not (SOFFICE and PDFTOTEXT):
        pytest.skip("LibreOffice (soffice) and poppler (pdftotext) are needed")
    out = tmp_path_factory.mktemp("letters")
    logo = logo_png(out / "logo.png")
    docs = [render(name, out, logo) for name in variables.TEMPLATE_KINDS]
    docs += [render(name, out, None, leave_out_optional_parts, save_as=plain) for plain, name in PLAIN.items()]
    convert_all(docs, out / "pdf")
    result = {d.name: out / "pdf" / (d.stem + ".pdf") for d in docs}
    if PDFTOPPM:
        # Page 1 of each letter as a small picture, for a person to look at (pytest keeps the last runs' tmp dirs).
        for pdf in result.values():
            subprocess.run(
                [PDFTOPPM, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))],
                check=True,
                timeout=TIMEOUT,
            )
    return result


@pytest.mark.parametrize("name", list(variables.TEMPLATE_KINDS))
def test_template_uses_only_known_variables(name):
    kind = variables.TEMPLATE_KINDS[name]
    used = DocxTemplate(TEMPLATES / name).get_undeclared_template_variables(SandboxedEnvironment(autoescape=True))
    assert used <= variables.known_names(kind), used - variables.known_names(kind)
    assert {"company", "letter", "customer"} <= used


@pytest.mark.slow
@pytest.mark.parametrize("name", list(variables.TEMPLATE_KINDS))
def test_letter_pdf_has_names_exactly_and_no_leftover_tags(pdfs, name):
    text = pdf_text(pdfs[name])
    assert CUSTOMER in text
    assert "Johnson &amp;" not in text and "Johnson  Sons" not in text
    assert COMPANY in text
    assert "Our reference:" in text and re.search(r"D\d-C0042-20261127", text)
    if variables.TEMPLATE_KINDS[name] in ("appeal", "preauth"):  # to a payer: the practice signs as requester
        assert "Signature of the requester or representative" in text
    else:
        assert "Accounts Receivable" in text
    assert "{{" not in text and "{%" not in text and "}}" not in text


@pytest.mark.slow
@pytest.mark.parametrize("name", DUNNING)
def test_dunning_letter_lists_every_invoice_over_pages_with_header_repeated(pdfs, name):
    pdf = pdfs[name]
    text = pdf_text(pdf)
    rows = [invoice_row(k) for k in range(ROWS)]
    for row in rows:
        assert row["number"] in text
        assert row["outstanding"] in text
    assert f"Attn: {CONTACT}" in text
    assert "December 11, 2026" in text  # pay by
    assert re.search(r"Late fees and interest\s+\$123\.45", text)
    assert re.search(r"Total due\s+\$[\d,]+\.\d\d", text)
    assert DUNNING_HEADER.search(pdf_text(pdf, page=2)), "the invoice table's header is not repeated on page 2"


@pytest.mark.slow
def test_reminder_is_friendly_and_later_levels_name_the_previous_letter(pdfs):
    assert "overlooked" in pdf_text(pdfs["reminder.docx"])
    assert "We wrote to you on November 13, 2026" in pdf_text(pdfs["past_due.docx"])
    final = pdf_text(pdfs["final_notice.docx"])
    assert "We last wrote to you on November 13, 2026" in final
    assert "final notice" in final and "statutory interest" in final and "collection agency" in final


@pytest.mark.slow
def test_optional_parts_are_left_out_when_blank(pdfs):
    for name in PLAIN:
        text = pdf_text(pdfs[name])
        assert CUSTOMER in text and "Dear Sir or Madam," in text
        assert "Attn:" not in text and "How to pay" not in text and "Late fees" not in text and "Phone" not in text
    past_due = " ".join(pdf_text(pdfs["plain_past_due.docx"]).split())
    assert "According to our records, the invoices listed below remain unpaid; the oldest is now 300 days" in past_due
    assert "We wrote to you" not in past_due


@pytest.mark.slow
def test_invoice_letter_shows_the_invoice(pdfs):
    text = pdf_text(pdfs["invoice.docx"])
    row = invoice_row(0)
    for value in (row["number"], row["date"], row["due_date"], row["po_number"], row["amount"], "Net 30 days"):
        assert value in text
    assert "Espresso beans & café supplies" in text
    assert re.search(r"Amount due\s+" + re.escape(row["outstanding"]), text)


@pytest.mark.slow
def test_statement_runs_over_pages_with_balances_and_aging(pdfs):
    pdf = pdfs["statement.docx"]
    text = pdf_text(pdf)
    assert (
        "Opening balance" in text
        and "Closing balance" in text
        and "takes account of $25.00 of payments" in " ".join(text.split())
    )
    for k in range(0, ROWS, 2):
        assert f"INV-{24001 + k}" in text
    assert "Over 90 days" in text and "1–30 days" in text
    assert STATEMENT_HEADER.search(pdf_text(pdf, page=2)), "the statement table's header is not repeated on page 2"


@pytest.mark.slow
def test_statement_lines_show_each_invoices_due_date_and_a_dispute(pdfs):
    text = pdf_text(pdfs["statement.docx"])
    for k in range(0, ROWS, 2):  # every invoice line: its due date on the same line as its number
        due = re.escape(short_day(30 + 3 * k))
        assert re.search(rf"INV-{24001 + k}\s+INV-{24001 + k}\s+{due}\s", text), k
    assert short_day(30 + 3 * 1) not in text  # a payment line has no due date
    assert text.count("Disputed") == 1
    assert re.search(rf"{re.escape(short_day(30 + 3 * 4))}\s[^\n]*\n[^\n]*Disputed", text)


@pytest.mark.slow
def test_plan_letters(pdfs):
    plan = pdf_text(pdfs["payment_plan.docx"])
    assert "PP-0042" in plan and "$8,750.00" in plan and "INV-24004" in plan
    assert "Down payment" in plan  # installment 0
    for caption in ("Signature", "Name", "Title", "Date"):  # one line each for the customer and the company
        assert re.search(rf"^\s*{caption}\s+{caption}\s*$", plan, re.M), caption
    assert "For the customer: " + CUSTOMER in " ".join(plan.split()) and f"For {COMPANY}" in plan
    missed = " ".join(pdf_text(pdfs["missed_installment.docx"]).split())
    assert "We have not yet received installment 3 of $1,250.00" in missed and "Missed" in missed
    assert "Of it, $250.00 has been received; $1,000.00 remains." in missed
    assert "Please pay this installment as soon as possible." in missed and "the plan ended" not in missed
    reminder = " ".join(pdf_text(pdfs["installment_reminder.docx"]).split())
    assert "installment 4 of $1,250.00 under your payment plan PP-0042 is due on December 27, 2026" in reminder
    assert "remains to pay" not in reminder  # nothing paid of it yet


@pytest.mark.slow
def test_claim_appeal_carries_what_a_redetermination_needs(pdfs):
    text = pdf_text(pdfs["claim_appeal.docx"])
    flat = " ".join(text.split())
    for value in (
        PATIENT,
        "1EG4-TE5-MK73",
        "2026-1127-0042",
        "ICN 22126000123450",
        "Northern Benefits & Health <Medicare Part B>",
        "99214",
        "93000",
        "September 2, 2026",
        "Payer says not medically necessary: send the physician's letter",
        "January 25, 2027",
        "Clinical justification",
        "Enclosures",
        "Medical records for the date of service",
        f"{COMPANY}, the provider of the services, on behalf of the beneficiary",
    ):
        assert value in flat, value
    assert [line.strip() for line in text.splitlines() if "N115" in line] == ["N115"]  # no meaning: bare
    assert "INV-" not in text  # no invoices or balances in a letter to the payer


@pytest.mark.slow
def test_preauth_request_names_patient_member_services_and_requester(pdfs):
    flat = " ".join(pdf_text(pdfs["preauth_request.docx"]).split())
    for value in (PATIENT, "1EG4-TE5-MK73", "99214", "Planned date of service September 2, 2026", "PA-77120"):
        assert value in flat, value
    assert "Clinical reason for the request" in flat and f"{COMPANY} requests prior authorization" in flat
    assert "INV-" not in flat and "birth" not in flat.casefold()


def test_footer_is_the_same_for_every_letter_and_names_no_customer(tmp_path):
    """The batch joins letters into one document, so their footers must be identical and customer-free."""
    footers = set()
    for name in variables.TEMPLATE_KINDS:
        path = render(name, tmp_path, None)
        with zipfile.ZipFile(path) as docx:
            parts = [n for n in docx.namelist() if re.match(r"word/(footer|header)\d*\.xml", n)]
            xml = b"".join(docx.read(n) for n in sorted(parts)).decode()
        assert "Johnson" not in xml and "NUMPAGES" not in xml and "PAGE" in xml
        footers.add(xml)
    assert len(footers) == 1


def _builder():
    """letter_templates/build_templates.py loaded as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location("build_letter_templates", TEMPLATES / "build_templates.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", list(variables.TEMPLATE_KINDS))
def test_property_elements_are_in_schema_order(name):
    """Word refuses ("unreadable content") a file whose pPr/tblPr/tcPr/sectPr children are out of order."""
    order = {qn(parent): [qn(t) for t in children] for parent, children in _builder().ORDER.items()}
    with zipfile.ZipFile(TEMPLATES / name) as docx:
        parts = [n for n in docx.namelist() if re.match(r"word/(document|styles|footer\d*|header\d*)\.xml$", n)]
        for part in parts:
            for parent in etree.fromstring(docx.read(part)).iter(*order):
                if parent.getparent() is not None and parent.getparent().tag == qn("w:pPrChange"):
                    continue
                positions = [order[parent.tag].index(child.tag) for child in parent]
                assert positions == sorted(positions), f"{part}: {etree.QName(parent).localname} children out of order"


@pytest.mark.parametrize("name", list(variables.TEMPLATE_KINDS))
def test_every_tag_is_whole_in_one_run(name):
    """docxtpl can only read a tag that Word has not split across runs; the build writes each tag as one run."""
    with zipfile.ZipFile(TEMPLATES / name) as docx:
        for part in (n for n in docx.namelist() if re.match(r"word/(document|footer\d*|header\d*)\.xml$", n)):
            for text in etree.fromstring(docx.read(part)).iter(qn("w:t")):
                value = text.text or ""
                tags = re.findall(r"\{\{.*?\}\}|\{%.*?%\}", value)
                rest = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", value)
                assert not any(mark in rest for mark in ("{{", "}}", "{%", "%}")), f"{part}: broken tag in {value!r}"
                assert not tags or value in tags, f"{part}: a tag shares its run with text: {value!r}"


def test_statement_leaves_out_a_zero_unapplied_credit(tmp_path):
    def no_credit(context: dict) -> None:
        context["statement"]["unapplied_credit"] = "$0.00"

    with_credit = Document(render("statement.docx", tmp_path, None, save_as="a.docx"))
    without = Document(render("statement.docx", tmp_path, None, no_credit, save_as="b.docx"))
    assert "not yet applied" in "\n".join(p.text for p in with_credit.paragraphs)
    assert "not yet applied" not in "\n".join(p.text for p in without.paragraphs)
