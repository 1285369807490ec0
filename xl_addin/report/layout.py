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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.changes import CHANGE_COLUMNS
from ..core.columns import DATA_QUALITY_COLUMNS
from ..core.summary import BLANK
from . import labels
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

PARETO_TOP = 50  # customers shown as their own bar; the rest are one "Others" bar
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

    def __post_init__(self) -> None:
        if len(self.header) != self.values.shape[1] or len(self.formats) != len(self.header):
            raise ValueError(
                f"block {self.title or self.header[:1]}: {len(self.header)} headers, "
                f"{self.values.shape[1]} value columns, {len(self.formats)} formats"
            )
        bad = set(self.formats) - set(labels.NUMBER_FORMATS)
        if bad:
            raise ValueError(f"unknown number formats {sorted(bad)}")

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


@dataclass(frozen=True)
class ParetoChart:
    """A combo chart: bars of the measure per customer (primary axis), the cumulative share
    as a line on a secondary 0..100% axis, and a dashed reference line at ``a_cut``."""

    title: str
    category_axis_title: str
    value_axis_title: str
    share_axis_title: str
    value_name: str
    cumulative_name: str
    reference_name: str
    categories: str  # sheet references, e.g. 'Pareto'!$C$2:$C$52
    values: str
    cumulative: str
    reference: str
    value_format: str = "currency"
    # DrawingML anchor: 0-based (column, row) of the top-left and bottom-right cells.
    anchor: tuple[int, int, int, int] = (9, 1, 24, 30)


@dataclass(frozen=True)
class Sheet:
    """One generated sheet."""

    key: str  # "tiers", "pareto", ... (labels.SHEET_NAMES)
    name: str
    blocks: tuple[Block, ...]
    freeze: tuple[int, int] | None = None  # (rows, columns) frozen at the top / left
    autofilter: str | None = None  # e.g. "A1:Z1001"
    column_widths: tuple[float, ...] = ()  # character widths from column A
    chart: ParetoChart | None = None
    only_if_missing: bool = False  # Settings: never overwrite a sheet the user may have edited


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
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


FORMAT_WIDTHS = {"text": 10, "integer": 9, "number": 12, "currency": 14, "percent": 9,
                 "date": 11, "score": 7}


def _column_widths(blocks: tuple[Block, ...], sample: int = 200) -> tuple[float, ...]:
    widths: dict[int, float] = {}
    for block in blocks:
        for i, (head, fmt) in enumerate(zip(block.header, block.formats)):
            width = max(FORMAT_WIDTHS[fmt], display_width(head or "") + 2)
            if fmt == "text" and len(block.values):
                values = block.values.iloc[:sample, i].dropna()
                if len(values):
                    width = max(width, max(display_width(str(v)) for v in values) + 1)
            if i == 0 and block.title:
                width = max(width, min(display_width(block.title), 20))
            column = block.first_column + i
            widths[column] = min(max(widths.get(column, 0), width), 50)
    last = max(widths, default=0)
    return tuple(float(widths.get(c, 9)) for c in range(1, last + 1))


def _table(frame: pd.DataFrame, language: str, *, origin=(1, 1), title=None,
           formats: dict[str, str] | None = None, tier_column: str | None = None,
           headers: dict[str, str] | None = None) -> Block:
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
                 tier_column=tier)


def _translated(series: pd.Series, column: str, language: str) -> pd.Series:
    if language == "en" or column not in labels.VALUE_LABELS_ZH:
        return series
    uniques = series.dropna().unique()
    mapping = {u: translate_value(column, u, language) for u in uniques}
    return series.map(mapping)


def _stack(blocks: list[Block], start_row: int = 1, column: int = 1, gap: int = 1) -> list[Block]:
    """Place blocks one under another with ``gap`` empty rows between them."""
    placed, row = [], start_row
    for block in blocks:
        moved = Block(block.header, block.values, block.formats, (row, column), block.title,
                      block.tier_column)
        placed.append(moved)
        row = moved.last_row + 1 + gap
    return placed


