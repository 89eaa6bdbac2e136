"""统计年报: each branch's roster figures as references to 汇总, by kind of branch with 小计 and
合计, against an independent count of the sample's roster lines; 本年新入会 and 本年流出 over
two periods; verify recomputes the sheet and names an edit."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE
from tests.test_statement import INBOX
from toolkit.cli import cli
from toolkit.config import load_config
from toolkit.register import Register
from toolkit.verify import verify_workbook

CONFIG = str(SAMPLE / "federation.toml")
OUTFLOWS = ("转出", "退会", "除名")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stats")
    db, out = folder / "unionkit.db", folder / "2026-10.xlsx"
    with Register(db) as register:  # earlier months of the year, as the register keeps them
        for period, joins in (("2026-08", 3), ("2026-09", 4)):
            register.db.execute("INSERT INTO branch_periods VALUES (?, 'FH01', NULL, ?)",
                                (period, json.dumps({"joins": joins, "outflows": 1})))
    done = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG, "--out",
                                    str(out), "--register", str(db)])
    assert done.exit_code == 1, done.output
    return out


def _rows(path, values=True):
    ws = openpyxl.load_workbook(path, data_only=values)["统计年报"]
    return [[c.value for c in r] for r in ws.iter_rows(min_row=3) if r[1].value]


def _roster_counts(path) -> dict[str, dict[str, int]]:
    """branch → counts, from the workbook's 会员名册 detail lines (not its 小计 rows)."""
    ws = openpyxl.load_workbook(path, data_only=True)["会员名册"]
    heads = [c.value for c in ws[2]]
    col = {h: heads.index(h) for h in ("分会代码", "序号", "姓名", "性别", "是否农民工",
                                       "是否积极分子", "会籍变化类型")}
    out: dict[str, dict[str, int]] = {}
    for r in ws.iter_rows(min_row=3, values_only=True):
        code = r[col["分会代码"]]
        if not isinstance(r[col["姓名"]], str) or not str(code).startswith("FH"):
            continue  # a 小计 row counts under 姓名
        mine = out.setdefault(code, {"members": 0, "women": 0, "migrants": 0, "activists": 0})
        if r[col["会籍变化类型"]] in OUTFLOWS:
            continue
        mine["members"] += 1
        mine["women"] += r[col["性别"]] == "女"
        mine["migrants"] += r[col["是否农民工"]] == "是"
        mine["activists"] += r[col["是否积极分子"]] == "是"
    return out


def test_the_figures_equal_the_roster_lines_by_kind(made):
    rows = _rows(made)
    assert [r[1] for r in rows][-2] == "合计"
    counts = _roster_counts(made)
    kinds = {b.code: b.kind for b in load_config(CONFIG).branches}
    for row in rows:
        code = row[1]
        if str(code).startswith("FH"):
            assert row[0] == kinds[code]
            assert row[3:7] == [counts[code][k] for k in ("members", "women", "migrants",
                                                          "activists")], code
    for kind in set(kinds.values()):
        sub = next(r for r in rows if r[0] == kind and r[1] == "小计")
        assert sub[3] == sum(counts[c]["members"] for c, k in kinds.items() if k == kind)
    total = next(r for r in rows if r[1] == "合计")
    assert total[3] == sum(c["members"] for c in counts.values())
    summary = openpyxl.load_workbook(made, data_only=True)["汇总"]
    assert total[3] == next(r[4].value for r in summary.iter_rows(min_row=3)
                            if r[0].value == "合计")


def test_this_year_adds_the_earlier_periods(made):
    rows = {r[1]: r for r in _rows(made)}
    formulas = {r[1]: r for r in _rows(made, values=False)}
    summary = {r[0].value: r for r in openpyxl.load_workbook(made, data_only=True)["汇总"]
               .iter_rows(min_row=3)}
    assert rows["FH01"][7] == summary["FH01"][5].value + 7
    assert rows["FH01"][8] == summary["FH01"][6].value + 2
    assert formulas["FH01"][7] == "='汇总'!F3+7" and formulas["FH02"][7] == "='汇总'!F4"
    assert "2026-08、2026-09、2026-10" in next(r for r in _rows(made) if r[0] == "说明")[1]


def test_verify_recomputes_the_sheet_and_names_an_edit(made, tmp_path):
    config = load_config(CONFIG)
    assert verify_workbook(made, config).errors == 0
    book = openpyxl.load_workbook(made)
    ws = book["统计年报"]
    row = next(r for r in ws.iter_rows(min_row=3) if r[1].value == "FH02")
    row[3].value = "=200"       # a figure typed over
    row[2].value = "二车间"      # a name changed
    sub = next(r for r in ws.iter_rows(min_row=3) if r[1].value == "小计")
    sub[4].value = "=SUM(E3:E4)"  # a subtotal's range cut short
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    found = {(f.code, f.sheet, f.cell) for f in verify_workbook(edited, config).findings}
    assert ("verify_formula_wrong", "统计年报", row[3].coordinate) in found
    assert ("verify_cell_edited", "统计年报", row[2].coordinate) in found
    assert ("verify_formula_wrong", "统计年报", sub[4].coordinate) in found
