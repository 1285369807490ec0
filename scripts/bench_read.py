"""Benchmark: read a 1,048,576-row sales sheet (the Excel row limit) raw and through read_sales.

    python scripts/bench_read.py [--cache DIR] [--rows N] [--repeat 3]

Builds the workbook once into the cache folder (default ``.bench-cache/``; the demo generator,
10 columns, header + N-1 data rows), then times in this process:

(a) the raw read of that sheet by python-calamine (``CalamineSheet.to_python``) and by fastexcel
    (``load_sheet(...).to_arrow()``, typed Arrow columns);
(b) ``xl_addin.workbook.refresh.read_sales``.

Prints the median of ``--repeat`` interleaved runs of each, the ratio (b) / fastest of (a),
and peak RSS: of fastexcel alone and of read_sales alone (each in a fresh process), and of the
whole run. The workbook is written by a small streaming writer in this script
(shared strings, date style), because openpyxl's write-only mode needs ~4 minutes for it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xl_addin.demo import demo_transactions  # noqa: E402
from xl_addin.report.layout import column_letter  # noqa: E402

EXCEL_ROWS = 1_048_576
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "Sales") -> None:
    """Write ``frame`` (header + rows) as one sheet: strings shared, datetimes as date serials
    with number format 14, numbers as numbers, None/NaN as no cell."""
    strings: dict[str, int] = {}

    def string_index(text: str) -> int:
        index = strings.get(text)
        if index is None:
            index = strings[text] = len(strings)
        return index

    letters = [column_letter(i + 1) for i in range(frame.shape[1])]
    columns = []
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=object)
        columns.append(values)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            out = []
            out.append('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                       '<sheetData>')
            header = "".join(f'<c r="{letters[i]}1" t="s"><v>{string_index(str(h))}</v></c>'
                             for i, h in enumerate(frame.columns))
            out.append(f'<row r="1">{header}</row>')
            for r in range(len(frame)):
                n = r + 2
                cells = []
                for i, values in enumerate(columns):
                    v = values[r]
                    if v is None or (isinstance(v, float) and v != v):
                        continue
                    if isinstance(v, str):
                        cells.append(f'<c r="{letters[i]}{n}" t="s"><v>{string_index(v)}</v></c>')
                    elif isinstance(v, dt.datetime):
                        serial = (v - EXCEL_EPOCH).days
                        cells.append(f'<c r="{letters[i]}{n}" s="1"><v>{serial}</v></c>')
                    else:
                        cells.append(f'<c r="{letters[i]}{n}"><v>{v!r}</v></c>')
                out.append(f'<row r="{n}">{"".join(cells)}</row>')
                if len(out) >= 20_000:
                    raw.write("".join(out).encode())
                    out.clear()
            out.append("</sheetData></worksheet>")
            raw.write("".join(out).encode())
        shared = "".join(f"<si><t>{_escape(s)}</t></si>" for s in strings)
        package.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>',
        )
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", ROOT_RELS)
        package.writestr("xl/workbook.xml", WORKBOOK.format(sheet=_escape(sheet)))
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        package.writestr("xl/styles.xml", STYLES)
    tmp.replace(path)


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"""


def build_workbook(cache: Path, rows: int, customers: int = 5000) -> Path:
    """The benchmark workbook (header + ``rows`` - 1 data rows), built once per size."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / (f"sales_{rows}.xlsx" if customers == 5000 else f"sales_{rows}_{customers}.xlsx")
    if not path.exists():
        started = time.perf_counter()
        frame = demo_transactions(customers=customers, rows=rows - 1, seed=7)
        write_xlsx(frame, path)
        print(f"built {path} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.0f} s")
    return path


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024
    except ImportError:  # Windows
        import psutil

        return psutil.Process().memory_info().peak_wset / 1e6


def interleaved_medians(jobs: dict, repeat: int) -> dict[str, float]:
    """Median seconds of each job, run round-robin so that load from other processes on the
    machine hits every job alike."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(repeat):
        for name, job in jobs.items():
            started = time.perf_counter()
            job()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(".bench-cache"))
    parser.add_argument("--rows", type=int, default=EXCEL_ROWS, help="sheet rows incl. header")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rss-of", choices=("read_sales", "fastexcel"),
                        help="(internal) run one read in this process and print its peak RSS")
    args = parser.parse_args()

    import fastexcel
    import python_calamine

    from xl_addin.settings import Settings
    from xl_addin.workbook.refresh import read_sales

    path = build_workbook(args.cache, args.rows)

    def calamine_raw():
        with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
            return len(book.get_sheet_by_name("Sales").to_python())

    def fastexcel_raw():
        return fastexcel.read_excel(path).load_sheet("Sales").to_arrow().num_rows

    def read_sales_rows():
        return len(read_sales(path, Settings()))

    if args.rss_of:
        {"read_sales": read_sales_rows, "fastexcel": fastexcel_raw}[args.rss_of]()
        print(f"{peak_rss_mb():.0f}")
        return

    def fresh_process_rss(job: str) -> str:
        command = [sys.executable, __file__, "--cache", str(args.cache), "--rows",
                   str(args.rows), "--rss-of", job]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    rss_fastexcel = fresh_process_rss("fastexcel")
    rss_read = fresh_process_rss("read_sales")
    rows = read_sales_rows()
    medians = interleaved_medians(
        {"calamine": calamine_raw, "fastexcel": fastexcel_raw, "read_sales": read_sales_rows},
        args.repeat,
    )
    raw_s = min(medians["calamine"], medians["fastexcel"])
    print(f"sheet: {args.rows:,} rows incl. header x 10 columns, {path.stat().st_size / 1e6:.0f} MB")
    print(f"(a) calamine to_python:   {medians['calamine']:6.2f} s  (median of {args.repeat}, interleaved)")
    print(f"(a) fastexcel to_arrow:   {medians['fastexcel']:6.2f} s")
    print(f"(b) read_sales:           {medians['read_sales']:6.2f} s  ({rows:,} rows)")
    print(f"ratio (b) / fastest (a):  {medians['read_sales'] / raw_s:6.3f}")
    print(f"peak RSS, fresh process:  fastexcel {rss_fastexcel} MB, read_sales {rss_read} MB")
    print(f"peak RSS, this run:       {peak_rss_mb():.0f} MB (calamine's Python cells dominate)")


if __name__ == "__main__":
    main()
