"""Build templates/CustomerTiers.xlsm from the text sources in xl_addin/template/.

    python scripts/build_template.py           # write the template
    python scripts/build_template.py --check   # exit 1 when the committed template is stale

"Stale" means a part of the committed package differs from a fresh build (member names, order
or uncompressed contents); comparing parts rather than zip bytes keeps the check independent of
the zlib build that compressed the members. Prints the build time and sizes.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xl_addin.template.build import build_template  # noqa: E402

TEMPLATE_PATH = ROOT / "templates" / "CustomerTiers.xlsm"


def package_parts(data: bytes) -> list[tuple[str, bytes]]:
    """(member name, uncompressed bytes) in zip order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def stale_parts(committed: bytes, fresh: bytes) -> list[str]:
    """Names of parts that differ, are missing or are extra (or "member order")."""
    old, new = package_parts(committed), package_parts(fresh)
    old_map, new_map = dict(old), dict(new)
    differ = sorted(n for n in old_map.keys() | new_map.keys() if old_map.get(n) != new_map.get(n))
    if not differ and [n for n, _ in old] != [n for n, _ in new]:
        differ = ["member order"]
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 when the committed template differs from a fresh build")
    parser.add_argument("--output", type=Path, default=TEMPLATE_PATH, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    fresh = build_template()
    elapsed_ms = (time.perf_counter() - started) * 1000
    if args.check:
        if not args.output.exists():
            print(f"{args.output} is missing: run python scripts/build_template.py", file=sys.stderr)
            return 1
        differ = stale_parts(args.output.read_bytes(), fresh)
        if differ:
            print(f"{args.output} is stale ({', '.join(differ)}): run python scripts/build_template.py",
                  file=sys.stderr)
            return 1
        print(f"{args.output} is up to date (build {elapsed_ms:.0f} ms)")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(fresh)
    print(f"wrote {args.output} ({len(fresh)} bytes, build {elapsed_ms:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
