"""report.labels: every key the core can put in a shown column has its 中文 word."""

from xl_addin.core import clean, pipeline, values
from xl_addin.report import labels


def test_every_data_quality_reason_the_core_can_give_has_a_chinese_word():
    reasons = [value for module in (clean, pipeline) for name, value in vars(module).items()
               if name.startswith("REASON_") and isinstance(value, str)]
    reasons += list(values.PROBLEM_KEYS)
    assert len(reasons) >= 20  # the constants were found, not an empty list
    missing = [r for r in reasons if labels.translate_value("reason", r, "zh") == r]
    assert missing == []
    assert labels.translate_value("reason", values.ERROR_VALUE, "zh") == "单元格为错误值"
    assert labels.translate_value("reason", values.ERROR_VALUE, "en") == values.ERROR_VALUE
