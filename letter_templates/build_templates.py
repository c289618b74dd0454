"""Build the ten letter templates (docxtpl Word documents) in this folder.

    .venv/bin/python letter_templates/build_templates.py

Each template is an ordinary Word document that a clerk may restyle in Word: named paragraph styles, real tables,
no text boxes. The rules the renderer and the batch depend on:

- every Jinja tag is one whole run (one `add_run`), so Word and docxtpl see the tag intact;
- the templates use only the names in `billing_addin/documents/variables.py`;
- the letterhead is in the body and the footer holds company details and a PAGE field only, because the batch
  joins many rendered letters into one master document and needs identical headers and footers;
- long tables have a header row that Word repeats on every page (`w:tblHeader`).

The output is byte-for-byte reproducible (fixed document dates, fixed zip timestamps), so running the script
again leaves git clean unless the design changed.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Inches, Pt, RGBColor

HERE = Path(__file__).resolve().parent

FONT = "Calibri"  # LibreOffice substitutes the metric-compatible Carlito, so Word and PDF lay out alike
ACCENT = "1F3A5F"  # deep navy: company name, table header fill, rules
TEXT = "262626"
MUTED = "595959"  # letterhead details, labels, small print
RULE = "C9D1DC"  # thin lines between table rows

PAGE_WIDTH = Inches(8.5)  # US Letter
PAGE_HEIGHT = Inches(11)
MARGIN = Cm(2)
TEXT_WIDTH = Emu(PAGE_WIDTH - 2 * MARGIN)

# A fixed date in the document properties keeps the build reproducible.
BUILD_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Bold(str):
    """A piece of paragraph text to set in bold."""


# --------------------------------------------------------------------------------------------------------------
# Document, styles, footer


def new_letter(title: str) -> Document:
    """An empty Letter-size document with the house styles and the shared footer."""
    doc = Document()
    _strip_thumbnail(doc)
    _set_properties(doc, title)
    _define_styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = Cm(1.6)
    section.bottom_margin = Cm(2.2)
    section.header_distance = Cm(1)
    section.footer_distance = Cm(1)
    # Each letter numbers its pages from 1 even after the batch joins letters (one section per letter).
    _put(section._sectPr, "w:pgNumType", start="1")
    _add_footer(section)
    return doc


def _strip_thumbnail(doc: Document) -> None:
    # python-docx's default template carries a preview picture of itself; Explorer would show it for every letter.
    rels = doc.part.package.rels
    for r_id, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del rels[r_id]


def _set_properties(doc: Document, title: str) -> None:
    props = doc.core_properties
    props.title = title
    props.subject = "Letter template for the billing add-in (docxtpl)"
    props.author = "Billing add-in"
    props.last_modified_by = "Billing add-in"
    # docxtpl renders the document properties as Jinja too, so they must hold no braces.
    props.comments = "Built by letter_templates/build_templates.py. Edit freely in Word; keep each tag whole."
    props.created = props.modified = BUILD_DATE
    props.last_printed = BUILD_DATE
    props.revision = 1


def _set_fonts(rpr_owner, name: str = FONT) -> None:
    """Name the font for every script explicitly, so no theme font (Cambria, Calibri Light) sneaks in."""
    rpr = rpr_owner.get_or_add_rPr() if hasattr(rpr_owner, "get_or_add_rPr") else rpr_owner.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_owner.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), name)


def _define_styles(doc: Document) -> None:
    """The named styles a clerk sees in Word's gallery; change one there and every letter follows."""
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    _set_fonts(defaults)

    normal = styles["Normal"]
    _set_fonts(normal.element)
    normal.font.size = Pt(10.5)
    normal.font.color.rgb = RGBColor.from_string(TEXT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(7)
    normal.paragraph_format.line_spacing = 1.1

    def add(name, size=None, bold=False, color=None, after=0, before=0, align=None, base="Normal"):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base]
        style.quick_style = True
        if size:
            style.font.size = Pt(size)
        style.font.bold = bold
        if color:
            style.font.color.rgb = RGBColor.from_string(color)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        if align is not None:
            fmt.alignment = align
        return style

    add("Company Name", size=20, bold=True, color=ACCENT, after=2)
    add("Letterhead", size=9, color=MUTED, align=WD_ALIGN_PARAGRAPH.RIGHT).paragraph_format.line_spacing = 1.0
    add("Address", after=0).paragraph_format.line_spacing = 1.0
    info = add("Letter Details", size=9.5, after=1)
    info.paragraph_format.line_spacing = 1.0
    info.paragraph_format.tab_stops.add_tab_stop(Cm(3.2))
    add("Subject", size=12.5, bold=True, color=ACCENT, before=22, after=12).paragraph_format.keep_with_next = True
    add(
        "Section Heading", size=10.5, bold=True, color=ACCENT, before=12, after=4
    ).paragraph_format.keep_with_next = True
    cell = add("Table Text", size=9.5, after=0)
    cell.paragraph_format.line_spacing = 1.0
    add("Table Amount", base="Table Text", align=WD_ALIGN_PARAGRAPH.RIGHT)
    add("Table Heading", base="Table Text", bold=True, color="FFFFFF")
    add("Table Heading Right", base="Table Heading", align=WD_ALIGN_PARAGRAPH.RIGHT)
    add("Small Print", size=8.5, color=MUTED, before=3, after=6)
    add("Closing", before=10, after=26).paragraph_format.keep_with_next = True
    add("Signature", after=0).paragraph_format.keep_with_next = True

    footer = styles["Footer"]
    _set_fonts(footer.element)
    footer.font.size = Pt(8)
    footer.font.color.rgb = RGBColor.from_string(MUTED)
    footer.paragraph_format.space_after = Pt(0)
    # Word's Footer style brings centre and right tabs for a narrower page; one right tab at the margin instead.
    footer.paragraph_format.tab_stops.clear_all()
    footer.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _border(footer.element.get_or_add_pPr(), "top", RULE, size=4, space=4)


def _add_footer(section) -> None:
    """Company name, phone and e-mail, then "Page N": the same on every letter, so joined letters share it."""
    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = "Footer"
    for piece in (
        "{{ company.name }}",
        "{% if company.phone %}",
        "  ·  ",
        "{{ company.phone }}",
        "{% endif %}",
        "{% if company.email %}",
        "  ·  ",
        "{{ company.email }}",
        "{% endif %}",
        "\tPage ",
    ):
        p.add_run(piece)
    _add_page_field(p)


