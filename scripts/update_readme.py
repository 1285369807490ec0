"""Regenerate the README's generated blocks: the CLI reference (from --help) and the Settings
reference (from the Settings sheet's descriptions).

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1 when README.md is stale (a test runs this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from xl_addin.cli import cli  # noqa: E402
from xl_addin.report.settings_sheet import DESCRIPTIONS  # noqa: E402
from xl_addin.settings import Settings  # noqa: E402

README = ROOT / "README.md"


def cli_reference() -> str:
    runner = CliRunner()
    parts = []
    for args in ([], *([name] for name in sorted(cli.commands))):
        text = runner.invoke(cli, [*args, "--help"], prog_name="customer-tiers",
                             terminal_width=100).output.rstrip()
        title = " ".join(["customer-tiers", *args])
        parts.append(f"### `{title}`\n\n```\n{text}\n```")
    return "\n\n".join(parts)


def settings_reference() -> str:
    defaults = Settings()
    lines = ["| Setting | Default | Meaning |", "|---|---|---|"]
    for key, english, _ in DESCRIPTIONS:
        value = getattr(defaults, key)
        lines.append(f"| `{key}` | {'' if value in (None, '') else value} | {english} |")
    return "\n".join(lines)


def render(text: str) -> str:
    for name, body in (("cli-reference", cli_reference()),
                       ("settings-reference", settings_reference())):
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- {name}:start/end --> markers")
        text = pattern.sub(lambda m: f"{m.group(1)}{body}\n{m.group(2)}", text)
    return text


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md is stale: run python scripts/update_readme.py")
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
