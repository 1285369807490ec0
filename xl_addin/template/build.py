"""Assembles CustomerTiers.xlsm from the text sources next to this file.

Sources: ``vba/*.bas`` (standard modules) and ``vba/*.cls`` (document modules, as stored in the
project: ``Attribute VB_Name`` first, no ``VERSION``/``BEGIN`` header), ``customUI14.xml`` (the
ribbon), and the sheet layout below. Every part of the package is written here as XML text, in a
fixed order with fixed zip timestamps and fixed document dates, so the same sources always give
the same bytes.

How the ribbon reaches Python: the callbacks in ``vba/CustomerTiers.bas`` call
``Application.Run "xlwings.xlam!RunPython", "import xl_addin.excel.ribbon as r; r.refresh_tiers()"``
(and ``xlwings.xlam!ImportPythonUDFs``), i.e. the installed xlwings add-in, late bound. The
quickstart way (a VBA reference to the add-in) stores the add-in's path from the machine that set
it; on any other machine the reference can be MISSING and then no macro in the project compiles.

The ``xlwings.conf`` sheet holds only ``UDF Modules = udfs.customer_tiers``. Keys such as
``Interpreter_Win`` or ``PYTHONPATH`` are left out on purpose: xlwings reads this sheet before the
add-in's own settings, and a present-but-blank key would override what the user set in the
xlwings ribbon (xlwings/addin/Config.bas, GetConfig).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

from ..report.settings_sheet import settings_rows
from ..settings import Settings
from .cfb import write_compound_file
from .ovba import VbaModule, VbaProject, vba_project_streams

SOURCE_DIR = Path(__file__).resolve().parent
VBA_DIR = SOURCE_DIR / "vba"
CUSTOM_UI_PATH = SOURCE_DIR / "customUI14.xml"

VBA_PROJECT_NAME = "VBAProject"
VBA_PROJECT_ID = "{1F0AD531-EE02-4309-9A90-9D7BED514CB9}"  # fixed: keys the CMG/DPB/GC obfuscation
WORKBOOK_CODENAME = "ThisWorkbook"

SALES_SHEET = "Sales"
CUSTOMERS_SHEET = "Customers"
SETTINGS_SHEET = "Settings"
XLWINGS_CONF_SHEET = "xlwings.conf"
SHEET_NAMES = (SALES_SHEET, CUSTOMERS_SHEET, SETTINGS_SHEET, XLWINGS_CONF_SHEET)
# Sheet name -> codeName = name of its VBA document module (vba/<codeName>.cls).
SHEET_CODENAMES = {
    SALES_SHEET: "SalesSheet",
    CUSTOMERS_SHEET: "CustomersSheet",
    SETTINGS_SHEET: "SettingsSheet",
    XLWINGS_CONF_SHEET: "XlwingsConfSheet",
}

SALES_HEADERS = (
    "Customer ID", "Customer", "Date", "Order", "Amount", "Cost",
    "Salesperson", "Industry", "Region", "Size",
)
_d = dt.date
SALES_EXAMPLE_ROWS: tuple[tuple[Any, ...], ...] = (
    ("C001", "Northwind Traders", _d(2024, 1, 15), "SO-1001", 12500.00, 8100.00, "Li Wei", "Retail", "East", "Large"),
    ("C002", "Contoso Ltd", _d(2024, 2, 3), "SO-1002", 4200.00, 3150.00, "Zhang Min", "Manufacturing", "North", "Medium"),
    ("C001", "Northwind Traders", _d(2024, 3, 9), "SO-1003", 9800.00, 6300.00, "Li Wei", "Retail", "East", "Large"),
    ("C003", "Fabrikam Inc", _d(2024, 3, 21), "SO-1004", 1500.00, 1350.00, "Wang Fang", "Services", "South", "Small"),
    ("C004", "Adventure Works", _d(2024, 4, 2), "SO-1005", 7600.00, 5200.00, "Zhang Min", "Manufacturing", "West", "Medium"),
    ("C002", "Contoso Ltd", _d(2024, 5, 17), "SO-1006", 3900.00, 2950.00, "Zhang Min", "Manufacturing", "North", "Medium"),
    ("C005", "Tailspin Toys", _d(2024, 6, 30), "SO-1007", 650.00, 700.00, "Wang Fang", "Retail", "South", "Small"),
    ("C001", "Northwind Traders", _d(2024, 7, 11), "SO-1008", 15200.00, 9900.00, "Li Wei", "Retail", "East", "Large"),
    ("C004", "Adventure Works", _d(2024, 9, 5), "SO-1009", 5100.00, 3600.00, "Zhang Min", "Manufacturing", "West", "Medium"),
    ("C003", "Fabrikam Inc", _d(2024, 11, 28), "SO-1010", -300.00, -270.00, "Wang Fang", "Services", "South", "Small"),
)
CUSTOMERS_HEADERS = ("Customer ID", "Customer", "Salesperson", "Industry", "Region", "Size")
CUSTOMERS_EXAMPLE_ROWS: tuple[tuple[Any, ...], ...] = (
    ("C001", "Northwind Traders", "Li Wei", "Retail", "East", "Large"),
    ("C002", "Contoso Ltd", "Zhang Min", "Manufacturing", "North", "Medium"),
    ("C003", "Fabrikam Inc", "Wang Fang", "Services", "South", "Small"),
    ("C004", "Adventure Works", "Zhang Min", "Manufacturing", "West", "Medium"),
    ("C005", "Tailspin Toys", "Wang Fang", "Retail", "South", "Small"),
    # A prospect: in the master, no sales yet (lifecycle stage Prospect).
    ("C006", "Lakeside Foods", "Li Wei", "Food", "East", "Medium"),
)
# xlwings reads A1 down to the first blank cell as keys (no header row), values in column B.
XLWINGS_CONF_ROWS = (("UDF Modules", "udfs.customer_tiers"),)

DOC_DATE = "2024-01-01T00:00:00Z"  # docProps created/modified: fixed for reproducible bytes
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Style indexes in styles.xml cellXfs.
_STYLE_DEFAULT, _STYLE_HEADER, _STYLE_DATE, _STYLE_AMOUNT = 0, 1, 2, 3

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_STYLES = NS_REL + "/styles"
REL_SHARED_STRINGS = NS_REL + "/sharedStrings"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
REL_APP = NS_REL + "/extended-properties"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_CUSTOM_UI = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CT_WORKBOOK_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"

CUSTOM_UI_PART = "customUI/customUI14.xml"
VBA_PROJECT_PART = "xl/vbaProject.bin"

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# ---------------------------------------------------------------- VBA

def read_vba_modules(vba_dir: Path = VBA_DIR) -> tuple[VbaModule, ...]:
    """Modules from ``vba_dir``: ThisWorkbook, then the sheet modules in sheet order, then the
    standard modules by name. ``.bas`` = standard module, ``.cls`` = document module."""
    documents = {p.stem: p for p in vba_dir.glob("*.cls")}
    standards = sorted(vba_dir.glob("*.bas"))
    expected = {WORKBOOK_CODENAME, *SHEET_CODENAMES.values()}
    if set(documents) != expected:
        raise ValueError(
            f"{vba_dir}: document modules must be exactly {sorted(expected)}, found {sorted(documents)}"
        )
    order = [WORKBOOK_CODENAME, *(SHEET_CODENAMES[name] for name in SHEET_NAMES)]
    modules = [VbaModule(name, "document", _read_text(documents[name])) for name in order]
    modules += [VbaModule(p.stem, "standard", _read_text(p)) for p in standards]
    return tuple(modules)


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")


def vba_project() -> VbaProject:
    """The template's VBA project, from the sources."""
    return VbaProject(VBA_PROJECT_NAME, VBA_PROJECT_ID, read_vba_modules())


