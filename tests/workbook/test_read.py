"""The workbook reader, on real files written with openpyxl and read back."""

import datetime as dt
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from xl_addin.demo import demo_customers, demo_transactions
from xl_addin.errors import InputError, WorkbookError
from xl_addin.report.settings_sheet import settings_rows
from xl_addin.settings import HoldingRule, ScoreFactor, Settings
from xl_addin.workbook.read import SalesBook, SheetHeader, list_sheets
from xl_addin.workbook.refresh import (
    find_sales_sheets,
    read_customers,
    read_previous_tiers,
    read_sales,
    read_settings,
)

D = dt.datetime


def write_book(path, sheets):
    """sheets: {name: list of rows}; a row is a list of values, or a dict {column: value}."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for number, row in enumerate(rows, start=1):
            if isinstance(row, dict):
                for column, value in row.items():
                    sheet[f"{column}{number}"] = value
            else:
                for column, value in enumerate(row, start=1):
                    if value is not None:
                        sheet.cell(number, column, value)
    book.save(path)
    return path


def mark_as_ours(path, sheet, key):
    """Mark ``sheet`` as the refresh marks the sheets it writes (a hidden sheet-scoped name
    CT_Generated holding the report key): only such a sheet is read as the last tiers."""
    from openpyxl.workbook.defined_name import DefinedName

    book = openpyxl.load_workbook(path)
    book[sheet].defined_names["CT_Generated"] = DefinedName(
        "CT_Generated", attr_text=f'"{key}"', hidden=True)
    book.save(path)
    return path


SALES = [
    ["Customer ID", "Customer", "Date", "Amount", "Cost"],
    ["C1", "Acme", D(2025, 1, 5), 100.0, 60.0],
    ["C2", "Beta", D(2025, 2, 1), 250.5, 100.0],
    ["C1", "Acme", D(2025, 3, 9), -20.0, -12.0],
]


def test_one_sheet_values_and_types(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    sales = read_sales(path)
    assert list(sales.columns) == ["customer_id", "customer_name", "date", "amount", "cost",
                                   "source_sheet", "source_row"]
    assert sales["customer_id"].tolist() == ["C1", "C2", "C1"]
    assert sales["date"].tolist() == [pd.Timestamp(2025, 1, 5), pd.Timestamp(2025, 2, 1),
                                      pd.Timestamp(2025, 3, 9)]
    assert pd.api.types.is_datetime64_any_dtype(sales["date"])
    assert sales["amount"].dtype == np.float64
    assert sales["amount"].tolist() == [100.0, 250.5, -20.0]
    assert sales["source_sheet"].astype(str).tolist() == ["Sales"] * 3
    assert sales["source_row"].tolist() == [2, 3, 4]
    notes = sales.attrs["notes"]
    assert ("Sales", "", "sheet_read", "3") in notes
    assert ("Sales", "amount", "header_used", "D (Amount)") in notes or any(
        n[2] == "header_used" and n[1] == "amount" for n in notes)
    assert not [n for n in notes if n[2] in ("header_duplicate", "sheet_hidden_skipped")]


def test_header_is_the_first_non_empty_row_and_may_start_after_column_a(tmp_path):
    rows = [[], [], *[[None, *r] for r in SALES]]
    path = write_book(tmp_path / "b.xlsx", {"Sales 2025": rows})
    with SalesBook.open(path) as book:
        header = book.header("Sales 2025")
        assert header.row == 3
        assert header.cells == (None, "Customer ID", "Customer", "Date", "Amount", "Cost")
    sales = read_sales(path)
    assert sales["customer_id"].tolist() == ["C1", "C2", "C1"]
    assert sales["source_row"].tolist() == [4, 5, 6]


def test_several_tabs_are_combined_with_their_rows(tmp_path):
    second = [["客户编号", "日期", "金额"], [], ["C3", D(2025, 4, 1), 5], ["C4", D(2025, 4, 2), 6]]
    path = write_book(tmp_path / "b.xlsx", {"Sales 2024": SALES, "Notes": [["hello"]],
                                            "销售2025": second})
    sales = read_sales(path)
    assert sales["source_sheet"].astype(str).tolist() == ["Sales 2024"] * 3 + ["销售2025"] * 2
    assert sales["source_row"].tolist() == [2, 3, 4, 3, 4]  # the empty row 2 is dropped
    assert sales["customer_id"].tolist() == ["C1", "C2", "C1", "C3", "C4"]
    assert sales["customer_name"].tolist()[3:] == [None, None] or sales["customer_name"].isna()[3:].all()
    assert sales["amount"].tolist() == [100.0, 250.5, -20.0, 5.0, 6.0]


def test_cells_that_do_not_fit_keep_their_raw_value(tmp_path):
    rows = [["Customer ID", "Date", "Amount"],
            [1001, D(2025, 1, 5), 10],
            [None, "2025-13-45", "n/a"],
            ["C2", 45658, "1,234.50"],  # a date serial without date format, a text amount
            ["C3", "2025-02-01", 7.5]]
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    sales = read_sales(path)
    assert sales["customer_id"].tolist()[0] == "1001"
    assert pd.isna(sales["customer_id"].iloc[1])
    assert sales["amount"].tolist()[1:] == ["n/a", "1,234.50", 7.5]
    assert sales["amount"].iloc[0] == 10
    dates = sales["date"].tolist()
    assert dates[0] == D(2025, 1, 5)
    assert dates[1] == "2025-13-45"
    assert dates[2] == D(2025, 1, 1)  # serial 45658
    assert dates[3] == "2025-02-01"
    assert sales["source_row"].tolist() == [2, 3, 4, 5]


def test_matches_a_second_reader_on_demo_data(tmp_path):
    demo = demo_transactions(customers=30, rows=400, seed=5)
    path = tmp_path / "demo.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        demo.to_excel(writer, sheet_name="Sales", index=False)
    sales = read_sales(path)
    sheet = openpyxl.load_workbook(path, read_only=True)["Sales"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(sales) == len(rows) == 400
    for column, position in (("customer_id", 0), ("order_id", 3), ("amount", 4),
                             ("cost", 5), ("region", 8)):
        expected = [r[position] for r in rows]
        got = [None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)))
               else v for v in sales[column].tolist()]
        assert got == expected, column
    assert [pd.Timestamp(v) if isinstance(v, D) else v for v in sales["date"]] == \
           [pd.Timestamp(r[2]) if isinstance(r[2], D) else r[2] for r in rows]


def test_chinese_demo_headers_are_read(tmp_path):
    demo = demo_transactions(customers=10, rows=50, seed=2, language="zh")
    path = tmp_path / "zh.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        demo.to_excel(writer, sheet_name="销售", index=False)
    sales = read_sales(path)
    assert {"customer_id", "customer_name", "date", "order_id", "amount", "cost", "salesperson",
            "industry", "region", "size"} <= set(sales.columns)
    assert sales["salesperson"].dropna().isin(demo["销售"]).all()


def test_missing_column_names_sheet_field_and_headers_found(tmp_path):
    rows = [["Customer ID", "Posting Day", "Amount"], ["C1", D(2025, 1, 1), 3]]
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    with pytest.raises(InputError) as caught:
        read_sales(path)
    text = str(caught.value)
    assert caught.value.sheet == "Sales" and caught.value.column == "date"
    assert "Sheet 'Sales'" in text
    assert "no date column" in text
    assert "'Customer ID', 'Posting Day', 'Amount'" in text
    assert "column_map" in text and "Settings" in text
    assert text == (
        "Sheet 'Sales' has no date column: its header row (row 1, the first non-empty row) "
        "holds 'Customer ID', 'Posting Day', 'Amount'. Rename the header of your date column "
        "to Date (日期), or add a line to the column_map section of the Settings sheet naming "
        "the field and your header, for example 'date | Posting Day'.")


def test_a_mapping_line_makes_it_readable(tmp_path):
    rows = [["Customer ID", "Posting Day", "Amount"], ["C1", D(2025, 1, 1), 3]]
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    sales = read_sales(path, Settings(column_map=(("date", "Posting Day"),)))
    assert sales["date"].tolist() == [pd.Timestamp(2025, 1, 1)]


def test_name_only_exports_use_the_name_as_id(tmp_path):
    rows = [["销售订单编号", "客户名称", "下单日期", "销售订单金额(元)", "负责人"],
            ["SO1", "上海华信", D(2025, 1, 1), 1000, "张伟"]]
    path = write_book(tmp_path / "b.xlsx", {"订单": rows})
    sales = read_sales(path)
    assert sales["customer_id"].tolist() == ["上海华信"]
    assert sales["customer_name"].tolist() == ["上海华信"]
    assert ("订单", "customer_id", "customer_name_as_id", "") in sales.attrs["notes"]


def test_which_sheets_are_sales_sheets(tmp_path):
    by_header = [["Account", "Order Date", "Revenue"], ["A", D(2025, 1, 1), 1]]
    path = write_book(tmp_path / "b.xlsx", {
        "Sales": SALES,
        "sales q2": SALES,
        "Orders": by_header,
        "Lookup": [["Code", "Meaning"], ["x", "y"]],
        "Customers": [["Customer ID", "Date", "Amount"], ["C1", D(2025, 1, 1), 1]],
        "Tiers": SALES, "客户分级": SALES, "Pareto": SALES, "Summary": SALES, "Coverage": SALES,
        "Data quality": SALES, "数据问题": SALES, "Tier changes": SALES, "Settings": [],
        "xlwings.conf": SALES,
    })
    assert find_sales_sheets(path) == ["Sales", "sales q2", "Orders"]
    assert find_sales_sheets(path, Settings(sales_sheets=("orders",))) == ["Orders"]
    assert "Tiers" in list_sheets(path)


def test_a_listed_sheet_that_does_not_exist(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    with pytest.raises(InputError) as caught:
        read_sales(path, Settings(sales_sheets=("Sales 2030",)))
    assert str(caught.value) == (
        "The sales sheet 'Sales 2030' listed in Settings (sales_sheets) does not exist. Correct "
        "the name in the sales_sheets section of the Settings sheet to one of this workbook's "
        "sheets (Sales), or delete the line.")


def test_no_sales_sheet_at_all(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Lookup": [["Code"], ["x"]], "Sales empty": []})
    with pytest.raises(InputError, match="no sales data found"):
        read_sales(path)


def test_customers_keep_extra_numeric_columns(tmp_path):
    master = demo_customers(customers=20, seed=4)
    master["Comment"] = "text"
    path = tmp_path / "b.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        demo_transactions(20, 100, seed=4).to_excel(writer, sheet_name="Sales", index=False)
        master.to_excel(writer, sheet_name="Customers", index=False)
    customers = read_customers(path)
    assert list(customers.columns) == ["customer_id", "customer_name", "salesperson",
                                       "industry", "region", "size", "wallet",
                                       "receivable_days", "source_sheet", "source_row"]
    assert customers["customer_id"].tolist() == master["Customer ID"].tolist()
    assert customers["receivable_days"].tolist() == master["Receivable Days"].astype(float).tolist()
    assert customers["wallet"].tolist() == master["Wallet Estimate"].tolist()


def test_customer_master_keeps_numeric_extra_columns_and_falls_back_to_names(tmp_path):
    sales = [["Customer", "Date", "Amount"], ["Acme", D(2025, 1, 1), 10.0]]
    master = [["Account Name", "Region", "Credit days", "Remark"],
              ["Acme", "North", 30, "ok"], ["Beta", None, 45.5, 7]]
    path = write_book(tmp_path / "b.xlsx", {"Sales": sales, "Customers": master})
    frame = read_customers(path)
    assert list(frame.columns) == ["customer_id", "customer_name", "region", "credit_days",
                                   "source_sheet", "source_row"]
    assert frame["customer_id"].tolist() == ["Acme", "Beta"]
    assert frame["credit_days"].tolist() == [30, 45.5]
    assert frame.attrs["notes"] == ("Sheet 'Customers': no customer ids; the customer name is used as the id.",)


def test_customers_sheet_named_in_settings_or_absent(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES,
                                            "Master": [["客户编号", "行业"], ["C1", "零售"]]})
    assert read_customers(path) is None
    customers = read_customers(path, Settings(customers_sheet="Master"))
    assert customers[["customer_id", "industry"]].values.tolist() == [["C1", "零售"]]
    with pytest.raises(InputError) as caught:
        read_customers(path, Settings(customers_sheet="Nope"))
    assert str(caught.value) == (
        "The customer sheet 'Nope' named in Settings (customers_sheet) does not exist. Correct "
        "customers_sheet in the Settings sheet to one of this workbook's sheets (Sales, "
        "Master), or clear it.")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_settings_sheet_is_read(tmp_path, language):
    settings = Settings(
        a_cut=0.7, language=language, as_of=dt.date(2025, 6, 30), rfm_bins=4,
        score_factors=(ScoreFactor("profit", 0.5), ScoreFactor("recency_days", 0.5, False)),
        holding_rules=(HoldingRule("*", "A", 12), HoldingRule("张伟", "All", 80)),
        column_map=(("amount", "Net Value"),), sales_sheets=("Sales",),
    )
    name = "Settings" if language == "en" else "设置"
    sales = [["Customer ID", "Customer", "Date", "Net Value", "Cost"], *SALES[1:]]
    path = write_book(tmp_path / "b.xlsx", {"Sales": sales, name: settings_rows(settings, language)})
    assert read_settings(path) == settings


def test_no_settings_sheet_means_defaults(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    assert read_settings(path) == Settings()


@pytest.mark.parametrize("headers, labels", [
    (["Rank", "Customer ID", "Customer", "ABC tier", "Score", "Score tier"],
     ["VIP", "Regular", "Potential"]),
    (["排名", "客户编号", "客户名称", "ABC分类", "客户评分", "评分等级"],
     ["重要客户 (VIP)", "普通客户", "潜在客户"]),
], ids=["en", "zh"])
def test_previous_tiers_in_either_language(tmp_path, headers, labels):
    rows = [headers, [1, "C1", "Acme", "A", 90, labels[0]], [2, 1002, "Beta", "B", 60, labels[1]],
            [3, "C3", "Gamma", "D", 10, labels[2]], [None, None, None, None, None, None]]
    name = "Tiers" if headers[0] == "Rank" else "客户分级"
    path = mark_as_ours(write_book(tmp_path / "b.xlsx", {"Sales": SALES, name: rows}), name, "tiers")
    previous = read_previous_tiers(path)
    assert previous.values.tolist() == [["C1", "A", "VIP"], ["1002", "B", "Regular"],
                                        ["C3", "D", "Potential"]]
    assert list(previous.columns) == ["customer_id", "abc_tier", "score_tier"]


def test_no_previous_tiers(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    assert read_previous_tiers(path) is None
    # a Tiers sheet the refresh did not write is the user's: never read as the last tiers
    path = write_book(tmp_path / "c.xlsx", {"Sales": SALES, "Tiers": [
        ["Customer ID", "ABC tier"], ["C1", "A"]]})
    assert read_previous_tiers(path) is None
    assert read_previous_tiers(mark_as_ours(path, "Tiers", "tiers"))["abc_tier"].tolist() == ["A"]


def test_missing_file(tmp_path):
    with pytest.raises(WorkbookError, match="workbook not found"):
        read_sales(tmp_path / "nope.xlsx")


def test_a_folder(tmp_path):
    with pytest.raises(WorkbookError, match="is a folder"):
        read_sales(tmp_path)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("Customer,Date,Amount\n")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        read_sales(path)


def test_a_damaged_zip(tmp_path):
    path = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("hello.txt", "not a workbook")
    with pytest.raises(WorkbookError, match="cannot read"):
        read_sales(path)


def test_encrypted_workbook(tmp_path):
    # An encrypted xlsx is an OLE compound file with an EncryptionInfo stream.
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
                     + "EncryptionInfo".encode("utf-16-le") + bytes(100))
    with pytest.raises(WorkbookError, match="password-protected"):
        read_sales(path)


def test_locked_workbook(tmp_path, monkeypatch):
    # What Windows reports while Excel holds the file open exclusively.
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})

    def locked(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "read_bytes", locked)
    with pytest.raises(WorkbookError, match="locked by another program"):
        read_sales(path)


def write_raw_xlsx(path, sheet_xml, shared_strings=None):
    """A minimal package around hand-written sheet XML (as other tools write it)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>"))
        package.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"))
        package.writestr("xl/workbook.xml", (
            f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="Sales" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        package.writestr("xl/_rels/workbook.xml.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"))
        package.writestr("xl/sharedStrings.xml",
                         f'<sst {ns}>{"".join(shared_strings or [])}</sst>')
        package.writestr("xl/worksheets/sheet1.xml",
                         f"<worksheet {ns}><sheetData>{sheet_xml}</sheetData></worksheet>")
    return path


def test_header_from_inline_and_rich_shared_strings_without_cell_refs(tmp_path):
    shared = ['<si><r><t>Cust</t></r><r><rPr><b/></rPr><t>omer</t></r>'
              '<rPh sb="0" eb="1"><t>ignored</t></rPh></si>',
              "<si><t>Amount</t></si>"]
    sheet = ('<row r="2"><c r="A2" s="3"/></row>'  # formatted but empty: not the header
             '<row r="4"><c t="s"><v>0</v></c><c t="inlineStr"><is><t>Date</t></is></c>'
             '<c t="s"><v>1</v></c></row>'
             '<row r="5"><c t="inlineStr"><is><t>C1</t></is></c><c><v>45658</v></c>'
             '<c><v>12.5</v></c></row>')
    path = write_raw_xlsx(tmp_path / "raw.xlsx", sheet, shared)
    with SalesBook.open(path) as book:
        assert book.header("Sales") == read_header(4, ("Customer", "Date", "Amount"))
    sales = read_sales(path)
    assert sales["customer_name"].tolist() == ["C1"]
    assert sales["customer_id"].tolist() == ["C1"]
    assert sales["date"].tolist() == [pd.Timestamp(2025, 1, 1)]
    assert sales["amount"].tolist() == [12.5]
    assert sales["source_row"].tolist() == [5]


def read_header(row, cells):
    return SheetHeader(row, cells)


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 10**6)), min_size=1, max_size=30),
       st.integers(0, 3))
