"""styles.xml: append the cell styles the generated sheets need, never renumber existing ones.

Each style is looked up first among the existing entries (compared as canonical XML), so a
second refresh finds the styles the first one added and leaves styles.xml byte-identical.
"""

from __future__ import annotations

from lxml import etree

from ...errors import WorkbookError, reason
from ...report.labels import FORMAT_CODES, HEADER_COLOUR, TIER_COLOURS

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_Q = "{%s}" % NS

# Format codes Excel has built in (ECMA-376 Part 1, 18.8.30): referenced by id, not re-declared.
BUILTIN_FORMAT_IDS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                      "0.00%": 10, "@": 49}
# Font children in schema order (CT_Font is a sequence in practice for Excel). Theme colour
# and theme font only when the workbook has a theme part: a reference to a missing theme is a
# risk for Excel's repair dialog, so without one the colour is explicit (black, as theme 1 is).
_BOLD_FONT = '<font xmlns="%s"><b/><sz val="%s"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
_BOLD_FONT_NO_THEME = '<font xmlns="%s"><b/><sz val="%s"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/></font>'


def _element(text: str) -> etree._Element:
    return etree.fromstring(text)


def _canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


class StyleBook:
    """styles.xml opened for appending. ``style(kind, fmt)`` returns a cellXfs index."""

    def __init__(self, xml: bytes, *, theme: bool = False) -> None:
        """``theme``: the workbook has a theme part, so fonts may refer to it."""
        self.original = xml
        self._bold_font = _BOLD_FONT if theme else _BOLD_FONT_NO_THEME
        try:
            self.root = etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            raise WorkbookError(f"styles.xml cannot be parsed: {reason(exc)}") from None
        self.changed = False
        self._cache: dict[tuple[str, str, str | None], int] = {}

    def _section(self, tag: str, before: tuple[str, ...]) -> etree._Element:
        found = self.root.find(_Q + tag)
        if found is not None:
            return found
        section = etree.Element(_Q + tag, count="0")
        for position, child in enumerate(self.root):
            if etree.QName(child).localname in before:
                self.root.insert(position, section)
                break
        else:
            self.root.append(section)
        self.changed = True
        return section

    def _find_or_append(self, section: etree._Element, item: etree._Element) -> int:
        wanted = _canonical(item)
        children = [c for c in section if isinstance(c.tag, str)]
        for index, child in enumerate(children):
            if _canonical(child) == wanted:
                return index
        section.append(item)
        section.set("count", str(len(children) + 1))
        self.changed = True
        return len(children)

    def _number_format(self, fmt: str) -> int:
        code = FORMAT_CODES[fmt]
        if code in BUILTIN_FORMAT_IDS:
            return BUILTIN_FORMAT_IDS[code]
        section = self._section("numFmts", before=("fonts", "fills", "borders", "cellStyleXfs", "cellXfs"))
        used = []
        for child in section.findall(_Q + "numFmt"):
            used.append(int(child.get("numFmtId")))
            if child.get("formatCode") == code:
                return int(child.get("numFmtId"))
        new_id = max([163, *used]) + 1
        etree.SubElement(section, _Q + "numFmt", numFmtId=str(new_id), formatCode=code)
        section.set("count", str(len(used) + 1))
        self.changed = True
        return new_id

    def _font(self, bold_size: str | None) -> int:
        if bold_size is None:
            return 0
        return self._find_or_append(self._section("fonts", ("fills",)),
                                    _element(self._bold_font % (NS, bold_size)))

    def _fill(self, rgb: str | None) -> int:
        if rgb is None:
            return 0
        fill = _element(f'<fill xmlns="{NS}"><patternFill patternType="solid">'
                        f'<fgColor rgb="{rgb}"/><bgColor indexed="64"/></patternFill></fill>')
        return self._find_or_append(self._section("fills", ("borders",)), fill)

    def style(self, kind: str, fmt: str = "text", tier: str | None = None) -> int:
        """Index into cellXfs for a cell of ``kind`` "cell" / "header" / "title" / "tier"
        with number format ``fmt`` (labels.NUMBER_FORMATS -> labels.FORMAT_CODES); ``tier``
        A..D for "tier" (fill labels.TIER_COLOURS)."""
        key = (kind, fmt, tier)
        if key in self._cache:
            return self._cache[key]
        number = self._number_format(fmt)
        font = self._font({"header": "11", "title": "12"}.get(kind))
        colour = HEADER_COLOUR if kind == "header" else TIER_COLOURS.get(tier or "")
        fill = self._fill("FF" + colour if colour else None)
        attrs = [f'numFmtId="{number}"', f'fontId="{font}"', f'fillId="{fill}"', 'borderId="0"',
                 'xfId="0"']
        if number:
            attrs.append('applyNumberFormat="1"')
        if font:
            attrs.append('applyFont="1"')
        if fill:
            attrs.append('applyFill="1"')
        xf = _element(f'<xf xmlns="{NS}" {" ".join(attrs)}/>')
        cell_xfs = self.root.find(_Q + "cellXfs")
        if cell_xfs is None:
            raise WorkbookError("styles.xml has no cellXfs")
        index = self._find_or_append(cell_xfs, xf)
        self._cache[key] = index
        return index

    def to_bytes(self) -> bytes:
        """styles.xml: the original bytes when nothing was added."""
        if not self.changed:
            return self.original
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)
