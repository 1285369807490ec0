"""Fakes of live Excel built with create_autospec from xlwings' own classes, so every call the
code under test makes must match a real xlwings signature."""

from types import SimpleNamespace
from unittest import mock

import xlwings as xw
from xlwings import main as xwmain


def padded(rows):
    width = max(len(r) for r in rows)
    return [list(r) + [None] * (width - len(r)) for r in rows]


def fake_range(name, value=None, row=1, column=1):
    rng = mock.create_autospec(xw.Range, instance=True, name=name)
    rng.resize.return_value = rng
    rng.options.return_value = rng
    rng.font = mock.create_autospec(xwmain.Font, instance=True)
    rng.api = mock.MagicMock(name=f"{name}.api")
    rng.left, rng.top = 100.0, 50.0
    rng.value, rng.row, rng.column = value, row, column
    width = max((len(r) for r in value), default=1) if isinstance(value, list) else 1
    height = len(value) if isinstance(value, list) else 1
    rng.last_cell = SimpleNamespace(row=row + height - 1, column=column + width - 1)
    rng.shape = (height, width)
    return rng


def fake_collection(spec, items, add=None):
    """An autospecced xlwings collection (Names, Tables, Pictures) iterating over ``items``."""
    collection = mock.create_autospec(spec, instance=True)
    collection.__iter__.side_effect = lambda: iter(list(items))
    collection.__len__.side_effect = lambda: len(items)
    if add is not None:
        collection.add.side_effect = add
    return collection


class FakeSheet:
    """An autospecced xw.Sheet holding ``rows`` (its used range, from ``origin``); every
    ``range(...)`` it hands out is recorded by address."""

    def __init__(self, name, book, rows=None, origin=(1, 1)):
        self.sheet = mock.create_autospec(xw.Sheet, instance=True, name=name)
        self.sheet.name = name
        self.sheet.book = book
        self.sheet.api = mock.MagicMock(name=f"{name}.api")
        self.sheet.used_range = fake_range(f"{name}.used_range", padded(rows) if rows else None, *origin)
        self.charts = mock.create_autospec(xwmain.Charts, instance=True)
        self.charts.__iter__.side_effect = lambda: iter([])
        self.charts.add.side_effect = lambda **kwargs: fake_chart(kwargs.get("name", "Chart 1"))
        self.sheet.charts = self.charts
        self.ranges = {}
        self.sheet.range.side_effect = self.range
        self.defined_names, self.table_list, self.picture_list = [], [], []
        self.sheet.names = fake_collection(xwmain.Names, self.defined_names, self._add_name)
        self.sheet.tables = fake_collection(xwmain.Tables, self.table_list, self._add_table)
        self.sheet.pictures = fake_collection(xwmain.Pictures, self.picture_list)

    def _add_name(self, name, refers_to):
        item = mock.create_autospec(xwmain.Name, instance=True)
        item.name, item.refers_to = f"{self.sheet.name}!{name}", refers_to
        item.api = mock.MagicMock(name=f"{name}.api")
        item.delete.side_effect = lambda: self.defined_names.remove(item)
        self.defined_names.append(item)
        return item

    def _add_table(self, source=None, name=None, source_type=None, link_source=None,
                   has_headers=True, destination=None, table_style_name="TableStyleMedium2"):
        table = mock.create_autospec(xwmain.Table, instance=True)
        table.name, table.source, table.range = name, source, source
        self.table_list.append(table)
        return table

    def mark(self, key):
        """Our mark, as an earlier refresh would have set it."""
        self._add_name("CT_Generated", f'="{key}"')

    def range(self, cell1, cell2=None):
        key = cell1 if cell2 is None else (cell1, cell2)
        if key not in self.ranges:
            self.ranges[key] = fake_range(str(key))
        return self.ranges[key]

    def written(self):
        """Addresses whose value was set."""
        return {k for k, r in self.ranges.items() if not isinstance(r.value, mock.Mock) and r.value is not None}


def fake_chart(name="CT Pareto"):
    """An autospecced xw.Chart whose ``api`` is Windows' (ChartObject, Chart) pair; every
    ``SeriesCollection().NewSeries()`` returns a fresh COM series, kept in ``added_series``."""
    chart = mock.create_autospec(xw.Chart, instance=True)
    chart.name = name
    native = mock.MagicMock(name="Chart")
    chart.added_series = []

    def new_series():
        chart.added_series.append(mock.MagicMock(name=f"Series{len(chart.added_series) + 1}"))
        return chart.added_series[-1]

    native.SeriesCollection.return_value.NewSeries.side_effect = new_series
    chart.api = (mock.MagicMock(name="ChartObject"), native)
    chart.series = [mock.create_autospec(xwmain.ChartSeries, instance=True) for _ in range(3)]
    for axis in ("category_axis", "value_axis", "secondary_value_axis"):
        setattr(chart, axis, mock.create_autospec(xwmain.ChartAxis, instance=True))
    return chart


def fake_book(sheets):
    """``sheets``: {name: rows or (rows, (first row, first column))}."""
    book = mock.create_autospec(xw.Book, instance=True)
    book.app = mock.create_autospec(xw.App, instance=True)
    book.app.api = mock.MagicMock(name="app.api")
    statuses = []
    type(book.app).status_bar = mock.PropertyMock(side_effect=statuses.append)
    fakes = {}

    def add(name=None, before=None, after=None):
        fakes[name] = FakeSheet(name, book)
        return fakes[name].sheet

    collection = mock.create_autospec(xwmain.Sheets, instance=True)
    collection.add.side_effect = add
    collection.__iter__.side_effect = lambda: iter([f.sheet for f in fakes.values()])
    collection.__len__.side_effect = lambda: len(fakes)

    def item(key):
        if isinstance(key, int):
            return list(fakes.values())[key].sheet
        return next(f.sheet for f in fakes.values() if f.sheet.name.casefold() == key.casefold())

    collection.__getitem__.side_effect = item
    book.sheets = collection
    for name, content in sheets.items():
        rows, origin = content if isinstance(content, tuple) else (content, (1, 1))
        fakes[name] = FakeSheet(name, book, rows, origin)
    book.fakes, book.statuses = fakes, statuses
    return book
