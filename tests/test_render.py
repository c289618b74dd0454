"""Rendering letters: sandboxed, escaped everywhere, equal to docxtpl's own render; template checks;
file names; the master document cut back into letters; locale formatting."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docxtpl import DocxTemplate
from lxml import etree

from billing_addin.cli import app as cli
from billing_addin.documents import names
from billing_addin.documents.formatting import date, locale_for, money, short_date
from billing_addin.documents.pdf import LibreOfficeEngine, find_soffice
from billing_addin.documents.render import DocxRenderer, RenderError, sandboxed_env
from billing_addin.documents.sample import sample_context
from billing_addin.documents.templates import SHIPPED, check_templates
from billing_addin.documents.variables import TEMPLATE_KINDS

HOSTILE = "Johnson & Sons <Ltd>"
PAYLOADS = (
    "{{ cycler.__init__.__globals__.os.popen('touch MARK').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ customer.name.__class__.__base__.__subclasses__() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ lipsum.__globals__['os'].popen('touch MARK').read() }}",
)


def template_with(tmp_path: Path, where: str, text: str, name: str = "custom.docx") -> Path:
    """A small letter template with `text` in the body, header, footer or document title."""
    d = docx.Document()
    d.add_paragraph("Dear {{ customer.name }},")
    d.sections[0].header.paragraphs[0].text = "{{ company.name }}"
    d.sections[0].footer.paragraphs[0].text = "{{ company.phone }}"
    if where == "body":
        d.add_paragraph(text)
    elif where == "header":
        d.sections[0].header.add_paragraph(text)
    elif where == "footer":
        d.sections[0].footer.add_paragraph(text)
    elif where == "properties":
        d.core_properties.title = text
    path = tmp_path / name
    d.save(path)
    return path


def c14n(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data), method="c14n")


# --- sandbox and escaping ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["body", "header", "footer", "properties"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_template_injection_never_runs(tmp_path, monkeypatch, where, payload):
    monkeypatch.chdir(tmp_path)
    path = template_with(tmp_path, where, payload)
    with pytest.raises(RenderError):
        DocxRenderer(path).render(sample_context("dunning"))
    assert not (tmp_path / "MARK").exists()
    problems = check_templates(path)
    assert {f.code for f in problems} & {"unsafe-tag", "unknown-variable", "render-failed"}, problems


@pytest.mark.parametrize("where", ["body", "header", "footer", "properties"])
def test_names_with_xml_characters_come_out_exactly_everywhere(tmp_path, where):
    path = template_with(tmp_path, where, "To {{ customer.name }} / {{ customer.contact }}")
    ctx = sample_context("dunning")
    ctx["customer"] = {**ctx["customer"], "name": HOSTILE, "contact": "Café Müller O'Brien"}
    out = docx.Document(io.BytesIO(DocxRenderer(path).render(ctx).docx))
    expected = f"To {HOSTILE} / Café Müller O'Brien"
    found = {
        "body": [p.text for p in out.paragraphs],
        "header": [p.text for p in out.sections[0].header.paragraphs],
        "footer": [p.text for p in out.sections[0].footer.paragraphs],
        "properties": [out.core_properties.title],
    }[where]
    assert expected in found
    assert f"Dear {HOSTILE}," in [p.text for p in out.paragraphs]


@pytest.mark.parametrize("name", sorted(TEMPLATE_KINDS))
def test_fast_render_equals_docxtpls_own(name):
    """The renderer prepares templates once; the letter must be what docxtpl's render + save gives."""
    ctx = sample_context(TEMPLATE_KINDS[name], invoices=12)
    ours = zipfile.ZipFile(io.BytesIO(DocxRenderer(SHIPPED / name).render(ctx).docx))
    tpl = DocxTemplate(str(SHIPPED / name))
    tpl.render(ctx, jinja_env=sandboxed_env())
    buffer = io.BytesIO()
    tpl.save(buffer)
    theirs = zipfile.ZipFile(buffer)
    assert sorted(ours.namelist()) == sorted(theirs.namelist())
    for part in theirs.namelist():
        if part.endswith(".xml") and part != "docProps/core.xml":  # docxtpl escapes properties twice
            assert c14n(ours.read(part)) == c14n(theirs.read(part)), part
        elif not part.endswith(".xml") and not part.endswith(".rels"):
            assert ours.read(part) == theirs.read(part), part


def test_a_misspelt_variable_is_an_error_not_a_blank(tmp_path):
    path = template_with(tmp_path, "body", "Total {{ totals.totl }}")
    with pytest.raises(RenderError, match="totl"):
        DocxRenderer(path).render(sample_context("dunning"))


def test_logo_goes_on_the_letterhead(tmp_path):
    logo = tmp_path / "logo.png"
    # A 1x1 PNG: the smallest valid picture.
    logo.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e4f0a30000000049454e44ae426082"
        )
    )
    letter = DocxRenderer(SHIPPED / "reminder.docx", logo=logo).render(sample_context("dunning"))
    z = zipfile.ZipFile(io.BytesIO(letter.docx))
    media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert media and z.read(media[0]) == logo.read_bytes()
    assert b"<w:drawing>" in z.read("word/document.xml")


# --- templates check ---------------------------------------------------------------------------------------


def test_shipped_templates_are_clean():
    assert check_templates(SHIPPED) == []


def _paragraphs_template(tmp_path: Path, *paragraphs: str) -> Path:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    path = tmp_path / "reminder.docx"
    d.save(path)
    return path


