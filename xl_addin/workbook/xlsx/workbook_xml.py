"""The package-level parts a refresh edits: workbook.xml, its relationships, [Content_Types].xml.

``WorkbookParts`` reads them from the source package, records which parts are added and which
are removed, and serialises the edited XML. Part numbers are the lowest free ones, so replacing
a sheet's drawing and chart reuses the same part names and a second refresh gives the same
bytes as the first.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Iterable

from lxml import etree

from ...errors import WorkbookError
from .package import SourcePackage

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE_DOCUMENT = REL + "/officeDocument"
REL_TYPES = {
    "worksheet": REL + "/worksheet",
    "drawing": REL + "/drawing",
    "chart": REL + "/chart",
}
CONTENT_TYPES = {
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
}
FILTER_DATABASE = "_xlnm._FilterDatabase"
PRINT_TITLES = "_xlnm.Print_Titles"
# Children of <workbook> that come after <definedNames> (CT_Workbook sequence).
_AFTER_DEFINED_NAMES = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches",
                        "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr",
                        "webPublishObjects", "extLst")


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def rels_path(part: str) -> str:
    """The relationships part of ``part``: xl/worksheets/sheet1.xml -> xl/worksheets/_rels/sheet1.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(part: str, target: str) -> str:
    """A relationship target of ``part`` as a package path without a leading slash."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def relative(part: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(part))


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def relationships_xml(entries: Iterable[tuple[str, str, str]]) -> bytes:
    """A .rels part from (Id, Type, Target) entries."""
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>'
                   for i, t, target in entries)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL}">{body}</Relationships>').encode("utf-8")


@dataclass
class SheetEntry:
    name: str
    part: str
    element: etree._Element


class WorkbookParts:
    """workbook.xml, workbook.xml.rels and [Content_Types].xml of one package, being edited."""

    def __init__(self, source: SourcePackage) -> None:
        self.source = source
        try:
            root_rels = etree.fromstring(source.read("_rels/.rels"))
            self.workbook_part = next(
                r.get("Target").lstrip("/") for r in root_rels
                if r.get("Type") == OFFICE_DOCUMENT)
            self.workbook = etree.fromstring(source.read(self.workbook_part))
            self.rels_part = rels_path(self.workbook_part)
            self.rels = etree.fromstring(source.read(self.rels_part))
            self.content_types = etree.fromstring(source.read("[Content_Types].xml"))
        except (KeyError, StopIteration, etree.XMLSyntaxError) as exc:
            raise WorkbookError(f"'{source.path}' is not a valid workbook: {exc}") from None
        self.deleted: set[str] = set()
        self.added: list[str] = []
        self._references = self._count_references()

    # -- reading ---------------------------------------------------------------------------

    def _count_references(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name in self.source.names:
            if not name.endswith(".rels"):
                continue
            owner = self._owner_of_rels(name)
            for rel in etree.fromstring(self.source.read(name)):
                if rel.get("TargetMode") != "External":
                    target = resolve(owner, rel.get("Target", ""))
                    counts[target] = counts.get(target, 0) + 1
        return counts

    @staticmethod
    def _owner_of_rels(rels: str) -> str:
        folder, name = posixpath.split(rels)
        return posixpath.join(posixpath.dirname(folder), name[: -len(".rels")])

    @property
    def date1904(self) -> bool:
        pr = self.workbook.find(_q(MAIN, "workbookPr"))
        return pr is not None and pr.get("date1904") in ("1", "true")

    def _sheets_element(self) -> etree._Element:
        sheets = self.workbook.find(_q(MAIN, "sheets"))
        if sheets is None:
            raise WorkbookError(f"'{self.source.path}': workbook.xml has no <sheets>")
        return sheets

    def sheets(self) -> list[SheetEntry]:
        """Every sheet in tab order with its part path."""
        targets = {r.get("Id"): resolve(self.workbook_part, r.get("Target")) for r in self.rels}
        return [SheetEntry(s.get("name"), targets.get(s.get(_q(REL, "id")), ""), s)
                for s in self._sheets_element()]

    def exists(self, part: str) -> bool:
        return (part in self.source and part not in self.deleted) or part in self.added

    # -- editing ---------------------------------------------------------------------------

    def free_part(self, pattern: str) -> str:
        """The lowest free part name for ``pattern`` ("xl/charts/chart{}.xml")."""
        k = 1
        while self.exists(pattern.format(k)):
            k += 1
        return pattern.format(k)

    def add_part(self, part: str, kind: str | None = None) -> None:
        """Record a new (or rewritten) part and its content-type override."""
        self.added.append(part)
        self.deleted.discard(part)
        if kind:
            self._set_override(part, CONTENT_TYPES[kind])

    def delete_part(self, part: str) -> None:
        """Remove ``part``, its relationships part and, recursively, every part only it uses."""
        if part in self.deleted or part not in self.source:
            return
        self.deleted.add(part)
        self.clear_dependents(part)

    def clear_dependents(self, part: str) -> None:
        """Delete what sheet ``part`` uses (drawings, charts, ...) but keep the part itself.
        A target that another part still references is kept."""
        rels = rels_path(part)
        if rels not in self.source or rels in self.deleted:
            return
        self.deleted.add(rels)
        for rel in etree.fromstring(self.source.read(rels)):
            if rel.get("TargetMode") == "External":
                continue
            target = resolve(part, rel.get("Target", ""))
            self._references[target] = self._references.get(target, 1) - 1
            if self._references[target] <= 0:
                self.delete_part(target)

    def _set_override(self, part: str, content_type: str) -> None:
        name = "/" + part
        for item in self.content_types.findall(_q(CT, "Override")):
            if item.get("PartName") == name:
                item.set("ContentType", content_type)
                return
        etree.SubElement(self.content_types, _q(CT, "Override"), PartName=name,
                         ContentType=content_type)

    def _remove_override(self, part: str) -> None:
        name = "/" + part
        for item in self.content_types.findall(_q(CT, "Override")):
            if item.get("PartName") == name:
                self.content_types.remove(item)

    def _free_rel_id(self) -> str:
        used = {r.get("Id") for r in self.rels}
        k = 1
        while f"rId{k}" in used:
            k += 1
        return f"rId{k}"

    def add_sheet(self, name: str) -> SheetEntry:
        """A new worksheet at the end of the tab order."""
        part = self.free_part("xl/worksheets/sheet{}.xml")
        rel_id = self._free_rel_id()
        etree.SubElement(self.rels, _q(PKG_REL, "Relationship"), Id=rel_id,
                         Type=REL_TYPES["worksheet"], Target=relative(self.workbook_part, part))
        sheets = self._sheets_element()
        sheet_id = max([int(s.get("sheetId", "0")) for s in sheets] + [0]) + 1
        element = etree.SubElement(sheets, _q(MAIN, "sheet"), name=name, sheetId=str(sheet_id))
        element.set(_q(REL, "id"), rel_id)
        self.add_part(part, "worksheet")
        return SheetEntry(name, part, element)

    def set_filter_database(self, sheet_index: int, ref: str | None) -> None:
        """The hidden _xlnm._FilterDatabase name of the sheet at ``sheet_index`` (0-based):
        removed, then set to ``ref`` ('Tiers'!$A$1:$Z$101) when given."""
        self.set_local_name(FILTER_DATABASE, sheet_index, ref, hidden=True)

    def set_print_titles(self, sheet_index: int, ref: str | None) -> None:
        """The _xlnm.Print_Titles name (rows repeated on every printed page, 'Tiers'!$1:$1)
        of the sheet at ``sheet_index``: removed, then set to ``ref`` when given."""
        self.set_local_name(PRINT_TITLES, sheet_index, ref)

    def set_local_name(self, name: str, sheet_index: int, ref: str | None,
                       hidden: bool = False) -> None:
        """A sheet-scoped defined name: removed, then set to ``ref`` when given, in the place
        it had (so refreshing twice writes the same bytes)."""
        names = self.workbook.find(_q(MAIN, "definedNames"))
        position = None
        if names is not None:
            for index, item in enumerate(list(names)):
                if item.get("name") == name and item.get("localSheetId") == str(sheet_index):
                    position = index if position is None else position
                    names.remove(item)
        if ref is None:
            if names is not None and len(names) == 0:
                self.workbook.remove(names)
            return
        if names is None:
            names = etree.Element(_q(MAIN, "definedNames"))
            for position, child in enumerate(self.workbook):
                if etree.QName(child).localname in _AFTER_DEFINED_NAMES:
                    self.workbook.insert(position, names)
                    break
            else:
                self.workbook.append(names)
        item = etree.Element(_q(MAIN, "definedName"), name=name, localSheetId=str(sheet_index))
        if position is None:
            names.append(item)
        else:
            names.insert(position, item)
        if hidden:
            item.set("hidden", "1")
        item.text = ref

    def edited_parts(self) -> dict[str, bytes]:
        """The edited XML parts. Overrides of removed parts go only now, so a part that is
        removed and then written again keeps its place in [Content_Types].xml."""
        for part in self.deleted:
            self._remove_override(part)
        return {
            self.workbook_part: serialise(self.workbook),
            self.rels_part: serialise(self.rels),
            "[Content_Types].xml": serialise(self.content_types),
        }


def absolute_ref(sheet: str, ref: str) -> str:
    """'Sheet'!$A$1:$Z$9 from a sheet name and A1:Z9."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    return quoted + "!" + re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref)
