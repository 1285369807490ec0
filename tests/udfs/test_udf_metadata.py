"""The UDFs' xlwings metadata, built by xlwings' own Windows decorators, and the VBA wrapper
xlwings generates from it ("Import Functions"). xlwings' ``udfs.py`` imports pywin32 at the top,
so its Windows-only modules are stubbed in ``sys.modules``; the code that runs is xlwings' own."""

import importlib.util
import inspect
import io
import re
import sys
import types
from unittest import mock

import pytest
import xlwings as xw

import udfs.customer_tiers as plain_module

MODULE_NAME = "udfs.customer_tiers"
EXPECTED = {
    "SOB", "ABC_TIER", "RFM_SCORE", "RFM_SEGMENT", "CUSTOMER_SCORE", "LIFECYCLE_STAGE", "CLV",
    "PARETO_SHARE", "TIER_TABLE",
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
        assert arg["options"].get("ndim", 2) == 2
    help_text = meta["ret"]["doc"]
    assert help_text == inspect.getdoc(getattr(plain_module, name)).splitlines()[0]
    assert "\n" not in help_text and len(help_text) <= 255


def test_data_arguments_arrive_as_lists_of_rows(windows_udfs):
    _, module = windows_udfs
    for name, function in udf_functions(module).items():
        for arg in function.__xlfunc__["args"]:
            if arg["name"] in {"customer", "customers", "amounts", "dates", "costs", "orders", "periods"}:
                assert arg["options"] == {"ndim": 2}, (name, arg["name"])


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
