"""Audit analytics: one case per flag, built from plain rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from toolkit.audit import Rows, audit
from toolkit.config import load_config


@pytest.fixture(scope="module")
def config():
    return load_config()


def _line(voucher: str, day: date, expense: str | None = None, income: str | None = None,
          **extra) -> dict:
    row = {"branch": extra.pop("branch", "FH01"), "file": "FH01_经费收支账.xlsx", "row": 7,
           "voucher": voucher, "date": day, "summary": extra.pop("summary", "办公用品"),
           "account_code": extra.pop("account_code", "50402"), "settlement": "银行转账",
           "expense": Decimal(expense) if expense else None,
           "income": Decimal(income) if income else None}
    return {**row, **extra}


def _flags(config, ledger=(), dues=(), members=None):
    collected: dict = {}
    for line in dues:
        collected[line["branch"]] = collected.get(line["branch"], Decimal(0)) + line["dues_paid"]
    rows = Rows(members or {"FH01": 100, "FH02": 100}, collected, list(dues), list(ledger))
    return [(f.code, dict(f.params).get("voucher")) for f in audit(rows, config)]


WEEKDAY = date(2026, 10, 14)


def test_clean_ledger_has_no_flags(config):
    assert _flags(config, [_line("记-001", WEEKDAY, "123.45"),
                           _line("记-002", WEEKDAY, "67.80", account_code="50101")]) == []


def test_voucher_gap_and_duplicate(config):
    flags = _flags(config, [_line("记-001", WEEKDAY, "10.50"), _line("记-004", WEEKDAY, "20.50"),
                            _line("记-004", WEEKDAY, "30.50", account_code="50101")])
    assert ("audit_voucher_gap", "记-004") in flags
    assert ("audit_voucher_duplicate", "记-004") in flags


def test_split_under_the_approval_threshold(config):
    flags = _flags(config, [_line("记-001", WEEKDAY, "2600.10"), _line("记-002", WEEKDAY, "2600.20")])
    assert flags.count(("audit_split_expense", "记-001")) == 1
    assert ("audit_split_expense", "记-002") in flags


def test_round_amount(config):
    assert _flags(config, [_line("记-001", WEEKDAY, "3000.00")]) == [
        ("audit_round_amount", "记-001")]


def test_weekend_holiday_and_working_weekend(config):
    flags = _flags(config, [_line("记-001", date(2026, 10, 17), "10.50"),   # a Saturday
                            _line("记-002", date(2026, 10, 2), "10.60"),    # National Day
                            _line("记-003", date(2026, 10, 10), "10.70")])  # working Saturday
    assert flags == [("audit_holiday", "记-002"), ("audit_weekend", "记-001")]


def test_welfare_above_the_cap_and_paid_in_cash(config):
    ledger = [_line("记-001", WEEKDAY, "160000.50", summary="中秋节日慰问品"),
              _line("记-002", WEEKDAY, "300.10", summary="春节慰问", settlement="现金")]
    flags = _flags(config, ledger)
    assert ("audit_welfare_cap", "记-002") in flags  # 160,300.60 / 100 members > 1,500
    assert ("audit_cash_welfare", "记-002") in flags


def test_dues_in_two_branches_and_ledger_against_dues(config):
    dues = [{"branch": "FH01", "file": "a.xlsx", "row": 8, "id_number": "11010519491231002X",
             "name": "张伟", "dues_paid": Decimal("35.20")},
            {"branch": "FH02", "file": "b.xlsx", "row": 9, "id_number": "11010519491231002X",
             "name": "张伟", "dues_paid": Decimal("35.20")}]
    ledger = [_line("记-001", WEEKDAY, income="30.00", account_code="401")]
    codes = [code for code, _ in _flags(config, ledger, dues)]
    assert "audit_dues_two_branches" in codes and "audit_ledger_dues" in codes


def test_a_year_the_configuration_does_not_list_takes_chinas_statutory_holidays(config):
    """2035 is not in the default [calendar]: 国庆节 still comes from the holidays package, and
    since nobody knows 2035's make-up working days yet, one flag says the weekend flags of
    that year may fall on working days."""
    assert 2035 not in config.calendar_years
    rows = Rows({"FH01": 100}, {}, [], [_line("记-001", date(2035, 10, 1), "123.45"),
                                        _line("记-002", date(2035, 10, 13), "67.80"),
                                        _line("记-003", date(2035, 10, 16), "12.30")])
    flags = audit(rows, config)
    codes = [(f.code, dict(f.params).get("voucher")) for f in flags]
    assert sorted(codes) == [("audit_calendar_unknown", ""), ("audit_holiday", "记-001"),
                             ("audit_weekend", "记-002")]
    holiday = next(f for f in flags if f.code == "audit_holiday")
    assert "国庆节" in holiday.message("zh")
    unknown = next(f for f in flags if f.code == "audit_calendar_unknown")
    assert "2035 年的调休安排" in unknown.message("zh")


def test_a_listed_year_follows_the_configuration_alone(config):
    """2026 is in the default [calendar]: its make-up working Saturday is a working day and no
    flag says the calendar is unknown."""
    assert 2026 in config.calendar_years
    assert _flags(config, [_line("记-001", date(2026, 10, 10), "123.45")]) == []
