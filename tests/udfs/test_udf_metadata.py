"""The UDFs' xlwings metadata, built by xlwings' own Windows decorators, and the VBA wrapper
xlwings generates from it ("Import Functions"). xlwings' ``udfs.py`` imports pywin32 at the top,
so its Windows-only modules are stubbed in ``sys.modules``; the code that runs is xlwings' own."""

import datetime as dt
import importlib.util
import inspect
import io
import re
import sys
import types
from unittest import mock

import pytest
import xlwings as xw
from xlwings.conversion.standard import AdjustDimensionsStage

import udfs.customer_tiers as plain_module

MODULE_NAME = "udfs.customer_tiers"
EXPECTED = {
    "SOB", "ABC_TIER", "RFM_SCORE", "RFM_SEGMENT", "CUSTOMER_SCORE", "LIFECYCLE_STAGE", "CLV",
    "PARETO_SHARE", "TIER_TABLE",
    "P_ALIVE", "EXPECTED_PURCHASES", "PREDICTED_CLV", "RETENTION_RATE",  # issue 10
}


def test_xlwings_is_the_pinned_version():
    assert xw.__version__ == "0.37.8"  # scripts/constraints.txt: udfs.py internals are version-bound


@pytest.fixture
def windows_udfs(monkeypatch):
    """(xlwings.udfs, the UDF module decorated by xlwings' real decorators)."""
    for name in ("pythoncom", "pywintypes", "win32api", "win32com", "win32com.client"):
        monkeypatch.setitem(sys.modules, name, mock.MagicMock(name=name))
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    real = importlib.import_module("xlwings.udfs")
    monkeypatch.setattr(xw, "func", real.xlfunc)
    monkeypatch.setattr(xw, "arg", real.xlarg)
    monkeypatch.setattr(xw, "ret", real.xlret)
    spec = importlib.util.spec_from_file_location("customer_tiers_windows", plain_module.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield real, module
    sys.modules.pop("xlwings.udfs", None)


def udf_functions(module):
    return {name: f for name, f in vars(module).items() if hasattr(f, "__xlfunc__")}


def test_every_udf_is_registered(windows_udfs):
    _, module = windows_udfs
    assert set(udf_functions(module)) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_matches_the_python_signature(windows_udfs, name):
    _, module = windows_udfs
    function = getattr(module, name)
    meta = function.__xlfunc__
    parameters = inspect.signature(function).parameters
    assert meta["name"] == name and meta["sub"] is False
    assert [a["name"] for a in meta["args"]] == list(parameters)
    assert meta["category"] == "Customer Tiers"
    assert meta["volatile"] is False and meta["async_mode"] is None
    for arg in meta["args"]:
        parameter = parameters[arg["name"]]
        assert arg["doc"] and not arg["doc"].startswith("Positional argument"), arg["name"]
        assert len(arg["doc"]) <= 255
        assert ("optional" in arg) == (parameter.default is not inspect.Parameter.empty)
        assert set(arg["options"]) <= {"ndim"}
        assert arg["options"].get("ndim", 2) == 2  # 2 (customer) or xlwings' default squeeze
    help_text = meta["ret"]["doc"]
    assert help_text == inspect.getdoc(getattr(plain_module, name)).splitlines()[0]
    assert "\n" not in help_text and len(help_text) <= 255


DATA_ARGUMENTS = {"customers", "amounts", "dates", "costs", "orders", "periods"}


def test_customer_arrives_as_rows_and_data_columns_squeezed(windows_udfs):
    # customer keeps its shape (ndim=2: the answer spills in it); data columns take xlwings'
    # default squeeze, a flat list, which the population cache hashes fastest
    _, module = windows_udfs
    for name, function in udf_functions(module).items():
        for arg in function.__xlfunc__["args"]:
            if arg["name"] == "customer":
                assert arg["options"] == {"ndim": 2}, name
            elif arg["name"] in DATA_ARGUMENTS:
                assert arg["options"] == {}, (name, arg["name"])


def xlwings_value(rows, options):
    """What xlwings hands the UDF for a range holding ``rows`` (its own dimension stage)."""
    context = types.SimpleNamespace(value=rows)
    AdjustDimensionsStage(options)(context)
    return context.value


SALES = {
    "customers": ["a", "b", "c", "a", "d", "b"],
    "dates": [dt.datetime(2025, 1, d) for d in (2, 3, 5, 8, 9, 12)],
    "amounts": [30.0, 20.0, 5.0, 12.0, -1.0, 4.0],
    "costs": [10.0, 2.0, 1.0, 3.0, 0.0, 1.0],
    "orders": ["o1", "o2", "o3", "o4", "o5", "o6"],
}
CALLS = {
    "SOB": ("customers", "amounts"),
    "ABC_TIER": ("customers", "amounts", "costs"),
    "PARETO_SHARE": ("customers", "amounts", "costs"),
    "RFM_SCORE": ("customers", "dates", "amounts", "orders"),
    "RFM_SEGMENT": ("customers", "dates", "amounts", "orders"),
    "CUSTOMER_SCORE": ("customers", "dates", "amounts", "costs", "orders"),
    "LIFECYCLE_STAGE": ("customers", "dates", "amounts", "orders"),
    "CLV": ("customers", "dates", "amounts", "costs"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_columns_rows_and_one_cell_ranges_as_xlwings_passes_them_give_one_answer(windows_udfs, name):
    _, module = windows_udfs
    options = {a["name"]: a["options"] for a in getattr(module, name).__xlfunc__["args"]}
    function = getattr(plain_module, name)
    customer = [["a"], ["b"], ["d"]]

    def call(shape):
        return function(customer, *[xlwings_value(shape(SALES[a]), options[a]) for a in CALLS[name]])

    as_column = call(lambda values: [[v] for v in values])
    assert as_column == call(lambda values: [list(values)])  # a row of sale lines
    assert as_column == function(customer, *[[[v] for v in SALES[a]] for a in CALLS[name]])
    assert not any(isinstance(v, str) and v.startswith("#") for [v] in as_column)
    one_line = function([["a"]], *[xlwings_value([[SALES[a][0]]], options[a]) for a in CALLS[name]])
    assert not (isinstance(one_line, str) and one_line.startswith("#")), one_line


def test_a_two_column_block_is_a_message_naming_the_argument(windows_udfs):
    _, module = windows_udfs
    options = {a["name"]: a["options"] for a in module.ABC_TIER.__xlfunc__["args"]}
    block = xlwings_value([["a", "x"], ["b", "y"]], options["customers"])
    assert plain_module.ABC_TIER([["a"]], block, [1.0, 2.0]) == \
        "#VALUE! customers must be one column or one row, got 2 x 2 cells"


def test_generated_vba_declares_each_function_with_its_arguments(windows_udfs):
    real, module = windows_udfs
    out = io.StringIO()
    workbook = types.SimpleNamespace(Name="CustomerTiers.xlsm")
    real.generate_vba_wrapper(MODULE_NAME, module, out, workbook)
    vba = out.getvalue()
    for name, function in udf_functions(module).items():
        parameters = inspect.signature(function).parameters
        declared = ", ".join(
            ("Optional " if p.default is not inspect.Parameter.empty else "") + p.name
            for p in parameters.values()
        )
        assert f"Function {name}({declared})" in vba
        call = f'{name} = XLPy.CallUDF("{MODULE_NAME}", "{name}", Array({", ".join(parameters)}), ThisWorkbook, Application.Caller)'
        assert call in vba
    assert len(re.findall(r"^End Function$", vba, flags=re.M)) == len(EXPECTED)


def test_linux_decorators_leave_plain_functions():
    assert not hasattr(plain_module.SOB, "__xlfunc__")
    assert callable(plain_module.SOB)
