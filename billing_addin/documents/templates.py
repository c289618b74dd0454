"""`billing templates check`: find what would break a letter before any letter is made.

Clerks edit templates in Word, and Word splits `{{ tags }}` across paragraphs, turns quotes curly and
keeps typos. Each problem becomes a Finding that names the template, the part (body, header, footer,
document properties) and the text around the tag, so the clerk can find it in Word.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate
from jinja2 import meta, nodes

from billing_addin.core.findings import ERROR, Finding
from billing_addin.documents.render import TAG_MARK, DocxRenderer, RenderError, prepared_source, sandboxed_env
from billing_addin.documents.sample import sample_context
from billing_addin.documents.variables import BY_KIND, COMMON, INVOICE_ROW_KEYS, TEMPLATE_KINDS, known_names


def _shipped_folder() -> Path:
    """The letter templates that ship: at the top of a checkout, or inside the package once installed from a wheel."""
    checkout = Path(__file__).resolve().parents[2] / "letter_templates"
    return checkout if checkout.is_dir() else Path(__file__).resolve().parents[1] / "letter_templates"


SHIPPED = _shipped_folder()
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
CURLY = re.compile(r"[\u2018\u2019\u201c\u201d]")
UNSAFE = re.compile(r"__|\bmro\b|\bglobals\b|\bimport\b|\bos\.|\bsubclasses\b|\bbuiltins\b")
W_P = re.compile(r"<w:p[ >].*?</w:p>", re.S)
W_T = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>")


def kind_of(path: Path) -> str | None:
    """The letter kind a template serves, by its file name (None: a clerk's own, checked against all)."""
    return TEMPLATE_KINDS.get(path.name)


def check_templates(folder: Path) -> list[Finding]:
    """Every problem in the .docx templates of `folder` (or in one .docx file)."""
    folder = Path(folder)
    paths = [folder] if folder.suffix.lower() == ".docx" else sorted(folder.glob("*.docx"))
    if not paths:
        return [_finding(str(folder), "", "no-templates", "There are no .docx templates here.", "Check the path.")]
    findings: list[Finding] = []
    for path in paths:
        if path.name.startswith("~$"):  # Word's lock file while the template is open
            continue
        findings += check_template(path)
    return findings


def check_template(path: Path) -> list[Finding]:
    """Problems in one template: broken or split tags, curly quotes, unknown variables, unsafe code,
    and finally a trial render with sample values (which catches misspelt fields such as customer.nmae)."""
    name = path.name
    try:
        parts = _tagged_parts(path)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        return [
            _finding(
                name,
                "",
                "unreadable-template",
                f"Word cannot have saved this file ({e}).",
                "Save it again from Word as .docx.",
            )
        ]
    findings: list[Finding] = []
    for part, xml in parts:
        findings += _paragraph_problems(name, part, xml)
    if findings:
        return findings  # jinja would only repeat the same problem less clearly
    tpl = DocxTemplate(str(path))
    env = sandboxed_env()
    kind = kind_of(path)
    for part, xml in parts:
        source = prepared_source(tpl.patch_xml(xml))  # one paragraph per line: error lines point at paragraphs
        try:
            ast = env.parse(source)
        except jinja2.TemplateSyntaxError as e:
            findings.append(
                _finding(
                    name,
                    part,
                    "broken-tag",
                    f"A tag cannot be read: {e.message}. Around: “{_around(source, e.lineno)}”",
                    "Retype the tag in Word in one go, with its braces.",
                )
            )
            continue
        unknown = sorted(meta.find_undeclared_variables(ast) - known_names(kind))
        for var in unknown:
            line = next((n.lineno for n in ast.find_all(nodes.Name) if n.name == var), None)
            findings.append(
                _finding(
                    name,
                    part,
                    "unknown-variable",
                    f"“{var}” is not something a letter has. Around: “{_around(source, line)}”",
                    f"Use one of: {', '.join(sorted(known_names(kind)))}.",
                )
            )
        findings += _unknown_fields(name, part, ast, kind, source)
    if findings:
        return findings
    try:
        DocxRenderer(path).render(sample_context(kind or "dunning"))
    except RenderError as e:
        findings.append(
            _finding(name, "", "render-failed", str(e), "Fix the tag named; `billing templates check` again.")
        )
    return findings


def _tagged_parts(path: Path) -> list[tuple[str, str]]:
    """(part label, XML) of the parts docxtpl renders, those with tags only."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        wanted = ["word/document.xml"] + sorted(
            n for n in names if re.fullmatch(r"word/(header|footer)\d*\.xml|word/footnotes\.xml", n)
        )
        if "docProps/core.xml" in names:
            wanted.append("docProps/core.xml")
        out = []
        for n in wanted:
            xml = z.read(n).decode("utf-8")
            if TAG_MARK.search(_text_of(xml)) or TAG_MARK.search(xml):
                out.append((_label(n), xml))
    return out


def _label(part: str) -> str:
    if part == "word/document.xml":
        return "body"
    if part == "docProps/core.xml":
        return "document properties"
    return Path(part).stem  # header1, footer2, footnotes


def _text_of(xml: str) -> str:
    return "".join(W_T.findall(xml))


def _paragraph_problems(name: str, part: str, xml: str) -> list[Finding]:
    """Tags that Word split over paragraphs, left open, or filled with curly quotes or unsafe code."""
    out = []
    paragraphs = W_P.findall(xml) if part != "document properties" else [xml]
    for p in paragraphs:
        text = _text_of(p) if part != "document properties" else re.sub(r"<[^>]+>", " ", p)
        for opener, closer in (("{{", "}}"), ("{%", "%}")):
            if text.count(opener) != text.count(closer):
                out.append(
                    _finding(
                        name,
                        part,
                        "split-tag",
                        f"A tag is not closed in this paragraph: “{_short(text)}”",
                        f"Word may have split it; retype it so that each {opener} has its {closer} in the same paragraph.",
                    )
                )
                break
        for tag in TAG.findall(text):
            if CURLY.search(tag):
                out.append(
                    _finding(
                        name,
                        part,
                        "curly-quotes",
                        f"Word turned quotes curly inside {tag}",
                        "Retype the quotes as straight ' or \" (turn off AutoFormat's smart quotes while editing templates).",
                    )
                )
            if UNSAFE.search(tag):
                out.append(
                    _finding(
                        name,
                        part,
                        "unsafe-tag",
                        f"{tag} tries to reach Python's internals; letters never run such code.",
                        "Delete the tag; use only the variables `billing templates check` lists.",
                    )
                )
    return out


def _unknown_fields(name: str, part: str, ast: nodes.Template, kind: str | None, source: str) -> list[Finding]:
    """customer.nmae and the like: attribute names the variables do not have."""
    fields: dict[str, set[str]] = {"invoice": {*INVOICE_ROW_KEYS, "terms_days"}}
    for k, extra in BY_KIND.items():
        if kind is None or k == kind:
            for dotted in extra:
                parent, _, attr = dotted.partition(".")
                if attr:
                    fields.setdefault(parent, set()).add(attr)
    for dotted in COMMON:
        parent, _, attr = dotted.partition(".")
        if attr:
            fields.setdefault(parent, set()).add(attr)
    # Loop variables over invoices: {% for i in invoices %} ... {{ i.nmae }}
    for loop in ast.find_all(nodes.For):
        if isinstance(loop.iter, nodes.Name) and loop.iter.name == "invoices" and isinstance(loop.target, nodes.Name):
            fields.setdefault(loop.target.name, set(INVOICE_ROW_KEYS))
    seen, out = set(), []
    for node in ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name in fields:
            known = fields[node.node.name]
            dotted = f"{node.node.name}.{node.attr}"
            if node.attr not in known and dotted not in seen:
                seen.add(dotted)
                out.append(
                    _finding(
                        name,
                        part,
                        "unknown-field",
                        f"“{dotted}” is not something a letter has. Around: “{_around(source, node.lineno)}”",
                        f"Use one of: {', '.join(f'{node.node.name}.{a}' for a in sorted(known))}.",
                    )
                )
    return out


def _around(source: str, lineno: int | None) -> str:
    """The text of the paragraph on `lineno` of a prepared source, without its XML."""
    lines = source.splitlines()
    if not lineno or lineno > len(lines):
        return ""
    return _short(re.sub(r"<[^>]+>", "", lines[lineno - 1]))


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finding(template: str, part: str, code: str, message: str, hint: str) -> Finding:
    where = f"{template} ({part})" if part else template
    return Finding(ERROR, code, where, "", message, hint)