def _add_page_field(paragraph) -> None:
    # PAGE only: NUMPAGES would count the pages of the whole batch once letters are joined.
    def run_with(child):
        run = paragraph.add_run()
        run._r.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(begin)
    run_with(instr)
    run_with(separate)
    paragraph.add_run("1")
    run_with(end)


# --------------------------------------------------------------------------------------------------------------
# Low-level helpers: paragraphs, borders, table geometry


def para(container, *pieces: str, style: str = "Normal", keep_with_next: bool = False):
    """Add a paragraph whose pieces each become one run: a Jinja tag is always a piece of its own.

    In a table cell the cell's own first (empty) paragraph is used first, so cells hold no stray blank line.
    """
    in_cell = hasattr(container, "_tc")
    if in_cell and len(container.paragraphs) == 1 and not container.paragraphs[0].runs:
        p = container.paragraphs[0]
        p.style = style
    else:
        p = container.add_paragraph(style=style)
    for piece in pieces:
        run = p.add_run(piece)
        if isinstance(piece, Bold):
            run.bold = True
    if keep_with_next:
        p.paragraph_format.keep_with_next = True
    return p


def tag_para(container, tag: str, style: str = "Normal"):
    """A paragraph holding only a docxtpl `{%p ... %}` tag; docxtpl removes the whole paragraph when rendering."""
    return para(container, tag, style=style)


# Word rejects a file ("unreadable content") whose property elements are out of schema order, so every element
# this script adds goes in through `_put`, which knows the order of the parents it touches.
ORDER = {
    parent: tuple(f"w:{name}" for name in children.split())
    for parent, children in {
        "w:pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
        "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
        "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
        "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
        "w:tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
        "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription tblPrChange",
        "w:trPr": "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing jc "
        "hidden ins del trPrChange",
        "w:tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign "
        "hideMark headers cellIns cellDel cellMerge tcPrChange",
        "w:sectPr": "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
        "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter docGrid "
        "printerSettings sectPrChange",
        "w:tblBorders": "top left start bottom right end insideH insideV",
        "w:tcBorders": "top left start bottom right end insideH insideV tl2br tr2bl",
        "w:pBdr": "top left bottom right between bar",
        "w:tblCellMar": "top left start bottom right end",
    }.items()
}


def _put(parent, tag: str, **attrs: str):
    """Add (or replace) child `tag` of `parent` at its schema position; returns the new element."""
    order = ORDER["w:" + parent.tag.split("}")[1]]
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    child = OxmlElement(tag)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), value)
    later = {qn(t) for t in order[order.index(tag) + 1 :]}
    for sibling in parent:
        if sibling.tag in later:
            sibling.addprevious(child)
            return child
    parent.append(child)
    return child


def _line(color: str, size: int, space: int = 0) -> dict[str, str]:
    """Attributes of a single line: colour, width in eighths of a point, distance from the text in points."""
    return {"val": "single", "sz": str(size), "space": str(space), "color": color}


def _border(ppr, edge: str, color: str, size: int = 6, space: int = 1) -> None:
    """A line on one edge of a paragraph (or paragraph style): `ppr` is its <w:pPr>."""
    box = ppr.find(qn("w:pBdr"))
    if box is None:
        box = _put(ppr, "w:pBdr")
    _put(box, f"w:{edge}", **_line(color, size, space))


def _edges(parent, tag: str, **edges: tuple[str, int] | None) -> None:
    """Set edges of <w:tblBorders>/<w:tcBorders>: edge=(color, eighths of a point), or None for no line."""
    box = parent.find(qn(tag))
    if box is None:
        box = _put(parent, tag)
    for edge, spec in edges.items():
        if spec is None:
            _put(box, f"w:{edge}", val="nil")
        else:
            _put(box, f"w:{edge}", **_line(*spec))


def _shade(cell, fill: str) -> None:
    _put(cell._tc.get_or_add_tcPr(), "w:shd", val="clear", color="auto", fill=fill)


def _cell_margins(table, left_right_cm: float, top_bottom_cm: float) -> None:
    mar = _put(table._tbl.tblPr, "w:tblCellMar")
    for edge, value in (
        ("top", top_bottom_cm),
        ("left", left_right_cm),
        ("bottom", top_bottom_cm),
        ("right", left_right_cm),
    ):
        _put(mar, f"w:{edge}", w=str(int(Cm(value).twips)), type="dxa")


def new_table(doc, widths_cm: Sequence[float], layout_only: bool = False, align=None):
    """A table of fixed column widths. `layout_only`: no lines, no cell padding (letterhead, address block)."""
    table = doc.add_table(rows=0, cols=len(widths_cm))
    table.autofit = False
    if align is not None:
        table.alignment = align
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    # A fixed total width: with "auto" Word may stretch or shrink a fixed-layout table on some screens.
    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(Cm(w).twips for w in widths_cm)))
    if layout_only:
        _cell_margins(table, 0, 0)
        _edges(
            table._tbl.tblPr, "w:tblBorders", top=None, left=None, bottom=None, right=None, insideH=None, insideV=None
        )
    else:
        _cell_margins(table, 0.15, 0.07)
    table._widths = list(widths_cm)
    return table


def new_row(table, repeat_header: bool = False):
    """Add a row whose cells carry their widths (Word reads tcW, LibreOffice the grid) and never split."""
    row = table.add_row()
    for cell, width in zip(row.cells, table._widths):
        cell.width = Cm(width)
    trPr = row._tr.get_or_add_trPr()
    trPr.append(OxmlElement("w:cantSplit"))
    if repeat_header:
        # Word repeats a row marked tblHeader at the top of every page the table runs onto.
        trPr.append(OxmlElement("w:tblHeader"))
    return row


def tag_row(table, tag: str):
    """A row holding only a docxtpl `{%tr ... %}` tag in its first cell; docxtpl removes the whole row."""
    row = new_row(table)
    para(row.cells[0], tag, style="Table Text")
    return row


# --------------------------------------------------------------------------------------------------------------
# Letter parts shared by every template