def _freeze_filter(block: Block) -> tuple[tuple[int, int], str]:
    ref = (f"{column_letter(block.first_column)}{block.header_row}:"
           f"{column_letter(block.last_column)}{max(block.last_row, block.header_row)}")
    return (block.header_row, 0), ref


def _sheet(key: str, language: str, blocks: list[Block], **options: Any) -> Sheet:
    blocks_t = tuple(blocks)
    return Sheet(key=key, name=sheet_name(key, language), blocks=blocks_t,
                 column_widths=_column_widths(blocks_t), **options)


# -- sheets --------------------------------------------------------------------------------

def tiers_sheet(result: Any, language: str) -> Sheet:
    """One row per customer in the core's order (ABC measure descending)."""
    frame = result.customers.reindex(columns=list(labels.TIERS_COLUMNS))
    block = _table(frame, language, tier_column="abc_tier")
    freeze, ref = _freeze_filter(block)
    return _sheet("tiers", language, [block], freeze=(1, 2), autofilter=ref)


def pareto_table(pareto: pd.DataFrame, a_cut: float, top: int = PARETO_TOP,
                 others_label: str = "Others") -> pd.DataFrame:
    """The chart's data: the ``top`` customers by measure, then one "Others" row when there
    are more (its measure and share are the sums of the rest; its cumulative share is 1.0).

    Columns: rank, customer_id, customer_name, measure, share, cum_share, abc_tier, reference
    (the constant ``a_cut``). ``customer_name`` falls back to the id when blank.
    """
    frame = pareto.sort_values("rank", kind="stable") if "rank" in pareto else pareto
    frame = frame.reset_index(drop=True)
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
    if len(shown) > top:
        rest = shown.iloc[top:]
        others = pd.DataFrame({
            "rank": [None], "customer_id": [None], "customer_name": [others_label],
            "measure": [rest["measure"].sum()], "share": [rest["share"].sum()],
            "cum_share": [1.0], "abc_tier": [None],
        })
        shown = pd.concat([shown.iloc[:top], others], ignore_index=True)
    shown["reference"] = float(a_cut)
    return shown


def pareto_sheet(result: Any, language: str) -> Sheet:
    """The chart data table at A1 and the combo chart to its right."""
    measure_label = column_header(result.measure, language)
    others = phrase("others", language, n=max(len(result.pareto) - PARETO_TOP, 0))
    a_cut = result.settings.a_cut
    table = pareto_table(result.pareto, a_cut, others_label=others)
    block = _table(
        table, language, tier_column="abc_tier",
        headers={"measure": measure_label, "reference": phrase("reference", language, cut=a_cut)},
    )
    name = sheet_name("pareto", language)
    first, last = block.first_row, max(block.last_row, block.first_row)

    def ref(column: str) -> str:
        c = block.first_column + list(table.columns).index(column)
        return cell_range(name, first, c, last, c)

    chart = ParetoChart(
        title=phrase("pareto_title", language, measure=measure_label),
        category_axis_title=phrase("pareto_x", language, measure=measure_label),
        value_axis_title=phrase("pareto_y", language, measure=measure_label),
        share_axis_title=phrase("pareto_y2", language),
        value_name=measure_label,
        cumulative_name=column_header("cum_share", language),
        reference_name=phrase("reference", language, cut=a_cut),
        categories=ref("customer_name"),
        values=ref("measure"),
        cumulative=ref("cum_share"),
        reference=ref("reference"),
        anchor=(block.last_column + 1, 1, block.last_column + 16, 31),
    )
    return _sheet("pareto", language, [block], freeze=(1, 0), chart=chart)


