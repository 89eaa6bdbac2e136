"""Honest figures: every number in the workbook reconciles with every other, or says why not.

Each case is the sample inbox with one edit, asserting the figures a treasurer would read."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX, SAMPLE
from tests.fixtures import config
from toolkit.cli import cli
from toolkit.consolidate import consolidate
from toolkit.consolidate.formulas import ROSTER_COUNTS, SUMMARY_KEYS, summary_letter
from toolkit.consolidate.workbook import write_workbook
from toolkit.spec import load_spec
from toolkit.verify import verify_workbook

CONFIG = str(SAMPLE / "federation.toml")
LEDGER = "FH01_一车间分会_经费收支账_2026-10.xlsx"


def copied(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    return inbox


def retyped(path: Path, old: str, new: str) -> None:
    """The clerk's header cell holding ``old`` now says ``new``."""
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    cell = next(c for row in ws.iter_rows(max_row=6) for c in row if c.value == old)
    cell.value = new
    book.save(path)


def resaved(path: Path, old: str, new: str) -> None:
    """The workbook's sheet XML with ``old`` replaced, every cached value kept (as a program
    that keeps them would save it)."""
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    parts = {name: data.replace(old.encode(), new.encode(), 1)
             if name.startswith("xl/worksheets/") else data for name, data in parts.items()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def totals_row(ws) -> int:
    return next(c.row for c in ws["A"] if c.value == "合计")


def test_a_typod_branch_code_stays_out_of_every_total(tmp_path):
    inbox = copied(tmp_path)
    retyped(inbox / LEDGER, "FH01", "FH99")
    result = consolidate(inbox, config())
    refused = next(f for f in result.report.files if f.path == LEDGER)
    message = next(f for f in refused.findings if f.code == "branch_unknown").message("zh")
    assert "FH99" in message and "FH01（一车间分会）" in message
    assert refused in result.excluded and ("FH01", "ledger") not in result.chosen
    out = tmp_path / "w.xlsx"
    write_workbook(result, config(), out, {})
    book = openpyxl.load_workbook(out)
    detail = book["经费收支账"]
    assert "FH99" not in {c.value for c in detail["A"]}
    income = sum(Decimal(str(c.value)) for c in detail["G"][2:totals_row(detail) - 1]
                 if isinstance(c.value, (int, float)))
    fig = sum((s.income for s in result.summaries), Decimal(0))
    assert income == fig
    assert verify_workbook(out, config()).errors == 0


def test_detail_rows_of_a_branch_summary_does_not_hold_are_a_discrepancy(tmp_path):
    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    book = openpyxl.load_workbook(out)
    summary = book["汇总"]
    summary.delete_rows(3)  # FH01's row gone: its detail rows remain
    book.save(out)
    found = {(f.code, f.value) for f in verify_workbook(out, config()).findings}
    assert ("verify_branch_not_in_summary", "FH01") in found


def test_one_error_count_everywhere(tmp_path):
    """Terminal, 汇总's 错误数 and 问题清单 agree; the superseded file's errors are listed as
    已替代 and count nowhere."""
    out = tmp_path / "w.xlsx"
    result = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG,
                                      "--out", str(out), "--no-register"])
    said = int(re.search(r"错误 (\d+) 个", result.stdout).group(1))
    book = openpyxl.load_workbook(out)
    summary, listed = book["汇总"], book["问题清单"]
    errors = SUMMARY_KEYS.index("errors") + 1
    per_branch = [summary.cell(r, errors).value for r in range(3, totals_row(summary))]
    levels = [row[3].value for row in listed.iter_rows(min_row=2)]
    assert said == sum(per_branch) == levels.count("错误") == 13
    assert levels.count("已替代") == 1


