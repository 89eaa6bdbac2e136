"""收入支出表 (工会02表): its figures against an independent Decimal sum of the sample's ledger
lines per account; 本年累计数 over two periods; verify recomputes it and names an edit."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX, SAMPLE
from toolkit.cli import cli
from toolkit.register import Register

CONFIG = str(SAMPLE / "federation.toml")


def _independent() -> dict[tuple[str, str], Decimal]:
    """(branch, account code) → amount of every ledger line of the sample, read with
    python-calamine alone (收入 for 4xx accounts, 支出 for 5xx), the superseded file and the
    branch that sent none aside (the sample has neither among its ledgers)."""
    import python_calamine

    out: dict[tuple[str, str], Decimal] = {}
    for path in sorted(INBOX.glob("FH*_经费收支账_*.xlsx")):
        branch = path.name[:4]
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
        head = next(i for i, r in enumerate(rows) if "摘要" in [str(v).strip() for v in r])
        cols = {str(v).strip(): j for j, v in enumerate(rows[head])}
        code_col = next(cols[k] for k in ("科目编码", "科目代码", "会计科目编码") if k in cols)
        for r in rows[head + 1:]:
            code = str(r[code_col]).strip() if code_col < len(r) else ""
            if not re.fullmatch(r"[45]\d{2,4}", code):
                continue
            names = ("收入金额", "收入", "收入(元)") if code.startswith("4") else \
                ("支出金额", "支出", "支出(元)")
            amount = r[next(cols[k] for k in names if k in cols)]
            try:
                value = Decimal(str(amount).replace(",", ""))
            except ArithmeticError:
                continue
            out[(branch, code)] = out.get((branch, code), Decimal(0)) + value
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("statement")
    db, out = folder / "unionkit.db", folder / "2026-10.xlsx"
    with Register(db) as register:  # an earlier month of the year, as the register keeps it
        register.db.execute("INSERT INTO branch_periods VALUES ('2026-09', 'FH01', NULL, ?)",
                            (json.dumps({"accounts": {"401": "100.00", "50101": "20.50"}}),))
    done = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG, "--out",
                                    str(out), "--register", str(db)])
    assert done.exit_code == 1, done.output
    return out, db


def _table(path, values=True):
    ws = openpyxl.load_workbook(path, data_only=values)["收入支出表"]
    heads = [c.value for c in ws[2]]
    rows = {(r[0].value or r[1].value): [c.value for c in r] for r in ws.iter_rows(min_row=3)}
    return heads, rows


def test_the_figures_equal_the_ledger_lines_per_account(made):
    heads, rows = _table(made[0])
    lines = _independent()
    assert heads[:4] == ["科目编码", "项目", "全会 本月数", "全会 本年累计数"]
    fh01 = heads.index("FH01 本月数")
    for code in ("401", "402", "50101", "50102", "50204"):
        total = sum((v for (b, c), v in lines.items() if c == code), Decimal(0))
        assert Decimal(str(rows[code][2])).quantize(Decimal("0.01")) == total, code
        mine = sum((v for (b, c), v in lines.items() if c == code and b == "FH01"), Decimal(0))
        assert Decimal(str(rows[code][fh01])).quantize(Decimal("0.01")) == mine, code
    parent = sum((v for (b, c), v in lines.items() if c.startswith("501")), Decimal(0))
    assert Decimal(str(rows["501"][2])).quantize(Decimal("0.01")) == parent  # with its subs
    income = sum((v for (b, c), v in lines.items() if c.startswith("4")), Decimal(0))
    assert Decimal(str(rows["收入合计"][2])).quantize(Decimal("0.01")) == income
    fh07 = heads.index("FH07 本月数")  # sent no ledger: missing, not 0
    assert rows["401"][fh07] == "未报送" and rows["收入合计"][fh07] == "未报送"


def test_year_to_date_adds_the_earlier_periods_of_the_year(made):
    heads, rows = _table(made[0])
    _, formulas = _table(made[0], values=False)
    ytd = heads.index("FH01 本年累计数")
    assert Decimal(str(rows["401"][ytd])) == Decimal(str(rows["401"][ytd - 1])) + 100
    assert Decimal(str(rows["501"][ytd])) == Decimal(str(rows["501"][ytd - 1])) + Decimal("20.50")
    assert Decimal(str(rows["401"][3])) == Decimal(str(rows["401"][2])) + 100  # the federation
    assert formulas["401"][ytd].endswith("+100.00")
    assert "2026-09、2026-10" in rows["说明"][1]
    with Register(made[1]) as register:  # and next month's year to date will have this one
        kept = json.loads(register.db.execute(
            "SELECT figures FROM branch_periods WHERE period = '2026-10' AND branch = 'FH01'"
        ).fetchone()[0])
    assert kept["accounts"]["401"] == f"{Decimal(str(rows['401'][ytd - 1])):.2f}"


def test_verify_recomputes_the_statement_and_names_an_edit(made, tmp_path):
    from toolkit.config import load_config
    from toolkit.verify import verify_workbook

    config = load_config(CONFIG)
    assert verify_workbook(made[0], config).errors == 0
    book = openpyxl.load_workbook(made[0])
    ws = book["收入支出表"]
    row = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "402")
    row[2].value = "=1234.56"  # a figure typed over
    row[1].value = "拨缴经费"   # an item renamed
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    found = {(f.code, f.sheet, f.cell) for f in verify_workbook(edited, config).findings}
    assert ("verify_formula_wrong", "收入支出表", row[2].coordinate) in found
    assert ("verify_cell_edited", "收入支出表", row[1].coordinate) in found
