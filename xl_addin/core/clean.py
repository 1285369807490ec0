"""Clean raw transactions: canonical types, and a data-quality table of the rows left out.

Everything here is vectorised. Text columns are parsed on their distinct values only
(``pd.factorize``), so a million rows with a few thousand distinct dates or ids cost little.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

import numpy as np
import pandas as pd

from ..errors import InputError
from .background import BackgroundCall
from .values import (
    DATE_DTYPE,
    NOT_A_NUMBER,
    boolean_cells,
    parse_date_column,
    parse_number_column,
)
from .columns import (
    NOTE_DATE_ORDER,
    NOTE_TEXT_CUT,
    NOTE_DECIMAL_SEPARATOR,
    AMOUNT,
    ATTRIBUTE_COLUMNS,
    COST,
    CUSTOMER_ID,
    DATA_QUALITY_COLUMNS,
    DATE,
    ORDER_ID,
    REQUIRED_TRANSACTION_COLUMNS,
    SOURCE_ROW,
    SOURCE_SHEET,
    WALLET,
)


REASON_BLANK_ID = "blank customer id"
REASON_BLANK_DATE = "blank date"
REASON_BAD_DATE = "date not recognised"
REASON_BLANK_AMOUNT = "blank amount"
REASON_BAD_AMOUNT = "amount is not a number"
REASON_BAD_COST = "cost is not a number"

MAX_CELL_TEXT = 32_767  # Excel's limit of characters in one cell
REASON_BOOLEAN_ID = "TRUE/FALSE is not a customer id"
REASON_AFTER_AS_OF = "date after the analysis date (as_of)"
REASON_FUTURE = "date in the future"


def clean_transactions(
    raw: pd.DataFrame,
    *,
    require_date: bool = True,
    sort_order_ids: bool = True,
    categorise_attributes: bool = True,
    date_order: str = "YMD",
    decimal_separator: str = "auto",
    as_of: pd.Timestamp | dt.date | None = None,
    today: pd.Timestamp | dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn raw sale lines with canonical column names into typed rows, and report the rest.

    Returns ``(transactions, data_quality)``:

    * ``transactions``: the usable rows, in input order, index reset. ``customer_id`` text
      (stripped; a whole number read as 1001.0 becomes "1001"), ``date`` ``DATE_DTYPE``
      (datetime64[s]) at midnight, ``amount`` float64 (negative = a return), ``cost`` float64
      when the column exists (blank cost = 0), ``order_id`` text, attribute columns text
      (blank = missing), ``wallet`` float64 (not a number = missing). Other columns pass
      through unchanged; ``source_sheet`` / ``source_row`` are dropped. ``customer_id``,
      ``order_id`` and the attribute columns are pandas Categoricals of "str" categories
      (sorted, only the distinct texts are stored), so grouping by them costs no hashing.
      ``transactions.attrs["notes"]``: the choices made per sheet and column (``NOTE_COLUMNS``
      rows as tuples: the decimal mark and the day/month order used for text values).
    * ``require_date=False`` makes the date column optional (the worksheet functions get no
      dates): without one, rows are not checked for a date and the result has no ``date``
      column; when there is one it is cleaned as usual.
    * ``sort_order_ids=False`` may leave ``order_id``'s categories unsorted (same text per
      row): for callers that only count distinct orders, it saves sorting up to a million
      distinct order ids.
    * ``categorise_attributes=False`` leaves an attribute column of pandas "str" text as it
      came (not stripped, blanks kept; only the unusable rows dropped): for callers that read
      a few lines' attributes (``tier_customers`` reads each customer's latest), it saves
      hashing a million texts per column. ``text_present`` tells which lines have a text and
      ``normalise_text`` gives the text the Categorical would hold. Other dtypes, and a
      column with a text over Excel's cell limit, are made Categoricals all the same.
    * ``as_of``: rows dated after it are left out ("date after the analysis date"); without
      it, ``today`` (when given) leaves out rows dated after it ("date in the future").
    * ``data_quality``: one row per problem (``DATA_QUALITY_COLUMNS``): where (``sheet`` and
      1-based ``row`` from ``source_sheet`` / ``source_row`` when present, else sheet "" and
      the row's 1-based position), the ``column``, the ``value`` as text, and the ``reason``.
      A row is left out when its customer id is blank or TRUE/FALSE, its date is blank, not
      recognised or out of range, its amount is blank or not a usable number, or its cost is
      not a usable number (see ``core.values`` for the date and number rules, ``date_order``
      and ``decimal_separator``).

    Raises ``InputError`` when a required column is missing (naming it and listing the columns
    found) or when there are no rows.
    """
    required = [c for c in REQUIRED_TRANSACTION_COLUMNS if require_date or c != DATE]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        found = ", ".join(map(str, raw.columns)) or "none"
        raise InputError(
            f"required column '{missing[0]}' is missing (columns found: {found})",
            column=missing[0],
            hint="Map a header to it in the Settings sheet (column_map).",
        )
    if len(raw) == 0:
        raise InputError("the sales data has no rows", hint="Add at least one sale line.")
    # order ids are hashed in a second thread while the customer ids are (pyarrow and numpy
    # release the GIL): on two cores a million rows' two hashes take the time of one
    order_ids = BackgroundCall(text_categorical, raw[ORDER_ID], sort=sort_order_ids) \
        if ORDER_ID in raw.columns and len(raw) >= THREAD_ROWS else None
    with order_ids if order_ids is not None else nullcontext():  # no thread outlives the call
        return _clean_rows(raw, order_ids, require_date, sort_order_ids, categorise_attributes, date_order,
                           decimal_separator, as_of, today)


