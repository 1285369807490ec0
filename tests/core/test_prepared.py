"""The two stages of ``tier_customers``: ``prepare_lines`` (every pass over the sale lines) and
``tier_prepared`` (per customer only).

* Same as before the split: the code of the commit before it (``PRE_SPLIT``, taken with ``git
  archive``) runs in a subprocess on the same inputs and every frame of both ``TierResult``s
  must be equal, dtypes included: bench data, the demo workbooks (en, 中文, read back by the
  file reader), messy lines and random small transactions under random Settings.
* ``prepare_lines`` reads only ``line_settings``: lines prepared under one Settings give, under
  any other Settings with the same line settings, what ``tier_customers`` gives under it.
* ``PreparedLines`` survives pickling (the refresh caches it) and holds no per-line array.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import shutil
import subprocess
import sys
import io
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from xl_addin import HoldingRule, Settings, tier_customers
from xl_addin.core import LineSettings, PreparedLines, line_settings, prepare_lines, tier_prepared
from xl_addin.errors import InputError
from xl_addin.settings import ScoreFactor

ROOT = Path(__file__).resolve().parents[2]
PRE_SPLIT = "2b7b91ce"  # main before tier_customers was split (its parent is a prefix)
TODAY = dt.date(2026, 1, 1)
sys.path.insert(0, str(ROOT / "scripts"))
from bench_core import make_data  # noqa: E402


def assert_same_result(actual, expected) -> None:
    """Every field of two TierResults equal; frames exactly, dtypes included."""
    for field in dataclasses.fields(expected):
        a, e = getattr(actual, field.name), getattr(expected, field.name)
        if isinstance(e, pd.DataFrame):
            pd.testing.assert_frame_equal(a, e, check_exact=True, obj=field.name)
        elif isinstance(e, dict):
            assert a.keys() == e.keys(), field.name
            for key in e:
                pd.testing.assert_frame_equal(a[key], e[key], check_exact=True, obj=f"{field.name}[{key}]")
        else:
            assert a == e, field.name


# -- cases ----------------------------------------------------------------------------------

def random_settings(rng: np.random.Generator) -> Settings:
    a_cut = float(rng.choice([0.5, 0.7, 0.8, 0.9]))
    return Settings(
        abc_measure=str(rng.choice(["auto", "profit", "revenue"])),
        abc_method=str(rng.choice(["value", "count"])),
        a_cut=a_cut, b_cut=min(0.99, a_cut + 0.1),
        cost_rate=float(rng.choice([0.0, 0.3])),
        sob_period=str(rng.choice(["M", "Q", "Y"])),
        rfm_bins=int(rng.integers(2, 8)),
        rfm_monetary=str(rng.choice(["sum", "mean"])),
        score_factors=(ScoreFactor("profit", 0.5), ScoreFactor("orders", float(rng.integers(0, 3))),
                       ScoreFactor("recency_days", 0.3, higher_is_better=False)),
        lost_days=int(rng.integers(200, 400)), new_days=int(rng.integers(30, 120)),
        retention_rate=None if rng.random() < 0.5 else 0.6,
        clv_models=bool(rng.random() < 0.6),
        retention_period=str(rng.choice(["M", "Q", "Y"])),
        keep_p_alive=float(rng.choice([0.5, 0.9])),
        holding_rules=(HoldingRule("*", "A", int(rng.integers(0, 4))),),
        release_days=int(rng.integers(30, 400)),
        date_order=str(rng.choice(["YMD", "MDY", "DMY"])),
        decimal_separator=str(rng.choice(["auto", ".", ","])),
    )


ODD_DATES = ["03/04/2025", "2025-02-30", "someday", None, "", 45000, "13/01/2025", "#N/A"]
ODD_AMOUNTS = ["1,5", "1.234,50", "abc", None, "", "12.5", "#DIV/0!", True, -0.0]


def random_lines(rng: np.random.Generator) -> pd.DataFrame:
    """A few dozen lines: some customers, dates over three years, returns, odd cells, and
    optionally cost, order ids, attributes and a wallet."""
    n = int(rng.integers(3, 80))
    ids = np.array(["c1", "c2", "C3", " c4 ", "c5", 1006, 1007.0, "客户8"], dtype=object)
    days = rng.integers(0, 1100, n)
    frame = pd.DataFrame({
        "customer_id": ids[rng.integers(0, rng.integers(1, len(ids) + 1), n)],
        "date": pd.Series((np.datetime64("2023-01-01") + days).astype("datetime64[ms]")).astype(object),
        "amount": pd.Series(np.round(rng.normal(300, 400, n), 2)).astype(object),
    })
    for column, odd in (("date", ODD_DATES), ("amount", ODD_AMOUNTS)):
        spoil = rng.random(n) < 0.1
        frame.loc[spoil, column] = pd.Series([odd[i] for i in rng.integers(0, len(odd), int(spoil.sum()))],
                                             index=frame.index[spoil], dtype=object)
    if rng.random() < 0.6:
        frame["cost"] = np.round(rng.uniform(0, 200, n), 2)
    if rng.random() < 0.5:
        frame["order_id"] = [f"SO-{i}" for i in rng.integers(0, max(2, n // 2), n)]
    for column, values in (("industry", ["Food", "Retail", None, " Food "]), ("salesperson", ["Wang", "Li", None]),
                           ("customer_name", ["Acme", "Beta", None])):
        if rng.random() < 0.6:
            frame[column] = np.array(values, dtype=object)[rng.integers(0, len(values), n)]
    if rng.random() < 0.3:
        frame["wallet"] = rng.uniform(100, 5000, n)
    return frame


def random_master(rng: np.random.Generator) -> pd.DataFrame | None:
    if rng.random() < 0.4:
        return None
    return pd.DataFrame({"customer_id": ["c1", "p1", "p2", "p2", "1006"],
                         "industry": ["Pharma", None, "Food", "dup", None],
                         "customer_name": ["Acme", "Prospect", None, None, "Six"]})


def random_cases(count: int, seed: int) -> list[tuple]:
    """(name, transactions, settings, customers, as_of, previous_tiers, today) cases."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        previous = None
        if rng.random() < 0.3:
            previous = pd.DataFrame({"customer_id": ["c1", "c2", "gone"], "abc_tier": ["A", "C", "B"],
                                     "score_tier": ["VIP", "Regular", "Potential"]})
        as_of = None if rng.random() < 0.6 else str(np.datetime64("2023-06-01") + int(rng.integers(0, 900)))
        cases.append((f"random-{i}", random_lines(rng), random_settings(rng), random_master(rng), as_of,
                      previous, TODAY))
    return cases


