"""A pivot of the user's built on the CT_Tiers table, hand-written as Excel stores one: a pivot
cache whose source is the table by name (no saved records) and a pivot table "Sum of Profit"
on the user's sheet. ECMA-376 Part 1, 18.10."""

import zipfile

from xl_addin.report import labels

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CACHE = "xl/pivotCache/pivotCacheDefinition1.xml"
PIVOT = "xl/pivotTables/pivotTable1.xml"


def _rels(*entries):
    body = "".join(f'<Relationship Id="{i}" Type="{REL}/{t}" Target="{target}"/>'
                   for i, t, target in entries)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG}">{body}</Relationships>').encode()


def add_pivot_on_tiers(path, sheet_part, table="CT_Tiers", value_column="profit"):
    """Add the pivot to the worksheet ``sheet_part`` (which has no relationships yet) of the
    workbook at ``path``: Sum of ``value_column`` over the table ``table``."""
    headers = [labels.column_header(c, "en") for c in labels.TIERS_COLUMNS]
    value_index = list(labels.TIERS_COLUMNS).index(value_column)
    fields = "".join(
        f'<cacheField name="{h}" numFmtId="0"><sharedItems'
        + (' containsSemiMixedTypes="0" containsString="0" containsNumber="1"'
           if i == value_index else "") + "/></cacheField>"
        for i, h in enumerate(headers))
    cache = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{REL}" saveData="0" '
             'refreshedBy="user" createdVersion="6" refreshedVersion="6" '
             'minRefreshableVersion="3" recordCount="0">'
             f'<cacheSource type="worksheet"><worksheetSource name="{table}"/></cacheSource>'
             f'<cacheFields count="{len(headers)}">{fields}</cacheFields></pivotCacheDefinition>')
    pivot_fields = "".join('<pivotField dataField="1" showAll="0"/>' if i == value_index
                           else '<pivotField showAll="0"/>' for i in range(len(headers)))
    pivot = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<pivotTableDefinition xmlns="{MAIN}" name="PivotTable1" cacheId="10" '
             'applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" '
             'applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" '
             'dataCaption="Values" updatedVersion="6" minRefreshableVersion="3" '
             'useAutoFormatting="1" itemPrintTitles="1" createdVersion="6" indent="0" '
             'outline="1" outlineData="1">'
             '<location ref="A3:A4" firstHeaderRow="1" firstDataRow="1" firstDataCol="0"/>'
             f'<pivotFields count="{len(headers)}">{pivot_fields}</pivotFields>'
             '<rowItems count="1"><i/></rowItems><colItems count="1"><i/></colItems>'
             f'<dataFields count="1"><dataField name="Sum of {headers[value_index]}" '
             f'fld="{value_index}" baseField="0" baseItem="0"/></dataFields>'
             '<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" '
             'showColHeaders="1" showRowStripes="0" showColStripes="0" showLastColumn="1"/>'
             '</pivotTableDefinition>')
    with zipfile.ZipFile(path) as z:
        data = {n: z.read(n) for n in z.namelist()}
    folder, name = sheet_part.rsplit("/", 1)
    data[f"{folder}/_rels/{name}.rels"] = _rels(("rId1", "pivotTable", "../pivotTables/pivotTable1.xml"))
    data[PIVOT] = pivot.encode()
    data["xl/pivotTables/_rels/pivotTable1.xml.rels"] = _rels(
        ("rId1", "pivotCacheDefinition", "../pivotCache/pivotCacheDefinition1.xml"))
    data[CACHE] = cache.encode()
    data["xl/_rels/workbook.xml.rels"] = data["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", _rels(("rIdPivot1", "pivotCacheDefinition",
                                    "pivotCache/pivotCacheDefinition1.xml")).split(b">", 2)[2]
        .replace(b"</Relationships>", b"") + b"</Relationships>")
    workbook = data["xl/workbook.xml"]
    data["xl/workbook.xml"] = workbook.replace(
        b"</workbook>", b'<pivotCaches><pivotCache cacheId="10" r:id="rIdPivot1"/></pivotCaches>'
        b"</workbook>")
    data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(b"</Types>", (
        '<Override PartName="/xl/pivotTables/pivotTable1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.pivotTable+xml"/>'
        '<Override PartName="/xl/pivotCache/pivotCacheDefinition1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml"/>'
        "</Types>").encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for member, content in data.items():
            z.writestr(member, content)
    return path
