"""The refresh never touches a sheet it did not make: the user's "Summary", "tiers", "Sales
Plan" and "settings" (real Excel files from ../shared/excel-corpus where one fits), objects the
user put on a generated sheet, and ``check`` agreeing with ``refresh``. Every output passes the
shared OOXML validator."""

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from xl_addin.cli import cli
from xl_addin.report import labels
from xl_addin.report.layout import TABLE_NAMES
from xl_addin.workbook.xlsx import new_workbook, write_tables

from ..marks import V01_TIERS_HEADER_EN, assert_valid_ooxml

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "excel-corpus"

SALES = pd.DataFrame({
    "Customer ID": ["C1", "C1", "C2", "C3", "C4"],
    "Date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-01", "2025-02-10", "2025-06-30"]),
    "Amount": [500.0, 300.0, 200.0, 100.0, 40.0],
    "Cost": [100.0, 60.0, 20.0, 20.0, 60.0],
})


def corpus_copy(name, tmp_path):
    source = CORPUS / name
    if not source.exists():
        pytest.skip(f"{source} is absent")
    path = tmp_path / name
    shutil.copyfile(source, path)
    return path


def members(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet_parts(path):
    """Sheet name -> part path."""
    from xl_addin.workbook.xlsx.package import SourcePackage
    from xl_addin.workbook.xlsx.workbook_xml import WorkbookParts

    with SourcePackage(path) as package:
        return {e.name: e.part for e in WorkbookParts(package).sheets()}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def notes_on_data_quality(path, sheet="Data quality"):
    ws = openpyxl.load_workbook(path)[sheet]
    table = ws.tables.get("CT_Notes")
    if table is None:
        return []
    cells = ws[table.ref]
    return [row[-1].value for row in cells[1:]]


def test_a_users_summary_sheet_is_untouched_and_ours_is_summary_2(tmp_path):
    path = corpus_copy("poi__55406_Conditional_formatting_sample.xlsx", tmp_path)
    write_tables(path, {"Sales": SALES})
    before = members(path)
    user_part = sheet_parts(path)["Summary"]
    result = run("refresh", path, "-q")
    assert result.exit_code == 0, result.output
    assert "Sheet 'Summary' is not one we made" in result.output
    assert "'Summary (2)'" in result.output
    after = members(path)
    assert after[user_part] == before[user_part]
    names = openpyxl.load_workbook(path).sheetnames
    assert "Summary" in names and "Summary (2)" in names
    assert any("Summary (2)" in note for note in notes_on_data_quality(path))
    # a second refresh finds its own sheet by the mark: no "Summary (3)"
    assert run("refresh", path, "-q").exit_code == 0
    assert "Summary (3)" not in openpyxl.load_workbook(path).sheetnames
    assert members(path)[user_part] == before[user_part]
    assert_valid_ooxml(path, baseline=CORPUS / path.name)


def test_a_users_tiers_sheet_in_lower_case_gets_no_case_equal_twin(tmp_path):
    path = new_workbook(tmp_path / "book.xlsx", "tiers")
    write_tables(path, {"Sales": SALES})
    before = members(path)["xl/worksheets/sheet1.xml"]
    result = run("refresh", path, "-q")
    assert result.exit_code == 0, result.output
    names = openpyxl.load_workbook(path).sheetnames
    assert names[:2] == ["tiers", "Sales"] and "Tiers (2)" in names and "Tiers" not in names
    assert members(path)["xl/worksheets/sheet1.xml"] == before
    assert_valid_ooxml(path)


def test_a_users_tiers_and_dashboard_sheets_get_twins_whose_formulas_and_print_titles_follow(tmp_path):
    path = new_workbook(tmp_path / "book.xlsx", "Tiers")
    write_tables(path, {"Sales": SALES, "Dashboard": pd.DataFrame({"Mine": [1]})})
    result = run("refresh", path, "-q")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(path)
    assert {"Tiers", "Tiers (2)", "Dashboard", "Dashboard (2)"} <= set(wb.sheetnames)
    assert wb["Dashboard"]["A1"].value == "Mine"
    formulas = [c.value for row in wb["Dashboard (2)"].iter_rows(max_row=3) for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas[0] == "=COUNTA('Tiers (2)'!$A$2:$A$5)"  # C1..C4
    assert not any("'Tiers'!" in f or "'Dashboard'!" in f for f in formulas)
    assert any("'Dashboard (2)'!" in f for f in formulas)
    workbook = members(path)["xl/workbook.xml"].decode()
    assert ">'Tiers (2)'!$1:$1</definedName>" in workbook
    assert "'Tiers'!$1:$1" not in workbook
    assert_valid_ooxml(path)


def test_sales_plan_without_sales_columns_is_skipped_with_a_note(tmp_path):
    path = corpus_copy("poi__conditional_formatting_with_formula_on_second_sheet.xlsx", tmp_path)
    write_tables(path, {"Sales 2025": SALES})
    checked = run("check", path)
    assert checked.exit_code == 0, checked.output
    assert "Sheet 'Sales Plan' was not read as sales data" in checked.output
    result = run("refresh", path, "-q")
    assert result.exit_code == 0, result.output
    assert "Sheet 'Sales Plan' was not read as sales data" in result.output
    assert any("Sales Plan" in note for note in notes_on_data_quality(path))
    assert_valid_ooxml(path, baseline=CORPUS / path.name)


def test_only_unrelated_sales_sheets_block_with_every_sheet_tried_and_why(tmp_path):
    path = corpus_copy("poi__conditional_formatting_with_formula_on_second_sheet.xlsx", tmp_path)
    before = path.read_bytes()
    for command in ("check", "refresh"):
        result = run(command, path)
        assert result.exit_code == 3, result.output
        # the one sheet tried: its own error names it, the header row, the headers and the fixes
        assert "Sheet 'Sales Plan' has no customer (id or name) column: its header row (row 1" \
            in result.output
    assert path.read_bytes() == before


def test_a_users_settings_sheet_without_settings_is_not_read(tmp_path):
    path = corpus_copy("sheetjs__mixed_sheets.xlsx", tmp_path)
    write_tables(path, {"Sales": SALES})
    user_part = sheet_parts(path)["settings"]
    before = members(path)[user_part]
    result = run("refresh", path, "-q")
    assert result.exit_code == 0, result.output
    assert "Sheet 'settings' holds no settings" in result.output
    wb = openpyxl.load_workbook(path)
    assert "Settings (2)" in wb.sheetnames
    assert wb["Settings (2)"]["A1"].value == "Setting"
    assert members(path)[user_part] == before
    # next time our Settings (2) is the settings sheet: read, not rewritten, no note
    wb_bytes = members(path)[sheet_parts(path)["Settings (2)"]]
    again = run("refresh", path, "-q")
    assert again.exit_code == 0 and "holds no settings" not in again.output
    assert members(path)[sheet_parts(path)["Settings (2)"]] == wb_bytes
    assert_valid_ooxml(path, baseline=CORPUS / path.name)


@pytest.fixture
def refreshed(tmp_path):
    path = new_workbook(tmp_path / "book.xlsx", "Notes")
    write_tables(path, {"Sales": SALES})
    assert run("refresh", path, "-q").exit_code == 0
    return path


def _rewrite(path, edits):
    """Replace members of the zip at ``path`` ({name: bytes})."""
    data = members(path)
    data.update(edits)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in data.items():
            z.writestr(name, content)


def _add_chart(path, sheet):
    """A chart of the user's, named "My chart", as Excel stores one: on Tiers in a drawing
    of its own; on Pareto as a second object in the sheet's drawing (beside ours)."""
    from xl_addin.workbook.xlsx.drawing_xml import drawing_xml

    data = members(path)
    part = sheet_parts(path)[sheet]
    folder, name = part.rsplit("/", 1)
    rels_name = f"{folder}/_rels/{name}.rels"
    rels = data[rels_name].decode()
    our_chart = data["xl/charts/chart1.xml"]
    if sheet == "Pareto":
        drawing_name = next(n for n in _drawing_parts(path, sheet) if n.startswith("xl/drawings/"))
        drawing = data[drawing_name].decode()
        end = "</xdr:twoCellAnchor>"
        anchor = drawing[drawing.index("<xdr:twoCellAnchor"):drawing.index(end) + len(end)]
        assert 'name="CT Pareto"' in anchor
        mine = anchor.replace('name="CT Pareto"', 'name="My chart"').replace('id="2"', 'id="9"')
        _rewrite(path, {drawing_name: drawing.replace("</xdr:wsDr>", mine + "</xdr:wsDr>").encode()})
        return
    edits = {
        "xl/drawings/drawing9.xml": drawing_xml([((30, 40, 36, 55), "rId1", "My chart")]),
        "xl/drawings/_rels/drawing9.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'chart" Target="../charts/chart9.xml"/></Relationships>').encode(),
        "xl/charts/chart9.xml": our_chart,
        rels_name: rels.replace("</Relationships>", '<Relationship Id="rId99" Type="http://'
                                'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                'drawing" Target="../drawings/drawing9.xml"/></Relationships>').encode(),
        part: data[part].replace(b"<tableParts", b'<drawing r:id="rId99"/><tableParts'),
        "[Content_Types].xml": data["[Content_Types].xml"].replace(b"</Types>", (
            '<Override PartName="/xl/drawings/drawing9.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.drawing+xml"/><Override PartName="/xl/charts/'
            'chart9.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'drawingml.chart+xml"/></Types>').encode()),
    }
    _rewrite(path, edits)


def _drawing_parts(path, sheet):
    from lxml import etree

    part = sheet_parts(path)[sheet]
    folder, name = part.rsplit("/", 1)
    rels = members(path).get(f"{folder}/_rels/{name}.rels")
    if rels is None:
        return {}
    targets = [r.get("Target") for r in etree.fromstring(rels) if r.get("Type").endswith("/drawing")]
    drawing = "xl/drawings/" + targets[0].rsplit("/", 1)[-1]
    found = {drawing: members(path)[drawing]}
    chart_rels = members(path).get(f"xl/drawings/_rels/{drawing.rsplit('/', 1)[-1]}.rels")
    for rel in etree.fromstring(chart_rels):
        chart = "xl/charts/" + rel.get("Target").rsplit("/", 1)[-1]
        found[chart] = members(path)[chart]
    return found


def test_a_users_chart_on_the_tiers_sheet_is_kept_byte_for_byte(refreshed):
    _add_chart(refreshed, "Tiers")
    user_parts = _drawing_parts(refreshed, "Tiers")
    assert user_parts
    result = run("refresh", refreshed, "-q")
    assert result.exit_code == 0, result.output
    assert _drawing_parts(refreshed, "Tiers") == user_parts
    assert b"<drawing " in members(refreshed)[sheet_parts(refreshed)["Tiers"]]
    assert "Tiers (2)" not in openpyxl.load_workbook(refreshed).sheetnames  # still ours
    assert_valid_ooxml(refreshed)


def test_a_users_chart_on_the_pareto_sheet_stops_the_refresh_by_name_and_force_proceeds(refreshed):
    _add_chart(refreshed, "Pareto")
    before = refreshed.read_bytes()
    for command in ("check", "refresh"):
        result = run(command, refreshed)
        assert result.exit_code == 3, result.output
        assert "sheet 'Pareto': chart 'My chart'" in result.output
        assert "--force" in result.output
    assert refreshed.read_bytes() == before  # nothing written
    assert run("check", refreshed, "--force").exit_code == 0
    forced = run("refresh", refreshed, "--force", "-q")
    assert forced.exit_code == 0, forced.output
    assert "Sheet 'Pareto': removed chart 'My chart' (--force)" in forced.output
    assert "Pareto (2)" not in openpyxl.load_workbook(refreshed).sheetnames
    assert_valid_ooxml(refreshed)


def _tiers_with_text_in_row_2(path, ref, text):
    """(part, XML) of the Tiers sheet of ``path`` with an inline text cell at ``ref`` (row 2)
    appended as Excel stores it (an openpyxl round trip would also rename our charts, which
    are then no longer recognisable as ours)."""
    part = sheet_parts(path)["Tiers"]
    xml = members(path)[part].decode()
    end = xml.index("</row>", xml.index('<row r="2"'))
    return part, xml[:end] + f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' + xml[end:]


def test_the_users_columns_right_of_the_tiers_table_are_named(refreshed):
    part, xml = _tiers_with_text_in_row_2(refreshed, "AG2", "my note")
    xml = re.sub(r'<dimension ref="A1:[A-Z]+(\d+)"', r'<dimension ref="A1:AG\1"', xml, count=1)
    _rewrite(refreshed, {part: xml.encode()})
    assert openpyxl.load_workbook(refreshed)["Tiers"]["AG2"].value == "my note"
    result = run("refresh", refreshed)
    assert result.exit_code == 3
    assert "cells right of column AE" in result.output  # the Tiers table is A:AE
    assert "chart" not in result.output  # our charts are recognised as ours


@pytest.mark.parametrize("element, label", [
    ('<mergeCells count="1"><mergeCell ref="AB3:AC3"/></mergeCells>', "merged cells"),
    ('<dataValidations count="1"><dataValidation type="list" sqref="B3"><formula1>"A,B"'
     '</formula1></dataValidation></dataValidations>', "data validation"),
    ('<hyperlinks><hyperlink ref="A2" display="x &gt; sheetData&gt;"/></hyperlinks>', "hyperlinks"),
])
def test_what_the_user_added_after_the_cells_of_our_sheet_is_named(refreshed, element, label):
    # these elements follow sheetData; a cell whose text looks like them is not one of them
    part, xml = _tiers_with_text_in_row_2(refreshed, "AE2", "&lt;mergeCells&gt; sheetData&gt;")
    _rewrite(refreshed, {part: xml.replace("</sheetData>", "</sheetData>" + element).encode()})
    result = run("refresh", refreshed)
    assert result.exit_code == 3, result.output
    assert f"sheet 'Tiers': {label}" in result.output
    others = {"merged cells", "data validation", "hyperlinks"} - {label}
    assert not any(other in result.output for other in others)


def test_a_cell_that_reads_like_an_element_is_not_one(refreshed):
    text = "&lt;mergeCells&gt;&lt;hyperlinks&gt;&lt;dataValidations&gt;"
    part, xml = _tiers_with_text_in_row_2(refreshed, "AE2", text)
    _rewrite(refreshed, {part: xml.encode()})
    result = run("refresh", refreshed, "-q")
    assert result.exit_code == 0, result.output


def test_tables_keep_name_id_and_part_and_grow_with_the_data(refreshed):
    def tables(path):
        with zipfile.ZipFile(path) as z:
            found = {}
            for n in z.namelist():
                if n.startswith("xl/tables/"):
                    root = z.read(n).decode()
                    name = root.split(' name="')[1].split('"')[0]
                    found[name] = (n, root.split(' id="')[1].split('"')[0],
                                   root.split(' ref="')[1].split('"')[0])
            return found

    first = tables(refreshed)
    assert first["CT_Tiers"][2] == "A1:AE5"  # the 31 Tiers columns
    assert {"CT_Tiers", "CT_Pareto", "CT_Summary_Tiers", "CT_Coverage", "CT_DataQuality",
            "CT_TierChanges"} <= set(first)
    more = pd.concat([SALES, SALES.assign(**{"Customer ID": ["C5", "C6", "C7", "C8", "C9"]})])
    write_tables(refreshed, {"Sales": more})
    assert run("refresh", refreshed, "-q").exit_code == 0
    second = tables(refreshed)
    assert second["CT_Tiers"][:2] == first["CT_Tiers"][:2]
    assert second["CT_Tiers"][2] == "A1:AE10"
    assert {n: v[:2] for n, v in second.items() if n in first} == {n: v[:2] for n, v in first.items()}
    ws = openpyxl.load_workbook(refreshed)["Tiers"]
    columns = [c.name for c in ws.tables["CT_Tiers"].tableColumns]
    assert len(columns) == len(labels.TIERS_COLUMNS) == 31
    assert columns[:28] == [labels.column_header(c, "en") for c in labels.TIERS_COLUMNS[:28]]
    assert columns[28] == "Expected purchases (next 90 days)"  # headers that state their settings
    assert_valid_ooxml(refreshed)


def test_every_table_name_is_documented_and_valid():
    import re

    assert len(set(n.casefold() for n in TABLE_NAMES.values())) == len(TABLE_NAMES)
    assert all(re.fullmatch(r"CT_[A-Za-z_]+", n) for n in TABLE_NAMES.values())
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in TABLE_NAMES.values())


def test_a_0_1_tiers_sheet_is_recognised_replaced_in_place_and_marked(tmp_path):
    path = new_workbook(tmp_path / "book.xlsx", "Sales")
    write_tables(path, {"Sales": SALES})
    header = list(V01_TIERS_HEADER_EN)
    old = pd.DataFrame([["C1", None, None, None, None, None, 1, 0, 1, 0, 0, "C"] + [None] * 14],
                       columns=header)
    write_tables(path, {"Tiers": old})
    result = run("refresh", path, "-q")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Sales", "Tiers"] and "Tiers (2)" not in wb.sheetnames
    workbook_xml = members(path)["xl/workbook.xml"].decode()
    assert '<definedName name="CT_Generated" localSheetId="1" hidden="1">"tiers"' in workbook_xml
    # the 0.1 sheet's tiers were read as the previous tiers: C1 moved from C
    changes = wb["Tier changes"]
    assert any(row[0].value == "C1" for row in changes.iter_rows(min_row=3))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_kind_of_output_validates(tmp_path, language):
    path = new_workbook(tmp_path / "book.xlsx", "Sales")
    write_tables(path, {"Sales": SALES})
    assert run("refresh", path, "--lang", language, "-q").exit_code == 0
    assert_valid_ooxml(path)
    other = "zh" if language == "en" else "en"
    assert run("refresh", path, "--lang", other, "-q").exit_code == 0  # a language switch
    assert_valid_ooxml(path)
    assert run("refresh", path, "--lang", other, "-q").exit_code == 0  # a second refresh
    assert_valid_ooxml(path)


def _pivot_book(tmp_path):
    from .pivot_fixture import add_pivot_on_tiers

    path = new_workbook(tmp_path / "pivot.xlsx", "My pivot")
    write_tables(path, {"Sales": SALES})
    assert run("refresh", path, "-q").exit_code == 0
    return add_pivot_on_tiers(path, sheet_parts(path)["My pivot"])


def _more_sales(path):
    more = pd.concat([SALES, SALES.assign(**{"Customer ID": ["C5", "C6", "C7", "C8", "C9"]})])
    write_tables(path, {"Sales": more})


def test_a_pivot_on_ct_tiers_keeps_its_source_and_refreshes_on_open(tmp_path):
    from .pivot_fixture import CACHE, PIVOT

    path = _pivot_book(tmp_path)
    before = members(path)
    _more_sales(path)
    result = run("refresh", path, "-q")
    assert result.exit_code == 0, result.output
    after = members(path)
    assert after[PIVOT] == before[PIVOT]
    assert after["xl/pivotTables/_rels/pivotTable1.xml.rels"] == before[
        "xl/pivotTables/_rels/pivotTable1.xml.rels"]
    cache = after[CACHE].decode()
    assert '<worksheetSource name="CT_Tiers"/>' in cache
    assert 'refreshOnLoad="1"' in cache
    # only that attribute changed in the user's cache definition
    assert cache.replace(' refreshOnLoad="1"', "").split("?>", 1)[1] == \
        before[CACHE].decode().split("?>", 1)[1]
    assert_valid_ooxml(path)


@pytest.mark.soffice
def test_a_pivot_on_ct_tiers_sees_the_new_rows_after_a_refresh(tmp_path):
    import subprocess

    def pivot_total(path):
        out = tmp_path / "csv"
        subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(out),
                        str(path)], check=True, capture_output=True, timeout=180)
        rows = [line for line in (out / (path.stem + ".csv")).read_text().splitlines() if line]
        assert rows[0] == "Sum of Profit"
        return float(rows[1])

    path = _pivot_book(tmp_path)
    # hand-computed profit: C1 800-160, C2 200-20, C3 100-20, C4 40-60
    assert pivot_total(path) == pytest.approx(640 + 180 + 80 - 20)
    _more_sales(path)  # five more customers with the same lines
    assert run("refresh", path, "-q").exit_code == 0
    assert pivot_total(path) == pytest.approx(2 * (640 + 180 + 80 - 20))


def _settings_rows(**changes):
    from xl_addin.report.settings_sheet import settings_rows
    from xl_addin.settings import Settings

    rows = settings_rows(Settings(), "en")
    for key, value in changes.items():
        if key == "sales_sheets":
            index = next(i for i, r in enumerate(rows) if r and r[0] == "sales_sheets")
            rows.insert(index + 1, [None, value])
        else:
            next(r for r in rows if r and r[0] == key)[1] = value
    return rows


def _book_with(tmp_path, sheets):
    from xl_addin.workbook.xlsx import frame_block

    path = new_workbook(tmp_path / "book.xlsx", "Notes")
    content = {}
    for name, value in sheets.items():
        if isinstance(value, list):  # rows of a Settings sheet
            width = max(len(r) for r in value)
            frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in value[1:]],
                                 columns=list(value[0]) + [f"c{i}" for i in range(width - len(value[0]))],
                                 dtype=object)
            content[name] = [frame_block(frame)]
        else:
            content[name] = value
    write_tables(path, content)
    return path