def add_letterhead(doc) -> None:
    """Logo and company name on the left, address and contact details on the right, a rule underneath."""
    table = new_table(doc, [9.0, TEXT_WIDTH.cm - 9.0], layout_only=True)
    row = new_row(table)
    left, right = row.cells
    tag_para(left, "{%p if company.logo %}")
    para(left, "{{ company.logo }}")
    tag_para(left, "{%p endif %}")
    para(left, "{{ company.name }}", style="Company Name")

    tag_para(right, "{%p for line in company.address_lines %}", style="Letterhead")
    para(right, "{{ line }}", style="Letterhead")
    tag_para(right, "{%p endfor %}", style="Letterhead")
    tag_para(right, "{%p if company.phone %}", style="Letterhead")
    para(right, "Phone ", "{{ company.phone }}", style="Letterhead")
    tag_para(right, "{%p endif %}", style="Letterhead")
    tag_para(right, "{%p if company.email %}", style="Letterhead")
    para(right, "{{ company.email }}", style="Letterhead")
    tag_para(right, "{%p endif %}", style="Letterhead")
    _edges(table._tbl.tblPr, "w:tblBorders", bottom=(ACCENT, 12))
    # A little air between the rule and the address block.
    para(doc, "", style="Small Print")


@dataclass(frozen=True)
class Detail:
    """One line of the details block beside the address: a label and its pieces (tags and text)."""

    label: str
    pieces: tuple[str, ...]
    condition: str | None = None  # a Jinja test; the line is left out when it is false


def add_address_and_details(doc, details: Sequence[Detail]) -> None:
    """Recipient on the left (name, Attn, address lines); date, our reference and account on the right."""
    table = new_table(doc, [8.4, TEXT_WIDTH.cm - 8.4], layout_only=True)
    row = new_row(table)
    left, right = row.cells
    para(left, "{{ customer.name }}", style="Address")
    tag_para(left, "{%p if customer.contact %}", style="Address")
    para(left, "Attn: ", "{{ customer.contact }}", style="Address")
    tag_para(left, "{%p endif %}", style="Address")
    tag_para(left, "{%p for line in customer.address_lines %}", style="Address")
    para(left, "{{ line }}", style="Address")
    tag_para(left, "{%p endfor %}", style="Address")

    for detail in details:
        if detail.condition:
            tag_para(right, "{%p if " + detail.condition + " %}", style="Letter Details")
        para(right, detail.label + "\t", *detail.pieces, style="Letter Details")
        if detail.condition:
            tag_para(right, "{%p endif %}", style="Letter Details")


def add_subject(doc, salutation: bool = True, notice: str | None = None) -> None:
    """The bold subject line, an optional small-print notice under it, and "Dear ...,"."""
    para(doc, "{{ letter.subject }}", style="Subject")
    if notice:
        para(doc, notice, style="Small Print")
    if salutation:
        para(
            doc,
            "Dear ",
            "{% if customer.contact %}",
            "{{ customer.contact }}",
            "{% else %}",
            "Sir or Madam",
            "{% endif %}",
            ",",
        )


def common_details(*extra: Detail) -> list[Detail]:
    """Date, our reference and the customer's account, then any details of the kind."""
    return [
        Detail("Date:", ("{{ letter.date }}",)),
        Detail("Our reference:", ("{{ letter.reference }}",)),
        Detail("Customer account:", ("{{ customer.id }}",)),
        *extra,
    ]


@dataclass(frozen=True)
class Column:
    """A column of a data table: header text, the cell's pieces, width, and whether it holds money."""

    header: str
    pieces: tuple[str, ...]
    width_cm: float
    right: bool = False
    # A second paragraph in the cell, kept only where the Jinja condition `note_if` holds (e.g. "Disputed").
    note: tuple[str, ...] = ()
    note_if: str = ""


@dataclass(frozen=True)
class FixedRow:
    """A bold row around the loop (opening or closing balance): first column, a label spanning the middle
    columns, last column. Texts may hold tags."""

    first: str
    label: str
    last: str


def rule_table(table) -> None:
    """The house look of a data table: no verticals, hairlines between rows, an accent line at the bottom."""
    _edges(
        table._tbl.tblPr,
        "w:tblBorders",
        top=None,
        left=None,
        right=None,
        insideV=None,
        bottom=(ACCENT, 8),
        insideH=(RULE, 4),
    )


def add_data_table(
    doc,
    columns: Sequence[Column],
    loop: str | None,
    before: Sequence[FixedRow] = (),
    after: Sequence[FixedRow] = (),
):
    """A ruled table: a header row repeated on every page, optional fixed rows, one row per item of `loop`.

    `loop` is the Jinja `for` clause, e.g. "i in invoices" (None: a single row, no loop).
    """
    table = new_table(doc, [c.width_cm for c in columns])
    header = new_row(table, repeat_header=True)
    for cell, column in zip(header.cells, columns):
        para(cell, column.header, style="Table Heading Right" if column.right else "Table Heading")
        _shade(cell, ACCENT)

    def fixed_row(fixed: FixedRow) -> None:
        cells = new_row(table).cells
        label = cells[1].merge(cells[-2])
        for cell, text, right in (
            (cells[0], fixed.first, False),
            (label, fixed.label, False),
            (cells[-1], fixed.last, True),
        ):
            para(cell, *[Bold(t) for t in _split_tags(text)], style="Table Amount" if right else "Table Text")

    for fixed in before:
        fixed_row(fixed)
    if loop:
        tag_row(table, "{%tr for " + loop + " %}")
    row = new_row(table)
    for cell, column in zip(row.cells, columns):
        style = "Table Amount" if column.right else "Table Text"
        para(cell, *column.pieces, style=style)
        if column.note:
            tag_para(cell, "{%p if " + column.note_if + " %}", style=style)
            para(cell, *column.note, style=style)
            tag_para(cell, "{%p endif %}", style=style)
    if loop:
        tag_row(table, "{%tr endfor %}")
    for fixed in after:
        fixed_row(fixed)
    rule_table(table)
    return table


def _split_tags(text: str) -> list[str]:
    """Split "Opening balance {{ x }}" into ["Opening balance ", "{{ x }}"] so each tag gets its own run."""
    pieces, rest = [], text
    while "{{" in rest:
        start = rest.index("{{")
        end = rest.index("}}", start) + 2
        pieces += [rest[:start], rest[start:end]]
        rest = rest[end:]
    return [p for p in [*pieces, rest] if p]


