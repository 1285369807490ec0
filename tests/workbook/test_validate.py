"""Every kind of workbook the product writes passes ../shared/ooxml/validate.py (ECMA-376
schemas plus the checks for what Excel repairs) with no error and no warning.

The workbooks are built once per module and validated in one run of the validator (it
compiles its schemas once); each test reads its own file's findings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from xl_addin.template.build import copy_template
from xl_addin.workbook.demo import write_demo_workbook
from xl_addin.workbook.refresh import refresh_workbook
from xl_addin.workbook.xlsx import new_workbook, write_tables

VALIDATE = Path(__file__).resolve().parents[2] / ".." / "shared" / "ooxml" / "validate.py"

SALES = pd.DataFrame({
    "Customer ID": ["C1", "C2", "C2", "C3", "C4", "C5", "C5", "C6"],
    "Customer": ["Acme", "Bolt & Co", "Bolt & Co", "Cirrus <Ltd>", "Delta", "Echo", "Echo", "富达"],
    "Date": pd.to_datetime(["2025-01-02", "2025-02-03", "2025-03-04", "2025-04-05",
                            "2025-05-06", "2025-06-07", "2025-07-08", "2025-08-09"]),
    "Amount": [900.0, 50.0, 40.0, 10.0, 300.0, 120.0, 80.0, -20.0],
    "Cost": [400.0, 20.0, 10.0, 5.0, 100.0, 50.0, 20.0, 0.0],
})


def _with_sales(path: Path) -> Path:
    if path.suffix == ".xlsm":
        copy_template(path)
        write_tables(path, {"Sales": SALES})
    else:
        new_workbook(path, sheet_name="Sales")
        write_tables(path, {"Sales": SALES})
    return path


def _refreshed(path: Path, *languages: str) -> Path:
    _with_sales(path)
    for language in languages:
        refresh_workbook(path, language=language)
    return path


KINDS = {
    "new empty workbook": lambda p: new_workbook(p / "empty.xlsx"),
    "new workbook with a sales table": lambda p: _with_sales(p / "sales.xlsx"),
    "new workbook refreshed (en)": lambda p: _refreshed(p / "en.xlsx", "en"),
    "new workbook refreshed (zh)": lambda p: _refreshed(p / "zh.xlsx", "zh"),
    "new workbook refreshed twice": lambda p: _refreshed(p / "twice.xlsx", "en", "en"),
    "new workbook after a language switch": lambda p: _refreshed(p / "switch.xlsx", "en", "zh"),
    "template copy": lambda p: copy_template(p / "template.xlsm") or p / "template.xlsm",
    "template refreshed (en)": lambda p: _refreshed(p / "en.xlsm", "en"),
    "template refreshed (zh)": lambda p: _refreshed(p / "zh.xlsm", "zh"),
    "template refreshed twice": lambda p: _refreshed(p / "twice.xlsm", "en", "en"),
    "template after a language switch": lambda p: _refreshed(p / "switch.xlsm", "zh", "en"),
    "demo (.xlsm)": lambda p: write_demo_workbook(p / "demo.xlsm", customers=40, rows=400)[0],
    "demo (.xlsx, zh)": lambda p: write_demo_workbook(p / "demo.xlsx", customers=40, rows=400,
                                                       language="zh")[0],
}


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> dict[str, list]:
    if not VALIDATE.exists():
        pytest.skip(f"no validator at {VALIDATE}")
    paths = {}
    for kind, make in KINDS.items():
        folder = tmp_path_factory.mktemp("kind")
        paths[kind] = Path(make(folder))
    report = paths["new empty workbook"].parent / "validate.json"
    subprocess.run([sys.executable, str(VALIDATE), "--quiet", "--json", str(report),
                    *map(str, paths.values())], capture_output=True, check=False)
    by_file = {Path(entry["file"]): entry for entry in json.loads(report.read_text("utf-8"))}
    result = {}
    for kind, path in paths.items():
        entry = by_file[path]
        result[kind] = [f"invalid part {part}: {r['errors'][:3]}" for part, r in entry["parts"].items()
                        if r["status"] == "invalid"]
        if entry["checked"] == 0:
            result[kind].append("the validator schema-checked no part")
        result[kind] += [f"[{f['severity']}] {f['part']}: {f['message']}" for f in entry["findings"]
                         if f["severity"] in ("error", "warning")]
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_workbook_passes_the_validator(findings, kind):
    assert findings[kind] == []
