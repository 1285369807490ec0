"""Which sheets are ours, and where each generated sheet goes. Pure: names in, decisions out.

The rules every way in shares (file writer, live writer, reader, detection):

* Sheet names compare the way Excel compares them: ignoring case, for every alphabet
  (``str.casefold``: "TIERS" = "tiers", "Ｔｉｅｒｓ" = "ｔｉｅｒｓ", "ß" = "SS").
* A sheet is ours when it carries our mark: a hidden sheet-scoped defined name
  ``CT_Generated`` whose value is the sheet's report key (``"tiers"``). The mark moves with the
  sheet when the user renames or reorders it. Sheets written by version 0.1 (no mark) are
  recognised once by their exact first row (``legacy_signatures``) and marked by the next write.
* Only a sheet that is ours is ever replaced. A user's sheet whose name equals a generated
  name (ignoring case) is never touched: the generated sheet takes the next free name the way
  Excel numbers copies ("Summary (2)"), and a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from ..report import labels

MARK_NAME = "CT_Generated"  # hidden sheet-scoped defined name; value = the sheet's report key
MAX_SHEET_NAME = 31


def sheet_name_key(name: str) -> str:
    """The form in which Excel compares sheet names: case folded (any alphabet)."""
    return name.casefold()


def same_sheet_name(a: str, b: str) -> bool:
    """True when Excel sees ``a`` and ``b`` as the same sheet name (ignoring case)."""
    return sheet_name_key(a) == sheet_name_key(b)


def find_sheet_name(sheet_names: Iterable[str], name: str) -> str | None:
    """The sheet among ``sheet_names`` that Excel would take for ``name`` (exact first), or None."""
    names = list(sheet_names)
    if name in names:
        return name
    key = sheet_name_key(name)
    return next((s for s in names if sheet_name_key(s) == key), None)


def next_free_name(name: str, taken: Iterable[str]) -> str:
    """``name`` when no sheet in ``taken`` has it (ignoring case), else "name (2)", "name (3)"
    ... as Excel names copies; the base is shortened so the result keeps to 31 characters."""
    used = {sheet_name_key(t) for t in taken}
    if sheet_name_key(name) not in used:
        return name
    k = 2
    while True:
        suffix = f" ({k})"
        candidate = name[: MAX_SHEET_NAME - len(suffix)] + suffix
        if sheet_name_key(candidate) not in used:
            return candidate
        k += 1


def mark_value(key: str) -> str:
    """The mark's formula text: the report key as a string constant ("tiers" -> '"tiers"')."""
    return '"' + key.replace('"', '""') + '"'


def key_of_mark(formula: str | None) -> str | None:
    """The report key in a mark's formula text ('"tiers"' or '="tiers"'), None if not ours."""
    if not formula:
        return None
    text = formula.strip().lstrip("=").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        key = text[1:-1].replace('""', '"')
        return key if key in labels.SHEET_NAMES else None
    return None


@dataclass(frozen=True)
class Note:
    """Something a refresh decided that the user should know: ``kind`` is a key of
    ``labels.REFRESH_NOTE_TEXTS``, ``values`` fill its placeholders. Shown by the CLI and on the Data
    quality sheet, in either language."""

    kind: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, kind: str, **values: Any) -> Note:
        return cls(kind, tuple(values.items()))

    def text(self, language: str = "en") -> str:
        return labels.refresh_note_text(self.kind, language, **dict(self.values))


@dataclass(frozen=True)
class Placement:
    """Where one generated sheet goes. ``existing``: the current name of our sheet that is
    replaced (None = a new sheet at the end); ``name``: the name it has afterwards;
    ``write`` False: only mark it (Settings that exists already)."""

    key: str
    name: str
    existing: str | None
    write: bool = True


@dataclass(frozen=True)
class SheetPlan:
    placements: tuple[Placement, ...]
    notes: tuple[Note, ...] = field(default=())

    def placement(self, key: str) -> Placement | None:
        return next((p for p in self.placements if p.key == key), None)


def our_sheet(owned: Mapping[str, str], key: str) -> str | None:
    """Our sheet of ``key`` among ``owned`` (name -> key). A sheet the user copied in Excel
    carries the mark too; the one still under one of our names wins, else the first."""
    sheets = [name for name, k in owned.items() if k == key]
    ours = labels.SHEET_NAMES.get(key, ())
    return next((n for n in sheets if any(same_sheet_name(n, o) for o in ours)),
                sheets[0] if sheets else None)


