"""What the generated sheets look like, as data: ``build_report(result, language) -> Report``.

A Report is writer-agnostic: the package writer (``xl_addin.workbook.xlsx``) and the live-Excel
writer both turn the same Report into sheets. Conventions:

* Cells are 1-based (row, column), as Excel shows them. A block's ``origin`` is its top-left
  cell: the title when it has one, else the header row. Values follow the header row.
* ``values`` holds the cells in display order (categorical keys already translated); None,
  NaN, pd.NA, NaT and empty text are empty cells; text is always text (never a formula); dates are pandas Timestamps.
* Each column has one number format from ``labels.NUMBER_FORMATS``.
* Sheet ranges in chart specs are absolute, quoted references: ``'Pareto'!$C$2:$C$52``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..core.abc import abc_curve, customers_to_reach, in_rank_order
from ..core.changes import CHANGE_COLUMNS
from ..core.columns import DATA_QUALITY_COLUMNS
from ..core.summary import BLANK
from ..settings import ALL_TIERS
from . import labels
from .charts import Axis, Chart, Series, cache
from .labels import (
    NOTE_FRAME_HEADERS,
    column_format,
    column_header,
    note_text,
    phrase,
    sheet_name,
    translate_value,
)
from .settings_sheet import settings_rows

# Excel Table of each generated block: stable names a user's pivots, charts and formulas
# (=SUM(CT_Tiers[Profit])) can rely on. A refresh replaces the rows and resizes the table,
# keeping its name and id. Documented in the README.
TABLE_NAMES: dict[str, str] = {
    "dashboard_tiers": "CT_DashboardTiers",
    "dashboard_segments": "CT_DashboardSegments",
    "dashboard_lifecycle": "CT_DashboardLifecycle",
    "dashboard_holdings": "CT_DashboardHoldings",
    "tiers": "CT_Tiers",
    "pareto": "CT_Pareto",
    "abc_curve": "CT_ABCCurve",
    "tier_summary": "CT_Summary_Tiers",
    "rfm_segments": "CT_Summary_RFMSegments",
    "rfm_classes": "CT_Summary_RFMClasses",
    "lifecycle_counts": "CT_Summary_Lifecycle",
    "pivot_industry": "CT_Summary_Industry",
    "pivot_region": "CT_Summary_Region",
    "pivot_size": "CT_Summary_Size",
    "coverage": "CT_Coverage",
    "releases": "CT_Releases",
    "data_quality": "CT_DataQuality",
    "notes": "CT_Notes",
    "tier_changes": "CT_TierChanges",
    "tier_change_matrix": "CT_TierChangeMatrix",
    "clv_parameters": "CT_CLVModel",
    "model_notes": "CT_CLVModelNotes",
    "clv_about": "CT_CLVModelAbout",
    "retention_by_period": "CT_Retention",
    "churn_by_period": "CT_Churn",
    "yearly_retention": "CT_YearlyRetention",
    "cohort_share": "CT_CohortShare",
    "cohort_revenue": "CT_CohortRevenue",
}
TIER_KEYS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Block:
    """A 2-D table on a sheet: optional title row, one header row, then the values."""

    header: tuple[str | None, ...]
    values: pd.DataFrame  # one column per header cell, display order
    formats: tuple[str, ...]  # one of labels.NUMBER_FORMATS per column
    origin: tuple[int, int] = (1, 1)  # 1-based (row, column) of the title (or the header)
    title: str | None = None
    tier_column: int | None = None  # 0-based column whose A/B/C/D cells get the tier colour
    table: str | None = None  # Excel Table name (TABLE_NAMES); None = a plain range
    # 0-based (first, last) columns whose value cells get the 3-colour scale of
    # labels.COLOUR_SCALE (a conditional format: low red, middle yellow, high green)
    colour_scale: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if len(self.header) != self.values.shape[1] or len(self.formats) != len(self.header):
            raise ValueError(
                f"block {self.title or self.header[:1]}: {len(self.header)} headers, "
                f"{self.values.shape[1]} value columns, {len(self.formats)} formats"
            )
        bad = set(self.formats) - set(labels.NUMBER_FORMATS)
        if bad:
            raise ValueError(f"unknown number formats {sorted(bad)}")
        if self.table is not None:
            names = [h.casefold() if isinstance(h, str) else h for h in self.header]
            if not all(isinstance(h, str) and h.strip() for h in self.header) or (
                    len(set(names)) != len(names)):
                raise ValueError(f"table {self.table}: headers must be unique non-empty text "
                                 f"(Excel's table column names), got {self.header}")

    @property
    def table_last_row(self) -> int:
        """Last row of the block's Excel Table: a table holds at least one (empty) data row."""
        return max(self.last_row, self.header_row + 1)

    @property
    def header_row(self) -> int:
        return self.origin[0] + (1 if self.title is not None else 0)

    @property
    def first_row(self) -> int:
        """Row of the first value."""
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        """Last row the block uses (the header row when there are no values)."""
        return self.header_row + len(self.values)

    @property
    def first_column(self) -> int:
        return self.origin[1]

    @property
    def last_column(self) -> int:
        return self.origin[1] + len(self.header) - 1

    @property
    def colour_scale_range(self) -> str | None:
        """A1 range ("D24:H35") of the cells with the colour scale; None without one or
        without values."""
        if self.colour_scale is None or not len(self.values):
            return None
        first, last = (self.first_column + c for c in self.colour_scale)
        return f"{column_letter(first)}{self.first_row}:{column_letter(last)}{self.last_row}"


@dataclass(frozen=True)
class Formula:
    """A formula cell built from the report's own layout (never from data), with the value it
    has now, written as its cached result so the figure shows before any recalculation."""

    text: str  # "=SUM('Tiers'!$I$2:$I$413)"
    cached: float | str | None = None

    def __post_init__(self) -> None:
        if not self.text.startswith("="):
            raise ValueError(f"a formula starts with '=', got {self.text!r}")