def test_validate_counts_what_consolidate_counts(tmp_path):
    """validate on the inbox marks the file its （更正） replaces and leaves its errors out:
    the same 13 errors as consolidate, in text and in JSON."""
    args = ["validate", str(INBOX), "--config", CONFIG, "--no-register"]
    text = CliRunner().invoke(cli, args).output
    assert "文件 43 个，错误 13 个" in text
    old = "FH02_二车间分会_会费收缴_2026-10.xlsx"
    line = next(x for x in text.splitlines() if f" {old} " in x)
    assert "已替代，所用文件为 FH02_二车间分会_会费收缴_2026-10（更正）.xlsx" in line
    data = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert data["summary"]["errors"] == 13
    replaced = next(f for f in data["files"] if f["path"] == old)
    assert replaced["superseded_by"].endswith("（更正）.xlsx") and replaced["status"] == "errors"


def test_strict_looks_only_at_the_files_used(tmp_path):
    """The sample's only superseded file has an error; its （更正） file is clean, as is a
    note beside the reports: with every used file's errors removed, --strict writes."""
    inbox = copied(tmp_path)
    consolidation = consolidate(inbox, config())
    for f in consolidation.chosen.values():
        if f.errors:
            (inbox / f.path).unlink()
    (inbox / "说明.txt").write_text("十月报表，请查收", encoding="utf-8")
    out = tmp_path / "w.xlsx"
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--config", CONFIG,
                                      "--out", str(out), "--no-register", "--strict"])
    assert out.exists(), result.output
    again = consolidate(inbox, config())
    note = next(f for f in again.report.files if f.path == "说明.txt")
    assert [(f.code, f.severity) for f in note.findings] == [("file_ignored", "warning")]


@pytest.mark.parametrize("name", ["说明.txt", "扫描件.pdf"])
def test_a_file_that_is_not_a_spreadsheet_is_ignored_not_an_error(tmp_path, name):
    inbox = copied(tmp_path)
    (inbox / name).write_bytes(b"%PDF-1.4 not a table")
    result = consolidate(inbox, config())
    errors_before = consolidate(INBOX, config()).counts()[0]
    assert result.counts()[0] == errors_before


def vetoed(inbox: Path, code: str) -> None:
    """One 一票否决 item of a branch's 考核评分 answered 是."""
    path = next(inbox.glob(f"{code}_*_考核评分_*.xlsx"))
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    head = next(c for row in ws.iter_rows(max_row=10) for c in row
                if str(c.value or "").startswith("一票否决"))
    ws.cell(head.row + 1, head.column).value = "是"
    book.save(path)


def test_a_vetoed_branch_is_graded_last_and_ranked_after_every_other(tmp_path):
    from tests.test_consolidate import _assert_recalculates
    from toolkit.consolidate.recalc import soffice

    inbox = copied(tmp_path)
    top = max((s for s in consolidate(inbox, config()).summaries if s.score is not None),
              key=lambda s: s.score)
    vetoed(inbox, top.code)
    result = consolidate(inbox, config())
    assessed = [s for s in result.summaries if s.score is not None]
    branch = next(s for s in result.summaries if s.code == top.code)
    assert branch.grade == "不合格" and branch.rank == len(assessed)
    assert sorted(s.rank for s in assessed if s is not branch)[0] == 1
    out = tmp_path / "w.xlsx"
    write_workbook(result, config(), out, {})
    assert verify_workbook(out, config()).errors == 0
    if soffice() is not None:  # the IF/COUNTIFS rank recalculates to its cached value
        _assert_recalculates(out, tmp_path / "lo")


def test_one_typo_in_a_period_never_takes_the_period(tmp_path):
    inbox = copied(tmp_path)
    roster = inbox / "FH07_技术中心分会_会员名册_2026-10.xlsx"
    retyped(roster, "2026-10", "2027-10")
    result = consolidate(inbox, config())
    assert result.period == "2026-10" and len(result.chosen) == 41
    typo = next(f for f in result.report.files if f.path == roster.name)
    assert [(f.code, f.value) for f in typo.findings if f.code == "period_other"] == [
        ("period_other", "2027-10")]


@pytest.mark.parametrize("given", ["2026-10", "2026/10", "2026年10月", "202610"])
def test_period_is_accepted_as_a_clerk_writes_it(given):
    assert consolidate(INBOX, config(), given).period == "2026-10"


