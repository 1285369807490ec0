"""The live-Excel writer: turns a Report (``xl_addin.report.layout``) into sheets of an open book.

Same sheets, headers, number formats, freeze panes, autofilter, tier colours and Pareto combo
chart as the package writer, from the same Report. Rules:

* One 2-D write per block (title, header row, values), never cell by cell. Number formats and
  tier colours are set per column / per run of equal tiers, never per cell.
* Data text stays text. Text columns get the Text number format ("@") BEFORE the values are
  written, so Excel stores "=1+1", "+86 ...", "-", "@home" literally. A string that lands in a
  non-text column and starts with = + - @ is written with a leading apostrophe (Excel's own
  "this is text" prefix, not part of the value).
* Only xlwings' open-source API; the two things it lacks on Windows desktop (freeze panes and
  turning an autofilter on) go through ``.api`` in ``_native_view``; page setup and chart
  series (per-point colours, secondary axes, scatters) go through it in ``_print_setup`` and
  ``write_chart``.
* Formula cells (``layout.Formula``, built from the report's own layout) get their current
  value in the block's one write, then ``.formula``.

The caller computes the Report first; this module only writes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np
import pandas as pd
import xlwings as xw

from ..report import labels
from ..report.layout import Formula

if TYPE_CHECKING:  # the Report classes are only read here, never built
    from ..report.charts import Axis, Chart, Series
    from ..report.layout import Block, Report, Sheet


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """(r, g, b) of an "RRGGBB" colour, as xlwings' ``Range.color`` takes it."""
    return int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16)


# The package writer's codes and colours (report.labels), so both ways in look the same.
FORMAT_CODES: dict[str, str] = labels.FORMAT_CODES
TIER_COLOURS: dict[str, tuple[int, int, int]] = {t: rgb(c) for t, c in labels.TIER_COLOURS.items()}
HEADER_COLOUR = rgb(labels.HEADER_COLOUR)
FORMULA_STARTS = ("=", "+", "-", "@")

Progress = Callable[[str], None]


def write_report(book: xw.Book, report: Report, progress: Progress | None = None) -> None:
    """Write every sheet of ``report`` into ``book``, as the package writer does: a sheet with
    the output-language name is cleared (contents, formats, charts) and rewritten; failing
    that, a sheet with the other language's name is renamed and rewritten in place (a 中文
    refresh turns "Tiers" into "客户分级", keeping its tab position); else the sheet is added at
    the end. Sheets are never deleted. Sheets marked ``only_if_missing`` (Settings) are left
    alone when either name exists."""
    for index, spec in enumerate(report.sheets, start=1):
        if progress:
            progress(f"{spec.name} ({index}/{len(report.sheets)})")
        existing = None
        for name in (spec.name, *_alternate_names(spec)):
            existing = _find_sheet(book, name)
            if existing is not None:
                break
        if existing is not None and spec.only_if_missing:
            continue
        if existing is not None and existing.name != spec.name:
            existing.name = spec.name
        write_sheet(_fresh_sheet(book, spec.name, existing), spec)


def _alternate_names(spec: Sheet) -> tuple[str, ...]:
    """The other language's name of a generated sheet (none for other sheets)."""
    names = labels.SHEET_NAMES.get(spec.key, ())
    return tuple(n for n in names if n != spec.name)


def write_sheet(sheet: xw.Sheet, spec: Sheet) -> None:
    """Blocks, column widths, freeze panes, autofilter and chart of one Report sheet."""
    for block in spec.blocks:
        write_block(sheet, block)
    for column, width in enumerate(spec.column_widths, start=1):
        sheet.range((1, column)).column_width = width
    for chart in spec.charts:
        write_chart(sheet, chart)
    _native_view(sheet, spec.freeze, spec.autofilter)
    _print_setup(sheet, spec.print_setup)


def write_block(sheet: xw.Sheet, block: Block) -> None:
    """Title, header row and values of one block; formats before values."""
    row, column = block.origin
    width = len(block.header)
    if block.title is not None:
        title = sheet.range((row, column))
        title.value = block.title
        title.font.bold = True
    header = sheet.range((block.header_row, column)).resize(1, width)
    header.value = [list(block.header)]
    header.font.bold = True
    header.color = HEADER_COLOUR
    height = len(block.values)
    if height == 0:
        return
    for offset, fmt in enumerate(block.formats):
        target = sheet.range((block.first_row, column + offset)).resize(height, 1)
        target.number_format = FORMAT_CODES[fmt]
    body = sheet.range((block.first_row, column)).resize(height, width)
    body.value = block_rows(block)
    for (r, c), formula in block_formulas(block):
        sheet.range((r, c)).formula = formula.text
    if block.tier_column is not None:
        tiers = block.values.iloc[:, block.tier_column].tolist()
        for first, count, tier in tier_runs(tiers):
            colour = TIER_COLOURS.get(tier)
            if colour is not None:
                target = sheet.range((block.first_row + first, column + block.tier_column))
                target.resize(count, 1).color = colour


