"""Chart parts (DrawingML c:chartSpace) for ``report.charts.Chart``: bar, line, combo, scatter.

Axis ids: 1 (category / x) and 2 (value / y) on the primary axes; a combo chart's lines sit on
3 (a hidden category axis) and 4 (the secondary value axis, on the right). Every series
carries a cache of its cells (c:strCache for text categories, c:numCache for numbers) so a
viewer that draws from the file without recalculating shows the chart. Element order follows
the ECMA-376 chart schema (CT_BarSer, CT_LineSer, CT_ScatterSer, CT_BarChart, CT_CatAx,
CT_ValAx), as XlsxWriter writes it.
"""

from __future__ import annotations

from .xml_escape import escape

from ...report.charts import Axis, Chart, Series

NAMESPACES = ('xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
              'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
              'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
EMU_PER_POINT = 12700


def rich_text(text: str, size: int = 1200, bold: bool = True) -> str:
    """<c:tx><c:rich> holding one paragraph of ``text`` (size in 1/100 pt)."""
    b = ' b="1"' if bold else ' b="0"'
    return (f'<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}"{b}/>'
            f'</a:pPr><a:r><a:rPr lang="en-US" sz="{size}"{b}/><a:t>{escape(text)}</a:t></a:r>'
            f"</a:p></c:rich></c:tx>")


def title_xml(text: str, size: int = 1200) -> str:
    return f'<c:title>{rich_text(text, size)}<c:overlay val="0"/></c:title>'


def fill_xml(colour: str) -> str:
    return f'<c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></c:spPr>'


def line_properties(colour: str | None, width_emu: int, dash: str | None = None) -> str:
    dash_xml = f'<a:prstDash val="{dash}"/>' if dash else ""
    fill = f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>' if colour else ""
    return (f'<c:spPr><a:ln w="{width_emu}" cap="rnd">{fill}{dash_xml}<a:round/></a:ln>'
            "</c:spPr>")


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) or abs(value) >= 1e15 else str(int(value))


def num_cache(values: tuple, format_code: str = "General") -> str:
    """<c:numCache>: every cell counted, empty cells have no c:pt."""
    points = "".join(f'<c:pt idx="{i}"><c:v>{_number(v)}</c:v></c:pt>'
                     for i, v in enumerate(values) if v is not None)
    return (f"<c:numCache><c:formatCode>{escape(format_code)}</c:formatCode>"
            f'<c:ptCount val="{len(values)}"/>{points}</c:numCache>')


def str_cache(values: tuple) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{escape(str(v))}</c:v></c:pt>'
                     for i, v in enumerate(values) if v is not None)
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'


def numeric(values: tuple) -> bool:
    return all(v is None or isinstance(v, float) for v in values)


def category_ref(tag: str, reference: str | None, values: tuple) -> str:
    """<c:cat> / <c:xVal>: a number reference when every cell is a number, else text."""
    if reference is None:
        return ""
    if numeric(values):
        return (f"<c:{tag}><c:numRef><c:f>{escape(reference)}</c:f>{num_cache(values)}"
                f"</c:numRef></c:{tag}>")
    return (f"<c:{tag}><c:strRef><c:f>{escape(reference)}</c:f>{str_cache(values)}"
            f"</c:strRef></c:{tag}>")


def value_ref(tag: str, reference: str, values: tuple) -> str:
    return (f"<c:{tag}><c:numRef><c:f>{escape(reference)}</c:f>{num_cache(values)}"
            f"</c:numRef></c:{tag}>")


def _head(index: int, series: Series) -> str:
    return (f'<c:idx val="{index}"/><c:order val="{index}"/>'
            f"<c:tx><c:v>{escape(series.name)}</c:v></c:tx>")


def _marker(series: Series) -> str:
    if not series.markers:
        return '<c:marker><c:symbol val="none"/></c:marker>'
    colour = series.colour or "000000"
    return (f'<c:marker><c:symbol val="circle"/><c:size val="7"/>{fill_xml(colour)}'
            "</c:marker>")


def bar_series_xml(index: int, series: Series) -> str:
    points = "".join(
        f'<c:dPt><c:idx val="{i}"/><c:invertIfNegative val="0"/><c:bubble3D val="0"/>'
        f"{fill_xml(colour)}</c:dPt>"
        for i, colour in enumerate(series.point_colours) if colour and colour != series.colour)
    return (f"<c:ser>{_head(index, series)}{fill_xml(series.colour or '4472C4')}"
            f'<c:invertIfNegative val="0"/>{points}'
            f"{category_ref('cat', series.categories, series.category_cache)}"
            f"{value_ref('val', series.values, series.value_cache)}</c:ser>")


def line_series_xml(index: int, series: Series) -> str:
    width = int(series.line_width * EMU_PER_POINT)
    return (f"<c:ser>{_head(index, series)}"
            f"{line_properties(series.colour, width, series.dash)}{_marker(series)}"
            f"{category_ref('cat', series.categories, series.category_cache)}"
            f"{value_ref('val', series.values, series.value_cache)}"
            '<c:smooth val="0"/></c:ser>')


