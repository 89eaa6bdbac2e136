"""统计年报 checked: every branch's figure against its 汇总 cell (the formula that references
it, plus the earlier periods the formula names for 本年新入会 and 本年流出), every 小计 and
the 合计; its 分会类型, 分会代码 and 分会名称 by their row checks (:mod:`toolkit.consolidate.
stats` builds the same formulas)."""

from __future__ import annotations

import re
from typing import Any

from ..consolidate.formulas import SUMMARY_KEYS
from ..consolidate.formulas import WORDS as W
from ..consolidate.stats import (
    FIGURES,
    FIRST_FIGURE,
    STATS,
    YEAR_FIGURES,
    branch_formula,
    stats_heads,
    sum_formula,
)
from ..findings import Finding, finding
from .layout import text
from .statement import statement_rows
from .totals import branch_rows, compare

#: The earlier periods a 本年 figure's formula adds to its 汇总 cell.
_EARLIER = re.compile(r"\+\s*(\d+)\s*$")


def check_stats(file: str, sheet: Any, summary: Any) -> tuple[list[Finding], int]:
    """Findings of 统计年报's figures, and how many figures were checked."""
    heads = stats_heads()
    if [text(sheet.value(1, c)) for c in range(len(heads))] != heads:
        return [finding("verify_sheet_missing", file, STATS, None, None, STATS)], 0
    at = {text(summary.value(r, 0)): r for r in branch_rows(summary)} if summary else {}
    out: list[Finding] = []
    values: dict[tuple[int, int], int] = {}
    first, subtotals, checked = None, [], 0
    for r, (kind, code, _), _ in statement_rows(sheet, len(heads), 3):
        label = text(code)
        if text(kind) == W["statement_note"]:
            continue
        is_total, is_sub = label == W["total"] and not text(kind), label == W["stats_subtotal"]
        if not (is_total or is_sub) and first is None:
            first = r
        for c, key in enumerate(FIGURES, FIRST_FIGURE):
            where = (file, sheet, r, c)
            checked += 1
            if is_total or is_sub:
                over = subtotals if is_total else list(range(first if first is not None
                                                             else r, r))
                values[(r, c)] = sum(values.get((o, c), 0) for o in over)
                out += compare(where, label, sum_formula(c, over, is_total), values[(r, c)],
                               "int")
                continue
            out += _branch_figure(where, label, key, at.get(label), summary, values)
        if is_sub:
            subtotals.append(r)
            first = None
    return out, checked


def _branch_figure(where: tuple, label: str, key: str, row: int | None, summary: Any,
                   values: dict) -> list[Finding]:
    """A branch's figure: its 汇总 cell (a mark there is the mark here), with the earlier
    periods its formula adds."""
    _, sheet, r, c = where
    if row is None:  # 汇总 lost the branch's row: its digest says so
        return []
    shown = summary.value(row, SUMMARY_KEYS.index(key))
    if isinstance(shown, str):
        return compare(where, label, None, shown, "text")
    found = _EARLIER.search(sheet.formula(r, c) or "") if key in YEAR_FIGURES else None
    earlier = int(found.group(1)) if found else 0
    values[(r, c)] = int(shown or 0) + earlier
    return compare(where, label, branch_formula(key, row, earlier), values[(r, c)], "int")
