"""Every chart of a refreshed workbook, read back from the file: each series' cache equals
the cells it points at (read with openpyxl), print settings are present, the Dashboard's
formulas carry cached values, and the file passes the OOXML validator."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from tests.report.factory import make_result
from xl_addin.report import labels
from xl_addin.report.layout import build_report
from xl_addin.workbook.xlsx import write_report

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
VALIDATOR = Path(__file__).resolve().parents[2] / ".." / "shared" / "ooxml" / "validate.py"


@pytest.fixture(scope="module", params=["en", "zh"])
def written(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    source = folder / "source.xlsx"
    book = openpyxl.Workbook()  # openpyxl writes a theme: the validator's Excel checks pass
    book.active.title = "Sales"
    book.save(source)
    result = make_result(120)
    report = build_report(result, request.param)
    out = write_report(source, report, folder / "out.xlsx")
    return out, report, result


def _cells(book, reference):
    sheet, _, address = reference.rpartition("!")
    sheet = sheet.strip("'").replace("''", "'")
    rows = book[sheet][address.replace("$", "")]
    return [row[0].value for row in rows]


def _cache(ref_element):
    cache = ref_element.find(f"{C}numCache")
    if cache is None:
        cache = ref_element.find(f"{C}strCache")
    count = int(cache.find(f"{C}ptCount").get("val"))
    values = [None] * count
    for point in cache.findall(f"{C}pt"):
        values[int(point.get("idx"))] = point.findtext(f"{C}v")
    return values


def _same(cell, cached):
    if cell is None or cell == "":
        return cached is None
    if isinstance(cell, (int, float)):
        return cached is not None and float(cached) == pytest.approx(float(cell))
    return cached == str(cell)


def _charts(path):
    with zipfile.ZipFile(path) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist()
                if re.match(r"xl/charts/chart\d+\.xml$", n)}


def test_every_series_cache_equals_its_cells(written):
    out, report, _ = written
    book = openpyxl.load_workbook(out)
    charts = _charts(out)
    assert len(charts) == sum(len(s.charts) for s in report.sheets) == 7  # 4 + 2 + Retention
    checked = 0
    for root in charts.values():
        for ser in root.iter(f"{C}ser"):
            for tag in ("cat", "val", "xVal", "yVal"):
                holder = ser.find(f"{C}{tag}")
                if holder is None:
                    continue
                ref = holder[0]
                cells = _cells(book, ref.findtext(f"{C}f"))
                cached = _cache(ref)
                assert len(cells) == len(cached)
                assert all(_same(c, v) for c, v in zip(cells, cached)), ref.findtext(f"{C}f")
                checked += 1
    assert checked >= 20


def test_pareto_chart_bars_are_coloured_per_tier(written):
    out, report, result = written
    spec = report.sheet("pareto").charts[0]
    root = next(r for r in _charts(out).values()
                if r.find(f".//{C}barChart") is not None and r.find(f".//{C}lineChart") is not None)
    bar = root.find(f".//{C}barChart/{C}ser")
    assert int(bar.find(f"{C}val/{C}numRef/{C}numCache/{C}ptCount").get("val")) == 30
    base = bar.find(f"{C}spPr//{{*}}srgbClr").get("val")
    colours = {int(p.find(f"{C}idx").get("val")): p.find(f".//{{*}}srgbClr").get("val")
               for p in bar.findall(f"{C}dPt")}
    tiers = list(result.pareto["abc_tier"].iloc[:30])
    expected = [labels.TIER_CHART_COLOURS[t] for t in tiers]
    assert [colours.get(i, base) for i in range(30)] == expected
    assert len(root.findall(f".//{C}ser")) == len(spec.series) == 3
    formats = [a.find(f"{C}numFmt").get("formatCode") for a in root.iter(f"{C}valAx")]
    assert formats == ["#,##0", "0%"]


def test_print_setup_on_every_generated_sheet(written):
    out, report, _ = written
    with zipfile.ZipFile(out) as z:
        workbook = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        sheets = workbook.find(f"{MAIN}sheets")
        titles = {int(d.get("localSheetId")): d.text for d in workbook.iter(f"{MAIN}definedName")
                  if d.get("name") == "_xlnm.Print_Titles"}
        for index, entry in enumerate(sheets):
            spec = next((s for s in report.sheets if s.name == entry.get("name")), None)
            if spec is None:
                continue
            rid = entry.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            part = etree.fromstring(z.read("xl/" + targets[rid].lstrip("/").removeprefix("xl/")))
            children = [etree.QName(c).localname for c in part]
            assert children[0] == "sheetPr"
            assert part.find(f"{MAIN}sheetPr/{MAIN}pageSetUpPr").get("fitToPage") == "1"
            setup = part.find(f"{MAIN}pageSetup")
            assert (setup.get("fitToWidth"), setup.get("fitToHeight")) == ("1", "0")
            assert setup.get("orientation") == ("landscape" if spec.print_setup.landscape
                                                else "portrait")
            assert children.index("pageMargins") < children.index("pageSetup")
            if spec.print_setup.row_breaks:
                assert children.index("pageSetup") < children.index("rowBreaks")
                assert [int(b.get("id")) for b in part.iter(f"{MAIN}brk")] == list(
                    spec.print_setup.row_breaks)
            if spec.print_setup.title_rows:
                first, last = spec.print_setup.title_rows
                assert titles[index].endswith(f"!${first}:${last}")
    tiers = report.sheet("tiers").print_setup
    assert tiers.landscape and tiers.title_rows == (1, 1)
    pareto = report.sheet("pareto").print_setup
    assert pareto.row_breaks == (report.sheet("pareto").charts[0].rows[1] - 1,)


def test_dashboard_formulas_have_cached_values(written):
    out, report, result = written
    values = openpyxl.load_workbook(out, data_only=True)[report.sheets[0].name]
    formulas = openpyxl.load_workbook(out)[report.sheets[0].name]
    assert formulas["A3"].value.startswith("=COUNTA(")
    assert values["A3"].value == len(result.customers)
    assert values["B3"].value == pytest.approx(result.customers["revenue"].sum())
    assert values["F3"].value == len(result.data_quality)


@pytest.mark.skipif(not VALIDATOR.exists(), reason="../shared/ooxml/validate.py not present")
def test_the_file_passes_the_ooxml_validator(written):
    out, _, _ = written
    run = subprocess.run([sys.executable, str(VALIDATOR), str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[error]" not in run.stdout and "[warning]" not in run.stdout, run.stdout
