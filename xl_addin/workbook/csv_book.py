"""A CSV file as the refresh's Source (``xl_addin.refresh``): one sheet, named after the file
as Excel names it when it opens the file ("sales.csv" -> "sales", at most 31 characters).

Conventions, chosen so a file reads as Excel would show it and nothing is guessed silently:

* **Encoding.** A byte-order mark decides (UTF-8, UTF-16). Without one: UTF-8 when the bytes
  are valid UTF-8; else GB18030 (a superset of GBK, what Excel on Chinese Windows saves as
  "CSV") when the text it gives is Chinese (90% of its non-ASCII characters in GB2312); else Windows-1252 (Excel's "CSV" on Western
  Windows; Latin-1 when a byte is undefined there). The encoding used is stated in a note (``CsvSource.notes``).
* **Delimiter.** An Excel ``sep=;`` first line decides (and is not a row). Otherwise the one of
  comma, semicolon, tab and ``|`` under which the first 50 lines have the same number of
  columns as the first non-empty one (two or more) most often; ties go to more columns, then
  to the comma.
* **Values.** Every cell is text (an empty cell is no value): numbers and dates go through the
  core's rules for text cells (``core.values``: ``date_order``, ``decimal_separator``), never a
  type guess here. Row numbers are the rows Excel shows (a quoted line break stays in its row).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ..errors import WorkbookError, reason
from .ownership import MAX_SHEET_NAME, Note
from .tables import SheetHeader, first_header, values_frame

CSV_SUFFIXES = (".csv", ".tsv")
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"\t": "Tab"}  # how a note shows a delimiter (else the character itself)
_SNIFF_LINES = 50
_SEP_LINE = re.compile(r'^\s*"?sep=(.)"?\s*$', re.IGNORECASE)

@dataclass(frozen=True)
class CsvText:
    """A CSV file's records as cell texts (None = empty), the encoding read and the delimiter."""

    rows: list[list[str | None]]
    encoding: str
    delimiter: str


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file's bytes, by the rules in the module docstring.
    UnicodeDecodeError when a byte-order mark promises what the bytes do not hold."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8 (with BOM)"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _mostly_gb2312(text):
        return text, "GB18030 (GBK)"
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined
        return data.decode("latin-1"), "Latin-1"


def _mostly_gb2312(text: str) -> bool:
    """True when 90% of the non-ASCII characters are in GB2312, the 6,763 common characters
    and the full-width punctuation that Chinese text is made of. Western text read as GBK
    gives pairs of an accented letter and the next byte, outside it ("é" + "s")."""
    foreign = [ch for ch in text if ord(ch) > 127]
    common = 0
    for ch in foreign:
        code = ch.encode("gb18030")
        common += len(code) == 2 and 0xA1 <= code[0] <= 0xF7 and 0xA1 <= code[1] <= 0xFE
    return common >= 0.9 * len(foreign)


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter of CSV ``lines`` (the file's first lines, no ``sep=`` line): of those that
    split the first non-empty line into two columns or more, the one under which the most lines
    have as many columns as it, then the one giving more columns; ties go to the earlier of
    ``DELIMITERS``; a comma when none splits it."""
    sample = [line for line in lines if line.strip()][:_SNIFF_LINES]
    if not sample:
        return ","
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = [len(record) for record in csv.reader(sample, delimiter=delimiter)]
        if not widths or widths[0] < 2:
            continue
        score = (sum(1 for w in widths if w == widths[0]), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse_csv(data: bytes) -> CsvText:
    """The records of a CSV file's bytes (see the module docstring)."""
    text, encoding = decode_csv(data)
    head = text[:65536].splitlines()
    delimiter = None
    if head and (found := _SEP_LINE.match(head[0])):
        delimiter = found.group(1)
        text = text.split("\n", 1)[1] if "\n" in text else ""
        head = head[1:]
    if delimiter is None:
        delimiter = sniff_delimiter(head[:-1] if len(head) > 1 else head)  # last may be cut
    rows = [[cell if cell != "" else None for cell in record]
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return CsvText(rows, encoding, delimiter)


def read_csv_bytes(path: Path) -> bytes:
    """The file's bytes; WorkbookError when it is missing, a folder or cannot be opened."""
    if not path.exists():
        raise WorkbookError(f"file not found: '{path}' (check the path and the file name)")
    if path.is_dir():
        raise WorkbookError(f"'{path}' is a folder, not a CSV file: give the path of a .csv file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise WorkbookError(f"cannot open '{path}': {reason(exc)} (close it in Excel and try "
                            "again, or check the path's permissions)") from None


def sheet_name_of(path: Path) -> str:
    """The sheet Excel shows for a CSV file: its name without the extension, cut at 31."""
    return path.stem[:MAX_SHEET_NAME] or "Sheet1"


class CsvSource:
    """A CSV file as the refresh's Source: one worksheet of text cells."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        data = read_csv_bytes(self.path)
        try:
            parsed = parse_csv(data)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise WorkbookError(
                f"cannot read '{self.path}' as CSV: {reason(exc)} (open it in Excel and save it "
                "as CSV UTF-8, or as .xlsx)") from None
        self.encoding, self.delimiter = parsed.encoding, parsed.delimiter
        self.sheet = sheet_name_of(self.path)
        self._rows = parsed.rows

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def notes(self) -> list[Note]:
        """How the file was read: its encoding and delimiter."""
        return [Note.of("csv_read", file=self.path.name, encoding=self.encoding,
                        delimiter=DELIMITER_NAMES.get(self.delimiter, self.delimiter))]

    def sheet_names(self) -> list[str]:
        return [self.sheet]

    def sheet_kind(self, name: str) -> str:
        return "worksheet"

    def owned_sheets(self) -> dict[str, str]:
        return {}

    def hidden_sheets(self) -> set[str]:
        return set()

    def date1904(self) -> bool:
        return False  # a CSV holds text, never serial dates of a workbook's date system

    def header(self, name: str) -> SheetHeader:
        return first_header(self._rows, 1) if self._rows else SheetHeader(0, ())

    def rows(self, name: str) -> list[list[Any]]:
        return [list(row) for row in self._rows]

    def columns(self, name: str, header: SheetHeader, fields: Mapping[str, int],
                extras: Mapping[int, str] | None = None) -> pd.DataFrame:
        # extras (numeric columns of a customer master) are never numbers in a CSV: all text
        return values_frame(name, header, self._rows[header.row:], dict(fields), None)
