"""The one refresh: read sheets -> ``tier_customers`` -> ``build_report`` -> write.

Used by the CLI (``refresh`` and ``check``), the demo and every ribbon callback. It talks to a
workbook through two small interfaces, so the rules live here once, above the adapters:

* ``Source``: sheet names and kinds, which sheets are ours, a sheet's header row, its rows or
  some of its columns. File: ``workbook.file_book.FileSource`` (fastexcel); live Excel:
  ``excel.live.LiveSource`` (xlwings).
* ``Target``: which sheets are ours, what of the user's would be lost on one of them, and
  writing the planned sheets. File: ``workbook.file_book.FileTarget`` (part-preserving, atomic);
  live: ``excel.live.LiveTarget``; for a CSV, .xls, .xlsb or .ods input a new workbook
  (``workbook.other_formats.NewWorkbookTarget``) or the report workbook ``--out``
  (``other_formats.ReportTarget``). A target with ``sheet_names()`` is a workbook other than
  the source: the sheets are placed among its sheets, not the source's.

Rules applied here: which sheets are ours (marked, or written by 0.1 and recognised by their
first row), sales sheet detection (a sheet picked by its name that lacks the sales columns is
skipped with a note), the Settings sheet (ours, or a Settings / 设置 sheet that holds settings
keys), sheet assembly (sales, customer master, previous tiers), collisions with the user's
sheet names (``workbook.ownership.plan_sheets``) and the user's objects on our sheets (the
refresh stops before writing and names them, unless ``force``). ``check`` is ``refresh``
without the write, so the two can never disagree about whether the data can be tiered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

import pandas as pd

from .core import PreparedLines, line_settings, prepare_lines, tier_prepared
from .core.clv_model import import_models_meanwhile
from .core.columns import NOTE_SHEET_HIDDEN
from .core.result import TierResult
from .errors import InputError, WouldRemoveError
from .report import labels
from .report.layout import Report, Sheet, build_report
from .report.settings_sheet import SCALAR_KEYS, SECTIONS, parse_settings_rows
from .settings import Settings
from .workbook import tables
from .workbook.ownership import (Note, SheetPlan, find_sheet_name, legacy_key, legacy_signatures,
                                 our_sheet, plan_sheets, same_sheet_name)
from .workbook.headers import column_label, match_headers
from .workbook.tables import SheetHeader

ProgressFn = Callable[[str], None]
WORKSHEET = "worksheet"


class Source(Protocol):
    """What the refresh reads from a workbook. Rows and columns are cell values from column A,
    row numbers 1-based as Excel shows them. A source may also have ``done_reading()``: the
    refresh calls it once everything is read, before the core runs (the file adapter drops
    the workbook's bytes and its parser there)."""

    def sheet_names(self) -> list[str]:
        """Every sheet, in tab order."""

    def sheet_kind(self, name: str) -> str:
        """"worksheet", "chartsheet", "macrosheet" or "dialogsheet"."""

    def owned_sheets(self) -> dict[str, str]:
        """Sheet name -> report key of every sheet carrying our mark."""

    def hidden_sheets(self) -> set[str]:
        """Names of the hidden (or very hidden) sheets."""

    def date1904(self) -> bool:
        """True when the workbook uses the 1904 date system (serial 0 = 1904-01-01)."""

    def header(self, name: str) -> SheetHeader:
        """The sheet's first non-empty row."""

    def rows(self, name: str) -> list[list[Any]]:
        """Every row of a small sheet (Settings) from row 1."""

    def columns(self, name: str, header: SheetHeader, fields: Mapping[str, int],
                extras: Mapping[int, str] | None = None) -> pd.DataFrame:
        """The rows below ``header``: one raw column per ``fields`` entry (field -> 0-based
        column), the ``extras`` columns that are numeric, ``source_sheet`` and
        ``source_row``; rows with no value in these columns dropped. Values as the cells hold
        them (typed; a cell that does not fit its field's type keeps its raw value)."""

    # Optional (the file adapter has it; a source without it reads and prepares every time):
    # def prepared_lines_store(self, sheets: Sequence[tuple[str, SheetHeader, dict[str, int]]],
    #                          identity: dict) -> PreparedStore | None:
    #     """Where the prepared lines of these sales sheets (name, header, field -> column) are
    #     kept under ``identity`` (JSON-able: what else decides them) and the content of the
    #     sheets; None when they cannot be kept (no cache, not an xlsx package)."""


class PreparedStore(Protocol):
    """One cache entry of prepared sale lines (``workbook.prepared_cache.PreparedSlot``)."""

    def get(self) -> PreparedLines | None:
        """The stored lines, None when there are none."""

    def put(self, prepared: PreparedLines) -> None:
        """Keep ``prepared`` for the next refresh."""


# (sheet, header, match) of each sales sheet to read, reader notes, settings -> prepared or None
PreparedLookup = Callable[[Sequence[tuple[str, SheetHeader, Any]], tuple, Settings], "PreparedLines | None"]


class Target(Protocol):
    """Where the refresh writes."""

    def owned_sheets(self) -> dict[str, str]:
        """Sheet name -> report key of every sheet carrying our mark."""

    def user_objects(self, name: str, sheet: Sheet) -> list[str]:
        """What the user added to our sheet ``name`` that writing ``sheet`` over it would
        lose ("chart 'Chart 1'", "comments", "cells right of column Z"); [] when nothing."""

    def write(self, report: Report, plan: SheetPlan) -> None:
        """Write (and mark) every sheet of ``report`` where ``plan`` places it, all or nothing
        as far as the target allows. Marks sheets the plan only marks."""


@dataclass(frozen=True)
class WorkbookData:
    """What a refresh reads: settings, sales lines, customer master, previous tiers, and the
    sheets it decided about."""

    settings: Settings
    sales: pd.DataFrame | None  # None when ``prepared`` stands for them
    customers: pd.DataFrame | None
    previous_tiers: pd.DataFrame | None
    sales_sheets: tuple[str, ...]
    owned: dict[str, str]  # sheet name -> report key: marked, or recognised as 0.1's
    notes: tuple[Note, ...] = ()
    # the sales sheets' lines already prepared (core.prepare_lines), from the source's cache
    prepared: PreparedLines | None = None

    @property
    def rows(self) -> int:
        """Sale lines read (all sheets, before cleaning)."""
        return self.prepared.lines if self.sales is None else len(self.sales)


@dataclass(frozen=True)
class RefreshOutcome:
    """The result of one refresh (or check): the core's result, the report written, where each
    sheet went and the notes (sheets skipped, names taken, objects removed under force).

    ``up_to_date``: the file already held what this refresh would write, so nothing was read
    or written (``workbook.refresh_records``); ``result`` and ``notes`` are those of the
    refresh that wrote it, and ``report``, ``plan`` and ``data`` are None."""

    result: TierResult
    report: Report | None
    plan: SheetPlan | None
    data: WorkbookData | None
    notes: tuple[Note, ...] = field(default=())
    written: bool = False
    up_to_date: bool = False

    @property
    def data_quality(self) -> pd.DataFrame:
        return self.result.data_quality


def _no_progress(step: str) -> None:
    pass


def refresh(
    source: Source, target: Target | None, *, as_of: dt.date | None = None,
    language: str | None = None, keys: Sequence[str] | None = None, force: bool = False,
    write: bool = True, progress: ProgressFn = _no_progress,
) -> RefreshOutcome:
    """Read ``source``, tier, lay out and write the report's sheets (``keys``: only these
    report sheets, e.g. ("pareto",)) to ``target``. ``write`` False = check: everything but
    the write, so ``check`` refuses exactly what ``refresh`` refuses (``target`` None: the
    user's objects on our sheets are not looked at).

    InputError (nothing written) when the data cannot be tiered, or when writing would lose
    something the user added to one of our sheets (names it; ``force`` proceeds and notes it).
    """
    progress("Reading sales tabs")
    given_as_of = pd.Timestamp(as_of) if as_of else None
    today = dt.date.today()  # one date for the cleaning and the key: lines after it are left out
    store: list[PreparedStore] = []
    data = read_workbook(source, language=language,
                         prepared_lines=_prepared_lookup(source, given_as_of, today, store))
    done_reading = getattr(source, "done_reading", None)
    if done_reading is not None:  # a file's bytes and parser: not kept through the core's peak
        done_reading()
    settings = data.settings
    progress(f"Tiering {data.rows:,} sales rows")
    prepared = data.prepared
    if prepared is None:
        prepared = prepare_lines(data.sales, settings, as_of=given_as_of, today=today)
    kept = dict(prepared.fitted)
    try:
        result = tier_prepared(prepared, settings, customers=data.customers,
                               previous_tiers=data.previous_tiers)
    finally:  # stored after tier_prepared: with the CLV models' fits and predictions it made
        # (kept on a Settings error too: the refresh after the fix needs the lines as well)
        made = prepared.fitted.keys() != kept.keys() or any(
            prepared.fitted[name] is not value for name, value in kept.items())
        if data.prepared is None or made:
            for place in store:
                place.put(prepared)
    language = settings.language
    wanted = [k for k in labels.SHEET_NAMES if keys is None or k in keys]
    # the sheets of the workbook written to: the source's, unless the target holds others (a
    # new workbook; the report workbook a CSV's sales are refreshed into). Ours among them.
    names = target.sheet_names() if hasattr(target, "sheet_names") else source.sheet_names()
    owned = {name: key for name, key in data.owned.items() if name in names}
    plan = plan_sheets(
        [(k, labels.sheet_name(k, language), k == "settings") for k in wanted], names, owned)
    notes = list(data.notes) + list(plan.notes)
    report = build_report(result, language, notes=tuple(notes))
    losses = []
    if target is not None:
        for placement in plan.placements:
            if placement.existing is not None and placement.write:
                lost = target.user_objects(placement.existing, report.sheet(placement.key))
                if lost:
                    losses.append((placement.existing, lost))
        if losses and not force:
            raise WouldRemoveError(
                "the refresh would remove what you added to generated sheets: "
                + "; ".join(f"sheet '{s}': {', '.join(objects)}" for s, objects in losses),
                objects=tuple(losses),
                hint="Move them to a sheet of your own, or refresh with --force to proceed.")
    if losses:  # forced: the Data quality sheet lists what was removed
        notes.extend(Note.of("objects_removed", sheet=s, objects=", ".join(o)) for s, o in losses)
        report = build_report(result, language, notes=tuple(notes))
    if keys is not None:
        report = Report(language=report.language,
                        sheets=tuple(s for s in report.sheets if s.key in keys))
    written = target is not None and write
    if written:
        progress("Writing tier sheets")
        target.write(report, plan)
    return RefreshOutcome(result, report, plan, data, tuple(notes), written=written)


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: sales sheets read, rows, customers, data-quality rows, notes."""

    sheets: tuple[str, ...]
    rows: int
    customers: int
    data_quality: pd.DataFrame
    notes: tuple[Note, ...] = ()  # this refresh's: sheets skipped, names taken
    reader_notes: pd.DataFrame | None = None  # TierResult.notes: core.columns.NOTE_COLUMNS


def check(source: Source, target: Target | None = None, *, language: str | None = None,
          force: bool = False) -> CheckReport:
    """Everything ``refresh`` does but the write: InputError exactly where refresh would."""
    outcome = refresh(source, target, language=language, force=force, write=False)
    result = outcome.result
    with_sales = int(result.customers["abc_tier"].notna().sum())  # prospects have no tier
    return CheckReport(outcome.data.sales_sheets, outcome.data.rows, with_sales,
                       result.data_quality, outcome.notes, result.notes)


# -- reading -------------------------------------------------------------------------------


def read_workbook(source: Source, *, language: str | None = None,
                  settings: Settings | None = None,
                  prepared_lines: PreparedLookup | None = None) -> WorkbookData:
    """Settings, sales, customer master and previous tiers, by the rules in the module
    docstring. ``settings``: use these instead of the Settings sheet's. InputError when there
    is no sales data (naming every sheet tried and why; a workbook's only candidate sales
    sheet's own error, naming the sheet and the missing column). ``prepared_lines``: see
    ``_read_sales`` (a hit: ``sales`` None, ``prepared`` set)."""
    names = source.sheet_names()
    worksheets = [n for n in names if source.sheet_kind(n) == WORKSHEET]
    notes: list[Note] = list(getattr(source, "notes", list)())  # how a CSV file was read
    owned = dict(source.owned_sheets())
    settings_name, settings_note = _settings_sheet(source, worksheets, owned)
    if settings_note:
        notes.append(settings_note)
    if settings_name is not None:
        if settings is None:
            settings = parse_settings_rows(source.rows(settings_name), sheet=settings_name,
                                           date1904=source.date1904())
        owned.setdefault(settings_name, "settings")
    settings = settings if settings is not None else Settings()
    if language:
        settings = settings.replace(language=language)
    owned.update(_legacy_sheets(source, worksheets, owned, settings))
    sales, sheets, sales_notes, prepared = _read_sales(source, worksheets, owned, settings, prepared_lines)
    notes.extend(sales_notes)
    customers = _read_customers(source, worksheets, settings)
    previous = _read_previous_tiers(source, owned)
    return WorkbookData(settings, sales, customers, previous, sheets, owned, tuple(notes), prepared)


def _prepared_lookup(source: Source, as_of: pd.Timestamp | None, today: dt.date,
                     store: list) -> PreparedLookup | None:
    """The lookup ``_read_sales`` calls when ``source`` can keep prepared lines: the store's
    entry for the sheets about to be read (appended to ``store`` so the refresh can fill it on
    a miss), and its lines when it has them."""
    keep = getattr(source, "prepared_lines_store", None)
    if keep is None:
        return None

    def lookup(planned, reader_notes: tuple, settings: Settings) -> PreparedLines | None:
        identity = {
            # what the refresh decided before reading: columns, duplicate headers, notes
            "matches": [[name, sorted(match.items()), sorted(match.duplicates.items())]
                        for name, _, match in planned],
            "reader_notes": [list(note) for note in reader_notes],
            "line_settings": dataclasses.asdict(line_settings(settings)),
            "as_of": None if as_of is None else as_of.isoformat(),
            "today": today.isoformat(),
        }
        place = keep([(name, header, dict(match)) for name, header, match in planned], identity)
        if place is None:
            return None
        store.append(place)
        return place.get()

    return lookup


def read_settings(source: Source) -> Settings:
    """The Settings ``read_workbook`` reads from ``source`` (the defaults without a Settings
    sheet)."""
    worksheets = [n for n in source.sheet_names() if source.sheet_kind(n) == WORKSHEET]
    name, _ = _settings_sheet(source, worksheets, source.owned_sheets())
    if name is None:
        return Settings()
    return parse_settings_rows(source.rows(name), sheet=name, date1904=source.date1904())


def _holds_settings(rows: Sequence[Sequence[Any]]) -> bool:
    keys = set(SCALAR_KEYS) | set(SECTIONS)
    return any(row and isinstance(row[0], str) and row[0].strip() in keys for row in rows)


def _settings_sheet(source: Source, worksheets: list[str],
                    owned: Mapping[str, str]) -> tuple[str | None, Note | None]:
    """Our Settings sheet, else a Settings / 设置 sheet that holds settings keys; a sheet of
    that name without any is not read (note)."""
    name = our_sheet({n: k for n, k in owned.items() if n in worksheets}, "settings")
    if name is not None:
        return name, None
    note = None
    for wanted in labels.SHEET_NAMES["settings"]:
        name = find_sheet_name(worksheets, wanted)
        if name is None:
            continue
        if _holds_settings(source.rows(name)):
            return name, None
        note = note or Note.of("settings_ignored", sheet=name)
    return None, note


def _legacy_sheets(source: Source, worksheets: list[str], owned: Mapping[str, str],
                   settings: Settings) -> dict[str, str]:
    """Unmarked sheets written by version 0.1: one of our names and exactly the first row
    0.1 wrote there (either language)."""
    taken_keys = set(owned.values())
    measures = [labels.column_header(m, lang) for m in ("profit", "revenue") for lang in labels.LANGUAGES]
    found = {}
    for name in worksheets:
        if name in owned:
            continue
        if not any(same_sheet_name(name, n) for pair in labels.SHEET_NAMES.values() for n in pair):
            continue
        header = source.header(name)
        if not header.row:
            continue
        signatures = {
            key: [sig for lang in labels.LANGUAGES for sig in legacy_signatures(
                key, lang, measures, labels.phrase("reference", lang, cut=settings.a_cut))]
            for key in labels.SHEET_NAMES if key not in taken_keys
        }
        key = legacy_key(name, header.cells, signatures)
        if key is not None:
            found[name] = key
            taken_keys.add(key)
    return found


def _read_sales(source: Source, worksheets: list[str], owned: Mapping[str, str],
                settings: Settings, prepared_lines: PreparedLookup | None = None,
                ) -> tuple[pd.DataFrame | None, tuple[str, ...], list[Note], PreparedLines | None]:
    """Every sales sheet's rows. A sheet picked by its name ("Sales Plan") that lacks the
    sales columns is skipped with a note; one listed in Settings must have them. Hidden tabs
    (a backup, a draft) are skipped with a note unless Settings lists them. A column_map
    line that fits no header of the sales tabs (nor of the customer master) is an InputError:
    never a silent fallback to another column. InputError when no sales sheet is left,
    naming every sheet tried and why.

    ``sales.attrs["notes"]``: the reader's choices (core.columns.NOTE_COLUMNS rows);
    ``sales.attrs["headers"]``: (sheet, field) -> "C (Amount)", for Data quality.

    ``prepared_lines``: called once the sheets and their columns are decided (nothing read
    yet) with (sheet, header, match) of each and the reader's notes so far; when it gives
    the sheets' prepared lines, they are returned instead of the sales (None)."""
    listed = bool(settings.sales_sheets)
    excluded = set(owned)
    hidden = set() if listed else set(source.hidden_sheets())
    shown = [n for n in worksheets if n not in hidden]
    candidates = tables.sales_sheet_names(shown, source.header, settings, exclude=excluded)
    reader_notes: list[tuple[str, str, str, str]] = []
    if hidden:
        every = tables.sales_sheet_names(worksheets, source.header, settings, exclude=excluded)
        reader_notes += [(n, "", NOTE_SHEET_HIDDEN, "") for n in every if n in hidden]
    planned, notes, tried, refused, unmatched = [], [], [], [], None
    for name in candidates:
        header = source.header(name)
        if not header.row:
            tried.append(f"'{name}': empty")
            notes.append(Note.of("sheet_skipped", sheet=name, reason="the sheet is empty."))
            continue
        try:
            match = tables.sales_fields(name, header, settings)
        except InputError as error:
            if listed:
                raise
            refused.append(error)
            tried.append(f"'{name}': {error.message}")
            notes.append(Note.of("sheet_skipped", sheet=name, reason=error.message))
            continue
        lines = set(match.unmatched)
        unmatched = lines if unmatched is None else unmatched & lines
        planned.append((name, header, match))
    if not planned:
        if len(refused) == 1 and len(tried) == 1:  # the one sales sheet: its own error says most
            raise refused[0]
        raise tables.no_sales_error(tried)
    used = [name for name, _, _ in planned]
    master = tables.customers_sheet_name(worksheets, settings)
    if unmatched and master is not None and source.header(master).row:
        unmatched &= set(match_headers(source.header(master).cells, settings.column_map).unmatched)
    if unmatched:
        field_text, header_text = sorted(unmatched)[0]
        found = "; ".join(
            f"{name}: " + ", ".join(f"'{h}'" for h in source.header(name).cells if h is not None)
            for name in used)
        raise InputError(
            f"The column_map line '{field_text} | {header_text}' in the Settings sheet matches "
            f"no header of the sales tabs ({found})",
            hint="Correct the header in that line (column C) to one of these headers, or "
                 "delete the line.")
    if prepared_lines is not None:
        # everything decided so far is part of the prepared lines' key: a hit stands for
        # exactly what reading these sheets and preparing their lines would give
        prepared = prepared_lines(planned, tuple(reader_notes), settings)
        if prepared is not None:
            return None, tuple(used), notes, prepared
    if settings.clv_models:
        # The models' scipy import (0.4-0.6 s of CPU) runs beside the sales' parse, which lets
        # go of the GIL, rather than beside the lines' preparation after it, where the two
        # take turns on the GIL (cold refresh: 14.64 s against 15.11 s, 3 interleaved runs).
        # Its 35 MB sit beside the parse: the workbook's bytes are out of memory then.
        import_models_meanwhile()
    frames, headers = [], {}
    for name, header, match in planned:
        frame = source.columns(name, header, dict(match))
        frame, note = tables.customer_id_fallback(frame, name)
        for field, col in match.items():
            if field in tables.SALES_FIELDS:
                headers[(name, field)] = column_label(col, header.cells[col])
        reader_notes += tables.sheet_notes(name, header, match, len(frame), note is not None)
        frames.append(frame)
    sales = tables.combine(frames, used)
    sales.attrs["notes"] = tuple(reader_notes)
    sales.attrs["headers"] = headers
    return sales, tuple(used), notes, None


def _read_customers(source: Source, worksheets: list[str], settings: Settings) -> pd.DataFrame | None:
    name = tables.customers_sheet_name(worksheets, settings)
    if name is None:
        return None
    header = source.header(name)
    if not header.row:
        return None
    fields, extras = tables.customer_fields(name, header, settings)
    frame = source.columns(name, header, dict(fields), extras)
    frame, note = tables.customer_id_fallback(frame, name)
    frame.attrs["notes"] = tuple(f"Sheet '{name}': {n}" for n in fields.notes) + (
        (note,) if note else ())
    return frame


def _read_previous_tiers(source: Source, owned: Mapping[str, str]) -> pd.DataFrame | None:
    """Customer id, ABC tier and score tier from our Tiers sheet of the last refresh."""
    name = our_sheet(owned, "tiers")
    if name is None:
        return None
    header = source.header(name)
    columns = tables.previous_tier_columns(header) if header.row else None
    if columns is None:
        return None
    frame = source.columns(name, header, columns)
    return tables.previous_tiers_from_frame(frame)