def block_formulas(block: Block) -> list[tuple[tuple[int, int], Formula]]:
    """((row, column), Formula) of every formula cell of ``block`` (1-based sheet cells)."""
    found = []
    for i, record in enumerate(block.values.itertuples(index=False, name=None)):
        for j, value in enumerate(record):
            if isinstance(value, Formula):
                found.append(((block.first_row + i, block.first_column + j), value))
    return found


def block_rows(block: Block) -> list[list[Any]]:
    """The block's values as a 2-D list for one write: empty cells as None, Timestamps as
    datetimes, numpy numbers as Python numbers; text in non-text columns made literal."""
    text_columns = [fmt == "text" for fmt in block.formats]
    return [
        [excel_value(value, is_text) for value, is_text in zip(record, text_columns)]
        for record in block.values.itertuples(index=False, name=None)
    ]


def excel_value(value: Any, in_text_column: bool) -> Any:
    """One value as it is written. Text columns are formatted "@" first, so their strings
    need no prefix; elsewhere a string starting with = + - @ gets Excel's apostrophe prefix."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, Formula):  # its value now; the formula itself is set after the write
        return value.cached
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not in_text_column and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, (dt.date, int, float, str, bool)):
        return value
    return str(value)


def tier_runs(tiers: Iterable[Any]) -> list[tuple[int, int, Any]]:
    """(first offset, length, tier) of each run of equal consecutive values: the tiers
    sheet is sorted by measure, so A, B, C and D are one run each."""
    runs: list[tuple[int, int, Any]] = []
    for offset, tier in enumerate(tiers):
        if runs and runs[-1][2] == tier:
            first, count, _ = runs[-1]
            runs[-1] = (first, count + 1, tier)
        else:
            runs.append((offset, 1, tier))
    return runs


_REFERENCE = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(.+)$")


def split_reference(reference: str) -> tuple[str, str]:
    """('Pareto', '$C$2:$C$52') from "'Pareto'!$C$2:$C$52"."""
    match = _REFERENCE.match(reference)
    if not match:
        raise ValueError(f"not a sheet reference: {reference!r}")
    quoted, plain, address = match.groups()
    return (quoted.replace("''", "'") if quoted is not None else plain), address


# Excel's object-model constants (XlChartType, XlAxisType, XlAxisGroup, MsoLineDashStyle).
XL_CHART_TYPES = {("bar", False): 51, ("bar", True): 57, ("line", False): 4,
                  ("line", True): 65, ("scatter", False): 74, ("scatter", True): -4169}
XL_CATEGORY, XL_VALUE, XL_PRIMARY, XL_SECONDARY, XL_MAXIMUM = 1, 2, 1, 2, 2
XL_LANDSCAPE, XL_PORTRAIT = 2, 1
MSO_DASHES = {"dash": 4, "sysDash": 10, "sysDot": 3}
POINTS_PER_PIXEL = 0.75


def colour_number(hex_colour: str) -> int:
    """Excel's RGB number (red in the low byte) of an "RRGGBB" colour."""
    r, g, b = rgb(hex_colour)
    return r + 256 * g + 65536 * b


def _xl_chart_type(series: Series, horizontal: bool = False) -> int:
    """XlChartType of a series: clustered columns (bars when ``horizontal``), lines with or
    without markers, scatter with lines or markers only."""
    if series.kind == "bar":
        return XL_CHART_TYPES[("bar", horizontal)]
    if series.kind == "scatter":
        return XL_CHART_TYPES[("scatter", not series.line)]
    return XL_CHART_TYPES[(series.kind, series.markers and series.kind == "line")]


