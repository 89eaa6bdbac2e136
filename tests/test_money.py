from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.money import (
    decimal_from_cell,
    dues_for_wage,
    excel_number,
    fund_due,
    round_fen,
    split_fund,
    to_money,
)

RATE = Decimal("0.005")


@pytest.mark.parametrize(("wage", "dues"), [
    ("3089.50", "15.40"),   # RULES.md example
    ("9.99", "0.00"),
    ("10.00", "0.05"),
    ("0", "0.00"),
    ("-5", "0.00"),
    ("19.99", "0.05"),
    ("20", "0.10"),
    ("12345.67", "61.70"),
    ("99999999.99", "499999.95"),
])
def test_dues_edges(wage, dues):
    assert dues_for_wage(Decimal(wage), RATE) == Decimal(dues)


@given(st.integers(0, 10**10))
def test_dues_match_integer_formula(cents):
    """Independent formula in integer fen: floor(cents / 1000) * 1000 * 5 / 1000."""
    wage = Decimal(cents) / 100
    expected_fen = (cents // 1000) * 1000 * 5 // 1000
    assert dues_for_wage(wage, RATE) == Decimal(expected_fen) / 100
    assert dues_for_wage(wage, RATE) % Decimal("0.05") == 0


def test_round_half_up_like_excel():
    assert round_fen(Decimal("2.675")) == Decimal("2.68")   # float round() gives 2.67
    assert round_fen(Decimal("-2.675")) == Decimal("-2.68")
    assert round_fen(Decimal("0.005")) == Decimal("0.01")


@given(st.integers(0, 10**12))
def test_fund_split_adds_up(cents):
    payroll = Decimal(cents) / 100
    fund = fund_due(payroll, Decimal("0.02"))
    kept, upper = split_fund(fund, Decimal("0.40"))
    assert kept + upper == fund
    assert upper == round_fen(fund * Decimal("0.40"))


@given(st.integers(-10**13, 10**13))
def test_amounts_round_trip_through_xlsx_doubles(cents):
    amount = Decimal(cents) / 100
    assert decimal_from_cell(excel_number(amount)) == amount


def test_floats_are_refused_as_money():
    with pytest.raises(TypeError):
        to_money(0.1)
    assert to_money("4500.00") == Decimal("4500.00")