def _clean_rows(raw: pd.DataFrame, order_ids: BackgroundCall | None, require_date: bool, sort_order_ids: bool,
                categorise_attributes: bool, date_order: str, decimal_separator: str,
                as_of: pd.Timestamp | dt.date | None, today: pd.Timestamp | dt.date | None,
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``clean_transactions`` once its arguments are checked; ``order_ids``: the order ids'
    ``text_categorical`` started meanwhile (None: made here)."""
    out: dict[str, pd.Series | np.ndarray] = {}
    # column, bad rows, values, reason (one text, or one per row)
    problems: list[tuple[str, np.ndarray, pd.Series, str | np.ndarray]] = []
    notes: list[tuple[str, str, str, str]] = []

    # the source sheet of every row, hashed once for the three parsed columns
    sheets = pd.Categorical(raw[SOURCE_SHEET]) if SOURCE_SHEET in raw.columns else None
    id_is_bool = _booleans(raw[CUSTOMER_ID])
    ids = text_categorical(raw[CUSTOMER_ID].astype(object).where(~id_is_bool, None)
                           if id_is_bool.any() else raw[CUSTOMER_ID])
    problems.append((CUSTOMER_ID, (ids.codes < 0) & ~id_is_bool, raw[CUSTOMER_ID], REASON_BLANK_ID))
    problems.append((CUSTOMER_ID, id_is_bool, raw[CUSTOMER_ID], REASON_BOOLEAN_ID))
    out[CUSTOMER_ID] = ids

    if DATE in raw.columns:
        dates, reasons, flagged = _by_sheet(raw, DATE, parse_date_column, date_order, NOTE_DATE_ORDER,
                                            notes, sheets)
        unparsed = dates.isna().to_numpy() & ~flagged
        blank_date = _is_blank(raw[DATE], among=unparsed)
        problems.append((DATE, blank_date, raw[DATE], REASON_BLANK_DATE))
        problems.append((DATE, unparsed & ~blank_date, raw[DATE], REASON_BAD_DATE))
        problems.append((DATE, flagged, raw[DATE], reasons))
        limit, reason = (as_of, REASON_AFTER_AS_OF) if as_of is not None else (today, REASON_FUTURE)
        if limit is not None:
            day = np.datetime64(pd.Timestamp(limit).date(), "D").astype(DATE_DTYPE)
            problems.append((DATE, (dates > day).to_numpy(), raw[DATE], reason))
        out[DATE] = dates

    amounts, reasons, flagged = _by_sheet(raw, AMOUNT, parse_number_column, decimal_separator,
                                          NOTE_DECIMAL_SEPARATOR, notes, sheets)
    unparsed = amounts.isna().to_numpy() & ~flagged
    blank_amount = _is_blank(raw[AMOUNT], among=unparsed)
    problems.append((AMOUNT, blank_amount, raw[AMOUNT], REASON_BLANK_AMOUNT))
    problems.append((AMOUNT, unparsed & ~blank_amount, raw[AMOUNT], REASON_BAD_AMOUNT))
    problems.append((AMOUNT, flagged, raw[AMOUNT], _number_reasons(reasons, flagged, REASON_BAD_AMOUNT)))
    out[AMOUNT] = amounts

    if COST in raw.columns:
        costs, reasons, flagged = _by_sheet(raw, COST, parse_number_column, decimal_separator,
                                            NOTE_DECIMAL_SEPARATOR, notes, sheets)
        unparsed = costs.isna().to_numpy() & ~flagged
        blank_cost = _is_blank(raw[COST], among=unparsed)
        problems.append((COST, unparsed & ~blank_cost, raw[COST], REASON_BAD_COST))
        problems.append((COST, flagged, raw[COST], _number_reasons(reasons, flagged, REASON_BAD_COST)))
        out[COST] = costs.fillna(0.0)

    if ORDER_ID in raw.columns:
        out[ORDER_ID] = order_ids.result() if order_ids is not None else \
            text_categorical(raw[ORDER_ID], sort=sort_order_ids)
    for name in ATTRIBUTE_COLUMNS:
        if name in raw.columns:
            if categorise_attributes or not _short_arrow_texts(raw[name]):
                out[name] = text_categorical(raw[name])
            else:
                out[name] = raw[name]  # read on a few lines only, by the caller
    if WALLET in raw.columns:
        out[WALLET] = parse_numbers(raw[WALLET], decimal_separator)

    for name in (CUSTOMER_ID, ORDER_ID, *ATTRIBUTE_COLUMNS):
        if name in out and isinstance(out[name], pd.Categorical):
            out[name] = _cut_long_texts(out[name], name, notes)

    handled = set(out) | {SOURCE_SHEET, SOURCE_ROW}
    for name in raw.columns:
        if name not in handled:
            out[name] = raw[name]

    # one row is listed once, with its first problem (columns in the order checked above)
    bad = np.zeros(len(raw), dtype=bool)
    listed = []
    for column, mask, values, reason in problems:
        mask = mask & ~bad
        bad |= mask
        listed.append((column, mask, values, reason))
    clean = pd.DataFrame(out, index=raw.index)
    if bad.any():
        # each column's array filtered on its own, the new arrays kept as they are (copy=False:
        # no block consolidation, no index to carry): ~25% quicker than ``clean.loc[~bad]``
        # and less memory at the peak, same values and dtypes
        keep = ~bad
        clean = pd.DataFrame({name: clean[name].array[keep] for name in clean.columns}, copy=False)
        for name in (CUSTOMER_ID, ORDER_ID, *ATTRIBUTE_COLUMNS):
            if name in clean.columns and isinstance(clean[name].dtype, pd.CategoricalDtype):
                clean[name] = drop_unused_categories(clean[name].array)
    clean = clean.reset_index(drop=True)
    clean.attrs["notes"] = tuple(notes)
    return clean, _data_quality(raw, listed)


THREAD_ROWS = 200_000  # from this many rows the order ids are hashed in a second thread


TYPED_CELLS = "typed_cells"  # raw.attrs key of a TypedCells (the file reader sets it)


class TypedCells:
    """What a reader knows about its object columns, so cleaning need not look at a million
    Python objects: column -> (the column's values typed, float64 or datetime64, missing where
    a cell did not fit; the 0-based rows of those cells, whose raw values the object column
    holds). Kept in ``raw.attrs[TYPED_CELLS]``; pandas copies attrs on every operation, so
    a copy is this same object, and a frame of another length is never read with it."""

    def __init__(self, columns: dict[str, tuple[np.ndarray, np.ndarray]], rows: int) -> None:
        self.columns = columns
        self.rows = rows

    def __deepcopy__(self, memo: dict) -> TypedCells:
        return self

    def get(self, column: str, rows: int) -> tuple[np.ndarray, np.ndarray] | None:
        found = self.columns.get(column)
        return found if found is not None and rows == self.rows else None


def _typed_cells(raw: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    typed = raw.attrs.get(TYPED_CELLS)
    if not isinstance(typed, TypedCells) or raw[column].dtype != object:
        return None
    return typed.get(column, len(raw))


def _parse(parser, values: pd.Series, option: str, typed: tuple[np.ndarray, np.ndarray] | None
           ) -> tuple[pd.Series, np.ndarray, str | None, np.ndarray]:
    """``parser(values, option)`` and the rows with a problem key (``_flagged``); with
    ``typed`` (``TypedCells``), the same result from the typed values at once and the few raw
    cells on their own (a choice such as the decimal mark comes from text, and only raw cells
    hold text), and the flagged rows found from the typed values' keys and those cells'."""
    if typed is None:
        parsed, reasons, choice = parser(values, option)
        return parsed, reasons, choice, _flagged(reasons)
    array, cells = typed
    parsed, reasons, _ = parser(pd.Series(array, index=values.index), option)
    flagged = _flagged(reasons)
    if not len(cells):
        return parsed, reasons, None, flagged
    cell_parsed, cell_reasons, choice = parser(
        pd.Series(values.to_numpy(dtype=object)[cells], dtype=object), option)
    parsed = parsed.copy()
    parsed.iloc[cells] = cell_parsed.to_numpy()
    reasons = np.array(reasons, dtype=object)
    reasons[cells] = cell_reasons
    flagged[cells] = np.asarray(cell_reasons, dtype=object) != ""
    return parsed, reasons, choice, flagged


def _by_sheet(raw: pd.DataFrame, column: str, parser, option: str, note_key: str, notes: list,
              sheets: pd.Categorical | None = None) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """``parser(values, option)`` on each source sheet's rows apart (a choice such as the
    decimal mark is made per sheet and column); the choices go to ``notes``. Returns the
    parsed values, the problem keys and the rows with a key."""
    values = raw[column]
    if SOURCE_SHEET not in raw.columns:
        parsed, reasons, choice, flagged = _parse(parser, values, option, _typed_cells(raw, column))
        if choice is not None:
            notes.append(("", column, note_key, choice))
        return parsed, reasons, flagged
    if sheets is None:
        sheets = pd.Categorical(raw[SOURCE_SHEET])
    if len(sheets.categories) <= 1:
        parsed, reasons, choice, flagged = _parse(parser, values, option, _typed_cells(raw, column))
        if choice is not None:
            notes.append((str(sheets.categories[0]) if len(sheets.categories) else "", column,
                          note_key, choice))
        return parsed, reasons, flagged
    parts, reasons = [], np.full(len(raw), "", dtype=object)
    for code, sheet in enumerate(sheets.categories):
        where = np.flatnonzero(sheets.codes == code)
        parsed, part_reasons, choice = parser(values.iloc[where], option)
        parts.append(parsed)
        reasons[where] = part_reasons
        if choice is not None:
            notes.append((str(sheet), column, note_key, choice))
    return pd.concat(parts).reindex(values.index), reasons, _flagged(reasons)


def _cut_long_texts(values: pd.Categorical, column: str, notes: list) -> pd.Categorical:
    """Texts longer than Excel's cell limit (32,767 characters) cut at it, with a note: they
    could not be written back to a sheet as they are."""
    categories = pd.Index(values.categories)
    if not len(categories) or categories.str.len().max() <= MAX_CELL_TEXT:
        return values
    long = int((categories.str.len() > MAX_CELL_TEXT).sum())
    notes.append(("", column, NOTE_TEXT_CUT, str(long)))
    cut = pd.Series(values, dtype=object).astype("str").str.slice(0, MAX_CELL_TEXT)
    return text_categorical(cut)


def _arrow_texts(values: pd.Series):
    """The pyarrow array behind pandas "str" text stored by pyarrow (what the readers give),
    else None."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa

        return pa.array(values.array)
    return None


