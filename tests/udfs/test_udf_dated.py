"""UDFs that need dates (RFM_SCORE, RFM_SEGMENT, CUSTOMER_SCORE, LIFECYCLE_STAGE, CLV,
TIER_TABLE): equal to ``tier_customers(...).customers`` and to the Tiers sheet of the report on
the same data; hand-computed lifecycle stages; argument errors and unknown customers."""

import datetime as dt
import random

import pandas as pd
import pytest

import udfs.customer_tiers as udf
from xl_addin.core.pipeline import tier_customers
from xl_addin.report.layout import build_report
from xl_addin.settings import DEFAULT_SETTINGS

AS_OF = dt.datetime(2025, 6, 30)


def sales(seed=11, lines=400, customers=40):
    """Sale lines as the flat lists xlwings passes for data columns, plus the same as a frame."""
    rng = random.Random(seed)
    ids = [f"C{rng.randint(1, customers):03d}" for _ in range(lines)]
    dates = [dt.datetime(2023, 7, 1) + dt.timedelta(days=rng.randint(0, 730)) for _ in range(lines)]
    amounts = [round(rng.uniform(-40, 900), 2) for _ in range(lines)]
    costs = [round(rng.uniform(0, 300), 2) for _ in range(lines)]
    orders = [f"O{rng.randint(1, lines // 2)}" for _ in range(lines)]
    columns = {"customers": ids, "dates": dates, "amounts": amounts, "costs": costs, "orders": orders}
    frame = pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts, "cost": costs,
                          "order_id": orders}, dtype=object)
    return columns, frame


COLUMNS, FRAME = sales()


def core(frame=FRAME, settings=DEFAULT_SETTINGS, as_of=AS_OF, drop=()):
    result = tier_customers(frame.drop(columns=list(drop)), settings, as_of=pd.Timestamp(as_of))
    return result, result.customers.set_index("customer_id")


def column(values):
    """Expected spilled column: one [value] per customer, NaN / None as an empty cell."""
    return [["" if pd.isna(v) else v] for v in values]


def ids(table):
    return [[i] for i in table.index]


def without_costs():
    return core(drop=["cost"])


@pytest.mark.parametrize("part, field", [
    (None, "rfm_code"), ("code", "rfm_code"), ("R", "r_score"), ("f", "f_score"), ("M", "m_score"),
    ("segment", "rfm_segment"), ("class_en", "rfm_class"),
])
def test_rfm_score_parts_equal_the_core(part, field):
    _, table = without_costs()
    c = COLUMNS
    answer = udf.RFM_SCORE(ids(table), c["customers"], c["dates"], c["amounts"], c["orders"], AS_OF, None, part)
    assert answer == column(table[field])


# The words the UDFs return (their documented contract), written out from the glossary.
SEGMENTS_ZH = {
    "Champions": "冠军客户", "Loyal Customers": "忠实客户", "Potential Loyalist": "潜在忠实客户",
    "New Customers": "新近客户", "Promising": "有潜力的新客户", "Need Attention": "需要关注的客户",
    "About To Sleep": "即将沉睡的客户", "At Risk": "有流失风险的客户", "Can't Lose Them": "不能失去的客户",
    "Hibernating": "休眠客户", "Lost": "已流失客户", "Others": "其他",
}
CLASSES_ZH = {
    "Important value": "重要价值客户", "Important development": "重要发展客户",
    "Important retention": "重要保持客户", "Important recovery": "重要挽留客户",
    "General value": "一般价值客户", "General development": "一般发展客户",
    "General retention": "一般保持客户", "General recovery": "一般挽留客户",
}


def test_rfm_class_part_is_the_chinese_class_name():
    _, table = without_costs()
    c = COLUMNS
    expected = column(table["rfm_class"].map(CLASSES_ZH))
    answer = udf.RFM_SCORE(ids(table), c["customers"], c["dates"], c["amounts"], c["orders"], AS_OF, None, "class")
    assert answer == expected
    assert {v for [v] in expected} & set(CLASSES_ZH.values())  # some customer has a class


