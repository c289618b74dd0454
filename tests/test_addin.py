"""The add-in file as built: its ribbon XML, its VBA project read back by oletools (an independent reader),
the install and uninstall, and the `billing addin` command line.

Whether Excel opens the file, shows the tab and compiles the VBA can only be seen in Excel: see the README's
manual test. What can be checked here is that every part holds what Excel's specifications ask."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

from billing_addin.cli.app import main
from billing_addin.excel import ribbon, xlwings_shell
from billing_addin.excel.addin_file import SOURCE, build_addin, vba_sources
from billing_addin.excel.install import config_text, excel_places, python_settings
from billing_addin.excel.ovba_compression import compress
from billing_addin.excel.udf_vba import udf_vba_module

NS = "{http://schemas.microsoft.com/office/2009/07/customui}"

# Element and attribute names of Microsoft's ribbon schema for the 2009/07 namespace: [MS-CUSTOMUI2] "Custom UI
# XML Markup Version 2 Specification", section 2.3, customUI14.xsd: CT_CustomUI, CT_Ribbon, CT_Tabs, CT_Tab,
# CT_Group, CT_Button (CT_ButtonRegular inside menus), CT_MenuRegular, CT_Separator (the names this file may use;
# the schema has more).
_CONTROL = {"id", "idQ", "tag", "visible", "getVisible", "insertAfterMso", "insertBeforeMso", "insertAfterQ",
            "insertBeforeQ", "label", "getLabel", "keytip", "getKeytip", "screentip", "getScreentip", "supertip",
            "getSupertip", "enabled", "getEnabled", "image", "imageMso", "getImage", "showImage", "getShowImage",
            "showLabel", "getShowLabel"}  # fmt: skip
ALLOWED = {
    "customUI": {"onLoad", "loadImage"},
    "ribbon": {"startFromScratch"},
    "tabs": set(),
    "tab": {
        "id",
        "idQ",
        "idMso",
        "tag",
        "label",
        "getLabel",
        "keytip",
        "getKeytip",
        "visible",
        "getVisible",
        "insertAfterMso",
        "insertBeforeMso",
        "insertAfterQ",
        "insertBeforeQ",
    },  # fmt: skip
    "group": _CONTROL - {"enabled", "getEnabled", "showImage", "getShowImage", "showLabel", "getShowLabel"}
    | {"idMso", "autoScale", "centerVertically"},
    "button": _CONTROL | {"idMso", "onAction", "size", "getSize", "description", "getDescription"},
    "menu": _CONTROL | {"idMso", "size", "getSize", "itemSize", "description", "getDescription"},
    "separator": {
        "id",
        "idQ",
        "tag",
        "visible",
        "getVisible",
        "insertAfterMso",
        "insertBeforeMso",
        "insertAfterQ",
        "insertBeforeQ",
    },  # fmt: skip
}


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin"))


@pytest.fixture(scope="module")
def custom_ui(addin) -> ET.Element:
    with zipfile.ZipFile(addin) as z:
        rels = z.read("_rels/.rels").decode()
        assert 'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" ' in rels
        assert 'Target="customUI/customUI14.xml"' in rels
        return ET.fromstring(z.read("customUI/customUI14.xml"))


@pytest.fixture(scope="module")
def vba(addin) -> dict[str, str]:
    parser = VBA_Parser(str(addin))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_ribbon_xml_uses_only_names_of_the_ribbon_schema(custom_ui):
    assert custom_ui.tag == f"{NS}customUI"
    for element in custom_ui.iter():
        assert element.tag.startswith(NS), element.tag
        name = element.tag[len(NS) :]
        assert name in ALLOWED, name
        assert set(element.attrib) <= ALLOWED[name], (name, set(element.attrib) - ALLOWED[name])
    ids = [e.get("id") for e in custom_ui.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), "control ids are unique"
    (tab,) = custom_ui.iter(f"{NS}tab")
    assert tab.get("label") == "Billing"


def test_every_button_has_a_handler_and_every_handler_a_button(custom_ui):
    buttons = list(custom_ui.iter(f"{NS}button"))
    tags = [b.get("tag") for b in buttons]
    assert len(tags) == len(set(tags)) == len(ribbon.BUTTONS) == 20
    assert set(tags) == set(ribbon.HANDLERS)
    assert {b.get("onAction") for b in buttons} == {"OnBillingButton"}
    labels = {b.get("label") for b in custom_ui.iter() if b.get("label")}
    for wanted in ("Validate", "Refresh", "Late Fees", "Preview", "Post to Adjustments", "Dunning Preview",
                   "Make Letters", "Selected Rows", "All Due", "Invoices for Selected Rows",
                   "Statement for Selected Customer", "Propose Plan for Selected Customer", "Plan Letters",
                   "Open Output Folder", "Check Templates", "Help"):  # fmt: skip
        assert wanted in labels


def test_the_vba_read_back_holds_the_dispatcher_runpython_and_the_udfs(vba):
    assert set(vba) == {"ThisWorkbook", "Sheet1", "BillingRibbon", "xlwings", "xlwings_udfs", "Dictionary"}
    assert "Public Sub OnBillingButton(control As IRibbonControl)" in vba["BillingRibbon"]
    call = 'RunPython "from billing_addin.excel.xlwings_shell import ribbon_clicked; ribbon_clicked(\'" & control.Tag'
    assert call in vba["BillingRibbon"]
    assert callable(xlwings_shell.ribbon_clicked)
    assert "Public Function RunPython(PythonCommand As String)" in vba["xlwings"]
    assert 'Public Const PROJECT_NAME As String = "billing_addin"' in vba["xlwings"]
    assert "Function XLPy()" in vba["xlwings"]  # what the UDF wrappers call
    # Every module reads back exactly as its source (line endings aside).
    for name, text in vba_sources().items():
        want = text.replace("\r\n", "\n").strip("\n")
        if name == "Dictionary":
            want = want[want.index("Attribute VB_Name") :]  # the .cls export header is not part of the module
        assert vba[name].replace("\r\n", "\n").strip("\n") == want, name
    assert vba["xlwings_udfs"].replace("\r\n", "\n").strip("\n") == udf_vba_module().strip("\n")
    ribbon_source = (SOURCE / "BillingRibbon.bas").read_text().replace("\r\n", "\n")
    assert vba["BillingRibbon"].replace("\r\n", "\n").strip("\n") == ribbon_source.strip("\n")


def test_the_package_parts_agree_with_the_vba_project(addin):
    with zipfile.ZipFile(addin) as z:
        types = z.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
        assert 'ContentType="application/vnd.ms-office.vbaProject"' in types
        assert (
            'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"'
            in z.read("xl/_rels/workbook.xml.rels").decode()
        )
        workbook = z.read("xl/workbook.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ET.fromstring(z.read(name))  # every XML part parses
        project_bin = z.read("xl/vbaProject.bin")
    assert 'codeName="ThisWorkbook"' in workbook and 'codeName="Sheet1"' in sheet
    ole = olefile.OleFileIO(project_bin)
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Document=ThisWorkbook/&H00000000" in project and "Document=Sheet1/&H00000000" in project
    assert re.search(r"^Module=BillingRibbon\r$", project, re.M)
    assert "Class=Dictionary" in project
    # No compiled p-code: the _VBA_PROJECT stream's version is 0xFFFF ([MS-OVBA] 2.3.4.1), so Excel compiles.
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == bytes.fromhex("cc61ffff")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"abc" * 3000,
        os.urandom(4096),
        os.urandom(5000),
        (SOURCE / "BillingRibbon.bas").read_bytes() * 20,
        bytes(range(256)) * 40,
    ],
)
def test_compression_is_read_back_by_oletools(data):
    packed = compress(data)
    assert bytes(decompress_stream(bytearray(packed))) == data if data else packed == b"\x01"


# --- install, uninstall, the command line -------------------------------------------------------------------


def test_install_and_uninstall_through_the_command_line(tmp_path, capsys):
    folder, config = tmp_path / "XLSTART", tmp_path / "settings" / "billing_addin.conf"
    assert main(["addin", "install", "--dir", str(folder), "--config", str(config)]) == 0
    addin = folder / "billing_addin.xlam"
    assert zipfile.is_zipfile(addin)
    text = config.read_text()
    assert '"UDF MODULES","billing_addin.excel.udfs"' in text
    assert '"PYTHONPATH","' in text and ('"INTERPRETER_MAC","' in text or '"INTERPRETER_WIN","' in text)
    assert "Installed" in capsys.readouterr().out
    assert main(["addin", "uninstall", "--dir", str(folder), "--config", str(config)]) == 0
    assert not addin.exists() and not config.exists()
    assert main(["addin", "uninstall", "--dir", str(folder), "--config", str(config)]) == 0
    assert "Nothing to remove" in capsys.readouterr().out


def test_install_without_excel_says_where_it_would_go(capsys, monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["addin", "install"]) == 2
    err = capsys.readouterr().err
    assert r"C:\Users\<you>\AppData\Roaming\Microsoft\Excel\XLSTART" in err
    assert "Startup.localized/Excel" in err


def test_excel_places_on_windows_and_macos():
    win = excel_places("win32", Path("/home/x"), {"APPDATA": "/a", "USERPROFILE": "/u"})
    assert win.addin_dir == Path("/a/Microsoft/Excel/XLSTART")
    assert win.config_file == Path("/u/.billing_addin/billing_addin.conf")
    mac = excel_places("darwin", Path("/Users/x"))
    assert mac.config_file == Path("/Users/x/Library/Containers/com.microsoft.Excel/Data/billing_addin.conf")
    assert excel_places("linux") is None
    settings = python_settings("/venv/bin/python", "darwin")
    assert config_text(settings).splitlines()[0] == '"INTERPRETER_MAC","/venv/bin/python"'


def test_build_and_press_from_the_command_line(tmp_path, capsys):
    assert main(["addin", "build", "--out", str(tmp_path / "x.xlam")]) == 0
    assert zipfile.is_zipfile(tmp_path / "x.xlam")
    assert main(["addin", "press", "help", str(tmp_path / "none.xlsx")]) == 0
    assert "Dunning Preview" in capsys.readouterr().out
    assert main(["addin", "press", "nope", str(tmp_path / "none.xlsx")]) == 2
    assert main(["addin", "press", "validate", str(tmp_path / "none.xlsx")]) == 0
    assert "no such file" in capsys.readouterr().out
