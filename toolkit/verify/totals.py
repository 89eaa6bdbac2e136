"""Arithmetic: every 汇总 figure recomputed in Decimal from the detail rows (the subtotals are
checked as the detail pages are scanned, :mod:`.scan`), and the comparison they share.

Each derived cell must hold the formula the writer's own builders give for the workbook's layout
(compared by meaning, so a LibreOffice or Excel re-save still passes), and its cached value must
equal the figure recomputed here from the detail rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..consolidate.formulas import (
    ABSENT_MARK,
    COVERAGE_LABEL,
    FIRST_DATA_ROW,
    MISSING_MARK,
    SUMMARY_KEYS,
    SUMMARY_VALUES,
    Parameters,
    SummaryFormulas,
    coverage_note,
    normalize_formula,
    rank_of,
    summary_columns,
    summary_keys,
    summary_kinds,
    template_figures,
    totalled,
)
from ..consolidate.formulas import WORDS as W
from ..findings import Finding, finding
from ..layout import a1
from ..money import round_fen
from ..spec import load_spec
from .layout import number, text
from .reader import SheetData

FEN = Decimal("0.01")


def compare(where: tuple[str, SheetData, int, int], label: str, formula: str | None,
             expected: Any, kind: str) -> list[Finding]:
    """A derived cell against its expected formula and value."""
    file, sheet, r, c = where
    cell, found = a1(r, c), sheet.value(r, c)
    actual = sheet.formula(r, c)
    out = []
    if formula is not None:
        if actual is None:
            if found is not None:
                out.append(finding("verify_not_formula", file, sheet.name, cell, None,
                                   _shown(found), label=label))
        elif normalize_formula(actual) != normalize_formula(formula):
            out.append(finding("verify_formula_wrong", file, sheet.name, cell, None, actual,
                               label=label, expected=formula))
    if actual is not None and found is None:
        return out  # never calculated (saved by openpyxl): reported once for the workbook
    if expected is not None and not _same(found, expected, kind):
        out.append(finding("verify_value_wrong", file, sheet.name, cell, None, _shown(found),
                           label=label, expected=_shown(expected)))
    return out


def _same(found: Any, expected: Any, kind: str) -> bool:
    if kind == "text":
        return text(found) == text(expected)
    if kind == "pct":
        value = number(found)
        return value is not None and abs(value - Decimal(str(expected))) < Decimal("1e-9")
    value = number(found)
    return value is not None and value.quantize(FEN) == Decimal(expected).quantize(FEN)


def _shown(value: Any) -> str:
    n = number(value)
    return text(value) if n is None else format(n.normalize(), "f")


def branch_rows(sheet: SheetData | None) -> list[int]:
    """汇总's branch rows (0-based): from the first data row to the 合计 row or a blank."""
    rows, r = [], FIRST_DATA_ROW
    while sheet is not None and r < len(sheet.rows) and sheet.value(r, 0) is not None \
            and text(sheet.value(r, 0)) != W["total"]:
        rows.append(r)
        r += 1
    return rows


def check_summary(file: str, sheet: SheetData, figures: dict[str, dict[str, Any]],
                  pages: dict[str, list[str]], params: Parameters,
                  missing: set[tuple[str, str]] = frozenset(),
                  period: str | None = None,
                  sent: set[tuple[str, str]] | None = None) -> tuple[list[Finding], int]:
    """Every derived 汇总 cell and the totals row, against the figures the detail scan
    recomputed (``figures``: branch → figures; ``pages``: template → detail page names). A
    figure of a template the branch did not send (``missing``: (branch, template), from 未报送)
    must show 未报送, not a number or a formula; one of a template the branch need not send
    and did not (not in ``sent``, from 来源清单), 本期未报."""
    rows = branch_rows(sheet)
    total_row = rows[-1] + 1 if rows else FIRST_DATA_ROW
    named = dict(params.titles)
    pages = {t: names or [named.get(t) or load_spec(t).title] for t, names in pages.items()}
    formulas = SummaryFormulas(pages, params, len(rows), period)
    extra = tuple(m for m in params.measures if m.template in pages)
    keys, kinds, figured = summary_keys(extra), summary_kinds(extra), template_figures(extra)
    expected_rows = [_expected(sheet, r, figures.get(text(sheet.value(r, 0)), {}), params)
                     for r in rows]
    optional = {m.template for m in extra if not load_spec(m.template).demanded}
    marked = [{key: MISSING_MARK if (code, t) in missing else ABSENT_MARK
               for t, tkeys in figured.items() for key in tkeys
               if (code, t) in missing or (t in optional and (code, t) not in (sent or set()))}
              for code in (text(sheet.value(r, 0)) for r in rows)]
    field = [(e["score"], e["vetoes"] > 0) for e in expected_rows if e.get("score") is not None]
    out, checked = [], 0
    labels = {key: label for key, label, _ in summary_columns(extra)}
    for r, expected, unsent in zip(rows, expected_rows, marked, strict=True):
        code = text(sheet.value(r, 0))
        expected.update({m.key: figures.get(code, {}).get(m.key, 0) for m in extra})
        if expected.get("score") is not None:
            expected["rank"] = rank_of(expected["score"], expected["vetoes"] > 0, field)
        for key, mark in unsent.items():
            out += _marked((file, sheet, r, keys.index(key)), labels[key], mark)
            checked += 1
            expected[key] = Decimal(0)  # what SUM counts of it
        for key in keys:
            if key not in expected or key in unsent:
                continue
            formula = formulas.formula(key, r + 1)
            c = keys.index(key)
            out += compare((file, sheet, r, c), labels[key], formula, expected[key], kinds[key])
            checked += 1
    r = total_row
    if r < len(sheet.rows) and text(sheet.value(r, 0)) == W["total"]:
        for key in totalled(extra):
            c = keys.index(key)
            if key in SUMMARY_VALUES:  # typed cells (their rows are checked): what they show
                total = sum((number(sheet.value(x, c)) or Decimal(0) for x in rows), Decimal(0))
            else:  # derived cells: what they should show
                total = sum((Decimal(e.get(key, 0)) for e in expected_rows), Decimal(0))
            out += compare((file, sheet, r, c), f"{W['total']}·{labels[key]}", formulas.total(key),
                            total, "money")
            checked += 1
        codes = [text(sheet.value(x, 0)) for x in rows]
        counts = {t: sum((b, t) not in missing and not (t in optional and (b, t) not in (
            sent or set())) for b in codes) for t in figured}
        out += compare((file, sheet, r + 1, 0), COVERAGE_LABEL, None, COVERAGE_LABEL, "text")
        over = [(code, int(figures[code]["over_max"])) for code in
                (text(sheet.value(x, 0)) for x in rows) if figures.get(code, {}).get("over_max")]
        out += compare((file, sheet, r + 1, 1), COVERAGE_LABEL, None,
                       coverage_note(counts, len(rows), over, params.over_max, named), "text")
    return out + _outside(file, sheet, rows, expected_rows, len(keys), totalled(extra)), checked


