"""Render the demo workbook's sheets and charts to PNG through LibreOffice (headless).

    python3 scripts/dev.py run python scripts/render_gallery.py            # docs/gallery/
    python3 scripts/dev.py run python scripts/render_gallery.py --customers 50000 --rows 200000 \\
        --out /tmp/gallery-50k

    python3 scripts/dev.py run python scripts/render_gallery.py --only retention   # just those

For each language (en, zh) it writes ``{lang}-sheet-{key}.png`` (the first printed page of each
generated sheet, as a manager would print it; for Retention the cohort triangle with its colour
scale, which prints after the chart) and ``{lang}-chart-{n}-{name}.png`` (each chart alone).
``--only`` writes just the images whose names contain one of its words and keeps the others. Needs ``soffice`` and a PDF rasteriser (``pdftoppm`` from poppler-utils, or
Ghostscript's ``gs``); ImageMagick's ``convert`` (optional) shrinks the PNGs to a palette.

The chart images come from a copy of the workbook in which every sheet without a chart is
hidden and each chart sheet's print area is the list of its charts' frames, so LibreOffice
prints one page per chart. ``tests/test_render.py`` uses the same functions.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xl_addin.report.layout import column_letter  # noqa: E402

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"


@dataclass(frozen=True)
class ChartFrame:
    sheet: str
    name: str
    anchor: tuple[int, int, int, int]  # 0-based from column, from row, to column, to row



def _without_print_names(archive: zipfile.ZipFile) -> tuple[etree._Element, list, etree._Element]:
    """workbook.xml parsed, its sheet elements, and its definedNames without print areas and
    titles (added when missing), for a copy that prints only what the gallery shows."""
    book = etree.fromstring(archive.read("xl/workbook.xml"))
    sheets = list(book.iter(f"{{{MAIN}}}sheet"))
    names = book.find(f"{{{MAIN}}}definedNames")
    if names is None:
        names = etree.Element(f"{{{MAIN}}}definedNames")
        book.find(f"{{{MAIN}}}sheets").addnext(names)
    for item in list(names):
        if item.get("name") in ("_xlnm.Print_Area", "_xlnm.Print_Titles"):
            names.remove(item)
    return book, sheets, names

def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    parts = base.rsplit("/", 1)[0].split("/") if "/" in base else []
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = part.rsplit("/", 1)
    path = f"{folder}/_rels/{name}.rels"
    if path not in archive.namelist():
        return {}
    root = etree.fromstring(archive.read(path))
    return {r.get("Id"): _resolve(part, r.get("Target")) for r in root.iter(f"{{{PKG}}}Relationship")}


def chart_frames(xlsx: Path) -> list[ChartFrame]:
    """Every chart of the workbook, in sheet order, with its cell frame (from the drawings)."""
    frames = []
    with zipfile.ZipFile(xlsx) as archive:
        book = etree.fromstring(archive.read("xl/workbook.xml"))
        targets = _rels(archive, "xl/workbook.xml")
        for sheet in book.iter(f"{{{MAIN}}}sheet"):
            part = targets.get(sheet.get(f"{{{REL}}}id"), "")
            if not part.startswith("xl/worksheets/"):
                continue
            root = etree.fromstring(archive.read(part))
            drawing = root.find(f"{{{MAIN}}}drawing")
            if drawing is None:
                continue
            drawing_part = _rels(archive, part)[drawing.get(f"{{{REL}}}id")]
            for anchor in etree.fromstring(archive.read(drawing_part)).iter(f"{{{XDR}}}twoCellAnchor"):
                corners = [int(anchor.find(f"{{{XDR}}}{c}/{{{XDR}}}{k}").text)
                           for c in ("from", "to") for k in ("col", "row")]
                name = anchor.find(f".//{{{XDR}}}cNvPr").get("name")
                frames.append(ChartFrame(sheet.get("name"), name, tuple(corners)))
    return frames


def charts_only_copy(xlsx: Path, dest: Path) -> list[ChartFrame]:
    """A copy of ``xlsx`` that prints one page per chart: sheets without charts hidden, each
    chart sheet's print area = its charts' frames (one area per chart). Returns the frames in
    the order their pages print."""
    frames = chart_frames(xlsx)
    by_sheet: dict[str, list[ChartFrame]] = {}
    for frame in frames:
        by_sheet.setdefault(frame.sheet, []).append(frame)
    with zipfile.ZipFile(xlsx) as archive:
        book, sheets, names = _without_print_names(archive)
        for index, sheet in enumerate(sheets):
            own = by_sheet.get(sheet.get("name"))
            if not own:
                sheet.set("state", "hidden")
                continue
            quoted = "'" + sheet.get("name").replace("'", "''") + "'"
            areas = ",".join(
                f"{quoted}!${column_letter(c1 + 1)}${r1 + 1}:${column_letter(c2)}${r2}"
                for c1, r1, c2, r2 in (f.anchor for f in own))
            item = etree.SubElement(names, f"{{{MAIN}}}definedName", name="_xlnm.Print_Area",
                                    localSheetId=str(index))
            item.text = areas
        view = book.find(f"{{{MAIN}}}bookViews/{{{MAIN}}}workbookView")
        if view is not None:  # the active tab must be a visible one
            first = next(i for i, s in enumerate(sheets) if s.get("state") != "hidden")
            view.set("activeTab", str(first))
            view.set("firstSheet", str(first))
        _write_copy(archive, book, dest)
    return [f for sheet in sheets for f in by_sheet.get(sheet.get("name"), [])]


def to_pdf(xlsx: Path, folder: Path) -> Path:
    """``soffice --headless --convert-to pdf``; its own profile so parallel runs do not clash."""
    profile = folder / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(folder), str(xlsx)],
        check=True, capture_output=True, timeout=600)
    pdf = folder / (xlsx.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice wrote no PDF for {xlsx}")
    return pdf


def rasterise(pdf: Path, prefix: Path, dpi: int = 80, fmt: str = "png",
              pages: tuple[int, int] | None = None) -> list[Path]:
    """Pages of ``pdf`` as ``{prefix}-NN.{png|ppm}`` images, in page order."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    first, last = pages or (None, None)
    if shutil.which("pdftoppm"):
        command = ["pdftoppm", "-r", str(dpi)] + (["-png"] if fmt == "png" else [])
        if pages:
            command += ["-f", str(first), "-l", str(last)]
        subprocess.run(command + [str(pdf), str(prefix)], check=True, timeout=600)
    elif shutil.which("gs"):
        device = "png16m" if fmt == "png" else "ppmraw"
        command = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", f"-sDEVICE={device}",
                   f"-r{dpi}", "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4"]
        if pages:
            command += [f"-dFirstPage={first}", f"-dLastPage={last}"]
        subprocess.run(command + [f"-sOutputFile={prefix}-%02d.{fmt}", str(pdf)], check=True,
                       timeout=600)
    else:
        raise RuntimeError("neither pdftoppm (poppler-utils) nor gs (ghostscript) is installed")
    found = sorted(prefix.parent.glob(f"{prefix.name}-*.{fmt}"),
                   key=lambda p: int(re.findall(r"(\d+)\.\w+$", p.name)[0]))
    return found