def build_vba_project_bin(project: VbaProject | None = None) -> bytes:
    """``xl/vbaProject.bin``: the project's streams inside a compound file."""
    return write_compound_file(vba_project_streams(project or vba_project()))


# ---------------------------------------------------------------- sheets

class _SharedStrings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def add(self, text: str) -> int:
        self.count += 1
        return self.index.setdefault(text, len(self.index))

    def xml(self) -> str:
        items = "".join(
            f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in self.index
        )
        return (
            f'{_XML_DECLARATION}<sst xmlns="{NS_MAIN}" count="{self.count}" '
            f'uniqueCount="{len(self.index)}">{items}</sst>'
        )


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _excel_serial(day: dt.date) -> int:
    """Days since 1899-12-30 (Excel's 1900 date system, valid after 1900-02-28)."""
    return (day - dt.date(1899, 12, 30)).days


def _cell(ref: str, value: Any, style: int, strings: _SharedStrings) -> str:
    """One <c>. Text always goes in as a shared string, never as a formula."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        raise TypeError(f"{ref}: datetimes are not used in the template, got {value!r}")
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{_excel_serial(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="s"><v>{strings.add(value)}</v></c>'
    raise TypeError(f"{ref}: unsupported cell value {value!r}")


def _sheet_xml(
    code_name: str,
    rows: Sequence[Sequence[Any]],
    strings: _SharedStrings,
    *,
    widths: Sequence[float],
    header_rows: Iterable[int] = (1,),
    amount_columns: Iterable[int] = (),
    freeze_header: bool = True,
    selected: bool = False,
) -> str:
    header_rows, amount_columns = set(header_rows), set(amount_columns)
    width = max((len(r) for r in rows), default=1)
    dimension = f"A1:{_column_letter(max(width, 1) - 1)}{max(len(rows), 1)}"
    body = []
    for row_number, row in enumerate(rows, start=1):
        cells = []
        for column, value in enumerate(row):
            if row_number in header_rows:
                style = _STYLE_HEADER
            elif column in amount_columns:
                style = _STYLE_AMOUNT
            else:
                style = _STYLE_DEFAULT
            cells.append(_cell(f"{_column_letter(column)}{row_number}", value, style, strings))
        body.append(f'<row r="{row_number}">{"".join(cells)}</row>')
    pane = (
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        if freeze_header else ""
    )
    tab = ' tabSelected="1"' if selected else ""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)
    )
    return (
        f'{_XML_DECLARATION}<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        f'<sheetPr codeName="{code_name}"/><dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView{tab} workbookViewId="0">{pane}</sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f'<sheetData>{"".join(body)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )


def sheet_rows(settings: Settings | None = None) -> dict[str, list[list[Any]]]:
    """Cell values of every template sheet, by sheet name (row 1 first)."""
    return {
        SALES_SHEET: [list(SALES_HEADERS), *map(list, SALES_EXAMPLE_ROWS)],
        CUSTOMERS_SHEET: [list(CUSTOMERS_HEADERS), *map(list, CUSTOMERS_EXAMPLE_ROWS)],
        SETTINGS_SHEET: [list(r) for r in settings_rows(settings or Settings(), "en")],
        XLWINGS_CONF_SHEET: [list(r) for r in XLWINGS_CONF_ROWS],
    }


def _worksheets(strings: _SharedStrings) -> list[str]:
    rows = sheet_rows()
    settings = rows[SETTINGS_SHEET]
    section_rows = [i for i, r in enumerate(settings, start=1) if r and r[0] in
                    ("score_factors", "holding_rules", "column_map", "sales_sheets")]
    return [
        _sheet_xml(SHEET_CODENAMES[SALES_SHEET], rows[SALES_SHEET], strings,
                   widths=(12, 22, 12, 10, 12, 12, 14, 16, 10, 10), amount_columns=(4, 5),
                   selected=True),
        _sheet_xml(SHEET_CODENAMES[CUSTOMERS_SHEET], rows[CUSTOMERS_SHEET], strings,
                   widths=(12, 22, 14, 16, 10, 10)),
        _sheet_xml(SHEET_CODENAMES[SETTINGS_SHEET], settings, strings,
                   widths=(18, 14, 80, 18), header_rows=(1, *section_rows)),
        _sheet_xml(SHEET_CODENAMES[XLWINGS_CONF_SHEET], rows[XLWINGS_CONF_SHEET], strings,
                   widths=(18, 28), header_rows=(), freeze_header=False),
    ]


# ---------------------------------------------------------------- package parts

def _relationships(rels: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f'<Relationship Id="rId{i}" Type="{rel_type}" Target="{target}"/>'
        for i, (rel_type, target) in enumerate(rels, start=1)
    )
    return f'{_XML_DECLARATION}<Relationships xmlns="{NS_PKG_REL}">{items}</Relationships>'


def _content_types() -> str:
    overrides = [("/xl/workbook.xml", CT_WORKBOOK_XLSM)]
    overrides += [(f"/xl/worksheets/sheet{i}.xml", CT_WORKSHEET) for i in range(1, len(SHEET_NAMES) + 1)]
    overrides += [
        ("/xl/styles.xml", CT_STYLES),
        ("/xl/sharedStrings.xml", CT_SHARED_STRINGS),
        ("/docProps/core.xml", CT_CORE),
        ("/docProps/app.xml", CT_APP),
    ]
    return (
        f'{_XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="bin" ContentType="{CT_VBA_PROJECT}"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{ct}"/>' for p, ct in overrides)
        + "</Types>"
    )


def _workbook_xml() -> str:
    sheets = "".join(
        f"<sheet name={quoteattr(name)} sheetId=\"{i}\" r:id=\"rId{i}\"/>"
        for i, name in enumerate(SHEET_NAMES, start=1)
    )
    return (
        f'{_XML_DECLARATION}<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        f'<workbookPr codeName="{WORKBOOK_CODENAME}"/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets><calcPr calcId=\"191029\"/></workbook>"
    )


def _workbook_rels() -> str:
    n = len(SHEET_NAMES)
    rels = [(REL_WORKSHEET, f"worksheets/sheet{i}.xml") for i in range(1, n + 1)]
    rels += [(REL_STYLES, "styles.xml"), (REL_SHARED_STRINGS, "sharedStrings.xml"),
             (REL_VBA_PROJECT, "vbaProject.bin")]
    return _relationships(rels)


def _styles_xml() -> str:
    return (
        f'{_XML_DECLARATION}<styleSheet xmlns="{NS_MAIN}">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="4">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _core_xml() -> str:
    return (
        f"{_XML_DECLARATION}"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:title>Customer Tiers</dc:title><dc:creator>Customer Tiers</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{DOC_DATE}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{DOC_DATE}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app_xml() -> str:
    titles = "".join(f"<vt:lpstr>{escape(name)}</vt:lpstr>" for name in SHEET_NAMES)
    return (
        f"{_XML_DECLARATION}"
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>Microsoft Excel</Application>"
        "<HeadingPairs><vt:vector size=\"2\" baseType=\"variant\">"
        "<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>"
        f"<vt:variant><vt:i4>{len(SHEET_NAMES)}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
        f'<TitlesOfParts><vt:vector size="{len(SHEET_NAMES)}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
        "</Properties>"
    )


def template_parts(project: VbaProject | None = None) -> list[tuple[str, bytes]]:
    """Every part of the package as (zip member name, bytes), in the order written.
    ``project`` replaces the VBA project built from the sources (tests use it)."""
    strings = _SharedStrings()
    worksheets = _worksheets(strings)
    parts: list[tuple[str, str | bytes]] = [
        ("[Content_Types].xml", _content_types()),
        ("_rels/.rels", _relationships([
            (REL_OFFICE_DOCUMENT, "xl/workbook.xml"),
            (REL_CORE, "docProps/core.xml"),
            (REL_APP, "docProps/app.xml"),
            (REL_CUSTOM_UI, CUSTOM_UI_PART),
        ])),
        ("docProps/core.xml", _core_xml()),
        ("docProps/app.xml", _app_xml()),
        (CUSTOM_UI_PART, CUSTOM_UI_PATH.read_bytes()),
        ("xl/workbook.xml", _workbook_xml()),
        ("xl/_rels/workbook.xml.rels", _workbook_rels()),
        *((f"xl/worksheets/sheet{i}.xml", xml) for i, xml in enumerate(worksheets, start=1)),
        ("xl/styles.xml", _styles_xml()),
        ("xl/sharedStrings.xml", strings.xml()),
        (VBA_PROJECT_PART, build_vba_project_bin(project)),
    ]
    return [(name, data.encode("utf-8") if isinstance(data, str) else data) for name, data in parts]


def zip_parts(parts: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip of ``parts`` with fixed timestamps, attributes and order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


def build_template(project: VbaProject | None = None) -> bytes:
    """Bytes of CustomerTiers.xlsm built from the sources."""
    return zip_parts(template_parts(project))


def copy_template(dest: str | Path) -> Path:
    """Write a fresh CustomerTiers.xlsm to ``dest`` (same bytes as the committed template) and
    return its path. Works from an installed package: the sources ship as package data."""
    dest = Path(dest)
    dest.write_bytes(build_template())
    return dest
