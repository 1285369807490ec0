"""Charts as data: the Pareto chart, the ABC curve and the Dashboard, on hand-computed cases
and on real TierResults (tests/report/factory.py)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from tests.report.factory import make_result
from xl_addin.report import labels
from xl_addin.report.charts import Chart, Series, cache
from xl_addin.report.layout import Formula, build_report, pareto_table

# measure 50, 30, 15, 5, -2: shares of the positive total 100; a_cut 0.8 -> A, A, B, C (D)
HAND = pd.DataFrame({
    "rank": [1, 2, 3, 4, 5], "customer_id": ["a", "b", "c", "d", "e"],
    "customer_name": ["A co", None, "C co", "D co", "E co"],
    "measure": [50.0, 30.0, 15.0, 5.0, -2.0], "share": [0.5, 0.3, 0.15, 0.05, np.nan],
    "cum_share": [0.5, 0.8, 0.95, 1.0, np.nan], "abc_tier": ["A", "A", "B", "C", "D"]})


def test_pareto_table_is_the_top_customers_with_no_others_row():
    table = pareto_table(HAND, a_cut=0.8, top=2)
    assert list(table["customer_name"]) == ["A co", "b"]  # blank name: the id
    assert list(table["cum_share"]) == [0.5, 0.8]  # over every customer, not over the two shown
    assert list(table["reference"]) == [0.8, 0.8]
    assert len(pareto_table(HAND, 0.8, top=30)) == 5


def test_pareto_chart_series_caches_colours_and_title():
    result = make_result(60)
    sheet = build_report(result, "en").sheet("pareto")
    chart = sheet.charts[0]
    assert chart.kind == "combo" and len(chart.series) == 3
    bars, line, reference = chart.series
    assert len(bars.value_cache) == result.settings.pareto_top == 30
    # the line is the core's cumulative share at each customer shown
    assert list(line.value_cache) == pytest.approx(list(result.pareto["cum_share"].iloc[:30]))
    assert set(reference.value_cache) == {0.8} and reference.dash == "dash"
    assert bars.point_colours == tuple(labels.TIER_CHART_COLOURS[t]
                                       for t in result.pareto["abc_tier"].iloc[:30])
    assert line.secondary and reference.secondary and not bars.secondary
    assert chart.y_axis.number_format == "#,##0" and chart.y2_axis.number_format == "0%"
    positive = result.pareto["cum_share"].dropna()
    reach = int((positive < 0.8 - 1e-9).sum()) + 1
    total = len(result.pareto)
    assert chart.title == (f"Top 30 of {total} customers · {reach} customers "
                           f"({reach / total:.0%}) make 80% of profit")
    assert bars.categories == "'Pareto'!$C$24:$C$53" and bars.values == "'Pareto'!$D$24:$D$53"
    assert chart.anchor[:2] == (0, 0)  # top left: visible when the sheet opens


def test_pareto_top_is_a_setting_and_the_title_says_all_when_everyone_fits():
    result = make_result(12)
    result = dataclasses.replace(result, settings=dataclasses.replace(result.settings, pareto_top=50))
    chart = build_report(result, "zh").sheet("pareto").charts[0]
    assert len(chart.series[0].value_cache) == len(result.pareto)
    assert chart.title.startswith(f"全部 {len(result.pareto)} 个客户")


def test_abc_curve_bands_start_where_the_previous_ends():
    result = make_result(400)
    chart = build_report(result, "en").sheet("pareto").charts[1]
    assert chart.kind == "scatter"
    a, b, c, marks = chart.series
    assert a.category_cache[0] == 0.0 and a.value_cache[0] == 0.0
    assert b.category_cache[0] == a.category_cache[-1] and c.value_cache[-1] == pytest.approx(1.0)
    assert [s.colour for s in (a, b, c)] == [labels.TIER_CHART_COLOURS[t] for t in "ABC"]
    n_positive = int(result.pareto["cum_share"].notna().sum())
    last_a = int((result.pareto["abc_tier"] == "A").sum())
    assert a.category_cache[-1] == pytest.approx(last_a / n_positive)
    assert a.value_cache[-1] == result.pareto["cum_share"].iloc[last_a - 1]
    assert not marks.line and sum(v is not None for v in marks.value_cache) == 2
    assert chart.x_axis.number_format == chart.y_axis.number_format == "0%"


def test_dashboard_comes_first_with_formulas_reading_the_generated_tables():
    result = make_result(40)
    report = build_report(result, "en")
    dashboard = report.sheets[0]
    assert dashboard.key == "dashboard" and dashboard.name == "Dashboard"
    figures = dashboard.blocks[0].values.iloc[0].tolist()
    assert all(isinstance(f, Formula) for f in figures)
    rows = len(result.customers) + 1
    assert figures[0] == Formula(f"=COUNTA('Tiers'!$A$2:$A${rows})", float(len(result.customers)))
    assert figures[1].text == f"=SUM('Tiers'!$G$2:$G${rows})"
    assert figures[1].cached == pytest.approx(result.customers["revenue"].sum())
    assert figures[2].text == f"=SUM('Tiers'!$I$2:$I${rows})"
    # each figure fits its column (a 50,000-customer revenue once showed as ###)
    for i, figure in enumerate(figures[:3]):
        assert dashboard.column_widths[i] > len(f"{figure.cached:,.0f}") + 1
    a_share = result.tier_summary.set_index("tier").loc["A", "profit_share"]
    assert figures[3] == Formula("='Summary'!$G$3", pytest.approx(a_share))
    overall = result.coverage[result.coverage["tier"] == "All"]
    over = (overall["held"] - overall["limit"]).clip(lower=0).sum()  # limit 1000: nobody over
    assert figures[4].cached == over == 0
    holdings = dashboard.blocks[-1]  # salesperson, held, limit: one row per salesperson
    assert holdings.header == ("Salesperson", "Held", "Limit") and len(holdings.values) == 3
    r1, r2 = holdings.first_row, holdings.last_row
    held, limit = f"'Dashboard'!$B${r1}:$B${r2}", f"'Dashboard'!$C${r1}:$C${r2}"
    assert figures[4].text == f'=SUMPRODUCT(({held}>{limit})*({limit}<>"")*({held}-{limit}))'
    assert figures[5].cached == len(result.data_quality) == 2
    assert [c.name for c in dashboard.charts] == ["ABC tiers", "RFM segments", "Lifecycle",
                                                  "Holdings"]
    segments = dashboard.charts[1].series[0].value_cache
    assert list(segments) == sorted(segments, reverse=True) and dashboard.charts[1].horizontal


def test_dashboard_holdings_highlight_who_is_over():
    result = make_result(40)
    result = dataclasses.replace(result, settings=result.settings)
    chart = build_report(result, "zh").sheet("dashboard").charts[3]
    held, limit = chart.series
    over = [h > lim for h, lim in zip(held.value_cache, limit.value_cache)]
    assert held.point_colours == tuple(labels.OVER_COLOUR if o else None for o in over)
    assert chart.title.startswith("各销售保有客户数")


def test_chart_and_series_check_themselves():
    with pytest.raises(ValueError, match="kind"):
        Series("s", "'P'!$A$1:$A$2", (1.0, 2.0), kind="pie")
    with pytest.raises(ValueError, match="2 values"):
        Series("s", "'P'!$A$1:$A$2", (1.0, 2.0), "'P'!$B$1:$B$1", ("x",))
    with pytest.raises(ValueError, match="y2_axis"):
        Chart("combo", "t", (Series("s", "'P'!$A$1", (1.0,)),))
    assert cache([1, "x", None, float("nan"), pd.NA]) == (1.0, "x", None, None, None)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_retention_chart_draws_one_line_per_tier_from_the_retention_table(language):
    result = make_result()
    sheet = build_report(result, language).sheet("retention")
    (chart,) = sheet.charts
    table = sheet.blocks[0]
    assert table.table == "CT_Retention" and table.header_row == 23  # below the chart (rows 1-20)
    assert chart.kind == "line" and chart.rows == (1, 21)
    assert sheet.print_setup.row_breaks == (20,)
    # hand-picked from the factory: tier A retained 1 of 2 buyers of 2024Q3
    expected_tiers = [t for t in ("A", "B", "C", "D", "All") if t in set(result.retention["tier"])]
    assert [s.name for s in chart.series] == [
        labels.translate_value("tier", t, language) for t in expected_tiers]
    a = chart.series[0]
    name = sheet.name
    assert a.values == f"'{name}'!$C$24:$C$29" and a.categories == f"'{name}'!$A$24:$A$29"
    assert a.category_cache == ("2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1")
    assert a.value_cache == (None, None, None, 0.5, 0.0, 1.0)
    assert a.colour == labels.TIER_CHART_COLOURS["A"]
    assert chart.y_axis.number_format == "0%" and (chart.y_axis.minimum, chart.y_axis.maximum) == (0, 1)
    for series in chart.series:  # every cache equals its cells in the table
        column = table.header.index(series.name)
        assert series.value_cache == cache(table.values.iloc[:, column])