def _short_arrow_texts(values: pd.Series) -> bool:
    """Pyarrow-stored text with no cell over Excel's limit (bytes bound characters above)."""
    texts = _arrow_texts(values)
    if texts is None:
        return False
    import pyarrow.compute as pc

    longest = pc.max(pc.binary_length(texts)).as_py()
    return longest is None or longest <= MAX_CELL_TEXT


def text_positions(values, wanted) -> np.ndarray:
    """The position in ``values`` of each of ``wanted`` (its first occurrence; -1 = absent or
    missing), both compared as "str" text. One pyarrow ``index_in`` (a hash of ``values`` in
    C++), no per-value hashing of Python objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = pa.array(pd.Series(values, dtype="str").array)
    found = pc.index_in(pa.array(pd.Series(wanted, dtype="str").array), value_set=texts, skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def text_present(values: pd.Series) -> np.ndarray:
    """The lines whose value gives a text (``text_categorical`` keeps them; missing, empty and
    whitespace-only cells do not). Pyarrow text is checked per line in C: whitespace-only
    is ``utf8_is_space``, the same characters ``str.strip`` removes."""
    texts = _arrow_texts(values)
    if texts is None:
        return text_categorical(values).codes >= 0
    import pyarrow.compute as pc

    blank = pc.or_kleene(pc.utf8_is_space(texts), pc.equal(pc.binary_length(texts), 0))
    if texts.null_count == 0 and not pc.any(blank).as_py():
        return np.ones(len(texts), dtype=bool)  # the usual case: every line has a text
    return pc.and_not(texts.is_valid(), pc.fill_null(blank, True)).to_numpy(zero_copy_only=False)


def _flagged(reasons: np.ndarray) -> np.ndarray:
    """Rows with a problem key (a new array, computed once per column). Keys from
    ``no_problems`` (one shared "" for every row) are recognised by their zero stride, not
    compared row by row."""
    if reasons.ndim == 1 and len(reasons) and reasons.strides == (0,):
        return np.full(len(reasons), reasons[0] != "", dtype=bool)
    return np.asarray(reasons != "", dtype=bool)


def _number_reasons(reasons: np.ndarray, flagged: np.ndarray, not_a_number: str) -> np.ndarray:
    """The parser's keys, with its generic "not a number" said as the column's own reason.
    Only the ``flagged`` rows are looked at (the data-quality table reads no other)."""
    flagged = np.flatnonzero(flagged)
    if not len(flagged):
        return reasons
    said = reasons.copy()
    said[flagged] = np.where(reasons[flagged] == NOT_A_NUMBER, not_a_number, reasons[flagged])
    return said


def _booleans(values: pd.Series) -> np.ndarray:
    return boolean_cells(values)


def drop_unused_categories(values: pd.Categorical) -> pd.Categorical:
    """``values`` without the categories no row uses (order kept). One bincount, no hashing."""
    used = np.bincount(values.codes[values.codes >= 0], minlength=len(values.categories)) > 0
    if used.all():
        return values
    new_code = np.cumsum(used) - 1
    codes = np.where(values.codes >= 0, new_code[np.maximum(values.codes, 0)], -1)
    return categorical_from_codes(codes, values.categories[used])


def normalise_ids(values: pd.Series) -> pd.Series:
    """Ids as stripped text; whole numbers lose ".0" (1001.0 -> "1001"); blanks -> missing."""
    if value_kind(values) == "mixed":  # Python-level rules: apply them to distinct values only
        return pd.Series(text_categorical(values), index=values.index).astype("str")
    texts = _id_texts(values.astype("float64") if value_kind(values) == "number" else values)
    texts.index = values.index
    return texts


def normalise_text(values: pd.Series) -> pd.Series:
    """Descriptive text, stripped; blanks -> missing. Numbers keep their text form (1.0 -> "1")."""
    return normalise_ids(values)


def text_categorical(values: pd.Series, *, sort: bool = True) -> pd.Categorical:
    """``normalise_ids`` as a pandas Categorical whose categories are the distinct texts, sorted.

    The work is done once per distinct value, not per row: one hash pass over the rows
    (``pd.factorize``), the text rules on the distinct values, then integer codes. Distinct raw
    values that give the same text (" C2" and "C2", 7 and 7.0) share one category.
    ``sort=False`` may leave the categories in first-seen order (same texts, same rows): it
    saves sorting up to a million distinct texts when only the grouping matters.
    """
    if isinstance(values.dtype, pd.StringDtype):
        # pandas "str" text (what the readers give): checked on the distinct values with
        # pandas' string methods, never converted to Python objects row by row
        codes, uniques = pd.factorize(values, sort=sort, use_na_sentinel=True)
        uniques = pd.Index(uniques, dtype="str")
        if len(uniques) == 0 or (
            bool((uniques.str.strip() == uniques).all()) and bool((uniques != "").all())
        ):
            return categorical_from_codes(codes, uniques)  # the usual case: already clean
    if value_kind(values) == "number":
        values = values.astype("float64")
    raw = pd.Categorical(values)  # one hash pass; categories sorted when they compare
    texts = _id_texts(raw.categories)
    if (
        raw.categories.dtype == "str"
        and texts.notna().all()
        and np.array_equal(texts.to_numpy(dtype=object), raw.categories.to_numpy(dtype=object))
    ):
        return raw  # every distinct value is already clean text
    # factorize(sort=True) on the distinct texts: merges equal texts, orders categories
    text_codes, categories = pd.factorize(texts, sort=True, use_na_sentinel=True)
    codes = raw.codes
    codes = np.where(codes >= 0, text_codes[np.maximum(codes, 0)] if len(text_codes) else -1, -1)
    return categorical_from_codes(codes, pd.Index(categories, dtype="str"))


def categorical_from_codes(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """``pd.Categorical.from_codes`` for categories known to be distinct (from ``factorize``
    or a subset of existing categories) and codes known to be in range (-1 = missing).

    Skips pandas' checks, which for a million distinct texts cost more than building the
    codes: uniqueness hashes every category as a Python object. Falls back to the checked
    constructor if pandas' fast path is not there.
    """
    from_fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if from_fastpath is None:
        return pd.Categorical.from_codes(codes, categories=categories)
    return pd.Categorical.from_codes(codes, dtype=from_fastpath(categories, False), validate=False)


def _id_texts(values) -> pd.Series:
    """The id text of each value (missing for blanks), as a "str" Series with a fresh index.
    Vectorised for all-number or all-text values; mixed values go one by one."""
    kind = value_kind(pd.Series(values)) if len(values) else "text"
    if kind == "number":
        numbers = np.asarray(values, dtype="float64")
        finite = np.isfinite(numbers)
        whole = finite & (numbers == np.floor(numbers)) & (np.abs(numbers) < 2**53)
        result = np.full(len(numbers), None, dtype=object)
        result[whole] = numbers[whole].astype("int64").astype(str)
        other = finite & ~whole
        result[other] = numbers[other].astype(str)
        return pd.Series(result, dtype="str")
    if kind == "text":
        text = pd.Series(values, dtype="str").reset_index(drop=True).str.strip()
        return text.mask(text == "")
    return pd.Series([id_text(u) for u in values], dtype=object).astype("str")


def value_kind(values: pd.Series) -> str:
    """"number", "text" or "mixed" (checked in C by ``infer_dtype``, not row by row)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return "mixed"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "number"
    if values.dtype != object:
        return "text" if pd.api.types.is_string_dtype(values.dtype) else "mixed"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "number"
    if inferred in ("string", "empty"):
        return "text"
    return "mixed"


