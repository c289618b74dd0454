"""The letter batch end to end on real workbooks: DOCX from the shipped templates, PDF from real LibreOffice,
text read back with pdftotext, the Letters log read back from the .xlsx."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from billing_addin.cli import app as cli
from billing_addin.commands.letters import make_letters
from billing_addin.core.ledger import build_ledger
from billing_addin.documents.formatting import locale_for, money
from billing_addin.documents.pdf import LibreOfficeEngine, PdfError, run_killable
from billing_addin.workbook.demo_book import build_demo_book
from billing_addin.workbook.reader import read_book

AS_OF = dt.date(2026, 11, 27)
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("BILLING_TEST_ARTIFACTS", REPO / "test-artifacts"))
needs_lo = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def run_cli(*args: str, capsys=None) -> tuple[int, dict | None]:
    code = cli.main([str(a) for a in args])
    data = None
    if capsys is not None:
        text = capsys.readouterr().out
        data = json.loads(text.strip().splitlines()[-1]) if "--json" in args else None
    return code, data


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory) -> Path:
    """The demo workbook, its mistakes fixed and its late fees posted (so letters carry fees), as `make demo`
    leaves it."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "book.xlsx"
    build_demo_book(path, AS_OF, mistakes=False)
    assert cli.main(["fees", str(path), "--as-of", AS_OF.isoformat(), "--post"]) == 0
    return path


def fresh_copy(book: Path, tmp_path: Path) -> Path:
    target = tmp_path / "billing.xlsx"
    shutil.copy(book, target)
    return target


@pytest.fixture(scope="module")
def dunning_run(demo_book, tmp_path_factory):
    """One real batch: dunning letters with PDFs, a print file and e-mail drafts."""
    folder = tmp_path_factory.mktemp("run")
    book = folder / "billing.xlsx"
    shutil.copy(demo_book, book)
    before = read_book(book)
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    result = make_letters(read_book(book), book, AS_OF, print_file=True, email_drafts=True)
    from billing_addin.workbook.writer import apply_patch

    apply_patch(book, result.patch)
    return book, before, result


# --- the letters themselves --------------------------------------------------------------------------------


@needs_lo
@needs_poppler
def test_every_letter_names_its_customer_its_invoices_and_amounts_and_nothing_of_another(dunning_run):
    book, before, result = dunning_run
    ledger = build_ledger(before, AS_OF)
    loc = locale_for("en_US")
    names = {
        cid.casefold(): name
        for cid, name in zip(
            before.sheet("Customers").columns["Customer ID"], before.sheet("Customers").columns["Name"]
        )
    }
    letters = result.data["letters"]
    assert len(letters) >= 10
    all_invoices = {no for x in letters for no in x["invoices"]}
    for x in letters:
        text = pdftext(Path(x["pdf"]))
        flat = " ".join(text.split())
        assert names[x["customer_id"].casefold()] in flat, x["customer_id"]
        invoices = [ledger.invoices[no] for no in x["invoices"]]
        for inv in invoices:
            assert re.search(rf"\b{re.escape(inv.invoice_no)}\b", text)
            assert money(inv.principal_outstanding, inv.currency, loc) in text
        total = sum(inv.outstanding for inv in invoices)
        assert money(total, invoices[0].currency, loc) in text
        for other in all_invoices - set(x["invoices"]):
            assert not re.search(rf"\b{re.escape(other)}\b", text), f"{other} leaked into {x['customer_id']}'s letter"
        others = [
            n
            for cid, n in names.items()
            if cid != x["customer_id"].casefold() and n not in names[x["customer_id"].casefold()]
        ]
        assert not [n for n in others if n in flat]


@needs_lo
@needs_poppler
def test_names_that_break_naive_code_come_out_exactly(dunning_run):
    _, before, result = dunning_run
    texts = {x["customer_id"]: " ".join(pdftext(Path(x["pdf"])).split()) for x in result.data["letters"]}
    joined = " ".join(texts.values())
    for name in ("Johnson & Sons <Ltd>", "O'Brien Plumbing", "Café Müller"):
        assert name in joined


