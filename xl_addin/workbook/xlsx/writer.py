"""Write generated sheets into an .xlsx / .xlsm by editing the package directly.

Only the product's own parts change: its worksheets with their drawings and charts, and the
entries they need in workbook.xml, xl/_rels/workbook.xml.rels, [Content_Types].xml and
styles.xml. Every other member is copied byte for byte (compressed bytes included).

Which sheets are "ours": those carrying our mark (``workbook.ownership``: a hidden sheet-scoped
defined name ``CT_Generated``). Where each report sheet goes is a ``SheetPlan``: our sheet of
that key is replaced (renamed to the output-language name, so a refresh in 中文 turns "Tiers"
into "客户分级" in place, keeping its tab position); else the sheet is added at the end, under
the next free name when a user's sheet holds ours ("Summary (2)"). Sheets are never deleted,
and Settings / 设置 is only marked, never rewritten, once it exists.

Each block with a ``table`` name is an Excel Table (xl/tables/tableN.xml). A refresh reuses the
part, the id and the name of the table it replaces, so a pivot, chart or formula built on
CT_Tiers keeps pointing at it and sees the new rows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import pandas as pd

from ...errors import CustomerTiersError, WorkbookError
from ...report import charts as report_charts
from ...report.layout import Block, Report, Sheet, _column_widths, column_letter, renamed
from ..ownership import MARK_NAME, SheetPlan, key_of_mark, mark_value, plan_sheets
from .chart_xml import chart_xml
from .drawing_xml import drawing_xml
from .package import DeflatedAhead, PackageWriter, SourcePackage, atomic_output
from .styles import StyleBook
from .workbook_xml import (REL_TYPES, SheetEntry, WorkbookParts, absolute_ref, relationships_xml,
                           relative, rels_path, resolve)
from .worksheet_xml import THREADED_ROWS, CellStyles, worksheet_chunks
from .xml_escape import quoteattr

PathLike = str | os.PathLike

# The worksheet with the most rows, from this many, is made and deflated ahead (``DeflatedAhead``)
# while the other members are copied and written: the 50,000-row Tiers sheet's threads leave
# a core idle part of the time, and the other sheets' Python work fits in it.
AHEAD_ROWS = THREADED_ROWS


def write_report(source: PathLike, report: Report, dest: PathLike | None = None,
                 plan: SheetPlan | None = None,
                 ends: dict[str, WorksheetEnds] | None = None) -> Path:
    """Write every sheet of ``report`` into the workbook ``source``, saved as ``dest``
    (default: ``source``, replaced atomically), each where ``plan`` places it (default: the
    plan from the marks in ``source``). Returns the path written. ``ends``: filled with the
    ``WorksheetEnds`` of each worksheet part written, by part name."""
    if plan is None:
        with SourcePackage(Path(source)) as package:
            parts = WorkbookParts(package)
            names = [e.name for e in parts.sheets()]
            owned = owned_sheets(parts)
        plan = plan_sheets([(s.key, s.name, s.only_if_missing) for s in report.sheets], names, owned)
    return _write_sheets(source, report.sheets, dest, plan, ends)


def owned_sheets(parts: WorkbookParts) -> dict[str, str]:
    """Sheet name -> report key of every sheet carrying our mark."""
    entries = parts.sheets()
    owned = {}
    for index, text in parts.sheet_names_defined(MARK_NAME).items():
        key = key_of_mark(text)
        if key is not None and index < len(entries):
            owned[entries[index].name] = key
    return owned


def write_tables(source: PathLike, tables: Mapping[str, Sequence[Block] | pd.DataFrame],
                 dest: PathLike | None = None, *, freeze_header: bool = True) -> Path:
    """Write plain data sheets: ``{sheet name: blocks or one DataFrame}``. A DataFrame becomes
    one block at A1 with its column names as headers (text format except numeric / date
    columns). Sheets of the same name are replaced. Rows are streamed in chunks, so a
    1,048,576-row sheet needs memory for the DataFrame and one chunk of XML only."""
    sheets = []
    for name, content in tables.items():
        if len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
            raise WorkbookError(f"Excel worksheet name '{name}' must be <= 31 chars and "
                                "contain none of [ ] : * ? / \\")
        blocks = (frame_block(content),) if isinstance(content, pd.DataFrame) else tuple(content)
        freeze = (blocks[0].header_row, 0) if freeze_header and len(blocks) == 1 else None
        sheets.append(Sheet(key=f"table:{name}", name=name, blocks=blocks, freeze=freeze,
                            column_widths=_column_widths(blocks)))
    return _write_sheets(source, tuple(sheets), dest)


def frame_block(frame: pd.DataFrame, origin: tuple[int, int] = (1, 1)) -> Block:
    """A DataFrame as a block: headers = column names; integer / number / date formats by dtype."""
    formats = []
    for dtype in frame.dtypes:
        kind = getattr(dtype, "kind", "O")
        formats.append({"i": "integer", "u": "integer", "f": "number", "M": "date"}.get(kind, "text"))
    return Block(header=tuple(str(c) for c in frame.columns),
                 values=frame.reset_index(drop=True), formats=tuple(formats), origin=origin)


@dataclass(frozen=True)
class WorksheetEnds:
    """The two ends of a worksheet part as written, with the part's CRC-32 and size (what
    identifies its bytes): the first ``HEAD_BYTES`` bytes (``<dimension>`` is there) and
    everything from the last ``</sheetData>`` (the elements after the cells: tables,
    conditional formats, drawing). What ``file_book.user_objects`` looks at, without
    inflating a 58 MB part again."""

    crc: int
    size: int
    head: bytes
    tail: bytes

    HEAD_BYTES = 4096

    @staticmethod
    def of(data: bytes) -> tuple[bytes, bytes]:
        """(head, tail) of a whole part's bytes, as ``WorksheetEnds`` keeps them."""
        end = data.rfind(b"</sheetData>")
        return data[:WorksheetEnds.HEAD_BYTES], data[end:] if end >= 0 else data