@dataclass(frozen=True)
class PrintSetup:
    """How a sheet prints: always fit to one page wide (as many pages tall as needed).
    ``title_rows``: 1-based (first, last) rows repeated at the top of every page;
    ``row_breaks``: page breaks after these 1-based rows (a chart gets its own page)."""

    landscape: bool = False
    title_rows: tuple[int, int] | None = None
    row_breaks: tuple[int, ...] = ()


@dataclass(frozen=True)
class Sheet:
    """One generated sheet."""

    key: str  # "tiers", "pareto", ... (labels.SHEET_NAMES)
    name: str
    blocks: tuple[Block, ...]
    freeze: tuple[int, int] | None = None  # (rows, columns) frozen at the top / left
    autofilter: str | None = None  # e.g. "A1:Z1001"
    column_widths: tuple[float, ...] = ()  # character widths from column A
    charts: tuple[Chart, ...] = ()  # top left, visible when the sheet opens
    only_if_missing: bool = False  # Settings: never overwrite a sheet the user may have edited
    print_setup: PrintSetup = PrintSetup()


@dataclass(frozen=True)
class Report:
    """Every generated sheet of one refresh, in order."""

    language: str
    sheets: tuple[Sheet, ...]
    owned_names: frozenset[str] = field(default=labels.OWNED_SHEET_NAMES)

    def sheet(self, key: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.key == key:
                return sheet
        raise KeyError(key)


# -- helpers -------------------------------------------------------------------------------

def renamed(sheets: tuple[Sheet, ...] | list[Sheet], names: dict[str, str]) -> tuple[Sheet, ...]:
    """``sheets`` with the names changed as ``names`` says (old -> new: the refresh's plan
    writes "Dashboard (2)" when a user's sheet holds "Dashboard"), every reference to a
    renamed sheet in charts and formulas following (references are always quoted:
    'Tiers'!$A$2:$A$9)."""
    moves = {_quoted(old) + "!": _quoted(new) + "!" for old, new in names.items() if old != new}
    if not moves:
        return tuple(sheets)

    def move(text: str | None) -> str | None:
        if text is None:
            return None
        for old, new in moves.items():
            text = text.replace(old, new)
        return text

    def move_value(value: Any) -> Any:
        return replace(value, text=move(value.text)) if isinstance(value, Formula) else value

    out = []
    for sheet in sheets:
        charts = tuple(replace(c, series=tuple(
            replace(s, values=move(s.values), categories=move(s.categories)) for s in c.series))
            for c in sheet.charts)
        blocks = tuple(
            replace(b, values=b.values.apply(lambda col: col.map(move_value)))
            if any(isinstance(v, Formula) for v in b.values.to_numpy(dtype=object).ravel())
            else b for b in sheet.blocks)
        out.append(replace(sheet, name=names.get(sheet.name, sheet.name), charts=charts,
                           blocks=blocks))
    return tuple(out)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"



def column_letter(index: int) -> str:
    """Excel column letters of 1-based column ``index`` (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_range(sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """Absolute quoted reference: 'Pareto'!$C$2:$C$52."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    return (f"{quoted}!${column_letter(first_col)}${first_row}"
            f":${column_letter(last_col)}${last_row}")


def display_width(text: str) -> int:
    """Width in Excel character units: East Asian wide characters count 2."""
    if text.isascii():  # no ASCII character is wide: most cells, without a lookup per character
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


FORMAT_WIDTHS = {"text": 10, "integer": 9, "number": 12, "currency": 14, "percent": 9,
                 "date": 11, "score": 7}


def _column_widths(blocks: tuple[Block, ...], sample: int = 200) -> tuple[float, ...]:
    widths: dict[int, float] = {}
    for block in blocks:
        samples = _text_samples(block, sample)
        for i, (head, fmt) in enumerate(zip(block.header, block.formats)):
            width = max(FORMAT_WIDTHS[fmt], display_width(head or "") + 2)
            values = samples.get(i, ())
            if len(values):
                width = max(width, max(display_width(str(v)) for v in values) + 1)
            if i == 0 and block.title:
                width = max(width, min(display_width(block.title), 20))
            column = block.first_column + i
            widths[column] = min(max(widths.get(column, 0), width), 50)
    last = max(widths, default=0)
    return tuple(float(widths.get(c, 9)) for c in range(1, last + 1))


def _text_samples(block: Block, sample: int) -> dict[int, list]:
    """The values (missing ones left out) in the first ``sample`` rows of each text column of
    ``block``, by column position: one array of the block's first rows, not pandas calls per
    column (60 columns of those cost 0.06 s per refresh; a frame of the text columns 0.03 s)."""
    text = [i for i, fmt in enumerate(block.formats) if fmt == "text"]
    if not text or not len(block.values):
        return {}
    cells = block.values.iloc[:sample].to_numpy(dtype=object)
    return {i: cells[~pd.isna(cells[:, i]), i].tolist() for i in text}


def _table(frame: pd.DataFrame, language: str, *, origin=(1, 1), title=None,
           formats: dict[str, str] | None = None, tier_column: str | None = None,
           headers: dict[str, str] | None = None, table: str | None = None) -> Block:
    """A block from a core table: headers and formats by core column name, keys translated."""
    frame = frame.reset_index(drop=True)
    values = pd.DataFrame(
        {i: _translated(frame[c], c, language) for i, c in enumerate(frame.columns)},
        index=frame.index,
    )
    header = tuple((headers or {}).get(c) or column_header(c, language) for c in frame.columns)
    fmts = tuple((formats or {}).get(c) or column_format(c) for c in frame.columns)
    tier = list(frame.columns).index(tier_column) if tier_column in frame.columns else None
    return Block(header=header, values=values, formats=fmts, origin=origin, title=title,
                 tier_column=tier, table=table)


def _translated(series: pd.Series, column: str, language: str) -> pd.Series:
    if column not in (labels.VALUE_LABELS_EN if language == "en" else labels.VALUE_LABELS_ZH):
        return series
    uniques = series.dropna().unique()
    mapping = {u: translate_value(column, u, language) for u in uniques}
    return series.map(mapping)