def write_chart(sheet: xw.Sheet, chart: Chart) -> xw.Chart:
    """One chart of the Report at its anchor: xlwings places it; series, colours and axes go
    through the COM chart (``.api``), which xlwings' open-source API does not reach (per-point
    colours, secondary axes, scatter series)."""
    first_col, first_row, last_col, last_row = chart.anchor
    top_left = sheet.range((first_row + 1, first_col + 1))
    bottom_right = sheet.range((last_row + 1, last_col + 1))
    left, top = top_left.left, top_left.top
    width = max(bottom_right.left - left, 360.0)
    height = max(bottom_right.top - top, 220.0)
    drawn = sheet.charts.add(left=left, top=top, width=width, height=height, name=chart.name)
    native = drawn.api[1] if isinstance(drawn.api, tuple) else drawn.api
    collection = native.SeriesCollection()
    for series in chart.series:
        added = collection.NewSeries()
        added.ChartType = _xl_chart_type(series, chart.horizontal)
        if series.secondary:
            added.AxisGroup = XL_SECONDARY
        added.Name = series.name
        added.Values = "=" + series.values
        if series.categories:
            added.XValues = "=" + series.categories
        _style_series(added, series)
    native.HasTitle = True
    native.ChartTitle.Text = chart.title
    native.HasLegend = chart.legend
    _style_axis(native.Axes(XL_CATEGORY, XL_PRIMARY), chart.x_axis,
                reverse=chart.horizontal)
    _style_axis(native.Axes(XL_VALUE, XL_PRIMARY), chart.y_axis)
    if chart.y2_axis is not None and any(s.secondary for s in chart.series):
        _style_axis(native.Axes(XL_VALUE, XL_SECONDARY), chart.y2_axis)
    if chart.horizontal:  # first category on top, the value axis still at the bottom
        native.Axes(XL_CATEGORY, XL_PRIMARY).Crosses = XL_MAXIMUM
    return drawn


def _style_series(added: Any, series: Series) -> None:
    if series.kind == "bar":
        if series.colour:
            added.Format.Fill.ForeColor.RGB = colour_number(series.colour)
        for index, colour in enumerate(series.point_colours, start=1):
            if colour and colour != series.colour:
                added.Points(index).Format.Fill.ForeColor.RGB = colour_number(colour)
        return
    line = added.Format.Line
    if series.line:
        if series.colour:
            line.ForeColor.RGB = colour_number(series.colour)
        line.Weight = series.line_width
        if series.dash:
            line.DashStyle = MSO_DASHES.get(series.dash, 4)
    if series.markers and series.colour:
        added.MarkerBackgroundColor = colour_number(series.colour)
        added.MarkerForegroundColor = colour_number(series.colour)


def _style_axis(axis: Any, spec: Axis, reverse: bool = False) -> None:
    if spec.title:
        axis.HasTitle = True
        axis.AxisTitle.Text = spec.title
    axis.TickLabels.NumberFormat = spec.number_format
    if spec.minimum is not None:
        axis.MinimumScale = spec.minimum
    if spec.maximum is not None:
        axis.MaximumScale = spec.maximum
    axis.HasMajorGridlines = spec.gridlines
    if reverse:
        axis.ReversePlotOrder = True


def _find_sheet(book: xw.Book, name: str) -> xw.Sheet | None:
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():  # Excel sheet names ignore case
            return sheet
    return None


def _fresh_sheet(book: xw.Book, name: str, existing: xw.Sheet | None) -> xw.Sheet:
    if existing is None:
        sheets = book.sheets
        return sheets.add(name=name, after=sheets[len(sheets) - 1])
    for chart in list(existing.charts):
        chart.delete()
    existing.clear()
    return existing


def _print_setup(sheet: xw.Sheet, setup: Any) -> None:
    """One page wide, landscape when wide, title rows and page breaks (Excel's PageSetup)."""
    page = sheet.api.PageSetup
    page.Orientation = XL_LANDSCAPE if setup.landscape else XL_PORTRAIT
    page.Zoom = False
    page.FitToPagesWide = 1
    page.FitToPagesTall = False
    if setup.title_rows:
        page.PrintTitleRows = f"${setup.title_rows[0]}:${setup.title_rows[1]}"
    for row in setup.row_breaks:
        sheet.api.HPageBreaks.Add(Before=sheet.range((row + 1, 1)).api)


def _native_view(sheet: xw.Sheet, freeze: tuple[int, int] | None, autofilter: str | None) -> None:
    """Freeze panes and autofilter through Excel's object model (``.api``): open-source xlwings
    has no desktop implementation of ``freeze_panes`` and no call that turns a filter on
    without criteria."""
    if autofilter:
        native = sheet.api
        if native.AutoFilterMode:
            native.AutoFilterMode = False
        sheet.range(autofilter).api.AutoFilter()
    if freeze and any(freeze):
        sheet.activate()
        window = sheet.book.app.api.ActiveWindow
        window.FreezePanes = False
        window.SplitRow, window.SplitColumn = freeze
        window.FreezePanes = True