def read_ppm(path: Path) -> np.ndarray:
    """A binary PPM (P6, 8-bit) as an (height, width, 3) uint8 array."""
    data = path.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError(f"{path}: not an 8-bit binary PPM")
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height * 3, offset=pos + 1)
    return pixels.reshape(height, width, 3)


def plot_colours(image: np.ndarray) -> tuple[int, float]:
    """(distinct colours, share of saturated pixels) inside the drawn part of the page:
    the bounding box of non-white pixels, its outer tenth on each side left out (titles,
    axis labels, legend), so what remains is the plot area."""
    ink = np.flatnonzero((image < 245).any(axis=2).any(axis=1))
    cols = np.flatnonzero((image < 245).any(axis=2).any(axis=0))
    if not len(ink) or not len(cols):
        return 1, 0.0
    top, bottom, left, right = ink[0], ink[-1], cols[0], cols[-1]
    dy, dx = (bottom - top) // 10, (right - left) // 10
    plot = image[top + dy:bottom - dy, left + dx:right - dx].reshape(-1, 3).astype(np.int32)
    if not len(plot):
        return 1, 0.0
    distinct = len(np.unique(plot[:, 0] * 65536 + plot[:, 1] * 256 + plot[:, 2]))
    saturated = float(((plot.max(axis=1) - plot.min(axis=1)) > 60).mean())
    return distinct, saturated