def _stack(blocks: list[Block], start_row: int = 1, column: int = 1, gap: int = 1) -> list[Block]:
    """Place blocks one under another with ``gap`` empty rows between them."""
    placed, row = [], start_row
    for block in blocks:
        moved = replace(block, origin=(row, column))
        placed.append(moved)
        row = moved.table_last_row + 1 + gap
    return placed


def _freeze_filter(block: Block) -> tuple[tuple[int, int], str]:
    ref = (f"{column_letter(block.first_column)}{block.header_row}:"
           f"{column_letter(block.last_column)}{max(block.last_row, block.header_row)}")
    return (block.header_row, 0), ref


WIDE = 100  # sheets wider than this many characters print landscape


def _sheet(key: str, language: str, blocks: list[Block], *,
           title_rows: tuple[int, int] | None = None, **options: Any) -> Sheet:
    """A sheet of ``blocks`` with column widths and a print setup: one page wide, landscape
    when wide, ``title_rows`` repeated on every page."""
    blocks_t = tuple(blocks)
    widths = _column_widths(blocks_t)
    setup = PrintSetup(landscape=sum(widths) > WIDE, title_rows=title_rows)
    return Sheet(key=key, name=sheet_name(key, language), blocks=blocks_t,
                 column_widths=widths, print_setup=setup, **options)


# -- sheets --------------------------------------------------------------------------------

def tiers_sheet(result: Any, language: str) -> Sheet:
    """One row per customer in the core's order (ABC measure descending)."""
    frame = result.customers.reindex(columns=list(labels.TIERS_COLUMNS))
    frame["single_purchase"] = _yes_or_blank(frame["single_purchase"], language)
    block = _table(frame, language, tier_column="abc_tier", table=TABLE_NAMES["tiers"],
                   headers=_model_headers(result.settings, language))
    # the table has its own filter buttons: no sheet autofilter on the same range
    return _sheet("tiers", language, [block], freeze=(1, 2), title_rows=(1, 1))


def pareto_table(pareto: pd.DataFrame, a_cut: float, top: int = 30) -> pd.DataFrame:
    """The Pareto chart's data: the ``top`` customers by measure, in rank order. Their
    ``cum_share`` is the core's, over every customer, so at customer k the line shows the true
    share of the first k in the total (no "Others" bar: it would tower over the rest).

    Columns: rank, customer_id, customer_name, measure, share, cum_share, abc_tier, reference
    (the constant ``a_cut``). ``customer_name`` falls back to the id when blank.
    """
    frame = in_rank_order(pareto).reset_index(drop=True).iloc[:top]
    names = frame["customer_name"].astype(object).where(frame["customer_name"].notna(),
                                                        frame["customer_id"].astype(object))
    shown = pd.DataFrame({
        "rank": frame["rank"].astype(object) if "rank" in frame else np.arange(1, len(frame) + 1),
        "customer_id": frame["customer_id"].astype(object),
        "customer_name": names,
        "measure": frame["measure"].astype(float),
        "share": frame["share"].astype(float),
        "cum_share": frame["cum_share"].astype(float),
        "abc_tier": frame["abc_tier"].astype(object),
    })
    shown["reference"] = float(a_cut)
    return shown


def pixel_width(widths: tuple[float, ...], column: int) -> int:
    """Screen width in pixels of 1-based ``column`` at 100% zoom (Calibri 11: 7 px a
    character plus 5 of padding); columns past ``widths`` have the default 8.43."""
    width = widths[column - 1] if column <= len(widths) else 8.43
    return int(width * 7 + 5)


def chart_anchor(widths: tuple[float, ...], first_column: int, first_row: int, pixels: int,
                 rows: int) -> tuple[int, int, int, int]:
    """A 0-based (column, row, column, row) frame from 1-based ``first_column`` / ``first_row``,
    at least ``pixels`` wide and ``rows`` rows tall."""
    column, used = first_column, 0
    while used < pixels:
        used += pixel_width(widths, column)
        column += 1
    return first_column - 1, first_row - 1, column - 1, first_row - 1 + rows


CHART_ROWS = 20  # a chart at the top of a sheet covers rows 1..20; tables start at row 22


def pareto_chart(table: pd.DataFrame, block: Block, sheet: str, result: Any, language: str,
                 anchor: tuple[int, int, int, int]) -> Chart:
    """Bars of the top customers coloured by ABC tier, the cumulative share over all
    customers on a 0..100% axis, and the a_cut reference line."""
    a_cut = result.settings.a_cut
    measure_label = column_header(result.measure, language)
    ref = _refs(block, list(table.columns), sheet)
    names, total = cache(table["customer_name"]), len(result.pareto)
    reach = customers_to_reach(result.pareto, a_cut)
    title = phrase("pareto_title_top" if total > len(table) else "pareto_title_all", language,
                   top=len(table), total=total, reach=reach,
                   reach_share=reach / total if total else 0.0, cut=a_cut,
                   measure=phrase(f"measure_{result.measure}", language))
    tier_colours = tuple(labels.TIER_CHART_COLOURS.get(t) for t in table["abc_tier"])
    series = (
        Series(measure_label, ref("measure"), cache(table["measure"]), ref("customer_name"), names,
               kind="bar", colour=labels.TIER_CHART_COLOURS["A"], point_colours=tier_colours),
        Series(column_header("cum_share", language), ref("cum_share"), cache(table["cum_share"]),
               ref("customer_name"), names, kind="line", secondary=True,
               colour=labels.LINE_COLOUR, markers=True),
        Series(phrase("reference", language, cut=a_cut), ref("reference"),
               cache(table["reference"]), ref("customer_name"), names, kind="line",
               secondary=True, colour=labels.REFERENCE_COLOUR, dash="dash", line_width=1.5),
    )
    return Chart(
        kind="combo", title=title, series=series, anchor=anchor, name="Pareto",
        x_axis=Axis(title=phrase("pareto_x", language,
                                 measure=phrase(f"measure_{result.measure}", language))),
        y_axis=Axis(title=measure_label, number_format=labels.AXIS_FORMATS["money"],
                    gridlines=True),
        y2_axis=Axis(title=phrase("pareto_y2", language), number_format=labels.AXIS_FORMATS["share"],
                     minimum=0, maximum=1),
    )