@dataclass(frozen=True)
class Total:
    """A line of a totals block: label, amount tag, an optional Jinja condition, and whether it is the sum."""

    label: str
    amount: str
    condition: str | None = None
    grand: bool = False


def add_totals(doc, totals: Sequence[Total]) -> None:
    """A small right-aligned block of amounts; the grand total is bold over a rule."""
    table = new_table(doc, [5.6, 3.4], align=WD_TABLE_ALIGNMENT.RIGHT)
    for total in totals:
        if total.condition:
            tag_row(table, "{%tr if " + total.condition + " %}")
        row = new_row(table)
        label, amount = row.cells
        piece = Bold if total.grand else str
        para(label, piece(total.label), style="Table Text", keep_with_next=True)
        para(amount, piece(total.amount), style="Table Amount", keep_with_next=True)
        if total.grand:
            for cell in row.cells:
                _edges(cell._tc.get_or_add_tcPr(), "w:tcBorders", top=(ACCENT, 8))
        if total.condition:
            tag_row(table, "{%tr endif %}")
    _edges(table._tbl.tblPr, "w:tblBorders", top=None, left=None, bottom=None, right=None, insideH=None, insideV=None)
    # Word needs a paragraph between two tables; this one also gives the totals room.
    para(doc, "", style="Small Print")


def add_currency_note(doc) -> None:
    para(doc, "All amounts in ", "{{ letter.currency }}", ".", style="Small Print")


def add_payment_instructions(doc) -> None:
    """The Settings' payment instructions under a heading, left out when Settings have none."""
    tag_para(doc, "{%p if company.payment_instructions %}", style="Section Heading")
    para(doc, "How to pay", style="Section Heading")
    para(doc, "{{ company.payment_instructions }}")
    tag_para(doc, "{%p endif %}")


def add_closing(doc, closing: str) -> None:
    """Complimentary close, room for a signature, and who signs."""
    para(doc, closing, style="Closing")
    para(doc, Bold("Accounts Receivable"), style="Signature")
    para(doc, "{{ company.name }}", style="Signature")


# --------------------------------------------------------------------------------------------------------------
# The invoices table and totals of the dunning letters

INVOICE_COLUMNS = (
    Column("Invoice", ("{{ i.number }}",), 3.1),
    Column("Date", ("{{ i.date }}",), 3.1),
    Column("Due date", ("{{ i.due_date }}",), 3.1),
    Column("Amount", ("{{ i.amount }}",), 2.9, right=True),
    Column("Outstanding", ("{{ i.outstanding }}",), 2.9, right=True),
    Column("Days overdue", ("{{ i.days_overdue }}",), TEXT_WIDTH.cm - 15.1, right=True),
)

DUNNING_TOTALS = (
    Total("Principal outstanding", "{{ totals.principal }}"),
    Total("Late fees and interest", "{{ totals.fees }}", condition="totals.has_fees"),
    Total("Total due", "{{ totals.total }}", grand=True),
)


def add_invoices_and_totals(doc) -> None:
    add_data_table(doc, INVOICE_COLUMNS, "i in invoices")
    add_currency_note(doc)
    add_totals(doc, DUNNING_TOTALS)


def dunning_details() -> list[Detail]:
    return common_details(Detail("Please pay by:", (Bold("{{ dunning.pay_by }}"),)))


# --------------------------------------------------------------------------------------------------------------
# The ten templates


def build_reminder() -> Document:
    """Level 1: friendly, assumes an oversight."""
    doc = new_letter("Payment reminder (dunning level 1)")
    add_letterhead(doc)
    add_address_and_details(doc, dunning_details())
    add_subject(doc)
    para(
        doc,
        "Our records show that the invoices listed below have passed their due date and are still open. "
        "Perhaps they have simply been overlooked, so we are sending you this friendly reminder.",
    )
    para(
        doc,
        "We would be grateful if you could arrange payment of ",
        Bold("{{ totals.total }}"),
        " by ",
        Bold("{{ dunning.pay_by }}"),
        ".",
    )
    add_invoices_and_totals(doc)
    add_payment_instructions(doc)
    para(
        doc,
        "If you have already sent your payment, thank you, and please disregard this reminder. If anything on "
        "these invoices is unclear, or you think something is not right, please contact us using the details "
        "above and we will be glad to help.",
    )
    add_closing(doc, "Kind regards,")
    return doc


def build_past_due() -> Document:
    """Level 2: firm, names the previous reminder and the date to pay by."""
    doc = new_letter("Past due notice (dunning level 2)")
    add_letterhead(doc)
    add_address_and_details(doc, dunning_details())
    add_subject(doc)
    para(
        doc,
        # Either sentence must stand alone: the previous date is blank when no earlier letter is on record.
        "{% if dunning.previous_date %}",
        "We wrote to you on ",
        "{{ dunning.previous_date }}",
        " about the invoices listed below. According to our records they remain unpaid",
        "{% else %}",
        "According to our records, the invoices listed below remain unpaid",
        "{% endif %}",
        "; the oldest is now ",
        "{{ dunning.max_days_overdue }}",
        " days past its due date.",
    )
    para(
        doc,
        Bold("Please pay the total of "),
        Bold("{{ totals.total }}"),
        Bold(" by "),
        Bold("{{ dunning.pay_by }}"),
        Bold("."),
    )
    tag_para(doc, "{%p if totals.has_fees %}")
    para(
        doc,
        "This total includes late fees and interest of ",
        "{{ totals.fees }}",
        " charged under our terms of payment.",
    )
    tag_para(doc, "{%p endif %}")
    add_invoices_and_totals(doc)
    add_payment_instructions(doc)
    para(
        doc,
        "If there is a problem with any of these invoices, or you cannot pay the full amount by that date, "
        "please contact us before ",
        "{{ dunning.pay_by }}",
        " so that we can agree on a solution. If you have paid in the last few days, thank you; please "
        "disregard this letter.",
    )
    add_closing(doc, "Yours sincerely,")
    return doc


