"""The refresh's file adapters (``xl_addin.refresh``): ``FileSource`` reads a workbook file with
the fast reader (``read.SalesBook``), ``FileTarget`` writes the planned sheets into the package
(``xlsx.write_report``: every part not ours byte-identical, the file replaced atomically)."""

from __future__ import annotations

import re
import stat
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from ..errors import InputError, WorkbookError
from ..report.charts import is_ours
from ..report.layout import TABLE_NAMES, Report, Sheet, column_letter
from .own_sheet import block_header, own_sheet_columns, with_sheet, written_columns
from .ownership import MARK_NAME, SheetPlan, key_of_mark
from . import cache_folder
from .read import SalesBook, read_workbook_file
from .prepared_cache import PreparedCache, PreparedSlot
from .sales_cache import SalesCache, cached_columns, sheet_key
from .tables import SheetHeader, previous_tier_columns
from .xlsx import write_report
from .xlsx.package import SourcePackage
from .xlsx.workbook_xml import WorkbookParts, rels_path, resolve
from .xlsx.worksheet_xml import colour_scale_rule_xml
from .xlsx.writer import WorksheetEnds, owned_sheets

# Our own sheets are read from their XML (``own_sheet``) up to this size: the 50,000-customer
# Tiers sheet is 58 MB; a larger part goes through the general reader (it streams).
OWN_SHEET_MAX_BYTES = 256 * 2**20

