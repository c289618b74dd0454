"""xl/workbook.xml (the sheet list, names, calculation settings) and docProps/app.xml (sheet titles).

Both are edited as text: an element is added or one attribute changed, the rest keeps its exact bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml.ElementTree import fromstring as parse_xml  # no entities, no DTD tricks: the book is user input

from .cell_xml import xml_attr, xml_text
from .refusal import WriteRefused
from .styles import attributes

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Children of <workbook> that come after <definedNames> / <calcPr>, in schema order.
_AFTER_NAMES = (
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


@dataclass(frozen=True)
class SheetEntry:
    name: str
    sheet_id: int
    rel_id: str
    index: int  # position in the workbook's sheet list (localSheetId)


class WorkbookXml:
    def __init__(self, xml: bytes) -> None:
        self.xml = xml.decode("utf-8-sig")
        self.changed = False
        try:
            root = parse_xml(xml)
        except ET.ParseError as error:
            raise WriteRefused(f"The workbook's main part is damaged ({error}); open and save it in Excel.") from error
        if root.tag == f"{{{STRICT_MAIN_NS}}}workbook":
            raise WriteRefused(
                "The workbook is saved as 'Strict Open XML'; save it as a normal Excel Workbook (.xlsx) and run again."
            )
        if root.tag != f"{{{MAIN_NS}}}workbook":
            raise WriteRefused("The file is not an Excel workbook (its main part is not a workbook).")
        opening = re.search(r"<(\w+:)?workbook\b[^>]*>", self.xml)
        self.prefix = opening.group(1) or "" if opening else ""
        rel_prefix = re.search(rf'xmlns:(\w+)="{re.escape(REL_NS)}"', opening.group(0) if opening else "")
        self.rel_prefix = rel_prefix.group(1) if rel_prefix else None
        pr = root.find(f"{{{MAIN_NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "false").lower() in ("1", "true")
        self.sheets: list[SheetEntry] = []
        sheets = root.find(f"{{{MAIN_NS}}}sheets")
        for i, el in enumerate(sheets if sheets is not None else []):
            self.sheets.append(
                SheetEntry(el.get("name", ""), int(el.get("sheetId", "0")), el.get(f"{{{REL_NS}}}id", ""), i)
            )

    def find(self, name: str) -> SheetEntry | None:
        wanted = name.casefold()
        return next((s for s in self.sheets if s.name.casefold() == wanted), None)

    def add_sheet(self, name: str, rel_id: str) -> SheetEntry:
        p = self.prefix
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        if self.rel_prefix:
            rid = f'{self.rel_prefix}:id="{rel_id}"'
        else:
            rid = f'xmlns:r="{REL_NS}" r:id="{rel_id}"'
        element = f'<{p}sheet name="{xml_attr(name)}" sheetId="{sheet_id}" {rid}/>'
        close = self.xml.index(f"</{p}sheets>")
        self.xml = self.xml[:close] + element + self.xml[close:]
        entry = SheetEntry(name, sheet_id, rel_id, len(self.sheets))
        self.sheets.append(entry)
        self.changed = True
        return entry

    def _position_after_sheets(self, names: tuple[str, ...]) -> int:
        """Where the first of `names` starts after </sheets> (or where </workbook> is)."""
        p = self.prefix
        start = self.xml.index(f"</{p}sheets>")
        best = None
        for name in names:
            match = re.compile(rf"<{p}{name}\b").search(self.xml, start)
            if match and (best is None or match.start() < best):
                best = match.start()
        return best if best is not None else self.xml.rindex(f"</{p}workbook>")

    def set_filter_database(self, index: int, formula: str) -> None:
        """Keep the hidden name Excel pairs with a sheet's autoFilter (LibreOffice needs it to show the filter)."""
        p = self.prefix
        value = xml_text(formula)
        for match in re.finditer(rf"<{p}definedName\b([^>]*)>(.*?)</{p}definedName>", self.xml, re.S):
            attrs = attributes(match.group(1))
            if attrs.get("name") == "_xlnm._FilterDatabase" and attrs.get("localSheetId") == str(index):
                if match.group(2) != value:
                    self.xml = self.xml[: match.start(2)] + value + self.xml[match.end(2) :]
                    self.changed = True
                return
        element = (
            f'<{p}definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">{value}</{p}definedName>'
        )
        closing = self.xml.find(f"</{p}definedNames>")
        if closing >= 0:
            self.xml = self.xml[:closing] + element + self.xml[closing:]
        else:
            at = self._position_after_sheets(_AFTER_NAMES)
            self.xml = self.xml[:at] + f"<{p}definedNames>{element}</{p}definedNames>" + self.xml[at:]
        self.changed = True

    def set_full_calc_on_load(self) -> None:
        """Ask Excel to calculate on open: formulas the writer adds carry no cached value."""
        p = self.prefix
        match = re.search(rf"<{p}calcPr\b[^>]*?/?>", self.xml)
        if match is None:
            at = self._position_after_sheets(_AFTER_NAMES[1:])
            self.xml = self.xml[:at] + f'<{p}calcPr fullCalcOnLoad="1"/>' + self.xml[at:]
        else:
            tag = match.group(0)
            if re.search(r'\bfullCalcOnLoad="(1|true)"', tag):
                return
            tag = re.sub(r'\s*\bfullCalcOnLoad="[^"]*"', "", tag)
            cut = len(tag) - (2 if tag.endswith("/>") else 1)
            tag = tag[:cut].rstrip() + ' fullCalcOnLoad="1"' + tag[cut:]
            self.xml = self.xml[: match.start()] + tag + self.xml[match.end() :]
        self.changed = True

    def render(self) -> bytes:
        return self.xml.encode("utf-8")