def build_final_notice() -> Document:
    """Level 3: final; states politely what happens if nothing is paid."""
    doc = new_letter("Final notice (dunning level 3)")
    add_letterhead(doc)
    add_address_and_details(doc, dunning_details())
    add_subject(doc)
    para(
        doc,
        "{% if dunning.previous_date %}",
        "We last wrote to you on ",
        "{{ dunning.previous_date }}",
        " about the invoices listed below. Despite our earlier reminders they remain unpaid",
        "{% else %}",
        "Despite our earlier reminders, the invoices listed below remain unpaid",
        "{% endif %}",
        "; the oldest is now ",
        "{{ dunning.max_days_overdue }}",
        " days past its due date.",
    )
    para(
        doc,
        Bold("This is our final notice. Please pay "),
        Bold("{{ totals.total }}"),
        Bold(" in full by "),
        Bold("{{ dunning.pay_by }}"),
        Bold("."),
    )
    para(
        doc,
        "If we have neither received payment nor heard from you by that date, we may, without further notice, "
        "charge statutory interest and compensation for recovery costs as the law allows, and refer the debt to "
        "a collection agency or take legal action to recover it.",
    )
    tag_para(doc, "{%p if totals.has_fees %}")
    para(doc, "The total already includes late fees and interest of ", "{{ totals.fees }}", ".")
    tag_para(doc, "{%p endif %}")
    add_invoices_and_totals(doc)
    add_payment_instructions(doc)
    para(
        doc,
        "We would much rather settle this with you directly. If you cannot pay in full, please contact us before ",
        "{{ dunning.pay_by }}",
        " to discuss a payment plan. If you have paid in the last few days, please accept our thanks and "
        "disregard this notice.",
    )
    add_closing(doc, "Yours sincerely,")
    return doc


INVOICE_LINE_COLUMNS = (
    Column("Description", ("{{ invoice.description }}",), TEXT_WIDTH.cm - 3.6),
    Column("Amount", ("{{ invoice.amount }}",), 3.6, right=True),
)


def build_invoice() -> Document:
    """One invoice: its details beside the address, its description and amount, and what is due."""
    doc = new_letter("Invoice")
    add_letterhead(doc)
    add_address_and_details(
        doc,
        [
            Detail("Invoice number:", (Bold("{{ invoice.number }}"),)),
            Detail("Invoice date:", ("{{ invoice.date }}",)),
            Detail("Due date:", (Bold("{{ invoice.due_date }}"),)),
            Detail("Terms:", ("Net ", "{{ invoice.terms_days }}", " days")),
            Detail("Your PO number:", ("{{ invoice.po_number }}",), condition="invoice.po_number"),
            Detail("Our reference:", ("{{ letter.reference }}",)),
            Detail("Customer account:", ("{{ customer.id }}",)),
        ],
    )
    add_subject(doc, salutation=False)
    para(
        doc,
        "Thank you for your business. Please find our invoice below; it is due for payment by ",
        "{{ invoice.due_date }}",
        ".",
    )
    add_data_table(doc, INVOICE_LINE_COLUMNS, loop=None)
    add_currency_note(doc)
    add_totals(
        doc,
        [
            Total("Invoice total", "{{ invoice.amount }}"),
            # The amounts arrive formatted alike, so "outstanding differs from amount" means a payment came in.
            Total("Paid", "{{ invoice.paid }}", condition="invoice.outstanding != invoice.amount"),
            Total("Amount due", "{{ invoice.outstanding }}", grand=True),
        ],
    )
    add_payment_instructions(doc)
    para(
        doc,
        "Please quote the invoice number ",
        "{{ invoice.number }}",
        " with your payment. Questions about this invoice? Contact us using the details above.",
    )
    add_closing(doc, "Kind regards,")
    return doc


# An invoice line shows its due date, and "Disputed" under it when the customer disputes the invoice.
STATEMENT_COLUMNS = (
    Column("Date", ("{{ l.date }}",), 2.3),
    Column("Type", ("{{ l.kind }}",), 1.9),
    Column("Reference", ("{{ l.reference }}",), 2.3),
    Column("Invoice", ("{{ l.invoice }}",), 2.1),
    Column("Due date", ("{{ l.due_date }}",), 2.3, note=(Bold("Disputed"),), note_if="l.disputed"),
    Column("Charges", ("{{ l.charge }}",), 2.2, right=True),
    Column("Credits", ("{{ l.credit }}",), 2.2, right=True),
    Column("Balance", ("{{ l.balance }}",), TEXT_WIDTH.cm - 15.3, right=True),
)


AGING_COLUMNS = (
    Column("Age", ("{{ a.label }}",), 5.6),
    Column("Amount", ("{{ a.amount }}",), 3.4, right=True),
)


def build_statement() -> Document:
    """Statement of account: period, every line with a running balance, the aging of what is open."""
    doc = new_letter("Statement of account")
    add_letterhead(doc)
    add_address_and_details(
        doc,
        common_details(Detail("Period:", ("{{ statement.start }}", " – ", "{{ statement.end }}"))),
    )
    add_subject(doc)
    para(
        doc,
        "Please find below your statement of account for the period ",
        "{{ statement.start }}",
        " to ",
        "{{ statement.end }}",
        ". It lists the invoices, payments and credits of the period with the balance after each.",
    )
    add_data_table(
        doc,
        STATEMENT_COLUMNS,
        "l in statement.lines",
        before=[FixedRow("{{ statement.start }}", "Opening balance", "{{ statement.opening }}")],
        after=[FixedRow("{{ statement.end }}", "Closing balance", "{{ statement.closing }}")],
    )
    add_currency_note(doc)
    add_totals(doc, [Total("Balance due", "{{ statement.closing }}", grand=True)])
    # The amount arrives formatted ("$0.00" when there is none): the sentence shows when it has a non-zero digit.
    tag_para(doc, '{%p if statement.unapplied_credit | select("in", "123456789") | list %}')
    para(
        doc,
        "The balance takes account of ",
        Bold("{{ statement.unapplied_credit }}"),
        " of payments or credits not yet applied to an invoice. Please tell us which invoices they should settle.",
    )
    tag_para(doc, "{%p endif %}")
    para(doc, "Aging of the open balance", style="Section Heading")
    add_data_table(doc, AGING_COLUMNS, "a in statement.aging")
    para(doc, "", style="Small Print")
    add_payment_instructions(doc)
    para(
        doc,
        "If your records differ from this statement, please let us know so that we can reconcile our accounts. "
        "Thank you for your business.",
    )
    add_closing(doc, "Kind regards,")
    return doc