def render_charts(xlsx: Path, folder: Path, dpi: int = 80, fmt: str = "png") -> list[tuple[ChartFrame, Path]]:
    """Each chart of ``xlsx`` as its own image: [(frame, image path)]."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "charts.xlsx"
    frames = charts_only_copy(xlsx, copy)
    images = rasterise(to_pdf(copy, folder), folder / "chart", dpi=dpi, fmt=fmt)
    if len(images) != len(frames):
        raise RuntimeError(f"{len(frames)} charts but {len(images)} pages")
    return list(zip(frames, images))


def render_sheets(xlsx: Path, folder: Path, dpi: int = 70) -> list[Path]:
    """Every printed page of ``xlsx`` as PNG, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    return rasterise(to_pdf(xlsx, folder), folder / "page", dpi=dpi)


def _slug(text: str) -> str:
    """File-name form of a chart's object name, without our "CT " prefix."""
    from xl_addin.report.charts import OBJECT_PREFIX

    text = text.removeprefix(OBJECT_PREFIX)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _shrink(path: Path) -> None:
    """Crop the page's white margins and reduce to a palette (ImageMagick), when installed."""
    if shutil.which("convert"):
        subprocess.run(["convert", str(path), "-trim", "+repage", "-bordercolor", "white",
                        "-border", "8", "-colors", "96", "-strip", f"PNG8:{path}"],
                       check=True, timeout=120)


def sheet_first_pages(xlsx: Path, folder: Path, keys: list[tuple[str, str]], dpi: int) -> dict[str, Path]:
    """The first printed page of each generated sheet ``(key, name)``: one workbook copy per
    sheet with every other sheet hidden."""
    pages = {}
    for key, name in keys:
        sub = folder / key
        sub.mkdir(parents=True, exist_ok=True)
        copy = sub / f"{key}.xlsx"
        _only_sheet(xlsx, copy, name)
        images = rasterise(to_pdf(copy, sub), sub / "page", dpi=dpi, pages=(1, 1))
        if images:
            pages[key] = images[0]
    return pages


