"""A federation's own template from a spec file alone (issue #18): the worked example of
docs/templates.md, as written there, in a federation's ``specs/`` folder — its blank workbook,
a clerk's copy with planted mistakes found at their cells, its detail sheet and 汇总 columns
(recalculated by LibreOffice to the cached values), ``verify``, and no 未报送 for an optional
template; a built-in template replaced from the folder; a broken spec named by file and line."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from toolkit.cli import cli
from toolkit.config import load_config
from toolkit.consolidate import consolidate
from toolkit.consolidate.recalc import soffice
from toolkit.errors import ConfigError
from toolkit.ids import make_resident_id
from toolkit.layout import a1
from toolkit.sample.federation import FilePlan
from toolkit.spec import activate, load_spec
from toolkit.templates import write_template

DOCS = ROOT / "docs" / "templates.md"
def _id(born: date, sequence: int) -> str:
    return make_resident_id("110105", born, sequence)


IDS = {"FH01": _id(date(1990, 3, 7), 1), "FH02": _id(date(1988, 5, 12), 2)}


def _docs_spec() -> str:
    """The worked example's spec, as docs/templates.md shows it."""
    text = DOCS.read_text("utf-8")
    return next(block for block in re.findall(r"```toml\n(.*?)```", text, re.S)
                if "specs/warmth.toml" in block)


def _federation(folder: Path, spec: str = "") -> Path:
    (folder / "specs").mkdir(parents=True)
    (folder / "specs" / "warmth.toml").write_text(spec or _docs_spec(), "utf-8")
    config = folder / "federation.toml"
    config.write_text('[federation]\nname = "测试总工会"\n\n[templates]\ndirs = ["specs"]\n\n'
                      '[aid]\ncap = "1000.00"\n\n'
                      '[[branches]]\ncode = "FH01"\nname = "一车间分会"\nkind = "厂分会"\n\n'
                      '[[branches]]\ncode = "FH02"\nname = "二车间分会"\nkind = "厂分会"\n\n'
                      '[[branches]]\ncode = "FH03"\nname = "三车间分会"\nkind = "厂分会"\n',
                      "utf-8")
    return config


def _header(code: str) -> dict:
    return {"unit_name": f"{code}分会", "branch_code": code, "period": "2026-10",
            "preparer": "王芳", "phone": "0512-57810000", "filed_on": date(2026, 11, 3)}


def _row(seq: int, name: str, id_number: str, kind: str, amount: str, paid: date,
         signed: str = "") -> dict:
    return {"seq": seq, "name": name, "gender": "男" if int(id_number[16]) % 2 else "女",
            "id_number": id_number, "kind": kind, "amount": Decimal(amount), "paid_on": paid,
            "signed": signed}


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    config_path = _federation(folder)
    config = load_config(config_path)
    spec = load_spec("warmth")
    inbox = folder / "inbox"
    inbox.mkdir()
    fh01 = FilePlan("FH01_送温暖慰问发放表_2026-10.xlsx", spec, _header("FH01"), [
        _row(1, "张伟", IDS["FH01"], "节日慰问", "500.00", date(2026, 10, 12)),
        _row(2, "李娜", IDS["FH02"], "大病救助", "800.00", date(2026, 10, 15), "李娜"),
        _row(3, "王强", _id(date(1975, 1, 1), 3), "困难帮扶", "1500.00", date(2026, 10, 20)),
        _row(4, "赵敏", _id(date(1982, 3, 4), 2), "大病救助", "600.00", date(2026, 10, 21)),
        _row(5, "刘洋", _id(date(1995, 12, 12), 1), "节日慰问", "300.00", date(2026, 11, 2)),
    ])
    fh02 = FilePlan("FH02_送温暖慰问发放表_2026-10.xlsx", spec, _header("FH02"), [
        _row(1, "李娜", IDS["FH02"], "大病救助", "700.00", date(2026, 10, 18), "李娜"),
        _row(2, "陈静", _id(date(1992, 8, 8), 4), "节日慰问", "400.00", date(2026, 10, 9)),
    ])
    for plan in (fh01, fh02):
        write_template(plan.spec, config, inbox / plan.name, plan.header, plan.rows, plan.layout)
    out, db = folder / "out" / "2026-10.xlsx", folder / "unionkit.db"
    done = CliRunner().invoke(cli, ["consolidate", str(inbox), "--config", str(config_path),
                                    "--out", str(out), "--register", str(db)])
    result = consolidate(inbox, load_config(config_path))
    found = {(f.path.split("_")[0], x.cell, x.code) for f in result.report.files
             for x in f.findings}
    yield {"folder": folder, "config": config_path, "out": out, "plans": (fh01, fh02),
           "done": done, "found": found}
    activate(None)


