"""A headless refresh of a copy of the real template keeps its VBA, ribbon and own sheets."""

import zipfile

import pandas as pd
from python_calamine import CalamineWorkbook

from xl_addin.template.build import copy_template
from xl_addin.workbook.refresh import refresh_workbook
from xl_addin.workbook.xlsx import write_tables

SALES = pd.DataFrame({
    "Customer ID": ["C1", "C2", "C2", "C3"],
    "Date": pd.to_datetime(["2025-01-02", "2025-02-03", "2025-03-04", "2025-04-05"]),
    "Amount": [900.0, 50.0, 40.0, 10.0],
})


def _members(path):
    with zipfile.ZipFile(path) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def test_refreshing_a_template_copy_changes_only_generated_parts(tmp_path):
    book = tmp_path / "book.xlsm"
    copy_template(book)
    write_tables(book, {"Sales": SALES})
    before = _members(book)

    refresh_workbook(book)
    after = _members(book)

    for kept in ("xl/vbaProject.bin", "customUI/customUI14.xml", "_rels/.rels",
                 "docProps/core.xml"):
        assert after[kept] == before[kept], kept
    sheets = CalamineWorkbook.from_path(str(book)).sheet_names
    assert sheets[:4] == ["Sales", "Customers", "Settings", "xlwings.conf"]
    assert "Tiers" in sheets and "Pareto" in sheets
    # Every worksheet part the template had (its own four sheets) is byte-identical.
    own = [name for name in before if name.startswith("xl/worksheets/sheet")]
    assert own and all(after[name] == before[name] for name in own)
    # The content type stays macro-enabled, so Excel still opens it with its VBA.
    assert b"macroEnabled.main+xml" in after["[Content_Types].xml"]
