import openpyxl
import pytest

from tests.conftest import ROOT
from toolkit.config import load_config
from toolkit.layout import LISTS_SHEET, META_SHEET
from toolkit.spec import all_specs
from toolkit.templates import write_blank_templates


def test_committed_templates_equal_a_fresh_generation(tmp_path):
    paths = write_blank_templates(load_config(), tmp_path, all_specs())
    for path in paths:
        committed = ROOT / "templates_xlsx" / path.name
        assert committed.read_bytes() == path.read_bytes(), f"regenerate {committed}"


def test_generation_is_deterministic(tmp_path):
    a = write_blank_templates(load_config(), tmp_path / "a", all_specs())
    b = write_blank_templates(load_config(), tmp_path / "b", all_specs())
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.id)
def test_template_structure(spec):
    book = openpyxl.load_workbook(ROOT / "templates_xlsx" / f"{spec.id}.xlsx")
    ws = book[spec.sheet]
    meta = book[META_SHEET]
    assert meta.sheet_state == "hidden"
    assert (meta["B1"].value, meta["B2"].value) == (spec.id, spec.version)
    assert "填表说明" in book.sheetnames
    header = [c.value for c in ws[6]][: len(spec.columns)]
    assert header == [c.label for c in spec.columns]
    assert ws.freeze_panes == "A7"
    labels = {ws.cell(r, c).value for r in range(2, 5) for c in range(1, 7)}
    assert {"填报单位：", "分会代码：", "所属期：", "填表人：", "联系电话：", "填报日期："} <= labels
    lists = {next(iter(dv.sqref.ranges)).min_col for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    enum_cols = {i for i, c in enumerate(spec.columns, start=1) if c.type in ("enum", "yesno")}
    assert lists == enum_cols
    if LISTS_SHEET in book.sheetnames:
        assert book[LISTS_SHEET].sheet_state == "hidden"


def _column_format(ws, index):
    return next(d.number_format for d in ws.column_dimensions.values() if d.min <= index <= d.max)


def test_text_and_date_formats():
    ws = openpyxl.load_workbook(ROOT / "templates_xlsx" / "roster.xlsx")["会员名册"]
    assert _column_format(ws, 4) == "@"  # 证件号码
    assert _column_format(ws, 9) == "@"  # 手机号码
    assert _column_format(ws, 15) == "@"  # 会员证号
    assert _column_format(ws, 5) == "yyyy-mm-dd"  # 出生日期


def test_assessment_is_prefilled_with_the_scheme():
    ws = openpyxl.load_workbook(ROOT / "templates_xlsx" / "assessment.xlsx")["考核评分"]
    config = load_config()
    points = [ws.cell(7 + i, 4).value for i in range(len(config.indicators))]
    assert sum(points) == 100
    assert ws.cell(7, 2).value == config.indicators[0].category
