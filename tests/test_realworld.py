"""The five real union spreadsheets in ../shared/realworld give the answer a treasurer expects."""

from __future__ import annotations

import pytest

from tests.accounting import assert_accounted
from tests.conftest import ROOT
from toolkit.config import load_config
from toolkit.validate import validate_file, validate_parts

REALWORLD = ROOT.parent / "shared" / "realworld"
pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason="shared/realworld is not beside "
                                                                "the project")
PERSON_CHECKS = {"id_checksum", "id_format", "gender_mismatch", "birth_date_mismatch",
                 "not_in_list", "extra_column", "required_missing"}


def codes(report) -> set[str]:
    return {f.code for f in report.findings}


@pytest.mark.parametrize("name", ["rw01_hainan_member_template_blank.xlsx",
                                  "rw02_hainan_member_filled.xlsx"])
def test_hainan_member_templates_are_rosters(name):
    report = validate_file(REALWORLD / name, load_config())
    assert report.template == "roster"
    assert not codes(report) & PERSON_CHECKS, report.findings
    assert report.columns["migrant"] == 19  # 是否农民工会员 (with its instruction line)
    assert report.columns["id_type"] == 6 and report.columns["skill_level"] == 9
    assert_accounted(report)


def test_hainan_filled_template_reads_six_members_in_their_own_dictionary():
    report = validate_file(REALWORLD / "rw02_hainan_member_filled.xlsx", load_config())
    assert report.rows == 6
    assert report.header["unit_name"] == "海口市美兰区海港物流有限公司工会"  # after the colon in A3
    assert [r.get("employment") for r in report.records] == [
        "在岗", "在岗", "待（下）岗", "退养（内退）", "在岗", "病休"]
    assert [r.get("education") for r in report.records] == [
        "本科", "大专", "中专", "高中", "硕士研究生", "博士研究生"]
    assert [r.get("migrant") for r in report.records] == ["否", "是", "是", "否", "否", "否"]
    # fair to report: the 实名制 format has no 入会日期, 分会代码, 所属期, 填表人 or 填报日期
    assert {(f.code, f.field) for f in report.findings if f.severity == "error"} == {
        ("missing_column", "join_date"), ("header_missing", "branch_code"),
        ("header_missing", "period"), ("header_missing", "preparer"),
        ("header_missing", "filed_on")}
    assert [(f.cell, f.code) for f in report.findings if f.severity == "info"] == [
        ("A14", "note_skipped")]  # the template's 填表说明 under the table


@pytest.mark.parametrize(("name", "found"), [
    ("rw08_yangjiang_aixin_member_register.xls", "序号、姓名、所属单位、联系电话、入会时间、备注"),
    ("rw09_yangjiang_hardship_register.xls", "序号、姓名、所属单位、联系电话、备注"),
    ("rw10_hainan_org_template_blank.xlsx", "序号"),
])
def test_other_registers_are_not_rosters(name, found):
    """Not one of our templates: unrecognized, naming the closest template, what matched and
    what is missing — and never a finding on a hint row or the standards table below."""
    reports = validate_parts(REALWORLD / name, load_config())
    assert [r.status for r in reports] == ["unrecognized"]
    (only,) = reports[0].findings
    assert (only.code, only.cell) == ("template_unrecognized", None)
    params = dict(only.params)
    assert (params["closest"], params["found"]) == ("会员名册", found)
    assert "证件号码" in params["missing"]
