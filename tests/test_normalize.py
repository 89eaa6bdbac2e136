from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.read.normalize import (
    YEAR_RANGE,
    BadValue,
    clean_text,
    fold_choice,
    label_key,
    parse_date,
    parse_money,
    parse_period,
    parse_yesno,
    period_bounds,
    serial_to_date,
)

FULL = str.maketrans("0123456789", "０１２３４５６７８９")
DATES = st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31))


@given(DATES)
def test_dates_typed_every_way_read_back(d):
    for text in (f"{d.year}.{d.month}.{d.day}", f"{d.year}/{d.month}/{d.day}",
                 f"{d.year}年{d.month}月{d.day}日", f"{d:%Y%m%d}", f"{d:%Y-%m-%d} 00:00:00",
                 f"{d.year}.{d.month}.{d.day}".translate(FULL)):
        assert parse_date(text) == d
    assert parse_date(int(f"{d:%Y%m%d}")) == d


@given(DATES)
def test_excel_serials_both_systems(d):
    serial_1900 = (d - date(1899, 12, 30)).days
    if serial_1900 in YEAR_RANGE:  # 1905-03-14 … 1905-09-30: a year typed as a number
        with pytest.raises(BadValue, match="date_year_only"):
            parse_date(float(serial_1900))
        return
    assert parse_date(float(serial_1900)) == d
    if d >= date(1904, 1, 1):
        assert serial_to_date((d - date(1904, 1, 1)).days, date1904=True) == d


@given(st.integers(1900, 2100), st.sampled_from(["", "年", "年以前", "年前", "年左右"]))
def test_a_year_alone_is_never_a_date(year, suffix):
    for typed in (year, float(year), f"{year}{suffix}"):
        with pytest.raises(BadValue) as caught:
            parse_date(typed)
        assert (caught.value.code, caught.value.params) == ("date_year_only", {"year": year})


@given(st.integers(0, 10**11))
def test_amounts_typed_as_text(cents):
    amount = Decimal(cents) / 100
    for text in (f"{amount:,.2f}", f"¥{amount}", f"{amount}元", f" {amount:.2f}\u00a0",
                 f"{amount:.2f}".translate(FULL)):
        assert parse_money(text) == amount


def test_bad_amounts_and_precision():
    with pytest.raises(BadValue) as exc:
        parse_money("15.455")
    assert exc.value.code == "money_precision"
    assert parse_money("15.450") == Decimal("15.45")
    with pytest.raises(BadValue):
        parse_money("约五百")
    assert parse_money(0.1) == Decimal("0.10")
    assert parse_money(4500) == Decimal("4500.00")


@given(st.text())
def test_clean_text_is_idempotent(text):
    assert clean_text(clean_text(text)) == clean_text(text)


def test_clean_text_spaces_and_widths():
    assert clean_text("\u3000张\u00a0 三\u200b ") == "张 三"
    assert clean_text("ＡＢ１２（备注）") == "AB12（备注）"
    assert label_key(" 证件号码＊ ") == label_key("证件号码") == label_key("证件号码：")
    assert label_key("收入金额（元）") == label_key("收入金额")


def test_periods_and_yes_no():
    for text in ("2026-03", "2026.3", "2026年3月", "202603", "2026年03月份", "２０２６-０３"):
        assert parse_period(text, "month") == "2026-03"
    assert parse_period(date(2026, 3, 1), "month") == "2026-03"
    assert parse_period("2026年度", "year") == "2026"
    for bad in ("2026-13", "三月", "2026"):
        with pytest.raises(BadValue):
            parse_period(bad, "month")
    assert [parse_yesno(v) for v in ("是", "Y", "√", "否", "no", False)] == \
        ["是", "是", "是", "否", "否", "否"]


def test_bare_serials_follow_the_workbooks_date_system(tmp_path):
    import xlsxwriter

    from toolkit.read.workbook import open_book

    for system in (False, True):
        path = tmp_path / f"d{int(system)}.xlsx"
        book = xlsxwriter.Workbook(str(path), {"date_1904": system})
        book.add_worksheet("s").write_number(0, 0, 45000)  # General format: a bare number
        book.close()
        sheet = open_book(path).sheet("s")
        assert sheet.date1904 is system
        expected = date(2023, 3, 15) if not system else date(2027, 3, 16)
        assert parse_date(sheet.value(0, 0), sheet.date1904) == expected


def test_legacy_xls_date_system_is_read(tmp_path):
    import xlwt

    from toolkit.read.workbook import open_book

    for system in (False, True):
        book = xlwt.Workbook()
        book.dates_1904 = system
        book.add_sheet("s").write(0, 0, 45000)
        book.save(str(tmp_path / f"d{int(system)}.xls"))
        assert open_book(tmp_path / f"d{int(system)}.xls").date1904 is system


_TRICKY = st.sampled_from(list(" \t\n\xa0\u3000\u200b\ufeffａ１Ａ．－ab中,.\u2028\x0b\x1c"))


@given(st.text(_TRICKY) | st.text())
def test_clean_text_shortcut_agrees_with_the_full_clean(text):
    """Text with nothing to translate or collapse is only trimmed: the same as the full clean."""
    from toolkit.read.normalize import _HALF_WIDTH, _SPACES

    assert clean_text(text) == _SPACES.sub(" ", text.translate(_HALF_WIDTH)).strip()


def test_remembered_cells_follow_each_files_date_system():
    """A process remembers parsed cells across files, keyed by what parsing depends on: the
    same serial is two dates in a 1900 and a 1904 workbook, whatever order they come in."""
    from toolkit.spec import load_spec
    from toolkit.validate.fields import Setting, _parsed_column

    born = next(f for f in load_spec("roster").columns if f.type == "date")
    for system in (False, True, False):
        setting = Setting(system, "month", frozenset())
        expected = serial_to_date(45000, date1904=system)
        assert _parsed_column(born, [45000.0, 45000.0], setting) == [expected, expected]


@given(st.sampled_from(["（", "("]), st.sampled_from(["）", ")"]), st.sampled_from(["", " ", "\u3000"]))
def test_choices_fold_brackets_and_spaces(left, right, space):
    assert fold_choice(f"待{left}下{right}{space}岗") == fold_choice("待（下）岗") == "待(下)岗"


def test_label_is_the_first_line_of_a_header_cell():
    assert label_key("是否农民工会员\n填写“是”或“否”") == "是否农民工会员"
    assert label_key("证件号码\n(填写18位身份证)") == "证件号码"
    assert label_key("出生日期（格式：yyyy/MM/dd）") == "出生日期"
    assert label_key("填表单位（盖章）：") == "填表单位"


@pytest.mark.parametrize("text", ["2026-Q4", "2026Q4", "2026 q4", "2026年第四季度", "2026年4季度",
                                  "2026年第4季", "2026-11", "2026年12月"])
def test_a_quarter_as_clerks_write_it(text):
    assert parse_period(text, "quarter") == "2026-Q4"


def test_a_quarter_s_days():
    assert period_bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert period_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    with pytest.raises(BadValue):
        parse_period("2026-Q5", "quarter")
