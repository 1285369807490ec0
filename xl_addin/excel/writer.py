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
from ..report.charts import is_ours, object_name
from ..report.layout import TABLE_NAMES, Formula, column_letter, renamed
from ..workbook.ownership import (MARK_NAME, SheetPlan, find_sheet_name, key_of_mark, mark_value,
                                  plan_sheets)

if TYPE_CHECKING:  # the Report classes are only read here, never built
    from ..report.charts import Axis, Chart, Series
    from ..report.layout import Block, Report, Sheet


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """(r, g, b) of an "RRGGBB" colour, as xlwings' ``Range.color`` takes it."""
    return int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16)


# The package writer's codes and colours (report.labels), so both ways in look the same.
FORMAT_CODES: dict[str, str] = labels.FORMAT_CODES
MAX_CELL_TEXT = 32_767  # Excel's limit of characters in one cell
TIER_COLOURS: dict[str, tuple[int, int, int]] = {t: rgb(c) for t, c in labels.TIER_COLOURS.items()}
HEADER_COLOUR = rgb(labels.HEADER_COLOUR)
FORMULA_STARTS = ("=", "+", "-", "@")

Progress = Callable[[str], None]


def write_report(book: xw.Book, report: Report, plan: SheetPlan | None = None,
                 progress: Progress | None = None) -> None:
    """Write every sheet of ``report`` into ``book`` where ``plan`` places it (default: the
    plan from the marks in ``book``), as the package writer does: our sheet of that key is
    cleared (contents, formats, our chart) and rewritten, renamed to the output-language name
    (a 中文 refresh turns "Tiers" into "客户分级" in place); else the sheet is added at the
    end, under the next free name when a user's sheet holds ours. Every sheet written gets our
    mark; Settings, once it exists, is only marked. Sheets are never deleted."""
    if plan is None:
        plan = plan_sheets([(s.key, s.name, s.only_if_missing) for s in report.sheets],
                           [s.name for s in book.sheets], owned_sheets(book))
    # references to a sheet written under another name ("Tiers (2)") follow it
    specs = renamed(report.sheets, {s.name: p.name for s in report.sheets
                                    if (p := plan.placement(s.key)) is not None})
    for index, spec in enumerate(specs, start=1):
        placement = plan.placement(spec.key)
        if placement is None:
            continue
        if progress:
            progress(f"{placement.name} ({index}/{len(report.sheets)})")
        existing = _find_sheet(book, placement.existing) if placement.existing else None
        if not placement.write:
            if existing is not None:
                mark_sheet(existing, spec.key)
            continue
        if existing is not None and existing.name != placement.name:
            existing.name = placement.name
        sheet = _fresh_sheet(book, placement.name, existing)
        write_sheet(sheet, spec)
        mark_sheet(sheet, spec.key)


def owned_sheets(book: xw.Book) -> dict[str, str]:
    """Sheet name -> report key of every sheet of ``book`` carrying our mark (the hidden
    sheet-scoped name CT_Generated = "key")."""
    owned = {}
    for sheet in book.sheets:
        for name in sheet.names:
            if name.name.rsplit("!", 1)[-1] == MARK_NAME:
                key = key_of_mark(name.refers_to)
                if key is not None:
                    owned[sheet.name] = key
    return owned


def mark_sheet(sheet: xw.Sheet, key: str) -> None:
    """Our mark on ``sheet``: a hidden sheet-scoped name CT_Generated = "key" (Excel's
    Name.Visible through ``.api``: xlwings cannot hide a name)."""
    for name in sheet.names:
        if name.name.rsplit("!", 1)[-1] == MARK_NAME:
            if key_of_mark(name.refers_to) == key:
                return
            name.delete()
    added = sheet.names.add(MARK_NAME, "=" + mark_value(key))
    added.api.Visible = False