@needs_lo
def test_the_log_has_one_row_per_letter_with_the_pdfs_hash(dunning_run):
    book, _, result = dunning_run
    ws = openpyxl.load_workbook(book, read_only=True)["Letters"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:10] == (
        "Made At",
        "As-of Date",
        "Kind",
        "Level",
        "Customer ID",
        "Invoices",
        "DOCX",
        "PDF",
        "PDF SHA256",
        "Status",
    )
    assert len(rows) - 1 == len(result.data["letters"])
    for row in rows[1:]:
        record = dict(zip(header, row))
        pdf = book.parent / record["PDF"]
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == record["PDF SHA256"]
        assert (book.parent / record["DOCX"]).is_file()
        assert record["Status"] == "made" and record["Kind"] == "dunning" and record["Level"] == 1
        assert not Path(record["PDF"]).is_absolute()


@needs_lo
def test_file_names_carry_no_customer_name(dunning_run):
    _, before, result = dunning_run
    names = [n for n in before.sheet("Customers").columns["Name"] if n]
    for x in result.data["letters"]:
        stem = Path(x["pdf"]).stem
        assert stem == f"dunning_{x['customer_id']}_{AS_OF.isoformat()}"
        assert not any(n.split()[0] in stem for n in names)


@needs_lo
def test_print_file_holds_every_letter_in_order(dunning_run):
    _, _, result = dunning_run
    from pypdf import PdfReader

    combined = PdfReader(result.data["print_file"])
    pages = [pdf_pages(Path(x["pdf"])) for x in result.data["letters"]]
    assert len(combined.pages) == sum(pages)
    first_of_second = pages[0]
    second = result.data["letters"][1]["customer_id"]
    assert second in combined.pages[first_of_second].extract_text()


@needs_lo
def test_email_drafts_carry_the_pdf_and_open_as_drafts(dunning_run):
    _, before, result = dunning_run
    sd = before.sheet("Customers")
    with_address = {c for c, e in zip(sd.columns["Customer ID"], sd.columns["Email"]) if e and "@" in e}
    drafts = [x for x in result.data["letters"] if x["email"]]
    assert [x["customer_id"] for x in drafts] == [
        x["customer_id"] for x in result.data["letters"] if x["customer_id"] in with_address
    ]
    if len(drafts) < len(result.data["letters"]):  # the demo plants an e-mail address without @
        assert any(f.code in ("no-email-address", "draft-failed") for f in result.findings)
    for x in drafts[:5]:
        msg = email.message_from_bytes(Path(x["email"]).read_bytes(), policy=email.policy.default)
        assert msg["X-Unsent"] == "1"
        (attachment,) = list(msg.iter_attachments())
        assert attachment.get_content() == Path(x["pdf"]).read_bytes()
        assert x["customer_id"] in msg["Subject"] or x["customer_id"] in msg.get_body(("plain",)).get_content()


@needs_lo
@needs_poppler
def test_page_one_as_png_for_a_person_to_look_at(dunning_run):
    _, _, result = dunning_run
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first = Path(result.data["letters"][0]["pdf"])
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(first),
            str(ARTIFACTS / "dunning_letter_page1"),
        ],
        check=True,
    )
    png = ARTIFACTS / "dunning_letter_page1.png"
    assert png.stat().st_size > 10_000  # a page with text on it, not a blank


# --- the log keeps letters from going out twice ----------------------------------------------------------


