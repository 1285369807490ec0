"""The customer-tiers command: help, refresh, check, demo, errors and exit codes."""

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from xl_addin.cli import cli
from xl_addin.workbook.xlsx import write_tables

import pandas as pd


def _commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"customer-tiers {name}" in result.output


def test_the_commands_the_issue_names_exist():
    assert {"refresh", "demo", "check"} <= set(cli.commands)
    options = {p.name for p in cli.commands["refresh"].params}
    assert {"out", "as_of", "lang"} <= options
    options = {p.name for p in cli.commands["demo"].params}
    assert {"out", "customers", "rows", "lang"} <= options


SALES = pd.DataFrame({
    "Customer ID": ["C1", "C1", "C2", "C3", "C3", "C4", "", "C2"],
    "Customer": ["Acme", "Acme", "=HYPERLINK(\"http://x\",\"y\")", "Bolt", "Bolt", "Core",
                 "nobody", "=HYPERLINK(\"http://x\",\"y\")"],
    "Date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-01", "2025-02-10",
                            "2025-06-01", "2025-06-30", "2025-06-01", "2025-05-01"]),
    "Amount": [500.0, 300.0, 200.0, 100.0, 50.0, 40.0, 99.0, 60.0],
    "Cost": [100.0, 60.0, 20.0, 20.0, 10.0, 60.0, 0.0, 10.0],
})


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "sales.xlsx"
    from xl_addin.workbook.xlsx import new_workbook

    new_workbook(path, sheet_name="Notes")
    write_tables(path, {"Sales 2025": SALES})
    return path


def _tiers(path, sheet="Tiers"):
    wb = openpyxl.load_workbook(path)
    rows = list(wb[sheet].iter_rows(values_only=True))
    return wb.sheetnames, rows[0], rows[1:]