def plan_sheets(
    wanted: Sequence[tuple[str, str, bool]], sheet_names: Sequence[str],
    owned: Mapping[str, str],
) -> SheetPlan:
    """Place each generated sheet ``(key, name in the output language, only_if_missing)``.

    ``owned``: current sheet name -> report key of every sheet that is ours. Our sheet of that
    key is replaced (renamed to the output-language name when it still has one of our names
    and that name is free, so a 中文 refresh turns "Tiers" into "客户分级"; a name the user gave
    it is kept). Otherwise the sheet is added under ``name``, or the next free name when a
    sheet of the user holds it (with a note)."""
    taken = list(sheet_names)
    placements, notes = [], []
    for key, name, only_if_missing in wanted:
        existing = our_sheet(owned, key)
        if existing is not None:
            final = existing
            ours_names = {sheet_name_key(n) for n in labels.SHEET_NAMES.get(key, ())}
            others = [t for t in taken if t != existing]
            if (not only_if_missing and existing != name
                    and sheet_name_key(existing) in ours_names):
                if find_sheet_name(others, name) is None:
                    final = name
            taken = others + [final]
            placements.append(Placement(key, final, existing, write=not only_if_missing))
            continue
        final = next_free_name(name, taken)
        if final != name:
            notes.append(Note.of("name_taken", taken=find_sheet_name(taken, name), name=final))
        taken.append(final)
        placements.append(Placement(key, final, None))
    return SheetPlan(tuple(placements), tuple(notes))


# The first rows version 0.1 wrote, frozen: later versions add columns and change words, but
# a 0.1 sheet keeps what 0.1 wrote. (language -> cells)
V01_TIERS_HEADER = {
    "en": ("Customer ID", "Customer", "Salesperson", "Industry", "Region", "Size", "Revenue",
           "Cost", "Profit", "SOB", "Cumulative share", "ABC tier", "Orders", "Last purchase",
           "Recency (days)", "R", "F", "M", "RFM", "RFM segment", "Score", "Score tier",
           "Lifecycle", "CLV (historical)", "CLV (projected)", "Flags"),
    "zh": ("客户编号", "客户名称", "销售", "行业", "地区", "规模", "销售额", "成本", "利润贡献",
           "业务份额 (SOB)", "累计占比", "ABC分类", "订单数", "最近购买日期", "最近一次消费 (天)",
           "R", "F", "M", "RFM", "RFM 客户细分", "客户评分", "评分等级", "生命周期阶段",
           "客户终身价值 (历史)", "客户终身价值 (预测)", "标记"),
}
V01_DATA_QUALITY_HEADER = {"en": ("Sheet", "Row", "Column", "Value", "Reason"),
                           "zh": ("工作表", "行", "列", "值", "原因")}
V01_TITLES = {
    "summary": {"en": "Customers per ABC tier", "zh": "ABC分类汇总"},
    "coverage": {"en": "Holding limits by salesperson and tier", "zh": "客户保有量（按销售和分级）"},
    "tier_changes": {"en": "Customers whose tier moved", "zh": "分级变化的客户"},
}
V01_PARETO_HEAD = {"en": ("Rank", "Customer ID", "Customer"), "zh": ("排名", "客户编号", "客户名称")}
V01_PARETO_TAIL = {"en": ("Share", "Cumulative share", "ABC tier"), "zh": ("占比", "累计占比", "ABC分类")}


def legacy_signatures(key: str, language: str, measure_headers: Sequence[str] = (),
                      reference_header: str | None = None) -> tuple[tuple[str, ...], ...]:
    """The first rows a 0.1 refresh wrote on sheet ``key`` in ``language``: a header row or a
    title. ``measure_headers`` / ``reference_header``: the Pareto sheet's variable headers."""
    if key == "tiers":
        return (V01_TIERS_HEADER[language],)
    if key == "data_quality":
        return (V01_DATA_QUALITY_HEADER[language],)
    if key in V01_TITLES:
        return ((V01_TITLES[key][language],),)
    if key == "pareto":
        return tuple(
            V01_PARETO_HEAD[language] + (measure,) + V01_PARETO_TAIL[language] + (reference_header,)
            for measure in measure_headers if reference_header
        )
    if key == "settings":
        from ..report.settings_sheet import HEADER
        return (tuple(HEADER[language]),)
    return ()


def legacy_key(sheet: str, first_row: Sequence[Any], signatures: Mapping[str, Iterable[tuple]]) -> str | None:
    """The report key of an unmarked sheet written by version 0.1: its name is one of the
    key's names (either language, ignoring case) and its first non-empty row is exactly what
    0.1 wrote there (``signatures``: key -> rows). None for every other sheet."""
    cells = tuple(first_row)
    while cells and cells[-1] is None:
        cells = cells[:-1]
    for key, names in labels.SHEET_NAMES.items():
        if not any(same_sheet_name(sheet, n) for n in names):
            continue
        for signature in signatures.get(key, ()):
            if key == "settings" and cells[: len(signature)] == tuple(signature):
                return key
            if cells == tuple(signature):
                return key
    return None