@settings(max_examples=15, deadline=None)
def test_source_rows_point_at_the_rows_read(tmp_path_factory, rows, blank_above):
    """Property: whatever blank rows lie above the header and between data rows, each row
    read carries the Excel row it came from."""
    table = [[] for _ in range(blank_above)] + [["Customer ID", "Date", "Amount"]]
    expected = []
    for filled, amount in rows:
        table.append(["C", D(2025, 1, 1), amount] if filled else [])
        if filled:
            expected.append((len(table), float(amount)))
    assume(expected)
    path = write_book(tmp_path_factory.mktemp("p") / "b.xlsx", {"Sales": table})
    sales = read_sales(path)
    assert list(zip(sales["source_row"], sales["amount"])) == expected


@pytest.mark.soffice
@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_other_formats_read_through_fastexcel_alone(tmp_path, extension):
    """No xlsx package to peek into: the header row comes from fastexcel."""
    import shutil
    import subprocess

    source = write_book(tmp_path / "b.xlsx", {"Notes": [["x"]], "Sales": [[], *SALES]})
    subprocess.run(
        [shutil.which("soffice"), "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", extension, "--outdir", str(tmp_path / "out"), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    with SalesBook.open(tmp_path / "out" / f"b.{extension}") as book:
        assert book.sheet_names == ["Notes", "Sales"]
        assert book.header("Sales").row == 2
    sales = read_sales(tmp_path / "out" / f"b.{extension}")
    assert sales["customer_id"].tolist() == ["C1", "C2", "C1"]
    assert sales["amount"].tolist() == [100.0, 250.5, -20.0]
    # ods dates reach fastexcel as ISO text ("2025-01-05"): kept raw for the core to parse
    assert pd.Timestamp(sales["date"].tolist()[0]) == pd.Timestamp(2025, 1, 5)
    assert sales["source_row"].tolist() == [3, 4, 5]


@given(st.integers(0, 3 * 2**20), st.one_of(st.none(), st.integers(0, 3 * 2**20)),
       st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
@settings(max_examples=25, deadline=None)
def test_the_boolean_probe_finds_the_marker_anywhere_in_a_member(size, at, compression):
    # the probe inflates the member chunk by chunk (1 MiB): a marker across a chunk boundary
    # counts, and one that is absent is never found
    from xl_addin.workbook.read import _member_holds

    body = (b'<c r="A1" t="n"><v>1</v></c>' * (size // 28 + 1))[:size]
    if at is not None:
        at = min(at, size)
        body = body[:at] + b't="b"' + body[at:]
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression) as package:
        package.writestr("xl/other.xml", b'<c t="b"/>')
        package.writestr("xl/worksheets/sheet1.xml", body)
    package = zipfile.ZipFile(io.BytesIO(data.getvalue()))
    with package.fp.getbuffer() as buffer:
        found = _member_holds(buffer, package.getinfo("xl/worksheets/sheet1.xml"), b't="b"')
    assert found == (at is not None)


def test_a_sheet_the_reader_cannot_parse_is_a_workbook_error_saying_what_to_do(tmp_path, monkeypatch):
    path = write_book(tmp_path / "b.xlsx", {"Sales": [["Customer", "Date", "Amount"]]})

    class Broken:
        def load_sheet(self, *args, **kwargs):
            raise RuntimeError("calamine error: Xml(...)")

    with SalesBook.open(path) as book:
        monkeypatch.setattr(SalesBook, "_reader", property(lambda self: Broken()))
        with pytest.raises(WorkbookError) as error:
            book.read_rows("Sales")
    assert str(error.value) == (
        f"cannot read sheet 'Sales' of '{path}': its cells are damaged or stored in a form the "
        "reader does not know (calamine error: Xml(...)). Open the workbook in Excel, save it "
        "again and run the refresh again.")


def _amounts(book, sheet="Sales"):
    header = book.header(sheet)
    return book.read_columns(sheet, header, {"customer_id": 0, "amount": 3})["amount"].tolist()


def test_an_unchanged_file_is_parsed_from_the_file_not_a_copy_of_its_bytes(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    with SalesBook.open(path) as book:
        assert _amounts(book) == [100.0, 250.5, -20.0]
        assert book._by_path  # no second copy of the package beside the parse


def test_a_file_replaced_after_it_was_read_is_parsed_from_the_bytes_read(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    other = write_book(tmp_path / "other.xlsx", {"Sales": [*SALES, ["C3", "Cee", D(2025, 4, 1), 7.0, 1.0]]})
    with SalesBook.open(path) as book:
        header = book.header("Sales")  # what the key and the header came from: the first file
        other.replace(path)
        assert book.read_columns("Sales", header, {"amount": 3})["amount"].tolist() == \
            [100.0, 250.5, -20.0]
        assert not book._by_path


def test_a_file_rewritten_in_place_while_the_parser_has_it_open_is_parsed_again_from_the_bytes(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    rows = [*SALES, *[["C9", "Nine", D(2025, 5, i), float(i), 1.0] for i in range(1, 20)]]
    other = write_book(tmp_path / "other.xlsx", {"Sales": rows}).read_bytes()
    with SalesBook.open(path) as book:
        header = book.header("Sales")
        book._reader  # opened on the file, which then changes under it
        assert book._by_path
        with open(path, "r+b") as handle:  # same file id, new bytes (and size)
            handle.write(other)
            handle.truncate()
        assert book.read_columns("Sales", header, {"amount": 3})["amount"].tolist() == \
            [100.0, 250.5, -20.0]


class _WatchedParser:
    """The workbook's parser, with ``during_parse(book)`` called as a sheet is parsed."""

    def __init__(self, book, during_parse):
        self._parser, self._book, self._during_parse = book._reader, book, during_parse

    def load_sheet(self, *args, **kwargs):
        self._during_parse(self._book)
        return self._parser.load_sheet(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._parser, name)


def _watched(book, during_parse):
    book._fastexcel = _WatchedParser(book, during_parse)
    return book


def test_a_large_sheet_is_parsed_with_the_workbook_s_bytes_out_of_memory(tmp_path, monkeypatch):
    import gc

    import xl_addin.workbook.read as read

    monkeypatch.setattr(read, "_SET_ASIDE_MIN_BYTES", 0)  # every sheet counts as large here
    shared = ["<si><t>Customer ID</t></si>", "<si><t>Amount</t></si>", "<si><t>C1</t></si>",
              "<si><t>C2</t></si>"]
    sheet = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>12.5</v></c></row>'
             '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>-3</v></c></row>')
    path = write_raw_xlsx(tmp_path / "raw.xlsx", sheet, shared)
    seen = {}

    def during_parse(book):
        seen["data"], seen["package"] = book._data, book._zip._package

    gc.disable()  # no collection may free what a reference cycle holds: none must hold it
    try:
        held = _parse_and_count(path, during_parse)
    finally:
        gc.enable()
    assert seen == {"data": None, "package": None}
    # nothing else held them: the test's own reference and getrefcount's argument
    assert held == 2


def _parse_and_count(path, during_parse):
    import sys

    with SalesBook.open(path) as book:
        data = book._data
        header = book.header("Sales")  # streams the sheet and two shared strings first
        assert header == SheetHeader(1, ("Customer ID", "Amount"))
        _watched(book, during_parse)
        frame = book.read_columns("Sales", header, {"customer_id": 0, "amount": 1})
        assert frame["customer_id"].tolist() == ["C1", "C2"]
        assert frame["amount"].tolist() == [12.5, -3.0]
        held = sys.getrefcount(data)
        # back afterwards, equal, and the package reads as before: the shared strings go on
        # from where they were
        assert book._data == data and book._data is not data
        assert book._zip.header("Sales") == header
        assert [book._zip._shared_string(i) for i in (3, 2, 0)] == ["C2", "C1", "Customer ID"]
    return held


def test_a_small_sheet_is_parsed_with_the_bytes_kept(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    seen = []
    with SalesBook.open(path) as book:
        header = book.header("Sales")
        _watched(book, lambda b: seen.append(b._data is not None))
        assert _amounts(book) == [100.0, 250.5, -20.0]
    assert seen == [True]


def test_a_file_replaced_while_its_bytes_are_set_aside_is_refused_with_what_to_do(
        tmp_path, monkeypatch):
    import xl_addin.workbook.read as read

    monkeypatch.setattr(read, "_SET_ASIDE_MIN_BYTES", 0)
    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES})
    other = write_book(tmp_path / "other.xlsx", {"Sales": SALES[:2]})
    with SalesBook.open(path) as book:
        header = book.header("Sales")
        _watched(book, lambda b: other.replace(path))  # Excel saves while the sheet is parsed
        with pytest.raises(WorkbookError, match="changed while it was being read.*run the "
                                                "refresh again"):
            book.read_columns("Sales", header, {"amount": 3})


def test_xml_streamed_in_pieces_gives_what_iterparse_gives():
    import xml.etree.ElementTree as ET

    from xl_addin.workbook.read import _end_elements

    xml = ("<sst xmlns='urn:x'>" + "".join(
        f"<si><t>text {i} {'é' * (i % 7)}</t><r><t>{'x' * (i % 5000)}</t></r></si>"
        for i in range(400)) + "</sst>").encode()
    expected = [(e.tag, e.text) for _, e in ET.iterparse(io.BytesIO(xml), events=("end",))]
    assert [(e.tag, e.text) for e in _end_elements(io.BytesIO(xml))] == expected
    with pytest.raises(ET.ParseError):
        list(_end_elements(io.BytesIO(xml[:-3])))


def test_done_reading_drops_the_parser_and_keeps_what_was_read(tmp_path):
    from xl_addin.workbook.file_book import FileSource

    path = write_book(tmp_path / "b.xlsx", {"Sales": SALES, "Notes": [["x"]]})
    with FileSource(path) as source:
        header = source.header("Sales")
        assert source.columns("Sales", header, {"amount": 3})["amount"].tolist() == [100.0, 250.5, -20.0]
        source.done_reading()
        assert source.book._fastexcel is None
        assert source.sheet_names() == ["Sales", "Notes"]
        assert source.header("Sales") == header
        with pytest.raises(WorkbookError):
            source.columns("Sales", header, {"amount": 3})


def test_true_false_cells_are_told_from_the_numbers_and_texts_they_read_as(tmp_path):
    # fastexcel reads TRUE as 1.0 in a number column and as "true" in a text column: the
    # typed cells of the XML decide, so a real 1.0 and a text "true" stay values
    rows = [["Customer ID", "Customer", "Date", "Amount"],
            ["C1", "true", D(2025, 1, 5), 1.0],
            [True, "Beta", D(2025, 2, 1), 0.0],
            ["C3", False, D(2025, 3, 1), True],
            ["C4", "Dee", True, 7.5]]
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    sales = read_sales(path)
    assert sales["customer_id"].tolist() == ["C1", True, "C3", "C4"]
    assert sales["customer_name"].tolist() == ["true", "Beta", False, "Dee"]
    assert sales["amount"].tolist() == [1.0, 0.0, True, 7.5]
    assert sales["date"].tolist()[3] is True


def test_the_xml_is_searched_for_true_false_cells_only_when_values_could_be_ones(tmp_path, monkeypatch):
    from xl_addin.workbook import read

    searched = []
    real = read._XlsxParts.booleans
    monkeypatch.setattr(read._XlsxParts, "booleans",
                        lambda self, sheet: searched.append(sheet) or real(self, sheet))
    plain = write_book(tmp_path / "plain.xlsx", {"Sales": SALES})
    assert read_sales(plain)["amount"].tolist() == [100.0, 250.5, -20.0]
    assert searched == []
    ones = write_book(tmp_path / "ones.xlsx", {"Sales": [*SALES, ["C4", "Dee", D(2025, 4, 1), 1.0, 0.5]]})
    assert read_sales(ones)["amount"].tolist() == [100.0, 250.5, -20.0, 1.0]
    assert searched == ["Sales"]


def _shared_strings_for(path, sheet_part, out):
    """``path`` (openpyxl writes inline strings) with the text cells of ``sheet_part`` moved to
    a shared strings part, as Excel keeps a user's sales; the other sheets keep inline strings,
    as our writer writes Settings and Tiers."""
    import re
    from xml.sax.saxutils import escape

    strings: list[str] = []

    def shared(found):
        strings.append(found.group(3).decode())
        return (b"<c " + found.group(1) + b't="s"' + found.group(2) + b"><v>"
                + str(len(strings) - 1).encode() + b"</v></c>")

    with zipfile.ZipFile(path) as package, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in package.infolist():
            data = package.read(info.filename)
            if info.filename == sheet_part:
                data = re.sub(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t>([^<]*)</t></is></c>',
                              shared, data)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>"))
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
            copy.writestr(info, data)
        items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        copy.writestr("xl/sharedStrings.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.'
            f'openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{items}</sst>'))
    assert strings
    return out


@pytest.mark.parametrize("date1904", [False, True])
def test_a_sheet_without_shared_strings_is_read_without_opening_the_workbook_s_parser(tmp_path, date1904):
    # Settings and Tiers as we write them (inline strings): read from a package of their own,
    # so a refresh served by the sales cache never parses the sales' shared strings; the
    # values are those the workbook's parser reads
    rows = [["Rank", "Customer ID", "Customer", "ABC tier", "Score", "Score tier"],
            [1, "C1", "Acme", "A", 90, "VIP"], [2, 1002, "Beta", "B", 60.5, "Regular"],
            [3, "C3", "Gamma", "D", 10, "Potential"]]
    settings = [["Setting", "Value"], ["as_of", D(2025, 6, 30)], ["a_cut", 0.8]]
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, sheet_rows in {"Sales": SALES, "Tiers": rows, "Settings": settings}.items():
        sheet = book.create_sheet(name)
        for row in sheet_rows:
            sheet.append(row)
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904 if date1904 else book.epoch
    book.save(tmp_path / "shared.xlsx")
    mark_as_ours(tmp_path / "shared.xlsx", "Tiers", "tiers")
    path = _shared_strings_for(tmp_path / "shared.xlsx", "xl/worksheets/sheet1.xml", tmp_path / "in.xlsx")
    assert read_sales(path)["customer_id"].tolist() == ["C1", "C2", "C1"]
    with SalesBook.open(path) as alone:
        settings_rows_read = alone.read_rows("Settings")
        header = alone.header("Tiers")
        tiers = alone.read_columns("Tiers", header, {"customer_id": 1, "abc_tier": 3, "amount": 4})
        assert alone._fastexcel is None  # the workbook's parser was never opened
    with SalesBook.open(path) as whole:
        whole._reader  # opened first: every sheet read through it
        assert whole.read_rows("Settings") == settings_rows_read
        pd.testing.assert_frame_equal(
            whole.read_columns("Tiers", header, {"customer_id": 1, "abc_tier": 3, "amount": 4}), tiers)
    assert tiers["customer_id"].tolist() == ["C1", "1002", "C3"]
    assert tiers["amount"].tolist() == [90.0, 60.5, 10.0]
    assert settings_rows_read[1][1].startswith("2025-06-30")
    assert read_previous_tiers(path).values.tolist() == [["C1", "A", "VIP"], ["1002", "B", "Regular"],
                                                         ["C3", "D", "Potential"]]
    # a sheet with shared strings goes through the workbook's parser
    with SalesBook.open(path) as book:
        assert book._reader_for("Sales") is book._reader