def test_a_period_the_inbox_lacks_lists_the_ones_it_has():
    from toolkit.errors import UsageError

    with pytest.raises(UsageError, match="收件箱中有：2026-10"):
        consolidate(INBOX, config(), "2026-09")


def test_audit_flags_carry_numbers_as_numbers(tmp_path):
    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    flags = openpyxl.load_workbook(out)["审计提示"]
    rows = [[c.value for c in row] for row in flags.iter_rows(min_row=2)]
    assert rows and all(isinstance(r[4], (int, float)) for r in rows if r[4] is not None)
    assert all(isinstance(r[2], int) for r in rows if r[2] not in (None, ""))
    assert verify_workbook(out, config()).errors == 0


def test_a_member_with_no_dues_line_is_a_warning_on_the_dues_file(tmp_path):
    inbox = copied(tmp_path)
    dues = inbox / "FH03_铸造车间分会_会费收缴_2026-10.xlsx"
    book = openpyxl.load_workbook(dues)
    ws = book.worksheets[0]
    head = next(c for row in ws.iter_rows(max_row=10) for c in row if c.value == "姓名")
    name = ws.cell(head.row + 1, head.column).value
    ws.delete_rows(head.row + 1)
    book.save(dues)
    report = next(f for f in consolidate(inbox, config()).report.files if f.path == dues.name)
    found = [f for f in report.findings if f.code == "members_without_dues"]
    assert len(found) == 1 and found[0].value == "1" and name in found[0].message("zh")


def test_a_missing_ledger_reads_as_missing_not_zero(tmp_path):
    """FH07 sent no ledger: its 期初/收入/支出/期末 show 未报送 (text, which 合计's SUM skips),
    the workbook verifies, and a number typed over the marker is a discrepancy."""
    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    summary = openpyxl.load_workbook(out)["汇总"]
    row = next(c.row for c in summary["A"] if c.value == "FH07")
    ledger = [f"{summary_letter(k)}{row}" for k in ("opening", "income", "expense", "closing")]
    assert [summary[cell].value for cell in ledger] == ["未报送"] * 4
    assert verify_workbook(out, config()).errors == 0
    book = openpyxl.load_workbook(out)
    book["汇总"][ledger[1]].value = 0
    book.save(out)
    found = {(f.code, f.cell) for f in verify_workbook(out, config()).findings}
    assert ("verify_value_wrong", ledger[1]) in found or ("verify_cell_edited", ledger[1]) in found


def test_the_totals_say_how_many_branches_they_cover(tmp_path):
    """FH07 sent no ledger: the row below 合计 says the ledger totals cover 9 of 10 branches;
    a note edited to claim 10/10 is a discrepancy."""
    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    summary = openpyxl.load_workbook(out)["汇总"]
    note = summary.cell(totals_row(summary) + 1, 2)
    assert summary.cell(note.row, 1).value == "说明"
    assert "会员名册 10/10，会费收缴 10/10，经费收支账 9/10" in note.value
    resaved(out, "经费收支账 9/10", "经费收支账 10/10")
    found = {(f.code, f.cell) for f in verify_workbook(out, config()).findings}
    assert ("verify_value_wrong", f"B{note.row}") in found


def test_a_total_that_does_not_tie_out_is_a_discrepancy(tmp_path):
    """汇总's 合计 of 实缴会费 shows a figure other than the sum of its branches (and so of the
    dues detail's 合计): verify names the cell."""
    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    summary = openpyxl.load_workbook(out)["汇总"]
    row, paid = totals_row(summary), summary_letter("dues_paid")
    total = f"<f>SUM({paid}3:{paid}{row - 1})</f>"
    resaved(out, f"{total}<v>46444.6</v>", f"{total}<v>46544.6</v>")
    found = {(f.code, f.cell) for f in verify_workbook(out, config()).findings}
    assert ("verify_value_wrong", f"{paid}{row}") in found


