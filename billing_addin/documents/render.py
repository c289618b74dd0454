"""Word letters from docxtpl templates, rendered in a sandbox, fast.

Every render goes through a jinja2 SandboxedEnvironment with autoescape on: a template cannot run code
(a clerk's template is not trusted with the machine), and `Johnson & Sons <Ltd>` stays valid XML.
StrictUndefined makes a misspelt variable an error instead of a silent blank in a letter that goes out.

docxtpl re-reads the .docx and recompiles the jinja of every part for every letter (~27 ms a letter).
`DocxRenderer` keeps one DocxTemplate, prepares each part's template text once with docxtpl's own
`patch_xml`, renders it with docxtpl's own `render_xml_part` and `fix_tables`, and zips the letter from
parts kept as bytes. The result is what `DocxTemplate.render` + `save` give (a test compares the two).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from billing_addin.workbook.xlsx.zip_package import ZipBuilder

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + W_NS + "}"
TAG_MARK = re.compile(r"\{[{%#]")
PARAGRAPH_BREAK = re.compile(r"\n<w:p([ >])")
LISTING_CHARS = re.compile("[\t\a\n\f]")
SECT_MARK = "<!--billing-section-break-->"  # where the master document puts this letter's section break
START_MARK = "<!--billing-letter-start-->"  # where it puts the bookmark that finds the letter's first page
CORE_PART = "docProps/core.xml"
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
LOGO_WIDTH = Mm(40)


class RenderError(Exception):
    """A template could not be filled for one letter; the message is for the clerk."""


class _CachingSandbox(SandboxedEnvironment):
    """docxtpl asks `from_string` for the same part text once per letter: compile each text once."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002 (jinja's own name)
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            template = self._compiled[source] = super().from_string(source)
        return template


