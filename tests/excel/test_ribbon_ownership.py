"""The ribbon runs the same refresh as the file: ownership, collisions and tables on the
autospecced xlwings fakes."""

from unittest import mock

import pytest
import xlwings as xw

from xl_addin.excel import ribbon

from .fakes import fake_book, fake_chart
from .test_ribbon import SALES


@pytest.fixture
def caller(monkeypatch):
    def use(book):
        monkeypatch.setattr(xw.Book, "caller", mock.Mock(return_value=book))
        return book
    return use


def marks(fake):
    return [(n.name, n.refers_to) for n in fake.defined_names]


def test_a_users_summary_and_tiers_are_untouched_and_ours_take_the_next_names(caller):
    book = caller(fake_book({"Sales": SALES, "Summary": [["my own summary"]], "tiers": [["x"]]}))
    ribbon.refresh_tiers()
    book.app.alert.assert_not_called()
    for name in ("Summary", "tiers"):
        user = book.fakes[name]
        assert user.ranges == {} and marks(user) == []
        user.sheet.clear.assert_not_called()
    names = [s.name for s in book.sheets]
    assert "Summary (2)" in names and "Tiers (2)" in names and "Tiers" not in names
    assert marks(book.fakes["Summary (2)"]) == [("Summary (2)!CT_Generated", '="summary"')]
    book.fakes["Summary (2)"].defined_names[0].api.Visible = False  # hidden through .api
    # the note is on the Data quality sheet, in the refresh notes table
    quality = book.fakes["Data quality"]
    tables = {t.name for t in quality.table_list}
    assert tables == {"CT_DataQuality", "CT_Notes"}
    written = [r.value for r in quality.ranges.values() if isinstance(r.value, list)]
    assert any("Sheet 'Summary' is not one we made" in str(v) for v in written)


def test_tables_are_created_once_then_resized_keeping_their_names(caller):
    book = caller(fake_book({"Sales": SALES}))
    ribbon.refresh_tiers()
    tiers = book.fakes["Tiers"]
    assert [t.name for t in tiers.table_list] == ["CT_Tiers"]
    kwargs = tiers.sheet.tables.add.call_args.kwargs
    assert kwargs["name"] == "CT_Tiers" and kwargs["source"] is tiers.ranges[(1, 1)]
    tiers.ranges[(1, 1)].resize.assert_any_call(7, 31)  # header + 6 customers, 31 columns
    tiers.sheet.tables.add.reset_mock()
    ribbon.refresh_tiers()  # the second refresh finds its sheets by their marks
    assert "Tiers (2)" not in [s.name for s in book.sheets]
    tiers.sheet.tables.add.assert_not_called()
    tiers.table_list[0].resize.assert_called_once_with(tiers.ranges[(1, 1)])


def test_a_users_chart_on_our_sheet_is_kept(caller):
    book = caller(fake_book({"Sales": SALES, "Tiers": [["Customer ID", "ABC tier"]]}))
    tiers = book.fakes["Tiers"]
    tiers.mark("tiers")
    user_chart = fake_chart("My chart")
    tiers.charts.__iter__.side_effect = lambda: iter([user_chart])
    ribbon.refresh_tiers()
    book.app.alert.assert_not_called()
    user_chart.delete.assert_not_called()
    tiers.sheet.clear.assert_called_once_with()


def test_the_users_columns_right_of_our_table_ask_first_and_no_writes_nothing(caller):
    rows = [["Customer ID", "ABC tier"] + [None] * 31 + ["my column"]]
    book = caller(fake_book({"Sales": SALES, "Tiers": rows}))
    tiers = book.fakes["Tiers"]
    tiers.mark("tiers")
    book.app.alert.return_value = "no"
    ribbon.refresh_tiers()
    question = book.app.alert.call_args_list[0]
    assert question.kwargs["buttons"] == "yes_no"
    assert "sheet 'Tiers': cells right of column AE" in question.args[0]
    tiers.sheet.clear.assert_not_called()
    book.sheets.add.assert_not_called()


def test_the_users_columns_are_removed_only_after_yes(caller):
    rows = [["Customer ID", "ABC tier"] + [None] * 31 + ["my column"]]
    book = caller(fake_book({"Sales": SALES, "Tiers": rows}))
    tiers = book.fakes["Tiers"]
    tiers.mark("tiers")
    book.app.alert.return_value = "yes"
    ribbon.refresh_tiers()
    assert book.app.alert.call_count == 1
    tiers.sheet.clear.assert_called_once_with()
    assert [t.name for t in tiers.table_list] == ["CT_Tiers"]