@needs_lo
def test_the_same_batch_again_makes_nothing_and_again_makes_new_files(dunning_run, tmp_path, capsys):
    book, _, result = dunning_run
    copy = tmp_path / "billing.xlsx"
    shutil.copy(book, copy)
    out = tmp_path / "letters"
    code, data = run_cli("letters", copy, "--as-of", AS_OF, "--out", out, "--no-pdf", "--json", capsys=capsys)
    assert code == 0 and data["letters"] == []
    skipped = {s["customer_id"] for s in data["skipped"]}
    assert {x["customer_id"] for x in result.data["letters"]} <= skipped
    again = ("--again", "--customers", result.data["letters"][0]["customer_id"])
    code, data = run_cli("letters", copy, "--as-of", AS_OF, "--out", out, "--no-pdf", *again, "--json", capsys=capsys)
    assert code == 0 and len(data["letters"]) == 1
    _, second = run_cli("letters", copy, "--as-of", AS_OF, "--out", out, "--no-pdf", *again, "--json", capsys=capsys)
    assert Path(second["letters"][0]["docx"]).name.endswith("_2.docx")  # never over an earlier letter
    assert Path(data["letters"][0]["docx"]).is_file()


def test_dunning_moves_to_level_two_after_the_wait(demo_book, tmp_path, capsys):
    book = fresh_copy(demo_book, tmp_path)
    code, first = run_cli("letters", book, "--as-of", AS_OF, "--no-pdf", "--json", capsys=capsys)
    assert code == 0 and {x["level"] for x in first["letters"]} == {1}
    later = AS_OF + dt.timedelta(days=15)
    code, second = run_cli("letters", book, "--as-of", later, "--no-pdf", "--json", capsys=capsys)
    assert code == 0
    levels = {x["customer_id"]: x["level"] for x in second["letters"]}
    had_one = {x["customer_id"] for x in first["letters"]}
    assert {c for c, lv in levels.items() if lv == 2} and all(levels[c] == 2 for c in had_one if c in levels)
    assert all(c not in had_one for c, lv in levels.items() if lv == 1)  # first reminders only for newcomers


# --- selections and kinds ----------------------------------------------------------------------------------


def test_invoices_for_selected_rows(demo_book, tmp_path, capsys):
    book = fresh_copy(demo_book, tmp_path)
    sd = read_book(book).sheet("Invoices")
    rows = sd.rows[4:7]
    code, data = run_cli(
        "letters",
        book,
        "--as-of",
        AS_OF,
        "--kind",
        "invoice",
        "--rows",
        f"{rows[0]}-{rows[-1]}",
        "--no-pdf",
        "--json",
        capsys=capsys,
    )
    assert code == 0
    expected = [sd.columns["Invoice No"][sd.rows.index(r)] for r in rows]
    assert [x["invoices"][0] for x in data["letters"]] == expected
    from docx import Document

    text = "\n".join(p.text for p in Document(data["letters"][0]["docx"]).paragraphs)
    tables = "\n".join(c.text for t in Document(data["letters"][0]["docx"]).tables for r in t.rows for c in r.cells)
    assert expected[0] in text + tables


def test_statement_for_a_customer_shows_opening_lines_and_closing(demo_book, tmp_path, capsys):
    book = fresh_copy(demo_book, tmp_path)
    from billing_addin.core.statements import statements

    cid = read_book(book).sheet("Customers").columns["Customer ID"][0]
    code, data = run_cli(
        "letters",
        book,
        "--as-of",
        AS_OF,
        "--kind",
        "statement",
        "--customers",
        cid,
        "--no-pdf",
        "--json",
        capsys=capsys,
    )
    assert code == 0 and len(data["letters"]) == 1
    st = statements(read_book(book), cid, dt.date(2026, 9, 1), AS_OF)[0]
    from docx import Document

    doc = Document(data["letters"][0]["docx"])
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    body = "\n".join(p.text for p in doc.paragraphs) + "\n".join(cells)
    loc = locale_for("en_US")
    assert money(st.closing, st.currency, loc) in body
    assert money(st.opening, st.currency, loc) in body
    for line in st.lines:
        assert line.reference in body