_KINDS = {"worksheet": "worksheet", "chartsheet": "chartsheet", "dialogsheet": "dialogsheet",
          "xlMacrosheet": "macrosheet", "xlIntlMacrosheet": "macrosheet"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class FileSource:
    """A workbook file, read into memory once (``SalesBook``), as the refresh's Source. With
    ``cache``, a sheet's parsed columns come from the sales cache when it did not change; with
    ``prepared``, the sales sheets' prepared lines come from that cache when none of them
    changed (and they are not read at all)."""

    def __init__(self, path: str | Path, cache: SalesCache | None = None,
                 prepared: PreparedCache | None = None) -> None:
        self.path = Path(path)
        self.cache = cache
        self.prepared = prepared
        data, identity = read_workbook_file(self.path)
        self.book = SalesBook(self.path, data, identity)
        self._kinds, self._owned = _sheet_kinds_and_marks(data)
        self._rows: dict[str, list[list[Any]]] = {}

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.close()
        if self.cache is not None:  # entries still being stored are on disk when we return
            self.cache.wait()

    def done_reading(self) -> None:
        """The refresh read what it needs: the workbook's bytes and the parser (with the
        shared strings it holds) go before the core and the write need their memory."""
        self.book.close()

    def sheet_names(self) -> list[str]:
        names = list(self.book.sheet_names)
        # sheets the reader library leaves out (chartsheets, macro sheets) still take names
        return names + [n for n in self._kinds if n not in names]

    def sheet_kind(self, name: str) -> str:
        return self._kinds.get(name, "worksheet")

    def owned_sheets(self) -> dict[str, str]:
        return dict(self._owned)

    def hidden_sheets(self) -> set[str]:
        return self.book.hidden_sheets

    def date1904(self) -> bool:
        return self.book.date1904

    def header(self, name: str) -> SheetHeader:
        return self.book.header(name)

    def rows(self, name: str) -> list[list[Any]]:
        if name not in self._rows:
            self._rows[name] = self.book.read_rows(name)
        return self._rows[name]

    def columns(self, name: str, header: SheetHeader, fields: Mapping[str, int],
                extras: Mapping[int, str] | None = None) -> pd.DataFrame:
        if name in self._owned and not extras:  # the previous tiers: our own Tiers sheet
            frame = self._own_columns(name, header, dict(fields))
            if frame is not None:
                return frame  # else not in the form we write: the general reader below
        return cached_columns(self.book, name, header, dict(fields),
                              dict(extras) if extras else None, self.cache)

    def prepared_lines_store(self, sheets: list[tuple[str, SheetHeader, dict[str, int]]],
                             identity: dict) -> PreparedSlot | None:
        """The ``prepared`` cache's entry for these sales sheets read as given, under
        ``identity`` (``refresh.Source``); None without that cache or for a workbook that is
        not an xlsx package."""
        if self.prepared is None:
            return None
        keys = [sheet_key(self.book, name, header, fields) for name, header, fields in sheets]
        if any(key is None for key in keys):
            return None
        key = self.prepared.key({**identity, "sheets": keys})
        return PreparedSlot(self.prepared, key, self.book.cell_formats(),
                            self.book.sales_entries([name for name, _, _ in sheets]))


    def _own_columns(self, name: str, header: SheetHeader,
                     fields: dict[str, int]) -> pd.DataFrame | None:
        """Columns of our own sheet: as the last refresh wrote them when the part is still
        the one it wrote (the cache, ``FileTarget.write``), else from the part's XML
        (``own_sheet``); None when it is not in the form we write."""
        entry = self.book.part_entry(name) if self.cache is not None else None
        if entry is not None:
            frame = _own_sheet_cache(self.cache).get(own_sheet_key(entry, header.row, fields))
            if frame is not None:
                return with_sheet(frame, name)
        xml = self.book.sheet_xml(name, OWN_SHEET_MAX_BYTES)
        return own_sheet_columns(xml, name, header, fields) if xml else None


def own_sheet_key(entry: list[int] | tuple[int, int], header_row: int,
                  fields: dict[str, int]) -> str:
    """The cache key of our own sheet's ``fields`` columns: the part's CRC-32 and size (what
    decides every cell), the header row and the columns read."""
    return SalesCache.key({"own_sheet": list(entry), "header_row": header_row,
                           "fields": sorted(fields.items())})


def _own_sheet_cache(cache: SalesCache) -> SalesCache:
    """The sales cache's folder and bound, with counts of its own (the sales' hits and misses
    stay the sales')."""
    return SalesCache(cache.folder, cache.max_bytes)


def _remember_previous_tiers(cache: SalesCache, path: Path, report: Report,
                             plan: SheetPlan) -> None:
    """After a write: the previous tiers the next refresh of ``path`` reads, computed from
    the report's Tiers block (``own_sheet.written_columns``) and kept under the CRC-32 and
    size of the Tiers part as written; nothing when they are not plain text."""
    placement = plan.placement("tiers")
    try:
        sheet = report.sheet("tiers")
    except KeyError:
        return
    if placement is None or not placement.write or len(sheet.blocks) != 1:
        return
    block = sheet.blocks[0]
    header = block_header(block)
    fields = previous_tier_columns(header) if header is not None else None
    frame = written_columns(block, fields) if fields else None
    if frame is None:
        return
    with SourcePackage(path) as package:
        entry = next((e for e in WorkbookParts(package).sheets() if e.name == placement.name), None)
        if entry is None or entry.part not in package:
            return
        crc_size = package.crc_and_size(entry.part)
    _own_sheet_cache(cache).put(own_sheet_key(crc_size, header.row, fields), frame)


def _sheet_kinds_and_marks(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """Sheet name -> kind (from the relationship type; "unknown" for a sheet without a part,
    ``r:id=""``, which is never read), and sheet name -> report key of the
    sheets carrying our mark. Empty for non-xlsx formats (xls, xlsb, ods)."""
    import io

    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        book = ET.fromstring(package.read("xl/workbook.xml"))
        rels = ET.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, zipfile.BadZipFile, ET.ParseError):
        return {}, {}
    types = {r.get("Id"): r.get("Type", "").rsplit("/", 1)[-1] for r in rels}
    names, kinds = [], {}
    for element in book.iter():
        if _local(element.tag) == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            name = element.get("name") or ""
            names.append(name)
            # r:id="" (Excel 4.0 macro or dialog sheets written by other tools): no part to read
            kinds[name] = _KINDS.get(types.get(rid, ""), "worksheet") if rid else "unknown"
    owned = {}
    for element in book.iter():
        if _local(element.tag) == "definedName" and element.get("name") == MARK_NAME:
            index = element.get("localSheetId") or ""
            key = key_of_mark(element.text)
            if index.isdigit() and int(index) < len(names) and key is not None:
                owned[names[int(index)]] = key
    return kinds, owned


def is_read_only(path: Path) -> bool:
    """True when the file's owner-write bit is clear (the read-only attribute on Windows).
    The mode bits, not ``os.access``: an administrator or root may write any file, yet a file
    the user marked read-only is not ours to replace."""
    return not (path.stat().st_mode & stat.S_IWUSR)


def is_macro_package(path: Path) -> bool:
    """True when the package at ``path`` holds a VBA project or a macro-enabled workbook part
    (it must be saved as .xlsm); False for a plain package or anything not a zip."""
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            types = package.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (OSError, zipfile.BadZipFile):
        return False
    return "xl/vbaProject.bin" in names or b"macroEnabled.main+xml" in types


def check_target(path: str | Path, out: str | Path | None = None, *, force: bool = False) -> None:
    """Refuse a write that would surprise the user, before anything is computed:
    a read-only workbook refreshed in place (WorkbookError), a read-only ``out`` unless
    ``force`` (WorkbookError), and an ``out`` whose extension does not match the package
    (InputError: a macro package must be .xlsm, a plain one .xlsx, or Excel will not open it).
    Links are followed: the file checked is the one that will be replaced."""
    path = Path(path)
    if out is None:
        if path.is_file() and is_read_only(path):
            raise WorkbookError(
                f"cannot refresh '{path}' in place: it is read-only: make it writable "
                "(clear its read-only attribute) or use --out to write the result to a new file")
        return
    out = Path(out)
    if out.is_file() and is_read_only(out) and not force:
        raise WorkbookError(
            f"cannot write '{out}': it is read-only: choose another --out file, make it "
            "writable, or add --force to replace it")
    suffix = ".xlsm" if is_macro_package(path) else ".xlsx"
    # an out named like the source is never worse than the source (a macro package some tool
    # saved as .xlsx stays as it came)
    if out.suffix.lower() not in (suffix, path.suffix.lower()):
        kind = "has macros (VBA)" if suffix == ".xlsm" else "has no macros"
        raise InputError(
            f"'{path.name}' {kind}, so Excel would not open it saved as '{out.name}'",
            hint=f"Use --out {out.with_suffix(suffix).name}.")


class FileTarget:
    """The workbook file ``path`` (written to ``out`` when given) as the refresh's Target.
    With ``cache``, the previous tiers the next refresh reads are kept there after a write."""

    def __init__(self, path: str | Path, out: str | Path | None = None,
                 cache: SalesCache | None = None) -> None:
        self.path = Path(path)
        self.out = Path(out) if out is not None else None
        self.cache = cache
        # the package ``user_objects`` looks into, opened once for all of our sheets (one open
        # and central directory each cost 2-4 ms); closed by ``write`` and ``close``
        self._checked: SourcePackage | None = None

    def __enter__(self) -> FileTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._checked is not None:
            self._checked.close()
            self._checked = None

    def owned_sheets(self) -> dict[str, str]:
        with SourcePackage(self.path) as package:
            return owned_sheets(WorkbookParts(package))

    def user_objects(self, name: str, sheet: Sheet) -> list[str]:
        ends = None if self.cache is None else WorksheetEndsCache(self.cache.folder).get
        if self._checked is None:
            self._checked = SourcePackage(self.path)
        return user_objects(self._checked, name, sheet, ends)

    def write(self, report: Report, plan: SheetPlan) -> None:
        self.close()  # the write opens the file itself, and may replace it
        ends: dict[str, WorksheetEnds] | None = {} if self.cache is not None else None
        written = write_report(self.path, report, self.out, plan, ends)
        if self.cache is not None:
            _remember_previous_tiers(self.cache, written, report, plan)
            WorksheetEndsCache(self.cache.folder).put_all(ends.values())


class WorksheetEndsCache:
    """The ends of the large worksheet parts we wrote (``xlsx.writer.WorksheetEnds``), kept
    under their CRC-32 and size, so the next refresh's ``user_objects`` reads the 58 MB Tiers
    part's head and tail from here instead of inflating it (0.1 s). A part the user changed
    has another CRC-32 or size: it is read. One small file per part in ``ends`` in the sales
    cache's folder, at most ``MAX_BYTES`` in all, least recently used deleted first."""

    MIN_SIZE = 2**20  # smaller parts inflate in a few ms: not worth a file
    MAX_BYTES = 2**20
    SUFFIX = ".ends"
    FORMAT = 1

    def __init__(self, sales_folder: Path) -> None:
        self.folder = Path(sales_folder) / "ends"

    def path(self, crc: int, size: int) -> Path:
        key = cache_folder.content_key({"worksheet_ends": [crc, size], "format": self.FORMAT,
                                        "head_bytes": WorksheetEnds.HEAD_BYTES})
        return self.folder / f"{key}{self.SUFFIX}"

    def get(self, crc: int, size: int) -> tuple[bytes, bytes] | None:
        """(head, tail) of the part with this CRC-32 and size; None when not kept."""
        if size < self.MIN_SIZE:
            return None
        path = self.path(crc, size)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        (head_length,) = struct.unpack_from("<I", data)
        if head_length > len(data) - 4:
            cache_folder.remove(path)  # damaged
            return None
        cache_folder.touch(path)
        return data[4:4 + head_length], data[4 + head_length:]

    def put_all(self, ends) -> None:
        """Keep each ``WorksheetEnds`` of a large part (a failure only loses the shortcut)."""
        stored = None
        for end in ends:
            if end.size < self.MIN_SIZE:
                continue
            data = struct.pack("<I", len(end.head)) + end.head + end.tail
            stored = self.path(end.crc, end.size)
            try:
                cache_folder.store(stored, lambda file: file.write(data), self.MAX_BYTES)
            except OSError:
                stored = None
        if stored is not None:
            cache_folder.evict(self.folder, self.SUFFIX, self.MAX_BYTES, keep=stored.name)


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+(?::([A-Z]+)\d+)?"')
_USER_ELEMENTS = {b"conditionalFormatting": "conditional formats",
                  b"dataValidations": "data validation", b"hyperlinks": "hyperlinks",
                  b"mergeCells": "merged cells"}
_CONDITIONAL = re.compile(rb'<conditionalFormatting\s+sqref="([A-Z]+\d+:[A-Z]+\d+)">(.*?)</conditionalFormatting>',
                          re.S)
_PRIORITY = re.compile(rb'priority="\d+"')


def user_objects(package: SourcePackage, name: str, sheet: Sheet,
                 ends: Callable[[int, int], tuple[bytes, bytes] | None] | None = None) -> list[str]:
    """What the user added to our sheet ``name`` that writing ``sheet`` over it would lose:
    tables other than ours, objects in the drawing of the sheet with our chart (on the other
    sheets the user's charts, pictures and shapes are kept),
    comments, form controls, pivot tables, conditional formats, data validation, hyperlinks,
    merged cells and cells right of the columns ``sheet`` uses. ``ends``: (CRC-32, size) of
    the sheet's part -> its (head, tail) as ``WorksheetEnds.of`` gives them, when known
    (``WorksheetEndsCache``), else None: the part is read."""
    parts = WorkbookParts(package)
    entry = next((e for e in parts.sheets() if e.name == name), None)
    if entry is None or entry.part not in package:
        return []
    ours = {name.casefold() for name in TABLE_NAMES.values()}
    last_column = max((b.last_column for b in sheet.blocks), default=1)
    found: list[str] = []
    our_table_refs: list[str] = []  # where a colour scale of ours may be
    rels = rels_path(entry.part)
    if rels in package:
        for rel in ET.fromstring(package.read(rels)):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if rel.get("TargetMode") == "External":
                continue
            target = resolve(entry.part, rel.get("Target", ""))
            if kind == "table":
                table, ref = _table_name_and_ref(package, target)
                if table.casefold() not in ours:
                    found.append(f"table '{table}'")
                elif ref:  # what we wrote last time is ours, even where this report is narrower
                    last_column = max(last_column, _column_number(re.sub(r"[^A-Z]", "", ref.split(":")[-1])))
                    our_table_refs.append(ref)
            elif kind == "drawing" and sheet.charts:
                found.extend(_drawing_objects(package, target, sheet))
            elif kind == "drawing":
                continue  # kept: the refresh leaves a sheet's drawing in place
            elif kind == "comments":
                found.append("comments")
            elif kind == "vmlDrawing":
                continue  # comments' or controls' shapes: reported through those
            elif kind == "pivotTable":
                found.append("pivot table")
            elif kind == "ctrlProp":
                found.append("form controls")
            elif kind in ("printerSettings",):
                continue
            else:
                found.append(kind)
    # every element looked for follows sheetData (ECMA-376 CT_Worksheet order): search the
    # tail only, not the cells of a 50,000-row sheet ("<" cannot occur unescaped in a value,
    # so the first "</sheetData>" from the end is the element's end tag; none, empty or
    # prefixed: the whole part)
    kept = ends(*package.crc_and_size(entry.part)) if ends is not None else None
    head, tail = kept if kept is not None else WorksheetEnds.of(package.read(entry.part))
    dimension = _DIMENSION.search(head)
    if dimension and dimension.group(1):
        used = _column_number(dimension.group(1).decode())
        if used > last_column:
            found.append(f"cells right of column {column_letter(last_column)}")
    for element, label in _USER_ELEMENTS.items():
        if re.search(rb"<(?:\w+:)?" + element + rb"[\s>]", tail):
            if element == b"conditionalFormatting" and _only_our_colour_scales(tail, our_table_refs):
                continue
            found.append(label)
    return list(dict.fromkeys(found))


def _only_our_colour_scales(data: bytes, table_refs: list[str]) -> bool:
    """Every conditional format of the worksheet ``data`` is our colour scale, as we write it
    (``colour_scale_rule_xml``), on cells of one of our tables (``table_refs``)."""
    ours = _PRIORITY.sub(b'priority="1"', colour_scale_rule_xml(1).encode())
    found = _CONDITIONAL.findall(data)
    if len(found) != len(re.findall(rb"<(?:\w+:)?conditionalFormatting[\s>]", data)):
        return False  # a form we do not write: the user's
    return all(_PRIORITY.sub(b'priority="1"', rule) == ours
               and any(_inside(sqref.decode(), ref) for ref in table_refs) for sqref, rule in found)


def _inside(inner: str, outer: str) -> bool:
    """Range ``inner`` ("D24:H30") lies within range ``outer``."""
    def corners(ref: str) -> tuple[int, int, int, int]:
        (c1, r1), (c2, r2) = (re.fullmatch(r"([A-Z]+)(\d+)", p).groups() for p in ref.split(":"))
        return _column_number(c1), int(r1), _column_number(c2), int(r2)
    if ":" not in outer:
        return False
    a, b = corners(inner), corners(outer)
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def _table_name_and_ref(package: SourcePackage, part: str) -> tuple[str, str]:
    try:
        root = ET.fromstring(package.read(part))
    except (KeyError, ET.ParseError):
        return part, ""
    return root.get("name") or part, root.get("ref") or ""


def _drawing_objects(package: SourcePackage, part: str, sheet: Sheet) -> list[str]:
    """Objects of a sheet's drawing other than our charts (named with charts.OBJECT_PREFIX)."""
    try:
        root = ET.fromstring(package.read(part))
    except (KeyError, ET.ParseError):
        return ["drawing"]
    found = []
    for anchor in root:
        if _local(anchor.tag) not in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor"):
            continue
        shape = next((c for c in anchor if _local(c.tag) in
                      ("graphicFrame", "sp", "pic", "grpSp", "cxnSp", "contentPart")), None)
        kind = _local(shape.tag) if shape is not None else "object"
        props = next((e for e in (shape.iter() if shape is not None else ())
                      if _local(e.tag) == "cNvPr"), None)
        label = props.get("name") if props is not None else kind
        if kind == "graphicFrame" and is_ours(label):
            continue
        noun = {"graphicFrame": "chart", "pic": "picture", "sp": "shape", "grpSp": "group",
                "cxnSp": "connector"}.get(kind, "object")
        found.append(f"{noun} '{label}'")
    return found


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number