def table_area_page(xlsx: Path, folder: Path, sheet_name: str, table: str, dpi: int,
                    fmt: str = "png") -> Path | None:
    """The printed area of Excel Table ``table`` on sheet ``sheet_name`` (and its title row
    above), alone: a copy with every other sheet hidden and the print area set to it."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "area.xlsx"
    with zipfile.ZipFile(xlsx) as archive:
        ref = _table_ref(archive, table)
        if ref is None:
            return None
        (column, row), (last_column, last_row) = (re.fullmatch(r"([A-Z]+)(\d+)", corner).groups()
                                                  for corner in ref.split(":"))
        area = f"${column}${max(int(row) - 1, 1)}:${last_column}${last_row}"  # the title row too
        book, sheets, names = _without_print_names(archive)
        for index, sheet in enumerate(sheets):
            if sheet.get("name") != sheet_name:
                sheet.set("state", "hidden")
                continue
            quoted = "'" + sheet_name.replace("'", "''") + "'"
            item = etree.SubElement(names, f"{{{MAIN}}}definedName", name="_xlnm.Print_Area",
                                    localSheetId=str(index))
            item.text = f"{quoted}!{area}"
            view = book.find(f"{{{MAIN}}}bookViews/{{{MAIN}}}workbookView")
            if view is not None:
                view.set("activeTab", str(index))
                view.set("firstSheet", str(index))
        _write_copy(archive, book, copy)
    images = rasterise(to_pdf(copy, folder), folder / "page", dpi=dpi, fmt=fmt, pages=(1, 1))
    return images[0] if images else None


def _table_ref(archive: zipfile.ZipFile, name: str) -> str | None:
    for part in archive.namelist():
        if re.match(r"xl/tables/table\d+\.xml$", part):
            root = etree.fromstring(archive.read(part))
            if (root.get("name") or "").casefold() == name.casefold():
                return root.get("ref")
    return None


def _only_sheet(xlsx: Path, dest: Path, keep: str) -> None:
    with zipfile.ZipFile(xlsx) as archive:
        book = etree.fromstring(archive.read("xl/workbook.xml"))
        sheets = list(book.iter(f"{{{MAIN}}}sheet"))
        for index, sheet in enumerate(sheets):
            if sheet.get("name") == keep:
                view = book.find(f"{{{MAIN}}}bookViews/{{{MAIN}}}workbookView")
                if view is not None:
                    view.set("activeTab", str(index))
                    view.set("firstSheet", str(index))
            else:
                sheet.set("state", "hidden")
        _write_copy(archive, book, dest)


def _write_copy(archive: zipfile.ZipFile, book, dest: Path) -> None:
    """``archive`` with its workbook.xml replaced by ``book`` and no sheet selected (every
    sheet selected would make LibreOffice print only the selection)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for member in archive.infolist():
            data = archive.read(member.filename)
            if member.filename == "xl/workbook.xml":
                data = etree.tostring(book, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif member.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb' tabSelected="1"', b"", data)
            out.writestr(member, data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--languages", default="en,zh")
    parser.add_argument("--dpi", type=int, default=60)
    parser.add_argument("--only", default="", help="comma-separated words: write only the images "
                        "whose names contain one of them (e.g. retention), keep the others")
    args = parser.parse_args(argv)
    only = [word for word in args.only.split(",") if word]

    def wanted(target: Path) -> bool:
        return not only or any(word in target.name for word in only)

    from xl_addin.report import labels
    from xl_addin.report.layout import TABLE_NAMES
    from xl_addin.workbook.demo import write_demo_workbook

    args.out.mkdir(parents=True, exist_ok=True)
    for language in args.languages.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            xlsx, _ = write_demo_workbook(work / f"demo-{language}.xlsx", customers=args.customers,
                                          rows=args.rows, language=language)
            for old in args.out.glob(f"{language}-*.png"):
                if wanted(old):
                    old.unlink()
            images = []
            charts = render_charts(xlsx, work / "charts", dpi=args.dpi + 20)
            for index, (frame, image) in enumerate(charts, start=1):
                images.append((image, args.out / f"{language}-chart-{index}-{_slug(frame.name)}.png"))
            keys = [(key, labels.sheet_name(key, language)) for key in
                    ("dashboard", "pareto", "summary", "coverage")
                    if wanted(Path(f"{language}-sheet-{key}.png"))]
            for key, image in sheet_first_pages(xlsx, work / "sheets", keys, args.dpi + 30).items():
                images.append((image, args.out / f"{language}-sheet-{key}.png"))
            if wanted(Path(f"{language}-sheet-retention.png")):
                image = table_area_page(xlsx, work / "retention", labels.sheet_name("retention", language),
                                        TABLE_NAMES["cohort_share"], args.dpi + 30)
                if image is not None:
                    images.append((image, args.out / f"{language}-sheet-retention.png"))
            for image, target in images:
                if wanted(target):
                    shutil.move(str(image), target)
                    _shrink(target)
                    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