# Amount last and as wide as the totals' amount column, so the plan total sits under the installments.
SCHEDULE_COLUMNS = (
    # Installment 0 is the down payment.
    Column("Installment", ("{% if n.number %}", "{{ n.number }}", "{% else %}", "Down payment", "{% endif %}"), 3.0),
    Column("Due date", ("{{ n.due_date }}",), 5.0),
    Column("Status", ("{{ n.status }}",), TEXT_WIDTH.cm - 11.4),
    Column("Amount", ("{{ n.amount }}",), 3.4, right=True),
)

PLAN_INVOICE_COLUMNS = (
    Column("Invoice", ("{{ i.number }}",), 3.4),
    Column("Date", ("{{ i.date }}",), 3.6),
    Column("Due date", ("{{ i.due_date }}",), 3.6),
    Column("Amount", ("{{ i.amount }}",), 3.4, right=True),
    Column("Outstanding", ("{{ i.outstanding }}",), TEXT_WIDTH.cm - 14.0, right=True),
)


def add_schedule(doc) -> None:
    para(doc, "Payment schedule", style="Section Heading")
    add_data_table(doc, SCHEDULE_COLUMNS, "n in plan.installments")
    add_currency_note(doc)
    add_totals(doc, [Total("Plan total", "{{ plan.total }}", grand=True)])


def plan_details() -> list[Detail]:
    return common_details(Detail("Payment plan:", (Bold("{{ plan.id }}"),)))


SIGNATURE_LINES = ("Signature", "Name", "Title", "Date")
SIGNATURE_GAP_CM = 1.2


def add_signature_block(doc) -> None:
    """Two columns, the customer's and the company's, each a line to sign on and lines for the name, title and
    date under it: the agreement is signed by both and one copy comes back."""
    para(doc, "Agreed and signed", style="Section Heading")
    side = (TEXT_WIDTH.cm - SIGNATURE_GAP_CM) / 2
    table = new_table(doc, [side, SIGNATURE_GAP_CM, side], layout_only=True)
    row = new_row(table)
    para(row.cells[0], "For the customer: ", Bold("{{ customer.name }}"), style="Table Text", keep_with_next=True)
    para(row.cells[2], "For ", Bold("{{ company.name }}"), style="Table Text", keep_with_next=True)
    for label in SIGNATURE_LINES:
        # An empty row as tall as a signature, ruled at its foot, then the caption under the rule.
        space = new_row(table)
        height = Cm(1.1 if label == "Signature" else 0.8)
        _put(space._tr.get_or_add_trPr(), "w:trHeight", val=str(int(height.twips)), hRule="atLeast")
        for cell in (space.cells[0], space.cells[2]):
            para(cell, "", style="Table Text", keep_with_next=True)
            _edges(cell._tc.get_or_add_tcPr(), "w:tcBorders", bottom=(TEXT, 6))
        caption = new_row(table)
        for cell in (caption.cells[0], caption.cells[2]):
            para(cell, label, style="Small Print", keep_with_next=label != SIGNATURE_LINES[-1])
    # A letter ends with a paragraph, never a table: Word wants one there, and the batch puts its section break in it.
    para(doc, "Please return one signed copy to us and keep the other for your records.", style="Small Print")


def build_payment_plan() -> Document:
    """The payment plan agreement: the schedule, the invoices it covers, and lines for both sides to sign."""
    doc = new_letter("Payment plan agreement")
    add_letterhead(doc)
    add_address_and_details(doc, plan_details())
    add_subject(doc)
    para(
        doc,
        "Thank you for agreeing a payment plan with us. This letter sets out plan ",
        Bold("{{ plan.id }}"),
        " for ",
        Bold("{{ plan.total }}"),
        ", starting on ",
        "{{ plan.start }}",
        ", and the dates on which each installment is due.",
    )
    add_schedule(doc)
    para(doc, "Invoices covered by the plan", style="Section Heading")
    add_data_table(doc, PLAN_INVOICE_COLUMNS, "i in invoices")
    para(doc, "", style="Small Print")
    add_payment_instructions(doc)
    para(
        doc,
        "Please pay each installment by its due date and quote the plan reference with every payment. While the "
        "installments arrive on time we will not send reminders for these invoices. If an installment is missed, "
        "we may cancel the plan, and the remaining balance would then be due at once.",
    )
    para(
        doc,
        "If your circumstances change, please contact us before the next installment falls due. Please sign "
        "this agreement below.",
    )
    add_closing(doc, "Kind regards,")
    add_signature_block(doc)
    return doc


def build_installment_reminder() -> Document:
    """A few days before an installment is due: what, when, and how to pay it."""
    doc = new_letter("Installment reminder")
    add_letterhead(doc)
    add_address_and_details(doc, [*plan_details(), Detail("Installment due:", (Bold("{{ plan.upcoming.due_date }}"),))])
    add_subject(doc)
    para(
        doc,
        "This is a friendly reminder that ",
        "{% if plan.upcoming.number %}",
        "installment ",
        "{{ plan.upcoming.number }}",
        "{% else %}",
        "the down payment",
        "{% endif %}",
        " of ",
        Bold("{{ plan.upcoming.amount }}"),
        " under your payment plan ",
        "{{ plan.id }}",
        " is due on ",
        Bold("{{ plan.upcoming.due_date }}"),
        ".",
    )
    tag_para(doc, "{%p if plan.upcoming.to_pay != plan.upcoming.amount %}")
    para(
        doc,
        "Thank you for the ",
        "{{ plan.upcoming.paid }}",
        " already received towards it: ",
        Bold("{{ plan.upcoming.to_pay }}"),
        " remains to pay.",
    )
    tag_para(doc, "{%p endif %}")
    para(
        doc,
        "So far you have paid ",
        "{{ plan.paid }}",
        " of the plan's ",
        "{{ plan.total }}",
        "; the schedule below shows where each installment stands.",
    )
    add_schedule(doc)
    add_payment_instructions(doc)
    para(
        doc,
        "If you have already paid, thank you; please disregard this reminder. If you expect difficulty paying on "
        "time, please contact us before the due date so that we can look at the plan with you.",
    )
    add_closing(doc, "Kind regards,")
    return doc