def test_blank_template_from_the_spec(federation, tmp_path):
    done = CliRunner().invoke(cli, ["templates", "--config", str(federation["config"]),
                                    "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(tmp_path / "warmth.xlsx")
    assert "慰问发放表" in book.sheetnames
    heads = [c.value for row in book["慰问发放表"].iter_rows() for c in row if c.value]
    assert {"慰问类型", "慰问金额", "发放日期", "签收人"} <= set(heads)
    assert (tmp_path / "roster.xlsx").exists() and (tmp_path / "hardship.xlsx").exists()


def test_planted_mistakes_at_their_cells(federation):
    plan = federation["plans"][0]
    found = federation["found"]
    expected = {("FH01", plan.cell(2, "amount"), "above_setting"),
                ("FH01", plan.cell(3, "signed"), "required_if_missing"),
                ("FH01", plan.cell(4, "paid_on"), "date_after_limit")}
    assert expected <= found, found
    second = federation["plans"][1]
    assert ("FH02", second.cell(0, "id_number"), "value_in_two_branches") in found


def test_consolidated_sheet_summary_and_verify(federation):
    assert federation["done"].exit_code == 1  # the planted errors
    out = federation["out"]
    book = openpyxl.load_workbook(out)
    assert "送温暖慰问发放表" in book.sheetnames
    summary = book["汇总"]
    heads = [c.value for c in summary[2]]
    cols = {h: i for i, h in enumerate(heads) if h}
    assert {"慰问人次", "慰问金额", "大病救助人次"} <= set(cols)
    cached = openpyxl.load_workbook(out, data_only=True)["汇总"]
    rows = {cached.cell(r, 1).value: r for r in range(3, 6)}
    amount = a1(rows["FH01"] - 1, cols["慰问金额"])
    assert summary[amount].value.startswith("=SUMIFS(")
    assert cached[amount].value == pytest.approx(3700.00)
    assert cached.cell(rows["FH01"], cols["慰问人次"] + 1).value == 5
    assert cached.cell(rows["FH01"], cols["大病救助人次"] + 1).value == 2
    assert cached.cell(rows["FH03"], cols["慰问金额"] + 1).value == "本期未报"
    missing = [r[3].value for r in book["未报送"].iter_rows(min_row=2) if r[0].value]
    assert "送温暖慰问发放表" not in missing
    done = CliRunner().invoke(cli, ["verify", str(out), "--config", str(federation["config"])])
    assert done.exit_code == 0, done.output


@pytest.mark.skipif(soffice() is None, reason="LibreOffice not installed")
def test_libreoffice_recalculates_the_new_columns(federation, tmp_path):
    from tests.test_consolidate import _assert_recalculates

    _assert_recalculates(federation["out"], tmp_path, at_least=100)


def test_verify_without_the_spec_says_so(federation):
    activate(None)
    done = CliRunner().invoke(cli, ["verify", str(federation["out"]), "--format", "json"])
    assert done.exit_code == 1
    codes = {f["code"] for f in json.loads(done.stdout)["findings"]}
    assert "verify_template_unknown" in codes


def test_a_builtin_template_replaced_from_the_folder(tmp_path):
    config_path = _federation(tmp_path)
    source = (ROOT / "toolkit" / "data" / "specs" / "hardship.toml").read_text("utf-8")
    own = source.replace('label = "工作部门"', 'label = "所在班组"')
    (tmp_path / "specs" / "hardship.toml").write_text(own, "utf-8")
    load_config(config_path)
    assert [c.label for c in load_spec("hardship").columns][4] == "所在班组"
    blank = write_template(load_spec("hardship"), load_config(config_path),
                           tmp_path / "hardship.xlsx")
    heads = {c.value for row in openpyxl.load_workbook(blank)["困难职工档案"].iter_rows()
             for c in row}
    assert "所在班组" in heads and "工作部门" not in heads
    activate(None)
    assert [c.label for c in load_spec("hardship").columns][4] == "工作部门"


def test_a_broken_spec_is_named_with_its_line(tmp_path):
    broken = _docs_spec().replace('period = "month"', 'period = "weekly"')
    config_path = _federation(tmp_path, broken)
    with pytest.raises(ConfigError) as raised:
        load_config(config_path)
    line = broken.splitlines().index('period = "weekly"') + 1
    assert raised.value.params["line"] == line and raised.value.params["key"] == "period"
    assert "warmth.toml" in str(raised.value)
    done = CliRunner().invoke(cli, ["templates", "--config", str(config_path), "--out",
                                    str(tmp_path / "t")])
    assert done.exit_code == 2 and "warmth.toml" in done.output
    activate(None)


def test_aliases_from_the_configuration(tmp_path):
    config_path = _federation(tmp_path)
    text = config_path.read_text("utf-8")
    config_path.write_text(text + '\n[templates.roster.aliases]\nid_number = ["身份证件号"]\n',
                           "utf-8")
    load_config(config_path)
    assert "身份证件号" in load_spec("roster").column("id_number").aliases
    activate(None)
    assert "身份证件号" not in load_spec("roster").column("id_number").aliases


def test_no_copy_of_the_spec_in_the_package():
    assert not (ROOT / "toolkit" / "data" / "specs" / "warmth.toml").exists()
    shutil.disk_usage(ROOT)  # the package holds the five built-in specs only


def test_a_quarterly_template(tmp_path):
    """A spec with ``period = "quarter"``: its file names the quarter (2026-Q4, 2026年第四季度);
    a month's consolidation takes the file of its quarter and no other; a branch that sent it
    in an earlier month of the quarter (the register saw it) is not 未报送."""
    from toolkit.consolidate import sent_earlier

    quarterly = _docs_spec().replace('period = "month"', 'period = "quarter"').replace(
        'expected = "optional"', 'expected = "every_period"')
    config_path = _federation(tmp_path, quarterly)
    config = load_config(config_path)
    spec = load_spec("warmth")
    assert spec.period == "quarter" and spec.demanded
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = [_row(1, "张伟", IDS["FH01"], "节日慰问", "500.00", date(2026, 10, 12))]
    for code, name, period in (("FH01", "2026-Q4", "2026年第四季度"),
                               ("FH02", "2026年第三季度", "2026-Q3")):
        header = {**_header(code), "period": period}
        write_template(spec, config, inbox / f"{code}_送温暖慰问发放表_{name}.xlsx", header,
                       rows if code == "FH01" else [])
    result = consolidate(inbox, config, "2026-11")
    assert {key for key in result.chosen} == {("FH01", "warmth")}
    def missing() -> list[str]:
        return [b.code for b, t in result.missing if t == "warmth"]
    assert missing() == ["FH02", "FH03"]
    other = next(f for f in result.report.files if f.branch_code == "FH02")
    assert other.period == "2026-Q3" and "period_other" in {x.code for x in other.findings}
    sent_earlier(result, {("FH02", "warmth", "2026-Q4"), ("FH03", "warmth", "2026-Q3")})
    assert missing() == ["FH03"]
    activate(None)


def test_the_issue_s_spellings_of_two_keys(tmp_path):
    """``period = "once"`` is a registry's ``none``; ``date_not_after`` is ``not_after``."""
    spec = _docs_spec().replace('period = "month"', 'period = "once"').replace(
        'not_after = "period_end"', 'date_not_after = "period_end"')
    load_config(_federation(tmp_path, spec))
    loaded = load_spec("warmth")
    assert loaded.period == "none" and loaded.column("paid_on").not_after == "period_end"
    activate(None)
