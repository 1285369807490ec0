import io
import zipfile

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5c2d0a70000000049454e44ae426082")
VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # not a real project: bytes only
CUSTOM_UI = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui">'
             b'<ribbon><tabs><tab id="ct" label="Customer Tiers"/></tabs></ribbon></customUI>')
DRAWING_WITH_IMAGE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<xdr:oneCellAnchor><xdr:from><xdr:col>5</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>'
    b'<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="95250" cy="95250"/><xdr:pic><xdr:nvPicPr>'
    b'<xdr:cNvPr id="2" name="Logo"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill>'
    b'<a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr>'
    b'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>'
    b'</xdr:oneCellAnchor></xdr:wsDr>')


def _openpyxl_book(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws.append(["Customer", "Date", "Amount"])
    for i in range(1, 11):
        ws.append([f"Cust {i}", f"2025-01-{i:02d}", i * 100])
    ws["A2"].comment = Comment("a user's comment", "user")
    dv = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("E2:E20")
    wb.defined_names["Amounts"] = DefinedName("Amounts", attr_text="Sales!$C$2:$C$11")
    charts = wb.create_sheet("My chart")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=11), titles_from_data=True)
    charts.add_chart(chart, "B2")
    wb.create_sheet("Notes")["A1"] = "user notes"
    wb.save(path)


def make_xlsm(path):
    """An .xlsm with VBA, a customUI ribbon part, an image in a drawing, comments, data
    validation, a defined name and a chart of its own: openpyxl writes what it can, the rest is
    added to the zip by hand."""
    buffer = io.BytesIO()
    _openpyxl_book(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                    b"<Default Extension=\"xml\"",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    b'<Default Extension="png" ContentType="image/png"/>'
                    b"<Default Extension=\"xml\"").replace(
                    b"</Types>",
                    b'<Override PartName="/xl/drawings/drawing9.xml" '
                    b'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>')
            elif info.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>",
                                    b'<Relationship Id="rIdUI" Type="http://schemas.microsoft.com/'
                                    b'office/2007/relationships/ui/extensibility" '
                                    b'Target="customUI/customUI14.xml"/></Relationships>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>",
                                    b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/'
                                    b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            elif info.filename == "xl/worksheets/sheet3.xml":  # "Notes": gets the image
                data = data.replace(
                    b"</worksheet>",
                    b'<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships" r:id="rId1"/></worksheet>')
            out.writestr(info, data)
        out.writestr("xl/vbaProject.bin", VBA)
        out.writestr("customUI/customUI14.xml", CUSTOM_UI)
        out.writestr("xl/media/image1.png", PNG)
        out.writestr("xl/drawings/drawing9.xml", DRAWING_WITH_IMAGE)
        out.writestr("xl/drawings/_rels/drawing9.xml.rels",
                     b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                     b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
                     b'org/officeDocument/2006/relationships/image" Target="../media/image1.png"/>'
                     b"</Relationships>")
        out.writestr("xl/worksheets/_rels/sheet3.xml.rels",
                     b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                     b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
                     b'org/officeDocument/2006/relationships/drawing" '
                     b'Target="../drawings/drawing9.xml"/></Relationships>')
    return path


@pytest.fixture
def xlsm(tmp_path):
    return make_xlsm(tmp_path / "book.xlsm")


@pytest.fixture
def small_xlsx(tmp_path):
    path = tmp_path / "small.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sales"
    wb.active["A1"] = "kept"
    wb.save(path)
    return path
