"""A CSV refreshed into an existing report workbook (`refresh sales.csv --out report.xlsx`, issue 8
"Files" with the house rule "never a silent overwrite"): the report is refreshed in place like any
.xlsx. The sales come from the CSV; Settings, our sheets and the previous tiers from the report;
the user's sheets stay byte-identical and are never read as sales. Expected tiers are worked out
by hand; the output is read back with openpyxl and checked by the OOXML validator."""

import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree

from xl_addin.cli import cli

from .marks import assert_valid_ooxml
from .test_cli_other_formats import (OUR_SHEETS_EN, OUR_SHEETS_ZH, SALES_CSV, SALES_TIERS,
                                     SETTINGS_TIERS, abc, converted, sheet_names, tiers)

__all__ = ["converted"]  # the fixture: book.xls and book.ods made by LibreOffice

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

# Run 2: C2 buys again (300, cost 30), so profits are C1 640, C2 180 + 270 = 450, C3 80, C4 -20;
# positive total 1170. Cumulative share before each: C1 0, C2 640/1170 = 0.547, C3 1090/1170 =
# 0.932. With the a_cut 0.5 the user typed into Settings: C1 A, C2 B (0.547 >= 0.5), C3 B
# (< b_cut 0.95), C4 D. With the default 0.8 C2 would stay A.
SALES_CSV_2 = SALES_CSV + "C2,2025-07-01,300,30\n"
TIERS_2 = {"C1": "A", "C2": "B", "C3": "B", "C4": "D"}

# The user's own sheets: a formula on our table, and an old paste of sales that must not be
# added to the CSV's (C4 would have 10,000 of profit and be A).
FORMULA_SHEET = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
                 '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>A customers</t></is></c>'
                 '<c r="B1"><f>COUNTIF(CT_Tiers[ABC tier],"A")</f><v>2</v></c></row></sheetData>'
                 '</worksheet>').encode()
PASTED_SALES = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Customer ID</t></is></c>'
                '<c r="B1" t="inlineStr"><is><t>Date</t></is></c>'
                '<c r="C1" t="inlineStr"><is><t>Amount</t></is></c></row>'
                '<row r="2"><c r="A2" t="inlineStr"><is><t>C4</t></is></c><c r="B2"><v>45700</v></c>'
                '<c r="C2"><v>10000</v></c></row></sheetData></worksheet>').encode()


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args] + ["--no-cache"])


def _xml(root):
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def rewrite_package(path, edit):
    """Rewrite the package at ``path`` member by member: ``edit(members)`` gets {name: bytes}
    and returns the members to change or add; every other member is copied unchanged (openpyxl
    would rewrite them all)."""
    with zipfile.ZipFile(path) as package:
        infos = package.infolist()
        members = {info.filename: package.read(info) for info in infos}
    changed = edit(members)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            out.writestr(info, changed.pop(info.filename, members[info.filename]))
        for name, data in changed.items():
            out.writestr(name, data)


def add_user_sheet(path, name, part, data):
    """Append a plain worksheet ``name`` (XML ``data`` at ``part``) to the tab order."""
    def edit(members):
        book = etree.fromstring(members["xl/workbook.xml"])
        rels = etree.fromstring(members["xl/_rels/workbook.xml.rels"])
        types = etree.fromstring(members["[Content_Types].xml"])
        rel_id = f"rIdUser{len(rels)}"
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rel_id,
                         Type=f"{REL}/worksheet", Target="/" + part)
        sheets = book.find(f"{{{MAIN}}}sheets")
        sheet = etree.SubElement(sheets, f"{{{MAIN}}}sheet", name=name,
                                 sheetId=str(max(int(s.get("sheetId")) for s in sheets) + 1))
        sheet.set(f"{{{REL}}}id", rel_id)
        etree.SubElement(types, f"{{{CT}}}Override", PartName="/" + part, ContentType=WORKSHEET_CT)
        return {"xl/workbook.xml": _xml(book), "xl/_rels/workbook.xml.rels": _xml(rels),
                "[Content_Types].xml": _xml(types), part: data}
    rewrite_package(path, edit)


