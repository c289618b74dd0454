"""PDF engines behind one interface: LibreOffice headless on Linux and macOS, Word through COM on Windows.

Starting LibreOffice costs more than converting a one-page letter, so letters are not converted one by
one: a batch of letters made from the same template goes into one master document (each letter its own
section, numbered from page 1, marked by a bookmark), the master is converted once, and the PDF is cut
back into letters at the bookmarks' pages with pypdf. Two lanes run side by side on two cores, each
LibreOffice with its own profile (two on one profile hand work to each other and one exits).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from lxml import etree
from pypdf import PdfReader, PdfWriter

from billing_addin.documents.render import SECT_MARK, START_MARK, W_NS, XML_DECLARATION, RenderedLetter, W

# LibreOffice exports Writer bookmarks as named destinations only when asked (LibreOffice 7.4+ JSON options).
PDF_FILTER = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
BOOKMARK_ID_BASE = 900_000  # far above the ids Word gives a letter's own bookmarks
HOW_TO_GET_PDFS = (
    "Install LibreOffice (Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui; macOS: "
    "brew install --cask libreoffice) or, on Windows, Microsoft Word with pywin32; then run again with --again."
)


class PdfError(Exception):
    """A conversion failed; the message is for the clerk."""


def bookmark_name(i: int) -> str:
    return f"L{i:05d}"  # letters and digits only: LibreOffice escapes other characters in destination names


def master_document(letters: Sequence[RenderedLetter]) -> bytes:
    """One .docx that holds `letters` (all of one group) one after the other, each starting a new page
    numbered 1 and marked by a bookmark L00000, L00001, ..."""
    if not letters:
        raise ValueError("no letters")
    if len({letter.group for letter in letters}) != 1:
        raise ValueError("letters of different templates cannot share a master document")
    with zipfile.ZipFile(io.BytesIO(letters[0].docx)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    document = parts["word/document.xml"].decode("utf-8")
    head = document[: document.index("<w:body")]
    tail = document[document.rindex("</w:body>") + len("</w:body>") :]
    if head.startswith("<?xml"):
        head = head[head.index("?>") + 2 :].lstrip()
    section = _section(letters[0].section)
    pieces = []
    for i, letter in enumerate(letters):
        bid = BOOKMARK_ID_BASE + i
        mark = f'<w:bookmarkStart w:id="{bid}" w:name="{bookmark_name(i)}"/><w:bookmarkEnd w:id="{bid}"/>'
        last = i == len(letters) - 1
        pieces.append(letter.body.replace(START_MARK, mark, 1).replace(SECT_MARK, "" if last else section))
    body = f"<w:body>{''.join(pieces)}{section}</w:body>"
    parts["word/document.xml"] = (XML_DECLARATION + head + body + tail).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _section(section_xml: str) -> str:
    """A letter's section properties as a section that starts on a new page numbered 1."""
    if not section_xml:
        return f'<w:sectPr xmlns:w="{W_NS}"><w:type w:val="nextPage"/><w:pgNumType w:start="1"/></w:sectPr>'
    sect = etree.fromstring(section_xml)
    for old in sect.findall(W + "type") + sect.findall(W + "pgNumType"):
        sect.remove(old)
    # Schema order: header/footer references and note properties come before the section type.
    before = [
        c for c in sect if c.tag in {W + "headerReference", W + "footerReference", W + "footnotePr", W + "endnotePr"}
    ]
    kind = etree.Element(W + "type")
    kind.set(W + "val", "nextPage")
    sect.insert(len(before), kind)
    numbering = etree.Element(W + "pgNumType")
    numbering.set(W + "start", "1")
    cols = sect.find(W + "cols")
    if cols is not None:
        cols.addprevious(numbering)
    else:
        sect.append(numbering)
    return etree.tostring(sect, encoding="unicode")


def split_at_bookmarks(pdf: bytes, count: int) -> list[bytes]:
    """Cut a master document's PDF into `count` letters at the pages of bookmarks L00000..."""
    reader = PdfReader(io.BytesIO(pdf))
    starts: dict[int, int] = {}
    for name, dest in reader.named_destinations.items():
        key = str(name).lstrip("/")
        if key.startswith("L") and key[1:].isdigit():
            starts[int(key[1:])] = reader.get_destination_page_number(dest)
    for item in _outline(reader.outline):  # Word exports bookmarks as an outline instead
        title = str(item.title)
        if title.startswith("L") and title[1:].isdigit():
            starts.setdefault(int(title[1:]), reader.get_destination_page_number(item))
    missing = [i for i in range(count) if i not in starts]
    if missing:
        raise PdfError(f"the PDF lost the marks of {len(missing)} letter(s); they were not cut apart")
    bounds = [starts[i] for i in range(count)] + [len(reader.pages)]
    if any(b >= e for b, e in zip(bounds, bounds[1:])):
        raise PdfError("the PDF's letters are out of order; they were not cut apart")
    out = []
    for i in range(count):
        writer = PdfWriter()
        for p in range(bounds[i], bounds[i + 1]):
            writer.add_page(reader.pages[p])
        buffer = io.BytesIO()
        writer.write(buffer)
        out.append(buffer.getvalue())
    return out


