"""The live writer against fakes specced from xlwings' own classes: every call must exist in
xlwings with that signature (create_autospec), and the calls say what Excel would be asked."""

import dataclasses
from unittest import mock

import pandas as pd
import pytest
import xlwings as xw
from xlwings import main as xwmain

from xl_addin.excel import writer
from xl_addin.report import labels
from xl_addin.report.charts import Axis, Chart, Series
from xl_addin.report.layout import Block, Formula, PrintSetup, Report, Sheet

from .fakes import fake_book, fake_chart


@pytest.fixture
def book():
    book = fake_book({})
    book.sheets.add("Sales")
    book.sheets.add.reset_mock()  # keeps the side effect: only the test's own calls count
    return book


def tiers_block():
    values = pd.DataFrame({0: ["C1", "=cmd|' /C calc'!A0", "C3"], 1: [100.0, 50.0, None],
                           2: ["A", "A", "B"], 3: [pd.Timestamp("2025-01-02"), pd.NaT, pd.NaT],
                           4: ["-5", "+86 10", "ok"]})
    return Block(header=("Customer ID", "Revenue", "ABC tier", "Last purchase", "Note"), values=values,
                 formats=("text", "currency", "text", "date", "integer"), tier_column=2)


def test_block_writes_header_and_values_once_with_formats_first(book):
    fake = book.fakes["Sales"]
    writer.write_block(fake.sheet, tiers_block())
    header = fake.ranges[(1, 1)]
    header.resize.assert_any_call(1, 5)
    body = fake.ranges[(2, 1)]
    body.resize.assert_any_call(3, 5)  # the whole 3 x 5 body in one range
    assert body.value == writer.block_rows(tiers_block())
    # number formats: one per column over the whole column of values, before the values
    for offset, code in enumerate(["@", "#,##0.00;[Red]-#,##0.00", "@", "yyyy-mm-dd", "#,##0"]):
        assert fake.ranges[(2, 1 + offset)].number_format == code
    assert header.value == [["Customer ID", "Revenue", "ABC tier", "Last purchase", "Note"]]


def test_text_stays_text():
    rows = writer.block_rows(tiers_block())
    assert rows[1][0] == "=cmd|' /C calc'!A0"  # text column: formatted "@" before the write
    assert rows[0][4] == "'-5" and rows[1][4] == "'+86 10"  # elsewhere: apostrophe prefix
    assert rows[2][1] is None and rows[1][3] is None  # NaN / NaT -> empty cells
    assert rows[0][3] == pd.Timestamp("2025-01-02").to_pydatetime()


def test_text_over_excels_cell_limit_is_cut_at_32767_characters():
    assert writer.excel_value("x" * 40_000, in_text_column=True) == "x" * 32_767
    assert writer.excel_value("x" * 32_767, in_text_column=False) == "x" * 32_767
    # outside a text column a leading "-" gets Excel's apostrophe, inside the same limit
    assert writer.excel_value("-" * 40_000, in_text_column=False) == "'" + "-" * 32_766


def test_text_formats_are_set_before_the_values_are_written(book):
    fake = book.fakes["Sales"]
    order = []
    text_column = fake.range((2, 1))
    body = fake.range((2, 1))  # same cell: the body range starts at the text column
    type(text_column).number_format = mock.PropertyMock(side_effect=lambda v: order.append(("format", v)))
    type(body).value = mock.PropertyMock(side_effect=lambda v: order.append(("value", len(v))))
    writer.write_block(fake.sheet, tiers_block())
    assert order.index(("format", "@")) < order.index(("value", 3))
    assert order.count(("value", 3)) == 1  # one 2-D write for the three rows


def test_tier_colours_are_set_per_run_not_per_cell(book):
    fake = book.fakes["Sales"]
    writer.write_block(fake.sheet, tiers_block())
    assert writer.tier_runs(["A", "A", "B", "B", "B", "D"]) == [(0, 2, "A"), (2, 3, "B"), (5, 1, "D")]
    a_run, b_run = fake.ranges[(2, 3)], fake.ranges[(4, 3)]
    a_run.resize.assert_any_call(2, 1)
    assert a_run.color == writer.TIER_COLOURS["A"] and b_run.color == writer.TIER_COLOURS["B"]


