"""LibreOffice (headless) opens the template and runs its VBA: the project loads and compiles."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from xl_addin.template import build
from xl_addin.template.ovba import VbaModule, VbaProject

RUNNER = Path(__file__).with_name("soffice_run_vba.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # python3-uno lives there, not in the venv

pytestmark = pytest.mark.soffice


def run_vba(book: Path, function: str) -> subprocess.CompletedProcess:
    return subprocess.run([SYSTEM_PYTHON, str(RUNNER), str(book), function],
                          capture_output=True, text=True, timeout=180)


def test_known_answer_from_the_template(tmp_path):
    book = build.copy_template(tmp_path / "CustomerTiers.xlsm")
    result = run_vba(book, "CustomerTiers.CT_SelfTest")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "CT-OK 42"


def test_a_module_that_does_not_compile_gives_no_answer(tmp_path):
    modules = []
    for module in build.read_vba_modules():
        if module.name == "CustomerTiers":  # an unclosed parenthesis: a compile error
            module = VbaModule(module.name, module.kind,
                               module.source.replace("CT_SelfTest = ", "CT_SelfTest = (", 1))
        modules.append(module)
    project = VbaProject(build.VBA_PROJECT_NAME, build.VBA_PROJECT_ID, tuple(modules))
    book = tmp_path / "broken.xlsm"
    book.write_bytes(build.build_template(project))
    result = run_vba(book, "CustomerTiers.CT_SelfTest")
    assert result.returncode != 0
    assert "CT-OK" not in result.stdout


def test_a_missing_function_is_an_error(tmp_path):
    book = build.copy_template(tmp_path / "CustomerTiers.xlsm")
    result = run_vba(book, "CustomerTiers.NoSuchFunction")
    assert result.returncode != 0
