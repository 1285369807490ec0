"""Real workbooks saved by Excel (``../shared/excel-corpus``) and a package-level sales sheet.

``add_sales_sheet`` writes one plain worksheet part and the three entries it needs
(workbook.xml ``<sheet>``, a workbook relationship, a content-type override) and copies every
other member unchanged, so the user's parts really are untouched; openpyxl would rewrite them all.
"""

from __future__ import annotations

import csv
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "excel-corpus"
ENCRYPTED = {"calamine__pass_protected.xlsx", "excelize__encryptAES.xlsx", "poi__protect.xlsx"}

TRANSITIONAL = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = {TRANSITIONAL: "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          STRICT: "http://purl.oclc.org/ooxml/officeDocument/relationships"}
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SALES_SHEET = "Sales CT"
SALES_PART = "xl/worksheets/sheetSalesCT.xml"
SALES_HEADER = ("Customer", "Date", "Amount", "Cost")
# 12 customers, 36 lines: hand-made so that ABC tiers are not all equal.
SALES_ROWS = tuple(
    (f"Cust {c:02d}", f"2025-{1 + (k * 5 + c) % 12:02d}-{1 + (k * 7 + c) % 28:02d}",
     float(100 * c * c + 10 * k), float(30 * c + k))
    for c in range(1, 13) for k in range(3))


def corpus_files() -> list[Path]:
    """Every corpus workbook but the encrypted ones; [] when the folder is absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir()
                  if p.suffix.lower() in (".xlsx", ".xlsm") and p.name not in ENCRYPTED)


def corpus_features() -> dict[str, set[str]]:
    """file name -> the 'features' column of SOURCES.tsv."""
    with open(CORPUS / "SOURCES.tsv", encoding="utf-8", newline="") as handle:
        return {row["file"]: set(row["features"].split()) for row in csv.DictReader(handle, delimiter="\t")}


def _cell(ref: str, value: str | float) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value!r}</v></c>'


def sales_sheet_xml(namespace: str = TRANSITIONAL, rows=None) -> bytes:
    """A worksheet holding ``rows`` (default: the sales header and rows)."""
    rows = [SALES_HEADER, *SALES_ROWS] if rows is None else rows
    body = "".join(
        f'<row r="{r}">' + "".join(_cell(f"{'ABCD'[i]}{r}", v) for i, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{namespace}"><sheetData>{body}</sheetData></worksheet>').encode()


def workbook_part(package: zipfile.ZipFile) -> str:
    rels = etree.fromstring(package.read("_rels/.rels"))
    target = next(r.get("Target") for r in rels if r.get("Type", "").endswith("/officeDocument"))
    return target.lstrip("/")


def add_sales_sheet(source: Path, dest: Path, name: str = SALES_SHEET, rows=None,
                    part: str = SALES_PART) -> Path:
    """A copy of ``source`` with a sales sheet ``name`` appended to the tab order (or a sheet
    holding ``rows``: strings and numbers, in the worksheet part ``part``)."""
    with zipfile.ZipFile(source) as package:
        book_part = workbook_part(package)
        folder, base = posixpath.split(book_part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        book = etree.fromstring(package.read(book_part))
        namespace = etree.QName(book).namespace
        rels = etree.fromstring(package.read(rels_part))
        types = etree.fromstring(package.read("[Content_Types].xml"))

        rel_id = "rIdSalesCT" if part == SALES_PART else "rId" + posixpath.basename(part).split(".")[0]
        rel_type = REL_NS[namespace] + "/worksheet"
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rel_id, Type=rel_type,
                         Target="/" + part)
        sheets = book.find(f"{{{namespace}}}sheets")
        sheet_id = max(int(s.get("sheetId")) for s in sheets) + 1
        sheet = etree.SubElement(sheets, f"{{{namespace}}}sheet", name=name, sheetId=str(sheet_id))
        sheet.set(f"{{{REL_NS[namespace]}}}id", rel_id)
        etree.SubElement(types, f"{{{CT_NS}}}Override", PartName="/" + part,
                         ContentType=WORKSHEET_CT)

        def xml(root: etree._Element) -> bytes:
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

        edited = {book_part: xml(book), rels_part: xml(rels), "[Content_Types].xml": xml(types)}
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
            for info in package.infolist():
                out.writestr(info, edited.get(info.filename, package.read(info.filename)))
            out.writestr(part, sales_sheet_xml(namespace, rows))
    return dest


def refresh_twice(source: Path, folder: Path, as_of) -> tuple[Path, Path | None, str | None]:
    """Add the sales sheet to a copy of ``source`` in ``folder``, refresh it into
    ``first-<name>``, copy that to ``second-<name>`` and refresh it in place. Returns the
    injected copy, the second result (None on failure) and "ErrorType: message" on failure.
    A module-level function, so a process pool can run it."""
    import shutil

    from xl_addin.workbook.refresh import refresh_workbook

    injected = add_sales_sheet(source, folder / source.name)
    first, second = folder / f"first-{source.name}", folder / f"second-{source.name}"
    try:
        refresh_workbook(injected, out=first, as_of=as_of)
        shutil.copyfile(first, second)
        refresh_workbook(second, as_of=as_of)
    except Exception as exc:  # reported by the test of that file
        return injected, None, f"{type(exc).__name__}: {exc}"
    return injected, second, None
