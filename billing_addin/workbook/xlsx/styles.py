"""Cell formats for the writer's cells, added to xl/styles.xml only by appending.

Existing cells point into styles.xml by index (cellXfs, fonts, numFmts), so no existing entry may move or
change. New entries go at the end of their lists; an entry the book already has (from an earlier run of the
writer, or by chance) is reused, so running the same command daily does not grow the file.
"""

from __future__ import annotations

import html
import re

from .cell_xml import xml_attr
from .refusal import WriteRefused

# Excel's built-in number formats (ids below 164 need no <numFmt> entry).
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "# ?/?": 12,
    "# ??/??": 13,
    "mm-dd-yy": 14,
    "d-mmm-yy": 15,
    "d-mmm": 16,
    "mmm-yy": 17,
    "h:mm AM/PM": 18,
    "h:mm:ss AM/PM": 19,
    "h:mm": 20,
    "h:mm:ss": 21,
    "m/d/yy h:mm": 22,
    "@": 49,
}
_FIRST_CUSTOM_FORMAT = 164
LINK_COLOR = "FF0563C1"  # Excel's Hyperlink style colour

MINIMAL_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def attributes(start_tag: str) -> dict[str, str]:
    """Attributes of one start tag, unescaped, with any namespace prefix kept in the name."""
    return {
        m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
        for m in _ATTR.finditer(start_tag)
    }


class _Section:
    """One list in styles.xml (numFmts, fonts, cellXfs): its existing children as raw text, and what we append."""

    def __init__(self, xml: str, prefix: str, name: str, child: str) -> None:
        self.prefix, self.name, self.child = prefix, name, child
        pattern = re.compile(rf"<{prefix}{name}\b[^>]*?(?:/>|>(.*?)</{prefix}{name}>)", re.S)
        self.match = pattern.search(xml)
        body = (self.match.group(1) or "") if self.match else ""
        element = re.compile(rf"<{prefix}{child}\b[^>]*?/>|<{prefix}{child}\b[^>]*>.*?</{prefix}{child}>", re.S)
        self.existing = element.findall(body)
        self.added: list[str] = []

    def index_of(self, raw: str) -> int:
        for i, old in enumerate(self.existing):
            if old == raw:
                return i
        if raw in self.added:
            return len(self.existing) + self.added.index(raw)
        self.added.append(raw)
        return len(self.existing) + len(self.added) - 1

    def render(self, xml: str, insert_at: int) -> str:
        """The styles XML with this section's new children appended (and its count updated)."""
        if not self.added:
            return xml
        p, total = self.prefix, len(self.existing) + len(self.added)
        new = "".join(self.added)
        if self.match is None:  # only numFmts may be missing; it comes first in the stylesheet
            return f'{xml[:insert_at]}<{p}{self.name} count="{total}">{new}</{p}{self.name}>{xml[insert_at:]}'
        start, end = self.match.span()
        whole = self.match.group(0)
        tag_end = whole.index(">")
        start_tag = whole[: tag_end + 1]
        if start_tag.endswith("/>"):
            start_tag, closing, body = start_tag[:-2] + ">", f"</{p}{self.name}>", ""
        else:
            closing = f"</{p}{self.name}>"
            body = whole[tag_end + 1 : len(whole) - len(closing)]
        if re.search(r'\bcount="\d+"', start_tag):
            start_tag = re.sub(r'\bcount="\d+"', f'count="{total}"', start_tag, count=1)
        return xml[:start] + start_tag + body + new + closing + xml[end:]


class StyleBook:
    """The workbook's styles.xml, and the cell formats the writer needs from it (by xf index)."""

    def __init__(self, xml: str | None) -> None:
        self.created = xml is None
        self.xml = MINIMAL_STYLES if xml is None else xml
        root = re.search(r"<(\w+:)?styleSheet\b[^>]*>", self.xml)
        if not root:
            raise WriteRefused("The workbook's styles part is damaged; open and save it in Excel, then run again.")
        self._root_end = root.end()
        self.prefix = root.group(1) or ""
        self.num_fmts = _Section(self.xml, self.prefix, "numFmts", "numFmt")
        self.fonts = _Section(self.xml, self.prefix, "fonts", "font")
        self.xfs = _Section(self.xml, self.prefix, "cellXfs", "xf")
        if self.fonts.match is None or not self.fonts.existing or self.xfs.match is None:
            raise WriteRefused("The workbook's styles part is damaged; open and save it in Excel, then run again.")
        self._format_ids = {}
        for raw in self.num_fmts.existing:
            attrs = attributes(raw)
            if "formatCode" in attrs and attrs.get("numFmtId", "").isdigit():
                self._format_ids.setdefault(attrs["formatCode"], int(attrs["numFmtId"]))
        self._cache: dict[tuple[str | None, str], int] = {}

    @property
    def changed(self) -> bool:
        return self.created or bool(self.num_fmts.added or self.fonts.added or self.xfs.added)

    def _format_id(self, code: str | None) -> int:
        if code is None or code == "General":
            return 0
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        if code in self._format_ids:
            return self._format_ids[code]
        used = [int(attributes(raw).get("numFmtId", "0")) for raw in self.num_fmts.existing]
        new_id = max([_FIRST_CUSTOM_FORMAT - 1, *used, *self._format_ids.values()]) + 1
        self._format_ids[code] = new_id
        self.num_fmts.index_of(f'<{self.prefix}numFmt numFmtId="{new_id}" formatCode="{xml_attr(code)}"/>')
        return new_id

    def _font_id(self, kind: str) -> int:
        if kind == "regular":
            return 0
        p = self.prefix
        base = self.fonts.existing[0]
        if base.endswith("/>"):
            opening, body, closing = base[:-2] + ">", "", f"</{p}font>"
        else:
            cut = base.index(">") + 1
            opening, body, closing = base[:cut], base[cut : -len(f"</{p}font>")], f"</{p}font>"
        # The workbook's own default font, made bold or link-like, so new cells match the rest of the book.
        body = re.sub(rf"<{p}(b|u)\b[^>]*/>", "", body)
        if kind == "bold":
            raw = f"{opening}<{p}b/>{body}{closing}"
        else:
            color = f'<{p}color rgb="{LINK_COLOR}"/>'
            body, found = re.subn(rf"<{p}color\b[^>]*/>", color, body, count=1)
            raw = f"{opening}<{p}u/>{body if found else color + body}{closing}"
        return self.fonts.index_of(raw)

    def cell_format(self, number_format: str | None = None, font: str = "regular") -> int:
        """The cellXfs index for a number format and font kind ("regular", "bold" or "link")."""
        key = (number_format, font)
        if key not in self._cache:
            fmt_id, font_id = self._format_id(number_format), self._font_id(font)
            if fmt_id == 0 and font_id == 0:
                self._cache[key] = 0
            else:
                applied = (' applyNumberFormat="1"' if fmt_id else "") + (' applyFont="1"' if font_id else "")
                self._cache[key] = self.xfs.index_of(
                    f'<{self.prefix}xf numFmtId="{fmt_id}" fontId="{font_id}" fillId="0" borderId="0" xfId="0"'
                    f"{applied}/>"
                )
        return self._cache[key]

    def render(self) -> bytes:
        xml = self.xml
        # Apply from the end of the file backwards so earlier offsets stay valid.
        sections = sorted(
            (self.num_fmts, self.fonts, self.xfs),
            key=lambda s: s.match.start() if s.match else self._root_end - 1,  # a new numFmts goes first
            reverse=True,
        )
        for section in sections:
            xml = section.render(xml, self._root_end)
        return xml.encode("utf-8")
