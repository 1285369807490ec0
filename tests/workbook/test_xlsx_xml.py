"""One XML writer at a time, compared with a literal string (XlsxWriter style)."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest
from lxml import etree

from xl_addin.report.charts import Axis, Chart, Series
from xl_addin.workbook.xlsx.chart_xml import axis_xml, chart_xml, line_series_xml
from xl_addin.workbook.xlsx.drawing_xml import drawing_xml
from xl_addin.workbook.xlsx.styles import StyleBook
from xl_addin.workbook.xlsx.workbook_xml import absolute_ref, rels_path, resolve
from xl_addin.workbook.xlsx.worksheet_xml import (cols_xml, column_cells, date_serials,
                                                  escape_text, sheet_views_xml, text_cell)

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


@pytest.mark.parametrize("text, xml", [
    ("plain", "plain"),
    ("a&b<c>", "a&amp;b&lt;c&gt;"),
    ("bell\x07", "bell_x0007_"),
    ("keep _x0041_ literal", "keep _x005F_x0041_ literal"),
    ("cr\r\nlf", "cr_x000D_\nlf"),
    ("\ufffe", "_xFFFE_"),
], ids=["plain", "markup", "control", "literal-escape", "carriage-return", "non-character"])
def test_escape_text(text, xml):
    assert escape_text(text) == xml


def test_text_cell_is_an_inline_string_even_when_it_looks_like_a_formula():
    assert text_cell("B2", "=SUM(A1)", 5) == (
        '<c r="B2" s="5" t="inlineStr"><is><t>=SUM(A1)</t></is></c>')
    assert text_cell("A1", " padded", 0) == (
        '<c r="A1" t="inlineStr"><is><t xml:space="preserve"> padded</t></is></c>')


def _cells(values, style=0, **options):
    cells, empty = column_cells(values, style, 9, **options)
    return cells.to_pylist(), list(empty)


def test_column_cells_by_dtype():
    assert _cells(pd.Series([1.5, float("nan"), float("inf"), 3.0, 0.1 + 0.2]), 7) == (
        ['<c s="7"><v>1.5</v></c>', '<c s="7"/>', '<c s="7"/>', '<c s="7"><v>3</v></c>',
         '<c s="7"><v>0.30000000000000004</v></c>'], [False, True, True, False, False])
    assert _cells(pd.Series([1, 2]), ref=("D", [2, 3]))[0] == [
        '<c r="D2"><v>1</v></c>', '<c r="D3"><v>2</v></c>']
    assert _cells(pd.Series([4, None], dtype="Int64"), 3) == (
        ['<c s="3"><v>4</v></c>', '<c s="3"/>'], [False, True])
    assert _cells(pd.Series([True, False])) == (
        ['<c t="b"><v>1</v></c>', '<c t="b"><v>0</v></c>'], [False, False])
    dates = pd.Series(pd.to_datetime(["1900-03-01 00:00", "2025-01-01 12:00", None]))
    assert _cells(dates)[0] == [
        '<c s="9"><v>61</v></c>', '<c s="9"><v>45658.5</v></c>', '<c s="9"/>']


def test_text_column_cells_escape_only_what_needs_it_and_leave_blanks_empty():
    values = pd.Series(["x", None, "", "a&b", " pad", "=SUM(A1)", "bell\x07"], dtype="str")
    cells, empty = _cells(values, 5, ref=("B", range(2, 9)))
    assert cells == [
        '<c r="B2" s="5" t="inlineStr"><is><t>x</t></is></c>', '<c r="B3" s="5"/>',
        '<c r="B4" s="5"/>', '<c r="B5" s="5" t="inlineStr"><is><t>a&amp;b</t></is></c>',
        '<c r="B6" s="5" t="inlineStr"><is><t xml:space="preserve"> pad</t></is></c>',
        '<c r="B7" s="5" t="inlineStr"><is><t>=SUM(A1)</t></is></c>',
        '<c r="B8" s="5" t="inlineStr"><is><t>bell_x0007_</t></is></c>']
    assert empty == [False, True, True, False, False, False, False]


@pytest.mark.parametrize("arrow_type", ["string", "large_string"])
def test_text_columns_of_either_arrow_text_type_give_the_same_cells(arrow_type):
    # pandas' "str" columns are large_string under some pandas / pyarrow versions: the cells
    # (with an escape, a space to keep and a blank) must not depend on it
    import pyarrow as pa

    values = pd.Series(pd.array(["x", None, "a&b", " pad"],
                                dtype=pd.ArrowDtype(getattr(pa, arrow_type)())))
    assert _cells(values, 5, ref=("C", range(2, 6))) == (
        ['<c r="C2" s="5" t="inlineStr"><is><t>x</t></is></c>', '<c r="C3" s="5"/>',
         '<c r="C4" s="5" t="inlineStr"><is><t>a&amp;b</t></is></c>',
         '<c r="C5" s="5" t="inlineStr"><is><t xml:space="preserve"> pad</t></is></c>'],
        [False, True, False, False])


@given(st.lists(st.one_of(st.none(), st.sampled_from(["Food & Beverage", "a<b", "x", " pad"]),
                          st.text(alphabet=st.sampled_from("ab &<>_x\x07\t\n\ufffe华"), max_size=8)),
                max_size=40))
def test_text_column_cells_are_the_cells_written_one_at_a_time(texts):
    # the column escapes each distinct text once; each cell must still be the one text_cell
    # writes for that row alone
    values = pd.Series(texts, dtype="str")
    cells, empty = _cells(values, 5, ref=("B", range(2, 2 + len(texts))))
    assert empty == [not t for t in texts]
    assert cells == [text_cell(f"B{r}", t, 5) if t else f'<c r="B{r}" s="5"/>'
                     for r, t in enumerate(texts, start=2)]


def test_tier_cells_get_their_tier_style():
    values = pd.Series(["A", "D", None, "Total"], dtype="str")
    cells, _ = _cells(values, 2, tier_styles={"A": 10, "B": 11, "C": 12, "D": 13})
    assert cells == ['<c s="10" t="inlineStr"><is><t>A</t></is></c>',
                     '<c s="13" t="inlineStr"><is><t>D</t></is></c>', '<c s="2"/>',
                     '<c s="2" t="inlineStr"><is><t>Total</t></is></c>']


def test_mixed_object_column_one_value_at_a_time():
    values = pd.Series(["x", None, True, 2, 2.5, pd.Timestamp("1900-03-01")], dtype=object)
    assert _cells(values, ref=("E", range(2, 8))) == ([
        '<c r="E2" t="inlineStr"><is><t>x</t></is></c>', '<c r="E3"/>', '<c r="E4" t="b"><v>1</v></c>',
        '<c r="E5"><v>2</v></c>', '<c r="E6"><v>2.5</v></c>', '<c r="E7" s="9"><v>61.0</v></c>'],
        [False, True, False, False, False, False])


def test_date_serials_in_the_1904_system():
    assert date_serials(pd.Series(pd.to_datetime(["1904-01-02"])), date1904=True)[0] == 1.0


def test_sheet_views_freeze_rows_and_columns():
    assert sheet_views_xml((1, 0)) == (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
        'sqref="A2"/></sheetView></sheetViews>')
    assert 'xSplit="2" ySplit="1" topLeftCell="C2" activePane="bottomRight"' in sheet_views_xml((1, 2))
    assert sheet_views_xml(None) == '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'


def test_cols():
    assert cols_xml([12, 8.5]) == ('<cols><col min="1" max="1" width="12" customWidth="1"/>'
                                   '<col min="2" max="2" width="8.5" customWidth="1"/></cols>')
    assert cols_xml([]) == ""


def test_value_axis_elements_in_schema_order():
    xml = axis_xml("val", 4, 3, "r", Axis(title="Share", number_format="0%", minimum=0, maximum=1),
                   crosses="max")
    order = [etree.QName(e).localname for e in etree.fromstring(
        f'<r xmlns:c="{C[1:-1]}" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f"{xml}</r>")[0]]
    assert order == ["axId", "scaling", "delete", "axPos", "title", "numFmt", "majorTickMark",
                     "minorTickMark", "tickLblPos", "crossAx", "crosses", "crossBetween"]
    assert '<c:scaling><c:orientation val="minMax"/><c:max val="1"/><c:min val="0"/></c:scaling>' in xml


def test_reference_line_is_dashed():
    series = Series("80% line", "'P'!$H$2:$H$3", (0.8, 0.8), "'P'!$C$2:$C$3", ("a", "b"),
                    kind="line", colour="7F7F7F", dash="dash")
    xml = line_series_xml(2, series)
    assert '<a:prstDash val="dash"/>' in xml
    assert xml.startswith('<c:ser><c:idx val="2"/><c:order val="2"/><c:tx><c:v>80% line</c:v></c:tx>')
    assert ('<c:val><c:numRef><c:f>\'P\'!$H$2:$H$3</c:f><c:numCache><c:formatCode>General'
            '</c:formatCode><c:ptCount val="2"/><c:pt idx="0"><c:v>0.8</c:v></c:pt>'
            '<c:pt idx="1"><c:v>0.8</c:v></c:pt></c:numCache></c:numRef></c:val>') in xml
    assert ('<c:cat><c:strRef><c:f>\'P\'!$C$2:$C$3</c:f><c:strCache><c:ptCount val="2"/>'
            '<c:pt idx="0"><c:v>a</c:v></c:pt><c:pt idx="1"><c:v>b</c:v></c:pt></c:strCache>') in xml


def test_an_empty_cell_is_counted_but_has_no_cached_point():
    series = Series("s", "'P'!$B$2:$B$4", (1.0, None, 2.5), kind="line")
    xml = line_series_xml(0, series)
    assert ('<c:ptCount val="3"/><c:pt idx="0"><c:v>1</c:v></c:pt>'
            '<c:pt idx="2"><c:v>2.5</c:v></c:pt></c:numCache>') in xml


def test_combo_chart_part_has_bars_lines_and_a_secondary_axis():
    cats = ("x", "y")
    chart = Chart("combo", "T <1>", (
        Series("Profit", "'P'!$D$2:$D$3", (5.0, 3.0), "'P'!$C$2:$C$3", cats, colour="548235",
               point_colours=("548235", "BF8F00")),
        Series("Cum", "'P'!$F$2:$F$3", (0.5, 0.8), "'P'!$C$2:$C$3", cats, kind="line",
               secondary=True)),
        y_axis=Axis(number_format="#,##0"), y2_axis=Axis(number_format="0%", minimum=0, maximum=1))
    root = etree.fromstring(chart_xml(chart))
    plot = root.find(f"{C}chart/{C}plotArea")
    assert [etree.QName(e).localname for e in plot] == [
        "layout", "barChart", "lineChart", "catAx", "valAx", "catAx", "valAx"]
    assert [e.get("val") for e in plot.findall(f"{C}lineChart/{C}axId")] == ["3", "4"]
    assert root.findtext(f".//{C}title//{{http://schemas.openxmlformats.org/drawingml/2006/main}}t") == "T <1>"
    # one data point differs from the series colour: one c:dPt, in schema order before c:cat
    bar = plot.find(f"{C}barChart/{C}ser")
    assert [etree.QName(e).localname for e in bar] == [
        "idx", "order", "tx", "spPr", "invertIfNegative", "dPt", "cat", "val"]
    assert bar.find(f"{C}dPt/{C}idx").get("val") == "1"
    assert [a.find(f"{C}numFmt").get("formatCode") for a in plot.findall(f"{C}valAx")] == [
        "#,##0", "0%"]


def test_scatter_chart_part_has_two_value_axes_and_numeric_x():
    chart = Chart("scatter", "Curve", (
        Series("A", "'P'!$B$2:$B$3", (0.0, 0.8), "'P'!$A$2:$A$3", (0.0, 0.2), kind="scatter"),))
    plot = etree.fromstring(chart_xml(chart)).find(f"{C}chart/{C}plotArea")
    assert [etree.QName(e).localname for e in plot] == ["layout", "scatterChart", "valAx", "valAx"]
    ser = plot.find(f"{C}scatterChart/{C}ser")
    assert ser.find(f"{C}xVal/{C}numRef/{C}numCache") is not None
    assert ser.find(f"{C}yVal/{C}numRef/{C}f").text == "'P'!$B$2:$B$3"


def test_drawing_anchors_one_frame_per_chart():
    xml = drawing_xml([((9, 1, 24, 31), "rId1", "Pareto"), ((25, 1, 30, 31), "rId2", "Curve")]).decode()
    assert "<xdr:from><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>" in xml
    assert 'r:id="rId1"' in xml and 'r:id="rId2"' in xml
    assert xml.count("<xdr:twoCellAnchor") == 2 and 'id="3" name="Curve"' in xml


STYLES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          b'<numFmts count="1"><numFmt numFmtId="164" formatCode="0.000"/></numFmts>'
          b'<fonts count="1"><font><sz val="11"/></font></fonts>'
          b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
          b'<fill><patternFill patternType="gray125"/></fill></fills>'
          b'<borders count="1"><border/></borders>'
          b'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          b'<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
          b"</styleSheet>")


def test_styles_are_appended_never_renumbered_and_reused():
    book = StyleBook(STYLES)
    assert book.style("cell", "text") == 2  # "@": built-in format 49, a new xf
    assert book.style("cell", "percent") == 3
    assert book.style("header") == 4
    xml = book.to_bytes()
    assert b'<numFmt numFmtId="164" formatCode="0.000"/><numFmt numFmtId="165" formatCode="0.0%"/>' in xml
    assert b'<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' in xml
    assert b'<cellXfs count="5">' in xml
    again = StyleBook(xml)
    assert again.style("cell", "percent") == 3 and again.style("header") == 4
    assert again.to_bytes() == xml


def test_package_paths():
    assert rels_path("xl/worksheets/sheet1.xml") == "xl/worksheets/_rels/sheet1.xml.rels"
    assert resolve("xl/worksheets/sheet1.xml", "../drawings/drawing1.xml") == "xl/drawings/drawing1.xml"
    assert resolve("xl/workbook.xml", "/xl/worksheets/sheet2.xml") == "xl/worksheets/sheet2.xml"
    assert absolute_ref("It's", "A1:Z9") == "'It''s'!$A$1:$Z$9"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_numbers_round_trip_exactly(numbers):
    cells, _ = column_cells(pd.Series(numbers, dtype="float64"), 0)
    written = [float(c[len("<c><v>"):-len("</v></c>")]) for c in cells.to_pylist()]
    assert written == numbers


def test_text_over_excels_cell_limit_is_cut_at_32767_characters():
    """Excel refuses a cell of more than 32,767 characters: every path of the file writer cuts
    there (the core has already noted the cut on Data quality)."""
    assert text_cell("A1", "x" * 40_000, 0) == (
        '<c r="A1" t="inlineStr"><is><t>' + "x" * 32_767 + "</t></is></c>")
    text_column, _ = _cells(pd.Series(["y" * 40_000, "ok"], dtype="str"), 0)
    assert text_column == ['<c t="inlineStr"><is><t>' + "y" * 32_767 + "</t></is></c>",
                           '<c t="inlineStr"><is><t>ok</t></is></c>']
    mixed, _ = _cells(pd.Series(["z" * 32_768, 1], dtype=object))
    assert mixed == ['<c t="inlineStr"><is><t>' + "z" * 32_767 + "</t></is></c>", "<c><v>1</v></c>"]


_TRICKY = st.sampled_from(["&", "<", ">", "_x", "_x0041_", "\r", "\n", "\t", " ", "\x07",
                           "\x1f", "\ufffe", "\uffff", "\uff01", "\ufffd", "中", "é", "x", "A",
                           "D", "\xa0"])


def _expected_text_cell(text, style, tier_styles, at):
    """The cell the writer must make, spelled out value by value: escape_text, then
    xml:space="preserve" when the escaped text starts or ends with space, tab, CR or LF or
    holds a tab or LF; empty text is an empty cell with the column's style."""
    r = f' r="{at}"' if at else ""
    if not text:
        return f'<c{r} s="{style}"/>'
    own = tier_styles.get(text, style)
    xml = escape_text(text)
    preserve = xml[0] in " \t\r\n" or xml[-1] in " \t\r\n" or "\t" in xml or "\n" in xml
    t = '<t xml:space="preserve">' if preserve else "<t>"
    return f'<c{r} s="{own}" t="inlineStr"><is>{t}{xml}</t></is></c>'


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_TRICKY, max_size=5).map("".join),
                          st.text(max_size=6)), min_size=1, max_size=30),
       st.booleans(), st.booleans())