def test_one_file_under_two_names_is_one_submission(tmp_path):
    """FH01's ledger copied as 副本: the same content is not a duplicate (no error for either,
    no tie); the copy is listed as replaced by the first and counts nowhere."""
    inbox = copied(tmp_path)
    shutil.copy(inbox / LEDGER, inbox / f"副本 {LEDGER}")
    result = consolidate(inbox, config())
    assert "duplicate_submission" not in {f.code for f in result.report.findings()}
    assert result.chosen[("FH01", "ledger")].path == LEDGER
    assert [(old.path, new.path) for old, new in result.superseded
            if new.path == LEDGER] == [(f"副本 {LEDGER}", LEDGER)]
    assert result.counts() == consolidate(INBOX, config()).counts()


def test_a_yearly_assessment_is_expected_once_a_year(tmp_path):
    """FH01 sent its 2026 考核评分 in an earlier inbox the register saw: a later inbox without
    it does not list it as 未报送; FH03, which has not sent it this year, is still listed."""
    db, inbox, runner = tmp_path / "r.db", copied(tmp_path), CliRunner()

    def missing_after(name: str) -> set[tuple[str, str]]:
        out = tmp_path / name
        result = runner.invoke(cli, ["consolidate", str(inbox), "--config", CONFIG,
                                     "--out", str(out), "--register", str(db)])
        assert result.exit_code == 1, result.output
        assert verify_workbook(out, config()).errors == 0
        return {(r[0].value, r[3].value) for r in openpyxl.load_workbook(out)["未报送"].iter_rows(
            min_row=2) if r[0].value}

    (inbox / "FH03_铸造车间分会_考核评分_2026.xlsx").unlink()
    assert ("FH03", "考核评分") in missing_after("a.xlsx")
    (inbox / "FH01_一车间分会_考核评分_2026.xlsx").unlink()
    later = missing_after("b.xlsx")
    assert ("FH03", "考核评分") in later and ("FH01", "考核评分") not in later


def test_a_join_dated_outside_the_period_is_not_the_periods_join(tmp_path):
    """FH07's roster holds a 入会 dated 2025-03-12 in its 2026-10 roster: a warning at the
    date, and 汇总's 本期入会/转入 (formula and cached value) counts one fewer; LibreOffice
    recalculates the formula to the same figure."""
    from datetime import date

    from tests.test_consolidate import _assert_recalculates

    inbox = copied(tmp_path)
    roster = inbox / "FH07_技术中心分会_会员名册_2026-10.xlsx"
    book = openpyxl.load_workbook(roster)
    ws = book.worksheets[0]
    head = next(r for r in ws.iter_rows() if any(c.value == "会籍变化类型" for c in r))
    kind, when = (next(c.column for c in head if c.value == label)
                  for label in ("会籍变化类型", "会籍变化日期"))
    row = next(r[0].row for r in ws.iter_rows(min_row=head[0].row + 1)
               if r[kind - 1].value == "入会")
    ws.cell(row, when).value = date(2025, 3, 12)
    book.save(roster)
    before, after = consolidate(INBOX, config()), consolidate(inbox, config())
    fh07 = after.chosen[("FH07", "roster")]
    cell = f"{openpyxl.utils.get_column_letter(when)}{row}"
    assert ("change_outside_period", cell) in {(f.code, f.cell) for f in fh07.findings}
    joins = {s.code: s.joins for s in before.summaries}, {s.code: s.joins for s in after.summaries}
    assert joins[1]["FH07"] == joins[0]["FH07"] - 1
    out = tmp_path / "w.xlsx"
    write_workbook(after, config(), out, {"period": "2026-10"})
    assert verify_workbook(out, config()).errors == 0
    assert roster_subtotals(out)["FH07 小计"]["joins"] == joins[1]["FH07"]
    _assert_recalculates(out, tmp_path)


