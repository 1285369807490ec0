"""The README's generated references match the code, and its Quickstart is what CI runs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_references_are_current():
    out = subprocess.run([sys.executable, "scripts/update_readme.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_quickstart_has_exactly_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [line for line in quickstart.strip().splitlines() if line.strip()]
    assert commands == ["python3 scripts/dev.py demo", "python3 scripts/dev.py test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\npython3 scripts/dev.py test\n" in ci
