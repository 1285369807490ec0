"""The one error hierarchy. Each edge translates it once.

* CLI: one-line message on stderr and the exit code in ``EXIT_CODES``.
* UDF: a short message in the cell.
* Ribbon: a message box.
"""

from __future__ import annotations


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
        where = []
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if where:
            text = text[0].upper() + text[1:]
        if self.hint:  # the message is a sentence of its own before what to do
            text = f"{text.rstrip()}{'' if text.rstrip().endswith(_STOPS) else '.'} {self.hint}"
        return text


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


EXIT_CODES: dict[type[CustomerTiersError], int] = {
    InputError: 3,
    WorkbookError: 4,
    CustomerTiersError: 1,
}


def exit_code(error: CustomerTiersError) -> int:
    """The CLI exit code for ``error``: 3 input, 4 workbook, 1 anything else of ours."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1
