"""The drawing part: anchors charts (graphicFrames) to cells of a worksheet."""

from __future__ import annotations

from typing import Sequence
from .xml_escape import escape


def drawing_xml(charts: Sequence[tuple[tuple[int, int, int, int], str, str]]) -> bytes:
    """A drawing part with one two-cell anchor per chart: (anchor, chart rel id, name), the
    anchor being 0-based (from column, from row, to column, to row)."""

    def corner(tag: str, col: int, row: int) -> str:
        return (f"<xdr:{tag}><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff>"
                f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>")

    anchors = []
    for shape_id, ((c1, r1, c2, r2), rel_id, name) in enumerate(charts, start=2):
        anchors.append(
            '<xdr:twoCellAnchor editAs="oneCell">' + corner("from", c1, r1) + corner("to", c2, r2)
            + '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{shape_id}" name="{escape(name)}"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
            f'r:id="{rel_id}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
            "<xdr:clientData/></xdr:twoCellAnchor>")
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
           'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
           + "".join(anchors) + "</xdr:wsDr>")
    return xml.encode("utf-8")