@pytest.mark.parametrize(
    "paragraphs, code, words",
    [
        (("Dear {{ customer.name", "}}"), "split-tag", "customer.name"),
        (("{% if letter.kind == \u2018dunning\u2019 %}x{% endif %}",), "curly-quotes", "quotes"),
        (("{{ customer.fax }}",), "unknown-field", "customer.fax"),
        (("{{ weather }}",), "unknown-variable", "weather"),
        (("{% for i in invoices %}{{ i.amout }}{% endfor %}",), "unknown-field", "amout"),
        (("{{ customer.name | }}",), "broken-tag", "cannot be read"),
        (("{{ customer.__class__ }}",), "unsafe-tag", "internals"),
    ],
)
def test_templates_check_names_the_problem_and_the_text_around_it(tmp_path, paragraphs, code, words):
    path = _paragraphs_template(tmp_path, *paragraphs)
    found = check_templates(path)
    assert {f.code for f in found} == {code}, found
    assert any(words in f.message for f in found) and all("reminder.docx" in f.sheet for f in found)


def test_templates_check_on_the_command_line(tmp_path, capsys):
    assert cli.main(["templates", "check"]) == 0
    assert "no problems" in capsys.readouterr().out
    bad = _paragraphs_template(tmp_path, "Dear {{ customer.name", "}}")
    assert cli.main(["templates", "check", str(bad)]) == 1
    text = capsys.readouterr().out
    assert "not closed" in text and "Dear {{ customer.name" in text


# --- file names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("dunning_C001_2026-11-27", "dunning_C001_2026-11-27"),
        ("../../etc/passwd", "etc_passwd"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("CON", "_CON"),
        ("lpt1.final", "_lpt1.final"),
        ("...", "letter"),
        ("Café Müller", "Café_Müller"),
        ("x" * 300, "x" * names.MAX_STEM),
    ],
)
def test_file_names_are_always_safe(raw, expected):
    assert names.safe_stem(raw) == expected


def test_file_name_pattern_errors_say_what_to_use():
    with pytest.raises(names.PatternError, match=r"\{customer_name\}"):
        names.check_pattern("{kind}_{nmae}")
    with pytest.raises(names.PatternError, match="no placeholder"):
        names.check_pattern("letter")
    names.check_pattern(names.DEFAULT_PATTERN)
    assert names.letter_stem("{kind}/{customer_id}", kind="dunning", customer_id="../C1") == "dunning_C1"


def test_names_never_repeat_or_overwrite():
    book = names.NameBook({"dunning_C1_2026-11-27"})
    assert book.claim("dunning_C1_2026-11-27") == "dunning_C1_2026-11-27_2"
    assert book.claim("dunning_C1_2026-11-27") == "dunning_C1_2026-11-27_3"
    assert book.claim("Dunning_C2") == "Dunning_C2"
    assert book.claim("dunning_c2") == "dunning_c2_2"  # case-insensitive file systems


# --- the master document -----------------------------------------------------------------------------------


@pytest.mark.skipif(find_soffice() is None or shutil.which("pdftotext") is None, reason="needs LibreOffice and poppler")
def test_master_document_is_cut_back_into_its_letters_each_numbered_from_one(tmp_path):
    import subprocess

    renderer = DocxRenderer(SHIPPED / "reminder.docx")
    sizes = (1, 80, 40)  # invoices: a one-page letter, a long one, a middle one
    letters = []
    for i, n in enumerate(sizes):
        ctx = sample_context("dunning", invoices=n)
        ctx["customer"] = {**ctx["customer"], "name": f"Customer Number {i}"}
        letters.append(renderer.render(ctx))
    engine = LibreOfficeEngine(find_soffice())
    try:
        pdfs = engine.convert(letters, 0)
    finally:
        engine.close()
    pages = []
    for i, data in enumerate(pdfs):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        assert f"Customer Number {i}" in text
        assert not [j for j in range(3) if j != i and f"Customer Number {j}" in text]
        pages.append(text.count("\f"))
        first_page = text.split("\f")[0]
        assert "Page 1" in first_page
    assert pages[0] == 1 and pages[1] > pages[2] > 1


def test_a_letter_that_ends_with_a_table_keeps_it_in_its_own_section(tmp_path):
    """The batch puts each letter's section break in its last paragraph: a letter ending with a table (a
    signature block) must keep the table, not hand it to the next letter."""
    from billing_addin.documents.pdf import master_document

    d = docx.Document()
    d.add_paragraph("Dear {{ customer.name }},")
    d.add_table(rows=1, cols=1).cell(0, 0).text = "Signed for {{ customer.name }}"
    path = tmp_path / "ends_with_a_table.docx"
    d.save(path)
    renderer = DocxRenderer(path)
    base = sample_context("dunning")
    letters = [renderer.render({**base, "customer": {**base["customer"], "name": f"Customer {i}"}}) for i in range(2)]
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(master_document(letters))).read("word/document.xml"))
    sections: list[str] = [""]
    for child in body.find(w + "body"):
        sections[-1] += "".join(child.itertext())
        if child.find(f"{w}pPr/{w}sectPr") is not None:  # a paragraph that ends a section
            sections.append("")
    assert sections[:2] == ["Dear Customer 0,Signed for Customer 0", "Dear Customer 1,Signed for Customer 1"]


# --- locale --------------------------------------------------------------------------------------------------


def test_money_and_dates_follow_the_books_locale():
    de, us = locale_for("de_DE"), locale_for("en-US")
    assert money(123456789, "EUR", de) == "1.234.567,89\xa0€"
    assert money(-5, "USD", us) == "-$0.05"
    assert date(dt.date(2026, 11, 27), de) == "27. November 2026"
    assert short_date(dt.date(2026, 11, 27), us) == "Nov 27, 2026"
    assert locale_for("xx_nonsense") == locale_for("en_US")
