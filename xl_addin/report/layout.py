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

# Excel Table of each generated block: stable names a user's pivots, charts and formulas
# (=SUM(CT_Tiers[Profit])) can rely on. A refresh replaces the rows and resizes the table,
# keeping its name and id. Documented in the README.
TABLE_NAMES: dict[str, str] = {
    "tiers": "CT_Tiers",
    "pareto": "CT_Pareto",
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
    table: str | None = None  # Excel Table name (TABLE_NAMES); None = a plain range

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
                      block.tier_column, block.table)
        placed.append(moved)
        row = moved.table_last_row + 1 + gap
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
    frame["single_purchase"] = _yes_or_blank(frame["single_purchase"], language)
    block = _table(frame, language, tier_column="abc_tier", table=TABLE_NAMES["tiers"],
                   headers=_model_headers(result.settings, language))
    # the table has its own filter buttons: no sheet autofilter on the same range
    return _sheet("tiers", language, [block], freeze=(1, 2))


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
        table=TABLE_NAMES["pareto"],
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
               tier_column="tier", table=TABLE_NAMES["tier_summary"]),
        _table(result.rfm_segments, language, title=phrase("rfm_segments", language),
               table=TABLE_NAMES["rfm_segments"]),
    ]
    classes = result.rfm_classes
    if "rfm_class_en" in classes:  # one name column: the English one or the 中文 key
        classes = classes.drop(columns="rfm_class" if language == "en" else "rfm_class_en")
    blocks.append(_table(classes, language, title=phrase("rfm_classes", language),
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
    return _sheet("data_quality", language, blocks, freeze=freeze)


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


# -- predictive CLV, retention and cohorts (issue 10) --------------------------------------

def _yes_or_blank(flags: pd.Series, language: str) -> pd.Series:
    """A True/False column as "Yes" / empty text (missing = empty)."""
    yes = phrase("yes", language)
    return pd.Series(np.where(flags.astype("boolean").fillna(False).to_numpy(dtype=bool), yes, None),
                     index=flags.index, dtype="str")


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
    if retention is None or retention.empty:
        blocks.append(_table(pd.DataFrame({"note": pd.Series([phrase("no_retention", language)], dtype="str")}),
                             language, title=phrase("retention_by_period", language),
                             table=TABLE_NAMES["retention_by_period"]))
    else:
        for key, value in (("retention_by_period", "retention"), ("churn_by_period", "churn")):
            frame = _by_tier(retention, value)
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
            blocks.append(_table(frame, language, title=phrase(key, language), formats={k: fmt for k in steps},
                                 headers={k: k for k in steps}, table=TABLE_NAMES[key]))
    return _sheet("retention", language, _stack(blocks))


def build_report(result: Any, language: str | None = None, notes: tuple[Any, ...] = ()) -> Report:
    """Every generated sheet for ``result`` (a TierResult) in ``language`` ("en" / "zh";
    default: the result's Settings.language). ``notes``: the refresh's notes
    (``workbook.ownership.Note``), listed on the Data quality sheet."""
    language = language or result.settings.language
    if language not in labels.LANGUAGES:
        raise ValueError(f"language must be en or zh, got {language!r}")
    sheets = (tiers_sheet(result, language), pareto_sheet(result, language),
              summary_sheet(result, language), coverage_sheet(result, language),
              data_quality_sheet(result, language, tuple(notes)),
              tier_changes_sheet(result, language), clv_model_sheet(result, language),
              retention_sheet(result, language), settings_sheet(result, language))
    return Report(language=language, sheets=sheets)