def test_text_cells_equal_escaping_one_value_at_a_time(texts, tiers, with_ref):
    """The whole-column path (byte scans with numpy, one join) against escape_text per value."""
    tier_styles = {"A": 10, "B": 11, "C": 12, "D": 13} if tiers else None
    rows = list(range(5, 5 + len(texts)))
    cells, empty = _cells(pd.Series(texts, dtype="str"), 3, tier_styles=tier_styles,
                          ref=("C", rows) if with_ref else None)
    assert cells == [_expected_text_cell(t or "", 3, tier_styles or {}, f"C{r}" if with_ref else "")
                     for t, r in zip(texts, rows)]
    assert empty == [not t for t in texts]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_TRICKY, max_size=5).map("".join),
                          st.text(max_size=6)), min_size=1, max_size=30),
       st.booleans())
def test_text_cells_made_once_per_value_equal_escaping_one_value_at_a_time(texts, tiers):
    """A column of few distinct values (its cells made per value, then taken per row), here
    forced on any column, against escape_text per value."""
    from unittest import mock

    import xl_addin.workbook.xlsx.worksheet_xml as sheet_xml

    tier_styles = {"A": 10, "B": 11, "C": 12, "D": 13} if tiers else None
    with mock.patch.multiple(sheet_xml, BY_VALUE_ROWS=1, BY_VALUE_SHARE=1):
        cells, empty = _cells(pd.Series(texts, dtype="str"), 3, tier_styles=tier_styles)
    assert cells == [_expected_text_cell(t or "", 3, tier_styles or {}, "") for t in texts]
    assert empty == [not t for t in texts]


