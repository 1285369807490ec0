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


def assert_valid_ooxml(path):
    """``../shared/ooxml/validate.py`` finds no invalid part, no error and no warning other
    than the theme-part warning of styles.xml (another change ships a theme part); skipped
    when the validator is absent."""
    if not VALIDATOR.exists():
        pytest.skip("../shared/ooxml/validate.py is absent")
    run = subprocess.run([sys.executable, str(VALIDATOR), str(path)], capture_output=True,
                         text=True, timeout=300)
    lines = [line.strip() for line in run.stdout.splitlines()]
    findings = [line for line in lines if line.startswith(("[error]", "[warning]"))
                and "no theme part" not in line]
    invalid = [line for line in lines if line.startswith("INVALID")]
    assert not findings and not invalid, run.stdout[-3000:]
    assert run.stdout.rstrip().endswith("0 invalid"), run.stdout[-2000:]
