"""Real paperwork read right: each clerk habit in one fixture, asserting (sheet, cell, code) and
the row counts — no row dropped without a finding, no false error on a row that is not data."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.accounting import assert_accounted
from tests.fixtures import config, plan
from toolkit.config import load_config
from toolkit.layout import Layout, a1, col_letter
from toolkit.sample.federation import FilePlan
from toolkit.templates import NumberStored, write_template
from toolkit.validate import validate_file, validate_parts, validate_paths


def written(tmp_path: Path, template: str, defect: Callable[[FilePlan], object] = lambda p: None,
            name: str = "case.xlsx") -> tuple[FilePlan, Path]:
    p = plan(template)
    defect(p)
    return p, write_template(p.spec, config(), tmp_path / name, p.header, p.rows, p.layout)


def edited(path: Path, change: Callable[[openpyxl.worksheet.worksheet.Worksheet], object],
           sheet: str | None = None) -> Path:
    """The clerk's own edit of a generated file, made in a spreadsheet program (openpyxl)."""
    book = openpyxl.load_workbook(path)
    change(book[sheet] if sheet else book.worksheets[0])
    book.save(path)
    return path


def flat(report) -> set[tuple[str | None, str | None, str]]:
    assert_accounted(report)
    return {(f.sheet, f.cell, f.code) for f in report.findings}


def excel_row(p: FilePlan, index: int) -> int:
    """The 1-based sheet row of the index-th data row."""
    return p.layout.first_data_row(p.spec) + index + 1


def column(p: FilePlan, key: str) -> str:
    return col_letter(p.layout.column_index(p.spec, key))


# --- rows that are not data --------------------------------------------------------------------
def test_subtotal_mid_table_keeps_every_row_below(tmp_path):
    """A 小计 row in the middle used to end the table: 118 rows read as 34."""
    p, path = written(tmp_path, "dues")
    at = excel_row(p, 20)
    due, paid = column(p, "dues_due"), column(p, "dues_paid")

    def subtotal(ws):
        ws.insert_rows(at)
        ws[f"A{at}"] = "小计"
        ws[f"{due}{at}"] = float(sum(r["dues_due"] for r in p.rows[:20]))
        ws[f"{paid}{at}"] = float(sum(r["dues_paid"] for r in p.rows[:20]))
    report = validate_file(edited(path, subtotal), config())
    assert flat(report) == {("会费收缴", f"A{at}", "subtotal_row")}
    assert report.rows == len(p.rows)
    assert sum(r.get("dues_paid") for r in report.records) == sum(r["dues_paid"] for r in p.rows)


def test_subtotal_that_does_not_add_up_is_an_error(tmp_path):
    p, path = written(tmp_path, "dues")
    at, due = excel_row(p, 20), column(p, "dues_due")

    def subtotal(ws):
        ws.insert_rows(at)
        ws[f"A{at}"] = "一车间小计"
        ws[f"{due}{at}"] = 1.0
    found = flat(validate_file(edited(path, subtotal), config()))
    assert found == {("会费收缴", f"A{at}", "subtotal_row"),
                     ("会费收缴", f"{due}{at}", "total_row_mismatch")}


def test_note_mid_table_is_a_warning_and_reading_goes_on(tmp_path):
    p, path = written(tmp_path, "dues")
    at = excel_row(p, 30)

    def note(ws):
        ws.insert_rows(at)
        ws[f"A{at}"] = "注：以下为本月新调入人员"
    report = validate_file(edited(path, note), config())
    assert flat(report) == {("会费收缴", f"A{at}", "note_row")}
    assert report.rows == len(p.rows)
    assert report.findings[0].message() == \
        f"第{at}行是夹在明细中间的说明文字“注：以下为本月新调入人员”，未作为数据读取，其下的行继续读取"


def test_row_filled_only_in_an_added_column_is_not_a_member(tmp_path):
    """An extra 工号 column (reported as ignored) does not make a blank row a member."""
    p, path = written(tmp_path, "roster",
                      lambda p: setattr(p, "layout", Layout(extra_columns=("工号",))))
    at = excel_row(p, 10)
    extra = col_letter(len(p.spec.columns))

    def stray(ws):
        ws.insert_rows(at)
        ws[f"{extra}{at}"] = "A1023"
    report = validate_file(edited(path, stray), config())
    header = p.layout.header_row(p.spec)
    assert flat(report) == {("会员名册", a1(header, len(p.spec.columns)), "extra_column")}
    assert report.rows == len(p.rows)