class AppProperties:
    """docProps/app.xml: the sheet titles Explorer and Finder show. Left alone when its layout is unexpected."""

    def __init__(self, xml: bytes) -> None:
        self.xml = xml.decode("utf-8-sig")
        self.changed = False

    def add_worksheet_title(self, name: str, worksheet_names: list[str]) -> None:
        pairs_match = re.search(r"<(\w+:)?HeadingPairs>(.*?)</\1?HeadingPairs>", self.xml, re.S)
        titles_match = re.search(r"<(\w+:)?TitlesOfParts>(.*?)</\1?TitlesOfParts>", self.xml, re.S)
        if not pairs_match or not titles_match:
            return
        values = list(re.finditer(r"<(\w+):(lpstr|i4)>([^<]*)</\1:\2>", pairs_match.group(2)))
        titles = list(re.finditer(r"<(\w+):lpstr>([^<]*)</\1:lpstr>", titles_match.group(2)))
        if len(values) % 2:
            return
        position = 0
        for k in range(0, len(values), 2):
            count_match = values[k + 1]
            if count_match.group(2) != "i4":
                return
            count = int(count_match.group(3))
            block = [_unescape(t.group(2)) for t in titles[position : position + count]]
            if block == worksheet_names and count:
                vt = titles[0].group(1)
                insert_at = titles_match.start(2) + titles[position + count - 1].end()
                count_at = pairs_match.start(2) + count_match.start(3), pairs_match.start(2) + count_match.end(3)
                new = self.xml[:insert_at] + f"<{vt}:lpstr>{xml_text(name)}</{vt}:lpstr>" + self.xml[insert_at:]
                new = new[: count_at[0]] + str(count + 1) + new[count_at[1] :]
                # The titles vector's size comes after the count in the file, so its offset moved by the edits.
                vector = re.compile(r'(<\w+:vector\b[^>]*\bsize=")(\d+)(")')
                titles_start = new.index("TitlesOfParts>")
                size = vector.search(new, titles_start)
                if not size:
                    return
                new = new[: size.start(2)] + str(int(size.group(2)) + 1) + new[size.end(2) :]
                self.xml = new
                self.changed = True
                return
            position += count

    def render(self) -> bytes:
        return self.xml.encode("utf-8")


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )
