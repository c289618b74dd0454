"""The workbook as a set of zip parts that the writer edits: relationships, content types, part names.

Small XML parts (relationships, content types) are edited as text: new elements are inserted and old ones
cut out, so everything else in them keeps its exact bytes.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from defusedxml.ElementTree import fromstring as parse_xml  # no entities, no DTD tricks: the book is user input

from .cell_xml import xml_attr
from .refusal import WriteRefused
from .styles import attributes
from .zip_package import BadWorkbookZip, SourceZip

PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
REL_WORKSHEET = _DOC_REL + "worksheet"
REL_DRAWING = _DOC_REL + "drawing"
REL_CHART = _DOC_REL + "chart"
REL_TABLE = _DOC_REL + "table"
REL_STYLES = _DOC_REL + "styles"
REL_CALC_CHAIN = _DOC_REL + "calcChain"
REL_SHARED_STRINGS = _DOC_REL + "sharedStrings"
REL_OFFICE_DOCUMENT = _DOC_REL + "officeDocument"
REL_EXTENDED_PROPERTIES = _DOC_REL + "extended-properties"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"

Content = bytes | Iterable[bytes | str]


def rels_part_of(part: str) -> str:
    """xl/worksheets/sheet1.xml -> xl/worksheets/_rels/sheet1.xml.rels; '' (the package) -> _rels/.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target as a part name (no leading slash), relative to the part that holds the rel."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative_target(source_part: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source_part) or ".")


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # as written
    external: bool
    part: str | None  # resolved part name for internal targets


class Relationships:
    """One .rels part, editable as text."""

    def __init__(self, source_part: str, xml: bytes | None) -> None:
        self.source_part = source_part
        self.xml = (
            xml.decode("utf-8-sig")
            if xml
            else f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL_NS}"></Relationships>'
        )
        self.created = xml is None
        self.changed = False
        try:
            root = parse_xml(self.xml.encode("utf-8"))
        except ET.ParseError as error:
            raise BadWorkbookZip(f"relationships of {source_part or 'the package'} are damaged: {error}") from error
        self.items: list[Relationship] = []
        for el in root:
            if el.tag != f"{{{PKG_REL_NS}}}Relationship":
                continue
            external = el.get("TargetMode", "Internal") == "External"
            target = el.get("Target", "")
            part = None if external else resolve_target(source_part, target)
            self.items.append(Relationship(el.get("Id", ""), el.get("Type", ""), target, external, part))

    def by_id(self, rel_id: str) -> Relationship | None:
        return next((r for r in self.items if r.id == rel_id), None)

    def of_type(self, rel_type: str) -> list[Relationship]:
        # Strict-conformance files use other namespaces; the type's last segment is what matters here.
        tail = rel_type.rsplit("/", 1)[-1]
        return [r for r in self.items if r.type == rel_type or r.type.rsplit("/", 1)[-1] == tail]

    def add(self, rel_type: str, part: str) -> str:
        used = {r.id for r in self.items}
        n = len(self.items) + 1
        while f"rId{n}" in used:
            n += 1
        rel_id = f"rId{n}"
        target = relative_target(self.source_part, part)
        element = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{xml_attr(target)}"/>'
        self.xml = _insert_before_close(self.xml, "Relationships", element)
        self.items.append(Relationship(rel_id, rel_type, target, False, part))
        self.changed = True
        return rel_id

    def remove(self, rel_id: str) -> None:
        pattern = re.compile(r"<(?:\w+:)?Relationship\b[^>]*?(?:/>|>.*?</(?:\w+:)?Relationship>)", re.S)
        for match in pattern.finditer(self.xml):
            if attributes(match.group(0)[: match.group(0).index(">") + 1]).get("Id") == rel_id:
                self.xml = self.xml[: match.start()] + self.xml[match.end() :]
                break
        self.items = [r for r in self.items if r.id != rel_id]
        self.changed = True

    def render(self) -> bytes:
        return self.xml.encode("utf-8")


def _insert_before_close(xml: str, element: str, text: str) -> str:
    closings = list(re.finditer(rf"</(?:\w+:)?{element}\s*>", xml))
    match = closings[-1] if closings else None
    if match is None:  # self-closing root, e.g. <Relationships .../>
        empty = re.search(rf"<((?:\w+:)?{element})\b([^>]*?)/>", xml)
        if not empty:
            raise BadWorkbookZip(f"no <{element}> element")
        return (
            xml[: empty.start()] + f"<{empty.group(1)}{empty.group(2)}>{text}</{empty.group(1)}>" + xml[empty.end() :]
        )
    return xml[: match.start()] + text + xml[match.start() :]


