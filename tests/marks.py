"""Test helpers: put our mark on sheets of a file (as an earlier refresh would have), and run
the shared OOXML validator on a file."""

import subprocess
import sys
from pathlib import Path

import pytest

from xl_addin.workbook.ownership import MARK_NAME, mark_value
from xl_addin.workbook.xlsx.package import PackageWriter, SourcePackage, atomic_output
from xl_addin.workbook.xlsx.workbook_xml import WorkbookParts

VALIDATOR = Path(__file__).resolve().parents[1] / ".." / "shared" / "ooxml" / "validate.py"


def mark_sheets(path, marks):
    """Mark sheets ``{name: report key}`` of the workbook at ``path`` as ours."""
    with SourcePackage(path) as package:
        parts = WorkbookParts(package)
        names = [e.name for e in parts.sheets()]
        for name, key in marks.items():
            parts.set_sheet_name(MARK_NAME, names.index(name), mark_value(key))
        edited = parts.edited_parts()
        with atomic_output(path) as out:
            writer = PackageWriter(out)
            for member in package.members:
                if member.name in edited:
                    writer.write(member.name, edited[member.name])
                else:
                    writer.copy(package, member)
            writer.close(package.comment)
    return path


def _validate(path):
    run = subprocess.run([sys.executable, str(VALIDATOR), str(path)], capture_output=True,
                         text=True, timeout=300)
    lines = [line.strip() for line in run.stdout.splitlines()]
    findings = {line for line in lines if line.startswith(("[error]", "[warning]"))}
    invalid = {line.split(" (")[0] for line in lines if line.startswith("INVALID")}
    return findings, invalid, run.stdout


def assert_valid_ooxml(path, baseline=None):
    """``../shared/ooxml/validate.py`` finds no invalid part, no error and no warning; with
    ``baseline`` (the user's original file), none that the original did not have already.
    Skipped when the validator is absent."""
    if not VALIDATOR.exists():
        pytest.skip("../shared/ooxml/validate.py is absent")
    findings, invalid, output = _validate(path)
    if baseline is not None:
        old_findings, old_invalid, _ = _validate(baseline)
        findings, invalid = findings - old_findings, invalid - old_invalid
    assert not findings and not invalid, "\n".join(sorted(findings | invalid)) + output[-1500:]


# The Tiers header row exactly as version 0.1 wrote it (English), for the 0.1 recognition tests.
V01_TIERS_HEADER_EN = (
    "Customer ID", "Customer", "Salesperson", "Industry", "Region", "Size", "Revenue", "Cost",
    "Profit", "SOB", "Cumulative share", "ABC tier", "Orders", "Last purchase", "Recency (days)",
    "R", "F", "M", "RFM", "RFM segment", "Score", "Score tier", "Lifecycle", "CLV (historical)",
    "CLV (projected)", "Flags")
