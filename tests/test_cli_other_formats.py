"""CSV, .xls, .xlsb and .ods inputs (issue 8, "Files"): read by `check` and `refresh`, and the
tier sheets written to a new .xlsx given by --out (exit 2 without it). Every expected tier is
worked out by hand from the small tables below; the output is read back with openpyxl."""

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from xl_addin.cli import cli
from xl_addin.workbook.xlsx import write_tables

from .marks import assert_valid_ooxml

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "excel-corpus"
OUR_SHEETS_EN = ["Dashboard", "Tiers", "Pareto", "Summary", "Coverage", "Data quality",
                 "Tier changes", "CLV model", "Retention", "Settings"]
OUR_SHEETS_ZH = ["仪表板", "客户分级", "帕累托", "汇总", "保有量", "数据问题", "分级变化", "CLV 模型",
                 "留存", "设置"]

# Profit: C1 500-100+300-60 = 640, C2 180, C3 80, C4 -20; positive total 900. Cumulative share
# before each: C1 0, C2 640/900 = 0.711, C3 820/900 = 0.911. Default cuts 0.8 / 0.95: C1 A,
# C2 A (crosses 80%), C3 B, C4 D (no positive profit).
SALES_CSV = ("Customer ID,Date,Amount,Cost\n"
             "C1,2025-01-05,500,100\n"
             "C1,2025-03-01,300,60\n"
             "C2,2025-02-01,200,20\n"
             "C3,2025-02-10,100,20\n"
             "C4,2025-06-30,40,60\n")
SALES_TIERS = {"C1": "A", "C2": "A", "C3": "B", "C4": "D"}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args] + ["--no-cache"])


def tiers(path, sheet="Tiers"):
    """{customer id: (ABC tier, revenue)} from the Tiers sheet, read by openpyxl."""
    rows = list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    header = rows[0]
    at = {name: header.index(name) for name in header if name}
    first = header[0]
    tier = next(h for h in header if h in ("ABC tier", "ABC分类"))
    revenue = next(h for h in header if h in ("Revenue", "销售额"))
    return {row[at[first]]: (row[at[tier]], row[at[revenue]]) for row in rows[1:] if row[0] is not None}


def abc(path, sheet="Tiers"):
    return {customer: tier for customer, (tier, _) in tiers(path, sheet).items()}


def sheet_names(path):
    return openpyxl.load_workbook(path, read_only=True).sheetnames


# -- CSV -----------------------------------------------------------------------------------------