def id_text(value: object) -> str | None:
    """One customer or order id as text, the rule ``normalise_ids`` applies to each distinct
    value: whole numbers lose ".0" (1001.0 -> "1001"), dates become YYYY-MM-DD, TRUE/FALSE
    upper case, text is stripped; blank -> None."""
    if isinstance(value, (bool, np.bool_)):
        return str(value).upper()
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    elif isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    return text or None


def parse_numbers(values: pd.Series, decimal_separator: str = "auto") -> pd.Series:
    """Numbers as float64 by ``values.parse_number_column``'s rules ("1,234.50", "¥1200",
    "1200元", "(500)" = -500); anything else, TRUE/FALSE and magnitudes above 1e15 -> NaN."""
    return parse_number_column(values, decimal_separator)[0]


def parse_dates(values: pd.Series, date_order: str = "YMD") -> pd.Series:
    """Dates at midnight (``DATE_DTYPE``, datetime64[s]); unrecognised or out of range -> NaT.
    See ``values.parse_date_column``."""
    return parse_date_column(values, date_order)[0]


def _is_blank(values: pd.Series, among: np.ndarray | None = None) -> np.ndarray:
    """Missing or whitespace-only cells. ``among``: only these rows can be blank (a blank never
    parses, so callers pass the rows that did not parse and the rest is not looked at)."""
    if among is not None:
        blank = np.zeros(len(values), dtype=bool)
        where = np.flatnonzero(among)
        if len(where):
            blank[where] = _is_blank(values.iloc[where])
        return blank
    blank = values.isna().to_numpy()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        empty = np.array([isinstance(u, str) and not u.strip() for u in uniques], dtype=bool)
        blank = blank | ((codes >= 0) & empty[np.maximum(codes, 0)] if len(uniques) else blank)
    return blank


