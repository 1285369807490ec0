"""Write generated sheets into an .xlsx / .xlsm by editing the package directly.

Only the product's own parts change: its worksheets with their drawings and charts, and the
entries they need in workbook.xml, xl/_rels/workbook.xml.rels, [Content_Types].xml and
styles.xml. Every other member is copied byte for byte (compressed bytes included).

Which sheets are "ours": a sheet whose name is the output-language name of a report sheet is
replaced; failing that, a sheet with the other language's name is replaced and renamed (a
refresh in 中文 turns "Tiers" into "客户分级" in place, keeping its tab position); else the sheet
is added at the end. Sheets are never deleted. Settings / 设置 is written only when neither
name exists, so a user's edits are never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from ...errors import CustomerTiersError, WorkbookError
from ...report import labels
from ...report.layout import Block, Report, Sheet, _column_widths
from .chart_xml import chart_xml
from .drawing_xml import drawing_xml
from .package import PackageWriter, SourcePackage, atomic_output
from .styles import StyleBook
from .workbook_xml import (REL_TYPES, SheetEntry, WorkbookParts, absolute_ref, relationships_xml,
                           relative, rels_path)
from .worksheet_xml import CellStyles, worksheet_chunks

PathLike = str | os.PathLike


def _alternate_names(sheet: Sheet) -> tuple[str, ...]:
    names = labels.SHEET_NAMES.get(sheet.key)
    return tuple(n for n in names if n != sheet.name) if names else ()


def write_report(source: PathLike, report: Report, dest: PathLike | None = None) -> Path:
    """Write every sheet of ``report`` into the workbook ``source``, saved as ``dest``
    (default: ``source``, replaced atomically). Returns the path written."""
    return _write_sheets(source, report.sheets, dest)


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


def _write_sheets(source: PathLike, sheets: Sequence[Sheet], dest: PathLike | None) -> Path:
    source = Path(source)
    dest = Path(dest) if dest is not None else source
    with SourcePackage(source) as package:
        parts = WorkbookParts(package)
        styles_part = "xl/styles.xml"
        if styles_part not in package:
            raise WorkbookError(f"'{source}' has no xl/styles.xml")
        book = StyleBook(package.read(styles_part))
        new: dict[str, bytes | Iterable[bytes]] = {}
        existing = parts.sheets()
        for sheet in sheets:
            entry = _find_sheet(existing, sheet)
            if sheet.only_if_missing and entry is not None:
                continue
            for block in sheet.blocks:  # every style is known before styles.xml is written
                CellStyles(block, book)
            if entry is None:
                entry = parts.add_sheet(sheet.name)
                existing.append(entry)
            else:
                if not entry.part.startswith("xl/worksheets/"):
                    raise WorkbookError(f"sheet '{entry.name}' in '{source}' is not a worksheet; "
                                        "rename it so the refresh can create its own")
                parts.clear_dependents(entry.part)
                entry.element.set("name", sheet.name)
                entry.name = sheet.name
                parts.add_part(entry.part, "worksheet")
            index = next(i for i, e in enumerate(existing) if e is entry)
            parts.set_filter_database(
                index, absolute_ref(sheet.name, sheet.autofilter) if sheet.autofilter else None)
            parts.set_print_titles(index, _print_titles(sheet))
            drawing_rel = _add_charts(parts, new, entry, sheet) if sheet.charts else None
            new[entry.part] = worksheet_chunks(sheet, book, drawing_rel_id=drawing_rel,
                                               date1904=parts.date1904)
        new.update(parts.edited_parts())
        new[styles_part] = book.to_bytes()
        try:
            with atomic_output(dest) as out:
                writer = PackageWriter(out)
                for member in package.members:
                    if member.name in new:
                        writer.write(member.name, new.pop(member.name), _level(member.name))
                    elif member.name not in parts.deleted:
                        writer.copy(package, member)
                for name, content in new.items():
                    writer.write(name, content, _level(name))
                writer.close(package.comment)
        except CustomerTiersError:
            raise
        except OSError as exc:
            raise WorkbookError(f"cannot write '{dest}': {exc.strerror or exc}") from exc
    return dest


def _level(part: str) -> int:
    """zlib level: 1 for worksheets (large, written on every refresh: speed first), else 6."""
    return 1 if part.startswith("xl/worksheets/sheet") else 6


def _find_sheet(existing: list[SheetEntry], sheet: Sheet) -> SheetEntry | None:
    for name in (sheet.name, *_alternate_names(sheet)):
        for entry in existing:
            if entry.name == name:
                return entry
    return None


def _print_titles(sheet: Sheet) -> str | None:
    rows = sheet.print_setup.title_rows
    if rows is None:
        return None
    quoted = "'" + sheet.name.replace("'", "''") + "'"
    return f"{quoted}!${rows[0]}:${rows[1]}"


def _add_charts(parts: WorkbookParts, new: dict, entry: SheetEntry, sheet: Sheet) -> str:
    """One drawing part holding every chart of the sheet, one chart part each; returns the
    sheet's drawing rel id."""
    drawing = parts.free_part("xl/drawings/drawing{}.xml")
    parts.add_part(drawing, "drawing")
    new[rels_path(entry.part)] = relationships_xml(
        [("rId1", REL_TYPES["drawing"], relative(entry.part, drawing))])
    parts.add_part(rels_path(entry.part))
    anchors, rels = [], []
    for number, chart in enumerate(sheet.charts, start=1):
        part = parts.free_part("xl/charts/chart{}.xml")
        parts.add_part(part, "chart")
        new[part] = chart_xml(chart)
        rel_id = f"rId{number}"
        rels.append((rel_id, REL_TYPES["chart"], relative(drawing, part)))
        anchors.append((chart.anchor, rel_id, chart.name))
    new[drawing] = drawing_xml(anchors)
    new[rels_path(drawing)] = relationships_xml(rels)
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
    '<fonts count="1"><font><sz val="11"/><color theme="1"/><name val="Calibri"/>'
    '<family val="2"/><scheme val="minor"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")


def new_workbook(path: PathLike, sheet_name: str = "Sheet1") -> Path:
    """A minimal valid empty .xlsx with one empty sheet (written atomically)."""
    from xml.sax.saxutils import quoteattr

    path = Path(path)
    members = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK.replace('"{name}"', quoteattr(sheet_name)),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": _SHEET,
        "xl/styles.xml": _STYLES,
    }
    with atomic_output(path) as out:
        writer = PackageWriter(out)
        for name, text in members.items():
            writer.write(name, text.encode("utf-8"))
        writer.close()
    return path
