"""Row checks and formula comparison: properties that verify relies on."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from toolkit.consolidate.formulas import normalize_formula
from toolkit.integrity import canonical, changed_cells, row_check
from toolkit.money import excel_number

cells = st.one_of(st.none(), st.text(max_size=10), st.integers(-10**6, 10**6),
                  st.dates(date(1901, 1, 1), date(2099, 12, 31)),
                  st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))


def _read_back(value):
    """The value as a reader hands it back: numbers as doubles, dates as datetimes."""
    if isinstance(value, Decimal):
        return excel_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


@given(st.lists(cells, min_size=1, max_size=12))
def test_a_row_read_back_holds(row):
    assert changed_cells(row_check(row), [_read_back(v) for v in row]) is None


@given(st.lists(cells, min_size=2, max_size=12), st.data())
def test_an_edited_cell_is_named(row, data):
    index = data.draw(st.integers(0, len(row) - 1))
    edited = list(row)
    edited[index] = data.draw(cells.filter(lambda v: canonical(v) != canonical(row[index])))
    changed = changed_cells(row_check(row), edited)
    assert changed is not None and index in changed


def test_money_is_compared_to_the_fen():
    assert canonical(Decimal("12.5")) == canonical(12.5) == "12.50"
    assert canonical(date(2026, 10, 31)) == canonical(datetime(2026, 10, 31)) == "46326.00"


def test_formula_meaning_survives_a_resave():
    ours = "=SUMIFS('会费收缴'!$F:$F,'会费收缴'!$A:$A,$A3)+ROUND(M3*0.40,2)"
    libreoffice = "=SUMIFS(会费收缴!$F:$F,会费收缴!$A:$A,$A3)+ROUND(M3*0.4,2)"
    assert normalize_formula(ours) == normalize_formula(libreoffice)
    assert normalize_formula("=SUBTOTAL(9,E3:E40)") != normalize_formula("=SUBTOTAL(9,E3:E39)")
    assert normalize_formula('=IF(V3>0,"不合格","优秀")') != normalize_formula(
        '=IF(V3>0,"优秀","不合格")')
