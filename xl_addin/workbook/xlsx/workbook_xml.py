"""The package-level parts a refresh edits: workbook.xml, its relationships, [Content_Types].xml.

``WorkbookParts`` reads them from the source package, records which parts are added and which
are removed, and serialises the edited XML. Part numbers are the lowest free ones, so replacing
a sheet's drawing and chart reuses the same part names and a second refresh gives the same
bytes as the first.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from typing import Iterable

from lxml import etree

from ...errors import WorkbookError, reason
from .package import SourcePackage

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE_DOCUMENT = REL + "/officeDocument"
# ISO/IEC 29500 Strict names its relationships (and every part's namespace) differently.
STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
REL_TYPES = {
    "worksheet": REL + "/worksheet",
    "drawing": REL + "/drawing",
    "chart": REL + "/chart",
    "table": REL + "/table",
}
CONTENT_TYPES = {
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
    "table": "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml",
}
FILTER_DATABASE = "_xlnm._FilterDatabase"
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
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
            if any(r.get("Type") == STRICT_OFFICE_DOCUMENT for r in root_rels):
                raise WorkbookError(
                    f"'{source.path}' is saved as Strict Open XML Spreadsheet, which the refresh "
                    "cannot write into. In Excel, use File > Save As > Excel Workbook (*.xlsx) "
                    "and refresh that copy.")
            self.workbook_part = next(
                r.get("Target").lstrip("/") for r in root_rels
                if r.get("Type") == OFFICE_DOCUMENT)
            self.workbook = etree.fromstring(source.read(self.workbook_part))
            self.rels_part = rels_path(self.workbook_part)
            self.rels = etree.fromstring(source.read(self.rels_part))
            self.content_types = etree.fromstring(source.read("[Content_Types].xml"))
        except StopIteration:
            raise WorkbookError(f"'{source.path}' is not a valid workbook: _rels/.rels names "
                                "no workbook part") from None
        except (KeyError, etree.XMLSyntaxError) as exc:
            raise WorkbookError(f"'{source.path}' is not a valid workbook: {reason(exc)}") from None
        self.deleted: set[str] = set()
        self.added: list[str] = []
        self._calc_chain = CalcChain.of(self)
        self._original_names = [(s, s.get("name")) for s in self._sheets_element()]
        self._code_names: set[str] | None = None

    # -- reading ---------------------------------------------------------------------------

    @functools.cached_property
    def _references(self) -> dict[str, int]:
        """Part -> how many relationships of the source point at it. Counted on first use
        (removing a part): a reader of the sheet list (``user_objects``, ``owned_sheets``)
        does not parse every .rels part of the package."""
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
    def has_theme(self) -> bool:
        """The workbook relates a theme part that exists."""
        return any(r.get("Type", "").endswith("/theme")
                   and resolve(self.workbook_part, r.get("Target", "")) in self.source
                   for r in self.rels)

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

    def clear_dependents(self, part: str, keep: Iterable[str] = ()) -> None:
        """Delete what sheet ``part`` uses (drawings, charts, ...) but keep the part itself.
        A target that another part still references is kept, and so are the ``keep`` parts
        (with what they use). The sheet's calcChain entries go too: its formulas are gone
        once the part is rewritten or removed."""
        sheet = next((e for e in self.sheets() if e.part == part), None)
        if sheet is not None and self._calc_chain is not None:
            self._calc_chain.drop_sheet(sheet.element.get("sheetId"))
        rels = rels_path(part)
        if rels not in self.source or rels in self.deleted:
            return
        self.deleted.add(rels)
        for rel in etree.fromstring(self.source.read(rels)):
            if rel.get("TargetMode") == "External":
                continue
            target = resolve(part, rel.get("Target", ""))
            if target in keep:
                continue
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

    # -- codeName of new sheets in macro workbooks ------------------------------------------

    @property
    def has_vba(self) -> bool:
        return any(r.get("Type", "").endswith("/vbaProject") for r in self.rels)

    def code_name(self, entry: SheetEntry, hint: str) -> str | None:
        """The ``<sheetPr codeName>`` for a sheet being written, in a workbook with a VBA
        project (else None): the codeName the part already had, or a new one unique ignoring
        case among the workbook's codeNames, "CT" + the ASCII words of ``hint`` ("CTTiers")."""
        if not self.has_vba:
            return None
        used = self._used_code_names()
        if entry.part in self.source:
            own = _sheet_code_name(self.source, entry.part)
            if own:
                return own
        words = re.findall(r"[A-Za-z0-9]+", hint)
        base = ("CT" + "".join(w[:1].upper() + w[1:] for w in words))[:28]
        name, k = base, 1
        while name.casefold() in used:
            k += 1
            name = f"{base}{k}"
        used.add(name.casefold())
        return name

    def _used_code_names(self) -> set[str]:
        if self._code_names is None:
            names = set()
            pr = self.workbook.find(_q(MAIN, "workbookPr"))
            if pr is not None and pr.get("codeName"):
                names.add(pr.get("codeName").casefold())
            for entry in self.sheets():
                if entry.part in self.source:
                    own = _sheet_code_name(self.source, entry.part)
                    if own:
                        names.add(own.casefold())
            self._code_names = names
        return self._code_names

    # -- docProps/app.xml -------------------------------------------------------------------

    def _edited_app_properties(self) -> tuple[str, bytes] | None:
        """docProps/app.xml with its sheet titles following the sheets added, renamed and
        removed; None when no sheet changed or app.xml has no sheet list to keep in step."""
        current = [(s, s.get("name")) for s in self._sheets_element()]
        before = dict(self._original_names)
        now = dict(current)
        renamed = {name: now[el] for el, name in before.items() if el in now and now[el] != name}
        removed = {name for el, name in before.items() if el not in now}
        added = [name for el, name in current if el not in before]
        if not (renamed or removed or added):
            return None
        part = next((resolve("", r.get("Target", "")) for r in etree.fromstring(
            self.source.read("_rels/.rels")) if r.get("Type", "").endswith("/extended-properties")),
            None)
        if part is None or part not in self.source:
            return None
        try:
            root = etree.fromstring(self.source.read(part))
        except etree.XMLSyntaxError:
            return None
        pairs = root.find(f"{{{EXTENDED}}}HeadingPairs/{{{VT}}}vector")
        titles = root.find(f"{{{EXTENDED}}}TitlesOfParts/{{{VT}}}vector")
        if pairs is None or titles is None:
            return None
        counts = [v for v in pairs.iter(f"{{{VT}}}i4")]
        try:
            sizes = [int(c.text) for c in counts]
        except (TypeError, ValueError):
            return None
        items = list(titles)
        if sum(sizes) != len(items):
            return None  # already inconsistent: not ours to guess at
        # The worksheets' group is the one that lists most of the workbook's sheets (its
        # heading is localised: "Worksheets", "工作表", "Arbeitsblätter" ...).
        groups, start = [], 0
        for size in sizes:
            groups.append(items[start:start + size])
            start += size
        names = set(before.values())
        best = max(range(len(groups)), key=lambda g: sum(t.text in names for t in groups[g]),
                   default=None)
        if best is None or not any(t.text in names for t in groups[best]):
            return None
        group = groups[best]
        prototype = group[0]
        listed = [t.text for t in group]
        new_titles = [renamed.get(t, t) for t in listed if t not in removed or t in now.values()]
        new_titles += [n for n in added if n not in new_titles]
        for element in group:
            titles.remove(element)
        position = sum(sizes[:best])
        for offset, text in enumerate(new_titles):
            element = etree.Element(prototype.tag)
            element.text = text
            titles.insert(position + offset, element)
        counts[best].text = str(len(new_titles))
        titles.set("size", str(len(titles)))
        return part, serialise(root)

    def set_filter_database(self, sheet_index: int, ref: str | None) -> None:
        """The hidden _xlnm._FilterDatabase name of the sheet at ``sheet_index`` (0-based):
        removed, then set to ``ref`` ('Tiers'!$A$1:$Z$101) when given."""
        self.set_sheet_name(FILTER_DATABASE, sheet_index, ref)

    def set_print_titles(self, sheet_index: int, ref: str | None) -> None:
        """The _xlnm.Print_Titles name (rows repeated on every printed page, 'Tiers'!$1:$1)
        of the sheet at ``sheet_index``: removed, then set to ``ref`` when given."""
        self.set_local_name(PRINT_TITLES, sheet_index, ref)

    def sheet_names_defined(self, name: str) -> dict[int, str]:
        """0-based sheet index -> text of every hidden sheet-scoped defined name ``name``."""
        names = self.workbook.find(_q(MAIN, "definedNames"))
        found = {}
        for item in (names if names is not None else ()):
            if item.get("name") == name and (item.get("localSheetId") or "").isdigit():
                found[int(item.get("localSheetId"))] = item.text or ""
        return found

    def set_sheet_name(self, name: str, sheet_index: int, text: str | None) -> None:
        """The hidden defined name ``name`` scoped to the sheet at ``sheet_index`` (0-based):
        removed, then set to the formula ``text`` when given."""
        self.set_local_name(name, sheet_index, text, hidden=True)

    def set_local_name(self, name: str, sheet_index: int, ref: str | None,
                       hidden: bool = False) -> None:
        """A sheet-scoped defined name (our marks, _FilterDatabase, Print_Titles): removed,
        then set to ``ref`` when given, in the place it had (so refreshing twice writes the
        same bytes)."""
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
            for at, child in enumerate(self.workbook):
                if etree.QName(child).localname in _AFTER_DEFINED_NAMES:
                    self.workbook.insert(at, names)
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
        removed and then written again keeps its place in [Content_Types].xml. calcChain.xml
        is rewritten only when entries were dropped, and removed (with its relationship and
        override) when none is left, as the schema needs at least one entry."""
        edited: dict[str, bytes] = {}
        app = self._edited_app_properties()
        if app is not None:
            edited[app[0]] = app[1]
        chain = self._calc_chain
        if chain is not None and chain.changed:
            if chain.empty:
                self.deleted.add(chain.part)
                for rel in list(self.rels):
                    if rel.get("Id") == chain.rel_id:
                        self.rels.remove(rel)
            else:
                edited[chain.part] = serialise(chain.root)
        for part in self.deleted:
            self._remove_override(part)
        edited.update({
            self.workbook_part: serialise(self.workbook),
            self.rels_part: serialise(self.rels),
            "[Content_Types].xml": serialise(self.content_types),
        })
        return edited


def _sheet_code_name(source: SourcePackage, part: str) -> str | None:
    """``<sheetPr codeName>`` of a sheet part, reading only up to its first elements."""
    try:
        with source.open(part) as stream:
            for _, element in etree.iterparse(stream, events=("start",)):
                local = etree.QName(element).localname
                if local == "sheetPr":
                    return element.get("codeName")
                if local not in ("worksheet", "chartsheet", "dialogsheet", "macrosheet"):
                    return None
    except (KeyError, etree.XMLSyntaxError):
        return None
    return None


class CalcChain:
    """xl/calcChain.xml: Excel's order of formula cells, ``<c r="A1" i="sheetId"/>``, where
    an entry without ``i`` belongs to the sheet of the entry before it. An entry whose cell
    holds no formula makes Excel repair the file ("Removed Records: Formula from
    /xl/calcChain.xml"), so the entries of a rewritten sheet are dropped; Excel rebuilds the
    chain on its next recalculation."""

    def __init__(self, part: str, rel_id: str, root: etree._Element) -> None:
        self.part = part
        self.rel_id = rel_id
        self.root = root
        self.changed = False

    @classmethod
    def of(cls, parts: WorkbookParts) -> CalcChain | None:
        for rel in parts.rels:
            if rel.get("Type", "").endswith("/calcChain") and rel.get("TargetMode") != "External":
                part = resolve(parts.workbook_part, rel.get("Target", ""))
                if part in parts.source:
                    try:
                        return cls(part, rel.get("Id"), etree.fromstring(parts.source.read(part)))
                    except etree.XMLSyntaxError:
                        return None  # left as it is: not ours to repair
        return None

    @property
    def empty(self) -> bool:
        return not any(isinstance(c.tag, str) for c in self.root)

    def drop_sheet(self, sheet_id: str | None) -> None:
        """Remove the entries of the sheet with ``sheet_id``; an entry after a removed run
        that relied on the inherited ``i`` gets it written out."""
        current = previous_kept = None
        for cell in list(self.root):
            if not isinstance(cell.tag, str):
                continue
            if cell.get("i") is not None:
                current = cell.get("i")
            if current == sheet_id:
                self.root.remove(cell)
                self.changed = True
                continue
            if cell.get("i") is None and current != previous_kept and current is not None:
                cell.set("i", current)
            previous_kept = current


def absolute_ref(sheet: str, ref: str) -> str:
    """'Sheet'!$A$1:$Z$9 from a sheet name and A1:Z9."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    return quoted + "!" + re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref)