def bench_case() -> tuple:
    transactions, master = make_data(20_000, 1_000)
    settings = Settings(holding_rules=(HoldingRule("*", "A", 40), HoldingRule("*", "All", 150)))
    return ("bench", transactions, settings, master, None, None, TODAY)


def demo_cases(tmp_path: Path) -> list[tuple]:
    """The demo workbooks as the refresh reads them (the file reader, bad rows included)."""
    from xl_addin.refresh import read_workbook
    from xl_addin.workbook.demo import write_demo_workbook
    from xl_addin.workbook.file_book import FileSource

    cases = []
    for language in ("en", "zh"):
        path, _ = write_demo_workbook(tmp_path / f"demo-{language}.xlsx", language=language)
        with FileSource(path) as source:
            data = read_workbook(source)
        cases.append((f"demo-{language}", data.sales, data.settings, data.customers, None,
                      data.previous_tiers, TODAY))
    return cases


def messy_cases() -> list[tuple]:
    """Hand-made odd lines: returns only, one line, future lines, text numbers and dates."""
    returns_only = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2025-01-01", "2025-02-01", "2025-03-01"],
                                 "amount": [-10.0, -5.0, 100.0]})
    one_line = pd.DataFrame({"customer_id": ["x"], "date": [dt.datetime(2025, 5, 5)], "amount": [1.0]})
    future = pd.DataFrame({"customer_id": ["a", "b", "c"], "date": ["2025-01-01", "2027-01-01", "2025-06-01"],
                           "amount": ["1.234,5", "10", "7,25"], "cost": [None, 1.0, None]})
    nothing = pd.DataFrame({"customer_id": [None, "a"], "date": ["2025-01-01", "never"], "amount": [1.0, 2.0]})
    return [("returns-only", returns_only, Settings(), None, None, None, TODAY),
            ("one-line", one_line, Settings(rfm_bins=3), None, "2025-12-31", None, TODAY),
            ("future", future, Settings(decimal_separator=","), None, None, None, TODAY),
            ("nothing-usable", nothing, Settings(), None, None, None, TODAY)]