def test_second_table_below_the_data_is_not_read_as_members(tmp_path):
    p, path = written(tmp_path, "roster")
    last = excel_row(p, len(p.rows) - 1)

    def standards(ws):
        ws[f"B{last + 3}"], ws[f"C{last + 3}"], ws[f"D{last + 3}"] = "类别", "困难标准", "补助金额（元）"
        for i, (kind, text, amount) in enumerate((("一", "会员本人患重大疾病", "7000～8000"),
                                                  ("二", "因病致困", "5000～6000"))):
            ws[f"B{last + 4 + i}"], ws[f"C{last + 4 + i}"], ws[f"D{last + 4 + i}"] = kind, text, amount
    report = validate_file(edited(path, standards), config())
    assert flat(report) == {("会员名册", f"B{last + 3}", "table_end")}
    assert report.rows == len(p.rows)
    assert report.findings[0].message() == (
        f"明细读到第{last}行为止：第{last + 3}行起是另一张表（类别、困难标准、补助金额（元）），"
        f"第{last + 3}–{last + 5}行未作为数据读取")


def test_repeated_header_row_is_skipped(tmp_path):
    p, path = written(tmp_path, "dues")
    at = excel_row(p, 25)
    labels = [p.layout.label(p.spec, k) for k in p.layout.keys(p.spec)]

    def again(ws):
        ws.insert_rows(at)
        for c, label in enumerate(labels, start=1):
            ws.cell(at, c).value = label
    report = validate_file(edited(path, again), config())
    assert flat(report) == {("会费收缴", f"A{at}", "header_repeated")}
    assert report.rows == len(p.rows)


def test_instructions_block_ends_the_table(tmp_path):
    p, path = written(tmp_path, "roster")
    last = excel_row(p, len(p.rows) - 1)

    def instructions(ws):
        ws[f"A{last + 2}"] = "填表说明："
        ws[f"A{last + 3}"] = "1、此表所列项目均为必填项"
        ws[f"A{last + 4}"] = "2、“工作单位”需填写完整的单位全称"
    report = validate_file(edited(path, instructions), config())
    assert flat(report) == {("会员名册", f"A{last + 2}", "instructions_end")}
    assert report.rows == len(p.rows)


# --- two templates in one workbook -------------------------------------------------------------
def test_workbook_with_two_templates_gives_two_reports(tmp_path):
    roster, roster_path = written(tmp_path, "roster", name="roster.xlsx")
    dues, dues_path = written(tmp_path, "dues", name="dues.xlsx")
    book = openpyxl.load_workbook(roster_path)
    source = openpyxl.load_workbook(dues_path)["会费收缴"]
    target = book.create_sheet("会费收缴", 1)
    for row in source.iter_rows():
        for cell in row:
            target.cell(cell.row, cell.column).value = cell.value
    both = tmp_path / "名册和会费.xlsx"
    book.save(both)
    parts = validate_parts(both, config())
    assert [(r.template, r.part, r.rows, r.findings) for r in parts] == [
        ("roster", "会员名册", len(roster.rows), []), ("dues", "会费收缴", len(dues.rows), [])]
    assert [f.template for f in validate_paths([both], config()).files] == ["roster", "dues"]
    assert [r.path for r in parts] == [f"{both}#会员名册", f"{both}#会费收缴"]


def test_two_templates_in_one_file_consolidate_and_verify(tmp_path):
    """Each template of the workbook is a submission of its own, traced back to the one file."""
    import shutil

    from tests.conftest import INBOX, SAMPLE
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    roster, dues = (inbox / f"FH01_一车间分会_{t}_2026-10.xlsx" for t in ("会员名册", "会费收缴"))
    book = openpyxl.load_workbook(roster)
    target = book.create_sheet("会费收缴", 1)
    for row in openpyxl.load_workbook(dues)["会费收缴"].iter_rows():
        for cell in row:
            target.cell(cell.row, cell.column).value = cell.value
    book.save(inbox / "FH01_名册和会费.xlsx")
    roster.unlink()
    dues.unlink()
    cfg = load_config(SAMPLE / "federation.toml")
    result = consolidate(inbox, cfg)
    assert {t for (code, t) in result.chosen if code == "FH01"} == {
        "roster", "dues", "ledger", "assessment", "hardship"}
    out = tmp_path / "w.xlsx"
    write_workbook(result, cfg, out, {})
    verification = verify_workbook(out, cfg, sources=inbox)
    assert verification.errors == 0, verification.findings


# --- recognition -------------------------------------------------------------------------------
def _table(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / name)
    return tmp_path / name


