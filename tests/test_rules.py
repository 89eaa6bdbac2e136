"""Each rule: one defect in an otherwise clean file → exactly that finding at that cell."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest

from tests.fixtures import CLEAN, case, config, findings, plan
from toolkit.layout import Layout
from toolkit.templates import NumberStored, write_template


@pytest.mark.parametrize("template", sorted(CLEAN))
def test_clean_files_have_no_findings(tmp_path, template):
    _, found = case(tmp_path, template, lambda p: None)
    assert found == set()


def _set(index, key, value):
    def defect(p):
        p.rows[index][key] = value
    return defect


ROSTER_CELL_CASES = [
    ("id_checksum", "id_number", "110105194912310021"),
    ("id_format", "id_number", "11010519491231"),
    ("id_as_number", "id_number", NumberStored("110105194912310021")),
    ("not_in_list", "political", "党员"),
    ("not_in_list", "migrant", "也许"),
    ("mobile_format", "mobile", "1381234567"),
    ("bad_date", "join_date", "2026.2.30"),
    ("required_missing", "name", None),
    ("required_missing", "ethnicity", " \u3000"),
]


@pytest.mark.parametrize(("code", "key", "value"), ROSTER_CELL_CASES)
def test_roster_cell_rules(tmp_path, code, key, value):
    p, found = case(tmp_path, "roster", _set(20, key, value))
    assert found == {("会员名册", p.cell(20, key), code)}


def test_gender_and_birth_follow_the_id(tmp_path):
    def defect(p):
        row = p.rows[5]
        row["gender"] = "女" if row["gender"] == "男" else "男"
        row["birth_date"] = row["birth_date"] + timedelta(days=1)
    p, found = case(tmp_path, "roster", defect)
    assert found == {("会员名册", p.cell(5, "gender"), "gender_mismatch"),
                     ("会员名册", p.cell(5, "birth_date"), "birth_date_mismatch")}


def test_join_date_after_period(tmp_path):
    p, found = case(tmp_path, "roster", _set(9, "join_date", date(2026, 11, 2)))
    assert found == {("会员名册", p.cell(9, "join_date"), "join_after_period")}


def test_join_date_before_sixteen(tmp_path):
    def defect(p):
        p.rows[9]["join_date"] = p.rows[9]["birth_date"] + timedelta(days=365 * 10)
    p, found = case(tmp_path, "roster", defect)
    assert found == {("会员名册", p.cell(9, "join_date"), "join_too_young")}


def test_outflow_needs_reason(tmp_path):
    p, found = case(tmp_path, "roster", _set(7, "change_reason", None))  # row 7 is 退会
    assert found == {("会员名册", p.cell(7, "change_reason"), "change_detail_missing")}


def test_duplicate_member_card(tmp_path):
    def defect(p):
        p.rows[12]["card_no"] = p.rows[2]["card_no"]
    p, found = case(tmp_path, "roster", defect)
    assert found == {("会员名册", p.cell(12, "card_no"), "duplicate_value")}


def test_activists_under_twenty_percent(tmp_path):
    def defect(p):
        for row in p.rows:
            row["activist"] = "否"
    _, found = case(tmp_path, "roster", defect)
    assert found == {("会员名册", None, "activist_share_low")}


def test_dues_formula(tmp_path):
    def defect(p):
        row = p.rows[4]
        row["wage"] = Decimal("3089.50")
        row["dues_due"] = row["dues_paid"] = Decimal("15.45")  # 0.5% of the unfloored wage
    p, found = case(tmp_path, "dues", defect)
    assert found == {("会费收缴", p.cell(4, "dues_due"), "dues_mismatch")}


def test_exempt_member_owes_nothing(tmp_path):
    p, found = case(tmp_path, "dues", _set(4, "exempt_reason", "保留会籍"))
    assert found == {("会费收缴", p.cell(4, "dues_due"), "dues_mismatch")}


def test_arrears_are_a_warning(tmp_path):
    def defect(p):
        p.rows[3]["dues_paid"] = p.rows[3]["dues_due"] - Decimal("1.00")
    p, found = case(tmp_path, "dues", defect)
    assert found == {("会费收缴", p.cell(3, "dues_paid"), "dues_arrears")}


@pytest.mark.parametrize(("raw", "code"), [("15.455", "money_precision"), ("四千五", "bad_amount"),
                                           (Decimal("-10.00"), "below_min")])
def test_amount_cells(tmp_path, raw, code):
    p, found = case(tmp_path, "dues", _set(2, "wage", raw))
    assert ("会费收缴", p.cell(2, "wage"), code) in found


def test_amounts_typed_as_text_are_read(tmp_path):
    def defect(p):
        row = p.rows[2]
        row["wage"] = f"{row['wage']:,.2f}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        row["dues_due"] = f"¥{row['dues_due']}"
    _, found = case(tmp_path, "dues", defect)
    assert found == set()


def test_payroll_below_wages(tmp_path):
    p, found = case(tmp_path, "dues", lambda p: p.header.update(payroll=Decimal("100.00")))
    cell = p.layout.header_value_cell(p.spec, "payroll")
    assert found == {("会费收缴", cell, "payroll_below_wages")}


def _voucher(p, account, **amounts):
    row = next(i for i, r in enumerate(p.rows) if r["account_code"] == account)
    for key in ("income", "expense"):
        p.rows[row][key] = amounts.get(key)
    return row


def test_ledger_balance(tmp_path):
    p, found = case(tmp_path, "ledger", lambda p: p.header.update(
        closing=p.header["closing"] + Decimal("0.01")))
    assert found == {("经费收支账", p.layout.header_value_cell(p.spec, "closing"),
                      "balance_mismatch")}


def test_ledger_account_rules(tmp_path):
    def defect(p):
        p.rows[3]["account_code"] = "599"
        p.rows[4]["account_name"] = "会议费"
    p, found = case(tmp_path, "ledger", defect)
    assert found == {("经费收支账", p.cell(3, "account_code"), "account_unknown"),
                     ("经费收支账", p.cell(4, "account_name"), "account_name_mismatch")}


def test_ledger_sides(tmp_path):
    def defect(p):
        p.rows[5]["income"] = p.rows[5]["expense"]  # both
        p.rows[6]["expense"] = None  # neither
    p, found = case(tmp_path, "ledger", defect)
    assert ("经费收支账", p.cell(5, "expense"), "amount_both_sides") in found
    assert ("经费收支账", p.cell(6, "income"), "amount_missing") in found


def test_ledger_income_on_an_expense_account(tmp_path):
    def defect(p):
        row = p.rows[5]
        row["income"], row["expense"] = row["expense"], None
    p, found = case(tmp_path, "ledger", defect)
    assert found == {("经费收支账", p.cell(5, "income"), "account_side")}


def test_vouchers_duplicate_gap_and_period(tmp_path):
    def defect(p):
        p.rows[2]["voucher"] = p.rows[1]["voucher"]
        p.rows[0]["date"] = date(2026, 11, 1)
    p, found = case(tmp_path, "ledger", defect)
    assert ("经费收支账", p.cell(2, "voucher"), "duplicate_value") in found
    assert ("经费收支账", p.cell(0, "date"), "date_out_of_period") in found
    assert ("经费收支账", p.cell(3, "voucher"), "voucher_gap") in found


def test_ledger_controls(tmp_path):
    def defect(p):
        big = next(i for i, r in enumerate(p.rows) if (r.get("expense") or 0) >= 5000)
        p.rows[big]["approver"] = ""
        p.rows[big]["settlement"] = "现金"
        p.rows[big]["summary"] = "中秋节日慰问（现金）"
        p.rows[big]["attachments"] = None
        p.big = big
    p, found = case(tmp_path, "ledger", defect)
    assert found == {("经费收支账", p.cell(p.big, "approver"), "approval_missing"),
                     ("经费收支账", p.cell(p.big, "expense"), "cash_over_limit"),
                     ("经费收支账", p.cell(p.big, "summary"), "welfare_cash_card"),
                     ("经费收支账", p.cell(p.big, "attachments"), "attachment_missing")}


def test_header_block(tmp_path):
    def defect(p):
        p.header["period"] = "十月"
        p.header["branch_code"] = "FH99"
        p.header["preparer"] = None
    p, found = case(tmp_path, "ledger", defect)
    cell = lambda key: p.layout.header_value_cell(p.spec, key)  # noqa: E731
    assert ("经费收支账", cell("period"), "bad_period") in found
    assert ("经费收支账", cell("branch_code"), "branch_unknown") in found
    assert ("经费收支账", cell("preparer"), "header_missing") in found


def test_assessment_scheme_is_fixed(tmp_path):
    def defect(p):
        p.rows[0]["points"] = Decimal(20)
        p.rows[1]["content"] = "积极分子培训"
    p, found = case(tmp_path, "assessment", defect)
    assert ("考核评分", p.cell(0, "points"), "points_raised") in found
    assert ("考核评分", p.cell(1, "content"), "scheme_changed") in found


def test_assessment_scores(tmp_path):
    def defect(p):
        p.rows[2]["self_score"] = p.rows[2]["points"] + 1
        p.rows[3]["review_score"] = p.rows[3]["points"] - 2
        p.rows[3]["deduction_note"] = ""
        p.rows[4]["veto"] = "可能"
    p, found = case(tmp_path, "assessment", defect)
    assert found == {("考核评分", p.cell(2, "self_score"), "score_above_max"),
                     ("考核评分", p.cell(3, "deduction_note"), "deduction_note_missing"),
                     ("考核评分", p.cell(4, "veto"), "not_in_list")}


def test_clerk_layouts_read_the_same(tmp_path):
    keys = ("seq", "name", "id_number", "dues_paid", "dues_due", "wage", "exempt_reason", "note")
    def defect(p):
        p.layout = Layout(top_rows=4, order=keys, renames=(("wage", "缴费基数"),),
                          sheet_name="Sheet1", meta=False, date_style="cn",
                          notes_below=("注：以上数据已核对。",))
    p, found = case(tmp_path, "dues", defect)
    note = f"A{p.layout.first_data_row(p.spec) + len(p.rows) + 2}"  # below a blank row
    assert found == {("Sheet1", note, "note_skipped")}  # the note below the table, as a note


def test_missing_and_extra_columns(tmp_path):
    order = ("seq", "name", "wage", "dues_due", "dues_paid", "exempt_reason", "note")
    _, found = case(tmp_path, "dues", lambda p: setattr(p, "layout", Layout(
        order=order, extra_columns=("工号",))))
    assert found == {("会费收缴", None, "missing_column"), ("会费收缴", "H6", "extra_column")}


def test_duplicate_column(tmp_path):
    _, found = case(tmp_path, "dues", lambda p: setattr(p, "layout", Layout(
        extra_columns=("身份证号",))))
    assert found == {("会费收缴", "I6", "duplicate_column")}


def test_total_row_is_checked(tmp_path):
    p, found = case(tmp_path, "dues", lambda p: setattr(p, "layout", Layout(
        total_row=True, total_overrides=(("dues_paid", Decimal("1.00")),))))
    assert found == {("会费收缴", p.cell(len(p.rows), "dues_paid"), "total_row_mismatch")}


def test_formula_without_cached_value(tmp_path):
    p = plan("dues")
    path = write_template(p.spec, config(), tmp_path / "f.xlsx", p.header, p.rows)
    book = openpyxl.load_workbook(path)
    cell = p.cell(3, "dues_due")
    book["会费收缴"][cell] = "=ROUNDDOWN(D10/10,0)*10*0.005"  # openpyxl stores no cached value
    book.save(path)
    assert findings(path) == {("会费收缴", cell, "formula_no_value")}


def test_unknown_template_version(tmp_path):
    p = plan("roster")
    path = write_template(p.spec, config(), tmp_path / "v.xlsx", p.header, p.rows)
    book = openpyxl.load_workbook(path)
    book["_meta"]["B2"] = "0"
    book.save(path)
    assert findings(path) == {(None, None, "template_version_unknown")}


def test_dues_for_a_member_who_left(tmp_path, sample_config):
    from toolkit.validate import validate_paths

    roster, dues = plan("roster"), plan("dues")
    gone = roster.rows[3]  # 转出 this month
    dues.rows.append({"seq": 99, "name": gone["name"], "id_number": gone["id_number"],
                      "wage": Decimal("5000.00"), "dues_due": Decimal("25.00"),
                      "dues_paid": Decimal("25.00")})
    for p in (roster, dues):
        write_template(p.spec, config(), tmp_path / p.name, p.header, p.rows, p.layout)
    report = validate_paths([tmp_path], config())
    found = {(f.sheet, f.cell, f.code) for f in report.findings()}
    assert found == {("会费收缴", dues.cell(len(dues.rows) - 1, "id_number"), "dues_member_left")}