def pareto_report():
    block = Block(header=("Customer", "Profit", "Cumulative share", "Reference"),
                  values=pd.DataFrame({0: ["a", "b"], 1: [5.0, 3.0], 2: [0.6, 1.0], 3: [0.8, 0.8]}),
                  formats=("text", "currency", "percent", "percent"))
    cats = ("a", "b")
    chart = Chart(
        kind="combo", title="Pareto", name="Pareto", anchor=(5, 1, 15, 20),
        series=(
            Series("Profit", "'Pareto'!$B$2:$B$3", (5.0, 3.0), "'Pareto'!$A$2:$A$3", cats,
                   colour="548235", point_colours=("548235", "BF8F00")),
            Series("Cumulative share", "'Pareto'!$C$2:$C$3", (0.6, 1.0), "'Pareto'!$A$2:$A$3",
                   cats, kind="line", secondary=True, colour="C00000", markers=True),
            Series("80%", "'Pareto'!$D$2:$D$3", (0.8, 0.8), "'Pareto'!$A$2:$A$3", cats,
                   kind="line", secondary=True, colour="7F7F7F", dash="dash"),
        ),
        x_axis=Axis(title="Customers"), y_axis=Axis(title="Profit", number_format="#,##0"),
        y2_axis=Axis(title="Cumulative share", number_format="0%", minimum=0, maximum=1),
    )
    sheet = Sheet(key="pareto", name="Pareto", blocks=(block,), freeze=(1, 0), autofilter="A1:D3",
                  column_widths=(12.0, 14.0), charts=(chart,),
                  print_setup=PrintSetup(landscape=True, title_rows=(1, 1), row_breaks=(20,)))
    return Report(language="en", sheets=(sheet,))


def test_report_adds_the_sheet_and_draws_the_combo_chart(book):
    chart = fake_chart()
    progress = []
    original_add = book.sheets.add.side_effect

    def add(name=None, before=None, after=None):
        sheet = original_add(name=name, before=before, after=after)
        sheet.charts.add.side_effect = lambda **kwargs: chart
        return sheet

    book.sheets.add.side_effect = add
    writer.write_report(book, pareto_report(), progress=progress.append)
    assert progress == ["Pareto (1/1)"]
    fake = book.fakes["Pareto"]
    kwargs = fake.charts.add.call_args.kwargs
    assert kwargs["name"] == "CT Pareto" and kwargs["left"] == 100.0  # "CT ": ours
    bars, line, reference = chart.added_series
    assert (bars.ChartType, line.ChartType, reference.ChartType) == (51, 65, 4)
    assert bars.Values == "='Pareto'!$B$2:$B$3" and bars.XValues == "='Pareto'!$A$2:$A$3"
    assert line.AxisGroup == reference.AxisGroup == writer.XL_SECONDARY
    assert line.Name == "Cumulative share" and reference.Format.Line.DashStyle == 4
    # per-point colour: the second bar is a B customer (Excel's RGB number is BGR)
    bars.Points.assert_called_with(2)
    assert bars.Points.return_value.Format.Fill.ForeColor.RGB == 0x008FBF
    native = chart.api[1]
    assert native.ChartTitle.Text == "Pareto"
    native.Axes.assert_any_call(writer.XL_VALUE, writer.XL_SECONDARY)
    secondary = native.Axes.return_value  # every Axes() call hands back the same fake
    assert secondary.TickLabels.NumberFormat in ("0%", "#,##0")
    assert fake.ranges[(1, 1)].column_width == 12.0
    fake.ranges["A1:D3"].api.AutoFilter.assert_called_once_with()
    window = book.app.api.ActiveWindow
    assert (window.SplitRow, window.SplitColumn, window.FreezePanes) == (1, 0, True)
    page = fake.sheet.api.PageSetup
    assert (page.Orientation, page.FitToPagesWide, page.FitToPagesTall) == (2, 1, False)
    assert page.PrintTitleRows == "$1:$1"
    fake.sheet.api.HPageBreaks.Add.assert_called_once_with(Before=fake.ranges[(21, 1)].api)


