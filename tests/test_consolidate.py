"""Consolidation of the sample inbox: decisions, figures, formulas, reproducibility, safety."""

from __future__ import annotations

import hashlib
import json
import os
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from tests.conftest import INBOX, ROOT, SAMPLE
from tests.workbooks import assert_workbook_equal
from toolkit.cli import cli
from toolkit.consolidate import consolidate
from toolkit.consolidate.formulas import summary_letter
from toolkit.consolidate.recalc import recalculate, soffice
from toolkit.consolidate.workbook import summary_json, write_workbook
from toolkit.validate import validate_file

needs_soffice = pytest.mark.skipif(soffice() is None and os.environ.get("CI") != "true",
                                   reason="LibreOffice not installed (CI installs it)")


@pytest.fixture(scope="module")
def result(sample_config):
    return consolidate(INBOX, sample_config)


@pytest.fixture(scope="module")
def workbook(result, sample_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "w.xlsx"
    write_workbook(result, sample_config, out, {})
    return out


def test_decisions(result):
    assert result.period == "2026-10"
    assert [(old.path, new.path) for old, new in result.superseded] == [
        ("FH02_二车间分会_会费收缴_2026-10.xlsx", "FH02_二车间分会_会费收缴_2026-10（更正）.xlsx")]
    assert [(b.code, t) for b, t in result.missing] == [("FH07", "ledger")]
    assert len(result.chosen) == 42 and result.excluded == []


def test_summary_equals_the_branch_inputs(result, sample_config):
    """Totals recomputed independently from the chosen files' rows (validated again: the
    consolidation keeps only a ledger's rows)."""
    for s in result.summaries:
        dues = result.chosen[(s.code, "dues")]
        assert dues.records == []
        records = validate_file(dues.source, sample_config).records
        assert s.dues_due == sum(r.get("dues_due") for r in records)
        assert s.dues_paid == sum(r.get("dues_paid") for r in records)
        assert s.fund_kept + s.fund_upper == s.fund == (s.payroll * Decimal("0.02")).quantize(
            Decimal("0.01"))
    fh04 = next(s for s in result.summaries if s.code == "FH04")
    assert fh04.arrears == Decimal("5.00")
    assert [s.rank for s in result.summaries if s.code == "FH04"] == [1]


def test_the_samples_audit_cases_are_flagged(result):
    from toolkit.config import load_config
    from toolkit.sample import build_sample

    expected = {(p.code, p.file) for p in build_sample(load_config()).audited}
    assert len(expected) == 5
    assert expected <= {(f.code, f.file) for f in result.audit}


def test_json_money_is_text(result):
    data = summary_json(result, "0" * 64)
    fh01 = data["branches"][0]
    assert isinstance(fh01["dues_due"], str) and fh01["dues_due"].count(".") == 1
    assert data["missing"] == [{"branch_code": "FH07", "template": "ledger"}]
    assert len(data["data_digest"]) == 64


def test_workbook_sheets_formulas_and_text(workbook):
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["汇总", "收入支出表", "统计年报", "会员名册", "会费收缴",
                               "经费收支账", "考核评分", "困难职工档案", "问题清单", "审计提示",
                               "未报送", "趋势", "来源清单"]
    summary = book["汇总"]
    due = summary_letter("dues_due")
    assert summary[f"{due}3"].value.startswith("=SUMIFS('会费收缴'!$F:$F")
    total_row = next(c for c in summary["A"] if c.value == "合计").row
    assert summary[f"{due}{total_row}"].value == f"=SUM({due}3:{due}{total_row - 1})"
    notes = {c.value for c in book["会员名册"]["Y"]}  # 备注, after the 实名制 columns
    assert "-已调岗，待办转出" in notes  # a clerk's leading '-' stays text
    dues = book["会费收缴"]
    assert dues.cell(dues.max_row, 1).value == "合计"
    assert dues.cell(dues.max_row, 5).value.startswith("=SUBTOTAL(9,E3:E")


def test_reproducible_bytes(result, sample_config, tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(result, sample_config, a, {})
    write_workbook(consolidate(INBOX, sample_config), sample_config, b, {})
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


@needs_soffice
def test_libreoffice_recalculates_to_the_cached_values(workbook, tmp_path):
    _assert_recalculates(workbook, tmp_path)


def _assert_recalculates(workbook, tmp_path, at_least=200):
    recalculated = recalculate(workbook, tmp_path)
    cached = openpyxl.load_workbook(workbook, data_only=True)
    fresh = openpyxl.load_workbook(recalculated, data_only=True)
    formulas = 0
    for ws in openpyxl.load_workbook(workbook).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    formulas += 1
                    ours = cached[ws.title][cell.coordinate].value or 0
                    theirs = fresh[ws.title][cell.coordinate].value or 0
                    assert ours == pytest.approx(theirs, abs=1e-9), (ws.title, cell.coordinate)
    assert formulas > at_least


GOLDEN = ROOT / "tests" / "golden" / "sample_2026-10.xlsx"


def test_golden_workbook(workbook):
    """The sample's workbook, cell by cell (values, formulas, cached values). After a deliberate
    change, refresh with UNIONKIT_UPDATE_GOLDEN=1 and review the diff of the cells."""
    if os.environ.get("UNIONKIT_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(workbook.read_bytes())
    assert_workbook_equal(workbook, GOLDEN)


@pytest.fixture(scope="module")
def paged(result, sample_config, tmp_path_factory):
    """The sample written with a 40-row sheet limit, so every detail sheet continues."""
    out = tmp_path_factory.mktemp("paged") / "paged.xlsx"
    write_workbook(result, sample_config, out, {}, max_rows=40)
    return out


def test_continuation_sheets_keep_every_row_and_total(paged, workbook, result):
    book = openpyxl.load_workbook(paged)
    pages = [n for n in book.sheetnames if n.startswith("会员名册")]
    assert pages[:3] == ["会员名册", "会员名册(2)", "会员名册(3)"] and len(pages) > 20
    assert all(book[n].max_row <= 40 for n in pages)
    rows = sum(1 for n in pages for r in book[n].iter_rows(min_row=3, max_col=1, values_only=True)
               if r[0] and r[0].startswith("FH") and " " not in r[0])
    assert rows == sum(f.rows for (_, t), f in result.chosen.items() if t == "roster")
    dues = [n for n in book.sheetnames if n.startswith("会费收缴")]
    total = next(r for r in book[dues[-1]].iter_rows() if r[0].value == "合计")
    assert total[4].value.startswith("=SUBTOTAL(9,'会费收缴'!E3:E40,'会费收缴(2)'!E3:E40,")
    summary = openpyxl.load_workbook(paged, data_only=True)["汇总"]
    plain = openpyxl.load_workbook(workbook, data_only=True)["汇总"]
    assert [[c.value for c in r] for r in summary.iter_rows(max_col=26)] == \
        [[c.value for c in r] for r in plain.iter_rows(max_col=26)]


@needs_soffice
def test_libreoffice_recalculates_continuations(paged, tmp_path):
    _assert_recalculates(paged, tmp_path)


@needs_soffice
def test_recalculation_really_recalculates(tmp_path):
    book = xlsxwriter.Workbook(tmp_path / "wrong.xlsx")
    book.add_worksheet().write_formula("A1", "=1+1", None, 5)
    book.close()
    fresh = openpyxl.load_workbook(recalculate(tmp_path / "wrong.xlsx", tmp_path / "r"),
                                   data_only=True)
    assert fresh.active["A1"].value == 2


def _run(*args):
    return CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config",
                                    str(SAMPLE / "federation.toml"), *args])


def test_cli_writes_workbook_and_json_and_leaves_inputs(tmp_path):
    before = {p: p.read_bytes() for p in INBOX.iterdir()}
    result = _run("--out", str(tmp_path / "o.xlsx"), "--json", str(tmp_path / "o.json"))
    assert result.exit_code == 1  # the sample has errors
    assert (tmp_path / "o.xlsx").exists()
    assert json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["period"] == "2026-10"
    assert before == {p: p.read_bytes() for p in INBOX.iterdir()}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_strict_writes_nothing(tmp_path):
    result = _run("--out", str(tmp_path / "o.xlsx"), "--strict")
    assert result.exit_code == 1 and not (tmp_path / "o.xlsx").exists()


def test_cli_cannot_run(tmp_path):
    assert _run("--out", str(tmp_path / "o.xlsx"), "--period", "2020-01").exit_code == 2
    missing = CliRunner().invoke(cli, ["consolidate", str(tmp_path / "none"), "--out", "x.xlsx"])
    assert missing.exit_code == 2


def test_equal_dates_are_a_tie(tmp_path, sample_config):
    import shutil

    for name in ("FH02_二车间分会_会费收缴_2026-10.xlsx", "FH02_二车间分会_会员名册_2026-10.xlsx"):
        shutil.copy(INBOX / name, tmp_path / name)
    copy = tmp_path / "copy.xlsx"  # another version (one 备注 more), the same 填报日期
    book = openpyxl.load_workbook(INBOX / "FH02_二车间分会_会费收缴_2026-10.xlsx")
    book.worksheets[0].cell(1, 30).value = "另一版本"
    book.save(copy)
    result = consolidate(tmp_path, sample_config)
    codes = [f.code for f in result.report.findings() if f.code == "duplicate_submission"]
    assert len(codes) == 2