def _data_quality(raw: pd.DataFrame, problems: list) -> pd.DataFrame:
    frames = []
    # the reader's (sheet, field) -> "C (Amount)": the user's own column, not our field name
    shown = raw.attrs.get("headers") or {}
    for column, mask, values, reason in problems:
        if not mask.any():
            continue
        where = np.flatnonzero(mask)
        # sheet and row of the listed rows only: a clean million rows costs nothing here
        if SOURCE_ROW in raw.columns:
            rows = pd.to_numeric(raw[SOURCE_ROW].iloc[where], errors="coerce").to_numpy()
        else:
            rows = where + 1
        if SOURCE_SHEET in raw.columns:
            listed_sheets = raw[SOURCE_SHEET].iloc[where]
            sheets = listed_sheets.astype(object).where(listed_sheets.notna(), "").to_numpy()
        else:
            sheets = np.full(len(where), "", dtype=object)
        raw_values = values.iloc[where].to_numpy(dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "sheet": sheets,
                    "row": rows,
                    "column": [shown.get((s, column), column) for s in sheets]
                    if shown else column,
                    "value": [_value_text(v) for v in raw_values],
                    "reason": reason if isinstance(reason, str) else reason[where],
                    "_order": where,
                }
            )
        )
    if not frames:
        return empty_data_quality()
    table = pd.concat(frames, ignore_index=True).sort_values("_order", kind="stable")
    table = table.drop(columns="_order").reset_index(drop=True)
    table["sheet"] = table["sheet"].astype(str)
    table["row"] = table["row"].astype("Int64")
    return table[list(DATA_QUALITY_COLUMNS)]


def _value_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    return str(value)[:MAX_CELL_TEXT]


def empty_data_quality() -> pd.DataFrame:
    """A data-quality table with no rows and the fixed columns."""
    return pd.DataFrame(
        {
            "sheet": pd.Series(dtype="str"),
            "row": pd.Series(dtype="Int64"),
            "column": pd.Series(dtype="str"),
            "value": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
        }
    )