def abc_curve_chart(curve: pd.DataFrame, block: Block, sheet: str, result: Any, language: str,
                    anchor: tuple[int, int, int, int]) -> Chart:
    """The cumulative share of the measure against the cumulative share of customers: one
    coloured stretch per ABC band (each starts where the previous ends) and markers at the
    last A and last B customer."""
    ref = _refs(block, list(curve.columns), sheet)
    tiers = curve["abc_tier"].to_numpy(dtype=object)
    counts = result.pareto["abc_tier"].value_counts()
    series = []
    start = 0
    for tier in ("A", "B", "C"):
        rows = np.flatnonzero(tiers == tier)
        if not len(rows):
            continue
        first, last = (0 if tier == "A" else start), int(rows[-1])
        part = curve.iloc[first:last + 1]
        x_ref = _rows_ref(ref("customer_share"), block.first_row + first, block.first_row + last)
        y_ref = _rows_ref(ref("cum_share"), block.first_row + first, block.first_row + last)
        series.append(Series(phrase("band", language, tier=tier), y_ref, cache(part["cum_share"]),
                             x_ref, cache(part["customer_share"]), kind="scatter",
                             colour=labels.TIER_CHART_COLOURS[tier], line_width=2.5))
        start = last
    n_positive = int(sum(counts.get(t, 0) for t in ("A", "B", "C")))
    share = {t: int(counts.get(t, 0)) / n_positive if n_positive else 0.0 for t in ("A", "B", "C")}
    title = phrase("abc_curve_title", language, a=share["A"], b=share["B"], c=share["C"],
                   measure=phrase(f"measure_{result.measure}", language))
    cut_rows = [int(np.flatnonzero(tiers == t)[-1]) for t in ("A", "B") if (tiers == t).any()]
    if cut_rows:
        marks = pd.Series(np.nan, index=curve.index)
        marks.iloc[cut_rows] = curve["cum_share"].iloc[cut_rows]
        series.append(Series(phrase("cut_offs", language), ref("cut_off"), cache(marks),
                             ref("customer_share"), cache(curve["customer_share"]),
                             kind="scatter", colour=labels.REFERENCE_COLOUR, markers=True,
                             line=False))
    share_format = labels.AXIS_FORMATS["share"]
    return Chart(
        kind="scatter", title=title, series=tuple(series), anchor=anchor, name="ABC curve",
        x_axis=Axis(title=phrase("abc_curve_x", language), number_format=share_format,
                    minimum=0, maximum=1),
        y_axis=Axis(title=phrase("abc_curve_y", language,
                                 measure=phrase(f"measure_{result.measure}", language)),
                    number_format=share_format, minimum=0, maximum=1, gridlines=True),
    )


def _refs(block: Block, columns: list[str], sheet: str):
    """ref(column) -> the absolute reference of that column's values in ``block``."""
    def ref(column: str) -> str:
        c = block.first_column + columns.index(column)
        return cell_range(sheet, block.first_row, c, max(block.last_row, block.first_row), c)
    return ref


def _rows_ref(reference: str, first: int, last: int) -> str:
    """``reference`` (one column) narrowed to rows ``first``..``last``."""
    head, _, _ = reference.rpartition("!")
    column = reference.rpartition("!")[2].split("$")[1]
    return f"{head}!${column}${first}:${column}${last}"


def pareto_sheet(result: Any, language: str) -> Sheet:
    """The Pareto chart and the ABC curve side by side at the top; below them the top
    customers' table and the curve's points. Charts print on page 1, tables after."""
    measure_label = column_header(result.measure, language)
    a_cut = result.settings.a_cut
    name = sheet_name("pareto", language)
    table = pareto_table(result.pareto, a_cut, top=result.settings.pareto_top)
    top = CHART_ROWS + 2
    block = _table(
        table, language, origin=(top, 1), tier_column="abc_tier",
        title=phrase("pareto_data", language),
        headers={"measure": measure_label, "reference": phrase("reference", language, cut=a_cut)},
        table=TABLE_NAMES["pareto"],
    )
    curve = abc_curve(result.pareto)
    curve["cut_off"] = np.nan  # the marked points (filled below, where the chart needs them)
    tiers = curve["abc_tier"].to_numpy(dtype=object)
    for tier in ("A", "B"):
        if (tiers == tier).any():
            row = int(np.flatnonzero(tiers == tier)[-1])
            curve.loc[row, "cut_off"] = curve.loc[row, "cum_share"]
    curve_block = _table(
        curve, language, origin=(top, block.last_column + 2), tier_column="abc_tier",
        title=phrase("abc_curve_data", language),
        headers={"customer_share": phrase("abc_curve_x", language),
                 "cum_share": phrase("abc_curve_y", language,
                                     measure=phrase(f"measure_{result.measure}", language)),
                 "cut_off": phrase("cut_offs", language)},
        formats={"customer_share": "percent", "cut_off": "percent"},
        table=TABLE_NAMES["abc_curve"],
    )
    blocks = (block, curve_block)
    widths = _column_widths(blocks)
    first = chart_anchor(widths, 1, 1, 660, CHART_ROWS)
    second = chart_anchor(widths, first[2] + 1, 1, 480, CHART_ROWS)
    charts = (pareto_chart(table, block, name, result, language, first),
              abc_curve_chart(curve, curve_block, name, result, language, second))
    setup = PrintSetup(landscape=True, title_rows=(block.header_row, block.header_row),
                       row_breaks=(CHART_ROWS,))
    return Sheet(key="pareto", name=name, blocks=blocks, column_widths=widths, charts=charts,
                 print_setup=setup)


