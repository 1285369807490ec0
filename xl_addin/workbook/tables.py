"""Which sheets hold what, and header rows + cell values -> canonical frames. Pure.

The one detection logic behind both ways in: the file reader (``workbook.read.SalesBook``, cells
parsed by fastexcel into Arrow columns) and the ribbon (``excel.ribbon``, cells from a live
sheet's used range). Neither reads anything here; they hand over sheet names, header rows and
values. Imports only pandas / numpy, the core, settings and report.

Conventions (the same for both readers):

* Header row = the first non-empty row of a sheet (``SheetHeader``), cells from column A.
* Sales sheets: ``settings.sales_sheets`` when given (each must exist); else every sheet whose
  name starts with "Sales" / "销售" (any case), or whose header row holds a customer (id or
  name), a date and an amount column. Our sheets (``exclude``), sheets with a generated
  sheet's name, xlwings.conf and the customer master are never sales sheets. Which of them
  are read, skipped or refused is decided by the refresh (``xl_addin.refresh``).
* Customer master: ``settings.customers_sheet``, else "Customers" / "客户".
* Data rows: every row below the header with a value in some read column; ``source_row`` is
  the 1-based Excel row. Without a customer id column (or with an empty one) the customer
  name is the id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Collection, Sequence

import numpy as np
import pandas as pd

from ..core.columns import (
    NOTE_CUSTOMER_NAME_AS_ID,
    NOTE_HEADER_DUPLICATE,
    NOTE_HEADER_USED,
    NOTE_SHEET_READ,
    AMOUNT,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    DATE,
    INDUSTRY,
    REGION,
    SALESPERSON,
    SIZE,
    SOURCE_ROW,
    SOURCE_SHEET,
    WALLET,
)
from ..errors import InputError, MissingColumnError
from ..report.labels import OWNED_SHEET_NAMES
from ..settings import Settings
from .headers import FIELDS, HeaderMatch, column_label, match_headers, normalize_header, snake_case
from .ownership import find_sheet_name, sheet_name_key

XLWINGS_SHEETS = frozenset({"xlwings.conf", "_xlwings.conf"})
# Sheets the product writes (either language) and xlwings' config: never read as sales data.
GENERATED_SHEETS = OWNED_SHEET_NAMES | XLWINGS_SHEETS
CUSTOMER_SHEETS = ("Customers", "客户")
SALES_PREFIXES = ("sales", "销售")

SALES_FIELDS = FIELDS
CUSTOMER_FIELDS = (CUSTOMER_ID, CUSTOMER_NAME, SALESPERSON, INDUSTRY, REGION, SIZE, WALLET)

# Previous tiers: headers of the Tiers sheet (English / 中文, also older 中文 labels) and 中文
# score tier labels, mapped back to the core's keys.
PREVIOUS_HEADERS = {
    CUSTOMER_ID: ("Customer ID", "客户编号"),
    "abc_tier": ("ABC tier", "ABC分类", "ABC分级"),
    "score_tier": ("Score tier", "评分等级", "评分分级"),
}
SCORE_TIER_KEYS = {
    "vip": "VIP", "重要客户": "VIP", "重要客户vip": "VIP",
    "regular": "Regular", "普通客户": "Regular",
    "potential": "Potential", "潜力客户": "Potential",
    "潜在客户": "Potential",  # the word workbooks refreshed before 潜力客户 was used hold
}


@dataclass(frozen=True)
class SheetHeader:
    """A sheet's header row: ``row`` is its 1-based Excel row (0 = the sheet is empty);
    ``cells`` its values from column A on (None = empty cell)."""

    row: int
    cells: tuple[Any, ...]


# -- which sheet is which ----------------------------------------------------------------


def find_sheet(sheet_names: Sequence[str], name: str) -> str | None:
    """The sheet called ``name`` (exact, else as Excel compares names: ignoring case;
    surrounding spaces of ``name``, as typed in Settings, ignored), or None."""
    return find_sheet_name(sheet_names, name) or find_sheet_name(sheet_names, name.strip())


def first_sheet(sheet_names: Sequence[str], names: Sequence[str]) -> str | None:
    """The first of ``names`` that exists (``find_sheet``), or None."""
    return next((found for n in names if (found := find_sheet(sheet_names, n)) is not None), None)


def customers_sheet_name(sheet_names: Sequence[str], settings: Settings) -> str | None:
    """The customer master: ``settings.customers_sheet`` (InputError when missing), else
    "Customers" / "客户", else None."""
    if settings.customers_sheet:
        name = find_sheet(sheet_names, settings.customers_sheet)
        if name is None:
            raise InputError(
                f"The customer sheet '{settings.customers_sheet}' named in Settings "
                "(customers_sheet) does not exist",
                hint=f"Correct customers_sheet in the Settings sheet to one of this workbook's "
                     f"sheets ({', '.join(sheet_names)}), or clear it.",
            )
        return name
    return first_sheet(sheet_names, CUSTOMER_SHEETS)


def sales_sheet_names(
    sheet_names: Sequence[str], header: Callable[[str], SheetHeader], settings: Settings,
    exclude: Collection[str] = (),
) -> list[str]:
    """The sales sheets, in workbook order (see the module docstring). ``header(name)`` gives
    a sheet's header row; it is only asked for sheets whose name does not decide.
    ``exclude``: sheets that are ours (never sales, whatever their name)."""
    if settings.sales_sheets:
        names = []
        for wanted in settings.sales_sheets:
            name = find_sheet(sheet_names, wanted)
            if name is None:
                raise InputError(
                    f"The sales sheet '{wanted}' listed in Settings (sales_sheets) does not exist",
                    hint=f"Correct the name in the sales_sheets section of the Settings sheet to "
                         f"one of this workbook's sheets ({', '.join(sheet_names)}), or delete "
                         "the line.",
                )
            names.append(name)
        return names
    master = customers_sheet_name(sheet_names, settings)
    generated = {sheet_name_key(n) for n in GENERATED_SHEETS}
    names = []
    for name in sheet_names:
        if sheet_name_key(name.strip()) in generated or name == master or name in exclude:
            continue
        if name.strip().casefold().startswith(SALES_PREFIXES):
            names.append(name)
            continue
        found = header(name)
        if found.row and looks_like_sales(match_headers(found.cells, settings.column_map)):
            names.append(name)
    return names


def looks_like_sales(match: dict[str, int]) -> bool:
    return (CUSTOMER_ID in match or CUSTOMER_NAME in match) and DATE in match and AMOUNT in match


# -- header rows -> fields ---------------------------------------------------------------


def first_header(rows: Sequence[Sequence[Any]], first_row: int = 1) -> SheetHeader:
    """The first row with a non-blank cell; ``rows`` are cell values from column A, the first
    of them Excel row ``first_row``. Blank text is an empty cell; trailing empties are cut."""
    for offset, row in enumerate(rows):
        cells = [None if is_blank(v) else v for v in row]
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            return SheetHeader(first_row + offset, tuple(cells))
    return SheetHeader(0, ())


def sales_fields(sheet: str, header: SheetHeader, settings: Settings) -> HeaderMatch:
    """The columns of a sales sheet's header row. InputError naming the sheet and the field
    when there is no customer (id or name), date or amount column."""
    match = match_headers(header.cells, settings.column_map)
    if CUSTOMER_ID not in match and CUSTOMER_NAME not in match:
        raise missing_column_error(sheet, header, CUSTOMER_ID)
    for field in (DATE, AMOUNT):
        if field not in match:
            raise missing_column_error(sheet, header, field)
    return match


def customer_fields(
    sheet: str, header: SheetHeader, settings: Settings
) -> tuple[HeaderMatch, dict[int, str]]:
    """The customer master's field columns, and the other headers as candidate extra columns
    (0-based column -> ``snake_case(header)``; kept by the readers when numeric: score
    factors). InputError without a customer id or name column."""
    match = match_headers(header.cells, settings.column_map)
    fields = HeaderMatch({f: i for f, i in match.items() if f in CUSTOMER_FIELDS}, match.notes)
    if CUSTOMER_ID not in fields and CUSTOMER_NAME not in fields:
        raise missing_column_error(sheet, header, CUSTOMER_ID)
    extras = {
        i: snake_case(h) for i, h in enumerate(header.cells)
        if i not in fields.values() and h is not None and snake_case(h)
        and snake_case(h) not in FIELDS
    }
    return fields, extras


_FIELD_LABELS = {CUSTOMER_ID: "customer (id or name)", DATE: "date", AMOUNT: "amount"}
_FIELD_EXAMPLES = {CUSTOMER_ID: "customer_id | Client Code", DATE: "date | Posting Day",
                   AMOUNT: "amount | Net Value"}
# headers the reader knows for the field, as the hint offers them (English / 中文)
_FIELD_HEADERS = {CUSTOMER_ID: "Customer ID or Customer (客户编号 or 客户名称)", DATE: "Date (日期)",
                  AMOUNT: "Amount (金额)"}


def missing_column_error(sheet: str, header: SheetHeader, field: str) -> MissingColumnError:
    """A sheet without a column for ``field``: names the sheet, the header row looked in and
    the headers found there, and the two fixes (rename a header, or a column_map line)."""
    found = ", ".join(f"'{h}'" for h in header.cells if h is not None) or "nothing"
    return MissingColumnError(
        f"no {_FIELD_LABELS[field]} column: its header row (row {header.row}, the first "
        f"non-empty row) holds {found}",
        sheet=sheet, column=field,
        hint=f"Rename the header of your {_FIELD_LABELS[field].split(' (')[0]} column to "
             f"{_FIELD_HEADERS[field]}, or add a line to "
             f"the column_map section of the Settings sheet naming the field and your header, "
             f"for example '{_FIELD_EXAMPLES[field]}'.",
    )


def no_sales_error(tried: Sequence[str] = ()) -> InputError:
    """No sheet holds sales: every sheet tried and why it was not used (``tried``), and what
    to name a sheet or what to put in Settings."""
    message = "no sales data found"
    if tried:
        message += " (sheets tried: " + "; ".join(tried) + ")"
    return InputError(
        message,
        hint="Name a sheet 'Sales ...' / '销售...', give it headers such as Customer, Date "
             "and Amount, or list the sheet under sales_sheets in the Settings sheet.",
    )


# -- frames ------------------------------------------------------------------------------


def customer_id_fallback(frame: pd.DataFrame, sheet: str) -> tuple[pd.DataFrame, str | None]:
    """Without customer ids (no column, or an empty one), the customer name is the id; the
    note says so."""
    if CUSTOMER_NAME not in frame.columns:
        return frame, None
    if CUSTOMER_ID in frame.columns and not frame[CUSTOMER_ID].isna().all():
        return frame, None
    frame = frame.copy()
    position = 0
    if CUSTOMER_ID in frame.columns:
        position = list(frame.columns).index(CUSTOMER_ID)
        frame = frame.drop(columns=CUSTOMER_ID)
    frame.insert(position, CUSTOMER_ID, frame[CUSTOMER_NAME])
    return frame, f"Sheet '{sheet}': no customer ids; the customer name is used as the id."


def combine(frames: list[pd.DataFrame], sheets: list[str]) -> pd.DataFrame:
    """Frames of several sheets, one after the other; ``source_sheet`` a Categorical of the
    sheet names in workbook order."""
    if len(frames) == 1:
        return frames[0]
    codes = np.concatenate([np.full(len(f), i, dtype=np.int16) for i, f in enumerate(frames)])
    combined = pd.concat([f.drop(columns=SOURCE_SHEET) for f in frames], ignore_index=True)
    position = list(combined.columns).index(SOURCE_ROW)
    combined.insert(position, SOURCE_SHEET, pd.Categorical.from_codes(codes, categories=sheets))
    # each sheet's (sheet, field) -> "C (Amount)", for Data quality rows
    combined.attrs["headers"] = {k: v for f in frames for k, v in f.attrs.get("headers", {}).items()}
    return combined


def values_frame(
    sheet: str, header: SheetHeader, body: Sequence[Sequence[Any]], fields: dict[str, int],
    extras: dict[int, str] | None = None,
) -> pd.DataFrame:
    """The rows below ``header`` (``body``: cell values from column A, the first of them the
    row after the header) as raw object columns named by ``fields``, plus the ``extras``
    columns whose values are all numbers, plus ``source_sheet`` / ``source_row``. Rows with no
    value in any of these columns are dropped. Values are passed on as the cells hold them."""

    def cells(index: int) -> list[Any]:
        return [row[index] if index < len(row) else None for row in body]

    columns: dict[str, Any] = {field: cells(i) for field, i in fields.items()}
    for index, name in (extras or {}).items():
        values = cells(index)
        present = [v for v in values if not _empty(v)]
        if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            columns[name] = [None if _empty(v) else v for v in values]
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in columns.items()},
                         index=pd.RangeIndex(len(body)))
    frame[SOURCE_ROW] = np.arange(header.row + 1, header.row + 1 + len(body), dtype=np.int64)
    keep = np.zeros(len(body), dtype=bool)
    for name in columns:  # like the file reader: an empty cell, not blank text, is no value
        keep |= ~np.fromiter((_empty(v) for v in frame[name]), dtype=bool, count=len(frame))
    frame = frame.loc[keep].reset_index(drop=True)
    frame.insert(len(frame.columns) - 1, SOURCE_SHEET, pd.Categorical.from_codes(
        np.zeros(len(frame), dtype=np.int8), categories=[sheet]))
    return frame


def sheet_notes(sheet: str, header: SheetHeader, match: HeaderMatch, rows: int,
                name_as_id: bool) -> list[tuple[str, str, str, str]]:
    """The notes (core.columns.NOTE_COLUMNS rows) of one sales sheet read: rows read, the
    column used per field ("C (Amount)"), headers that fit a field twice, name used as id."""
    notes = [(sheet, "", NOTE_SHEET_READ, str(rows))]
    for field, col in match.items():
        if field in SALES_FIELDS:
            notes.append((sheet, field, NOTE_HEADER_USED, column_label(col, header.cells[col])))
    for field, cols in match.duplicates.items():
        notes.append((sheet, field, NOTE_HEADER_DUPLICATE,
                      ", ".join(column_label(c, header.cells[c]) for c in cols)))
    if name_as_id:
        notes.append((sheet, CUSTOMER_ID, NOTE_CUSTOMER_NAME_AS_ID, ""))
    return notes


# -- previous tiers ----------------------------------------------------------------------


def previous_tier_columns(header: SheetHeader) -> dict[str, int] | None:
    """0-based columns of ``customer_id``, ``abc_tier`` and (when present) ``score_tier`` in a
    Tiers sheet's header row (either language); None without an id or ABC tier column."""
    keys = [normalize_header(h) for h in header.cells]
    where = {}
    for field, names in PREVIOUS_HEADERS.items():
        wanted = {normalize_header(n) for n in names}
        where[field] = next((i for i, k in enumerate(keys) if k in wanted), None)
    if where[CUSTOMER_ID] is None or where["abc_tier"] is None:
        return None
    return {f: i for f, i in where.items() if i is not None}