@pytest.mark.parametrize("sheets, expected", [
    ({"Sales": SALES.drop(columns="Amount")}, "no amount column"),
    ({"Sales": SALES, "Settings": _settings_rows(a_cut=2)}, "a_cut"),
    ({"Sales": SALES, "Settings": _settings_rows(sales_sheets="Missing")}, "'Missing'"),
    ({"Sales Plan": pd.DataFrame({"Month": ["Jan"], "Target": [1.0]})}, "'Sales Plan'"),
    ({"Sales": SALES}, None),
], ids=["missing-amount", "bad-setting", "missing-listed-sheet", "only-unrelated", "fine"])
def test_check_and_refresh_agree(tmp_path, sheets, expected):
    path = _book_with(tmp_path, sheets)
    checked = run("check", path)
    refreshed = run("refresh", path, "--out", tmp_path / "out.xlsx", "-q")
    assert checked.exit_code == refreshed.exit_code == (0 if expected is None else 3), (
        checked.output, refreshed.output)
    if expected is not None:
        assert expected in checked.output and expected in refreshed.output
        assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_template_refresh_validates_and_marks_the_templates_settings(tmp_path, language):
    from xl_addin.template.build import copy_template

    path = tmp_path / "book.xlsm"
    copy_template(path)
    original = tmp_path / "original.xlsm"
    shutil.copyfile(path, original)
    assert run("refresh", path, "--lang", language, "-q").exit_code == 0
    assert run("refresh", path, "--lang", language, "-q").exit_code == 0
    assert_valid_ooxml(path, baseline=original)
    workbook_xml = members(path)["xl/workbook.xml"].decode()
    names = openpyxl.load_workbook(path, keep_vba=True).sheetnames
    assert '"settings"</definedName>' in workbook_xml  # the template's Settings, recognised
    assert "Settings (2)" not in names and "设置" not in names