def summary_sheet(result: Any, language: str) -> Sheet:
    """Per-tier summary, RFM segments, RFM 8 classes, lifecycle stages, the industry / region
    / size x tier pivots and the notes (when there are any), one under another."""
    blocks = [
        _table(result.tier_summary, language, title=phrase("tier_summary", language),
               tier_column="tier", table=TABLE_NAMES["tier_summary"]),
        _table(result.rfm_segments, language, title=phrase("rfm_segments", language),
               table=TABLE_NAMES["rfm_segments"]),
    ]
    blocks.append(_table(result.rfm_classes, language, title=phrase("rfm_classes", language),
                         table=TABLE_NAMES["rfm_classes"]))
    blocks.append(_table(result.lifecycle_counts, language,
                         title=phrase("lifecycle_counts", language),
                         table=TABLE_NAMES["lifecycle_counts"]))
    for key, pivot in result.pivots.items():
        # the core's pivot: the attribute column ("(blank)" for a missing value), A..D, Total
        frame = pivot.reset_index(drop=True)
        frame[key] = frame[key].replace(BLANK, phrase("blank", language))
        formats = {c: "integer" for c in frame.columns if c != key}
        blocks.append(_table(frame, language, title=phrase(f"pivot_{key}", language),
                             formats=formats, table=TABLE_NAMES.get(f"pivot_{key}")))
    return _sheet("summary", language, _stack(blocks))


def coverage_sheet(result: Any, language: str) -> Sheet:
    """Salesperson x tier: held, limit, headroom, status ("OK" / "Over" / "No limit"; no
    limit leaves limit and headroom empty); then the release-to-pool list."""
    blocks = _stack([
        _table(result.coverage, language, title=phrase("coverage", language),
               table=TABLE_NAMES["coverage"]),
        _table(result.releases, language, title=phrase("releases", language),
               table=TABLE_NAMES["releases"]),
    ])
    return _sheet("coverage", language, blocks)


def data_quality_sheet(result: Any, language: str, notes: tuple[Any, ...] = ()) -> Sheet:
    """Rows left out and why: sheet, row, column, value (as read, as text), reason; to their
    right, the notes of this refresh (``workbook.ownership.Note``: sheets skipped, names
    taken) when there are any."""
    frame = result.data_quality.reindex(columns=list(DATA_QUALITY_COLUMNS))
    block = _table(frame, language, table=TABLE_NAMES["data_quality"])
    freeze, _ = _freeze_filter(block)
    blocks = [block]
    # the reader's and the core's decisions (result.notes) and this refresh's own (sheets
    # skipped, names taken: workbook.ownership.Note), worded here, in one table to the right
    # of the data-quality table so that its filter and any row count stay untouched
    headers = NOTE_FRAME_HEADERS[language]
    found = getattr(result, "notes", None)
    rows: list[tuple[str, str, str]] = []
    if isinstance(found, pd.DataFrame):
        rows += [(str(s), str(c), note_text(k, d, language)) for s, c, k, d in
                 zip(found["sheet"], found["column"], found["note_key"], found["detail"])]
    rows += [("", "", n.text(language)) for n in notes]
    if rows:
        worded = pd.DataFrame({h: pd.Series([r[i] for r in rows], dtype="str")
                               for i, h in enumerate(headers)})
        blocks += _stack([_table(worded, language, title=phrase("notes", language),
                                 table=TABLE_NAMES["notes"])], column=block.last_column + 2)
    return _sheet("data_quality", language, blocks, freeze=freeze, title_rows=(1, 1))


def tier_changes_sheet(result: Any, language: str) -> Sheet:
    """The customers whose ABC tier or score tier moved (left; "" = no tier on that side, an
    empty cell) and the from x to count matrix of ABC tiers (right). Without a previous
    refresh (empty matrix) the sheet says so."""
    changes, matrix = result.tier_changes, result.tier_change_matrix
    if matrix is None or matrix.empty:
        note = pd.DataFrame({"note": pd.Series([phrase("no_changes", language)], dtype="str")})
        return _sheet("tier_changes", language,
                      [_table(note, language, title=phrase("tier_changes", language),
                              table=TABLE_NAMES["tier_changes"])])
    left = _table(changes.reindex(columns=list(CHANGE_COLUMNS)), language,
                  title=phrase("tier_changes", language), table=TABLE_NAMES["tier_changes"])
    frame = matrix.rename_axis(index="from", columns=None).reset_index()
    to_labels = [str(c) for c in matrix.columns]
    frame.columns = ["from", *to_labels]
    shown = {c: translate_value("to", c, language) for c in to_labels}
    blocks = [left, _table(frame, language, origin=(1, left.last_column + 2),
                           title=phrase("tier_change_matrix", language),
                           formats={c: "integer" for c in to_labels}, headers=shown,
                           table=TABLE_NAMES["tier_change_matrix"])]
    return _sheet("tier_changes", language, blocks, freeze=(2, 0), title_rows=(2, 2))


def settings_block(settings: Any, language: str) -> Block:
    """The Settings sheet's one block: ``settings_rows`` as a header row and values."""
    rows = settings_rows(settings, language)
    width = max(len(r) for r in rows)
    header = tuple(rows[0]) + (None,) * (width - len(rows[0]))
    body = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows[1:]], dtype=object)
    return Block(header=header, values=body, formats=("text",) * width)


def settings_sheet(result: Any, language: str) -> Sheet:
    """The Settings sheet with the values used; written only when the workbook has none."""
    block = settings_block(result.settings, language)
    width = len(block.header)
    widths = (18.0, 16.0, 60.0, 16.0)[:width]
    return Sheet(key="settings", name=sheet_name("settings", language), blocks=(block,),
                 freeze=(1, 0), column_widths=widths, only_if_missing=True,
                 print_setup=PrintSetup(landscape=True, title_rows=(1, 1)))


# -- dashboard -----------------------------------------------------------------------------

DASHBOARD_CHART_ROWS = 16
HEADLINE_ROWS = 3  # title, the figures' names, the figures


def _cell(sheet: Sheet | str, row: int, column: int) -> str:
    name = sheet if isinstance(sheet, str) else sheet.name
    return cell_range(name, row, column, row, column).rsplit(":", 1)[0]


def _column_ref_on(sheet: str, block: Block, column: int) -> str:
    c = block.first_column + column
    return cell_range(sheet, block.first_row, c, max(block.last_row, block.first_row), c)