class _EndsKept:
    """A worksheet's chunks passed through, keeping the first ``HEAD_BYTES`` bytes and the
    last chunk; ``ends`` then says the part's head and tail exactly as ``WorksheetEnds.of``
    the whole part would (None when the last chunk holds no ``</sheetData>``)."""

    def __init__(self, chunks: Iterable[bytes | memoryview]) -> None:
        self._chunks = chunks
        self._head = bytearray()
        self._last = b""

    def __iter__(self) -> Iterator[bytes | memoryview]:
        for chunk in self._chunks:
            if len(self._head) < WorksheetEnds.HEAD_BYTES:
                self._head += bytes(chunk[:WorksheetEnds.HEAD_BYTES - len(self._head)])
            if len(chunk):
                self._last = chunk
            yield chunk

    def ends(self) -> tuple[bytes, bytes] | None:
        last = bytes(self._last)
        end = last.rfind(b"</sheetData>")
        return None if end < 0 else (bytes(self._head), last[end:])


def _write_sheets(source: PathLike, sheets: Sequence[Sheet], dest: PathLike | None,
                  plan: SheetPlan | None = None,
                  ends: dict[str, WorksheetEnds] | None = None) -> Path:
    source = Path(source)
    dest = Path(dest) if dest is not None else source
    with SourcePackage(source) as package:
        parts = WorkbookParts(package)
        styles_part = "xl/styles.xml"
        if styles_part not in package:
            raise WorkbookError(f"'{source}' has no xl/styles.xml")
        book = StyleBook(package.read(styles_part), theme=parts.has_theme)
        new: dict[str, bytes | Iterable[bytes] | DeflatedAhead] = {}
        kept_ends: dict[str, _EndsKept] = {}
        cells: dict[str, int] = {}  # worksheet part -> its rows of values
        existing = parts.sheets()
        tables = _TableIds(parts)
        if plan is not None:  # references to a sheet written under another name follow it
            sheets = renamed(sheets, {s.name: p.name for s in sheets
                                      if (p := plan.placement(s.key)) is not None})
        for sheet in sheets:
            placement = plan.placement(sheet.key) if plan is not None else None
            if placement is not None:
                entry = next((e for e in existing if e.name == placement.existing), None)
                if not placement.write:
                    _mark(parts, existing, entry, sheet.key)
                    continue
            else:
                entry = next((e for e in existing if e.name == sheet.name), None)
                if sheet.only_if_missing and entry is not None:
                    continue
            for block in sheet.blocks:  # every style is known before styles.xml is written
                CellStyles(block, book)
            entry_existed, kept_drawing = entry is not None, None
            if entry is None:
                entry = parts.add_sheet(sheet.name)
                existing.append(entry)
            else:
                if not entry.part.startswith("xl/worksheets/"):
                    raise WorkbookError(f"sheet '{entry.name}' in '{source}' is not a worksheet; "
                                        "rename it so the refresh can create its own")
                tables.forget_sheet(entry.part)
                kept_drawing = None if sheet.charts else _drawing_of(package, entry.part)
                parts.clear_dependents(entry.part, keep={kept_drawing} if kept_drawing else ())
                entry.element.set("name", sheet.name)
                entry.name = sheet.name
                parts.add_part(entry.part, "worksheet")
            index = next(i for i, e in enumerate(existing) if e is entry)
            parts.set_filter_database(
                index, absolute_ref(sheet.name, sheet.autofilter) if sheet.autofilter else None)
            if plan is not None:
                _mark(parts, existing, entry, sheet.key)
            parts.set_print_titles(index, _print_titles(sheet))
            rels: list[tuple[str, str, str]] = []
            drawing_rel = _add_charts(parts, new, entry, sheet, rels) if sheet.charts else None
            if entry_existed and kept_drawing:  # the user's charts and shapes stay
                drawing_rel = "rId1"
                rels.append((drawing_rel, REL_TYPES["drawing"], relative(entry.part, kept_drawing)))
            table_rels = _add_tables(parts, new, entry, sheet, rels, tables)
            if rels:
                new[rels_path(entry.part)] = relationships_xml(rels)
                parts.add_part(rels_path(entry.part))
            new[entry.part] = worksheet_chunks(sheet, book, drawing_rel_id=drawing_rel,
                                               table_rel_ids=table_rels, date1904=parts.date1904,
                                               code_name=parts.code_name(entry, sheet.key))
            if ends is not None:
                new[entry.part] = kept_ends[entry.part] = _EndsKept(new[entry.part])
            cells[entry.part] = sum(len(block.values) for block in sheet.blocks)
        if plan is not None:
            new.update(_refresh_pivots_on_load(package, {
                b.table for sheet in sheets for b in sheet.blocks if b.table}))
        new.update(parts.edited_parts())
        new[styles_part] = book.to_bytes()
        written: dict[str, tuple[int, int]] = {}
        largest = max(cells, key=cells.get, default=None)
        ahead = None
        try:
            with atomic_output(dest) as out:
                writer = PackageWriter(out)
                if largest is not None and cells[largest] >= AHEAD_ROWS:
                    ahead = new[largest] = DeflatedAhead(new[largest], _level(largest),
                                                         speed_first=True)
                slots: dict[str, int] = {}

                def put(name: str) -> None:
                    if new[name] is ahead:  # written last, when made
                        slots[name] = writer.reserve(name)
                    else:
                        written[name] = writer.write(name, new[name], _level(name),
                                                     speed_first=_is_worksheet(name))

                for member in package.members:
                    if member.name in new:
                        put(member.name)
                    elif member.name not in parts.deleted:
                        writer.copy(package, member)
                for name in new:
                    if name not in written and name not in slots:
                        put(name)
                for name, slot in slots.items():
                    written[name] = writer.write(name, new[name], slot=slot)
                writer.close(package.comment)
        except CustomerTiersError:
            raise
        except OSError as exc:
            raise WorkbookError(f"cannot write '{dest}': {exc.strerror or exc}") from exc
        finally:
            if ahead is not None:
                ahead.cancel()  # done already, unless the write failed
        # written in place: this is the last handle of the old file, let it go meanwhile
        package.close(in_background=os.path.realpath(dest) == os.path.realpath(source))
    if ends is not None:
        for name, content in kept_ends.items():
            kept = content.ends()
            if kept is not None:
                ends[name] = WorksheetEnds(*written[name], *kept)
    return dest


