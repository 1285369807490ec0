"""Real files written by the package writer, read back with openpyxl and python-calamine."""

import datetime as dt
import os
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from tests.report.factory import make_result
from xl_addin.errors import WorkbookError
from xl_addin.report import labels
from xl_addin.report.layout import build_report
from xl_addin.workbook.xlsx import new_workbook, write_report, write_tables
from xl_addin.workbook.xlsx import package as package_module

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1-555", "-2", "@SUM(A1)", "a\x01b_x0041_c"]
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def _raw_members(path):
    """Each member's local header + compressed bytes, as stored."""
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        out = {}
        for info in z.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            n, m = int.from_bytes(head[26:28], "little"), int.from_bytes(head[28:30], "little")
            out[info.filename] = head[4:] + f.read(n + m + info.compress_size)
        return out


@pytest.fixture
def result():
    names = INJECTIONS + [f"Customer {i}" for i in range(len(INJECTIONS), 70)]
    return make_result(70, names=names)


def test_sheets_values_and_formats_read_back_with_openpyxl(small_xlsx, result, tmp_path):
    out = write_report(small_xlsx, build_report(result, "en"), tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Sales", "Dashboard", "Tiers", "Pareto", "Summary", "Coverage",
                             "Data quality", "Tier changes", "CLV model", "Retention", "Settings"]
    assert wb["Sales"]["A1"].value == "kept"
    ws = wb["Tiers"]
    assert [c.value for c in ws[1]] == list(build_report(result, "en").sheet("tiers").blocks[0].header)
    assert [c.value for c in ws[1]][:26] == [labels.COLUMN_LABELS[c][0] for c in labels.TIERS_COLUMNS[:26]]
    assert ws.max_row == 72  # 70 customers and the prospect
    first = result.customers.iloc[0]
    assert ws["A2"].value == first["customer_id"]
    assert ws["G2"].value == pytest.approx(first["revenue"])
    assert ws["G2"].number_format == "#,##0.00;[Red]-#,##0.00"
    assert ws["J2"].number_format == "0.0%"
    assert ws["N2"].value == first["last_purchase"].to_pydatetime()
    assert ws["N2"].number_format == "yyyy-mm-dd"
    assert ws["U2"].number_format == "0.0"
    assert ws["M2"].number_format == "#,##0"
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref is None and ws.tables["CT_Tiers"].ref == "A1:AE72"
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb == "FFD9E1F2"
    tier_fill = {ws.cell(r, 12).value: ws.cell(r, 12).fill.fgColor.rgb for r in range(2, 72)}
    assert tier_fill["A"] == "FFC6EFCE" and tier_fill["B"] == "FFFFEB9C"
    flags = [ws.cell(r, 26).value for r in range(2, 73)]
    assert flags == [f or None for f in result.customers["flags"]]  # "" is an empty cell
    assert ws["A72"].value == "C99998" and ws["M72"].value is None  # prospect: no orders
    assert wb["Data quality"].tables["CT_DataQuality"].ref == "A1:E3"
    assert wb["Data quality"]["D2"].value == "abc"
    assert wb["Data quality"]["D3"].value is None


def test_marks_are_hidden_sheet_local_names_and_no_filter_database_is_left(small_xlsx, result,
                                                                           tmp_path):
    out = write_report(small_xlsx, build_report(result, "en"), tmp_path / "out.xlsx")
    workbook = _members(out)["xl/workbook.xml"].decode()
    names = re.findall(r'<definedName name="CT_Generated" localSheetId="(\d+)" '
                       r'hidden="1">([^<]*)</definedName>', workbook)
    assert names == [("1", '"dashboard"'), ("2", '"tiers"'), ("3", '"pareto"'), ("4", '"summary"'),
                     ("5", '"coverage"'), ("6", '"data_quality"'), ("7", '"tier_changes"'),
                     ("8", '"clv_model"'), ("9", '"retention"'), ("10", '"settings"')]
    assert "_xlnm._FilterDatabase" not in workbook  # the tables filter their own ranges
    # the other sheet-scoped names, on the same sheet indexes: rows repeated on printed pages
    titles = dict(re.findall(r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">'
                             r'([^<]*)</definedName>', workbook))
    assert titles == {"2": "'Tiers'!$1:$1", "3": "'Pareto'!$23:$23", "6": "'Data quality'!$1:$1",
                      "7": "'Tier changes'!$2:$2", "10": "'Settings'!$1:$1"}