def test_chart_types_follow_the_series_kinds():
    bar = Series("s", "'P'!$A$1:$A$2", (1.0, 2.0))
    assert writer._xl_chart_type(bar) == 51 and writer._xl_chart_type(bar, horizontal=True) == 57
    curve = Series("c", "'P'!$A$1:$A$2", (0.0, 1.0), "'P'!$B$1:$B$2", (0.0, 1.0), kind="scatter")
    marks = dataclasses.replace(curve, line=False, markers=True)
    assert writer._xl_chart_type(curve) == 74 and writer._xl_chart_type(marks) == -4169
    assert writer.colour_number("C00000") == 0x0000C0  # Excel's RGB is red in the low byte


def test_formula_cells_get_their_value_in_the_one_write_then_the_formula(book):
    fake = book.fakes["Sales"]
    values = pd.DataFrame({0: [Formula("=COUNTA('Tiers'!$A$2:$A$9)", 8.0)], 1: ["=text"]},
                          dtype=object)
    block = Block(header=("Customers", "Note"), values=values, formats=("integer", "text"))
    writer.write_block(fake.sheet, block)
    assert fake.ranges[(2, 1)].value == [[8.0, "=text"]]  # the body: cached value, literal text
    assert fake.ranges[(2, 1)].formula == "=COUNTA('Tiers'!$A$2:$A$9)"
    assert writer.block_formulas(block) == [((2, 1), values.iloc[0, 0])]


def test_our_existing_sheet_is_cleared_and_our_chart_redrawn(book):
    fake = book.fakes["Sales"]
    old_chart = mock.create_autospec(xw.Chart, instance=True)
    fake.charts.__iter__.side_effect = lambda: iter([old_chart])
    block = Block(header=("x",), values=pd.DataFrame({0: [1]}), formats=("integer",))
    report = Report(language="en", sheets=(Sheet(key="tiers", name="SALES", blocks=(block,)),))
    fake.mark("tiers")
    old_chart.name = "CT Pareto"  # our chart ("CT " prefix): deleted and drawn again
    writer.write_report(book, report)
    old_chart.delete.assert_called_once_with()
    fake.sheet.clear.assert_called_once_with()
    book.sheets.add.assert_not_called()


def test_colours_and_formats_are_the_package_writers():
    assert writer.rgb("C6EFCE") == (198, 239, 206)
    assert writer.TIER_COLOURS == {"A": (198, 239, 206), "B": (255, 235, 156), "C": (221, 235, 247),
                                   "D": (255, 199, 206)}
    assert writer.HEADER_COLOUR == writer.rgb(labels.HEADER_COLOUR) == (217, 225, 242)
    assert writer.FORMAT_CODES is labels.FORMAT_CODES


def test_a_language_switch_renames_the_other_language_sheet_and_keeps_settings(book):
    book.sheets.add(name="Tiers")
    book.sheets.add(name="Settings")
    tiers = book.fakes["Tiers"]
    tiers.mark("tiers")
    book.fakes["Settings"].mark("settings")
    block = Block(header=("客户编号",), values=pd.DataFrame({0: ["C1"]}), formats=("text",))
    report = Report(language="zh", sheets=(
        Sheet(key="tiers", name="客户分级", blocks=(block,)),
        Sheet(key="settings", name="设置", blocks=(block,), only_if_missing=True),
    ))
    book.sheets.add.reset_mock()
    writer.write_report(book, report)
    book.sheets.add.assert_not_called()  # nothing added, nothing deleted
    assert tiers.sheet.name == "客户分级"
    tiers.sheet.clear.assert_called_once_with()
    assert tiers.ranges[(1, 1)].value == [["客户编号"]]
    assert book.fakes["Settings"].sheet.name == "Settings"
    book.fakes["Settings"].sheet.clear.assert_not_called()
    assert [s.name for s in book.sheets] == ["Sales", "客户分级", "Settings"]


