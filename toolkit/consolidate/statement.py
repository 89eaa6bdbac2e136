"""收入支出表 (工会02表): every income and expenditure account of the chart in force, for the
federation and for each branch, 本月数 and 本年累计数, as live formulas over the ledger detail.

The writer and ``verify`` share what is here: the lines (an account with sub-accounts sums its
own lines and theirs), each cell's formula, and the same sums in Decimal. 本月数 is a SUMIFS
over the ledger pages; 本年累计数 adds to it the year's earlier periods as the register holds
them (a number in the formula, so the figure shows where it comes from); without earlier
periods it is 本月数, and a note under the table says which periods it covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .formulas import WORDS, detail_letters, quoted

STATEMENT = WORDS["statement"]
#: The ledger column each kind of account is summed from.
AMOUNT = {"income": "income", "expenditure": "expense"}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Line:
    """One account of the statement."""

    code: str
    name: str
    kind: str  # income or expenditure
    parent: bool = False  # has sub-accounts: sums its own lines and theirs
    sub: bool = False  # a sub-account (indented; not added again into the totals)

    def holds(self, code: str) -> bool:
        return code == self.code or (self.parent and code.startswith(self.code))


def statement_lines(accounts: Iterable[Any]) -> list[Line]:
    """The chart's income accounts, then its expenditure accounts, each top account followed
    by its sub-accounts, in code order."""
    accounts = [a for a in accounts if a.kind in AMOUNT]
    out = []
    for kind in AMOUNT:
        tops = sorted((a for a in accounts if a.kind == kind and not a.parent),
                      key=lambda a: a.code)
        for top in tops:
            subs = sorted((a for a in accounts if a.parent == top.code), key=lambda a: a.code)
            out.append(Line(top.code, top.name, kind, parent=bool(subs)))
            out += [Line(a.code, a.name, kind, sub=True) for a in subs]
    return out


def lines_from_codes(rows: Sequence[tuple[str, str, str]]) -> list[Line]:
    """The lines as a statement sheet lists them — (code, name, kind) — for verify, which
    reads the chart from the sheet itself."""
    codes = [code for code, _, _ in rows]
    return [Line(code, name, kind, parent=any(c != code and c.startswith(code) for c in codes),
                 sub=any(c != code and code.startswith(c) for c in codes))
            for code, name, kind in rows]


def month_formula(pages: Sequence[str], line: Line, branch: str | None) -> str:
    """本月数 of ``line`` (of one branch, or the federation's when ``branch`` is None)."""
    letters = detail_letters("ledger")
    amount, code = letters[AMOUNT[line.kind]], letters["account_code"]
    criterion = f'"{line.code}*"' if line.parent else f'"{line.code}"'
    terms = []
    for page in pages:
        q = quoted(page)
        where = f",{q}!$A:$A,\"{branch}\"" if branch is not None else ""
        terms.append(f"SUMIFS({q}!${amount}:${amount},{q}!${code}:${code},{criterion}{where})")
    return "=" + ("+".join(terms) or "0")


def month_sums(ledger: Iterable[dict[str, Any]], lines: Sequence[Line]) -> dict:
    """(line code, branch) → 本月数 in Decimal, and (line code, None) for the federation."""
    out: dict[tuple[str, str | None], Decimal] = {}
    for row in ledger:
        code = str(row.get("account_code") or "")
        if not code:
            continue
        for line in lines:
            amount = row.get(AMOUNT[line.kind])
            if isinstance(amount, Decimal) and line.holds(code):
                for who in (row.get("branch"), None):
                    out[(line.code, who)] = out.get((line.code, who), ZERO) + amount
    return out


def earlier_sums(history: dict[str, dict[str, dict]], period: str,
                 lines: Sequence[Line]) -> tuple[dict, list[str]]:
    """The year's earlier periods from the register: ((line code, branch) → sum, and for
    the federation), and which periods those are."""
    out: dict[tuple[str, str | None], Decimal] = {}
    periods: set[str] = set()
    for branch, by_period in history.items():
        for p, figures in by_period.items():
            if p[:4] != period[:4] or p >= period or not (figures or {}).get("accounts"):
                continue
            periods.add(p)
            for code, amount in figures["accounts"].items():
                for line in lines:
                    if line.holds(code):
                        for who in (branch, None):
                            out[(line.code, who)] = out.get((line.code, who), ZERO) + \
                                Decimal(amount)
    return out, sorted(periods)


def year_formula(month_cell: str, earlier: Decimal) -> str:
    """本年累计数: 本月数 plus the year's earlier periods (a number: they are not in this
    workbook)."""
    return f"={month_cell}+{earlier:.2f}" if earlier else f"={month_cell}"


def account_amounts(ledger: Iterable[dict[str, Any]], accounts: dict[str, Any]) -> dict:
    """branch → account code → amount of this period (income for an income account,
    expenditure for an expenditure one): what the register keeps for next month's 本年累计数."""
    out: dict[str, dict[str, Decimal]] = {}
    for row in ledger:
        account = accounts.get(str(row.get("account_code") or ""))
        if account is None or account.kind not in AMOUNT:
            continue
        amount = row.get(AMOUNT[account.kind])
        if isinstance(amount, Decimal):
            by_code = out.setdefault(row.get("branch"), {})
            by_code[account.code] = by_code.get(account.code, ZERO) + amount
    return out


def statement_heads(branches: Sequence[str]) -> list[str]:
    """科目编码, 项目, then 本月数 and 本年累计数 of the federation and of each branch."""
    from ..messages import say

    heads = [WORDS["statement_code"], WORDS["statement_item"]]
    for who in (WORDS["statement_all"], *branches):
        heads += [say("workbook.statement_month", "zh", who=who),
                  say("workbook.statement_year", "zh", who=who)]
    return heads


@dataclass(frozen=True)
class Row:
    """A row of the statement: an account's line, a kind's total, or the balance."""

    line: Line | None = None
    total: str | None = None  # income or expenditure
    balance: bool = False

    @property
    def label(self) -> str:
        if self.line is not None:
            return ("　" if self.line.sub else "") + self.line.name
        return WORDS["statement_balance"] if self.balance else \
            WORDS[f"statement_total_{self.total}"]


def statement_rows(lines: Sequence[Line]) -> list[Row]:
    """The statement's rows in order: the income lines and their total, the expenditure lines
    and theirs, then 本期结余."""
    out = []
    for kind in AMOUNT:
        out += [Row(line) for line in lines if line.kind == kind]
        out.append(Row(total=kind))
    return [*out, Row(balance=True)]