def _column_ref(sheet: Sheet, block: Block, column: int) -> str:
    """The values of 0-based ``column`` of ``block`` (at least one row, so an empty table
    still gives a valid range)."""
    c = block.first_column + column
    return cell_range(sheet.name, block.first_row, c, max(block.last_row, block.first_row), c)


def headline_block(result: Any, language: str, tiers: Sheet, summary: Sheet,
                   data_quality: Sheet, dashboard: str, holdings: pd.DataFrame,
                   holding_block: Block) -> Block:
    """The figures at the top of the Dashboard, each a formula reading a generated table
    (so a reader sees where it comes from) with its current value cached."""
    customers = result.customers
    table = tiers.blocks[0]
    column = {c: i for i, c in enumerate(labels.TIERS_COLUMNS)}
    tier_block = summary.blocks[0]  # A, B, C, D, Total
    a_row = tier_block.first_row  # A comes first
    profit_share_col = tier_block.first_column + list(result.tier_summary.columns).index("profit_share")
    summary_a = result.tier_summary.set_index("tier")
    held = _column_ref_on(dashboard, holding_block, 1)
    limit = _column_ref_on(dashboard, holding_block, 2)
    held_now, limit_now = (holdings[c].to_numpy(dtype="float64") for c in ("held", "limit"))
    over = np.where(np.isfinite(limit_now) & (held_now > limit_now), held_now - limit_now, 0.0)
    quality = data_quality.blocks[0]
    figures = [
        ("customers", "integer", Formula(f"=COUNTA({_column_ref(tiers, table, column['customer_id'])})",
                                         float(len(customers)))),
        ("revenue", "integer", Formula(f"=SUM({_column_ref(tiers, table, column['revenue'])})",
                                        float(np.nansum(customers["revenue"].to_numpy(dtype="float64"))))),
        ("profit", "integer", Formula(f"=SUM({_column_ref(tiers, table, column['profit'])})",
                                       float(np.nansum(customers["profit"].to_numpy(dtype="float64"))))),
        ("a_profit_share", "percent", Formula(f"={_cell(summary, a_row, profit_share_col)}",
                                              _number_or_none(summary_a.loc["A", "profit_share"]))),
        # customers beyond each salesperson's overall limit (an empty limit cell: no limit)
        ("over_limits", "integer", Formula(
            f'=SUMPRODUCT(({held}>{limit})*({limit}<>"")*({held}-{limit}))', float(over.sum()))),
        ("rows_left_out", "integer", Formula(
            f"=COUNTA({_column_ref(data_quality, quality, 0)})", float(len(result.data_quality)))),
    ]
    values = pd.DataFrame({i: pd.Series([f], dtype=object) for i, (_, _, f) in enumerate(figures)})
    return Block(header=tuple(phrase(f"kpi_{k}", language) for k, _, _ in figures), values=values,
                 formats=tuple(fmt for _, fmt, _ in figures), origin=(1, 1),
                 title=phrase("dashboard_title", language))


def _number_or_none(value: Any) -> float | None:
    value = float(value) if value is not None and not pd.isna(value) else None
    return value if value is None or np.isfinite(value) else None


def dashboard_sheet(result: Any, language: str, tiers: Sheet, summary: Sheet,
                    data_quality: Sheet) -> Sheet:
    """Headline figures (formulas over the generated tables) at the top, four charts under
    them in a 2 x 2 grid, and the charts' data tables below."""
    name = sheet_name("dashboard", language)
    top = HEADLINE_ROWS + 2 + 2 * DASHBOARD_CHART_ROWS + 2
    # The charts' data
    by_tier = result.tier_summary[result.tier_summary["tier"].isin(TIER_KEYS)].reset_index(drop=True)
    by_tier = by_tier[["tier", "customers", "customer_share", "profit", "profit_share"]]
    segments = result.rfm_segments[["rfm_segment", "customers"]]
    segments = segments[segments["customers"] > 0].sort_values(
        "customers", ascending=False, kind="stable").reset_index(drop=True)
    stages = result.lifecycle_counts[["lifecycle", "customers"]].reset_index(drop=True)
    holdings = _holdings(result.coverage)
    tier_block = _table(by_tier, language, origin=(top, 1), tier_column="tier",
                        title=phrase("tier_summary", language),
                        table=TABLE_NAMES["dashboard_tiers"])
    # one under another in the first columns, so the sheet is as wide as the charts
    placed = _stack([tier_block] + [
        _table(frame, language, title=phrase(title, language), table=TABLE_NAMES[key])
        for frame, title, key in (
            (segments, "rfm_segments", "dashboard_segments"),
            (stages, "lifecycle_counts", "dashboard_lifecycle"),
            (holdings, "holdings_title", "dashboard_holdings"))], start_row=top)
    _, segment_block, stage_block, holding_block = placed
    headline = headline_block(result, language, tiers, summary, data_quality, name, holdings,
                              holding_block)
    blocks = (headline, *placed)
    widths = list(_column_widths(blocks))
    for i, figure in enumerate(headline.values.iloc[0]):  # room for the figure, never "###"
        if isinstance(figure.cached, float):
            widths[i] = max(widths[i], len(f"{figure.cached:,.0f}") + 4)
    widths = tuple(widths)
    first_row = headline.last_row + 2
    second_row = first_row + DASHBOARD_CHART_ROWS + 1
    left = chart_anchor(widths, 1, first_row, 560, DASHBOARD_CHART_ROWS)
    right = chart_anchor(widths, left[2] + 1, first_row, 560, DASHBOARD_CHART_ROWS)
    left2 = (left[0], second_row - 1, left[2], second_row - 1 + DASHBOARD_CHART_ROWS)
    right2 = (right[0], second_row - 1, right[2], second_row - 1 + DASHBOARD_CHART_ROWS)

    def ref(block: Block, frame: pd.DataFrame, column: str) -> str:
        return _refs(block, list(frame.columns), name)(column)

    tier_names = cache(tier_block.values.iloc[:, 0])
    share = labels.AXIS_FORMATS["share"]
    count = labels.AXIS_FORMATS["count"]
    tier_chart = Chart(
        kind="bar", title=phrase("dash_tiers_title", language), name="ABC tiers", anchor=left,
        series=(
            Series(column_header("customer_share", language), ref(tier_block, by_tier, "customer_share"),
                   cache(by_tier["customer_share"]), ref(tier_block, by_tier, "tier"), tier_names,
                   colour=labels.NEUTRAL_COLOUR),  # grey: the tier colours are profit's
            Series(column_header("profit_share", language), ref(tier_block, by_tier, "profit_share"),
                   cache(by_tier["profit_share"]), ref(tier_block, by_tier, "tier"), tier_names,
                   colour=labels.TIER_CHART_COLOURS["A"],
                   point_colours=tuple(labels.TIER_CHART_COLOURS[t] for t in by_tier["tier"])),
        ),
        x_axis=Axis(title=column_header("abc_tier", language)),
        y_axis=Axis(number_format=share, gridlines=True),
    )
    segment_chart = Chart(
        kind="bar", horizontal=True, title=phrase("dash_segments_title", language),
        name="RFM segments", anchor=right, legend=False,
        series=(Series(column_header("customers", language),
                       ref(segment_block, segments, "customers"), cache(segments["customers"]),
                       ref(segment_block, segments, "rfm_segment"),
                       cache(segment_block.values.iloc[:, 0]), colour=labels.BAR_COLOUR),),
        y_axis=Axis(number_format=count, gridlines=True),
    )
    stage_chart = Chart(
        kind="bar", title=phrase("dash_lifecycle_title", language), name="Lifecycle",
        anchor=left2, legend=False,
        series=(Series(column_header("customers", language), ref(stage_block, stages, "customers"),
                       cache(stages["customers"]), ref(stage_block, stages, "lifecycle"),
                       cache(stage_block.values.iloc[:, 0]), colour=labels.BAR_COLOUR),),
        y_axis=Axis(number_format=count, gridlines=True),
    )
    over = holdings["held"].to_numpy(dtype="float64") > holdings["limit"].to_numpy(dtype="float64")
    people = cache(holding_block.values.iloc[:, 0])
    holding_chart = Chart(
        kind="bar", title=phrase("dash_holdings_title", language), name="Holdings",
        anchor=right2,
        series=(
            Series(column_header("held", language), ref(holding_block, holdings, "held"),
                   cache(holdings["held"]), ref(holding_block, holdings, "salesperson"), people,
                   colour=labels.BAR_COLOUR,
                   point_colours=tuple(labels.OVER_COLOUR if o else None for o in over)),
            Series(column_header("limit", language), ref(holding_block, holdings, "limit"),
                   cache(holdings["limit"]), ref(holding_block, holdings, "salesperson"), people,
                   colour=labels.LIMIT_COLOUR),
        ),
        x_axis=Axis(title=column_header("salesperson", language)),
        y_axis=Axis(number_format=count, gridlines=True),
    )
    setup = PrintSetup(landscape=True, row_breaks=(second_row - 2, top - 2))
    return Sheet(key="dashboard", name=name, blocks=blocks, column_widths=widths,
                 charts=(tier_chart, segment_chart, stage_chart, holding_chart),
                 print_setup=setup)


