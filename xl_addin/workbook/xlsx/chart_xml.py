"""The Pareto chart part (DrawingML c:chartSpace): a classic bar + line combo chart.

Clustered columns of the measure on the primary axes (ids 1, 2); the cumulative share and the
dashed reference line on secondary axes (ids 3, 4): a hidden category axis and a 0..1 value
axis on the right formatted 0%. Element order follows the ECMA-376 chart schema (CT_BarChart,
CT_LineChart, CT_CatAx, CT_ValAx), as XlsxWriter writes it.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ...report.layout import ParetoChart
from ...report.labels import FORMAT_CODES

NAMESPACES = ('xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
              'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
              'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
BAR_COLOUR = "4472C4"
CUMULATIVE_COLOUR = "C00000"
REFERENCE_COLOUR = "7F7F7F"


def rich_text(text: str, size: int = 1200, bold: bool = True) -> str:
    """<c:tx><c:rich> holding one paragraph of ``text`` (size in 1/100 pt)."""
    b = ' b="1"' if bold else ' b="0"'
    return (f'<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}"{b}/>'
            f'</a:pPr><a:r><a:rPr lang="en-US" sz="{size}"{b}/><a:t>{escape(text)}</a:t></a:r>'
            f"</a:p></c:rich></c:tx>")


def title_xml(text: str, size: int = 1400) -> str:
    return f'<c:title>{rich_text(text, size)}<c:overlay val="0"/></c:title>'


def line_properties(colour: str, width_emu: int, dash: str | None = None) -> str:
    dash_xml = f'<a:prstDash val="{dash}"/>' if dash else ""
    return (f'<c:spPr><a:ln w="{width_emu}" cap="rnd"><a:solidFill><a:srgbClr val="{colour}"/>'
            f'</a:solidFill>{dash_xml}<a:round/></a:ln></c:spPr>')


def _refs(categories: str, values: str) -> str:
    return (f"<c:cat><c:strRef><c:f>{escape(categories)}</c:f></c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>{escape(values)}</c:f></c:numRef></c:val>")


def bar_series_xml(index: int, name: str, categories: str, values: str) -> str:
    return (f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
            f"<c:tx><c:v>{escape(name)}</c:v></c:tx>"
            f'<c:spPr><a:solidFill><a:srgbClr val="{BAR_COLOUR}"/></a:solidFill></c:spPr>'
            f'<c:invertIfNegative val="0"/>{_refs(categories, values)}</c:ser>')


def line_series_xml(index: int, name: str, categories: str, values: str, colour: str,
                    dash: str | None = None) -> str:
    return (f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
            f"<c:tx><c:v>{escape(name)}</c:v></c:tx>"
            f"{line_properties(colour, 28575 if dash is None else 19050, dash)}"
            f'<c:marker><c:symbol val="none"/></c:marker>'
            f'{_refs(categories, values)}<c:smooth val="0"/></c:ser>')


def axis_xml(kind: str, ax_id: int, cross_id: int, position: str, *, title: str | None = None,
             number_format: str | None = None, deleted: bool = False, crosses: str = "autoZero",
             minimum: float | None = None, maximum: float | None = None,
             gridlines: bool = False) -> str:
    """A c:catAx or c:valAx in schema order."""
    scaling = '<c:orientation val="minMax"/>'
    if maximum is not None:
        scaling += f'<c:max val="{maximum:g}"/>'
    if minimum is not None:
        scaling += f'<c:min val="{minimum:g}"/>'
    parts = [f'<c:axId val="{ax_id}"/>', f"<c:scaling>{scaling}</c:scaling>",
             f'<c:delete val="{int(deleted)}"/>', f'<c:axPos val="{position}"/>']
    if gridlines:
        parts.append("<c:majorGridlines/>")
    if title:
        parts.append(f'<c:title>{rich_text(title, 1000)}<c:overlay val="0"/></c:title>')
    if number_format:
        parts.append(f'<c:numFmt formatCode="{escape(number_format)}" sourceLinked="0"/>')
    parts += ['<c:majorTickMark val="out"/>', '<c:minorTickMark val="none"/>',
              '<c:tickLblPos val="nextTo"/>', f'<c:crossAx val="{cross_id}"/>',
              f'<c:crosses val="{crosses}"/>']
    if kind == "cat":
        parts += ['<c:auto val="1"/>', '<c:lblAlgn val="ctr"/>', '<c:lblOffset val="100"/>',
                  '<c:noMultiLvlLbl val="0"/>']
    else:
        parts.append('<c:crossBetween val="between"/>')
    return f"<c:{kind}Ax>{''.join(parts)}</c:{kind}Ax>"


def pareto_chart_xml(chart: ParetoChart) -> bytes:
    """The chart part for ``chart``."""
    value_code = FORMAT_CODES.get(chart.value_format, "General")
    bar = ('<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>'
           '<c:varyColors val="0"/>'
           + bar_series_xml(0, chart.value_name, chart.categories, chart.values)
           + '<c:gapWidth val="40"/><c:axId val="1"/><c:axId val="2"/></c:barChart>')
    line = ('<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>'
            + line_series_xml(1, chart.cumulative_name, chart.categories, chart.cumulative,
                              CUMULATIVE_COLOUR)
            + line_series_xml(2, chart.reference_name, chart.categories, chart.reference,
                              REFERENCE_COLOUR, dash="dash")
            + '<c:marker val="1"/><c:axId val="3"/><c:axId val="4"/></c:lineChart>')
    axes = (axis_xml("cat", 1, 2, "b", title=chart.category_axis_title)
            + axis_xml("val", 2, 1, "l", title=chart.value_axis_title,
                       number_format=value_code.split(";")[0], gridlines=True)
            + axis_xml("cat", 3, 4, "b", deleted=True)
            + axis_xml("val", 4, 3, "r", title=chart.share_axis_title, number_format="0%",
                       crosses="max", minimum=0, maximum=1))
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<c:chartSpace {NAMESPACES}><c:roundedCorners val="0"/><c:chart>'
           + title_xml(chart.title) + '<c:autoTitleDeleted val="0"/>'
           + "<c:plotArea><c:layout/>" + bar + line + axes + "</c:plotArea>"
           + '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
           + '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>')
    return xml.encode("utf-8")