def build_missed_installment() -> Document:
    """An installment of a payment plan was not paid: asks for it and says what happens to the plan."""
    doc = new_letter("Missed installment")
    add_letterhead(doc)
    add_address_and_details(doc, plan_details())
    add_subject(doc)
    para(
        doc,
        "We have not yet received ",
        "{% if plan.missed.number %}",
        "installment ",
        "{{ plan.missed.number }}",
        "{% else %}",
        "the down payment",
        "{% endif %}",
        " of ",
        Bold("{{ plan.missed.amount }}"),
        ", due on ",
        "{{ plan.missed.due_date }}",
        ", under your payment plan ",
        "{{ plan.id }}",
        ".",
    )
    tag_para(doc, "{%p if plan.missed.to_pay != plan.missed.amount %}")
    para(
        doc, "Of it, ", "{{ plan.missed.paid }}", " has been received; ", Bold("{{ plan.missed.to_pay }}"), " remains."
    )
    tag_para(doc, "{%p endif %}")
    # A plan already broken cannot be saved by this one installment: the letter says so instead.
    tag_para(doc, "{%p if plan.broken_on %}")
    para(
        doc,
        "Because installments under the plan were missed, the plan ended on ",
        "{{ plan.broken_on }}",
        ". ",
        Bold("The remaining balance of "),
        Bold("{{ totals.total }}"),
        Bold(" is now due."),
        " Please pay it, or contact us at once to discuss it.",
    )
    tag_para(doc, "{%p else %}")
    para(
        doc,
        Bold("Please pay this installment as soon as possible."),
        " If we do not receive it within 14 days of the date of this letter, we may cancel the plan, and the "
        "remaining balance of ",
        "{{ totals.total }}",
        " would then be due at once.",
    )
    tag_para(doc, "{%p endif %}")
    add_schedule(doc)
    add_payment_instructions(doc)
    para(
        doc,
        "If you have paid in the last few days, thank you; please disregard this letter.",
        "{% if not plan.broken_on %}",
        " If you are having difficulty keeping to the plan, please contact us now: we would rather adjust the "
        "schedule than cancel it.",
        "{% endif %}",
    )
    add_closing(doc, "Kind regards,")
    return doc


SERVICE_COLUMNS = (
    Column("Procedure code (CPT/HCPCS)", ("{{ s.code }}",), 6.0),
    Column("Date of service", ("{{ s.date }}",), TEXT_WIDTH.cm - 6.0),
)
PLANNED_SERVICE_COLUMNS = (SERVICE_COLUMNS[0], Column("Planned date", ("{{ s.date }}",), TEXT_WIDTH.cm - 6.0))
DENIAL_COLUMNS = (
    Column("Denial code", ("{{ d.code }}",), 3.2),
    Column("Meaning", ("{{ d.meaning }}",), TEXT_WIDTH.cm - 3.2),
)
PAYER_NOTICE = (
    "Confidential: contains protected health information, limited to what this request needs. If you received "
    "it in error, please tell us and destroy it."
)
BOX = "\u2610  "  # a ballot box: the clerk ticks what goes in the envelope


def claim_details() -> list[Detail]:
    """Date, our reference, our claim number and the payer's (when known) beside the payer's address."""
    return [
        Detail("Date:", ("{{ letter.date }}",)),
        Detail("Our reference:", ("{{ letter.reference }}",)),
        Detail("Our claim no.:", (Bold("{{ claim.number }}"),)),
        Detail("Payer claim no.:", ("{{ claim.payer_reference }}",), condition="claim.payer_reference"),
    ]


def add_facts(doc, rows: Sequence[tuple[str, tuple[str, ...], str | None]]) -> None:
    """A two-column table of labelled facts; a row with a condition is left out when the condition is false."""
    facts = new_table(doc, [5.6, TEXT_WIDTH.cm - 5.6])
    for label, pieces, condition in rows:
        if condition:
            tag_row(facts, "{%tr if " + condition + " %}")
        row = new_row(facts)
        para(row.cells[0], Bold(label), style="Table Text")
        para(row.cells[1], *pieces, style="Table Text")
        if condition:
            tag_row(facts, "{%tr endif %}")
    rule_table(facts)
    _edges(facts._tbl.tblPr, "w:tblBorders", top=(ACCENT, 8))
    para(doc, "", style="Small Print")


def add_write_in_box(doc, heading: str, instruction: str, height_cm: float = 7.0) -> None:
    """A heading, a line saying what to write, and an empty framed box the clerk (or physician) fills in."""
    para(doc, heading, style="Section Heading")
    para(doc, instruction, style="Small Print", keep_with_next=True)
    box = new_table(doc, [TEXT_WIDTH.cm])
    row = new_row(box)
    _put(row._tr.get_or_add_trPr(), "w:trHeight", val=str(int(Cm(height_cm).twips)), hRule="atLeast")
    para(row.cells[0], "", style="Table Text")
    line = (MUTED, 6)
    _edges(box._tbl.tblPr, "w:tblBorders", top=line, left=line, bottom=line, right=line, insideH=None, insideV=None)
    para(doc, "", style="Small Print")


def add_requester_signature(doc, role: str) -> None:
    """Who asks (the practice, 42 CFR 405.944(b)(4)) and lines to sign, print the name and title, and date."""
    para(doc, "Requested by", style="Section Heading")
    para(doc, Bold("{{ company.name }}"), role, keep_with_next=True)
    table = new_table(doc, [9.0, 1.0, TEXT_WIDTH.cm - 10.0], layout_only=True)
    for left, right in (("Signature of the requester or representative", "Date"), ("Printed name and title", "")):
        space = new_row(table)
        _put(space._tr.get_or_add_trPr(), "w:trHeight", val=str(int(Cm(1.2).twips)), hRule="atLeast")
        for cell, caption in ((space.cells[0], left), (space.cells[2], right)):
            para(cell, "", style="Table Text", keep_with_next=True)
            if caption:
                _edges(cell._tc.get_or_add_tcPr(), "w:tcBorders", bottom=(TEXT, 6))
        captions = new_row(table)
        para(captions.cells[0], left, style="Small Print", keep_with_next=True)
        para(captions.cells[2], right, style="Small Print", keep_with_next=True)
    # A letter ends with a paragraph, never a table (the batch puts its section break there).
    para(doc, "Please send your decision, and any request for further records, to us at the address above.")