def test_a_book_without_denied_claims_or_plans_has_no_appeal_or_plan_letters(demo_book, tmp_path, capsys):
    book = fresh_copy(demo_book, tmp_path)
    code, data = run_cli("letters", book, "--as-of", AS_OF, "--kind", "appeal", "--no-pdf", "--json", capsys=capsys)
    assert code == 0 and data["letters"] == [] and not data["findings"]  # tests/test_claim_letters.py: with claims
    code, data = run_cli("letters", book, "--as-of", AS_OF, "--kind", "plan", "--no-pdf", "--json", capsys=capsys)
    assert code == 0 and data["letters"] == [] and not data["findings"]


def test_without_a_pdf_engine_the_word_files_are_still_made_and_logged(demo_book, tmp_path, capsys):
    book = fresh_copy(demo_book, tmp_path)
    code, data = run_cli(
        "letters", book, "--as-of", AS_OF, "--no-pdf", "--customers", "C1001,C1002", "--json", capsys=capsys
    )
    assert code == 0 and len(data["letters"]) == 2
    assert all(x["pdf"] is None and Path(x["docx"]).is_file() for x in data["letters"])
    log = list(openpyxl.load_workbook(book, read_only=True)["Letters"].iter_rows(values_only=True))
    assert len(log) == 3 and log[1][7] in (None, "")


def test_a_broken_template_is_refused_before_any_letter(demo_book, tmp_path, capsys):
    book = fresh_copy(demo_book, tmp_path)
    mine = tmp_path / "my templates"
    shutil.copytree(REPO / "letter_templates", mine)
    from docx import Document

    doc = Document(mine / "reminder.docx")
    doc.add_paragraph("Dear {{ customer.nmae }}")
    doc.save(mine / "reminder.docx")
    _set_setting(book, "Templates Folder", "my templates")
    out = tmp_path / "out"
    code, data = run_cli("letters", book, "--as-of", AS_OF, "--out", out, "--json", capsys=capsys)
    assert code == 1
    (finding,) = [f for f in data["findings"] if f["code"] == "unknown-field"]
    assert "customer.nmae" in finding["message"] and "reminder.docx" in finding["sheet"]
    assert not out.exists() or not list(out.iterdir())


def _set_setting(book: Path, name: str, value: str) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb["Settings"]
    for row in ws.iter_rows():
        if row[0].value == name:
            row[1].value = value
            break
    else:
        ws.append([name, value])
    wb.save(book)


def test_the_book_open_in_excel_refuses_before_making_letters(demo_book, tmp_path, capsys):
    book = fresh_copy(demo_book, tmp_path)
    (tmp_path / f"~${book.name}").write_bytes(b"owner")
    out = tmp_path / "out"
    code, _ = run_cli("letters", book, "--as-of", AS_OF, "--out", out, capsys=capsys)
    assert code == 3 and not out.exists()


# --- PDF lanes: hung converters and Ctrl-C -----------------------------------------------------------------


def test_a_hung_converter_is_killed_and_reported(tmp_path):
    started = time.monotonic()
    with pytest.raises(PdfError, match="hung"):
        run_killable([sys.executable, "-c", "import time; time.sleep(60)"], 1.0, "2 letter(s)")
    assert time.monotonic() - started < 10


def _fake_soffice(tmp_path: Path, behaviour: str) -> Path:
    """A stand-in `soffice` on PATH: 'hang' sleeps forever; 'first' runs the real one on its first call only."""
    real = shutil.which("soffice") or "soffice"
    script = tmp_path / "bin" / "soffice"
    script.parent.mkdir()
    counter = tmp_path / "calls"
    if behaviour == "hang":
        body = "exec sleep 600\n"
    else:
        body = f'n=$(cat "{counter}" 2>/dev/null || echo 0); echo $((n+1)) > "{counter}"\nif [ "$n" = 0 ]; then exec "{real}" "$@"; fi\nexec sleep 600\n'
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def test_letters_whose_pdf_hangs_are_not_made_and_the_rest_is_kept(demo_book, tmp_path):
    book = fresh_copy(demo_book, tmp_path)
    engine = LibreOfficeEngine(str(_fake_soffice(tmp_path, "hang")), timeout_s=1, per_letter_s=0)
    out = tmp_path / "out"
    result = make_letters(read_book(book), book, AS_OF, customers=["C1001", "C1002"], out_dir=out, engine=engine)
    assert result.counts["letters"] == 0 and result.patch.is_empty
    assert any(f.code == "pdf-failed" and "hung" in f.message for f in result.findings)
    assert not [p for p in out.iterdir()]  # no DOCX left without its PDF, no temporary files
    assert not _processes_named("sleep 600")


