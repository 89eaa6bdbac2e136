"""收入支出表 checked: every 本月数 recomputed in Decimal from the ledger detail and compared
with its formula, every 本年累计数 as 本月数 plus the earlier periods the formula names, every
total and 本期结余; its 科目编码 and 项目 cells by their row checks (:mod:`toolkit.consolidate.
statement` builds the same formulas)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..consolidate.formulas import FIRST_DATA_ROW, MISSING_MARK
from ..consolidate.formulas import WORDS as W
from ..consolidate.statement import (
    STATEMENT,
    ZERO,
    Line,
    lines_from_codes,
    month_formula,
    month_sums,
    statement_heads,
    year_formula,
)
from ..findings import Finding, finding
from ..layout import a1
from .layout import text
from .totals import compare

#: 本年累计数 as the writer makes it: 本月数's cell, plus the earlier periods when there are.
_YEAR = re.compile(r"^=\s*\$?[A-Z]+\$?\d+\s*(?:\+\s*(-?\d+(?:\.\d+)?))?\s*$")


def statement_rows(sheet: Any, width: int, checked: int = 2) -> list[tuple[int, list, Any]]:
    """The statement's (or 统计年报's) rows with their first ``checked`` cells (科目编码,
    项目) and check."""
    rows, r = [], FIRST_DATA_ROW
    while r < len(sheet.rows) and (sheet.value(r, 0) is not None or
                                   sheet.value(r, 1) is not None):
        rows.append((r, [sheet.value(r, c) for c in range(checked)], sheet.value(r, width)))
        r += 1
    return rows


def check_statement(file: str, sheet: Any, ledger: list[dict[str, Any]], pages: list[str],
                    branches: list[str], missing: set[str]) -> tuple[list[Finding], int]:
    """Findings of the statement's figures, and how many figures were checked."""
    heads = statement_heads(branches)
    if [text(sheet.value(1, c)) for c in range(len(heads))] != heads:
        return [finding("verify_sheet_missing", file, STATEMENT, None, None, STATEMENT)], 0
    entries, kind = [], "income"
    for r, (code, label), _ in statement_rows(sheet, len(heads)):
        if text(code) == W["statement_note"]:
            continue
        entries.append((r, text(code), text(label).lstrip("　"), kind))
        if text(label) == W["statement_total_income"]:
            kind = "expenditure"
    lines = {line.code: line for line in lines_from_codes(
        [(code, label, k) for _, code, label, k in entries if code])}
    month = month_sums(ledger, list(lines.values()))
    out: list[Finding] = []
    checked = 0
    for j, who in enumerate((None, *branches)):
        m, y = 2 + 2 * j, 3 + 2 * j
        values: dict[int, tuple[Decimal, Decimal]] = {}  # row → (本月数, 本年累计数)
        tops: dict[str, list[int]] = {"income": [], "expenditure": []}
        totals: dict[str, int] = {}
        for r, code, label, k in entries:
            where = (file, sheet, r)
            if who in missing:
                out += compare((*where, m), label, None, MISSING_MARK, "text")
                out += compare((*where, y), label, None, MISSING_MARK, "text")
                continue
            checked += 2
            if code:
                line = lines[code]
                out += _line(where, label, line, pages, who, month, m, y, values)
                if not line.sub:
                    tops[k].append(r)
            else:
                out += _total(where, label, k, tops, totals, values, m, y)
    return out, checked


def _line(where: tuple, label: str, line: Line, pages: list[str], who: str | None,
          month: dict, m: int, y: int, values: dict) -> list[Finding]:
    sheet, r = where[1], where[2]
    this = month.get((line.code, who), ZERO)
    parsed = _YEAR.match(sheet.formula(r, y) or "")
    before = Decimal(parsed.group(1)) if parsed and parsed.group(1) else ZERO
    values[r] = (this, this + before)
    return [*compare((*where, m), label, month_formula(pages, line, who), this, "money"),
            *compare((*where, y), label, year_formula(a1(r, m), before), this + before,
                     "money")]


def _total(where: tuple, label: str, kind: str, tops: dict, totals: dict, values: dict,
           m: int, y: int) -> list[Finding]:
    """收入合计 / 支出合计 over the top accounts' cells, or 本期结余."""
    file, sheet, r = where
    out = []
    balance = label == W["statement_balance"]
    for c, part in ((m, 0), (y, 1)):
        if balance:
            income, spent = totals["income"], totals["expenditure"]
            formula = f"={a1(income, c)}-{a1(spent, c)}"
            value = values[income][part] - values[spent][part]
        else:
            formula = "=" + ("+".join(a1(t, c) for t in tops[kind]) or "0")
            value = sum((values[t][part] for t in tops[kind]), ZERO)
        out += compare((file, sheet, r, c), label, formula, value, "money")
        values.setdefault(r, (ZERO, ZERO))
        values[r] = (value, values[r][1]) if part == 0 else (values[r][0], value)
    if not balance:
        totals[kind] = r
    return out