def sheet_part(path, name):
    """The part of sheet ``name``."""
    with zipfile.ZipFile(path) as package:
        book = etree.fromstring(package.read("xl/workbook.xml"))
        rels = etree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    rel_id = next(s.get(f"{{{REL}}}id") for s in book.iter(f"{{{MAIN}}}sheet") if s.get("name") == name)
    target = next(r.get("Target") for r in rels if r.get("Id") == rel_id)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def set_a_cut(path, value, sheet="Settings"):
    """Type ``value`` into the a_cut cell of the Settings sheet (only that part changes)."""
    part = sheet_part(path, sheet)

    def edit(members):
        data, count = re.subn(rb'(<is><t>a_cut</t></is></c><c [^>]*><v>)[^<]*(</v>)',
                              rb"\g<1>" + str(value).encode() + rb"\g<2>", members[part])
        assert count == 1
        return {part: data}
    rewrite_package(path, edit)


def members(path):
    with zipfile.ZipFile(path) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def settings_values(path, sheet="Settings"):
    rows = openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True)
    return {row[0]: row[1] for row in rows if row and row[0]}


def tier_moves(path):
    """{customer: (from, to)} of the ABC tier moves in the Tier changes list (row 2 the header),
    and the From x to matrix {(from, to): customers}."""
    rows = list(openpyxl.load_workbook(path, read_only=True)["Tier changes"].iter_rows(values_only=True))
    header = rows[1]
    at = {name: header.index(name) for name in ("Customer ID", "Change", "From", "To")}
    moves = {row[at["Customer ID"]]: (row[at["From"]], row[at["To"]])
             for row in rows[2:] if row[at["Change"]] == "ABC tier"}
    corner = header.index("From \\ To")
    matrix = {(row[corner], to): row[corner + 1 + i] for row in rows[2:6]
              for i, to in enumerate("ABCD")}
    return moves, {pair: n for pair, n in matrix.items() if n}


