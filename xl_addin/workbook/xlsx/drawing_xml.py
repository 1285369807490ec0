"""The drawing part: anchors a chart (graphicFrame) to cells of a worksheet."""

from __future__ import annotations

from xml.sax.saxutils import escape


def drawing_xml(anchor: tuple[int, int, int, int], chart_rel_id: str, name: str = "Chart 1") -> bytes:
    """A drawing part with one chart in a two-cell anchor (0-based from/to column and row)."""
    c1, r1, c2, r2 = anchor

    def corner(tag: str, col: int, row: int) -> str:
        return (f"<xdr:{tag}><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff>"
                f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>")

    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
           'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
           '<xdr:twoCellAnchor editAs="oneCell">' + corner("from", c1, r1) + corner("to", c2, r2)
           + '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
           f'<xdr:cNvPr id="2" name="{escape(name)}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
           '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
           '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
           '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
           f'r:id="{chart_rel_id}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
           "<xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>")
    return xml.encode("utf-8")
