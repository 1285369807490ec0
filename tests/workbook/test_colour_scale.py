"""The cohort triangle's colour scale (a conditional format) on the Retention sheet: its place
in the Report, in the worksheet XML (range, cfvo types, colours, schema order), OOXML validity,
only on our sheet, and replaced (not duplicated) by a second refresh."""

import re
import zipfile

import openpyxl
import pytest
from lxml import etree

from tests.marks import assert_valid_ooxml
from tests.report.factory import make_result
from xl_addin.report import labels
from xl_addin.report.layout import build_report
from xl_addin.workbook.demo import write_demo_workbook
from xl_addin.workbook.refresh import refresh_workbook
from xl_addin.workbook.xlsx import write_report

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# CT_Worksheet's sequence (ECMA-376 Part 1, 18.3.1.99), the elements we may write
ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetProtection",
         "autoFilter", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
         "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks",
         "drawing", "tableParts", "extLst")


def cohort_block(report):
    sheet = report.sheet("retention")
    return next(b for b in sheet.blocks if b.title == labels.phrase("cohort_share", report.language))


def sheet_roots(path):
    """{sheet name: parsed worksheet XML} of the workbook at ``path``."""
    with zipfile.ZipFile(path) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        roots = {}
        for sheet in book.iter(f"{MAIN}sheet"):
            target = targets[sheet.get(f"{REL}id")].lstrip("/")
            part = target if target.startswith("xl/") else f"xl/{target}"
            roots[sheet.get("name")] = etree.fromstring(z.read(part))
        return roots


def colour_scales(root):
    return root.findall(f"{MAIN}conditionalFormatting")


@pytest.fixture(scope="module", params=["en", "zh"])
def written(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    source = folder / "source.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Sales"
    book.save(source)
    report = build_report(make_result(120), request.param)
    return write_report(source, report, folder / "out.xlsx"), report


def test_the_share_triangle_has_the_scale_from_period_one_on(written):
    _, report = written
    block = cohort_block(report)
    header = list(block.header)
    first, last = block.colour_scale
    assert header[first] == "1" and header[last] == header[-1]  # period 0 is 100% by definition
    # e.g. "D24:H30": the value rows of those columns
    letters = re.fullmatch(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", block.colour_scale_range).groups()
    assert int(letters[1]) == block.first_row and int(letters[3]) == block.last_row
    revenue = next(b for b in report.sheet("retention").blocks
                   if b.title == labels.phrase("cohort_revenue", report.language))
    assert revenue.colour_scale is None  # money per cohort is not coloured
    assert all(b.colour_scale is None for s in report.sheets if s.key != "retention" for b in s.blocks)


def test_worksheet_xml_holds_one_three_colour_scale_on_the_triangle(written):
    out, report = written
    roots = sheet_roots(out)
    retention = roots[labels.sheet_name("retention", report.language)]
    [formatting] = colour_scales(retention)
    assert formatting.get("sqref") == cohort_block(report).colour_scale_range
    [rule] = formatting.findall(f"{MAIN}cfRule")
    assert (rule.get("type"), rule.get("priority")) == ("colorScale", "1")
    scale = rule.find(f"{MAIN}colorScale")
    assert [(c.get("type"), c.get("val")) for c in scale.findall(f"{MAIN}cfvo")] == [
        ("min", None), ("percentile", "50"), ("max", None)]
    assert [c.get("rgb") for c in scale.findall(f"{MAIN}color")] == ["FFF8696B", "FFFFEB84", "FF63BE7B"]
    # in CT_Worksheet's order: after sheetData / autoFilter, before pageMargins
    tags = [etree.QName(e).localname for e in retention]
    assert [t for t in ORDER if t in tags] == tags
    others = [name for name, root in roots.items() if colour_scales(root)]
    assert others == [labels.sheet_name("retention", report.language)]  # only our Retention sheet


def test_written_file_passes_the_ooxml_validator(written):
    out, _ = written
    assert_valid_ooxml(out)


def test_openpyxl_reads_the_rule_back_on_the_same_range(written):
    out, report = written
    sheet = openpyxl.load_workbook(out)[labels.sheet_name("retention", report.language)]
    ranges = [str(r.sqref) for r in sheet.conditional_formatting]
    assert ranges == [cohort_block(report).colour_scale_range]
    [rule] = sheet.conditional_formatting[ranges[0]]
    assert rule.type == "colorScale" and [v.type for v in rule.colorScale.cfvo] == ["min", "percentile", "max"]


def test_a_second_refresh_replaces_the_scale(tmp_path):
    path, _ = write_demo_workbook(tmp_path / "demo.xlsx", customers=120, rows=2_000)
    refresh_workbook(path)
    refresh_workbook(path)
    roots = sheet_roots(path)
    scales = {name: len(colour_scales(root)) for name, root in roots.items() if colour_scales(root)}
    assert scales == {"Retention": 1}
    assert_valid_ooxml(path)


def _with_retention_rule(path, rule_xml):
    """``path`` with ``rule_xml`` (a <conditionalFormatting>) added to the Retention sheet,
    as a user editing the file in Excel would."""
    import shutil

    roots = sheet_roots(path)
    assert "Retention" in roots
    out = path.with_name("edited.xlsx")
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        book = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        rid = next(s.get(f"{REL}id") for s in book.iter(f"{MAIN}sheet") if s.get("name") == "Retention")
        target = targets[rid].lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == part:
                data = data.replace(b"<pageMargins", rule_xml.encode() + b"<pageMargins", 1)
            w.writestr(item, data)
    shutil.move(out, path)
    return path


@pytest.mark.parametrize("rule", [
    # a user's own rule (a data bar) on our sheet
    '<conditionalFormatting sqref="A1:A3"><cfRule type="dataBar" priority="9"><dataBar><cfvo type="min"/>'
    '<cfvo type="max"/><color rgb="FF638EC6"/></dataBar></cfRule></conditionalFormatting>',
    # the very rule we write, but on cells outside our tables (a user copied it there)
    '<conditionalFormatting sqref="Z1:Z5"><cfRule type="colorScale" priority="2"><colorScale><cfvo type="min"/>'
    '<cfvo type="percentile" val="50"/><cfvo type="max"/><color rgb="FFF8696B"/><color rgb="FFFFEB84"/>'
    '<color rgb="FF63BE7B"/></colorScale></cfRule></conditionalFormatting>',
], ids=["data-bar", "our-rule-elsewhere"])
def test_a_users_conditional_format_on_our_sheet_is_still_reported(tmp_path, rule):
    from xl_addin.errors import WouldRemoveError

    path, _ = write_demo_workbook(tmp_path / "demo.xlsx", customers=120, rows=2_000)
    _with_retention_rule(path, rule)
    with pytest.raises(WouldRemoveError, match="conditional formats"):
        refresh_workbook(path)
