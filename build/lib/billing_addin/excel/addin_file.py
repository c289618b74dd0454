"""`billing addin build`: the billing_addin.xlam file, from the customUI XML and VBA text kept in addin_src/.

An .xlam is a zip of XML parts plus xl/vbaProject.bin, the VBA project ([MS-OVBA]: an OLE compound file with
one compressed stream per module). The VBA project is written by `ms_ovba` (PyPI, MIT, 0.0.1): it writes the
module sources and, as [MS-OVBA] 2.3.4.1 asks of a writer, no compiled p-code (the _VBA_PROJECT version 0xFFFF),
so Excel compiles the modules from their source when it opens the add-in. That Excel accepts the file is only
provable in Excel (see the README's manual test); here oletools reads the sources back.

The VBA project holds:
- BillingRibbon: the ribbon's one callback (addin_src/BillingRibbon.bas);
- xlwings: xlwings' own VBA for custom add-ins (RunPython, the UDF bridge), taken from the pinned xlwings
  package with its project name set to billing_addin, so its settings file is billing_addin.conf;
- Dictionary: the class xlwings' module needs on macOS (from the xlwings package);
- xlwings_udfs: the functions xlwings' "Import Functions" would write (udf_vba.py), so the UDFs work at once;
- ThisWorkbook and Sheet1: the document modules of the workbook and its one sheet.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
import zipfile
from pathlib import Path

from billing_addin.excel.udf_vba import udf_vba_module

SOURCE = Path(__file__).resolve().parent / "addin_src"
ADDIN_NAME = "billing_addin.xlam"
PROJECT_NAME = "billing_addin"  # xlwings' PROJECT_NAME: the settings file is billing_addin.conf
CONFIG_SHEET = "_billing_addin.conf"  # as xlwings' add-in template: renamed without "_" it overrides the file
_WORKBOOK_GUID = uuid.UUID("00020819-0000-0000-C000-000000000046")  # Excel's Workbook class (VB_Base)
_WORKSHEET_GUID = uuid.UUID("00020820-0000-0000-C000-000000000046")  # Excel's Worksheet class


def xlwings_vba_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent


def vba_sources() -> dict[str, str]:
    """Module name -> VBA source text (with its Attribute lines), for every standard and class module."""
    xlwings_dir = xlwings_vba_dir()
    xlwings_module = (xlwings_dir / "xlwings_custom_addin.bas").read_text(encoding="cp1252")
    marker = 'Public Const PROJECT_NAME As String = "myaddin"'
    if marker not in xlwings_module:
        raise RuntimeError("xlwings' custom add-in module changed; check the pinned xlwings version")
    return {
        "BillingRibbon": (SOURCE / "BillingRibbon.bas").read_text(encoding="cp1252"),
        "xlwings": xlwings_module.replace(marker, marker.replace("myaddin", PROJECT_NAME)),
        "xlwings_udfs": udf_vba_module(),
        "Dictionary": (xlwings_dir / "addin" / "Dictionary.cls").read_text(encoding="cp1252"),
    }


def custom_ui() -> bytes:
    return (SOURCE / "customUI14.xml").read_bytes()


def build_vba_project(folder: Path) -> bytes:
    """vbaProject.bin made by ms_ovba in `folder` (it writes its work files and output in the current folder)."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile

    class ClassModule(DocModule):
        """A class module: like a document module in the dir stream, "Class=" in the PROJECT stream, and its
        source without the VERSION/BEGIN/END header of an exported .cls file."""

        def to_project_module_string(self) -> str:
            return "Class=" + self.modName.value

        def normalize_file(self) -> None:
            text = Path(self._file_path).read_text(encoding="cp1252").splitlines()
            body = text[text.index(next(line for line in text if line.startswith("Attribute VB_Name"))) :]
            Path(self._file_path + ".new").write_bytes(("\r\n".join(body) + "\r\n").encode("cp1252"))

    def document(name: str, guid: uuid.UUID) -> DocModule:
        path = folder / f"{name}.cls"
        path.write_text(
            "VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  'True\nEND\n"
            f'Attribute VB_Name = "{name}"\nAttribute VB_GlobalNameSpace = False\nAttribute VB_Creatable = False\n'
            "Attribute VB_PredeclaredId = True\nAttribute VB_Exposed = True\n",
            encoding="cp1252",
        )
        module = DocModule(name)
        module.add_file(str(path))
        module.add_guid(guid)
        module.normalize_file()
        return module

    project = VbaProject()
    project.project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "billing_addin.xlam")).upper() + "}"
    project.add_module(document("ThisWorkbook", _WORKBOOK_GUID))
    project.add_module(document("Sheet1", _WORKSHEET_GUID))
    for name, text in vba_sources().items():
        path = folder / (f"{name}.cls" if name == "Dictionary" else f"{name}.bas")
        path.write_text(text.replace("\r\n", "\n"), encoding="cp1252")
        module = ClassModule(name) if name == "Dictionary" else StdModule(name)
        module.add_file(str(path))
        module.normalize_file()
        project.add_module(module)
    for guid, path, description, name in (
        ("00020430-0000-0000-C000-000000000046", r"C:\Windows\System32\stdole2.tlb", "OLE Automation", "stdole"),
        (
            "2DF8D04C-5BFA-101B-BDE5-00AA0044DE52",
            r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
            "Microsoft Office 16.0 Object Library",
            "Office",
        ),
    ):
        libid = LibidReference(uuid.UUID(guid), "2.0", "0", path, description)
        project.add_reference(Reference(ReferenceRegistered(libid), name))
    with contextlib.chdir(folder), _spec_compression():
        ProjectOleFile.write_file(project)
    return (folder / "vbaProject.bin").read_bytes()