def _holdings(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per salesperson: customers held and the overall limit (the coverage rows for all
    tiers; limit empty where no rule applies)."""
    rows = coverage[coverage["tier"] == ALL_TIERS]
    return pd.DataFrame({
        "salesperson": rows["salesperson"].astype(object).to_numpy(),
        "held": rows["held"].to_numpy(dtype="float64"),
        "limit": rows["limit"].to_numpy(dtype="float64"),
    })


# -- predictive CLV, retention and cohorts (issue 10) --------------------------------------

def _yes_or_blank(flags: pd.Series, language: str) -> pd.Series:
    """A True/False column as "Yes" / empty text (missing = empty)."""
    yes = phrase("yes", language)
    # equal to True (a missing flag is not), then "Yes" taken as text: no Python string per
    # row turned into text, nor a bool made of each object (7.6 -> 3.7 ms for 50,000 rows)
    rows = np.where(flags.reset_index(drop=True).eq(True).to_numpy(dtype=bool), 0, -1)
    return pd.Series(pd.array([yes], dtype="str").take(rows, allow_fill=True), index=flags.index)


def _model_headers(settings: Any, language: str) -> dict[str, str]:
    """Headers that state the settings they depend on: horizons in days, CLV in months."""
    return {
        "expected_purchases_short": phrase("expected_purchases", language, days=settings.expected_days_short),
        "expected_purchases_long": phrase("expected_purchases", language, days=settings.expected_days_long),
        "predicted_clv": phrase("predicted_clv", language, months=settings.clv_months),
    }


def clv_model_sheet(result: Any, language: str) -> Sheet:
    """The CLV model: fitted parameters (BG/NBD r, alpha in days, a, b; Gamma-Gamma p, q, v;
    log-likelihoods, customers used, convergence, calibration date), the notes on the models
    and one sentence per figure."""
    index = labels.LANGUAGES.index(language)
    parameters = getattr(result, "clv_parameters", pd.DataFrame())
    blocks = []
    if parameters is not None and len(parameters):
        frame = pd.DataFrame({
            "model": parameters["model"].astype("str"),
            "parameter": [labels.PARAMETER_LABELS.get(p, (p, p))[index] for p in parameters["parameter"]],
            "value": [v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else
                      (None if isinstance(v, float) and np.isnan(v) else float(v)) for v in parameters["value"]],
        })
        blocks.append(_table(frame, language, title=phrase("clv_parameters", language),
                             formats={"value": "number"}, table=TABLE_NAMES["clv_parameters"]))
    notes = getattr(result, "model_notes", pd.DataFrame())
    if notes is not None and len(notes):
        text = [labels.model_note_text(k, d, language) for k, d in zip(notes["note_key"], notes["detail"])]
        blocks.append(_table(pd.DataFrame({"note": pd.Series(text, dtype="str")}), language,
                             title=phrase("model_notes", language),
                             table=TABLE_NAMES["model_notes"]))
    about = pd.DataFrame({"note": pd.Series([pair[index] for pair in labels.CLV_EXPLANATIONS], dtype="str")})
    blocks.append(_table(about, language, title=phrase("clv_about", language),
                         table=TABLE_NAMES["clv_about"]))
    return _sheet("clv_model", language, _stack(blocks))


def _by_tier(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """Long retention rows -> one row per period, one column per tier (A..D, All)."""
    wide = table.pivot(index=["period", "next_period"], columns="tier", values=value)
    tiers = [t for t in (*TIER_KEYS, "All") if t in wide.columns]
    return wide[tiers].reset_index().rename_axis(columns=None)


def _triangle(cohorts: pd.DataFrame, value: str) -> pd.DataFrame:
    wide = cohorts.pivot(index=["cohort", "customers"], columns="periods_after", values=value)
    wide.columns = [str(int(k)) for k in wide.columns]
    return wide.reset_index().rename_axis(columns=None)


def retention_sheet(result: Any, language: str) -> Sheet:
    """Retention and churn by ABC tier and period (settings.retention_period), the yearly
    retention per tier that the projected CLV uses, and the cohort triangles (share still
    buying, revenue) by period of first purchase."""
    retention = getattr(result, "retention", pd.DataFrame())
    blocks = []
    with_chart = retention is not None and not retention.empty
    if not with_chart:
        blocks.append(_table(pd.DataFrame({"note": pd.Series([phrase("no_retention", language)], dtype="str")}),
                             language, title=phrase("retention_by_period", language),
                             table=TABLE_NAMES["retention_by_period"]))
    else:
        by_period = {}
        for key, value in (("retention_by_period", "retention"), ("churn_by_period", "churn")):
            frame = by_period[value] = _by_tier(retention, value)
            tiers = [c for c in frame.columns if c not in ("period", "next_period")]
            shown = {t: translate_value("tier", t, language) for t in tiers}
            blocks.append(_table(frame, language, title=phrase(key, language),
                                 formats={t: "percent" for t in tiers}, headers=shown,
                                 table=TABLE_NAMES[key]))
    yearly = getattr(result, "yearly_retention", pd.DataFrame())
    if yearly is not None and len(yearly):
        blocks.append(_table(yearly, language, title=phrase("yearly_retention", language),
                             headers={"retained": phrase("retained_last_year", language)},
                             table=TABLE_NAMES["yearly_retention"]))
    cohorts = getattr(result, "cohorts", pd.DataFrame())
    if cohorts is not None and len(cohorts):
        for key, value, fmt in (("cohort_share", "share_active", "percent"), ("cohort_revenue", "revenue", "currency")):
            frame = _triangle(cohorts, value)
            steps = [c for c in frame.columns if c not in ("cohort", "customers")]
            # at most core.retention.MAX_COHORT_PERIODS columns of periods: always fits a sheet
            block = _table(frame, language, title=phrase(key, language), formats={k: fmt for k in steps},
                           headers={k: k for k in steps}, table=TABLE_NAMES[key])
            if key == "cohort_share" and len(steps) > 1:
                # shares from period 1 on (period 0 is 100% by definition and would only
                # stretch the scale): the colours compare cohorts and periods at a glance
                columns = list(frame.columns)
                block = replace(block, colour_scale=(columns.index(steps[1]), columns.index(steps[-1])))
            blocks.append(block)
    if not with_chart:
        return _sheet("retention", language, _stack(blocks))
    # the chart at the top left, the tables below it (the chart prints on page 1)
    placed = tuple(_stack(blocks, start_row=CHART_ROWS + 2))
    widths = _column_widths(placed)
    chart = retention_chart(by_period["retention"], placed[0], result, language,
                            chart_anchor(widths, 1, 1, 660, CHART_ROWS))
    setup = PrintSetup(landscape=sum(widths) > WIDE, row_breaks=(CHART_ROWS,))
    return Sheet(key="retention", name=sheet_name("retention", language), blocks=placed,
                 column_widths=widths, charts=(chart,), print_setup=setup)


def retention_chart(frame: pd.DataFrame, block: Block, result: Any, language: str,
                    anchor: tuple[int, int, int, int]) -> Chart:
    """One line per ABC tier (and All, grey): the share of a period's buyers who buy again in
    the next period, by period, on a 0..100% axis. ``frame``/``block``: the retention table."""
    name = sheet_name("retention", language)
    ref = _refs(block, list(frame.columns), name)
    periods = cache(frame["period"])
    tiers = [c for c in frame.columns if c not in ("period", "next_period")]
    series = tuple(
        Series(translate_value("tier", t, language), ref(t), cache(frame[t]), ref("period"),
               periods, kind="line", markers=True,
               colour=labels.TIER_CHART_COLOURS.get(t, labels.NEUTRAL_COLOUR))
        for t in tiers)
    share = labels.AXIS_FORMATS["share"]
    return Chart(kind="line", title=phrase("retention_chart_title", language), series=series,
                 anchor=anchor, name="Retention",
                 x_axis=Axis(title=phrase("retention_chart_x", language)),
                 y_axis=Axis(number_format=share, minimum=0, maximum=1, gridlines=True))


def build_report(result: Any, language: str | None = None, notes: tuple[Any, ...] = ()) -> Report:
    """Every generated sheet for ``result`` (a TierResult) in ``language`` ("en" / "zh";
    default: the result's Settings.language). The Dashboard comes first; its figures read the
    other sheets. ``notes``: the refresh's notes (``workbook.ownership.Note``), listed on the
    Data quality sheet."""
    language = language or result.settings.language
    if language not in labels.LANGUAGES:
        raise ValueError(f"language must be en or zh, got {language!r}")
    tiers, summary = tiers_sheet(result, language), summary_sheet(result, language)
    data_quality = data_quality_sheet(result, language, tuple(notes))
    dashboard = dashboard_sheet(result, language, tiers, summary, data_quality)
    sheets = (dashboard, tiers, pareto_sheet(result, language), summary,
              coverage_sheet(result, language), data_quality,
              tier_changes_sheet(result, language), clv_model_sheet(result, language),
              retention_sheet(result, language), settings_sheet(result, language))
    return Report(language=language, sheets=sheets)