def test_split_reference():
    assert writer.split_reference("'Pareto'!$C$2:$C$52") == ("Pareto", "$C$2:$C$52")
    assert writer.split_reference("'It''s'!A1") == ("It's", "A1")
    assert writer.split_reference("帕累托!A1:B2") == ("帕累托", "A1:B2")


def cohort_sheet():
    """A small cohort triangle at C3 (title C3, header C4, values C5:F7) with the colour scale
    on its period columns 1..2 (F5:G7)."""
    values = pd.DataFrame({0: ["2025-01", "2025-02", "2025-03"], 1: [10, 8, 5], 2: [1.0, 1.0, 1.0],
                           3: [0.4, 0.25, None], 4: [0.3, None, None]})
    block = Block(header=("Cohort", "Customers", "0", "1", "2"), values=values,
                  formats=("text", "integer", "percent", "percent", "percent"), origin=(3, 3),
                  title="Cohorts", colour_scale=(3, 4))
    return Sheet(key="retention", name="Retention", blocks=(block,))


def test_the_cohort_triangle_gets_a_three_colour_scale(book):
    spec = cohort_sheet()
    assert spec.blocks[0].colour_scale_range == "F5:G7"
    fake = book.fakes["Sales"]
    writer.write_sheet(fake.sheet, spec)
    conditions = fake.ranges["F5:G7"].api.FormatConditions
    conditions.Delete.assert_called_once_with()
    conditions.AddColorScale.assert_called_once_with(ColorScaleType=3)
    scale = conditions.AddColorScale.return_value
    assert [c.args for c in scale.ColorScaleCriteria.call_args_list] == [(1,), (2,), (3,)]
    # every ColorScaleCriteria(i) call hands back the same fake: the last one set wins, so read
    # the assignments from the mock's history instead
    criterion = scale.ColorScaleCriteria.return_value
    assert criterion.Type == writer.XL_HIGHEST_VALUE == 2
    assert criterion.Value == 50  # set once, on the middle point
    assert criterion.FormatColor.Color == 0x7BBE63  # 63BE7B, Excel's RGB is red in the low byte
    # order matters: earlier rules of the range go before the scale is added
    names = [c[0] for c in conditions.mock_calls if c[0] in ("Delete", "AddColorScale")]
    assert names == ["Delete", "AddColorScale"]


def test_each_criterion_gets_its_type_and_colour(book):
    fake = book.fakes["Sales"]
    criteria = [mock.MagicMock(name=f"criterion{i}") for i in range(1, 4)]
    conditions = fake.range("F5:G7").api.FormatConditions
    conditions.AddColorScale.return_value.ColorScaleCriteria.side_effect = lambda i: criteria[i - 1]
    writer.write_colour_scale(fake.sheet, "F5:G7")
    assert [c.Type for c in criteria] == [1, 5, 2]  # lowest value, percentile, highest value
    assert criteria[1].Value == 50
    assert [c.FormatColor.Color for c in criteria] == [0x6B69F8, 0x84EBFF, 0x7BBE63]


def test_a_second_write_replaces_the_scale_instead_of_adding_one(book):
    fake = book.fakes["Sales"]
    writer.write_sheet(fake.sheet, cohort_sheet())
    writer.write_sheet(fake.sheet, cohort_sheet())
    conditions = fake.ranges["F5:G7"].api.FormatConditions
    names = [c[0] for c in conditions.mock_calls if c[0] in ("Delete", "AddColorScale")]
    assert names == ["Delete", "AddColorScale", "Delete", "AddColorScale"]


def test_a_block_without_values_gets_no_scale():
    empty = dataclasses.replace(cohort_sheet().blocks[0], values=pd.DataFrame({i: [] for i in range(5)}))
    assert empty.colour_scale_range is None