def _marked(where: tuple[str, SheetData, int, int], label: str, mark: str) -> list[Finding]:
    """A figure of a template the branch did not send: the text 未报送 (or 本期未报), never a
    formula."""
    file, sheet, r, c = where
    if sheet.formula(r, c) is not None:
        return [finding("verify_formula_wrong", file, sheet.name, a1(r, c), None,
                        sheet.formula(r, c), label=label, expected=mark)]
    return compare(where, label, None, mark, "text")


def _outside(file: str, sheet: SheetData, rows: list[int], expected: list[dict], check_col: int,
             summed: tuple[str, ...]) -> list[Finding]:
    """Cells of 汇总 unionkit never writes: beside the title, right of 行校验, the assessment
    columns of a branch that sent no 考核评分, the totals row's untotalled columns, the
    coverage row's others, and any row below it. A figure there is what an auditor would read
    as part of the table."""
    total_row = rows[-1] + 1 if rows else FIRST_DATA_ROW
    with_total = {0, *range(len(SUMMARY_KEYS), check_col),
                  *(SUMMARY_KEYS.index(k) for k in summed if k in SUMMARY_KEYS)}
    unassessed = {SUMMARY_KEYS.index(k) for k in ("score", "vetoes", "grade", "rank")}
    blank = dict(zip(rows, (e.get("score") is None for e in expected), strict=True))
    out = []
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if value in (None, "") or (r == 0 and c == 0):
                continue
            if r == 0 or c > check_col or r > total_row + 1 \
                    or (r == total_row and c not in with_total) \
                    or (r == total_row + 1 and c > 1) \
                    or (blank.get(r) and c in unassessed):
                out.append(finding("verify_cell_outside", file, sheet.name, a1(r, c), None,
                                   text(value)))
    return out


def _expected(sheet: SheetData, r: int, fig: dict[str, Any], params: Parameters) -> dict:
    """One branch's derived figures (formula columns only), recomputed."""
    def typed(key: str) -> Decimal:
        return number(sheet.value(r, SUMMARY_KEYS.index(key))) or Decimal(0)
    members, activists = int(fig.get("members", 0)), int(fig.get("activists", 0))
    fund = round_fen(typed("payroll") * params.fund_rate)
    upper = round_fen(fund * params.upper_share)
    due, paid = fig.get("dues_due", Decimal(0)), fig.get("dues_paid", Decimal(0))
    income, expense = fig.get("income", Decimal(0)), fig.get("expense", Decimal(0))
    out: dict[str, Any] = {
        "members": members, "joins": int(fig.get("joins", 0)),
        "outflows": int(fig.get("outflows", 0)), "activists": activists,
        "women": int(fig.get("women", 0)), "migrants": int(fig.get("migrants", 0)),
        "share": activists / members if members else 0,  # a ratio, compared approximately
        "dues_due": due, "dues_paid": paid, "arrears": due - paid,
        "remitted": round_fen(paid * params.remit_share), "fund": fund,
        "fund_upper": upper, "fund_kept": fund - upper, "income": income, "expense": expense,
        "closing": typed("opening") + income - expense}
    if fig.get("assessed"):
        score, vetoes = fig.get("score", Decimal(0)), int(fig.get("vetoes", 0))
        grade = params.grades[-1][1] if vetoes else next(
            name for low, name in params.grades if score >= low)
        out.update(score=score, vetoes=vetoes, grade=grade)
    return out