def test_rfm_segment_zh_is_the_chinese_name_of_the_core_segment():
    _, table = without_costs()
    c = COLUMNS
    expected = column(table["rfm_segment"].map(SEGMENTS_ZH))
    assert udf.RFM_SCORE(ids(table), c["customers"], c["dates"], c["amounts"], c["orders"], AS_OF,
                         None, "segment_zh") == expected
    assert udf.RFM_SEGMENT(ids(table), c["customers"], c["dates"], c["amounts"], c["orders"], AS_OF,
                           "zh") == expected
    assert udf.RFM_SEGMENT(ids(table), c["customers"], c["dates"], c["amounts"], c["orders"],
                           AS_OF) == column(table["rfm_segment"])
    assert {v for [v] in expected} <= set(SEGMENTS_ZH.values())


def test_rfm_bins_argument_equals_the_setting():
    _, table = core(settings=DEFAULT_SETTINGS.replace(rfm_bins=3), drop=["cost"])
    c = COLUMNS
    answer = udf.RFM_SCORE(ids(table), c["customers"], c["dates"], c["amounts"], c["orders"], AS_OF, 3, "code")
    assert answer == column(table["rfm_code"])
    assert {ch for [code] in answer for ch in code} <= {"1", "2", "3"}


def test_customer_score_equals_the_core():
    _, table = core()
    c = COLUMNS
    answer = udf.CUSTOMER_SCORE(ids(table), c["customers"], c["dates"], c["amounts"], c["costs"],
                                c["orders"], AS_OF)
    assert answer == column(table["score"])
    assert all(0 <= v <= 100 for [v] in answer)


def test_lifecycle_stage_equals_the_core():
    _, table = without_costs()
    c = COLUMNS
    answer = udf.LIFECYCLE_STAGE(ids(table), c["customers"], c["dates"], c["amounts"], c["orders"], AS_OF)
    assert answer == column(table["lifecycle"])


def test_lifecycle_stage_hand_computed():
    day = lambda n: AS_OF - dt.timedelta(days=n)  # noqa: E731
    lines = [  # (customer, days before as_of)
        ("new", 10), ("once", 100), ("repeat", 20), ("repeat", 30),
        *[("loyal", d) for d in (5, 40, 80, 120, 160)], ("lapsing", 200), ("lapsing", 250),
        ("lost", 400), ("edge", 90),
    ]
    customers = [c for c, _ in lines]
    dates = [day(n) for _, n in lines]
    amounts = [100.0] * len(lines)
    answer = udf.LIFECYCLE_STAGE([["new"], ["once"], ["repeat"], ["loyal"], ["lapsing"], ["lost"], ["edge"]],
                                 customers, dates, amounts, None, AS_OF)
    # 90 days ago with one order is still New (new_days = 90 inclusive)
    assert answer == [["New"], ["One-time"], ["Repeat"], ["Loyal"], ["Lapsing"], ["Lost"], ["New"]]


@pytest.mark.parametrize("kind, field", [(None, "clv_proj"), ("projected", "clv_proj"),
                                         ("Historical", "clv_hist")])
def test_clv_equals_the_core(kind, field):
    _, table = core(drop=["order_id"])
    c = COLUMNS
    answer = udf.CLV(ids(table), c["customers"], c["dates"], c["amounts"], c["costs"], AS_OF, kind)
    assert answer == column(table[field])


def test_clv_rates_equal_the_settings():
    settings = DEFAULT_SETTINGS.replace(retention_rate=0.5, discount_rate=0.2)
    _, table = core(settings=settings, drop=["order_id"])
    _, default = core(drop=["order_id"])
    c = COLUMNS
    answer = udf.CLV(ids(table), c["customers"], c["dates"], c["amounts"], c["costs"], AS_OF,
                     "projected", 0.5, "20%")
    assert answer == column(table["clv_proj"])
    assert answer != column(default["clv_proj"])


@pytest.mark.parametrize("language", [None, "en", "zh"])
def test_tier_table_equals_the_tiers_sheet_of_the_report(language):
    result, _ = core()
    block = build_report(result, language or "en").sheet("tiers").blocks[0]
    c = COLUMNS
    table = udf.TIER_TABLE(c["customers"], c["dates"], c["amounts"], c["costs"], c["orders"], AS_OF, language)
    assert table[0] == list(block.header)
    assert len(table) == len(block.values) + 1
    for got, expected in zip(table[1:], block.values.itertuples(index=False, name=None)):
        assert got == ["" if pd.isna(v) else v for v in expected]
    if language == "zh":
        assert table[0][0] == "客户编号"