def _processes_named(text: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if text in line and "ps -eo" not in line]


@pytest.mark.slow
@needs_lo
def test_ctrl_c_keeps_and_logs_the_finished_letters_and_removes_the_rest(demo_book, tmp_path):
    book = fresh_copy(demo_book, tmp_path)
    fake = _fake_soffice(tmp_path, "first")
    out = tmp_path / "out"
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "billing_addin", "letters", str(book), "--as-of", AS_OF.isoformat(), "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("*.pdf")):
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr.decode()
    pdfs, docx = sorted(out.glob("*.pdf")), sorted(out.glob("*.docx"))
    assert pdfs and [p.stem for p in pdfs] == [p.stem for p in docx]  # every letter kept has both files
    assert not list(out.glob(".~*"))
    log = list(openpyxl.load_workbook(book, read_only=True)["Letters"].iter_rows(values_only=True))[1:]
    assert sorted(Path(r[7]).stem for r in log) == [p.stem for p in pdfs]
    assert not _processes_named("sleep 600")


def test_no_pdf_engine_found_still_makes_word_files_and_says_how_to_get_pdfs(demo_book, tmp_path, monkeypatch):
    book = fresh_copy(demo_book, tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # neither soffice nor Word anywhere
    result = make_letters(read_book(book), book, AS_OF, customers=["C1001"], out_dir=tmp_path / "out")
    (warning,) = [f for f in result.findings if f.code == "no-pdf-engine"]
    assert "LibreOffice" in warning.hint
    assert result.counts["letters"] == 1 and result.counts["pdf"] == 0
    assert Path(result.data["letters"][0]["docx"]).is_file()


@needs_lo
def test_letters_with_email_drafts_then_billing_send_through_a_real_smtp_server(demo_book, tmp_path, capsys):
    """The whole chain a clerk runs: letters with drafts, then `billing send` to a server on loopback."""
    from tests.test_mail import start_server

    book = fresh_copy(demo_book, tmp_path)
    controller, handler, port = start_server()
    try:
        for name, value in (("SMTP Host", "127.0.0.1"), ("SMTP Port", port), ("SMTP STARTTLS", "No")):
            _set_setting(book, name, value)
        code, made = run_cli(
            "letters", book, "--as-of", AS_OF, "--customers", "C1001,C1002", "--email-drafts", "--json", capsys=capsys
        )
        assert code == 0 and made["counts"]["drafts"] == 2
        assert cli.main(["send", str(book)]) == 0
        capsys.readouterr()
        delivered = handler.parsed()
        assert len(delivered) == 2
        pdfs = {Path(x["pdf"]).name: Path(x["pdf"]).read_bytes() for x in made["letters"]}
        for msg in delivered:
            (attachment,) = list(msg.iter_attachments())
            assert pdfs[attachment.get_filename()] == attachment.get_content()
            assert "X-Unsent" not in msg
        log = list(openpyxl.load_workbook(book, read_only=True)["Letters"].iter_rows(values_only=True))[1:]
        assert [r[9] for r in log] == ["sent", "sent"]
    finally:
        controller.stop()


def test_customers_whose_rows_have_errors_are_held_back_and_the_rest_get_their_letters(tmp_path, capsys):
    from conftest import customers_of_error_cells

    book = tmp_path / "billing.xlsx"
    build_demo_book(book, AS_OF)  # with its five planted mistakes, each on one customer's row
    out = tmp_path / "out"
    code, data = run_cli("letters", book, "--as-of", AS_OF, "--out", out, "--no-pdf", "--json", capsys=capsys)
    assert code == 1  # the errors are still reported
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert {"sheet": "Invoices", "cell": "E59"}.items() <= next(f for f in errors if f["cell"] == "E59").items()
    assert "letters-held-back" in [f["code"] for f in data["findings"]]
    concerned = customers_of_error_cells(book, errors)
    held = {s["customer_id"]: s["reason"] for s in data["skipped"] if s["reason"].startswith("held back")}
    made = {x["customer_id"] for x in data["letters"]}
    assert held and made and set(held) <= concerned and not made & concerned
    some_cell = re.compile(r"held back: (Customers|Invoices|Payments)![A-Z]+\d+ has an error")
    assert all(some_cell.match(reason) for reason in held.values())
    log = list(openpyxl.load_workbook(book, read_only=True)["Letters"].iter_rows(values_only=True))
    assert {r[log[0].index("Customer ID")] for r in log[1:]} == made  # held-back letters are made after the fix


def test_an_error_no_one_customer_owns_stops_every_letter(tmp_path, capsys):
    book = tmp_path / "billing.xlsx"
    build_demo_book(book, AS_OF, mistakes=False)
    wb = openpyxl.load_workbook(book)
    wb["Payments"]["B5"] = "NOBODY"  # a payment whose customer cannot be told: it may be anyone's money
    wb.save(book)
    out = tmp_path / "out"
    code, data = run_cli("letters", book, "--as-of", AS_OF, "--out", out, "--no-pdf", "--json", capsys=capsys)
    assert code == 1
    codes = [f["code"] for f in data["findings"]]
    assert "letters-not-made" in codes and "unknown-customer" in codes
    assert {"sheet": "Payments", "cell": "B5"}.items() <= next(f for f in data["findings"] if f["cell"] == "B5").items()
    assert not data["letters"] and not out.exists() and "Letters" not in read_book(book).sheet_titles


# --- as of an earlier date ----------------------------------------------------------------------------------


def test_a_customer_who_paid_since_an_earlier_as_of_date_is_held_back(tmp_path, capsys):
    """A month-end run made after the fact: the letters go out today, so a customer who has paid since the
    as-of date gets none (with the reason and the payment's cell); everyone else gets theirs."""
    import time_machine

    from billing_addin.core.schema import PAYMENTS
    from billing_addin.workbook.demo_book import generate
    from billing_addin.workbook.template import build_template

    data = generate(AS_OF, mistakes=False)
    path = tmp_path / "book.xlsx"
    build_template(path, data.rows, data.settings)
    code, before = run_cli("dunning", path, "--as-of", AS_OF, "--json", capsys=capsys)
    payer = before["letters"][0]["customer_id"]
    header = [f.name for f in PAYMENTS.fields]
    row = dict.fromkeys(header)
    row.update({"Payment ID": "P-LATE", "Customer ID": payer, "Payment Date": AS_OF + dt.timedelta(days=3)})
    row.update({"Amount": 10.0, "Method": "Check"})
    data.rows["Payments"].append([row[h] for h in header])
    path.unlink()
    build_template(path, data.rows, data.settings)
    with time_machine.travel(dt.datetime.combine(AS_OF + dt.timedelta(days=9), dt.time(9)), tick=False):
        code, made = run_cli("letters", path, "--as-of", AS_OF, "--no-pdf", "--json", capsys=capsys)
    assert code == 0
    assert {x["customer_id"] for x in made["letters"]} == {x["customer_id"] for x in before["letters"]} - {payer}
    reason = next(s["reason"] for s in made["skipped"] if s["customer_id"] == payer)
    late_row = read_book(path).sheet("Payments").rows[-1]  # the payment added last
    assert reason.startswith(f"held back: paid since {AS_OF} (Payments!C{late_row},") and "HELD" not in reason
