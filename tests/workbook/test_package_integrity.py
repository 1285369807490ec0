"""Package integrity on real Excel files: calcChain, app.xml sheet titles, codeName of new
sheets in macro workbooks, no theme references without a theme part; and the reader on
workbooks whose other sheets calamine cannot handle (macro sheet, dialog sheet, r:id="")."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from xl_addin.errors import WorkbookError, reason
from xl_addin.workbook.read import SalesBook, worksheets_only
from xl_addin.workbook.refresh import read_sales
from xl_addin.workbook.xlsx import new_workbook, write_tables
from xl_addin.workbook.xlsx.package import PackageWriter, SourcePackage
from xl_addin.workbook.xlsx.styles import StyleBook
from xl_addin.workbook.xlsx.workbook_xml import WorkbookParts

from .corpus import CORPUS, SALES_ROWS, add_sales_sheet
from .conftest import make_xlsm

VALIDATE = CORPUS.parent / "ooxml" / "validate.py"
EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b"<sheetData/></worksheet>")


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


def _rewrite(source: Path, dest: Path, edit) -> Path:
    """``source`` saved as ``dest`` after ``edit(parts) -> {part: new bytes}`` on its
    WorkbookParts; the way the writer saves (raw copies, edited parts, deletions)."""
    with SourcePackage(source) as package:
        parts = WorkbookParts(package)
        new = edit(parts)
        new.update(parts.edited_parts())
        with open(dest, "wb") as out:
            writer = PackageWriter(out)
            for member in package.members:
                if member.name in new:
                    writer.write(member.name, new.pop(member.name))
                elif member.name not in parts.deleted:
                    writer.copy(package, member)
            for name, content in new.items():
                writer.write(name, content)
            writer.close()
    return dest


def _calc_entries(root: etree._Element) -> list[tuple[str, str]]:
    """(sheetId, cell) of each calcChain entry, with the inherited sheetId spelled out."""
    entries, current = [], None
    for cell in root:
        current = cell.get("i", current)
        entries.append((current, cell.get("r")))
    return entries


def _validator_findings(path: Path) -> list[dict]:
    if not VALIDATE.exists():
        pytest.skip(f"no validator at {VALIDATE}")
    report = path.with_suffix(".json")
    subprocess.run([sys.executable, str(VALIDATE), "--no-schema", "--json", str(report), str(path)],
                   capture_output=True, check=False)
    return json.loads(report.read_text("utf-8"))[0]["findings"]


# -- calcChain ------------------------------------------------------------------------------

def test_rewriting_a_sheet_with_formulas_drops_its_calc_chain_entries(tmp_path):
    source = corpus_file("sheetjs__formula_stress_test.xlsx")  # formulas on all 10 sheets
    with zipfile.ZipFile(source) as package:
        before = _calc_entries(etree.fromstring(package.read("xl/calcChain.xml")))
    # "Engineering" is sheetId 3, in xl/worksheets/sheet3.xml (workbook.xml, rId3)
    assert ("3", "B3") in before or any(i == "3" for i, _ in before)

    def replace_engineering(parts):
        entry = next(e for e in parts.sheets() if e.name == "Engineering")
        parts.clear_dependents(entry.part)
        return {entry.part: EMPTY_SHEET}

    result = _rewrite(source, tmp_path / "out.xlsx", replace_engineering)
    with zipfile.ZipFile(result) as package:
        after = _calc_entries(etree.fromstring(package.read("xl/calcChain.xml")))
    assert after == [e for e in before if e[0] != "3"]
    assert not [f for f in _validator_findings(result) if "calcChain" in f["part"]]


def test_keeping_the_calc_chain_of_a_rewritten_sheet_is_what_the_validator_catches(tmp_path):
    source = corpus_file("sheetjs__formula_stress_test.xlsx")

    def replace_without_clearing(parts):
        entry = next(e for e in parts.sheets() if e.name == "Engineering")
        return {entry.part: EMPTY_SHEET}

    result = _rewrite(source, tmp_path / "stale.xlsx", replace_without_clearing)
    assert [f for f in _validator_findings(result)
            if f["part"] == "xl/calcChain.xml" and f["severity"] == "error"]


def test_a_calc_chain_left_empty_goes_with_its_relationship_and_override(tmp_path):
    source = corpus_file("poi__simple-monthly-budget.xlsx")  # one sheet, formulas on it

    def replace_only_sheet(parts):
        entry = parts.sheets()[0]
        parts.clear_dependents(entry.part)
        return {entry.part: EMPTY_SHEET}

    result = _rewrite(source, tmp_path / "out.xlsx", replace_only_sheet)
    with zipfile.ZipFile(result) as package:
        assert "xl/calcChain.xml" not in package.namelist()
        assert b"calcChain" not in package.read("xl/_rels/workbook.xml.rels")
        assert b"calcChain" not in package.read("[Content_Types].xml")
    assert [f for f in _validator_findings(result) if f["severity"] == "error"] == []


def test_an_untouched_calc_chain_stays_byte_identical(tmp_path):
    source = corpus_file("umya__aaa.xlsx")
    injected = add_sales_sheet(source, tmp_path / "in.xlsx")
    write_tables(injected, {"Extra": pd.DataFrame({"a": [1, 2]})}, dest=tmp_path / "out.xlsx")
    with zipfile.ZipFile(injected) as a, zipfile.ZipFile(tmp_path / "out.xlsx") as b:
        assert a.read("xl/calcChain.xml") == b.read("xl/calcChain.xml")


# -- docProps/app.xml -----------------------------------------------------------------------

def _app_titles(path: Path) -> tuple[list[str], list[int]]:
    with zipfile.ZipFile(path) as package:
        root = etree.fromstring(package.read("docProps/app.xml"))
    return ([t.text for t in root.iterfind("{*}TitlesOfParts/{*}vector/*")],
            [int(v.text) for v in root.iter("{*}i4")])


def test_app_xml_lists_added_and_renamed_sheets_in_the_worksheets_group(tmp_path):
    # Headings in Japanese: ワークシート (7 sheets), 名前付き一覧 (1 name).
    source = corpus_file("umya__aaa.xlsx")

    def add_and_rename(parts):
        parts.add_sheet("Tiers")
        sheet2 = next(e for e in parts.sheets() if e.name == "Sheet2")
        sheet2.element.set("name", "Renamed")
        return {"xl/worksheets/sheet8.xml": EMPTY_SHEET}

    result = _rewrite(source, tmp_path / "out.xlsx", add_and_rename)
    titles, counts = _app_titles(result)
    assert titles == ["Sheet1", "Renamed", "Sheet3", "Sheet4", "Sheet5", "Sheet6", "Sheet7",
                      "Tiers", "名前"]
    assert counts == [8, 1]
    assert [f for f in _validator_findings(result) if f["part"] == "docProps/app.xml"] == []


def test_app_xml_is_untouched_when_no_sheet_changes(tmp_path):
    source = corpus_file("umya__aaa.xlsx")
    result = _rewrite(source, tmp_path / "out.xlsx", lambda parts: {})
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(result) as b:
        assert a.read("docProps/app.xml") == b.read("docProps/app.xml")


# -- codeName in macro workbooks ------------------------------------------------------------

def _code_names(path: Path) -> dict[str, str | None]:
    """sheet name -> codeName of its sheetPr."""
    with zipfile.ZipFile(path) as package:
        book = etree.fromstring(package.read("xl/workbook.xml"))
        rels = {r.get("Id"): r.get("Target") for r in etree.fromstring(
            package.read("xl/_rels/workbook.xml.rels"))}
        names = {}
        for sheet in book.iterfind("{*}sheets/{*}sheet"):
            rid = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            target = rels[rid].lstrip("/")
            part = target if target.startswith("xl/") else "xl/" + target
            pr = etree.fromstring(package.read(part)).find("{*}sheetPr")
            names[sheet.get("name")] = pr.get("codeName") if pr is not None else None
    return names


def test_new_sheets_in_a_macro_workbook_get_a_unique_code_name_kept_on_rewrite(tmp_path):
    book = make_xlsm(tmp_path / "book.xlsm")
    frame = pd.DataFrame({"a": [1]})
    write_tables(book, {"Tiers": frame, "Data quality": frame})
    first = _code_names(book)
    assert first["Tiers"] == "CTTableTiers" and first["Data quality"] == "CTTableDataQuality"
    write_tables(book, {"Tiers": frame})
    assert _code_names(book) == first


def test_code_names_do_not_collide_ignoring_case(tmp_path):
    book = make_xlsm(tmp_path / "book.xlsm")
    with zipfile.ZipFile(book) as package:
        members = {i.filename: package.read(i) for i in package.infolist()}
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(
        b"<workbookPr", b'<workbookPr codeName="cttabletiers"', 1)
    with zipfile.ZipFile(book, "w") as package:
        for name, content in members.items():
            package.writestr(name, content)
    write_tables(book, {"Tiers": pd.DataFrame({"a": [1]})})
    assert _code_names(book)["Tiers"] == "CTTableTiers2"


def test_no_code_name_without_a_vba_project(small_xlsx):
    write_tables(small_xlsx, {"Tiers": pd.DataFrame({"a": [1]})})
    assert _code_names(small_xlsx)["Tiers"] is None


# -- theme ----------------------------------------------------------------------------------

def _theme_references(styles: bytes) -> int:
    root = etree.fromstring(styles)
    return (sum(1 for c in root.iter("{*}color") if c.get("theme") is not None)
            + sum(1 for _ in root.iter("{*}scheme")))


def test_a_new_workbook_has_no_theme_references(tmp_path):
    path = new_workbook(tmp_path / "new.xlsx")
    write_tables(path, {"Sheet1": pd.DataFrame({"a": [1.5]})})  # header style: a bold font
    with zipfile.ZipFile(path) as package:
        assert not [n for n in package.namelist() if "theme" in n]
        assert _theme_references(package.read("xl/styles.xml")) == 0


def test_bold_fonts_refer_to_the_theme_only_when_there_is_one():
    styles = (b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
              b'<fill><patternFill patternType="gray125"/></fill></fills>'
              b'<borders count="1"><border/></borders>'
              b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellXfs>'
              b"</styleSheet>")
    plain, themed = StyleBook(styles), StyleBook(styles, theme=True)
    plain.style("header"), themed.style("header")
    assert _theme_references(plain.to_bytes()) == 0
    assert _theme_references(themed.to_bytes()) == 2  # <color theme="1"/>, <scheme val="minor"/>


# -- reader: sheets calamine cannot handle, Strict Open XML ---------------------------------

@pytest.mark.parametrize("name, other", [
    ("poi__64420.xlsm", "an Excel 4.0 macro sheet"),
    ("sheetjs__BlankSheetTypes.xlsm", "a macro sheet, a dialog sheet and a chartsheet"),
    ("closedxml__tdf111974.xlsm", 'two <sheet r:id="">'),
])
def test_sales_are_read_beside_sheets_calamine_cannot_handle(tmp_path, name, other):
    book_path = add_sales_sheet(corpus_file(name), tmp_path / name)
    with SalesBook.open(book_path) as book:
        assert "Sales CT" in book.sheet_names
    sales = read_sales(book_path)
    assert len(sales) == len(SALES_ROWS), other
    assert sales["amount"].sum() == pytest.approx(sum(r[2] for r in SALES_ROWS))


def test_worksheets_only_keeps_worksheets_in_order_and_drops_the_rest():
    with open(corpus_file("sheetjs__BlankSheetTypes.xlsm"), "rb") as handle:
        reduced = worksheets_only(handle.read())
    with zipfile.ZipFile(io.BytesIO(reduced)) as package:
        book = etree.fromstring(package.read("xl/workbook.xml"))
        assert [s.get("name") for s in book.iterfind("{*}sheets/{*}sheet")] == ["Sheet1"]
        assert not [n for n in package.namelist() if "macrosheets" in n or "dialogsheets" in n]
    assert worksheets_only(b"not a zip") is None


def test_a_strict_workbook_is_refused_for_writing_with_the_fix(tmp_path):
    source = corpus_file("sheetjs__sheet_visibility_strict.xlsx")
    with pytest.raises(WorkbookError, match=r"Strict Open XML.*Save As > Excel Workbook \(\*\.xlsx\)"):
        write_tables(source, {"Tiers": pd.DataFrame({"a": [1]})}, dest=tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


# -- never an empty reason ------------------------------------------------------------------

def test_no_error_message_is_empty():
    assert str(WorkbookError()) != ""
    assert reason(StopIteration()) == "StopIteration"
    assert reason(KeyError("xl/workbook.xml")) == "missing 'xl/workbook.xml'"
    assert reason(OSError(13, "Permission denied")) == "Permission denied"
    assert reason(ValueError("  ")) == "ValueError"


def test_cli_refresh_of_a_strict_file_exits_4_naming_cause_and_fix_and_check_reads_it(tmp_path):
    from click.testing import CliRunner

    from xl_addin.cli import cli

    book = add_sales_sheet(corpus_file("closedxml__universal-content-strict.xlsx"), tmp_path / "s.xlsx")
    before = book.read_bytes()
    refused = CliRunner().invoke(cli, ["refresh", str(book)])
    assert refused.exit_code == 4
    assert "Strict Open XML" in refused.output and "Excel Workbook (*.xlsx)" in refused.output
    assert book.read_bytes() == before
    checked = CliRunner().invoke(cli, ["check", str(book)])
    assert checked.exit_code == 0, checked.output
