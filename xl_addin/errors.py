"""The one error hierarchy. Each edge translates it once.

* CLI: one-line message on stderr and the exit code in ``EXIT_CODES``.
* UDF: a short message in the cell.
* Ribbon: a message box.
"""

from __future__ import annotations

import re


class CustomerTiersError(Exception):
    """Base class of every error this product raises on purpose."""

    def __str__(self) -> str:
        # Never an empty reason at an edge: fall back to the class's own first doc line.
        return super().__str__() or (type(self).__doc__ or type(self).__name__).strip().splitlines()[0]


def reason(exc: BaseException) -> str:
    """A foreign exception as a non-empty phrase for a message: its text, else its kind
    (``KeyError('xl/workbook.xml')`` -> "missing 'xl/workbook.xml'", ``StopIteration()`` ->
    "StopIteration")."""
    if isinstance(exc, KeyError) and exc.args:
        return f"missing {exc.args[0]!r}"
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip() or type(exc).__name__


_STOPS = (".", "!", "?", ":", "。", "！", "？", "：")
_LABELLED = re.compile(r"([A-Z]{1,3})(?: \((.+)\))?", re.S)  # "C" or "C (Amount)"
_CELL_REF = re.compile(r".+![A-Z]{1,3}\d+(?: \(.+\))?", re.S)  # "Settings!B7 (a_cut)"


class InputError(CustomerTiersError):
    """The data or an argument is wrong; the user can fix it.

    ``sheet``, ``row`` (1-based, as Excel shows it) and ``column`` (a header or a column
    letter) say where, when known; ``hint`` says what to do.
    """

    def __init__(
        self,
        message: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.sheet = sheet
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if where and not _CELL_REF.fullmatch(where):  # a sheet name is the user's: never recased
            text = text[:1].upper() + text[1:]
        if self.hint:  # the message is a sentence of its own before what to do
            text = f"{text.rstrip()}{'' if text.rstrip().endswith(_STOPS) else '.'} {self.hint}"
        return text

    def where(self) -> str:
        """The place as Excel names a cell, "Sales!C7 (Amount)", when sheet, row and column (a
        letter, or "C (Amount)") are known; a cell named in ``column`` alone ("Settings!B7");
        else "sheet 'Sales', row 7, column 'x'" with what is known ("" for nothing)."""
        if self.sheet is None and self.row is None and _CELL_REF.fullmatch(self.column or ""):
            return self.column
        return cell_reference(self.sheet, self.row, self.column)


def cell_reference(sheet: str | None, row: int | None, column: str | None) -> str:
    """A place as Excel names a cell, "Sales!C7 (Amount)", when sheet, row and column (a
    letter, or "C (Amount)") are known; else "sheet 'Sales', row 7, column 'x'" with what is
    known ("" for nothing). The one wording of a place in errors and in ``check``'s list."""
    labelled = _LABELLED.fullmatch(column or "")
    if sheet is not None and row is not None and labelled:
        letter, header = labelled.groups()
        return f"{sheet_reference(sheet)}!{letter}{row}" + (f" ({header})" if header else "")
    where = []
    if sheet is not None:
        where.append(f"sheet '{sheet}'")
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column '{column}'")
    return ", ".join(where)


def sheet_reference(sheet: str) -> str:
    """A sheet name as Excel writes it before "!": quoted when it holds anything but letters,
    digits and underscores ('Sales 2024'), quotes doubled."""
    if re.fullmatch(r"[^\W\d]\w*", sheet) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


class MissingColumnError(InputError):
    """A sheet lacks a column the refresh needs. ``sheet`` names it, ``column`` is the field
    ("date"); the message names the header row and the headers found, and reads after the
    sheet: "Sheet 'Sales' has no date column: ..."."""

    def where(self) -> str:
        return ""

    def __str__(self) -> str:
        text = f"Sheet '{self.sheet}' has {self.message}"
        return f"{text}. {self.hint}" if self.hint else text


class SettingsError(InputError):
    """A setting is out of range or of the wrong type."""


class WouldRemoveError(InputError):
    """A refresh would remove what the user added to a generated sheet; nothing was written.
    ``objects``: (sheet, [what]) pairs. The CLI's --force and the ribbon's Yes proceed."""

    def __init__(self, message: str, *, objects: tuple = (), hint: str | None = None) -> None:
        self.objects = objects
        super().__init__(message, hint=hint)


class WorkbookError(CustomerTiersError):
    """The file cannot be read or written: missing, locked, not a workbook, corrupt."""


class UsageError(CustomerTiersError):
    """The command asks for what cannot be done as given (a refresh in place of a CSV file);
    the message says what to give instead."""


EXIT_CODES: dict[type[CustomerTiersError], int] = {
    UsageError: 2,
    InputError: 3,
    WorkbookError: 4,
    CustomerTiersError: 1,
}


def exit_code(error: CustomerTiersError) -> int:
    """The CLI exit code for ``error``: 2 usage, 3 input, 4 workbook, 1 anything else of ours."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1
