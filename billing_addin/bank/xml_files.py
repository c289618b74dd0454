"""XML read safely (defusedxml: no DTD, no entities, no external references, so no billion laughs and no file
fetched), with the line each element starts on, and small helpers to walk camt and OFX trees by local name."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from billing_addin.bank.statement import BankFileError

CHUNK = 1024 * 1024


class _Builder:
    """An ElementTree builder that notes the line each element starts on."""

    def __init__(self) -> None:
        self.tree = ET.TreeBuilder()
        self.lines: dict[ET.Element, int] = {}
        self.parser: DefusedXMLParser | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        elem = self.tree.start(tag, attrs)
        if self.parser is not None:
            self.lines[elem] = self.parser.parser.CurrentLineNumber
        return elem

    def end(self, tag: str) -> ET.Element:
        return self.tree.end(tag)

    def data(self, data: str) -> None:
        self.tree.data(data)

    def close(self) -> ET.Element:
        return self.tree.close()


def parse_xml(path: Path, source: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The root element and each element's line; BankFileError for XML that is broken or declares entities."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                parser.feed(chunk)
        root = parser.close()
    except DefusedXmlException as e:
        raise BankFileError(
            source,
            f"declares a DTD or XML entities ({type(e).__name__}), which no bank file does; it was refused unread "
            "(such a file can be built to exhaust the computer's memory)",
            "Download the statement again from the bank's own site; do not import a file from elsewhere.",
            line=parser.parser.CurrentLineNumber,
        ) from None
    except LookupError as e:  # <?xml encoding="..."?> names no encoding there is
        raise BankFileError(
            source,
            f"declares a text encoding that does not exist ({e})",
            "The file is damaged: download it again from the bank.",
            line=1,
        ) from None
    except ET.ParseError as e:
        line, column = e.position
        reason = str(e).split(":")[0]
        raise BankFileError(
            source,
            f"is not well-formed XML ({reason}, at character {column + 1})",
            "The file is damaged or was not downloaded whole: download it again from the bank.",
            line=line,
        ) from None
    return root, builder.lines


def local(tag: str) -> str:
    """'{urn:iso:std:iso:20022:tech:xsd:camt.053.001.08}Ntry' -> 'Ntry'."""
    return tag.rpartition("}")[2]


def namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def child(elem: ET.Element | None, *path: str) -> ET.Element | None:
    """The first element down `path` of local names, or None."""
    for name in path:
        if elem is None:
            return None
        elem = next((c for c in elem if local(c.tag) == name), None)
    return elem


def children(elem: ET.Element | None, name: str) -> Iterator[ET.Element]:
    if elem is None:
        return iter(())
    return (c for c in elem if local(c.tag) == name)


def descendants(elem: ET.Element | None, name: str) -> Iterator[ET.Element]:
    if elem is None:
        return iter(())
    return (c for c in elem.iter() if local(c.tag) == name)


def text(elem: ET.Element | None, *path: str) -> str:
    """The stripped text down `path`, '' when there is none."""
    found = child(elem, *path) if path else elem
    return (found.text or "").strip() if found is not None else ""
