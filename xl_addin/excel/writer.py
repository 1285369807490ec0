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
  turning an autofilter on) go through ``.api`` in ``_native_view`` and nowhere else.

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

if TYPE_CHECKING:  # the Report classes are only read here, never built
    from ..report.layout import Block, ParetoChart, Report, Sheet


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
    if block.tier_column is not None:
        tiers = block.values.iloc[:, block.tier_column].tolist()
        for first, count, tier in tier_runs(tiers):
            colour = TIER_COLOURS.get(tier)
            if colour is not None:
                target = sheet.range((block.first_row + first, column + block.tier_column))
                target.resize(count, 1).color = colour


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


def write_pareto_chart(sheet: xw.Sheet, chart: ParetoChart) -> xw.Chart:
    """The combo chart: measure as columns (primary axis), cumulative share and the reference
    line as lines on a secondary 0..100% axis, categories = customer names."""
    book = sheet.book

    def target(reference: str) -> xw.Range:
        name, address = split_reference(reference)
        return book.sheets[name].range(address)

    first_col, first_row, last_col, last_row = chart.anchor
    top_left = sheet.range((first_row + 1, first_col + 1))
    bottom_right = sheet.range((last_row + 1, last_col + 1))
    left, top = top_left.left, top_left.top
    width = max(bottom_right.left - left, 360.0)
    height = max(bottom_right.top - top, 220.0)
    # one multi-area source: the three value columns, in series order
    data_sheet = split_reference(chart.values)[0]
    source = book.sheets[data_sheet].range(
        ",".join(split_reference(r)[1] for r in (chart.values, chart.cumulative, chart.reference))
    )
    combo = sheet.charts.add(
        left=left, top=top, width=width, height=height, chart_type="column_clustered",
        source=source, plot_by="columns", name="Pareto",
    )
    combo.set_x_axis_values(target(chart.categories))
    combo.title = chart.title
    bars, cumulative_line, reference_line = combo.series[0], combo.series[1], combo.series[2]
    bars.name = chart.value_name
    cumulative_line.set(name=chart.cumulative_name, chart_type="line_markers", axis_group="secondary")
    reference_line.set(name=chart.reference_name, chart_type="line", axis_group="secondary")
    combo.category_axis.title = chart.category_axis_title
    combo.value_axis.set(title=chart.value_axis_title, number_format=FORMAT_CODES[chart.value_format])
    combo.secondary_value_axis.set(
        title=chart.share_axis_title, minimum_scale=0, maximum_scale=1, number_format="0%"
    )
    return combo


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


def _native_view(sheet: xw.Sheet, freeze: tuple[int, int] | None, autofilter: str | None) -> None:
    """Freeze panes and autofilter through Excel's object model (``.api``): open-source xlwings
    has no desktop implementation of ``freeze_panes`` and no call that turns a filter on
    without criteria. The only ``.api`` use in the writer."""
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
