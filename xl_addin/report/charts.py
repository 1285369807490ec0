"""Charts as data: what a chart shows and where its numbers live, for both writers.

A ``Chart`` holds series that point at cells of generated sheets (absolute quoted references,
``'Pareto'!$D$2:$D$31``) and carry the values of those cells (``value_cache``,
``category_cache``), so a viewer that draws from the file's cache shows the same chart as one
that recalculates. Kinds: ``bar`` (clustered; ``horizontal`` for bars left to right),
``line``, ``combo`` (bars on the primary axis, lines on the secondary one) and ``scatter``
(x/y lines). Colours are RRGGBB hex. Anchors are 0-based (column, row) of the top-left and
bottom-right cells of the chart's frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

CHART_KINDS = ("bar", "line", "combo", "scatter")
OBJECT_PREFIX = "CT "  # the drawing-object name of every chart we draw: "CT Pareto"
SERIES_KINDS = ("bar", "line", "scatter")

Cached = float | str | None


@dataclass(frozen=True)
class Axis:
    """One chart axis. ``number_format`` is an Excel format code ("#,##0", "0%")."""

    title: str | None = None
    number_format: str = "General"
    minimum: float | None = None
    maximum: float | None = None
    gridlines: bool = False
    hidden: bool = False


@dataclass(frozen=True)
class Series:
    """One series: ``values`` (y) and ``categories`` (the category axis, or x of a scatter)
    as sheet references, with the cells' values as caches (None = an empty cell)."""

    name: str
    values: str
    value_cache: tuple[float | None, ...]
    categories: str | None = None
    category_cache: tuple[Cached, ...] = ()
    kind: str = "bar"  # one of SERIES_KINDS
    secondary: bool = False  # on the secondary value axis (combo charts)
    colour: str | None = None
    point_colours: tuple[str | None, ...] = ()  # per data point (bars); None = the series colour
    dash: str | None = None  # DrawingML preset dash, e.g. "dash"
    line_width: float = 2.25  # points
    markers: bool = False  # lines and scatters: a marker at each point
    line: bool = True  # scatter: join the points (False = markers only)

    def __post_init__(self) -> None:
        if self.kind not in SERIES_KINDS:
            raise ValueError(f"series kind must be one of {SERIES_KINDS}, got {self.kind!r}")
        if self.categories is not None and len(self.category_cache) != len(self.value_cache):
            raise ValueError(f"series {self.name!r}: {len(self.category_cache)} categories, "
                             f"{len(self.value_cache)} values")
        if self.point_colours and len(self.point_colours) != len(self.value_cache):
            raise ValueError(f"series {self.name!r}: one point colour per value")


@dataclass(frozen=True)
class Chart:
    """A chart on a generated sheet."""

    kind: str  # one of CHART_KINDS
    title: str
    series: tuple[Series, ...]
    x_axis: Axis = field(default_factory=Axis)  # category axis (x of a scatter)
    y_axis: Axis = field(default_factory=Axis)
    y2_axis: Axis | None = None  # combo: the secondary value axis of the line series
    anchor: tuple[int, int, int, int] = (0, 0, 10, 20)
    horizontal: bool = False  # bar charts: bars run left to right, first category on top
    name: str = "Chart"
    legend: bool = True

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"chart kind must be one of {CHART_KINDS}, got {self.kind!r}")
        if not self.series:
            raise ValueError(f"chart {self.title!r} has no series")
        if self.kind == "combo" and self.y2_axis is None:
            raise ValueError("a combo chart needs y2_axis")

    @property
    def rows(self) -> tuple[int, int]:
        """1-based first and last worksheet rows the chart covers."""
        return self.anchor[1] + 1, self.anchor[3] + 1


def object_name(chart: Chart) -> str:
    """The name both writers give ``chart``'s drawing object; a refresh recognises its own
    charts on a generated sheet by the prefix (anything else there is the user's)."""
    return OBJECT_PREFIX + chart.name


def is_ours(object_name: str | None) -> bool:
    """Whether a chart object on a generated sheet is one a refresh drew."""
    return bool(object_name) and object_name.startswith(OBJECT_PREFIX)


def cache(values: Sequence[Any] | pd.Series) -> tuple[Cached, ...]:
    """Cell values as a chart cache: numbers as float, text as str, empty cells as None."""
    out: list[Cached] = []
    for value in list(values):
        if value is None or value is pd.NA or value is pd.NaT:
            out.append(None)
        elif isinstance(value, str):
            out.append(value if value != "" else None)
        elif isinstance(value, (bool, np.bool_)):
            out.append(float(value))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            out.append(float(value) if np.isfinite(value) else None)
        else:
            out.append(str(value))
    return tuple(out)