def scatter_series_xml(index: int, series: Series) -> str:
    width = int(series.line_width * EMU_PER_POINT)
    line = (line_properties(series.colour, width, series.dash) if series.line
            else '<c:spPr><a:ln w="19050"><a:noFill/></a:ln></c:spPr>')
    return (f"<c:ser>{_head(index, series)}{line}{_marker(series)}"
            f"{category_ref('xVal', series.categories, series.category_cache)}"
            f"{value_ref('yVal', series.values, series.value_cache)}"
            '<c:smooth val="0"/></c:ser>')


def axis_xml(kind: str, ax_id: int, cross_id: int, position: str, axis: Axis, *,
             crosses: str = "autoZero", reverse: bool = False, between: bool = True) -> str:
    """A c:catAx or c:valAx in schema order."""
    scaling = f'<c:orientation val="{"maxMin" if reverse else "minMax"}"/>'
    if axis.maximum is not None:
        scaling += f'<c:max val="{axis.maximum:g}"/>'
    if axis.minimum is not None:
        scaling += f'<c:min val="{axis.minimum:g}"/>'
    parts = [f'<c:axId val="{ax_id}"/>', f"<c:scaling>{scaling}</c:scaling>",
             f'<c:delete val="{int(axis.hidden)}"/>', f'<c:axPos val="{position}"/>']
    if axis.gridlines:
        parts.append('<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill>'
                     '<a:srgbClr val="D9D9D9"/></a:solidFill></a:ln></c:spPr></c:majorGridlines>')
    if axis.title:
        parts.append(f'<c:title>{rich_text(axis.title, 1000)}<c:overlay val="0"/></c:title>')
    parts.append(f'<c:numFmt formatCode="{escape(axis.number_format)}" sourceLinked="0"/>')
    parts += ['<c:majorTickMark val="out"/>', '<c:minorTickMark val="none"/>',
              '<c:tickLblPos val="nextTo"/>', f'<c:crossAx val="{cross_id}"/>',
              f'<c:crosses val="{crosses}"/>']
    if kind == "cat":
        parts += ['<c:auto val="1"/>', '<c:lblAlgn val="ctr"/>', '<c:lblOffset val="100"/>',
                  '<c:noMultiLvlLbl val="0"/>']
    else:
        parts.append(f'<c:crossBetween val="{"between" if between else "midCat"}"/>')
    return f"<c:{kind}Ax>{''.join(parts)}</c:{kind}Ax>"


def _bar_chart(chart: Chart, series: list[tuple[int, Series]], ax: tuple[int, int]) -> str:
    direction = "bar" if chart.horizontal else "col"
    body = "".join(bar_series_xml(i, s) for i, s in series)
    return (f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/>'
            f'<c:varyColors val="0"/>{body}<c:gapWidth val="50"/>'
            f'<c:axId val="{ax[0]}"/><c:axId val="{ax[1]}"/></c:barChart>')


def _line_chart(series: list[tuple[int, Series]], ax: tuple[int, int]) -> str:
    body = "".join(line_series_xml(i, s) for i, s in series)
    return (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{body}'
            f'<c:marker val="1"/><c:axId val="{ax[0]}"/><c:axId val="{ax[1]}"/></c:lineChart>')


def plot_area_xml(chart: Chart) -> str:
    indexed = list(enumerate(chart.series))
    if chart.kind == "scatter":
        body = "".join(scatter_series_xml(i, s) for i, s in indexed)
        return ('<c:scatterChart><c:scatterStyle val="lineMarker"/><c:varyColors val="0"/>'
                f'{body}<c:axId val="1"/><c:axId val="2"/></c:scatterChart>'
                + axis_xml("val", 1, 2, "b", chart.x_axis, between=False)
                + axis_xml("val", 2, 1, "l", chart.y_axis, between=False))
    primary = [(i, s) for i, s in indexed if not s.secondary]
    secondary = [(i, s) for i, s in indexed if s.secondary]
    bars = [(i, s) for i, s in primary if s.kind == "bar"]
    lines = [(i, s) for i, s in primary if s.kind == "line"]
    parts = []
    if bars:
        parts.append(_bar_chart(chart, bars, (1, 2)))
    if lines:
        parts.append(_line_chart(lines, (1, 2)))
    if chart.horizontal:  # categories down the left, first on top; values along the bottom
        axes = (axis_xml("cat", 1, 2, "l", chart.x_axis, reverse=True)
                + axis_xml("val", 2, 1, "b", chart.y_axis, crosses="max"))
    else:
        axes = (axis_xml("cat", 1, 2, "b", chart.x_axis)
                + axis_xml("val", 2, 1, "l", chart.y_axis))
    if secondary:
        parts.append(_line_chart(secondary, (3, 4)))
        axes += (axis_xml("cat", 3, 4, "b", Axis(hidden=True))
                 + axis_xml("val", 4, 3, "r", chart.y2_axis or Axis(), crosses="max"))
    return "".join(parts) + axes


def chart_xml(chart: Chart) -> bytes:
    """The chart part for ``chart``."""
    legend = ('<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
              if chart.legend else "")
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<c:chartSpace {NAMESPACES}><c:roundedCorners val="0"/><c:chart>'
           + title_xml(chart.title) + '<c:autoTitleDeleted val="0"/>'
           + "<c:plotArea><c:layout/>" + plot_area_xml(chart) + "</c:plotArea>"
           + legend + '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
           + '<c:spPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
           + '<a:ln w="9525"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill></a:ln></c:spPr>'
           + "</c:chartSpace>")
    return xml.encode("utf-8")