def test_calamine_reads_the_same_values(small_xlsx, result, tmp_path):
    out = write_report(small_xlsx, build_report(result, "zh"), tmp_path / "out.xlsx")
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names[1:] == ["仪表板", "客户分级", "帕累托", "汇总", "保有量", "数据问题", "分级变化",
                                    "CLV 模型", "留存", "设置"]
    rows = book.get_sheet_by_name("客户分级").to_python()
    assert rows[0][:3] == ["客户编号", "客户名称", "销售"]
    names = {r[0]: r[1] for r in rows[1:]}
    assert [names[f"C{i:05d}"] for i in range(1, 6)] == INJECTIONS
    assert rows[1][13] == result.customers.iloc[0]["last_purchase"].date()
    tiers = {r[21] for r in rows[1:]}
    assert tiers <= {"重要客户", "普通客户", "潜力客户", ""} and rows[-1][21] == ""  # prospect


def test_text_that_looks_like_a_formula_stays_text(small_xlsx, result, tmp_path):
    out = write_report(small_xlsx, build_report(result, "en"), tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(out)["Tiers"]
    # openpyxl does not decode _xHHHH_ in inline strings; calamine does (see the test above)
    row_of = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for i, text in enumerate(INJECTIONS[:4], start=1):
        cell = ws.cell(row_of[f"C{i:05d}"], 2)
        assert cell.value == text and cell.data_type == "s"
    for name, xml in _members(out).items():  # formulas only on the Dashboard (sheet2)
        if name.startswith("xl/worksheets/") and name != "xl/worksheets/sheet2.xml":
            assert b"<f>" not in xml and b"<f " not in xml


def test_pareto_chart_series_point_at_the_right_cells(small_xlsx, result, tmp_path):
    out = write_report(small_xlsx, build_report(result, "en"), tmp_path / "out.xlsx")
    members = _members(out)
    pareto_part = "xl/worksheets/sheet4.xml"  # Sales, Dashboard, Tiers, Pareto
    assert b"<drawing " in members[pareto_part]
    drawing_rels = members["xl/worksheets/_rels/sheet4.xml.rels"]
    drawing = re.search(rb"drawings/(drawing\d+)\.xml", drawing_rels).group(1).decode()
    chart_parts = re.findall(rb"charts/(chart\d+\.xml)", members[f"xl/drawings/_rels/{drawing}.xml.rels"])
    chart = etree.fromstring(members["xl/charts/" + chart_parts[0].decode()])
    refs = [f.text for f in chart.iter(C + "f")]
    # table at row 22 (title), header 23, 30 customers on rows 24..53
    assert refs == ["'Pareto'!$C$24:$C$53", "'Pareto'!$D$24:$D$53"] + [
        "'Pareto'!$C$24:$C$53", "'Pareto'!$F$24:$F$53", "'Pareto'!$C$24:$C$53", "'Pareto'!$H$24:$H$53"]
    assert chart.find(f".//{C}lineChart/{C}ser[2]/{C}spPr").xpath(
        ".//*[local-name()='prstDash']/@val") == ["dash"]
    share_axis = chart.findall(f".//{C}valAx")[1]
    assert share_axis.find(f"{C}scaling/{C}max").get("val") == "1"
    assert share_axis.find(f"{C}numFmt").get("formatCode") == "0%"
    assert chart.findall(f".//{C}valAx")[0].find(f"{C}numFmt").get("formatCode") == "#,##0"
    sheet = openpyxl.load_workbook(out)["Pareto"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=22, max_row=60, max_col=8)]
    assert rows[0][0] == "Pareto chart data" and rows[1][0] == "Rank"
    top = result.pareto.iloc[:30]
    assert [r[2] for r in rows[2:32]] == list(top["customer_name"])
    # no "Others" row: the line is the core's cumulative share over every customer
    assert [r[5] for r in rows[2:32]] == pytest.approx(list(top["cum_share"]))
    assert rows[32][:8] == [None] * 8
    assert {r[7] for r in rows[2:32]} == {0.8}
    assert openpyxl.load_workbook(out)["Pareto"]["F24"].number_format == "0.0%"
    assert b'PartName="/xl/charts/chart1.xml"' in members["[Content_Types].xml"]


def test_preservation_every_part_we_do_not_own_is_byte_identical(xlsm, result, tmp_path):
    before = _raw_members(xlsm)
    out = write_report(xlsm, build_report(result, "en"), tmp_path / "out.xlsm")
    after = _raw_members(out)
    owned = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
             "xl/styles.xml"}
    for name, raw in before.items():
        if name not in owned:
            assert after[name] == raw, name
    new = set(after) - set(before)
    assert all(re.match(r"xl/(worksheets|drawings|charts|tables)/(_rels/)?\w+\.xml(\.rels)?$", n)
               for n in new), new
    rels = _members(out)["xl/_rels/workbook.xml.rels"]
    assert b"vbaProject.bin" in rels
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert wb.sheetnames[:3] == ["Sales", "My chart", "Notes"]
    assert "Amounts" in wb.defined_names
    assert wb["Sales"]["A2"].comment.text == "a user's comment"
    assert wb["Sales"].data_validations.dataValidation[0].formula1 == '"Yes,No"'