def _outline(items):
    for item in items:
        if isinstance(item, list):
            yield from _outline(item)
        else:
            yield item


class LibreOfficeEngine:
    """Converts master documents with `soffice --headless`; each lane (thread) gets its own profile."""

    name = "LibreOffice"

    def __init__(self, soffice: str, timeout_s: float = 120.0, per_letter_s: float = 2.0):
        self.soffice = soffice
        self.timeout_s = timeout_s
        self.per_letter_s = per_letter_s
        self.work = Path(tempfile.mkdtemp(prefix="billing-pdf-"))
        self.running: set[subprocess.Popen] = set()  # so that Ctrl-C can stop every lane's converter
        self.cancelled = False

    def convert(self, letters: Sequence[RenderedLetter], lane: int) -> list[bytes]:
        """PDF bytes for each of `letters` (one group), in order."""
        if self.cancelled:
            raise PdfError("stopped")
        folder = self.work / f"lane{lane}"
        folder.mkdir(exist_ok=True)
        source = folder / "letters.docx"
        source.write_bytes(master_document(letters))
        target = source.with_suffix(".pdf")
        target.unlink(missing_ok=True)
        profile = (self.work / f"profile{lane}").as_uri()
        command = [
            self.soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            PDF_FILTER,
            "--outdir",
            str(folder),
            str(source),
        ]
        run_killable(
            command, self.timeout_s + self.per_letter_s * len(letters), f"{len(letters)} letter(s)", self.running
        )
        if not target.exists():
            raise PdfError(f"LibreOffice made no PDF of {len(letters)} letter(s)")
        return split_at_bookmarks(target.read_bytes(), len(letters))

    def cancel(self) -> None:
        self.cancelled = True
        for proc in list(self.running):
            _kill(proc)

    def close(self) -> None:
        self.cancel()
        shutil.rmtree(self.work, ignore_errors=True)


class WordEngine:
    """Microsoft Word through COM (Windows, pywin32). UNPROVEN here: Word cannot run on Linux, so this
    path has never been executed by the test suite; it follows Word's documented ExportAsFixedFormat."""

    name = "Word"

    def __init__(self):
        import win32com.client  # noqa: F401  (Windows only; detect_engine checks it is there)

        self.work = Path(tempfile.mkdtemp(prefix="billing-pdf-"))

    def convert(self, letters: Sequence[RenderedLetter], lane: int) -> list[bytes]:
        import pythoncom
        import win32com.client

        pythoncom.CoInitialize()
        source = self.work / f"letters{lane}.docx"
        source.write_bytes(master_document(letters))
        target = source.with_suffix(".pdf")
        word = win32com.client.DispatchEx("Word.Application")
        word.Visible = False
        try:
            doc = word.Documents.Open(str(source), ReadOnly=True)
            # 17 = wdExportFormatPDF; CreateBookmarks 2 = wdExportCreateWordBookmarks (our L00000 marks).
            doc.ExportAsFixedFormat(str(target), 17, CreateBookmarks=2)
            doc.Close(False)
        finally:
            word.Quit()
            pythoncom.CoUninitialize()
        return split_at_bookmarks(target.read_bytes(), len(letters))

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def run_killable(command: list[str], timeout_s: float, what: str, running: set | None = None) -> None:
    """Run a converter; if it hangs past `timeout_s`, kill it and everything it started, and say so.
    `running` holds the process while it runs, for whoever must stop it sooner."""
    running = set() if running is None else running
    # Its own session: Ctrl-C in the terminal reaches the batch, which stops the converter itself.
    kw = {"start_new_session": True} if os.name == "posix" else {}
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw) as proc:
        running.add(proc)
        try:
            _, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise PdfError(f"the PDF converter hung on {what} and was stopped after {timeout_s:.0f} s") from None
        except BaseException:  # Ctrl-C: never leave a converter running behind the clerk
            _kill(proc)
            raise
        finally:
            running.discard(proc)
    if proc.returncode != 0:
        detail = stderr.decode(errors="replace").strip().splitlines()[-1:] if stderr else []
        raise PdfError(f"the PDF converter failed on {what} (exit {proc.returncode}) {' '.join(detail)}".strip())


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def find_soffice() -> str | None:
    """The LibreOffice program, from PATH or its usual install places."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    candidates = [
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
        r"C:\Program Files\LibreOffice\program\soffice.exe",
    ]
    return next((c for c in candidates if Path(c).exists()), None)


def detect_engine(preference: str = "Auto"):
    """The engine the PDF Engine setting asks for (Auto: Word on Windows if there, else LibreOffice),
    or None when there is none (then only DOCX files are made)."""
    preference = (preference or "Auto").strip().casefold()
    if preference == "none":
        return None
    if preference in ("auto", "word") and sys.platform == "win32":
        try:
            return WordEngine()
        except ImportError:
            if preference == "word":
                return None
    if preference in ("auto", "libreoffice"):
        soffice = find_soffice()
        if soffice:
            return LibreOfficeEngine(soffice)
    return None