def test_blank_and_unknown_customers_in_every_dated_function():
    c = COLUMNS
    calls = {
        "RFM_SCORE": lambda who: udf.RFM_SCORE(who, c["customers"], c["dates"], c["amounts"]),
        "RFM_SEGMENT": lambda who: udf.RFM_SEGMENT(who, c["customers"], c["dates"], c["amounts"]),
        "CUSTOMER_SCORE": lambda who: udf.CUSTOMER_SCORE(who, c["customers"], c["dates"], c["amounts"]),
        "LIFECYCLE_STAGE": lambda who: udf.LIFECYCLE_STAGE(who, c["customers"], c["dates"], c["amounts"]),
        "CLV": lambda who: udf.CLV(who, c["customers"], c["dates"], c["amounts"]),
    }
    for name, call in calls.items():
        assert call([["ZZ9"]]) == "#N/A: customer 'ZZ9' not in data", name
        assert call([[None]]) == "", name
        answer = call([["ZZ9"], [" C001 "], [None]])
        assert answer[0] == ["#N/A: customer 'ZZ9' not in data"] and answer[2] == [""], name
        assert not str(answer[1][0]).startswith("#"), name


@pytest.mark.parametrize("name, call, message", [
    ("RFM_SCORE", lambda c: udf.RFM_SCORE([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, None, "Q"),
     "#VALUE! part: must be one of code, r, f, m"),
    ("RFM_SCORE", lambda c: udf.RFM_SCORE([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, 11),
     "#VALUE! bins:"),
    ("RFM_SCORE", lambda c: udf.RFM_SCORE([["C001"]], c["customers"], c["dates"], c["amounts"], None, "soon"),
     "#VALUE! as_of: 'soon' is not a date"),
    ("RFM_SEGMENT", lambda c: udf.RFM_SEGMENT([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, "fr"),
     "#VALUE! language: must be one of en, zh"),
    ("CUSTOMER_SCORE", lambda c: udf.CUSTOMER_SCORE([["C001"]], c["customers"], c["dates"][:-1], c["amounts"]),
     "#VALUE! dates has 399 cells but customers has 400"),
    ("CUSTOMER_SCORE", lambda c: udf.CUSTOMER_SCORE([["C001"]], c["customers"], c["dates"], c["amounts"], [[1, 2], [3, 4]]),
     "#VALUE! costs must be one column or one row"),
    ("LIFECYCLE_STAGE", lambda c: udf.LIFECYCLE_STAGE([["C001"]], c["customers"], c["dates"], c["amounts"], c["orders"][:3]),
     "#VALUE! orders has 3 cells"),
    pytest.param(
        "LIFECYCLE_STAGE", lambda c: udf.LIFECYCLE_STAGE([["C001"]], c["customers"], [None] * 400, c["amounts"]),
        "#VALUE! none of the 400 sale lines is usable",
        id="LIFECYCLE_STAGE-all-dates-blank"),
    ("LIFECYCLE_STAGE", lambda c: udf.LIFECYCLE_STAGE([["C001"]], c["customers"], ["x"] * 400, c["amounts"]),
     "#VALUE! none of the 400 sale lines is usable"),
    ("CLV", lambda c: udf.CLV([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, "future"),
     "#VALUE! kind: must be one of projected, historical"),
    ("CLV", lambda c: udf.CLV([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, None, 2),
     "#VALUE! retention_rate:"),
    ("CLV", lambda c: udf.CLV([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, None, None, "lots"),
     "#VALUE! discount_rate: 'lots' is not a number"),
    ("TIER_TABLE", lambda c: udf.TIER_TABLE(c["customers"], c["dates"], c["amounts"], None, None, None, "fr"),
     "#VALUE! language: must be one of en, zh"),
])
def test_argument_errors_are_messages_naming_the_argument(name, call, message):
    assert str(call(COLUMNS)).startswith(message), name


def test_an_edited_cell_is_a_cache_miss_and_changes_the_answer():
    udf.POPULATIONS.clear()
    c = {k: list(v) for k, v in COLUMNS.items()}
    before = udf.CUSTOMER_SCORE([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, AS_OF)
    again = udf.CUSTOMER_SCORE([["C001"]], list(c["customers"]), list(c["dates"]), list(c["amounts"]),
                               None, None, AS_OF)
    assert again == before and (udf.POPULATIONS.misses, udf.POPULATIONS.hits) == (1, 1)
    first = c["customers"].index("C001")
    c["amounts"][first] += 50_000.0
    after = udf.CUSTOMER_SCORE([["C001"]], c["customers"], c["dates"], c["amounts"], None, None, AS_OF)
    assert udf.POPULATIONS.misses == 2 and after != before