def _is_worksheet(part: str) -> bool:
    return part.startswith("xl/worksheets/sheet")


def _level(part: str) -> int:
    """zlib level: 3 for worksheets (large, written on every refresh: speed first, and ISA-L
    instead when installed; on the 50,000-row Tiers sheet level 3 is as fast as level 1 and
    14% smaller), else 6."""
    return 3 if _is_worksheet(part) else 6


def _drawing_of(package: SourcePackage, sheet_part: str) -> str | None:
    """The drawing part of a sheet (the user's charts, pictures and shapes), or None."""
    from lxml import etree

    rels = rels_path(sheet_part)
    if rels not in package:
        return None
    for rel in etree.fromstring(package.read(rels)):
        if rel.get("Type") == REL_TYPES["drawing"] and rel.get("TargetMode") != "External":
            return resolve(sheet_part, rel.get("Target", ""))
    return None


def _refresh_pivots_on_load(package: SourcePackage, tables: set[str]) -> dict[str, bytes]:
    """Pivot caches built on one of our tables, marked refreshOnLoad="1" so that the pivot
    shows the new rows when Excel opens the file. The one user part a refresh edits (a
    stale pivot after a refresh would be a silent wrong number); only the attribute changes."""
    from lxml import etree

    wanted = {t.casefold() for t in tables}
    edited = {}
    for name in package.names:
        if not re.fullmatch(r"xl/pivotCache/pivotCacheDefinition[^/]*\.xml", name):
            continue
        data = package.read(name)
        if b"worksheetSource" not in data:
            continue
        try:
            root = etree.fromstring(data)
        except etree.XMLSyntaxError:
            continue
        source = next((e for e in root.iter() if etree.QName(e).localname == "worksheetSource"), None)
        if source is None or (source.get("name") or "").casefold() not in wanted:
            continue
        if root.get("refreshOnLoad") in ("1", "true"):
            continue
        root.set("refreshOnLoad", "1")
        edited[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
    return edited


def _mark(parts: WorkbookParts, existing: list[SheetEntry], entry: SheetEntry | None,
          key: str) -> None:
    """Our mark on ``entry``: the hidden sheet-scoped name CT_Generated = "key"."""
    if entry is None:
        return
    index = next(i for i, e in enumerate(existing) if e is entry)
    parts.set_sheet_name(MARK_NAME, index, mark_value(key))


@dataclass
class _TableInfo:
    part: str
    id: int
    name: str


class _TableIds:
    """Table parts, ids and names of the package: a replaced table keeps its part, id and
    name; a new one gets the lowest free part and the next id; names stay unique."""

    def __init__(self, parts: WorkbookParts) -> None:
        self.parts = parts
        self.by_part: dict[str, _TableInfo] = {}
        for name in parts.source.names:
            if re.fullmatch(r"xl/tables/[^/]+\.xml", name):
                head = parts.source.read(name)[:2000].decode("utf-8", "replace")
                found_id = re.search(r'<(?:\w+:)?table\b[^>]*?\sid="(\d+)"', head)
                found_name = re.search(r'<(?:\w+:)?table\b[^>]*?\sname="([^"]*)"', head)
                self.by_part[name] = _TableInfo(name, int(found_id.group(1)) if found_id else 0,
                                                found_name.group(1) if found_name else "")
        self.reusable: dict[str, _TableInfo] = {}

    def forget_sheet(self, sheet_part: str) -> None:
        """The tables of a sheet about to be replaced: reusable by name."""
        rels = rels_path(sheet_part)
        if rels not in self.parts.source:
            return
        from lxml import etree

        for rel in etree.fromstring(self.parts.source.read(rels)):
            if rel.get("Type") == REL_TYPES["table"]:
                info = self.by_part.pop(resolve(sheet_part, rel.get("Target", "")), None)
                if info is not None:
                    self.reusable[info.name.casefold()] = info

    def claim(self, name: str) -> _TableInfo:
        info = self.reusable.pop(name.casefold(), None)
        if info is None:
            taken = {t.name.casefold() for t in self.by_part.values()}
            final, k = name, 2
            while final.casefold() in taken:
                final, k = f"{name}_{k}", k + 1
            part = self.parts.free_part("xl/tables/table{}.xml")
            next_id = max([t.id for t in self.by_part.values()]
                          + [t.id for t in self.reusable.values()] + [0]) + 1
            info = _TableInfo(part, next_id, final)
        self.by_part[info.part] = info
        return info


def _add_tables(parts: WorkbookParts, new: dict, entry: SheetEntry, sheet: Sheet,
                rels: list, tables: _TableIds) -> list[str]:
    """One table part per block with a table name; returns the sheet's table rel ids."""
    ids = []
    for block in sheet.blocks:
        if block.table is None:
            continue
        info = tables.claim(block.table)
        parts.add_part(info.part, "table")
        rel_id = f"rId{len(rels) + 1}"
        rels.append((rel_id, REL_TYPES["table"], relative(entry.part, info.part)))
        new[info.part] = table_xml(block, info.id, info.name)
        ids.append(rel_id)
    return ids


def table_ref(block: Block) -> str:
    """The cells of a block's Excel Table: header row to the last value (at least one row)."""
    return (f"{column_letter(block.first_column)}{block.header_row}:"
            f"{column_letter(block.last_column)}{block.table_last_row}")


def table_xml(block: Block, table_id: int, name: str) -> bytes:
    """The table part of ``block``: columns named exactly as its header cells, with the
    table's own autoFilter (the sheet gets none on this range)."""
    ref = table_ref(block)
    columns = "".join(f'<tableColumn id="{i}" name={quoteattr(str(h))}/>'
                      for i, h in enumerate(block.header, start=1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'id="{table_id}" name={quoteattr(name)} displayName={quoteattr(name)} ref="{ref}" '
            f'totalsRowShown="0"><autoFilter ref="{ref}"/>'
            f'<tableColumns count="{len(block.header)}">{columns}</tableColumns>'
            '<tableStyleInfo name="TableStyleLight1" showFirstColumn="0" showLastColumn="0" '
            'showRowStripes="1" showColumnStripes="0"/></table>').encode("utf-8")


def _print_titles(sheet: Sheet) -> str | None:
    rows = sheet.print_setup.title_rows
    if rows is None:
        return None
    quoted = "'" + sheet.name.replace("'", "''") + "'"
    return f"{quoted}!${rows[0]}:${rows[1]}"


def _add_charts(parts: WorkbookParts, new: dict, entry: SheetEntry, sheet: Sheet,
                rels: list) -> str:
    """One drawing part holding every chart of the sheet, one chart part each, each named
    with our prefix (``charts.object_name``) so a refresh tells its charts from the user's;
    returns the sheet's drawing rel id."""
    drawing = parts.free_part("xl/drawings/drawing{}.xml")
    parts.add_part(drawing, "drawing")
    rels.append(("rId1", REL_TYPES["drawing"], relative(entry.part, drawing)))
    anchors, chart_rels = [], []
    for number, chart in enumerate(sheet.charts, start=1):
        part = parts.free_part("xl/charts/chart{}.xml")
        parts.add_part(part, "chart")
        new[part] = chart_xml(chart)
        rel_id = f"rId{number}"
        chart_rels.append((rel_id, REL_TYPES["chart"], relative(drawing, part)))
        anchors.append((chart.anchor, rel_id, report_charts.object_name(chart)))
    new[drawing] = drawing_xml(anchors)
    new[rels_path(drawing)] = relationships_xml(chart_rels)
    parts.add_part(rels_path(drawing))
    return "rId1"


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>")
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<bookViews><workbookView/></bookViews>'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData/></worksheet>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    # No theme part, so no theme references: explicit colour and font (see styles.py).
    '<fonts count="1"><font><sz val="11"/><color rgb="FF000000"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")


def new_workbook(path: PathLike, sheet_name: str | None = "Sheet1") -> Path:
    """A minimal valid empty .xlsx with one empty sheet (written atomically). ``sheet_name``
    None: no sheet at all, a package for ``write_report`` to add sheets to (Excel opens a
    workbook only once it holds a sheet)."""

    path = Path(path)
    members = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK.replace('"{name}"', quoteattr(sheet_name or "")),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": _SHEET,
        "xl/styles.xml": _STYLES,
    }
    if sheet_name is None:
        members["[Content_Types].xml"] = re.sub(r'<Override PartName="/xl/worksheets/sheet1.xml"[^>]*/>',
                                                "", _CONTENT_TYPES)
        members["xl/workbook.xml"] = re.sub(r"<sheets>.*</sheets>", "<sheets/>", _WORKBOOK)
        members["xl/_rels/workbook.xml.rels"] = re.sub(r'<Relationship Id="rId1" [^>]*/>', "",
                                                       _WORKBOOK_RELS)
        del members["xl/worksheets/sheet1.xml"]
    with atomic_output(path) as out:
        writer = PackageWriter(out)
        for name, text in members.items():
            writer.write(name, text.encode("utf-8"))
        writer.close()
    return path
