"""Files given to the CLI (issue 8, "Files"): unreadable inputs exit 4 naming the file, read-only
workbooks and --out targets are refused, a symlinked workbook is refreshed through to its target,
and an --out extension that does not match the package is refused with the fix."""

import os
import stat
import zipfile

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from xl_addin.cli import cli
from xl_addin.workbook.xlsx import new_workbook, write_tables

from .workbook.conftest import make_xlsm

SALES = pd.DataFrame({
    "Customer ID": ["C1", "C1", "C2", "C3", "C4"],
    "Date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-01", "2025-02-10", "2025-06-30"]),
    "Amount": [500.0, 300.0, 200.0, 100.0, 40.0],
    "Cost": [100.0, 60.0, 20.0, 20.0, 60.0],
})


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def sales_book(path):
    new_workbook(path)
    write_tables(path, {"Sales": SALES})
    return path


def sheet_names(path):
    return openpyxl.load_workbook(path, read_only=True).sheetnames


def read_only(path):
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


# -- 1. unreadable input: exit 4 naming the file and what to do ---------------------------------

def _not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just some text, not a workbook\n")
    return path


def _truncated_zip(tmp_path):
    whole = sales_book(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _folder(tmp_path):
    path = tmp_path / "folder.xlsx"
    path.mkdir()
    return path


def _missing(tmp_path):
    return tmp_path / "nowhere.xlsx"


def _empty_zip(tmp_path):
    path = tmp_path / "empty.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "no workbook parts")
    return path


@pytest.mark.parametrize("command", ["refresh", "check"])
@pytest.mark.parametrize("make", [_not_a_workbook, _truncated_zip, _folder, _missing, _empty_zip])
def test_an_unreadable_input_exits_4_naming_the_file_and_the_fix(tmp_path, command, make):
    path = make(tmp_path)
    before = path.read_bytes() if path.is_file() else None
    result = run(command, path)
    assert result.exit_code == 4, result.output
    assert path.name in result.output
    assert "Traceback" not in result.output
    message = result.output.lower()
    assert any(word in message for word in ("check the path", "save it", "give the path",
                                            "open it in excel", "save a copy")), result.output
    if before is not None:
        assert path.read_bytes() == before


# -- 2. read-only workbooks and --out targets ---------------------------------------------------

def test_a_read_only_workbook_is_not_refreshed_in_place(tmp_path):
    path = sales_book(tmp_path / "sales.xlsx")
    before = path.read_bytes()
    read_only(path)
    result = run("refresh", path, "--no-cache")
    assert result.exit_code == 4, result.output
    assert "sales.xlsx" in result.output and "read-only" in result.output
    assert "--out" in result.output
    assert path.read_bytes() == before
    assert not (path.stat().st_mode & stat.S_IWUSR)


def test_a_read_only_workbook_can_be_refreshed_to_a_new_file(tmp_path):
    path = sales_book(tmp_path / "sales.xlsx")
    read_only(path)
    out = tmp_path / "tiers.xlsx"
    result = run("refresh", path, "--out", out, "--no-cache")
    assert result.exit_code == 0, result.output
    assert "Tiers" in sheet_names(out)


def test_a_read_only_out_target_is_refused_unless_force(tmp_path):
    path = sales_book(tmp_path / "sales.xlsx")
    out = tmp_path / "tiers.xlsx"
    new_workbook(out, "Old")
    before = out.read_bytes()
    read_only(out)
    result = run("refresh", path, "--out", out, "--no-cache")
    assert result.exit_code == 4, result.output
    assert "tiers.xlsx" in result.output and "read-only" in result.output
    assert "--force" in result.output
    assert out.read_bytes() == before

    result = run("refresh", path, "--out", out, "--force", "--no-cache")
    assert result.exit_code == 0, result.output
    assert "Tiers" in sheet_names(out)


def test_a_writable_out_target_is_replaced_without_force(tmp_path):
    path = sales_book(tmp_path / "sales.xlsx")
    out = tmp_path / "tiers.xlsx"
    new_workbook(out, "Old")
    result = run("refresh", path, "--out", out, "--no-cache")
    assert result.exit_code == 0, result.output
    assert "Tiers" in sheet_names(out)


def test_check_reads_a_read_only_workbook(tmp_path):
    path = sales_book(tmp_path / "sales.xlsx")
    read_only(path)
    result = run("check", path, "--no-cache")
    assert result.exit_code == 0, result.output


# -- 3. symlinks are refreshed through to their target -------------------------------------------

def test_a_symlinked_workbook_is_refreshed_through_to_its_target(tmp_path):
    (tmp_path / "data").mkdir()
    target = sales_book(tmp_path / "data" / "sales.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(target)
    result = run("refresh", link, "--no-cache")
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert link.resolve() == target.resolve()
    assert "Tiers" in sheet_names(target)
    # no temporary file left beside the link or the target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "link.xlsx"]
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["sales.xlsx"]


def test_a_symlinked_out_target_is_written_through(tmp_path):
    path = sales_book(tmp_path / "sales.xlsx")
    target = tmp_path / "real.xlsx"
    new_workbook(target, "Old")
    link = tmp_path / "tiers.xlsx"
    link.symlink_to(target)
    result = run("refresh", path, "--out", link, "--no-cache")
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert "Tiers" in sheet_names(target)


# -- 4. --out extension must match the package -----------------------------------------------------

def test_a_macro_workbook_is_not_written_as_xlsx(tmp_path):
    path = make_xlsm(tmp_path / "book.xlsm")
    write_tables(path, {"Sales": SALES})
    out = tmp_path / "tiers.xlsx"
    result = run("refresh", path, "--out", out, "--no-cache")
    assert result.exit_code == 3, result.output
    assert "--out tiers.xlsm" in result.output
    assert not out.exists()

    result = run("refresh", path, "--out", tmp_path / "tiers.xlsm", "--no-cache")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "tiers.xlsm") as z:
        assert "xl/vbaProject.bin" in z.namelist()


def test_a_plain_workbook_is_not_written_as_xlsm(tmp_path):
    path = sales_book(tmp_path / "sales.xlsx")
    out = tmp_path / "tiers.xlsm"
    result = run("refresh", path, "--out", out, "--no-cache")
    assert result.exit_code == 3, result.output
    assert "--out tiers.xlsx" in result.output
    assert not out.exists()


def test_a_macro_workbook_refreshed_in_place_keeps_its_name(tmp_path):
    path = make_xlsm(tmp_path / "book.xlsm")
    write_tables(path, {"Sales": SALES})
    result = run("refresh", path, "--no-cache")
    assert result.exit_code == 0, result.output
