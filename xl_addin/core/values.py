"""How one column of cell values becomes dates or numbers: the rules Excel and a careful
accountant use, decided per column and never guessed silently.

Each parser works on the column's distinct values (``pd.factorize``), loops only (never
recursion), and returns the parsed values, a per-row problem key ("" = fine or blank: blanks
are the caller's business) and the choice it made for the column (a note for the user).

Dates
    ``datetime64[s]`` at midnight: seconds hold every date Excel can (1900-01-01 to
    9999-12-31), nanoseconds stop in 2262. Excel serial numbers are in the 1900 system (the
    workbook reader converts 1904 workbooks). Text: ISO ``2025-03-01`` (time allowed),
    ``2025/3/1``, ``2025.3.1``, ``2025年3月1日``; ``01.03.2025`` is day first, always;
    ``a/b/yyyy`` (or ``a-b-yyyy``) follows one order per column: the one its unambiguous values
    show (13/03/2025 is day first), else ``date_order`` when it is MDY or DMY; with the default
    YMD and no evidence, a value whose day and month could be swapped (03/04/2025) is a problem
    row, never a guess. A value contradicting the column's order is a problem row. Text with
    a month name ("1 Mar 2025", "March 1, 2025") is read by pandas. Before 1900 or serial < 1:
    out of range.

Numbers
    float64. Text may carry a currency sign or code, spaces or apostrophes between digit groups,
    a sign, or accounting brackets: "(500)" is -500. ``decimal_separator`` "." or "," says which
    mark is the decimal point; "auto" takes the one the column's unambiguous texts use
    ("1.234,50", "12,5" -> ","; "1,234.50", "12.5" -> "."; a tie -> "."), and without any such
    text a value that reads differently under the two ("1,234") is a problem row. TRUE/FALSE,
    error values, non-finite numbers and magnitudes above ``MAX_NUMBER`` (1e15, Excel's
    15 significant digits) are problem rows, so sums stay finite.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

DATE_DTYPE = "datetime64[s]"
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # serial 0 in the 1900 system (serials >= 61)
MIN_DATE = np.datetime64("1900-01-01", "D")
MAX_DATE = np.datetime64("9999-12-31", "D")
MAX_EXCEL_SERIAL = 2958465  # 9999-12-31
MAX_NUMBER = 1e15  # beyond Excel's 15 significant digits: a typo or a broken export

DATE_ORDERS = ("YMD", "MDY", "DMY")
DECIMAL_SEPARATORS = ("auto", ".", ",")

# Problem keys (English; shown as they are, translated by the report layer)
DATE_NOT_RECOGNISED = "date not recognised"
DATE_OUT_OF_RANGE = "date out of range (before 1900-01-01 or after 9999-12-31)"
DATE_AMBIGUOUS = "ambiguous date: day and month could be swapped (set date_order in Settings)"
DATE_AGAINST_ORDER = "date does not follow the day/month order of its column"
NOT_A_NUMBER = "not a number"
BOOLEAN_NOT_A_NUMBER = "TRUE/FALSE is not a number"
BOOLEAN_NOT_A_DATE = "TRUE/FALSE is not a date"
ERROR_VALUE = "the cell holds an error value"
NUMBER_TOO_LARGE = "number too large (more than 1e15) or not finite"
NUMBER_AMBIGUOUS = "ambiguous number: could be read with either decimal mark (set decimal_separator in Settings)"
NUMBER_AGAINST_SEPARATOR = "number does not use the decimal mark of its column"
PROBLEM_KEYS = (DATE_NOT_RECOGNISED, DATE_OUT_OF_RANGE, DATE_AMBIGUOUS, DATE_AGAINST_ORDER,
                NOT_A_NUMBER, BOOLEAN_NOT_A_NUMBER, BOOLEAN_NOT_A_DATE, ERROR_VALUE,
                NUMBER_TOO_LARGE, NUMBER_AMBIGUOUS, NUMBER_AGAINST_SEPARATOR)

EXCEL_ERROR_VALUES = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
)

_TIME = r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_YMD = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})" + _TIME + r"$")
_DOTTED_DMY = re.compile(r"^(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})" + _TIME + r"$")
_SLASHED = re.compile(r"^(\d{1,2})\s*([/-])\s*(\d{1,2})\s*\2\s*(\d{4})" + _TIME + r"$")
_SERIAL_TEXT = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_HAS_LETTER = re.compile(r"[^\W\d_]")

_CURRENCY = re.compile(r"[¥￥$€£₩₹]|\b(?:RMB|CNY|USD|EUR|GBP|JPY|HKD)\b|元$|円$", re.I)
_GROUP_SPACE = re.compile(r"[\s\u00a0\u202f\u2009']")
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?[eE][+-]?\d+$")
_BODY = re.compile(r"^[\d.,]*\d[\d.,]*$")
_UNDER = {
    ".": re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$"),
    ",": re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+)?(?:,\d+)?$"),
}


def boolean_cells(values: pd.Series) -> np.ndarray:
    """Mask of the cells holding TRUE/FALSE. Looked at one by one in an object column:
    hashing would merge True with 1.0 (``pd.factorize`` treats them as equal)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.notna().to_numpy()
    if values.dtype != object:
        return np.zeros(len(values), dtype=bool)
    objects = values.to_numpy(dtype=object)
    return np.fromiter((type(v) is bool or type(v) is np.bool_ for v in objects), dtype=bool,
                       count=len(objects))