def test_refresh_writes_the_tier_sheets_and_keeps_the_user_sheet(book, tmp_path):
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["refresh", str(book), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    names, header, rows = _tiers(out)
    assert names[:2] == ["Notes", "Sales 2025"]
    assert {"Tiers", "Pareto", "Summary", "Coverage", "Data quality", "Settings"} <= set(names)
    assert header[:3] == ("Customer ID", "Customer", "Salesperson")
    # Profit: C1 640, C2 230, C3 120, C4 -20 -> sorted by profit, C4 is class D.
    by_id = {row[0]: row for row in rows}
    assert [row[0] for row in rows] == ["C1", "C2", "C3", "C4"]
    tier = header.index("ABC tier")
    # Positive total 990: C1 starts at 0 -> A; C2 starts at 640/990 = 0.65 < 0.80 -> A;
    # C3 starts at 870/990 = 0.88, below 0.95 -> B; C4 has no positive contribution -> D.
    assert [by_id[c][tier] for c in ("C1", "C2", "C3", "C4")] == ["A", "A", "B", "D"]
    # Text from the data stays text, even when it looks like a formula.
    assert by_id["C2"][1] == '=HYPERLINK("http://x","y")'
    # The blank customer id row is left out and reported.
    _, dq_header, dq_rows = _tiers(out, "Data quality")
    dq_rows = [row for row in dq_rows if row[0]]  # the Notes block sits to the right
    assert len(dq_rows) == 1 and dq_rows[0][1] == 8
    assert dq_rows[0][2] == "A (Customer ID)"  # the user's column letter and header
    assert "Wrote" in result.output


def test_refresh_in_place_then_again_is_stable(book):
    assert CliRunner().invoke(cli, ["refresh", str(book), "-q"]).exit_code == 0
    first = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Tiers").to_python()
    assert CliRunner().invoke(cli, ["refresh", str(book), "-q"]).exit_code == 0
    second = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Tiers").to_python()
    assert first == second


def test_refresh_in_chinese_uses_chinese_sheet_names(book, tmp_path):
    out = tmp_path / "zh.xlsx"
    result = CliRunner().invoke(cli, ["refresh", str(book), "--out", str(out), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    names = openpyxl.load_workbook(out).sheetnames
    assert {"客户分级", "帕累托", "汇总", "保有量", "数据问题", "设置"} <= set(names)


def test_as_of_changes_recency(book, tmp_path):
    out = tmp_path / "asof.xlsx"
    result = CliRunner().invoke(cli, ["refresh", str(book), "--out", str(out), "--as-of",
                                      "2025-07-10", "-q"])
    assert result.exit_code == 0, result.output
    _, header, rows = _tiers(out)
    recency = header.index("Recency (days)")
    by_id = {row[0]: row for row in rows}
    assert by_id["C4"][recency] == 10  # last purchase 2025-06-30


def test_bad_date_option_is_a_usage_error(book):
    result = CliRunner().invoke(cli, ["refresh", str(book), "--as-of", "31/12/2025"])
    assert result.exit_code == 2
    assert "2025-12-31" in result.output


def test_missing_file_is_a_workbook_error_with_exit_code_4(tmp_path):
    result = CliRunner().invoke(cli, ["refresh", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 4
    assert "nope.xlsx" in result.output


def test_missing_amount_column_is_an_input_error_with_exit_code_3(tmp_path):
    path = tmp_path / "bad.xlsx"
    from xl_addin.workbook.xlsx import new_workbook

    new_workbook(path, sheet_name="Notes")
    write_tables(path, {"Sales": SALES.drop(columns=["Amount"])})
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(path)])
    assert result.exit_code == 3
    assert "Sales" in result.output and "amount" in result.output.lower()
    assert path.read_bytes() == before  # nothing written


def test_check_lists_findings_and_writes_nothing(book):
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["check", str(book)])
    assert result.exit_code == 0, result.output
    assert "1 rows left out" in result.output
    assert "  'Sales 2025'!A8 (Customer ID): " in result.output, result.output
    assert book.read_bytes() == before


@pytest.mark.parametrize("suffix", [".xlsm", ".xlsx"])
def test_demo_builds_and_refreshes_a_workbook(tmp_path, suffix):
    out = tmp_path / f"demo{suffix}"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--customers", "60",
                                      "--rows", "1500", "-q"])
    assert result.exit_code == 0, result.output
    names = openpyxl.load_workbook(out).sheetnames
    assert {"Sales", "Customers", "Settings", "Tiers", "Pareto", "Coverage"} <= set(names)
    members = zipfile.ZipFile(out).namelist()
    assert ("xl/vbaProject.bin" in members) == (suffix == ".xlsm")
    assert "customers ranked by profit" in result.output


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_written_files_get_ordinary_modes_not_the_temporary_files(book, tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    out = tmp_path / "new.xlsx"
    assert CliRunner().invoke(cli, ["refresh", str(book), "--out", str(out), "-q"]).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    os.chmod(book, 0o640)
    assert CliRunner().invoke(cli, ["refresh", str(book), "-q"]).exit_code == 0
    assert stat.S_IMODE(book.stat().st_mode) == 0o640
    demo = tmp_path / "demo.xlsx"
    assert CliRunner().invoke(cli, ["demo", "--out", str(demo), "--customers", "20",
                                    "--rows", "200", "-q"]).exit_code == 0
    assert stat.S_IMODE(demo.stat().st_mode) == 0o666 & ~mask


# -- the installed command (``cli.run``): a real process, ended without the interpreter's teardown


def _command(*args, cache=None, stdout=subprocess.PIPE):
    env = _child_environment()
    if cache is not None:
        env["CUSTOMER_TIERS_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-m", "xl_addin", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, env=env, timeout=300)


def test_the_command_process_gives_its_exit_codes_and_all_its_output(book, tmp_path):
    missing = _command("refresh", str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 4
    assert "nope.xlsx" in missing.stderr
    usage = _command("refresh", str(book), "--as-of", "31/12/2025")
    assert usage.returncode == 2
    out = tmp_path / "tiers.xlsx"
    done = _command("refresh", str(book), "--out", str(out), "--no-cache")
    assert done.returncode == 0, done.stderr
    # the last line printed arrives (flushed before the process ends) and the file is whole
    assert done.stdout.startswith(f"Wrote {out}") and "customers ranked by" in done.stdout
    assert "Tiers" in openpyxl.load_workbook(out, read_only=True).sheetnames


def test_the_command_process_leaves_whole_cache_entries(book, tmp_path):
    cache = tmp_path / "cache"
    first = _command("refresh", str(book), "--out", str(tmp_path / "a.xlsx"), cache=cache)
    assert first.returncode == 0, first.stderr
    entries = sorted(p.name for p in cache.iterdir() if p.is_file())
    assert entries and all(name.endswith(".arrow") for name in entries)  # no ".part-" left
    # the stored sales serve the next refresh: same answer from the entry
    second = _command("refresh", str(book), "--out", str(tmp_path / "b.xlsx"), cache=cache)
    assert second.returncode == 0, second.stderr
    assert _tiers(tmp_path / "a.xlsx")[2] == _tiers(tmp_path / "b.xlsx")[2]


def test_the_command_reports_a_closed_output_pipe_as_a_failure(book, tmp_path):
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads what the command prints
    try:
        closed = _command("--version", stdout=writer)
    finally:
        os.close(writer)
    assert closed.returncode != 0


def _child_environment() -> dict[str, str]:
    """This process's environment, with this checkout importable in a child process."""
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


# Arrow's memory pool is chosen once, at its first allocation: the command's entry picks the C
# library's allocator before anything imports pyarrow (mimalloc's huge pages cost system CPU)
POOL_IN_COMMAND = """
import sys
import xl_addin.cli as cli
assert "pyarrow" not in sys.modules  # nothing the entry imports has chosen a pool yet
def main():
    import pyarrow
    print(pyarrow.default_memory_pool().backend_name)
cli.main = main
cli.run()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="set on Linux only")
@pytest.mark.parametrize("asked, used", [(None, "system"), ("jemalloc", "jemalloc")])
def test_the_command_process_allocates_arrow_memory_with_the_c_library(asked, used):
    env = _child_environment()
    env.pop("ARROW_DEFAULT_MEMORY_POOL", None)
    if asked is not None:  # the user's own choice is kept
        env["ARROW_DEFAULT_MEMORY_POOL"] = asked
    done = subprocess.run([sys.executable, "-c", POOL_IN_COMMAND], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == used


BLAS_THREADS_IN_COMMAND = """
import sys
import xl_addin.cli as cli
assert "numpy" not in sys.modules
def main():
    import numpy
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("Threads:")))
cli.main = main
cli.run()
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="threads counted in /proc")
def test_the_command_process_starts_no_blas_threads():
    env = _child_environment()
    env.pop("OPENBLAS_NUM_THREADS", None)
    done = subprocess.run([sys.executable, "-c", BLAS_THREADS_IN_COMMAND], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"  # the main thread only, after numpy's import


class _CLibrary:
    """A C library whose mallopt calls are recorded."""

    calls: list = []

    def mallopt(self, parameter, value):
        self.calls.append((parameter, value))
        return 1


@pytest.mark.parametrize("environment, calls", [
    ({}, [(-8, 2)]),  # glibc's M_ARENA_MAX: two arenas
    ({"MALLOC_ARENA_MAX": "4"}, []),  # the user's own limit is kept
    ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"}, []),
])
def test_the_command_process_limits_malloc_arenas_on_linux(monkeypatch, environment, calls):
    import ctypes

    import xl_addin.cli as command

    _CLibrary.calls = []
    monkeypatch.setattr(command.sys, "platform", "linux")
    monkeypatch.setattr(command.os, "environ", dict(environment))  # this process's stays as is
    monkeypatch.setattr(command.gc, "set_threshold", lambda *thresholds: None)
    monkeypatch.setattr(command.gc, "disable", lambda: None)  # this process's stays on
    monkeypatch.setattr(command, "_collector_paused", False)
    monkeypatch.setattr(ctypes, "CDLL", lambda name: _CLibrary())
    command.configure_process()
    assert _CLibrary.calls == calls
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())  # no mallopt: nothing to do
    command.configure_process()