def test_a_daily_csv_refreshes_the_report_workbook_in_place(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    result = run("refresh", source, "--out", report)  # run 1: a new report
    assert result.exit_code == 0, result.output
    assert abc(report) == SALES_TIERS
    # the user's day: a sheet with a formula on CT_Tiers, an old paste of sales, a_cut 0.5
    add_user_sheet(report, "My analysis", "xl/worksheets/user1.xml", FORMULA_SHEET)
    add_user_sheet(report, "Sales", "xl/worksheets/user2.xml", PASTED_SALES)
    set_a_cut(report, 0.5)
    before = members(report)
    settings_part = sheet_part(report, "Settings")

    source.write_text(SALES_CSV_2, encoding="utf-8")
    result = run("refresh", source, "--out", report)  # run 2: the next day's export
    assert result.exit_code == 0, result.output
    assert abc(report) == TIERS_2  # the user's a_cut 0.5, and no revenue from the pasted sheet
    assert tiers(report)["C4"][1] == 40
    assert tiers(report)["C2"][1] == 500
    moves, matrix = tier_moves(report)  # between run 1 and run 2
    assert moves == {"C2": ("A", "B")}
    assert matrix == {("A", "A"): 1, ("A", "B"): 1, ("B", "B"): 1, ("D", "D"): 1}
    assert sheet_names(report) == OUR_SHEETS_EN + ["My analysis", "Sales"]  # no "Tiers (2)"
    after = members(report)
    for part in ("xl/worksheets/user1.xml", "xl/worksheets/user2.xml", settings_part):
        assert after[part] == before[part], part
    assert settings_values(report)["a_cut"] == 0.5
    book = openpyxl.load_workbook(report)
    assert book["My analysis"]["B1"].value == '=COUNTIF(CT_Tiers[ABC tier],"A")'
    table = book["Tiers"].tables["CT_Tiers"]  # the formula's table is still there, same column
    assert "ABC tier" in [c.name for c in table.tableColumns]
    assert "Sheet 'Sales' of 'report.xlsx' looks like sales data but was not read" in result.output
    assert "the sales come from 'sales.csv'" in result.output
    assert source.read_text(encoding="utf-8") == SALES_CSV_2
    # the CSV's sheet "sales" is named as Excel names a sheet of another workbook, since the
    # report has a "Sales" of its own: notes and Data quality never point into that one
    assert "[sales.csv]sales: Tab read: 6 rows." in result.output
    assert_valid_ooxml(report)


def test_the_report_keeps_its_language_and_sheet_names(tmp_path):
    """A 中文 report stays 中文 (its Settings), the English names never come back as "(2)"."""
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    assert run("refresh", source, "--out", report, "--lang", "zh").exit_code == 0
    zh_names = sheet_names(report)
    source.write_text(SALES_CSV_2, encoding="utf-8")
    result = run("refresh", source, "--out", report)
    assert result.exit_code == 0, result.output
    assert sheet_names(report) == zh_names
    # default a_cut 0.8: C2 (before 0.547) stays A
    assert abc(report, "客户分级") == SALES_TIERS
    assert_valid_ooxml(report)


def test_a_csv_named_like_a_sheet_of_the_report_is_read_under_excels_name(tmp_path):
    """The user renamed our Retention sheet "sales" (our mark stays on it): the CSV's sheet,
    also "sales", is read as "[sales.csv]sales"; our sheet is rebuilt where it is."""
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    assert run("refresh", source, "--out", report).exit_code == 0

    def rename(members):
        return {"xl/workbook.xml": members["xl/workbook.xml"]
                .replace(b'name="Retention"', b'name="sales"')
                .replace(b"'Retention'!", b"'sales'!")}
    rewrite_package(report, rename)
    source.write_text(SALES_CSV + "C9,2025-05-01,n/a,1\n", encoding="utf-8")
    result = run("refresh", source, "--out", report)
    assert result.exit_code == 0, result.output
    assert abc(report) == SALES_TIERS
    names = sheet_names(report)
    assert names == [("sales" if n == "Retention" else n) for n in OUR_SHEETS_EN]
    quality = list(openpyxl.load_workbook(report, read_only=True)["Data quality"]
                   .iter_rows(values_only=True))
    assert any(row[0] == "[sales.csv]sales" and row[1] == 7 for row in quality), quality
    assert_valid_ooxml(report)


def test_a_read_only_report_is_refused_unless_force(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    assert run("refresh", source, "--out", report).exit_code == 0
    add_user_sheet(report, "My analysis", "xl/worksheets/user1.xml", FORMULA_SHEET)
    report.chmod(0o444)
    before = report.read_bytes()
    source.write_text(SALES_CSV_2, encoding="utf-8")
    result = run("refresh", source, "--out", report)
    assert result.exit_code == 4, result.output
    assert "read-only" in result.output and "--force" in result.output
    assert report.read_bytes() == before
    result = run("refresh", source, "--out", report, "--force")
    assert result.exit_code == 0, result.output
    assert abc(report) == {"C1": "A", "C2": "A", "C3": "B", "C4": "D"}  # a_cut 0.8: C2 0.547
    assert members(report)["xl/worksheets/user1.xml"] == FORMULA_SHEET
    assert tier_moves(report)[0] == {}


def test_an_out_that_is_not_a_workbook_is_refused_and_left_alone(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    report.write_bytes(b"my notes, not a workbook")
    result = run("refresh", source, "--out", report)
    assert result.exit_code == 4, result.output
    assert "report.xlsx" in result.output and "Traceback" not in result.output
    assert report.read_bytes() == b"my notes, not a workbook"


@pytest.mark.soffice
@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_the_reports_settings_win_over_the_inputs(converted, tmp_path, extension):
    """book.xls holds a Settings sheet (a_cut 0.5, language zh): run 1 copies it into the new
    report (as 设置); the user then types a_cut 0.8 there, and run 2 uses 0.8: the report's
    Settings (ours, marked) win over the input's."""
    source = converted / f"book.{extension}"
    report = tmp_path / "report.xlsx"
    assert run("refresh", source, "--out", report).exit_code == 0
    assert abc(report, "客户分级") == SETTINGS_TIERS  # C2 before 0.711 >= 0.5: B
    set_a_cut(report, 0.8, sheet="设置")
    result = run("refresh", source, "--out", report)
    assert result.exit_code == 0, result.output
    assert abc(report, "客户分级") == SALES_TIERS  # C2 before 0.711 < 0.8: A
    assert sheet_names(report) == OUR_SHEETS_ZH
    assert settings_values(report, "设置")["a_cut"] == 0.8
    assert "was not read as sales data" not in result.output
    assert_valid_ooxml(report)


CLIENTS_SHEET = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
                 '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Customer ID</t></is></c>'
                 '<c r="B1" t="inlineStr"><is><t>Salesperson</t></is></c></row>'
                 '<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c>'
                 '<c r="B2" t="inlineStr"><is><t>Ann</t></is></c></row>'
                 '<row r="3"><c r="A3" t="inlineStr"><is><t>C2</t></is></c>'
                 '<c r="B3" t="inlineStr"><is><t>Bob</t></is></c></row></sheetData></worksheet>').encode()


def test_the_customer_master_named_in_the_reports_settings_is_read_from_the_report(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    assert run("refresh", source, "--out", report).exit_code == 0
    add_user_sheet(report, "Clients", "xl/worksheets/user1.xml", CLIENTS_SHEET)
    part = sheet_part(report, "Settings")

    def name_the_master(members):
        data, count = re.subn(rb'(<t>customers_sheet</t></is></c>)<c s="(\d+)"/>',
                              rb'\1<c s="\2" t="inlineStr"><is><t>Clients</t></is></c>', members[part])
        assert count == 1
        return {part: data}
    rewrite_package(report, name_the_master)
    result = run("refresh", source, "--out", report)
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(report, read_only=True)["Tiers"].iter_rows(values_only=True))
    at = rows[0].index("Salesperson")
    assert {row[0]: row[at] for row in rows[1:]} == {"C1": "Ann", "C2": "Bob", "C3": None, "C4": None}
    assert abc(report) == SALES_TIERS
    assert members(report)["xl/worksheets/user1.xml"] == CLIENTS_SHEET
    assert "looks like sales data" not in result.output
    assert_valid_ooxml(report)


@pytest.mark.soffice
def test_the_users_formula_on_our_table_keeps_working(tmp_path):
    """LibreOffice, as the stand-in spreadsheet program, computes the user's
    COUNTIF(CT_Tiers[ABC tier],"A") on the refreshed report (no cached value in the file):
    1, the one A customer of run 2 (TIERS_2)."""
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    assert run("refresh", source, "--out", report).exit_code == 0
    add_user_sheet(report, "My analysis", "xl/worksheets/user1.xml",
                   FORMULA_SHEET.replace(b"<v>2</v>", b""))
    set_a_cut(report, 0.5)
    source.write_text(SALES_CSV_2, encoding="utf-8")
    assert run("refresh", source, "--out", report).exit_code == 0
    subprocess.run(
        [shutil.which("soffice"), "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "xlsx", "--outdir", str(tmp_path / "calc"), str(report)],
        check=True, capture_output=True, timeout=180)
    computed = openpyxl.load_workbook(tmp_path / "calc" / "report.xlsx", data_only=True)
    assert computed["My analysis"]["B1"].value == 1