def test_the_users_own_drawing_number_is_not_reused(xlsm, result, tmp_path):
    out = write_report(xlsm, build_report(result, "en"), tmp_path / "out.xlsm")
    members = _members(out)
    assert members["xl/drawings/drawing1.xml"] == _members(xlsm)["xl/drawings/drawing1.xml"]
    assert members["xl/charts/chart1.xml"] == _members(xlsm)["xl/charts/chart1.xml"]
    ours = [n for n in members if re.match(r"xl/charts/chart\d+\.xml$", n) and n != "xl/charts/chart1.xml"]
    assert sorted(ours) == [f"xl/charts/chart{k}.xml" for k in range(2, 9)]  # 4 + 2 + 1 new charts
    assert any(b"'Pareto'" in members[n] for n in ours)


def test_refreshing_twice_gives_the_same_bytes(xlsm, result, tmp_path):
    once = write_report(xlsm, build_report(result, "en"), tmp_path / "once.xlsm")
    twice = write_report(once, build_report(result, "en"), tmp_path / "twice.xlsm")
    assert once.read_bytes() == twice.read_bytes()


def test_switching_language_renames_in_place_and_back(xlsm, result, tmp_path):
    en = write_report(xlsm, build_report(result, "en"), tmp_path / "en.xlsm")
    zh = write_report(en, build_report(result, "zh"), tmp_path / "zh.xlsm")
    names = openpyxl.load_workbook(zh).sheetnames
    assert names == ["Sales", "My chart", "Notes", "仪表板", "客户分级", "帕累托", "汇总", "保有量", "数据问题",
                     "分级变化", "CLV 模型", "留存", "Settings"]  # Settings is never overwritten, so not renamed
    back = write_report(zh, build_report(result, "en"), tmp_path / "back.xlsm")
    assert back.read_bytes() == en.read_bytes()


def test_settings_sheet_is_not_overwritten(small_xlsx, result, tmp_path):
    out = write_report(small_xlsx, build_report(result, "en"), tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb["Settings"]["A2"].value == "language"
    wb["Settings"]["B2"] = "zh"  # the user's edit
    wb.save(out)
    write_report(out, build_report(result, "en"))
    assert openpyxl.load_workbook(out)["Settings"]["B2"].value == "zh"


def test_a_failure_mid_write_leaves_the_original_untouched(xlsm, result, monkeypatch):
    before = xlsm.read_bytes()

    def broken_copy(self, source, member):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(package_module.PackageWriter, "copy", broken_copy)
    with pytest.raises(WorkbookError, match="No space left"):
        write_report(xlsm, build_report(result, "en"))
    assert xlsm.read_bytes() == before
    assert sorted(os.listdir(xlsm.parent)) == ["book.xlsm"]


def test_not_a_workbook_is_a_workbook_error(tmp_path, result):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("hello")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        write_report(bad, build_report(result, "en"))


def test_write_tables_into_a_new_workbook(tmp_path):
    path = new_workbook(tmp_path / "demo.xlsx")
    frame = pd.DataFrame({
        "Customer": ["Ann", "中文客户", None],
        "Date": pd.to_datetime(["2025-01-01", "2025-02-03", None]),
        "Amount": [1.5, -2.0, float("nan")],
        "Order": pd.array([1, 2, None], dtype="Int64"),
    })
    write_tables(path, {"Sales 2025": frame})
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Sales 2025").to_python()
    assert rows[0] == ["Customer", "Date", "Amount", "Order"]
    assert rows[1][:3] == ["Ann", dt.date(2025, 1, 1), 1.5]
    assert rows[2][0] == "中文客户" and rows[2][2] == -2.0
    assert len(rows) == 3  # the last row is all empty: no cells at all
    ws = openpyxl.load_workbook(path)["Sales 2025"]
    assert ws.freeze_panes == "A2" and ws["D3"].value == 2


def test_a_bad_sheet_name_says_the_limit(tmp_path):
    path = new_workbook(tmp_path / "demo.xlsx")
    with pytest.raises(WorkbookError, match="must be <= 31 chars"):
        write_tables(path, {"x" * 32: pd.DataFrame({"a": [1]})})


@pytest.mark.soffice
def test_libreoffice_renders_the_pareto_sheet(tmp_path, result):
    path = new_workbook(tmp_path / "pareto.xlsx", sheet_name="Pareto")
    report = build_report(result, "en")
    write_report(path, type(report)("en", (report.sheet("pareto"),)))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "pareto.pdf"
    assert pdf.stat().st_size > 5000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "make 80% of profit" in text