def summary_sheet(result: Any, language: str) -> Sheet:
    """Per-tier summary, RFM segments, RFM 8 classes, lifecycle stages, the industry / region
    / size x tier pivots and the notes (when there are any), one under another."""
    blocks = [
        _table(result.tier_summary, language, title=phrase("tier_summary", language),
               tier_column="tier"),
        _table(result.rfm_segments, language, title=phrase("rfm_segments", language)),
    ]
    classes = result.rfm_classes
    if "rfm_class_en" in classes:  # one name column: the English one or the 中文 key
        classes = classes.drop(columns="rfm_class" if language == "en" else "rfm_class_en")
    blocks.append(_table(classes, language, title=phrase("rfm_classes", language)))
    blocks.append(_table(result.lifecycle_counts, language,
                         title=phrase("lifecycle_counts", language)))
    for key, pivot in result.pivots.items():
        # the core's pivot: the attribute column ("(blank)" for a missing value), A..D, Total
        frame = pivot.reset_index(drop=True)
        frame[key] = frame[key].replace(BLANK, phrase("blank", language))
        formats = {c: "integer" for c in frame.columns if c != key}
        blocks.append(_table(frame, language, title=phrase(f"pivot_{key}", language),
                             formats=formats))
    return _sheet("summary", language, _stack(blocks))


def coverage_sheet(result: Any, language: str) -> Sheet:
    """Salesperson x tier: held, limit, headroom, status ("OK" / "Over" / "No limit"; no
    limit leaves limit and headroom empty); then the release-to-pool list."""
    blocks = _stack([
        _table(result.coverage, language, title=phrase("coverage", language)),
        _table(result.releases, language, title=phrase("releases", language)),
    ])
    return _sheet("coverage", language, blocks)


def data_quality_sheet(result: Any, language: str) -> Sheet:
    """Rows left out and why: sheet, row, column, value (as read, as text), reason."""
    frame = result.data_quality.reindex(columns=list(DATA_QUALITY_COLUMNS))
    block = _table(frame, language)
    freeze, ref = _freeze_filter(block)
    blocks = [block]
    notes = getattr(result, "notes", None)
    if isinstance(notes, pd.DataFrame) and len(notes):
        # the reader's and the core's decisions, worded here (labels.note_text), to the right
        # of the table so that its filter and any row count stay untouched
        headers = NOTE_FRAME_HEADERS[language]
        worded = pd.DataFrame({
            headers[0]: notes["sheet"].astype("str"),
            headers[1]: notes["column"].astype("str"),
            headers[2]: pd.Series([note_text(k, d, language) for k, d in
                                   zip(notes["note_key"], notes["detail"])], dtype="str"),
        })
        blocks += _stack([_table(worded, language, title=phrase("notes", language))],
                         column=block.last_column + 2)
    return _sheet("data_quality", language, blocks, freeze=freeze, autofilter=ref)


def tier_changes_sheet(result: Any, language: str) -> Sheet:
    """The customers whose ABC tier or score tier moved (left; "" = no tier on that side, an
    empty cell) and the from x to count matrix of ABC tiers (right). Without a previous
    refresh (empty matrix) the sheet says so."""
    changes, matrix = result.tier_changes, result.tier_change_matrix
    if matrix is None or matrix.empty:
        note = pd.DataFrame({"note": pd.Series([phrase("no_changes", language)], dtype="str")})
        return _sheet("tier_changes", language,
                      [_table(note, language, title=phrase("tier_changes", language))])
    left = _table(changes.reindex(columns=list(CHANGE_COLUMNS)), language,
                  title=phrase("tier_changes", language))
    frame = matrix.rename_axis(index="from", columns=None).reset_index()
    to_labels = [str(c) for c in matrix.columns]
    frame.columns = ["from", *to_labels]
    shown = {c: translate_value("to", c, language) for c in to_labels}
    blocks = [left, _table(frame, language, origin=(1, left.last_column + 2),
                           title=phrase("tier_change_matrix", language),
                           formats={c: "integer" for c in to_labels}, headers=shown)]
    return _sheet("tier_changes", language, blocks, freeze=(2, 0))


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
                 freeze=(1, 0), column_widths=widths, only_if_missing=True)


def build_report(result: Any, language: str | None = None) -> Report:
    """Every generated sheet for ``result`` (a TierResult) in ``language`` ("en" / "zh";
    default: the result's Settings.language)."""
    language = language or result.settings.language
    if language not in labels.LANGUAGES:
        raise ValueError(f"language must be en or zh, got {language!r}")
    builders = (tiers_sheet, pareto_sheet, summary_sheet, coverage_sheet, data_quality_sheet,
                tier_changes_sheet, settings_sheet)
    return Report(language=language, sheets=tuple(b(result, language) for b in builders))