# -- the code before the split, in a subprocess -----------------------------------------------

RUN_OLD = """
import pickle, sys
from xl_addin.core import tier_customers
from xl_addin.errors import CustomerTiersError
cases = pickle.load(open(sys.argv[1], "rb"))
results = {}
for name, transactions, settings, customers, as_of, previous, today in cases:
    try:
        results[name] = tier_customers(transactions, settings, customers=customers, as_of=as_of,
                                       previous_tiers=previous, today=today)
    except CustomerTiersError as error:
        results[name] = (type(error).__name__, str(error))
pickle.dump(results, open(sys.argv[2], "wb"))
"""


def run_pre_split(cases: list[tuple], folder: Path) -> dict:
    """Each case's result by the code of ``PRE_SPLIT`` (skips without git or that commit)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and the repository's history")
    archive = subprocess.run([git, "-C", str(ROOT), "archive", PRE_SPLIT, "xl_addin"], capture_output=True)
    if archive.returncode:
        pytest.skip(f"commit {PRE_SPLIT} is not in this repository")
    code = folder / "pre-split"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(code, filter="data")
    (folder / "cases.pkl").write_bytes(pickle.dumps(cases))
    subprocess.run([sys.executable, "-c", RUN_OLD, str(folder / "cases.pkl"), str(folder / "old.pkl")],
                   cwd=code, env={"PYTHONPATH": str(code), "PATH": ""}, check=True)
    return pickle.loads((folder / "old.pkl").read_bytes())


def run_now(case: tuple):
    name, transactions, settings, customers, as_of, previous, today = case
    try:
        prepared = prepare_lines(transactions, settings, as_of=as_of, today=today)
        prepared = pickle.loads(pickle.dumps(prepared))  # what the refresh's cache hands back
        return tier_prepared(prepared, settings, customers=customers, previous_tiers=previous)
    except InputError as error:
        return (type(error).__name__, str(error))


def test_same_result_as_before_the_split(tmp_path):
    cases = [bench_case(), *demo_cases(tmp_path), *messy_cases(), *random_cases(40, seed=11)]
    expected = run_pre_split(cases, tmp_path)
    errors = 0
    for case in cases:
        actual = run_now(case)
        if isinstance(expected[case[0]], tuple):
            errors += 1
            assert actual == expected[case[0]], case[0]
        else:
            assert_same_result(actual, expected[case[0]])
    assert errors < len(cases) // 4  # most cases tier (the comparison is not all errors)


# -- the stages -------------------------------------------------------------------------------

def test_line_settings_are_the_fields_prepare_lines_reads():
    settings = Settings(date_order="DMY", decimal_separator=",", as_of=dt.date(2025, 1, 31), cost_rate=0.25,
                        sob_period="M", retention_period="Y", a_cut=0.6, rfm_bins=3)
    assert line_settings(settings) == LineSettings(date_order="DMY", decimal_separator=",",
                                                   as_of=dt.date(2025, 1, 31), cost_rate=0.25,
                                                   sob_period="M", retention_period="Y")
    assert line_settings(settings) == line_settings(settings.replace(a_cut=0.7, clv_models=False, language="zh"))
    assert line_settings(None) == line_settings(Settings())


def test_prepared_lines_hold_no_per_line_array():
    transactions, _ = make_data(20_000, 500)
    prepared = prepare_lines(transactions, Settings(), today=TODAY)
    customers = len(prepared.ids)
    for field in dataclasses.fields(PreparedLines):
        value = getattr(prepared, field.name)
        if hasattr(value, "__len__") and not isinstance(value, (str, tuple)):
            # per customer, per customer-period, per customer-period of SOB: never a line each
            assert len(value) < len(transactions) // 2, field.name
    assert len(prepared.totals) == len(prepared.attributes) == len(prepared.bought_year_before) == customers
    assert len(pickle.dumps(prepared)) < 60 * len(transactions)


def test_other_line_settings_are_refused():
    transactions = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2025-01-01", "2025-02-01"],
                                 "amount": [1.0, 2.0]})
    prepared = prepare_lines(transactions, Settings(sob_period="M"), today=TODAY)
    with pytest.raises(ValueError, match="other line settings"):
        tier_prepared(prepared, Settings(sob_period="Q"))


lines_strategy = st.integers(0, 2**32 - 1).map(lambda seed: random_lines(np.random.default_rng(seed)))
settings_strategy = st.integers(0, 2**32 - 1).map(lambda seed: random_settings(np.random.default_rng(seed)))
PER_CUSTOMER_FIELDS = {
    "abc_measure": st.sampled_from(["auto", "profit", "revenue"]),
    "abc_method": st.sampled_from(["value", "count"]),
    "rfm_bins": st.integers(2, 10),
    "rfm_monetary": st.sampled_from(["sum", "mean"]),
    "clv_models": st.booleans(),
    "retention_rate": st.sampled_from([None, 0.5, 0.9]),
    "release_days": st.integers(0, 500),
    "lost_days": st.integers(200, 500),
    "pareto_top": st.integers(1, 40),
    "language": st.sampled_from(["en", "zh"]),
    # what the kept predictions are made for (clv_model.prediction_settings)
    "expected_days_short": st.sampled_from([30, 90]),
    "expected_days_long": st.sampled_from([180, 365]),
    "clv_months": st.sampled_from([6, 12, 36]),
    "discount_rate": st.sampled_from([0.0, 0.1, 0.2]),
}


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines_strategy, settings_strategy, st.fixed_dictionaries({}, optional=PER_CUSTOMER_FIELDS),
       st.floats(0.05, 0.9))
def test_lines_prepared_once_serve_any_per_customer_settings(transactions, first, changes, a_cut):
    """What a Settings change with cached lines gives = a fresh tier_customers under it."""
    second = first.replace(a_cut=a_cut, b_cut=max(a_cut + 0.05, first.b_cut), **changes)
    assert line_settings(second) == line_settings(first)
    try:
        expected = tier_customers(transactions, second, today=TODAY)
    except InputError as error:
        with pytest.raises(InputError) as raised:
            tier_prepared(prepare_lines(transactions, first, today=TODAY), second)
        assert str(raised.value) == str(error)
        return
    prepared = prepare_lines(transactions, first, today=TODAY)
    tier_prepared(prepared, first)  # fits the CLV models on the lines when first runs them
    assert_same_result(tier_prepared(prepared, second), expected)
    assert_same_result(tier_prepared(pickle.loads(pickle.dumps(prepared)), second), expected)


@pytest.mark.parametrize("change", [{"expected_days_short": 30}, {"expected_days_long": 180},
                                    {"clv_months": 24}, {"discount_rate": 0.25}])
def test_kept_predictions_are_made_again_for_other_prediction_settings(change):
    """The predictions kept with the lines serve only the settings they were made for."""
    transactions, master = make_data(4_000, 300)
    prepared = prepare_lines(transactions, Settings(), today=TODAY)
    first = tier_prepared(prepared, Settings(), customers=master)
    second = Settings(**change)
    expected = tier_customers(transactions, second, customers=master, today=TODAY)
    predicted = ["expected_purchases_short", "expected_purchases_long", "predicted_clv"]
    assert not first.customers[predicted].equals(expected.customers[predicted])  # it matters
    assert_same_result(tier_prepared(prepared, second, customers=master), expected)


@pytest.mark.parametrize("second, imported", [
    # a cut moves no prediction: the kept ones serve, and nothing of scipy is imported (its
    # special functions take 0.3 s of a refresh that should take about 1 s)
    (Settings(a_cut=0.6), "False False"),
    # another horizon: predicted again from the kept fits, which need no optimiser (0.4 s)
    (Settings(clv_months=24), "False True"),
])
def test_kept_fits_and_predictions_spare_scipy(tmp_path, second, imported):
    """A Settings change served by prepared lines with their fits and last predictions; the
    result is a fresh refresh's under the new Settings."""
    transactions, master = make_data(4_000, 300)
    prepared = prepare_lines(transactions, Settings())
    tier_prepared(prepared, Settings(a_cut=0.7), customers=master)  # fits, predicts, keeps
    expected = tier_customers(transactions, second, customers=master)
    entry = tmp_path / "prepared.pickle"
    entry.write_bytes(pickle.dumps((prepared, master)))
    code = f"""
import pickle, sys
from pathlib import Path
from xl_addin import Settings
from xl_addin.core import tier_prepared
prepared, master = pickle.loads(Path({str(entry)!r}).read_bytes())
result = tier_prepared(prepared, Settings(a_cut={second.a_cut}, clv_months={second.clv_months}),
                       customers=master)
result.customers.to_pickle({str(tmp_path / "result.pickle")!r})
print("scipy.optimize" in sys.modules, "scipy.special" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == imported
    got = pd.read_pickle(tmp_path / "result.pickle")
    assert got["predicted_clv"].notna().sum() > 0
    pd.testing.assert_frame_equal(got, expected.customers)


# -- the CLV models on a second CPU (core.background) ------------------------------------------

def model_workers() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name.startswith("customer-tiers")]


@pytest.fixture
def cpus(monkeypatch):
    """Set how many CPUs the core sees (``background.usable_cpus``)."""
    from xl_addin.core import background

    return lambda count: monkeypatch.setattr(background, "usable_cpus", lambda: count)


def test_the_models_on_a_second_cpu_give_the_one_cpu_result_bit_for_bit(cpus):
    transactions, master = make_data(30_000, 1_500)
    settings = Settings(holding_rules=(HoldingRule("*", "A", 40),))
    cpus(1)
    alone = tier_customers(transactions, settings, customers=master, today=TODAY)
    alone_prepared = prepare_lines(transactions, settings, today=TODAY)
    assert alone_prepared.fitted == {}  # one CPU: fitted by tier_prepared, as before
    cpus(2)
    prepared = prepare_lines(transactions, settings, today=TODAY)
    assert set(prepared.fitted) == {"models"}  # fitted meanwhile, on the second CPU
    assert prepared.fitted["models"][0].converged and prepared.fitted["models"][1].converged
    assert_same_result(tier_customers(transactions, settings, customers=master, today=TODAY), alone)
    assert_same_result(tier_prepared(prepared, settings, customers=master), alone)
    # kept fits, new predictions in the worker: as tier_customers under the new settings alone
    cpus(1)
    other = settings.replace(clv_months=24)
    expected = tier_customers(transactions, other, customers=master, today=TODAY)
    cpus(2)
    assert_same_result(tier_prepared(prepared, other, customers=master), expected)
    assert model_workers() == []


@pytest.mark.parametrize("settings", [Settings(clv_models=False), line_settings(Settings())],
                         ids=["models off", "line settings only"])
def test_prepare_lines_fits_nothing_the_settings_do_not_ask_for(cpus, settings):
    transactions, _ = make_data(4_000, 300)
    cpus(2)
    assert prepare_lines(transactions, settings, today=TODAY).fitted == {}


@pytest.mark.parametrize("count", [1, 2], ids=["one CPU", "two CPUs"])
@pytest.mark.parametrize("step", ["model_fits", "clv_predictions"])
def test_an_error_of_the_models_reaches_the_caller_unchanged(cpus, monkeypatch, count, step):
    from xl_addin.core import pipeline

    transactions, master = make_data(4_000, 300)
    error = FloatingPointError(f"{step} failed")

    def fails(*args, **kwargs):
        raise error

    cpus(count)
    monkeypatch.setattr(pipeline, step, fails)
    with pytest.raises(FloatingPointError) as raised:
        tier_customers(transactions, Settings(), customers=master, today=TODAY)
    assert raised.value is error
    assert model_workers() == []


def test_an_error_of_the_caller_wins_over_the_running_models_and_waits_for_them(cpus, monkeypatch):
    from xl_addin.core import pipeline

    transactions, _ = make_data(4_000, 300)
    cpus(2)
    prepared = prepare_lines(transactions, line_settings(Settings()), today=TODAY)  # no fits kept
    finished = []
    original = pipeline.model_fits
    monkeypatch.setattr(pipeline, "model_fits",
                        lambda summary: finished.append(original(summary)) or finished[-1])
    missing = Settings(score_factors=(ScoreFactor("satisfaction", 1.0),))  # no customer master
    with pytest.raises(InputError, match="satisfaction"):
        tier_prepared(prepared, missing)
    assert model_workers() == [] and len(finished) == 1  # waited for, not left running
    assert prepared.fitted == {}  # a failed call keeps nothing