def previous_tiers_frame(ids: pd.Series, abc: pd.Series, score: pd.Series | None) -> pd.DataFrame:
    """``customer_id``, ``abc_tier`` (A..D), ``score_tier`` (VIP / Regular / Potential) from a
    Tiers sheet's columns as text, labels in either language mapped back to the keys; rows
    without an id dropped."""
    ids = _strip_text(ids.reset_index(drop=True))
    abc = _strip_text(abc.reset_index(drop=True)).str[:1].str.upper()
    abc = abc.where(abc.isin(list("ABCD")))
    if score is not None:
        codes, labels = pd.factorize(score.reset_index(drop=True))
        # one key per distinct label, taken per row as text (no Python object per row)
        keys = pd.array([SCORE_TIER_KEYS.get(normalize_header(v)) for v in labels], dtype="str")
        score = pd.Series(keys.take(codes, allow_fill=True), index=ids.index)  # -1: missing
    else:
        score = pd.Series(None, index=ids.index, dtype="str")
    frame = pd.DataFrame({CUSTOMER_ID: ids, "abc_tier": abc, "score_tier": score})
    return frame.loc[ids.notna()].reset_index(drop=True)


def previous_tiers_from_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Previous tiers from the columns ``customer_id``, ``abc_tier`` (and ``score_tier``) of
    a Tiers sheet as a source reads them (``Source.columns``); cells as text, 1001.0 -> "1001"."""

    def texts(field: str) -> pd.Series:
        column = frame[field]
        if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
            return column.where(column != "").reset_index(drop=True)  # text cells only: as read
        return pd.Series([_text(v) if not _empty(v) else None for v in column], dtype="str")

    return previous_tiers_frame(texts(CUSTOMER_ID), texts("abc_tier"),
                                texts("score_tier") if "score_tier" in frame else None)


def _text(value: Any) -> str | None:
    """A cell as the file reader's string column holds it: 1001.0 -> "1001"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _strip_text(series: pd.Series) -> pd.Series:
    text = series.astype("str").str.strip()
    return text.where(series.notna() & (text != ""))


def is_blank(value: Any) -> bool:
    """True for an empty cell: None, "" or whitespace, NaN."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and np.isnan(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and np.isnan(value))
