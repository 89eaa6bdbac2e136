"""统计年报: the federation's yearly membership statistics from the rosters — 会员人数, 女会员,
农民工会员, 积极分子 at the period's end, and 本年新入会 and 本年流出 — per branch, with a 小计 for
each kind of branch and a 合计.

The writer and ``verify`` share what is here. A branch's figure is a reference to its cell on
汇总 (itself a formula over the roster pages), so the two sheets cannot disagree; 本年新入会
and 本年流出 add the year's earlier periods as the register holds them (a number in the
formula, as the 收入支出表's 本年累计数 does). A branch whose roster is 未报送 shows that mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..layout import col_letter
from ..messages import say
from .formulas import FIRST_DATA_ROW, WORDS, quoted, summary_letter

STATS = WORDS["stats"]
#: The figures, each a 汇总 column; the year's are summed over the year's periods.
FIGURES = ("members", "women", "migrants", "activists", "joins", "outflows")
YEAR_FIGURES = ("joins", "outflows")
#: The columns before the figures: 分会类型, 分会代码, 分会名称.
FIRST_FIGURE = 3
SUMMARY_SHEET = WORDS["summary"]


def stats_heads() -> list[str]:
    heads = {"members": WORDS["stats_members"], "joins": WORDS["stats_joins"],
             "outflows": WORDS["stats_outflows"]}
    return [WORDS["stats_kind"], WORDS["col_code"], WORDS["col_name"],
            *(heads.get(key) or WORDS[f"col_{key}"] for key in FIGURES)]


@dataclass(frozen=True)
class StatsRow:
    """A row of the sheet: a branch (``code``), a kind's 小计 (over ``over``, the 0-based
    rows of its branches), or the 合计 (over the 小计 rows)."""

    kind: str
    code: str | None = None
    name: str = ""
    over: tuple[int, ...] = ()
    total: bool = False

    @property
    def cells(self) -> list[str]:
        """The checked cells: 分会类型, 分会代码 (or 小计/合计), 分会名称."""
        if self.code is not None:
            return [self.kind, self.code, self.name]
        return ["", WORDS["total"], ""] if self.total else [self.kind, WORDS["stats_subtotal"],
                                                            ""]


def stats_rows(branches: Sequence[tuple[str, str, str]], kinds: Sequence[str]) -> list[StatsRow]:
    """The rows for branches (code, name, kind) in 汇总's order, grouped by kind in the
    configuration's order (then any other kind): each kind's branches and its 小计, then 合计."""
    order = [*kinds, *sorted({k for _, _, k in branches} - set(kinds))]
    rows: list[StatsRow] = []
    subtotals = []
    for kind in order:
        mine = [(code, name) for code, name, k in branches if k == kind]
        if not mine:
            continue
        first = FIRST_DATA_ROW + len(rows)
        rows += [StatsRow(kind, code, name) for code, name in mine]
        rows.append(StatsRow(kind, over=tuple(range(first, first + len(mine)))))
        subtotals.append(FIRST_DATA_ROW + len(rows) - 1)
    return [*rows, StatsRow("", over=tuple(subtotals), total=True)]


def branch_formula(key: str, summary_row: int, earlier: int) -> str:
    """A branch's figure: its 汇总 cell (``summary_row`` 0-based), plus the year's earlier
    periods for 本年新入会 and 本年流出."""
    cell = f"={quoted(SUMMARY_SHEET)}!{summary_letter(key)}{summary_row + 1}"
    return f"{cell}+{earlier}" if earlier else cell


def sum_formula(col: int, over: Sequence[int], total: bool) -> str:
    """A 小计 (SUM over its branches' rows, which are contiguous) or the 合计 (the 小计s)."""
    letter = col_letter(col)
    if total:
        return "=" + ("+".join(f"{letter}{r + 1}" for r in over) or "0")
    return f"=SUM({letter}{over[0] + 1}:{letter}{over[-1] + 1})"


def earlier_counts(history: dict[str, dict[str, dict[str, Any]]],
                   period: str) -> tuple[dict[tuple[str, str], int], list[str]]:
    """(branch, figure) → the year's earlier periods' 新入会 or 流出 from the register, and
    which periods those are (a period a branch's roster was missing adds nothing)."""
    out: dict[tuple[str, str], int] = {}
    periods: set[str] = set()
    for branch, by_period in history.items():
        for p, figures in by_period.items():
            if p[:4] != period[:4] or p >= period or not figures:
                continue
            for key in YEAR_FIGURES:
                if isinstance(figures.get(key), int):
                    periods.add(p)
                    out[(branch, key)] = out.get((branch, key), 0) + figures[key]
    return out, sorted(periods)


def stats_note(period: str, earlier: Sequence[str]) -> str:
    return say("workbook.stats_covers", "zh", period=period,
               periods="、".join([*earlier, period]))
