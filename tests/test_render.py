"""Every chart of the demo workbook, drawn by LibreOffice: one page per chart, none blank.

Uses scripts/render_gallery.py (the gallery's own renderer): a copy of the workbook prints each
chart's frame on its own page; each page is rasterised (pdftoppm or Ghostscript) to PPM and
decoded with numpy. A chart counts as drawn when its plot area holds more than one colour and
some saturated (series) colour: gridlines and labels alone are grey."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from xl_addin.workbook.demo import write_demo_workbook

ROOT = Path(__file__).resolve().parents[1]


def _renderer():
    spec = importlib.util.spec_from_file_location("render_gallery", ROOT / "scripts" / "render_gallery.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.soffice
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_chart_of_the_demo_workbook_renders_not_blank(language, tmp_path):
    if not (shutil.which("pdftoppm") or shutil.which("gs")):
        pytest.fail("no PDF rasteriser: .ci/run installs poppler-utils")
    render = _renderer()
    xlsx, _ = write_demo_workbook(tmp_path / f"demo-{language}.xlsx", customers=300, rows=6000,
                                  language=language)
    frames = render.chart_frames(xlsx)
    assert [f.name for f in frames] == ["CT ABC tiers", "CT RFM segments", "CT Lifecycle",
                                        "CT Holdings", "CT Pareto", "CT ABC curve", "CT Retention"]
    rendered = render.render_charts(xlsx, tmp_path / "charts", dpi=50, fmt="ppm")
    assert len(rendered) == len(frames)
    for frame, image in rendered:
        distinct, saturated = render.plot_colours(render.read_ppm(image))
        assert distinct > 1 and saturated > 0.002, (frame, distinct, saturated)


@pytest.mark.soffice
def test_the_cohort_triangle_renders_with_its_colour_scale(tmp_path):
    """LibreOffice applies the conditional format: the printed triangle holds the scale's red
    (lowest share) and green (highest) fills, which no other cell of that area has."""
    if not (shutil.which("pdftoppm") or shutil.which("gs")):
        pytest.fail("no PDF rasteriser: .ci/run installs poppler-utils")
    import numpy as np

    from xl_addin.report.layout import TABLE_NAMES

    render = _renderer()
    xlsx, _ = write_demo_workbook(tmp_path / "demo.xlsx", customers=300, rows=6000)
    image = render.table_area_page(xlsx, tmp_path / "area", "Retention", TABLE_NAMES["cohort_share"],
                                   dpi=60, fmt="ppm")
    pixels = render.read_ppm(image).reshape(-1, 3).astype(int)
    r, g, b = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    red = ((r > 220) & (g < 140) & (b < 140)).sum()  # F8696B
    green = ((g > 160) & (r < 140) & (b < 160)).sum()  # 63BE7B
    assert red > 50 and green > 50, (red, green)


def test_plot_colours_tells_a_blank_page_from_a_drawn_one():
    import numpy as np

    render = _renderer()
    page = np.full((100, 100, 3), 255, dtype=np.uint8)
    assert render.plot_colours(page) == (1, 0.0)
    page[10:90, 10:90] = 200  # a grey frame and gridlines only
    assert render.plot_colours(page)[1] == 0.0
    page[40:60, 30:50] = (84, 130, 53)  # a green bar
    distinct, saturated = render.plot_colours(page)
    assert distinct == 2 and saturated > 0.05


def test_read_ppm(tmp_path):
    render = _renderer()
    path = tmp_path / "x.ppm"
    path.write_bytes(b"P6\n# comment\n2 1\n255\n" + bytes([255, 0, 0, 0, 0, 255]))
    image = render.read_ppm(path)
    assert image.shape == (1, 2, 3) and image[0, 1].tolist() == [0, 0, 255]
