"""Run Customer Tiers from a clean clone with nothing but Python 3.11+.

    python3 scripts/dev.py demo [ARGS]     build the demo workbook and refresh it
    python3 scripts/dev.py test [ARGS]     run the test suite (pytest ARGS)
    python3 scripts/dev.py run CMD [ARGS]  any command inside the project's virtual environment

The first call makes ``.venv`` beside ``pyproject.toml`` and installs the project with the
pinned versions in ``scripts/constraints.txt``; later calls reinstall only when either file
changes. Works the same on Windows, macOS and Linux.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / "customer-tiers.stamp"
INSTALL_INPUTS = (ROOT / "pyproject.toml", ROOT / "scripts" / "constraints.txt")


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def install_fingerprint() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for path in INSTALL_INPUTS:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_environment() -> Path:
    python = venv_python()
    fingerprint = install_fingerprint()
    if python.exists() and STAMP.exists() and STAMP.read_text() == fingerprint:
        return python
    if not python.exists():
        print(f"Creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Customer Tiers and its pinned dependencies (first run only) ...", flush=True)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    constraints = str(ROOT / "scripts" / "constraints.txt")
    subprocess.run(pip + ["-c", constraints, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(fingerprint)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "run"}:
        print(__doc__)
        return 2
    python = ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        args = [str(python), "-m", "xl_addin", "demo", *rest]
    elif command == "test":
        args = [str(python), "-m", "pytest", *rest]
        os.chdir(ROOT)
    else:
        if not rest:
            print("usage: python3 scripts/dev.py run CMD [ARGS]")
            return 2
        args = [str(python), "-m", *rest] if rest[0] != "python" else [str(python), *rest[1:]]
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