def roster_subtotals(path: Path) -> dict[str, dict[str, int]]:
    """The roster sheet's 小计 and 合计 rows: label → figure → cached count."""
    ws = openpyxl.load_workbook(path, data_only=True)["会员名册"]
    heads = [c.value for c in ws[2]]
    where = {figure: heads.index(load_spec("roster").column(column).label)
             for figure, column, _ in ROSTER_COUNTS}
    return {row[0]: {figure: row[c] for figure, c in where.items()}
            for row in ws.iter_rows(min_row=3, values_only=True)
            if row[0] and (row[0].endswith(" 小计") or row[0] == "合计")}


def test_the_roster_subtotals_count_members_joins_outflows_activists_women_and_migrants(
        tmp_path):
    """Each roster 小计 and the 合计 give the six figures, as COUNTIFS with cached values
    equal to 汇总's row for the branch (女会员 and 农民工会员 included) and to the 合计; an
    edited count is a discrepancy at its cell."""
    result = consolidate(INBOX, config())
    out = tmp_path / "w.xlsx"
    write_workbook(result, config(), out, {})
    found = roster_subtotals(out)
    figures = [figure for figure, _, _ in ROSTER_COUNTS]
    for s in result.summaries:
        assert found[f"{s.code} 小计"] == {f: getattr(s, f) for f in figures}
    assert found["合计"] == {f: sum(getattr(s, f) for s in result.summaries) for f in figures}
    assert found["合计"]["members"] == 1156 and found["合计"]["women"] == 341
    assert found["合计"]["migrants"] == 200
    summary = openpyxl.load_workbook(out, data_only=True)["汇总"]
    total = totals_row(summary)
    assert [summary[f"{summary_letter(k)}{total}"].value for k in ("women", "migrants")] \
        == [341, 200]
    ws = openpyxl.load_workbook(out)["会员名册"]
    row = next(c.row for c in ws["A"] if c.value == "FH01 小计")
    women = ws.cell(row, 4)
    assert women.value.startswith("=COUNTIFS(") and women.number_format == '"女会员 "0'
    assert verify_workbook(out, config()).errors == 0
    xml = escape(women.value[1:]) + "</f>"
    resaved(out, f"{xml}<v>30</v>", f"{xml}<v>31</v>")
    found = {(f.code, f.sheet, f.cell) for f in verify_workbook(out, config()).findings}
    assert ("verify_value_wrong", "会员名册", women.coordinate) in found


@pytest.mark.parametrize(("policy", "less"), [("cap", 2), ("exclude", 12), ("as_is", 0)])
def test_a_score_above_its_maximum_counts_as_the_policy_says(tmp_path, policy, less):
    """FH08 scored 12 on a 10-point item (an error on its file): 汇总 counts the item as 10
    (cap, the default), 0 (exclude) or 12 (as_is); the 说明 row names FH08 under cap and
    exclude, and the workbook verifies under each."""
    import dataclasses

    federation = dataclasses.replace(config(), over_max=policy)
    typed = {s.code: s.score for s in consolidate(INBOX, dataclasses.replace(
        config(), over_max="as_is")).summaries}
    result = consolidate(INBOX, federation)
    fh08 = next(s for s in result.summaries if s.code == "FH08")
    assert fh08.score == typed["FH08"] - less and fh08.over_max == 1
    out = tmp_path / "w.xlsx"
    write_workbook(result, federation, out, {})
    summary = openpyxl.load_workbook(out)["汇总"]
    note = summary.cell(totals_row(summary) + 1, 2).value
    assert ("FH08（1 项）" in note) is True
    assert verify_workbook(out, federation).errors == 0