def _without_booleans(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    is_bool = boolean_cells(values)
    if is_bool.any() and not pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype(object).where(~is_bool, None)
    return values, is_bool


_OTHER, _BOOL, _NUMBER, _TEXT = 0, 1, 2, 3


def _kind(value: object) -> int:
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _NUMBER
    return _TEXT if isinstance(value, str) else _OTHER


def _kinds(uniques: np.ndarray) -> np.ndarray:
    return np.fromiter((_kind(v) for v in uniques), dtype=np.int8, count=len(uniques))


def _floats(values: np.ndarray) -> np.ndarray:
    """Python / numpy numbers as float64; an int too large for a float -> inf (a problem)."""
    try:
        return values.astype("float64")
    except OverflowError:
        return np.array([_float(v) for v in values], dtype="float64")


def _float(value) -> float:
    try:
        return float(value)
    except OverflowError:
        return float("inf")


# -- dates ---------------------------------------------------------------------------------


def parse_date_column(
    values: pd.Series, date_order: str = "YMD"
) -> tuple[pd.Series, np.ndarray, str | None]:
    """``(dates, problems, order)``: ``dates`` datetime64[s] at midnight (NaT for blanks and
    problems), ``problems`` one key per row ("" = fine or blank), ``order`` the day/month order
    used for the column's slashed text dates ("DMY" / "MDY"; None when there were none)."""
    n = len(values)
    index = values.index
    if pd.api.types.is_bool_dtype(values.dtype):
        problems = np.where(values.notna().to_numpy(), BOOLEAN_NOT_A_DATE, "").astype(object)
        return pd.Series(np.full(n, np.datetime64("NaT"), DATE_DTYPE), index=index), problems, None
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        days = values.to_numpy().astype("datetime64[D]")
        dates, problems = _checked_days(days)
        return pd.Series(dates, index=index), problems, None
    if pd.api.types.is_numeric_dtype(values.dtype):
        dates, problems = _serial_days(values.to_numpy(dtype="float64"))
        return pd.Series(dates, index=index), problems, None
    values, is_bool = _without_booleans(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        problems = np.where(is_bool, BOOLEAN_NOT_A_DATE, "").astype(object)
        return pd.Series(np.full(n, np.datetime64("NaT"), DATE_DTYPE), index=index), problems, None
    dates, problems, order = _parse_date_values(np.asarray(uniques, dtype=object), date_order)
    taken = np.maximum(codes, 0)
    out_dates = np.where(codes >= 0, dates[taken], np.datetime64("NaT")).astype(DATE_DTYPE)
    out_problems = np.where(codes >= 0, problems[taken], "").astype(object)
    out_problems[is_bool] = BOOLEAN_NOT_A_DATE
    return pd.Series(out_dates, index=index), out_problems, order


def _checked_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[D] -> (datetime64[s] with NaT out of range, problem keys)."""
    bad = ~np.isnat(days) & ((days < MIN_DATE) | (days > MAX_DATE))
    problems = _problem_keys(bad, DATE_OUT_OF_RANGE)
    if bad.any():
        days = np.where(bad, np.datetime64("NaT"), days)
    return days.astype(DATE_DTYPE), problems


def _problem_keys(bad: np.ndarray, key: str) -> np.ndarray:
    """One problem key per row: ``key`` where ``bad``, else "". Filled, not built from a
    string array: a million-row column of mostly "" costs a pointer fill, not a million
    Python strings."""
    if not bad.any():
        return no_problems(len(bad))
    problems = np.full(len(bad), "", dtype=object)
    problems[bad] = key
    return problems


def no_problems(n: int) -> np.ndarray:
    """The problem keys of ``n`` rows without a problem: "" for every row as one read-only,
    zero-stride view (made in no time, and recognised by ``clean`` without comparing a
    million keys; copy it before writing)."""
    return np.broadcast_to(np.array("", dtype=object), (n,))


def _serial_days(serials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel 1900-system serials -> (datetime64[s], problem keys); the time of day is dropped."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(serials) & (serials >= 1) & (serials < MAX_EXCEL_SERIAL + 1)
        out = ~np.isnan(serials) & ~ok
    whole = np.floor(np.where(ok, serials, 0)).astype(np.int64)
    # Excel counts a 29 February 1900 that never was (serial 60): serials 1..60 are one day
    # later from 1899-12-30 than their true date (serial 1 = 1900-01-01; 60 reads as 1 March)
    whole = np.where(whole < 61, whole + 1, whole)
    days = np.where(ok, EXCEL_EPOCH + whole, np.datetime64("NaT"))
    return days.astype("datetime64[D]").astype(DATE_DTYPE), _problem_keys(out, DATE_OUT_OF_RANGE)


def _parse_date_values(uniques: np.ndarray, date_order: str) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Distinct cell values of any type -> (datetime64[s], problem keys, slashed order)."""
    n = len(uniques)
    days = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    problems = np.full(n, DATE_NOT_RECOGNISED, dtype=object)
    kinds = _kinds(uniques)
    numeric = np.flatnonzero(kinds == _NUMBER)  # serials: converted in one go
    if len(numeric):
        serial_days, serial_problems = _serial_days(_floats(uniques[numeric]))
        days[numeric] = serial_days.astype("datetime64[D]")
        problems[numeric] = serial_problems
    problems[kinds == _BOOL] = BOOLEAN_NOT_A_DATE
    texts = np.flatnonzero(kinds == _TEXT).tolist()
    for i in np.flatnonzero(kinds == _OTHER):
        value = uniques[i]
        if isinstance(value, (dt.datetime, dt.date, np.datetime64)):  # pd.Timestamp too
            try:
                day = np.datetime64(value, "D") if not isinstance(value, dt.datetime) else \
                    np.datetime64(value.date(), "D")
            except (ValueError, OverflowError):
                continue
            days[i] = day
            problems[i] = ""
    order = None
    if texts:
        where = np.asarray(texts, dtype=np.int64)
        text_days, text_problems, order = _parse_date_texts(
            [str(uniques[i]) for i in texts], date_order)
        days[where] = text_days
        problems[where] = text_problems
    checked, range_problems = _checked_days(days)
    problems = np.where(range_problems != "", range_problems, problems)
    return checked, problems.astype(object), order


def _parse_date_texts(texts: list[str], date_order: str) -> tuple[np.ndarray, np.ndarray, str | None]:
    n = len(texts)
    days = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    problems = np.full(n, DATE_NOT_RECOGNISED, dtype=object)
    slashed: list[tuple[int, int, int, int]] = []  # (row, first, second, year)
    letters: list[int] = []
    for i, raw in enumerate(texts):
        text = raw.strip()
        if not text:
            problems[i] = ""
            continue
        text = re.sub(r"\s*年\s*", "-", text)
        text = re.sub(r"\s*月\s*", "-", text)
        text = re.sub(r"\s*[日号]", "", text)
        if (found := _YMD.match(text)) is not None:
            days[i], problems[i] = _ymd_day(int(found[1]), int(found[2]), int(found[3]))
        elif (found := _DOTTED_DMY.match(text)) is not None:
            days[i], problems[i] = _ymd_day(int(found[3]), int(found[2]), int(found[1]))
        elif (found := _SLASHED.match(text)) is not None:
            slashed.append((i, int(found[1]), int(found[3]), int(found[4])))
        elif _SERIAL_TEXT.match(text):
            day, problem = _serial_days(np.array([float(text)]))
            days[i], problems[i] = day[0], problem[0] or ""
        elif _HAS_LETTER.search(text) and not text.startswith("#"):
            letters.append(i)
    order = None
    if slashed:
        order = _slashed_order(slashed, date_order)
        for i, first, second, year in slashed:
            if first == second:
                days[i], problems[i] = _ymd_day(year, first, second)
                continue
            fits_dmy = first <= 31 and 1 <= second <= 12
            fits_mdy = 1 <= first <= 12 and second <= 31
            if order is None:  # no evidence, or as much for day first as for month first
                problems[i] = DATE_AMBIGUOUS if fits_dmy or fits_mdy else DATE_NOT_RECOGNISED
            elif (order == "DMY" and fits_dmy) or (order == "MDY" and fits_mdy):
                month, day = (second, first) if order == "DMY" else (first, second)
                days[i], problems[i] = _ymd_day(year, month, day)
            else:
                problems[i] = DATE_AGAINST_ORDER if (fits_dmy or fits_mdy) else DATE_NOT_RECOGNISED
    if letters:
        where = np.asarray(letters, dtype=np.int64)
        try:
            stamps = pd.to_datetime(pd.Series([texts[i] for i in letters], dtype=object),
                                    format="mixed", errors="coerce", dayfirst=date_order == "DMY")
            parsed = stamps.to_numpy().astype("datetime64[D]")
        except (ValueError, OverflowError, TypeError):  # pandas' last-resort parser: never trust
            parsed = np.full(len(letters), np.datetime64("NaT"), "datetime64[D]")
        days[where] = parsed
        problems[where] = np.where(np.isnat(parsed), DATE_NOT_RECOGNISED, "")
    return days, problems, order


def _slashed_order(slashed: list[tuple[int, int, int, int]], date_order: str) -> str | None:
    """The column's day/month order: what its unambiguous values show (majority; a tie goes
    to ``date_order``), else ``date_order`` when it is MDY or DMY, else None (undecided)."""
    day_first = sum(1 for _, a, b, _ in slashed if 12 < a <= 31 and 1 <= b <= 12)
    month_first = sum(1 for _, a, b, _ in slashed if 1 <= a <= 12 and 12 < b <= 31)
    if date_order in ("MDY", "DMY"):
        return date_order
    if day_first > month_first:
        return "DMY"
    if month_first > day_first:
        return "MDY"
    return None


def _ymd_day(year: int, month: int, day: int) -> tuple[np.datetime64, str]:
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1 <= year <= 9999):
        return np.datetime64("NaT"), DATE_NOT_RECOGNISED
    try:
        value = dt.date(year, month, day)
    except ValueError:  # 31 April, 29 February of a common year
        return np.datetime64("NaT"), DATE_NOT_RECOGNISED
    day64 = np.datetime64(value, "D")
    if day64 < MIN_DATE:
        return np.datetime64("NaT"), DATE_OUT_OF_RANGE
    return day64, ""


# -- numbers -------------------------------------------------------------------------------


def parse_number_column(
    values: pd.Series, decimal_separator: str = "auto"
) -> tuple[pd.Series, np.ndarray, str | None]:
    """``(numbers, problems, separator)``: float64 (NaN for blanks and problems), one problem
    key per row ("" = fine or blank), and the decimal mark used for the column's text numbers
    (None when no text needed one)."""
    index = values.index
    n = len(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        problems = np.where(values.notna().to_numpy(), BOOLEAN_NOT_A_NUMBER, "").astype(object)
        return pd.Series(np.full(n, np.nan), index=index), problems, None
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers, problems = _checked_numbers(values.to_numpy(dtype="float64", na_value=np.nan))
        return pd.Series(numbers, index=index), problems, None
    # one type check per cell (bools must not be hashed with 1.0); numbers converted in one go,
    # only the cells holding text (or anything else) parsed, on their distinct values
    objects = values.to_numpy(dtype=object)
    kinds = _kinds(objects)
    numbers = np.full(n, np.nan)
    problems = np.full(n, "", dtype=object)
    numeric = np.flatnonzero(kinds == _NUMBER)
    if len(numeric):
        numbers[numeric], problems[numeric] = _checked_numbers(_floats(objects[numeric]))
    problems[kinds == _BOOL] = BOOLEAN_NOT_A_NUMBER
    rest = np.flatnonzero((kinds == _TEXT) | (kinds == _OTHER))
    separator = None
    if len(rest):
        codes, uniques = pd.factorize(objects[rest], use_na_sentinel=True)
        if len(uniques):
            parsed, parsed_problems, separator = _parse_number_values(
                np.asarray(uniques, dtype=object), decimal_separator)
            taken = np.maximum(codes, 0)
            numbers[rest] = np.where(codes >= 0, parsed[taken], np.nan)
            problems[rest] = np.where(codes >= 0, parsed_problems[taken], "")
    return pd.Series(numbers, index=index), problems, separator


def _checked_numbers(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(numbers) & ~(np.abs(numbers) <= MAX_NUMBER)
    if not bad.any():  # a copy all the same: the caller's column must never be shared
        return numbers.copy(), no_problems(len(numbers))
    return np.where(bad, np.nan, numbers), _problem_keys(bad, NUMBER_TOO_LARGE)


def _parse_number_values(uniques: np.ndarray, decimal_separator: str) -> tuple[np.ndarray, np.ndarray, str | None]:
    n = len(uniques)
    numbers = np.full(n, np.nan)
    problems = np.full(n, NOT_A_NUMBER, dtype=object)
    kinds = _kinds(uniques)
    numeric = np.flatnonzero(kinds == _NUMBER)  # the usual bulk: converted in one go
    if len(numeric):
        numbers[numeric], problems[numeric] = _checked_numbers(_floats(uniques[numeric]))
    problems[kinds == _BOOL] = BOOLEAN_NOT_A_NUMBER
    # text: (row, sign, body) still to be read under a decimal mark
    pending: list[tuple[int, float, str]] = []
    read: list[tuple[int, float]] = []  # (row, number read from text): checked in one go
    for i in np.flatnonzero(kinds == _TEXT):
        shaped = _number_shape(uniques[i])
        if isinstance(shaped, str):
            problems[i] = shaped
        elif isinstance(shaped, float):
            read.append((i, shaped))
        else:
            pending.append((i, *shaped))
    if not pending:
        _check_read(read, numbers, problems)
        return numbers, problems, None
    readings = [(i, sign, _read_under(body, ".", sign), _read_under(body, ",", sign)) for i, sign, body in pending]
    separator, evidence = decimal_separator, True
    if separator == "auto":
        dot = sum(1 for _, _, d, c in readings if d is not None and c is None)
        comma = sum(1 for _, _, d, c in readings if c is not None and d is None)
        separator = "," if comma > dot else "."
        evidence = dot + comma > 0
    for i, _, under_dot, under_comma in readings:
        chosen, other = (under_dot, under_comma) if separator == "." else (under_comma, under_dot)
        if chosen is None:
            problems[i] = NUMBER_AGAINST_SEPARATOR if other is not None else NOT_A_NUMBER
        elif not evidence and other is not None and other != chosen:
            problems[i] = NUMBER_AMBIGUOUS
        else:
            read.append((i, chosen))
    _check_read(read, numbers, problems)
    return numbers, problems, separator


def _check_read(read: list[tuple[int, float]], numbers: np.ndarray, problems: np.ndarray) -> None:
    """Numbers read from text put in place, checked by ``_checked_numbers`` all at once."""
    if not read:
        return
    rows = np.fromiter((i for i, _ in read), dtype=np.intp, count=len(read))
    checked, keys = _checked_numbers(np.fromiter((x for _, x in read), dtype=float, count=len(read)))
    numbers[rows], problems[rows] = checked, keys


def _number_shape(text: str) -> str | float | tuple[float, str]:
    """A problem key, a number read outright, or (sign, digits-and-marks) to read under a
    decimal mark."""
    text = text.strip()
    if not text:
        return ""
    if text.upper() in EXCEL_ERROR_VALUES:
        return ERROR_VALUE
    sign = 1.0
    if text.startswith("(") and text.endswith(")"):  # accounting: (500) = -500
        sign, text = -1.0, text[1:-1].strip()
    text = _GROUP_SPACE.sub("", _CURRENCY.sub("", text))
    if text[:1] in "+-":
        sign, text = (sign * -1.0 if text[0] == "-" else sign), text[1:]
    elif text[-1:] == "-":  # SAP-style trailing minus
        sign, text = -sign, text[:-1]
    if text.endswith("%"):
        return NOT_A_NUMBER
    if _SCIENTIFIC.match(text):
        return sign * float(text)
    if not _BODY.match(text):
        return NOT_A_NUMBER
    if text.isdigit():
        return sign * float(text)
    return sign, text


def _read_under(body: str, separator: str, sign: float) -> float | None:
    if not _UNDER[separator].match(body):
        return None
    group = "," if separator == "." else "."
    plain = body.replace(group, "").replace(separator, ".")
    if plain in ("", "."):
        return None
    return sign * float(plain)
