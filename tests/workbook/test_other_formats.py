"""Which inputs go to a new workbook (workbook/other_formats.py), told by their content."""

import zipfile

import pytest

from xl_addin.errors import InputError, UsageError, WorkbookError
from xl_addin.workbook.other_formats import check_out, input_format
from xl_addin.workbook.xlsx import new_workbook


def _zip(path, names):
    with zipfile.ZipFile(path, "w") as package:
        for name in names:
            package.writestr(name, "x")
    return path


def _file(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, expected", [
    (lambda p: _zip(p / "book.xlsb", ["[Content_Types].xml", "xl/workbook.bin"]), "xlsb"),
    (lambda p: _zip(p / "book.ods", ["mimetype", "content.xml"]), "ods"),
    (lambda p: _file(p / "book.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504), "xls"),
    (lambda p: new_workbook(p / "book.xlsx"), "xlsx"),
    # named for one format, holding another: the content decides (an .xls saved as .xlsx)
    (lambda p: _zip(p / "misnamed.xlsx", ["mimetype", "content.xml"]), "ods"),
    (lambda p: _file(p / "sales.CSV", b"a,b\n"), "csv"),
    (lambda p: p / "missing.csv", "csv"),
    # missing or foreign: the workbook reader refuses it with its own message (exit 4)
    (lambda p: p / "missing.xls", "xlsx"),
    (lambda p: _file(p / "text.xlsx", b"hello"), "xlsx"),
], ids=["xlsb", "ods", "xls", "xlsx", "ods-named-xlsx", "csv", "missing-csv", "missing-xls",
        "text"])
def test_the_input_format_is_told_by_content(tmp_path, make, expected):
    assert input_format(make(tmp_path)) == expected


def test_an_xlsb_with_macros_still_goes_to_an_xlsx(tmp_path):
    # the new workbook holds only our sheets: no VBA, so .xlsx whatever the input held
    source = _zip(tmp_path / "book.xlsb", ["xl/workbook.bin", "xl/vbaProject.bin"])
    assert check_out(source, "xlsb", tmp_path / "tiers.xlsx") == tmp_path / "tiers.xlsx"
    with pytest.raises(InputError, match="Use --out tiers.xlsx"):
        check_out(source, "xlsb", tmp_path / "tiers.xlsm")


def test_no_out_and_the_input_itself_are_usage_errors(tmp_path):
    source = _zip(tmp_path / "book.ods", ["mimetype", "content.xml"])
    with pytest.raises(UsageError, match="OpenDocument.*--out tiers.xlsx"):
        check_out(source, "ods", None)
    with pytest.raises(UsageError, match="input itself"):
        check_out(source, "ods", source)


def test_a_read_only_out_is_a_workbook_error_unless_force(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text("a,b\n")
    out = new_workbook(tmp_path / "tiers.xlsx")
    out.chmod(0o444)
    with pytest.raises(WorkbookError, match="read-only.*--force"):
        check_out(source, "csv", out)
    assert check_out(source, "csv", out, force=True) == out