def test_an_unknown_score_policy_is_refused(tmp_path):
    from toolkit.config import load_config
    from toolkit.errors import ConfigError

    path = tmp_path / "federation.toml"
    path.write_text('[assessment]\nover_max = "round"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="over_max"):
        load_config(path)


def test_remitted_dues_follow_the_share_the_federation_sets(tmp_path):
    """dues.remit_share = 0.3: each branch's 上缴会费 is ROUND(实缴会费 × 0.3, 2), in the
    cached value, the formula LibreOffice recalculates, 合计 and verify."""
    import dataclasses

    from tests.test_consolidate import _assert_recalculates
    from toolkit.money import round_fen

    federation = dataclasses.replace(config(), remit_share=Decimal("0.3"))
    result = consolidate(INBOX, federation)
    assert all(s.remitted == round_fen(s.dues_paid * Decimal("0.3")) for s in result.summaries)
    out = tmp_path / "w.xlsx"
    write_workbook(result, federation, out, {})
    summary = openpyxl.load_workbook(out, data_only=True)["汇总"]
    column = next(c.column for c in summary[2] if c.value == "上缴会费")
    total = summary.cell(totals_row(summary), column).value
    assert Decimal(str(total)) == sum(s.remitted for s in result.summaries) > 0
    assert verify_workbook(out, federation).errors == 0
    _assert_recalculates(out, tmp_path)


def test_an_opening_balance_must_equal_last_months_closing():
    from toolkit.consolidate import check_continuity

    result = consolidate(INBOX, config())
    ledger = result.chosen[("FH01", "ledger")]
    opening = ledger.header["opening"]
    before = result.summaries[0].errors
    check_continuity(result, {"FH01": {"2026-09": {"closing": f"{opening + 1:.2f}"}},
                              "FH02": {"2026-09": {"closing": None}}})
    found = [f for f in ledger.findings if f.code == "opening_differs"]
    assert len(found) == 1 and found[0].params == (("expected", f"{opening + 1:.2f}"),
                                                   ("period", "2026-09"))
    assert result.summaries[0].errors == before + 1


def test_a_template_not_sent_is_recorded_as_unknown_not_zero():
    fh07 = next(s for s in consolidate(INBOX, config()).summaries if s.code == "FH07")
    assert fh07.figures()["closing"] is None and fh07.figures()["members"] is not None


def test_a_month_without_dues_breaks_a_run_of_growing_arrears():
    from toolkit.audit import growing_arrears

    result = consolidate(INBOX, config())
    code = next(s.code for s in result.summaries if s.arrears > 0)
    history = {code: {"2026-07": {"arrears": "0.01"}, "2026-08": {"arrears": None},
                      "2026-09": {"arrears": "0.02"}}}
    flagged = {dict(f.params).get("branch") for f in growing_arrears(history, result)}
    assert code not in flagged
    history[code]["2026-08"]["arrears"] = "0.015"  # the same run, unbroken, is flagged
    assert code in {dict(f.params).get("branch") for f in growing_arrears(history, result)}


def test_welfare_caps_are_compared_with_the_years_spending_to_date(tmp_path):
    """FH02's 生日慰问 this month (6,202.76 for 178 members) is far under the 300 a year; with
    nine earlier months of this year recorded, the year to date passes it: one flag naming the
    months. A month of last year does not count, and FH10's 节日慰问, over the cap this month
    alone, keeps its own flag and gets no second."""
    from toolkit.audit import welfare_to_date
    from toolkit.register import Register

    result = consolidate(INBOX, config())
    with Register(tmp_path / "r.db") as register:
        register.record_consolidation(result, str(INBOX), {}, "w.xlsx", lambda: ("x", "y"))
        recorded = register.history_before("2026-11")["FH02"]["2026-10"]["welfare"]
    assert recorded == {"生日慰问": "6202.76"}
    earlier = {f"2026-{m:02d}": {"welfare": {"生日慰问": "6200.00"}} for m in range(1, 10)}
    history = {"FH02": {**earlier, "2025-12": {"welfare": {"生日慰问": "99999.00"}}},
               "FH10": {"2026-09": {"welfare": {"节日慰问": "1000.00"}}}}
    flags = welfare_to_date(history, result, config())
    assert [(dict(f.params)["branch"], dict(f.params)["kind"]) for f in flags] \
        == [("FH02", "生日慰问")]
    message = flags[0].message("zh")
    assert "本年累计生日慰问支出 62002.76（本期 6202.76，本年此前 9 个月 55800.00）" in message
    assert "人均 348.33，超过全年标准 300.00" in message
    assert welfare_to_date({"FH02": {"2025-12": {"welfare": {"生日慰问": "99999.00"}}}},
                           result, config()) == []