# The cycle collector waits out the imports (it went over their objects twice for nothing),
# then comes back on with them frozen out of its reach
COLLECTOR_IN_COMMAND = """
import gc
import xl_addin.cli as cli
def main():
    during = gc.isenabled()
    import pandas
    cli.heavy_imports_done()
    print(during, gc.isenabled(), gc.get_freeze_count() > 10_000)
cli.main = main
cli.run()
"""

# The commands say when their imports are done: the collector is on while they work
COLLECTOR_IN_REFRESH = """
import gc, sys
import xl_addin.cli as cli
import xl_addin.workbook.refresh as refresh
def refresh_file(*args, **kwargs):
    print(gc.isenabled(), gc.get_freeze_count() > 0)
    sys.exit(0)
refresh.refresh_file = refresh_file
cli.run()
"""


def test_the_command_process_collects_garbage_after_the_heavy_imports_only():
    env = _child_environment()
    done = subprocess.run([sys.executable, "-c", COLLECTOR_IN_COMMAND], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"]


def test_the_refresh_command_collects_garbage_while_it_works(book):
    env = _child_environment()
    done = subprocess.run([sys.executable, "-c", COLLECTOR_IN_REFRESH, "refresh", str(book)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_imports_done_changes_nothing_in_a_process_the_command_did_not_set_up():
    import gc

    import xl_addin.cli as command

    frozen = gc.get_freeze_count()
    command.heavy_imports_done()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
