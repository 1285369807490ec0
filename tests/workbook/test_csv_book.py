"""Reading a CSV file (workbook/csv_book.py): encoding, delimiter, rows as Excel shows them,
every cell text."""

import codecs
import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_addin.errors import WorkbookError
from xl_addin.workbook.csv_book import CsvSource, decode_csv, parse_csv, sniff_delimiter


@pytest.mark.parametrize("data, text, encoding", [
    (codecs.BOM_UTF8 + "客户,金额\n".encode(), "客户,金额\n", "UTF-8 (with BOM)"),
    ("客户,金额\n".encode(), "客户,金额\n", "UTF-8"),
    ("客户，金额“合计”\n".encode("gbk"), "客户，金额“合计”\n", "GB18030 (GBK)"),
    ("Müller;Café;€ 12,50\n".encode("cp1252"), "Müller;Café;€ 12,50\n", "Windows-1252"),
    ("Customer\tAmount\n".encode("utf-16"), "Customer\tAmount\n", "UTF-16"),
    (b"Caf\xe9\x81\n", "Caf\xe9\x81\n", "Latin-1"),  # 0x81: undefined in Windows-1252
], ids=["utf8-bom", "utf8", "gbk", "cp1252", "utf16", "latin1"])
def test_the_encoding_is_found_and_named(data, text, encoding):
    assert decode_csv(data) == (text, encoding)


def test_western_text_is_not_taken_for_chinese():
    # "ü" + "l" is a valid GB18030 pair (a private-use character), not Chinese text
    assert decode_csv("Müller,Straße\n".encode("cp1252"))[1] == "Windows-1252"


@pytest.mark.parametrize("lines, delimiter", [
    (["a,b,c", "1,2,3"], ","),
    (["a;b;c", "1,5;2,25;3"], ";"),  # decimal commas do not make it a comma file
    (["a\tb", "1,5\t2"], "\t"),
    (["a|b|c", "x|y|z"], "|"),
    (["only one column", "1"], ","),
    (["", "", "Customer;Date;Amount", "C1;2025-01-05;1,5"], ";"),
    (["Customer,Date,Note", 'C1,2025-01-05,"a;b;c;d;e"'], ","),
], ids=["comma", "semicolon-decimal-comma", "tab", "bar", "one-column", "blank-first",
        "quoted-semicolons"])
def test_the_delimiter_is_sniffed(lines, delimiter):
    assert sniff_delimiter(lines) == delimiter


def test_an_excel_sep_line_decides_and_is_not_a_row():
    parsed = parse_csv(b"sep=|\nCustomer|Amount\nC1|1,5\n")
    assert parsed.delimiter == "|"
    assert parsed.rows == [["Customer", "Amount"], ["C1", "1,5"]]


def test_cells_are_text_and_an_empty_cell_is_no_value():
    parsed = parse_csv(b"Customer,Date,Amount\nC1,2025-01-05,0012.50\n,,\n")
    assert parsed.rows == [["Customer", "Date", "Amount"], ["C1", "2025-01-05", "0012.50"],
                           [None, None, None]]


def test_the_sheet_is_named_after_the_file_as_excel_names_it(tmp_path):
    path = tmp_path / ("a" * 40 + ".csv")
    path.write_text("Customer ID,Date,Amount\nC1,2025-01-05,1\n", encoding="utf-8")
    with CsvSource(path) as source:
        assert source.sheet_names() == ["a" * 31]
        header = source.header("a" * 31)
        assert header.row == 1 and header.cells == ("Customer ID", "Date", "Amount")
        frame = source.columns("a" * 31, header, {"customer_id": 0, "amount": 2})
        assert frame["amount"].tolist() == ["1"]  # text, for the core's rules
        assert frame["source_row"].tolist() == [2]


def test_bad_bytes_behind_a_bom_are_a_workbook_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"Customer\n\xff\xfe\xfd\n")
    with pytest.raises(WorkbookError, match="CSV UTF-8"):
        CsvSource(path)


_CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
                max_size=12)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_any_csv_excel_could_write_reads_back_cell_for_cell(rows, delimiter, encoding):
    """Property: rows written as Excel writes a CSV (quoting only where needed) under a plain
    header read back exactly, whatever the cells hold (delimiters, quotes, line breaks, 中文)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Customer ID", "Date", "Amount"])
    writer.writerows(rows)
    parsed = parse_csv(buffer.getvalue().encode(encoding))
    assert parsed.delimiter == delimiter
    expected = [["Customer ID", "Date", "Amount"]] + [[c if c != "" else None for c in row]
                                                     for row in rows]
    # a row of three empty cells is written as two delimiters and reads back as such
    assert parsed.rows == expected
