"""The built CustomerTiers.xlsm: package parts, ribbon, VBA read back, second readers."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
from lxml import etree
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

from xl_addin.report.settings_sheet import parse_settings_rows
from xl_addin.settings import Settings
from xl_addin.template import build
from xl_addin.template.ovba import decompress

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "templates" / "CustomerTiers.xlsm"
NS = {
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "ui": "http://schemas.microsoft.com/office/2009/07/customui",
}


@pytest.fixture(scope="module")
def xlsm() -> bytes:
    return build.build_template()


@pytest.fixture(scope="module")
def package(xlsm) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(xlsm))


@pytest.fixture(scope="module")
def vba_bin(package) -> olefile.OleFileIO:
    return olefile.OleFileIO(io.BytesIO(package.read("xl/vbaProject.bin")),
                             raise_defects=olefile.DEFECT_INCORRECT)


def xml(package: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(package.read(name))


def relationships(package, name) -> dict[str, str]:
    """Relationship type -> target (each type appears once in this package's rels)."""
    return {r.get("Type"): r.get("Target") for r in xml(package, name).findall("rel:Relationship", NS)}


def source_modules() -> dict[str, str]:
    return {m.name: m.source for m in build.read_vba_modules()}


def normalise(text: str) -> str:
    return "\n".join(text.replace("\r\n", "\n").rstrip("\n").split("\n"))


# ---------------------------------------------------------------- determinism and freshness

def test_two_builds_give_the_same_bytes(xlsm):
    assert build.build_template() == xlsm


def test_zip_members_have_fixed_timestamps(package):
    assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_committed_template_equals_a_fresh_build():
    result = subprocess.run([sys.executable, "scripts/build_template.py", "--check"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_check_fails_on_a_stale_template(tmp_path, xlsm):
    stale = tmp_path / "stale.xlsm"
    parts = build.template_parts()
    parts = [(n, d.replace(b"Refresh tiers", b"Refresh tierz") if n == build.CUSTOM_UI_PART else d)
             for n, d in parts]
    stale.write_bytes(build.zip_parts(parts))
    result = subprocess.run([sys.executable, "scripts/build_template.py", "--check", "--output", str(stale)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "customUI/customUI14.xml" in result.stderr


def test_copy_template_writes_the_built_bytes(tmp_path, xlsm):
    assert build.copy_template(tmp_path / "book.xlsm").read_bytes() == xlsm


# ---------------------------------------------------------------- package parts

def test_content_types(package):
    types = xml(package, "[Content_Types].xml")
    defaults = {d.get("Extension"): d.get("ContentType") for d in types.findall("ct:Default", NS)}
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.findall("ct:Override", NS)}
    assert defaults["bin"] == "application/vnd.ms-office.vbaProject"
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    for name in package.namelist():  # every part has a content type
        extension = name.rsplit(".", 1)[-1]
        assert f"/{name}" in overrides or extension in defaults or name == "[Content_Types].xml", name


def test_relationships_include_the_ribbon_and_the_vba_project(package):
    package_rels = relationships(package, "_rels/.rels")
    assert package_rels[build.REL_CUSTOM_UI] == "customUI/customUI14.xml"
    assert package_rels[build.REL_OFFICE_DOCUMENT] == "xl/workbook.xml"
    workbook_rels = relationships(package, "xl/_rels/workbook.xml.rels")
    assert workbook_rels[build.REL_VBA_PROJECT] == "vbaProject.bin"
    names = set(package.namelist())
    for target in package_rels.values():
        assert target in names
    for rel in xml(package, "xl/_rels/workbook.xml.rels").findall("rel:Relationship", NS):
        assert f"xl/{rel.get('Target')}" in names


def test_ribbon_tab_and_buttons(package):
    ui = xml(package, "customUI/customUI14.xml")
    assert ui.tag == f"{{{NS['ui']}}}customUI"
    tab = ui.find("ui:ribbon/ui:tabs/ui:tab", NS)
    assert tab.get("label") == "Customer Tiers 客户分级"
    buttons = tab.findall(".//ui:button", NS)
    assert [(b.get("label"), b.get("onAction")) for b in buttons] == [
        ("Refresh tiers", "RefreshTiers"),
        ("Pareto chart", "RebuildPareto"),
        ("Settings", "ShowSettings"),
        ("Check data", "CheckData"),
        ("Import functions", "ImportFunctions"),
    ]
    assert buttons[0].get("size") == "large"


# ---------------------------------------------------------------- VBA

def stored_sources(vba_bin) -> dict[str, str]:
    """Module name -> source text, read from the compound file with olefile + our decompressor."""
    return {
        path[1]: decompress(vba_bin.openstream(path).read()).decode("cp1252")
        for path in vba_bin.listdir()
        if path[0] == "VBA" and path[1] not in ("dir", "_VBA_PROJECT")
    }


def test_vba_streams_hold_the_sources(vba_bin):
    stored = stored_sources(vba_bin)
    assert {k: normalise(v) for k, v in stored.items()} == {k: normalise(v) for k, v in source_modules().items()}
    assert all(text.endswith("\r\n") and "\n" not in text.replace("\r\n", "") for text in stored.values())
    assert vba_bin.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000000")


def test_oletools_extracts_the_same_sources(xlsm):
    parser = VBA_Parser("CustomerTiers.xlsm", data=xlsm)
    try:
        extracted = {Path(vba_name).stem: code for _, _, vba_name, code in parser.extract_macros()}
    finally:
        parser.close()
    assert set(extracted) == set(source_modules())
    for name, source in source_modules().items():
        # olevba drops the "Attribute ..." lines it hides from readers; the rest must be equal.
        body = [line for line in normalise(source).split("\n") if not line.startswith("Attribute ")]
        got = [line for line in normalise(extracted[name]).split("\n") if not line.startswith("Attribute ")]
        assert got == body, name


def test_every_ribbon_action_is_a_public_sub_taking_the_control(package, vba_bin):
    code = "\n".join(stored_sources(vba_bin).values())
    public_subs = set(re.findall(r"^Public Sub (\w+)\(control As IRibbonControl\)", code, re.M))
    actions = {b.get("onAction") for b in xml(package, "customUI/customUI14.xml").iter(f"{{{NS['ui']}}}button")}
    assert actions and actions <= public_subs


def test_callbacks_reach_the_python_entry_points(vba_bin):
    code = stored_sources(vba_bin)["CustomerTiers"]
    for entry in ("refresh_tiers", "rebuild_pareto", "show_settings", "check_data"):
        assert f'"import xl_addin.excel.ribbon as r; r.{entry}()"' in code
    assert 'Application.Run XLWINGS_ADDIN & "!RunPython", pythonCommand' in code
    assert 'RunXlwingsMacro "ImportPythonUDFs"' in code


def test_codenames_match_the_document_modules(package, vba_bin):
    project = vba_bin.openstream("PROJECT").read().decode("cp1252")
    documents = set(re.findall(r"^Document=(\w+)/&H00000000\r$", project, re.M))
    workbook = xml(package, "xl/workbook.xml")
    codenames = {workbook.find("main:workbookPr", NS).get("codeName")}
    for index in range(1, len(build.SHEET_NAMES) + 1):
        sheet = xml(package, f"xl/worksheets/sheet{index}.xml")
        codenames.add(sheet.find("main:sheetPr", NS).get("codeName"))
    assert codenames == documents == {"ThisWorkbook", "SalesSheet", "CustomersSheet", "SettingsSheet",
                                      "XlwingsConfSheet"}
    kinds = {name: kind for name, kind in ((m.name, m.kind) for m in build.read_vba_modules())}
    assert {n for n, k in kinds.items() if k == "document"} == documents


# ---------------------------------------------------------------- second readers

def test_openpyxl_reads_sheets_codenames_and_cells(tmp_path, xlsm):
    path = tmp_path / "t.xlsm"
    path.write_bytes(xlsm)
    book = openpyxl.load_workbook(path, keep_vba=True)
    assert book.sheetnames == ["Sales", "Customers", "Settings", "xlwings.conf"]
    assert book.code_name == "ThisWorkbook"
    assert {ws.title: ws.sheet_properties.codeName for ws in book} == build.SHEET_CODENAMES
    sales = list(book["Sales"].values)
    assert sales[0] == build.SALES_HEADERS
    assert len(sales) == 11
    assert sales[1][2].date().isoformat() == "2024-01-15"
    assert book["xlwings.conf"]["A1"].value == "UDF Modules"
    assert book["xlwings.conf"]["B1"].value == "udfs.customer_tiers"
    assert book["xlwings.conf"]["A2"].value is None  # xlwings stops reading keys at a blank


def test_calamine_reads_the_sheets_and_settings_parse_back(xlsm):
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsm))
    assert book.sheet_names == list(build.SHEET_NAMES)
    customers = book.get_sheet_by_name("Customers").to_python()
    assert customers[0] == list(build.CUSTOMERS_HEADERS)
    assert customers[-1][:2] == ["C006", "Lakeside Foods"]
    rows = book.get_sheet_by_name("Settings").to_python()
    rows = [[None if v == "" else v for v in row] for row in rows]
    assert parse_settings_rows(rows) == Settings()