def test_our_sheets_are_checked_in_one_open_of_the_file_closed_before_the_write(refreshed, monkeypatch):
    """What the user added to each of our sheets is looked for in one open of the workbook,
    closed before the write replaces the file, and when a refresh is refused."""
    from xl_addin.workbook import file_book

    opened, events = [], []

    class Counted(file_book.SourcePackage):
        def __init__(self, path):
            super().__init__(path)
            opened.append(self)

        def close(self, **kwargs):
            events.append("close")
            super().close(**kwargs)

    real_write = file_book.write_report

    def write_report(*args, **kwargs):
        events.append(("write", [p._closed for p in opened]))
        return real_write(*args, **kwargs)

    monkeypatch.setattr(file_book, "SourcePackage", Counted)
    monkeypatch.setattr(file_book, "write_report", write_report)
    assert run("refresh", refreshed, "--no-cache", "-q").exit_code == 0
    checks = len(opened)
    assert checks == 1  # all our sheets, one open (it was one each)
    write = next(e for e in events if isinstance(e, tuple))
    assert write[1] == [True]  # closed before the write
    _add_chart(refreshed, "Pareto")
    opened.clear()
    assert run("refresh", refreshed, "--no-cache").exit_code == 3
    assert opened and all(p._closed for p in opened)  # refused: closed all the same