def test_generic_labels_do_not_make_a_roster(tmp_path):
    path = _table(tmp_path, "签到表.xlsx", [["序号", "姓名", "联系电话", "备注"],
                                             [1, "张三", "13800138000", ""]])
    report = validate_file(path, load_config())
    assert report.status == "unrecognized"
    assert report.findings[0].message() == (
        "无法识别是哪一种报表模板（没有找到会员名册、会费收缴、经费收支账或考核评分的表头）"
        "：最接近“会员名册”（工作表“Sheet”），找到的列：序号、姓名、联系电话、备注"
        "；缺少：性别、证件号码、出生日期、民族、就业状况、入会日期")


def test_finance_export_names_the_closest_template_and_what_is_missing(tmp_path):
    path = _table(tmp_path, "财务导出.xlsx", [["记账日期", "会计科目", "借方", "贷方"],
                                             ["2026-10-03", "会费收入", "", "100"]])
    message = validate_file(path, load_config()).findings[0].message("en")
    assert message.endswith(": closest is Fund ledger (sheet “Sheet”), found 记账日期、会计科目"
                            "; missing 凭证号、摘要、科目编码、经办人")


def test_payroll_with_a_dues_column_is_not_a_dues_file(tmp_path):
    path = _table(tmp_path, "工资表.xlsx", [["序号", "姓名", "应发工资", "工会会费", "实发工资"],
                                           [1, "张三", 6000, 30, 5970]])
    assert validate_file(path, load_config()).status == "unrecognized"


# --- cells -------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", [NumberStored("2024"), "2019年", "2023年以前"])
def test_year_only_join_date(tmp_path, typed):
    p, path = written(tmp_path, "roster", lambda p: p.rows[3].__setitem__("join_date", typed))
    report = validate_file(path, config())
    assert flat(report) == {("会员名册", p.cell(3, "join_date"), "date_year_only")}
    year = re.match(r"\d{4}", getattr(typed, "digits", typed)).group()
    assert report.findings[0].message() == f"“入会日期”只填了年份“{getattr(typed, 'digits', typed)}”" \
        f"（{year}年），缺少月和日"


@pytest.mark.parametrize(("key", "typed", "canonical"), [
    ("employment", "待(下)岗", "待（下）岗"), ("employment", "待（下）岗", "待（下）岗"),
    ("employment", "退养", "退养（内退）"), ("employment", "退养（内退）", "退养（内退）"),
    ("employment", "病休", "病休"), ("education", "中专", "中专"), ("education", "高中", "高中"),
    ("education", "硕士", "硕士研究生"), ("education", "博士（研究生）", "博士研究生"),
    ("education", "技校", "技校"), ("education", "小学及以下", "小学及以下")])
def test_dictionaries_as_the_provincial_template_writes_them(tmp_path, key, typed, canonical):
    _, path = written(tmp_path, "roster", lambda p: p.rows[2].__setitem__(key, typed))
    report = validate_file(path, config())
    assert flat(report) == set()
    assert report.records[2].get(key) == canonical


def test_not_in_list_names_the_closest_value(tmp_path):
    p, path = written(tmp_path, "roster", lambda p: p.rows[2].__setitem__("ethnicity", "傈傈族"))
    report = validate_file(path, config())
    assert flat(report) == {("会员名册", p.cell(2, "ethnicity"), "not_in_list")}
    assert report.findings[0].message() == "“民族”填的“傈傈族”不在可选范围内，您是不是要填“傈僳族”？"


def test_not_in_list_lists_a_short_dictionary(tmp_path):
    _, path = written(tmp_path, "roster", lambda p: p.rows[2].__setitem__("employment", "上班"))
    message = validate_file(path, config()).findings[0].message()
    assert message == ("“就业状况”填的“上班”不在可选范围内（可选：在岗、待（下）岗、失业、退休、退职、"
                       "退养（内退）、病休、离休、其他）")


def _person(p: FilePlan, index: int, **values: object) -> None:
    p.rows[index].update(values)


def test_passport_holder_gets_no_resident_id_check(tmp_path):
    _, path = written(tmp_path, "roster", lambda p: _person(p, 4, id_type="护照",
                                                             id_number="E12345678"))
    report = validate_file(path, config())
    assert flat(report) == set()
    assert report.records[4].get("id_number") == "E12345678"


@pytest.mark.parametrize(("kind", "number"), [("护照", "E1"), ("港澳居民来往内地通行证", "12345678"),
                                              ("港澳台居民居住证", "810000199001011234")])