@contextlib.contextmanager
def _spec_compression():
    """ms_ovba compresses module and dir streams with ms_ovba_compression, whose output oletools cannot read
    back past ~600 bytes; use ovba_compression (written from [MS-OVBA] 2.4.1) for the duration."""
    from ms_ovba_compression.ms_ovba import MsOvba

    from billing_addin.excel.ovba_compression import compress

    saved = MsOvba.compress
    MsOvba.compress = lambda self, data: compress(bytes(data))
    try:
        yield
    finally:
        MsOvba.compress = saved


def _parts(vba_project: bytes) -> dict[str, bytes]:
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    settings = [
        ("Interpreter_Win", ""),
        ("Interpreter_Mac", ""),
        ("PYTHONPATH", ""),
        ("UDF Modules", "billing_addin.excel.udfs"),
    ]
    strings = [s for pair in settings for s in pair if s]
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>{strings.index(k)}</v></c>'
        + (f'<c r="B{r}" t="s"><v>{strings.index(v)}</v></c>' if v else "")
        + "</row>"
        for r, (k, v) in enumerate(settings, start=1)
    )
    parts = {
        "[Content_Types].xml": head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>",
        "_rels/.rels": head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/extended-properties" Target="docProps/app.xml"/>'
        '<Relationship Id="rId4" Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" '
        'Target="customUI/customUI14.xml"/>'
        "</Relationships>",
        "docProps/app.xml": head
        + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>Microsoft Excel</Application></Properties>",
        "docProps/core.xml": head
        + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Billing add-in</dc:title></cp:coreProperties>',
        "xl/workbook.xml": head + f'<workbook {ns} xmlns:r="{rel}"><workbookPr codeName="ThisWorkbook"/>'
        '<bookViews><workbookView visibility="hidden"/></bookViews>'
        f'<sheets><sheet name="{CONFIG_SHEET}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": head
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId4" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        'Target="vbaProject.bin"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": head
        + f'<worksheet {ns}><sheetPr codeName="Sheet1"/><sheetData>{cells}</sheetData></worksheet>',
        "xl/sharedStrings.xml": head
        + f'<sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{s}</t></si>" for s in strings)
        + "</sst>",
        "xl/styles.xml": head
        + f'<styleSheet {ns}><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    }
    out = {name: text.encode("utf-8") for name, text in parts.items()}
    out["customUI/customUI14.xml"] = custom_ui()
    out["xl/vbaProject.bin"] = vba_project
    return out


def build_addin(out: Path) -> Path:
    """Write the add-in to `out` (a file, or a folder to hold billing_addin.xlam); return its path."""
    out = Path(out)
    if out.is_dir():
        out = out / ADDIN_NAME
    with tempfile.TemporaryDirectory(prefix="billing-addin-vba-") as work:
        vba_project = build_vba_project(Path(work))
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in _parts(vba_project).items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    temp.replace(out)
    return out