def test_a_long_column_of_few_values_is_made_per_value_with_the_same_cells():
    import xl_addin.workbook.xlsx.worksheet_xml as sheet_xml

    values = [None, "", "Food & Beverage", " pad", "A", "x\ty", "_x0041_", "中文", "D"]
    texts = [values[(i * 7) % len(values)] for i in range(20_000)]
    series = pd.Series(texts, dtype="str")
    assert sheet_xml._few_values(sheet_xml._text_array(series)) is not None  # the path taken
    tier_styles = {"A": 10, "B": 11, "C": 12, "D": 13}
    cells, empty = _cells(series, 3, tier_styles=tier_styles)
    assert cells == [_expected_text_cell(t or "", 3, tier_styles, "") for t in texts]
    assert empty == [not t for t in texts]
    unique = pd.Series([f"customer {i}" for i in range(20_000)], dtype="str")
    assert sheet_xml._few_values(sheet_xml._text_array(unique)) is None  # row by row


@pytest.mark.parametrize("text, quoted", [
    ("CT_Tiers", '"CT_Tiers"'), ('say "hi"', "'say \"hi\"'"), ("""it's "x\"""", '"it\'s &quot;x&quot;"'),
    ("a&b<c>\n\r\t", '"a&amp;b&lt;c&gt;&#10;&#13;&#9;"'),
])
def test_quoteattr_literal(text, quoted):
    from xl_addin.workbook.xlsx.xml_escape import quoteattr

    assert quoteattr(text) == quoted


@settings(max_examples=300)
@given(st.text(st.sampled_from("ab &<>\"'\n\r\t_x;#") | st.characters()))
def test_escape_and_quoteattr_as_saxutils(text):
    from xml.sax.saxutils import escape as sax_escape, quoteattr as sax_quoteattr

    from xl_addin.workbook.xlsx.xml_escape import escape, quoteattr

    assert escape(text) == sax_escape(text)
    assert quoteattr(text) == sax_quoteattr(text)