def test_other_document_gets_its_own_format_check(tmp_path, kind, number):
    p, path = written(tmp_path, "roster", lambda p: _person(p, 4, id_type=kind, id_number=number))
    report = validate_file(path, config())
    assert flat(report) == {("会员名册", p.cell(4, "id_number"), "id_document_format")}
    assert kind in report.findings[0].message()


def test_error_value_in_a_cell_is_named(tmp_path):
    p, path = written(tmp_path, "dues")
    ref = p.cell(5, "dues_due")
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)',
                     f'<c r="{ref}" t="e"><f>E7/0</f><v>#DIV/0!</v></c>', xml, count=1)
    assert n == 1
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    report = validate_file(path, config())
    assert flat(report) == {("会费收缴", ref, "cell_error")}
    assert report.findings[0].message() == "“应缴会费”显示的是错误值“#DIV/0!”，不是数据"


# --- chart of accounts by period --------------------------------------------------------------
def _ledger_line(p: FilePlan, code: str, name: str) -> None:
    row = next(r for r in p.rows if r.get("expense"))
    row.update(account_code=code, account_name=name)


def test_2021_chart_accounts_are_valid_from_2022(tmp_path):
    _, path = written(tmp_path, "ledger", lambda p: _ledger_line(p, "50106", "其他活动支出"))
    assert flat(validate_file(path, config())) == set()


def test_2010_meaning_of_50104_in_a_2026_ledger(tmp_path):
    p, path = written(tmp_path, "ledger", lambda p: _ledger_line(p, "50104", "其他活动支出"))
    index = next(i for i, r in enumerate(p.rows) if r.get("expense"))
    report = validate_file(path, config())
    assert flat(report) == {("经费收支账", p.cell(index, "account_code"), "account_other_chart")}
    assert report.findings[0].message() == (
        "科目“50104”用的是2010年版科目表（那里是“其他活动支出”），所属期 2026-10 适用2021年版"
        "《工会会计制度》科目表，其中 50104 是“劳模职工疗休养支出”，“其他活动支出”现为 50106")


def _in_2021(p: FilePlan) -> None:
    p.header.update(period="2021-10", filed_on=date(2021, 11, 4))
    for row in p.rows:
        row["date"] = row["date"].replace(year=2021)


def test_2021_chart_code_in_a_2021_ledger_names_the_chart(tmp_path):
    def defect(p):
        _in_2021(p)
        _ledger_line(p, "50106", "其他活动支出")
    p, path = written(tmp_path, "ledger", defect)
    index = next(i for i, r in enumerate(p.rows) if r.get("expense"))
    found = flat(validate_file(path, config()))
    assert ("经费收支账", p.cell(index, "account_code"), "account_other_chart") in found
    assert not {code for _, _, code in found} & {"account_unknown", "account_name_mismatch"}


def test_corrected_2010_names():
    chart = {c.name: c for c in load_config().charts}["2010"].accounts
    assert (chart["50501"].name, chart["50506"].name) == ("房屋建筑物购建", "信息网络购建")
    assert load_config().chart_for("2021-12").name == "2010"
    assert load_config().chart_for("2022-01").name == "2021"


def test_federation_chart_replaces_one_builtin_chart(tmp_path):
    (tmp_path / "my.csv").write_text("code,name,kind\n401,会费收入,income\n", encoding="utf-8")
    (tmp_path / "federation.toml").write_text('[ledger.charts]\n"2021" = "my.csv"\n',
                                              encoding="utf-8")
    cfg = load_config(tmp_path / "federation.toml")
    assert list(cfg.chart_for("2026-10").accounts) == ["401"]
    assert "50104" in cfg.chart_for("2020-10").accounts


def test_money_totals_survive_a_subtotal(tmp_path):
    """The figure the issue saw fall: a branch's dues with a 小计 row in the middle."""
    p, path = written(tmp_path, "dues")
    at = excel_row(p, 10)
    edited(path, lambda ws: (ws.insert_rows(at), ws.__setitem__(f"A{at}", "小计")))
    report = validate_file(path, config())
    assert sum((r.get("dues_paid") for r in report.records), Decimal(0)) == \
        sum(r["dues_paid"] for r in p.rows)


def test_a_record_reads_its_sheet_row_by_column():
    """A record's cells are its sheet row: values by the column each key was found in (an
    extra column between them is not a value), and a key with no column is blank."""
    from toolkit.validate.context import Record

    record = Record(5, {"name": 2, "seq": 0}, [1, "备注", "张伟", None])
    assert record.values == {"name": "张伟", "seq": 1}
    assert (record.get("name"), record.get("id_number")) == ("张伟", None)