def sandboxed_env() -> SandboxedEnvironment:
    """The only jinja environment letters are rendered with: sandboxed, autoescaped, strict, no globals
    (so `cycler`, `joiner`, `lipsum`, `namespace` and `range` are not there to be abused)."""
    env = _CachingSandbox(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals.clear()
    return env


@dataclass(frozen=True)
class RenderedLetter:
    docx: bytes  # the letter as a .docx file
    body: str  # its body's children as XML, with SECT_MARK where a section break may go (for the master)
    section: str  # its final section properties (page size, margins, header and footer references)
    group: str  # letters with the same group share every part but the body: one master document can hold them


class DocxRenderer:
    """One letter template, ready to fill many times.

    >>> r = DocxRenderer(Path("letter_templates/reminder.docx"))
    >>> letter = r.render(context)          # RenderedLetter; letter.docx is the file's bytes
    """

    def __init__(self, path: Path, logo: Path | None = None):
        self.path = Path(path)
        self.logo = logo
        self.env = sandboxed_env()
        data = self.path.read_bytes()
        self.tpl = DocxTemplate(io.BytesIO(data))
        self.tpl.render_init()
        document = self.tpl.docx.part
        xml = etree.tostring(document._element, encoding="unicode")
        start, end = xml.index("<w:body"), xml.rindex("</w:body>") + len("</w:body>")
        self._doc_head, self._doc_tail = xml[:start], xml[end:]
        self._body = prepared_source(self.tpl.patch_xml(self.tpl.get_xml()))
        # Headers, footers and footnotes that hold tags: (zip name, part, prepared text).
        self._parts = []
        for uri in (self.tpl.HEADER_URI, self.tpl.FOOTER_URI):
            for _key, part in self.tpl.get_headers_footers(uri):
                self._add_part(part)
        for rel in document.rels.values():
            if rel.reltype.endswith("/footnotes") and not rel.is_external:
                self._add_part(rel.target_part)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            core = z.read(CORE_PART).decode("utf-8") if CORE_PART in z.namelist() else ""
        self._core = core if TAG_MARK.search(core) else ""
        self._skeleton: _Skeleton | None = None
        self._skeleton_size = -1

    def _add_part(self, part) -> None:
        xml = self.tpl.get_part_xml(part)
        if TAG_MARK.search(xml):
            self._parts.append((str(part.partname).lstrip("/"), part, prepared_source(self.tpl.patch_xml(xml))))

    def _render_part(self, source: str, part, context: dict) -> str:
        """docxtpl's `render_xml_part` on a source prepared once (see `prepared_source`), with its listing pass
        (tabs, line and page breaks typed inside values) run only when a value holds such a character."""
        self.tpl.current_rendering_part = part  # where an InlineImage adds its picture
        xml = PARAGRAPH_BREAK.sub(r"<w:p\1", self.env.from_string(source).render(context))
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.tpl.resolve_listing(xml) if LISTING_CHARS.search(xml) else xml

    def render(self, context: dict) -> RenderedLetter:
        """Fill the template. Raises RenderError with the template's name and the cause."""
        context = dict(context)
        if self.logo is not None:
            company = dict(context.get("company", {}))
            company["logo"] = InlineImage(self.tpl, str(self.logo), width=LOGO_WIDTH)
            context["company"] = company
        try:
            body = self._render_part(self._body, self.tpl.docx.part, context)
            parts = {
                name: (XML_DECLARATION + self._render_part(src, part, context)).encode("utf-8")
                for name, part, src in self._parts
            }
            if self._core:
                parts[CORE_PART] = self.env.from_string(self._core).render(context).encode("utf-8")
        except jinja2.exceptions.SecurityError as e:
            raise RenderError(f"{self.path.name}: the template tried something unsafe ({e}); nothing was run.") from e
        except jinja2.TemplateError as e:
            raise RenderError(f"{self.path.name}: {e}. Run `billing templates check` to see where.") from e
        self.tpl.docx_ids_index = 1000  # picture ids restart in every letter, as in a fresh render
        tree = self.tpl.fix_tables(body)
        self.tpl.fix_docpr_ids(tree)
        parts["word/document.xml"] = (
            XML_DECLARATION + self._doc_head + etree.tostring(tree, encoding="unicode") + self._doc_tail
        ).encode("utf-8")
        skeleton = self._current_skeleton()
        docx = skeleton.zip(parts)
        body_xml, section = _master_fragment(tree)
        group = hashlib.sha256(b"".join(v for k, v in sorted(parts.items()) if k != "word/document.xml"))
        group.update(str(id(skeleton)).encode())
        return RenderedLetter(docx, body_xml, section, group.hexdigest())

    def _current_skeleton(self) -> _Skeleton:
        """The package's parts, compressed once. Built again only when rendering added a part (a picture)."""
        size = sum(len(p.rels) for p in self.tpl.docx.part.package.iter_parts())
        if size != self._skeleton_size:
            buffer = io.BytesIO()
            self.tpl.docx.save(buffer)
            self._skeleton = _Skeleton(buffer.getvalue())
            self._skeleton_size = size
        return self._skeleton


class _Skeleton:
    """A template's package with every part stored compressed, so that a letter's zip copies the parts that
    do not change as they are and deflates only the ones rendered for it."""

    def __init__(self, data: bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.entries = [(info, _stored_bytes(data, info)) for info in z.infolist()]

    def zip(self, replaced: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        builder = ZipBuilder(buffer)
        for info, raw in self.entries:
            if info.filename in replaced:
                builder.write(info.filename, replaced[info.filename])
            else:
                builder.copy_raw(info, raw)
        known = {info.filename for info, _ in self.entries}
        for name, content in replaced.items():
            if name not in known:
                builder.write(name, content)
        builder.close()
        return buffer.getvalue()


def _stored_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A zip entry's compressed bytes as stored: after its local header (30 bytes, name, extra field)."""
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    return data[start : start + info.compress_size]


def prepared_source(source: str) -> str:
    """A part's template text as docxtpl's `render_xml_part` hands it to jinja (done once, not per letter)."""
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", source)


def _master_fragment(body: etree._Element) -> tuple[str, str]:
    """The body's children as text for a master document, and the final section properties.

    The section break of a letter goes into its last paragraph's properties, not a new paragraph, so a
    letter that fills its last page does not gain an empty one. (This changes the tree: call it last.)"""
    children = list(body)
    section = ""
    if children and children[-1].tag == W + "sectPr":
        section = etree.tostring(children.pop(), encoding="unicode")
    # The break goes into the last block if it is a paragraph: a letter that ends with a table (a signature block) gets
    # an empty paragraph after it, or the table would fall into the next letter's section.
    # (Marks Word leaves after the last paragraph, such as a bookmark's end, are not blocks.)
    last_block = next((c for c in reversed(children) if c.tag in (W + "p", W + "tbl", W + "sdt")), None)
    last_p = last_block if last_block is not None and last_block.tag == W + "p" else None
    if last_p is None:
        last_p = etree.SubElement(body, W + "p")
        children.append(last_p)
    # A bookmark between paragraphs belongs to the page before; inside the first paragraph it marks its page.
    first_p = next(body.iter(W + "p"))
    first_ppr = first_p.find(W + "pPr")
    first_p.insert(0 if first_ppr is None else first_p.index(first_ppr) + 1, etree.Comment(START_MARK[4:-3]))
    ppr = last_p.find(W + "pPr")
    if ppr is None:
        ppr = etree.Element(W + "pPr")
        last_p.insert(0, ppr)
    mark = etree.Comment(SECT_MARK[4:-3])
    change = ppr.find(W + "pPrChange")  # a tracked change of the properties stays last
    if change is not None:
        change.addprevious(mark)
    else:
        ppr.append(mark)
    return "".join(etree.tostring(c, encoding="unicode") for c in children), section