def test_a_utf8_csv_with_bom_is_tiered_into_a_new_workbook(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_bytes(SALES_CSV.encode("utf-8-sig"))
    out = tmp_path / "tiers.xlsx"
    result = run("refresh", source, "--out", out)
    assert result.exit_code == 0, result.output
    assert "UTF-8 (with BOM)" in result.output and "','" in result.output
    assert abc(out) == SALES_TIERS
    assert sheet_names(out) == OUR_SHEETS_EN  # only the generated sheets, Settings included
    assert tiers(out)["C1"][1] == 800
    assert source.read_bytes() == SALES_CSV.encode("utf-8-sig")
    assert_valid_ooxml(out)


def test_a_gbk_csv_with_chinese_headers_is_read_as_gb18030(tmp_path):
    # Revenue (no cost column): 华为 800, 小米 200, 联想 100; total 1100. Before each: 0,
    # 0.727, 0.909: A, A, B.
    text = ("客户,日期,金额\n"
            "华为,2025/1/5,500\n"
            "华为,2025/3/1,300\n"
            "小米,2025/2/1,200\n"
            "联想,2025/2/10,100\n")
    source = tmp_path / "销售.csv"
    source.write_bytes(text.encode("gbk"))
    out = tmp_path / "tiers.xlsx"
    result = run("refresh", source, "--out", out, "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "GB18030" in result.output
    assert sheet_names(out) == OUR_SHEETS_ZH
    assert abc(out, "客户分级") == {"华为": "A", "小米": "A", "联想": "B"}
    notes = [cell for row in openpyxl.load_workbook(out, read_only=True)["数据问题"]
             .iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert any("销售.csv" in n and "GB18030" in n and "编码" in n for n in notes), notes
    assert_valid_ooxml(out)


@pytest.mark.parametrize("sep_line", [False, True], ids=["sniffed", "sep-line"])
def test_a_semicolon_csv_with_decimal_commas_reads_the_numbers_right(tmp_path, sep_line):
    # 1.234,50 is 1234.5 in a comma column; 01.03.2025 is 1 March (dots: day first).
    text = ("Customer;Date;Amount\n"
            "K1;05.01.2025;1.234,50\n"
            "K2;01.03.2025;99,50\n"
            "K3;13.03.2025;10\n")
    source = tmp_path / "export.csv"
    source.write_bytes((("sep=;\n" if sep_line else "") + text).encode("cp1252"))
    out = tmp_path / "tiers.xlsx"
    result = run("refresh", source, "--out", out)
    assert result.exit_code == 0, result.output
    assert "';'" in result.output
    read = tiers(out)
    assert {c: r for c, (_, r) in read.items()} == {"K1": 1234.5, "K2": 99.5, "K3": 10}
    # revenue 1344; cumulative share before each: K1 0 (A), K2 1234.5/1344 = 0.919 (B),
    # K3 1334/1344 = 0.993 >= 0.95 (C)
    assert {c: t for c, (t, _) in read.items()} == {"K1": "A", "K2": "B", "K3": "C"}
    assert "3 customers ranked by revenue as of 2025-03-13" in result.output


def test_a_bad_csv_row_is_listed_with_its_excel_row_and_column(tmp_path):
    # a quoted line break stays in its row, as Excel shows it: the bad amount is on row 4
    text = ('Customer ID,Date,Amount,Note\n'
            'C1,2025-01-05,500,"two\nlines"\n'
            'C2,2025-01-06,200,\n'
            'C3,2025-01-07,n/a,\n')
    source = tmp_path / "sales.csv"
    source.write_text(text, encoding="utf-8")
    result = run("check", source)
    assert result.exit_code == 0, result.output
    assert "3 sales rows in sales; 2 customers" in result.output
    assert "  sales!C4 (Amount): " in result.output, result.output
    assert "'n/a'" in result.output


def test_check_reads_a_csv_and_writes_nothing(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    result = run("check", source)
    assert result.exit_code == 0, result.output
    assert "5 sales rows in sales; 4 customers" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sales.csv"]


def test_refresh_of_a_csv_without_out_exits_2_with_the_fix(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    result = run("refresh", source)
    assert result.exit_code == 2, result.output
    assert "sales.csv" in result.output and "CSV" in result.output
    assert "cannot write" in result.output and "--out tiers.xlsx" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sales.csv"]


@pytest.mark.parametrize("with_out", [False, True], ids=["no-out", "out"])
@pytest.mark.parametrize("command", ["refresh", "check"])
def test_a_missing_csv_exits_4(tmp_path, command, with_out):
    args = ["--out", tmp_path / "tiers.xlsx"] if with_out and command == "refresh" else []
    result = run(command, tmp_path / "nowhere.csv", *args)
    assert result.exit_code == 4, result.output
    assert "nowhere.csv" in result.output and "check the path" in result.output


def test_a_folder_named_csv_exits_4(tmp_path):
    (tmp_path / "data.csv").mkdir()
    result = run("refresh", tmp_path / "data.csv", "--out", tmp_path / "tiers.xlsx")
    assert result.exit_code == 4, result.output
    assert "folder" in result.output


@pytest.mark.parametrize("name", ["tiers.xlsm", "tiers.csv", "tiers.xls"])
def test_out_for_a_csv_must_be_xlsx(tmp_path, name):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    result = run("refresh", source, "--out", tmp_path / name)
    assert result.exit_code == 3, result.output
    assert "Use --out tiers.xlsx." in result.output
    assert not (tmp_path / name).exists()


def test_out_that_is_the_input_itself_is_refused(tmp_path):
    # the new workbook holds only the tier sheets: written over the input it would lose the data
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    result = run("refresh", source, "--out", source)
    assert result.exit_code == 2, result.output
    assert "input itself" in result.output
    assert source.read_text(encoding="utf-8") == SALES_CSV


def test_a_read_only_out_is_refused_unless_force(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    out = tmp_path / "tiers.xlsx"
    out.write_bytes(b"old")
    out.chmod(0o444)
    result = run("refresh", source, "--out", out)
    assert result.exit_code == 4, result.output
    assert "read-only" in result.output and out.read_bytes() == b"old"
    # --force lifts the read-only rule, but the file is not a workbook to refresh: left alone
    # (an existing --out is refreshed in place: tests/test_cli_other_formats_report.py)
    result = run("refresh", source, "--out", out, "--force")
    assert result.exit_code == 4, result.output
    assert out.read_bytes() == b"old"


def test_the_new_workbook_is_an_ordinary_workbook_of_ours(tmp_path):
    """Refreshed again in place (after the sales are pasted in), it keeps its sheets, marks and
    tables, and gives the same tiers; a second run from the CSV refreshes it in place, the
    pasted Sales sheet kept but not read (the CSV is the sales: no doubled revenue)."""
    source = tmp_path / "sales.csv"
    source.write_text(SALES_CSV, encoding="utf-8")
    out = tmp_path / "tiers.xlsx"
    assert run("refresh", source, "--out", out).exit_code == 0
    first = abc(out)
    write_tables(out, {"Sales": pd.read_csv(source, parse_dates=["Date"])})
    result = run("refresh", out)
    assert result.exit_code == 0, result.output
    assert sheet_names(out) == OUR_SHEETS_EN + ["Sales"]  # no "Tiers (2)": the sheets are ours
    assert abc(out) == first == SALES_TIERS
    assert_valid_ooxml(out)
    result = run("refresh", source, "--out", out)
    assert result.exit_code == 0, result.output
    assert sheet_names(out) == OUR_SHEETS_EN + ["Sales"]
    assert abc(out) == SALES_TIERS and tiers(out)["C1"][1] == 800
    assert "Sheet 'Sales' of 'tiers.xlsx' looks like sales data but was not read" in result.output


# -- .xls, .ods (made by LibreOffice) and .xlsb (from the corpus) ---------------------------------

# a_cut 0.5 in the workbook's own Settings sheet: C1 A (before 0), C2 B (before 0.711 >= 0.5),
# C3 B (0.911 < 0.95), C4 D; language zh.
SETTINGS_TIERS = {"C1": "A", "C2": "B", "C3": "B", "C4": "D"}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """book.xls and book.ods converted by LibreOffice from an xlsx with a Notes sheet, a Sales
    sheet and a Settings sheet (a_cut 0.5, language zh)."""
    import datetime as dt

    folder = tmp_path_factory.mktemp("converted")
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "Exported from the ERP"
    sales = book.create_sheet("Sales")
    sales.append(["Customer ID", "Date", "Amount", "Cost"])
    for line in SALES_CSV.splitlines()[1:]:
        customer, date, amount, cost = line.split(",")
        sales.append([customer, dt.datetime.fromisoformat(date), int(amount), int(cost)])
    settings = book.create_sheet("Settings")
    settings.append(["Setting", "Value"])
    settings.append(["a_cut", 0.5])
    settings.append(["language", "zh"])
    book.save(folder / "book.xlsx")
    for extension in ("xls", "ods"):
        subprocess.run(
            [shutil.which("soffice"), "--headless",
             f"-env:UserInstallation=file://{folder}/profile", "--convert-to", extension,
             "--outdir", str(folder / "out"), str(folder / "book.xlsx")],
            check=True, capture_output=True, timeout=180)
    return folder / "out"


@pytest.mark.soffice
@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_xls_and_ods_refresh_to_a_new_workbook_with_their_settings(converted, tmp_path, extension):
    source = converted / f"book.{extension}"
    before = source.read_bytes()
    result = run("refresh", source)
    assert result.exit_code == 2, result.output
    assert f"book.{extension}" in result.output and "--out tiers.xlsx" in result.output

    out = tmp_path / "tiers.xlsx"
    result = run("refresh", source, "--out", out)
    assert result.exit_code == 0, result.output
    assert sheet_names(out) == OUR_SHEETS_ZH  # language zh and a_cut 0.5 from its Settings
    assert abc(out, "客户分级") == SETTINGS_TIERS
    settings = dict(r[:2] for r in openpyxl.load_workbook(out, read_only=True)["设置"]
                    .iter_rows(values_only=True))
    assert settings["a_cut"] == 0.5  # the settings the run used, for the next refresh
    assert source.read_bytes() == before
    assert_valid_ooxml(out)

    result = run("check", source)
    assert result.exit_code == 0, result.output
    assert "5 sales rows in Sales" in result.output


def _corpus_xlsb():
    found = sorted(CORPUS.glob("*.xlsb")) if CORPUS.is_dir() else []
    return found[0] if found else None


def test_an_xlsb_from_the_corpus_is_checked_and_refused_in_place(tmp_path):
    xlsb = _corpus_xlsb()
    if xlsb is None:
        pytest.skip("no .xlsb in ../shared/excel-corpus")
    result = run("refresh", xlsb)
    assert result.exit_code == 2, result.output
    assert "Excel Binary" in result.output and "--out tiers.xlsx" in result.output
    result = run("check", xlsb)
    assert result.exit_code in (0, 3), result.output  # read; tiered when it holds sales
    assert "Traceback" not in result.output