def build_claim_appeal() -> Document:
    """A request for redetermination (appeal) of a denied claim, to the payer's appeals address.

    It carries what 42 CFR 405.944(b) asks of a Medicare redetermination request: the beneficiary's name, the
    Medicare (member) number, the services and items for which redetermination is asked and their dates of
    service, and the name and signature of the party asking; plus our claim number and the payer's, the denial
    with its codes in the practice's own words, the deadline, a place for the clinical justification, and a
    checklist of enclosures. No more health information than that (HIPAA minimum necessary, 45 CFR
    164.502(b)): no diagnoses, notes, invoices or other claims. The recipient block is the letter's `customer`:
    the payer, at the Appeals Address of the Payers sheet.
    """
    doc = new_letter("Claim appeal / redetermination request")
    add_letterhead(doc)
    add_address_and_details(doc, claim_details())
    add_subject(doc, notice=PAYER_NOTICE)
    para(
        doc,
        Bold("{{ company.name }}"),
        ", the provider of the services below, requests a redetermination of claim ",
        Bold("{{ claim.number }}"),
        ", which ",
        "{{ claim.payer }}",
        " denied",
        "{% if claim.denial_date %}",
        " on ",
        "{{ claim.denial_date }}",
        "{% endif %}",
        ". We believe the services were medically necessary, were provided as billed and are covered, and we ask "
        "you to review the claim and pay it.",
    )
    para(doc, "Beneficiary and claim", style="Section Heading")
    add_facts(
        doc,
        [
            ("Beneficiary (patient) name", ("{{ claim.patient }}",), None),
            ("Medicare / member number", ("{{ claim.member_id }}",), None),
            ("Our claim number", ("{{ claim.number }}",), None),
            ("Payer's claim number", ("{{ claim.payer_reference }}",), "claim.payer_reference"),
            ("Date of service", ("{{ claim.date_of_service }}",), None),
            ("Amount billed", ("{{ claim.billed }}",), "claim.billed"),
            ("Date of denial", ("{{ claim.denial_date }}",), "claim.denial_date"),
            ("Appeal deadline", (Bold("{{ claim.deadline }}"),), "claim.deadline"),
        ],
    )
    para(doc, "Services and items for which redetermination is requested", style="Section Heading")
    add_data_table(doc, SERVICE_COLUMNS, "s in claim.services")
    para(doc, "", style="Small Print")
    tag_para(doc, "{%p if claim.denial_codes %}", style="Section Heading")
    para(doc, "Reasons given for the denial", style="Section Heading")
    add_data_table(doc, DENIAL_COLUMNS, "d in claim.denial_codes")
    para(doc, "", style="Small Print")
    tag_para(doc, "{%p endif %}")
    add_write_in_box(
        doc,
        "Clinical justification",
        "To be completed before sending: why the services were medically necessary and why the denial should be "
        "reversed, with reference to the enclosed records.",
    )
    para(doc, "Enclosures", style="Section Heading")
    for item in (
        "Copy of the remittance advice or initial determination notice",
        "Medical records for the date of service",
        "Letter of medical necessity from the treating physician",
        "Other: ____________________________________________",
    ):
        para(doc, BOX + item, style="Table Text", keep_with_next=True)
    para(doc, "", style="Small Print")
    add_requester_signature(doc, ", the provider of the services, on behalf of the beneficiary.")
    return doc


def build_preauth_request() -> Document:
    """A request for prior authorization of planned services, to the payer.

    The patient's name and member number, the planned date, the procedure codes, the practice as requester, and a
    place for the clinical reason; nothing more (no date of birth: the workbook does not keep it; no notes)."""
    doc = new_letter("Prior authorization request")
    add_letterhead(doc)
    add_address_and_details(doc, claim_details())
    add_subject(doc, notice=PAYER_NOTICE)
    para(
        doc,
        Bold("{{ company.name }}"),
        " requests prior authorization from ",
        "{{ claim.payer }}",
        " for the services below, planned for the patient named here.",
    )
    para(doc, "Patient and planned services", style="Section Heading")
    add_facts(
        doc,
        [
            ("Patient name", ("{{ claim.patient }}",), None),
            ("Member number", ("{{ claim.member_id }}",), None),
            ("Our claim number", ("{{ claim.number }}",), None),
            (
                "Planned date of service",
                (
                    "{% if claim.date_of_service %}",
                    "{{ claim.date_of_service }}",
                    "{% else %}",
                    "to be scheduled",
                    "{% endif %}",
                ),
                None,
            ),
            ("Authorization number", ("{{ claim.preauth_number }}",), "claim.preauth_number"),
        ],
    )
    para(doc, "Services for which authorization is requested", style="Section Heading")
    add_data_table(doc, PLANNED_SERVICE_COLUMNS, "s in claim.services")
    para(doc, "", style="Small Print")
    add_write_in_box(
        doc,
        "Clinical reason for the request",
        "To be completed before sending: the diagnosis and why the planned services are medically necessary.",
        height_cm=6.0,
    )
    add_requester_signature(doc, ", the provider who will give the services.")
    return doc


TEMPLATES: dict[str, Callable[[], Document]] = {
    "invoice.docx": build_invoice,
    "statement.docx": build_statement,
    "reminder.docx": build_reminder,
    "past_due.docx": build_past_due,
    "final_notice.docx": build_final_notice,
    "payment_plan.docx": build_payment_plan,
    "installment_reminder.docx": build_installment_reminder,
    "missed_installment.docx": build_missed_installment,
    "claim_appeal.docx": build_claim_appeal,
    "preauth_request.docx": build_preauth_request,
}


# --------------------------------------------------------------------------------------------------------------
# Saving


def save_reproducibly(doc: Document, path: Path) -> None:
    """Save, then rewrite the zip with fixed timestamps so the same design gives the same bytes."""
    doc.save(path)
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def main(out_dir: Path = HERE) -> list[Path]:
    """Build every template into `out_dir`; returns the paths written."""
    written = []
    for name, build in TEMPLATES.items():
        path = out_dir / name
        save_reproducibly(build(), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main():
        print(path.relative_to(HERE.parent))
