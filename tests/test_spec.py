from decimal import Decimal

import pytest

from toolkit.config import load_config
from toolkit.errors import ConfigError
from toolkit.spec import BUILTIN_IDS, all_specs, enumerations, load_spec

COMMON = ["填报单位", "分会代码", "所属期", "填表人", "联系电话", "填报日期"]
CANONICAL = {
    "roster": "序号 姓名 性别 证件号码 出生日期 民族 政治面貌 学历 手机号码 工作部门 就业状况 是否农民工 "
              "是否积极分子 入会日期 会员证号 会籍变化类型 会籍变化日期 会籍变化原因 "
              "有效证件类别 技能等级 户籍类型 户籍所在地 籍贯 备注",
    "dues": "序号 姓名 证件号码 计费工资 应缴会费 实缴会费 免缴原因 备注",
    "ledger": "日期 凭证号 摘要 科目编码 科目名称 收入金额 支出金额 结算方式 经办人 审批人 附件张数",
    "assessment": "序号 一级指标 考核内容 分值 自评分 考评分 扣分说明 一票否决",
    "hardship": "序号 姓名 性别 证件号码 工作部门 困难类型 家庭人口 家庭人均月收入 建档日期 帮扶金额 "
                "帮扶方式 审批状态 备注",
}


@pytest.mark.parametrize("template_id", BUILTIN_IDS)
def test_canonical_columns_in_order(template_id):
    spec = load_spec(template_id)
    assert [c.label for c in spec.columns] == CANONICAL[template_id].split()
    assert [h.label for h in spec.header][:6] == COMMON


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.id)
def test_names_are_unambiguous(spec):
    names = [n for c in spec.columns for n in c.names]
    assert len(names) == len(set(names)), "a label or alias maps to two columns"
    for column in spec.columns:
        if column.enum and column.enum != "accounts":
            assert column.enum in enumerations()


def test_header_extras():
    assert [h.label for h in load_spec("dues").header][6:] == ["工资总额"]
    assert [h.label for h in load_spec("ledger").header][6:] == ["期初余额", "期末余额"]


def test_config_defaults_from_rules():
    config = load_config()
    assert config.dues_rate == Decimal("0.005")
    assert config.fund_rate == Decimal("0.02")
    assert config.upper_share == Decimal("0.40")
    assert sum(i.points for i in config.indicators) == 100
    assert [config.grade_for(Decimal(s)) for s in (95, 90, 85, 60, 59.5)] == \
        ["优秀", "优秀", "良好", "合格", "不合格"]
    assert config.grade_for(Decimal(99), vetoed=True) == "不合格"
    assert config.accounts["401"].name == "会费收入"
    assert config.accounts["50102"].kind == "expenditure"
    assert config.branches == ()


def test_config_override_merges(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text('[fund]\nupper_share = "0.30"\n[[branches]]\ncode = "A1"\nname = "甲"\n'
                    'kind = "厂分会"\n', encoding="utf-8")
    config = load_config(path)
    assert config.upper_share == Decimal("0.30")
    assert config.fund_rate == Decimal("0.02")
    assert config.branch("A1").name == "甲"


def test_config_errors_are_clear(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text("[fund\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 TOML"):
        load_config(path)
    path.write_text('[[branches]]\ncode = "A"\nname = "甲"\nkind = "车间"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="类别必须是"):
        load_config(path)