def write_sheet(sheet: xw.Sheet, spec: Sheet) -> None:
    """Blocks, column widths, freeze panes, autofilter and chart of one Report sheet."""
    for block in spec.blocks:
        write_block(sheet, block)
        if block.table is not None:
            write_table(sheet, block)
    for column, width in enumerate(spec.column_widths, start=1):
        sheet.range((1, column)).column_width = width
    for block in spec.blocks:
        if block.colour_scale_range is not None:
            write_colour_scale(sheet, block.colour_scale_range)
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


def write_table(sheet: xw.Sheet, block: Block) -> xw.main.Table:
    """The block's Excel Table (ListObject): the existing one of that name resized to the new
    rows (so its name, and every pivot and formula on it, stay), else a new one."""
    ref = (sheet.range((block.header_row, block.first_column))
           .resize(block.table_last_row - block.header_row + 1, len(block.header)))
    for table in sheet.tables:
        if table.name.casefold() == block.table.casefold():
            table.resize(ref)
            return table
    return sheet.tables.add(source=ref, name=block.table, table_style_name="TableStyleLight1")


def write_colour_scale(sheet: xw.Sheet, address: str) -> None:
    """The 3-colour scale of labels.COLOUR_SCALE (lowest, 50th percentile, highest) on
    ``address`` of our sheet, through Excel's FormatConditions (``.api``): the range's earlier
    rules are deleted first, so a refresh replaces the scale instead of adding another."""
    conditions = sheet.range(address).api.FormatConditions
    conditions.Delete()
    scale = conditions.AddColorScale(ColorScaleType=3)
    kinds = ((XL_LOWEST_VALUE, None), (XL_PERCENTILE, 50), (XL_HIGHEST_VALUE, None))
    for index, ((kind, value), colour) in enumerate(zip(kinds, labels.COLOUR_SCALE), start=1):
        criterion = scale.ColorScaleCriteria(index)
        criterion.Type = kind
        if value is not None:
            criterion.Value = value
        criterion.FormatColor.Color = colour_number(colour)


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
    if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT]  # Excel's cell limit (the core cut the data's text, with a note)
    if isinstance(value, str) and not in_text_column and value.startswith(FORMULA_STARTS):
        return "'" + value[: MAX_CELL_TEXT - 1]
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
# XlConditionValueTypes of a colour scale's criteria
XL_LOWEST_VALUE, XL_HIGHEST_VALUE, XL_PERCENTILE = 1, 2, 5
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
    drawn = sheet.charts.add(left=left, top=top, width=width, height=height, name=object_name(chart))
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
    found = find_sheet_name([sheet.name for sheet in book.sheets], name)  # Excel: ignoring case
    return None if found is None else next(s for s in book.sheets if s.name == found)


def _fresh_sheet(book: xw.Book, name: str, existing: xw.Sheet | None) -> xw.Sheet:
    if existing is None:
        sheets = book.sheets
        return sheets.add(name=name, after=sheets[len(sheets) - 1])
    for chart in list(existing.charts):
        if is_ours(chart.name):  # ours ("CT ..."); the user's charts stay
            chart.delete()
    existing.clear()  # contents and formats; tables (ListObjects) stay and are resized
    return existing


def user_objects(sheet: xw.Sheet, spec: Sheet) -> list[str]:
    """What the user added to our ``sheet`` that writing ``spec`` over it would lose: tables
    other than ours, cells right of the columns ``spec`` uses. (The user's charts, pictures
    and shapes float above the cells and are kept; only our charts are redrawn.)"""
    found = []
    ours = {name.casefold() for name in TABLE_NAMES.values()}
    last_column = max((b.last_column for b in spec.blocks), default=1)
    for table in sheet.tables:
        if table.name.casefold() not in ours:
            found.append(f"table '{table.name}'")
        else:  # what we wrote last time is ours, even where this report is narrower
            last_column = max(last_column, table.range.last_cell.column)
    used = sheet.used_range
    if used.last_cell.column > last_column:
        found.append(f"cells right of column {column_letter(last_column)}")
    return found


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