class ContentTypes:
    """[Content_Types].xml, editable as text."""

    NAME = "[Content_Types].xml"
    _OVERRIDE = re.compile(r"<(?:\w+:)?Override\b[^>]*?(?:/>|>\s*</(?:\w+:)?Override>)", re.S)
    _DEFAULT = re.compile(r"<(?:\w+:)?Default\b[^>]*?(?:/>|>\s*</(?:\w+:)?Default>)", re.S)

    def __init__(self, xml: bytes) -> None:
        self.xml = xml.decode("utf-8-sig")
        self.changed = False

    def _overrides(self) -> Iterable[tuple[re.Match[str], str]]:
        for match in self._OVERRIDE.finditer(self.xml):
            yield match, attributes(match.group(0)).get("PartName", "")

    def override_of(self, part: str) -> str | None:
        for match, name in self._overrides():
            if name.lstrip("/").lower() == part.lower():
                return attributes(match.group(0)).get("ContentType")
        return None

    def defaults(self) -> dict[str, str]:
        found = {}
        for match in self._DEFAULT.finditer(self.xml):
            attrs = attributes(match.group(0))
            found[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")
        return found

    def add_override(self, part: str, content_type: str) -> None:
        self.remove_override(part)
        element = f'<Override PartName="/{xml_attr(part)}" ContentType="{content_type}"/>'
        self.xml = _insert_before_close(self.xml, "Types", element)
        self.changed = True

    def remove_override(self, part: str) -> None:
        for match, name in list(self._overrides()):
            if name.lstrip("/").lower() == part.lower():
                self.xml = self.xml[: match.start()] + self.xml[match.end() :]
                self.changed = True
                return

    def ensure_default(self, extension: str, content_type: str) -> None:
        if extension not in self.defaults():
            element = f'<Default Extension="{extension}" ContentType="{content_type}"/>'
            self.xml = _insert_before_close(self.xml, "Types", element)
            self.changed = True

    def render(self) -> bytes:
        return self.xml.encode("utf-8")


class PackageEdit:
    """The source zip plus the writer's changes: parts replaced, added and removed."""

    def __init__(self, source: SourceZip) -> None:
        self.source = source
        self.replaced: dict[str, Content] = {}  # actual source name -> new content
        self.added: dict[str, Content] = {}
        self.removed: set[str] = set()

    def exists(self, part: str) -> bool:
        actual = self.source.actual_name(part)
        if actual is not None and actual not in self.removed:
            return True
        return any(name.lower() == part.lower() for name in self.added)

    def read(self, part: str) -> bytes | None:
        actual = self.source.actual_name(part)
        if actual is not None and actual not in self.removed:
            content = self.replaced.get(actual)
            if content is None:
                return self.source.read(actual)
            if isinstance(content, bytes):
                return content
            raise RuntimeError(f"{part} is streamed and cannot be read back here")
        for name, content in self.added.items():
            if name.lower() == part.lower():
                if isinstance(content, bytes):
                    return content
                raise RuntimeError(f"{part} is streamed and cannot be read back here")
        return None

    def head(self, part: str, size: int) -> bytes:
        actual = self.source.actual_name(part)
        if actual is not None and actual not in self.removed and actual not in self.replaced:
            return self.source.head(actual, size)
        return (self.read(part) or b"")[:size]

    def put(self, part: str, content: Content) -> None:
        actual = self.source.actual_name(part)
        if actual is not None:
            self.removed.discard(actual)
            self.replaced[actual] = content
            return
        for name in list(self.added):
            if name.lower() == part.lower():
                del self.added[name]
        self.added[part] = content

    def delete(self, part: str) -> None:
        actual = self.source.actual_name(part)
        if actual is not None:
            self.replaced.pop(actual, None)
            self.removed.add(actual)
        for name in list(self.added):
            if name.lower() == part.lower():
                del self.added[name]

    def part_names(self) -> list[str]:
        names = [n for n in self.source.names if n not in self.removed]
        return names + list(self.added)

    def free_name(self, pattern: str) -> str:
        """The first unused part name like 'xl/charts/chart{}.xml'."""
        taken = {n.lower() for n in self.part_names()}
        n = 1
        while pattern.format(n).lower() in taken:
            n += 1
        return pattern.format(n)

    def relationships(self, part: str) -> Relationships:
        return Relationships(part, self.read(rels_part_of(part)))

    def reachable_parts(self) -> set[str]:
        """Every part reachable from the package root through internal relationships (lower-cased)."""
        seen: set[str] = set()
        stack = [""]
        while stack:
            part = stack.pop()
            rels_name = rels_part_of(part) if part else "_rels/.rels"
            data = self.read(rels_name)
            if not data:
                continue
            for rel in Relationships(part, data).items:
                if rel.part and rel.part.lower() not in seen:
                    seen.add(rel.part.lower())
                    stack.append(rel.part)
        return seen

    def descendants(self, part: str) -> set[str]:
        """Parts reachable from `part` (not including it), following relationships from the current content."""
        found: set[str] = set()
        stack = [part]
        while stack:
            current = stack.pop()
            data = self.read(rels_part_of(current))
            if not data:
                continue
            for rel in Relationships(current, data).items:
                if rel.part and rel.part.lower() not in found and self.exists(rel.part):
                    found.add(rel.part.lower())
                    stack.append(rel.part)
        found.discard(part.lower())
        return found

    def drop_orphans(self, candidates: set[str], content_types: ContentTypes) -> list[str]:
        """Remove those of `candidates` that nothing reaches any more, with their rels and content types."""
        if not candidates:
            return []
        reachable = self.reachable_parts()
        gone = []
        for lower in sorted(candidates):
            if lower in reachable:
                continue
            name = self.source.actual_name(lower) or next((n for n in self.added if n.lower() == lower), lower)
            self.delete(name)
            self.delete(rels_part_of(name))
            content_types.remove_override(name)
            gone.append(name)
        return gone


def require(data: bytes | None, what: str) -> bytes:
    if data is None:
        raise WriteRefused(f"The workbook has no {what}; it is damaged. Open and save it in Excel, then run again.")
    return data
