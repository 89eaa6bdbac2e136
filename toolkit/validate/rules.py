"""Row and sheet rules that need more than one cell, registered by the names specs use.

A spec lists its rules by name (``rules = ["dues_amount", ...]``); each name maps to one small
function here taking the sheet context. A fifth template that only needs field checks needs no
code at all; one that needs a new rule adds one function.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from ..errors import SpecError
from ..ids import resident_id_birth_date, resident_id_gender
from ..money import dues_for_wage
from ..read.normalize import clean_text, period_bounds
from ..spec import PERIOD_END
from .context import Record, SheetContext

Rule = Callable[[SheetContext], None]
RULES: dict[str, Rule] = {}
OUTFLOWS = ("转出", "除名", "退会")
JOINS = ("入会", "转入")
EVENTS = (*JOINS, *OUTFLOWS)  # the changes a period counts
NEEDS_DETAIL = (*OUTFLOWS, "保留")


def outside_period(when: Any, period: str | None) -> bool:
    """Whether a roster row's 会籍变化日期 lies outside the period, so its join or outflow is
    not one of the period's (a blank or unreadable date says nothing: the event counts)."""
    if not period or not isinstance(when, date):
        return False
    start, end = period_bounds(period)
    return not start <= when <= end


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function
    return register


def run_rules(ctx: SheetContext) -> None:
    for name in ctx.spec.rules:
        if name not in RULES:
            raise SpecError(f"template {ctx.spec.id} names an unknown rule {name!r}")
        RULES[name](ctx)


def _ok(record: Record, *keys: str) -> bool:
    """All these values were read cleanly (present and without a finding of their own)."""
    bad, get = record.bad, record.get
    for k in keys:  # noqa: SIM110 (a loop, not all(): this runs for nearly every cell)
        if get(k) is None or k in bad:
            return False
    return True


def _resident_id(record: Record) -> str | None:
    """The row's resident ID number, read cleanly — None for another document (护照 …), whose
    number says nothing of sex or birth date."""
    if record.get("id_type") not in (None, "居民身份证") or not _ok(record, "id_number"):
        return None
    return record.get("id_number")


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return born.replace(year=born.year + years, day=28)


# --- 会员名册 ------------------------------------------------------------------------------------
@rule("roster_person_matches_id")
def roster_person_matches_id(ctx: SheetContext) -> None:
    for r in ctx.records:
        number = _resident_id(r)
        if number is None:
            continue
        if _ok(r, "gender") and r.get("gender") != resident_id_gender(number):
            ctx.report("gender_mismatch", r, "gender", r.get("gender"),
                       expected=resident_id_gender(number))
        born = resident_id_birth_date(number)
        if _ok(r, "birth_date") and born and r.get("birth_date") != born:
            ctx.report("birth_date_mismatch", r, "birth_date", r.get("birth_date"), expected=born)


@rule("roster_join_date")
def roster_join_date(ctx: SheetContext) -> None:
    end, age = ctx.period_end, ctx.config.min_join_age
    for r in ctx.records:
        if not _ok(r, "join_date"):
            continue
        joined = r.get("join_date")
        if end and joined > end:
            ctx.report("join_after_period", r, "join_date", joined, expected=ctx.period)
            continue
        number = _resident_id(r)
        born = resident_id_birth_date(number) if number else (
            r.get("birth_date") if _ok(r, "birth_date") else None)
        if born and joined < _birthday(born, age):
            ctx.report("join_too_young", r, "join_date", joined, expected=age)


@rule("roster_change_detail")
def roster_change_detail(ctx: SheetContext) -> None:
    for r in ctx.records:
        change = r.get("change_type")
        if change is None:  # nearly every row
            continue
        for key in ("change_date", "change_reason") if change in NEEDS_DETAIL else ():
            if r.get(key) in (None, "") and key not in r.bad and key in ctx.located.columns:
                ctx.report("change_detail_missing", r, key, change)
        if change in EVENTS and outside_period(when := r.get("change_date"), ctx.period):
            ctx.report("change_outside_period", r, "change_date", when, change=change,
                       period=ctx.period)


@rule("roster_activist_share")
def roster_activist_share(ctx: SheetContext) -> None:
    if "activist" not in ctx.located.columns:
        return
    members = [r for r in ctx.records if r.get("change_type") not in OUTFLOWS]
    if not members:
        return
    activists = sum(r.get("activist") == "是" for r in members)
    share = Decimal(activists) / Decimal(len(members))
    minimum = ctx.config.activist_min_share
    if share < minimum:
        ctx.report("activist_share_low", None, None, activists, expected=len(members),
                   share=f"{share:.1%}", minimum=f"{minimum:.0%}")


# --- 会费收缴 ------------------------------------------------------------------------------------
@rule("dues_amount")
def dues_amount(ctx: SheetContext) -> None:
    rate, unit = ctx.config.dues_rate, ctx.config.wage_unit
    for r in ctx.records:
        if not _ok(r, "wage", "dues_due"):
            continue
        expected = Decimal("0.00") if r.get("exempt_reason") else dues_for_wage(r.get("wage"),
                                                                                rate, unit)
        if r.get("dues_due") != expected:
            ctx.report("dues_mismatch", r, "dues_due", r.get("dues_due"), expected=expected,
                       rate=f"{(rate * 100).normalize()}%")


@rule("dues_paid")
def dues_paid(ctx: SheetContext) -> None:
    for r in ctx.records:
        if _ok(r, "dues_due", "dues_paid") and r.get("dues_paid") < r.get("dues_due"):
            ctx.report("dues_arrears", r, "dues_paid", r.get("dues_paid"),
                       expected=r.get("dues_due"), short=r.get("dues_due") - r.get("dues_paid"))


@rule("dues_payroll")
def dues_payroll(ctx: SheetContext) -> None:
    payroll = ctx.header.get("payroll")
    if payroll is None:
        return
    wages = sum((r.get("wage") or Decimal(0) for r in ctx.records), Decimal(0))
    if payroll < wages:
        ctx.report_header("payroll_below_wages", "payroll", payroll, expected=wages)


# --- 经费收支账 ----------------------------------------------------------------------------------
def _kind(ctx: SheetContext, code: str) -> str:
    return ctx.config.chart_for(ctx.period).accounts[code].kind


@rule("ledger_account")
def ledger_account(ctx: SheetContext) -> None:
    chart = ctx.config.chart_for(ctx.period)
    for r in ctx.records:
        if not _ok(r, "account_code") or not _ok(r, "account_name"):
            continue
        account = chart.accounts[r.get("account_code")]
        name = clean_text(r.get("account_name")).replace(" ", "")
        if name == account.name:
            continue
        other = _named_in_other_chart(ctx, account.code, name)
        if other is not None:
            moved = next((a.code for a in chart.accounts.values() if a.name == name), "")
            ctx.report("account_other_chart", r, "account_code", account.code, other=other,
                       other_name=name, period=ctx.period or "", chart=chart.name,
                       name=account.name, moved=moved)
        else:
            ctx.report("account_name_mismatch", r, "account_name", r.get("account_name"),
                       account=account.code, expected=account.name)


def _named_in_other_chart(ctx: SheetContext, code: str, name: str) -> str | None:
    """The chart (not in force for this period) in which this code has this name."""
    return next((c.name for c in ctx.config.other_charts(ctx.period)
                 if code in c.accounts and c.accounts[code].name == name), None)


@rule("ledger_one_side")
def ledger_one_side(ctx: SheetContext) -> None:
    sides = {"income": "收入", "expenditure": "支出", "net_assets": "净资产"}
    for r in ctx.records:
        income, expense = r.get("income"), r.get("expense")
        if "income" in r.bad or "expense" in r.bad:
            continue
        if income and expense:
            ctx.report("amount_both_sides", r, "expense")
        elif not income and not expense:
            ctx.report("amount_missing", r, "income")
        elif _ok(r, "account_code"):
            kind = _kind(ctx, r.get("account_code"))
            side = "income" if income else "expense"
            if (kind, side) not in (("income", "income"), ("expenditure", "expense")):
                ctx.report("account_side", r, side, r.get(side), account=r.get("account_code"),
                           expected=sides.get(kind, kind))


@rule("ledger_balance")
def ledger_balance(ctx: SheetContext) -> None:
    opening, closing = ctx.header.get("opening"), ctx.header.get("closing")
    if opening is None or closing is None:
        return
    if any(k in r.bad for r in ctx.records for k in ("income", "expense")):
        return  # an unreadable amount would make the balance finding a guess
    income = sum((r.get("income") or Decimal(0) for r in ctx.records), Decimal(0))
    expense = sum((r.get("expense") or Decimal(0) for r in ctx.records), Decimal(0))
    expected = opening + income - expense
    if closing != expected:
        ctx.report_header("balance_mismatch", "closing", closing, expected=expected)


_VOUCHER_NUMBER = re.compile(r"^(.*?)(\d+)$")


@rule("ledger_vouchers")
def ledger_vouchers(ctx: SheetContext) -> None:
    if ctx.period:
        start, end = period_bounds(ctx.period)
        for r in ctx.records:
            if _ok(r, "date") and not start <= r.get("date") <= end:
                ctx.report("date_out_of_period", r, "date", r.get("date"), expected=ctx.period)
    numbered = []
    for r in ctx.records:
        match = _VOUCHER_NUMBER.match(r.get("voucher") or "") if _ok(r, "voucher") else None
        if match:
            numbered.append((match.group(1), int(match.group(2)), len(match.group(2)), r))
    numbered.sort(key=lambda t: (t[0], t[1]))
    for (prefix, n, _, _), (prefix2, n2, width, r) in itertools.pairwise(numbered):
        if prefix == prefix2 and n2 > n + 1:
            ctx.report("voucher_gap", r, "voucher", r.get("voucher"),
                       expected=f"{prefix}{n + 1:0{width}d}")


@rule("ledger_controls")
def ledger_controls(ctx: SheetContext) -> None:
    config = ctx.config
    for r in ctx.records:
        expense = r.get("expense")
        if not expense or "expense" in r.bad:
            continue
        if expense >= config.large_expense and not r.get("approver"):
            ctx.report("approval_missing", r, "approver", expense, expected=config.large_expense)
        if r.get("settlement") == "现金" and expense > config.cash_limit:
            ctx.report("cash_over_limit", r, "expense", expense, expected=config.cash_limit)
        summary = r.get("summary") or ""
        form = next((f for f in config.forbidden_welfare_forms if f in summary), None)
        if form:
            ctx.report("welfare_cash_card", r, "summary", summary, form=form)
        if "attachments" in ctx.located.columns and not r.get("attachments") \
                and "attachments" not in r.bad:
            ctx.report("attachment_missing", r, "attachments", r.get("attachments") or 0)


# --- 考核评分 ------------------------------------------------------------------------------------
@rule("assessment_scheme")
def assessment_scheme(ctx: SheetContext) -> None:
    scheme = ctx.config.indicators
    for r, indicator in zip(ctx.records, scheme, strict=False):
        for key, expected in (("category", indicator.category), ("content", indicator.content)):
            found = clean_text(r.get(key) or "").replace(" ", "")
            if _ok(r, key) and found != clean_text(expected).replace(" ", ""):
                ctx.report("scheme_changed", r, key, r.get(key), expected=expected)
        points = r.get("points")
        if _ok(r, "points") and points != indicator.points:
            code = "points_raised" if points > indicator.points else "scheme_changed"
            ctx.report(code, r, "points", points, expected=indicator.points)
    if len(ctx.records) != len(scheme):
        ctx.report("scheme_changed", None, None, f"{len(ctx.records)} 行",
                   label="指标行数", expected=f"{len(scheme)} 行")


@rule("assessment_scores")
def assessment_scores(ctx: SheetContext) -> None:
    for r in ctx.records:
        if not _ok(r, "points"):
            continue
        points = r.get("points")
        for key in ("self_score", "review_score"):
            if _ok(r, key) and r.get(key) > points:
                ctx.report("score_above_max", r, key, r.get(key), expected=points)
        review = r.get("review_score")
        if _ok(r, "review_score") and review < points and not r.get("deduction_note") \
                and "deduction_note" in ctx.located.columns:
            ctx.report("deduction_note_missing", r, "deduction_note", review, expected=points)


# --- declared in the spec (docs/templates.md) --------------------------------------------------
def declared_checks(ctx: SheetContext) -> None:
    """The checks a spec declares on its columns, for every template: required_if, only_if,
    not_after, not_before, max_setting and id_checks (``unique_across_branches`` runs across
    the branches' files, in consolidation)."""
    fields = [f for f in ctx.spec.columns if f.required_if or f.only_if or f.not_after
              or f.not_before or f.max_setting or f.id_checks]
    for r in ctx.records if fields else ():
        for f in fields:
            _declared(ctx, r, f)


def _declared(ctx: SheetContext, r: Record, f: Any) -> None:
    value = r.get(f.key)
    empty = value in (None, "") and f.key not in r.bad
    if f.required_if and empty and r.get(f.required_if[0]) in f.required_if[1]:
        other = f.required_if[0]
        ctx.report("required_if_missing", r, f.key, None, other_label=ctx.label(other),
                   other=r.get(other))
    if f.only_if and not empty and _ok(r, f.key, f.only_if[0]) \
            and r.get(f.only_if[0]) not in f.only_if[1]:
        other = f.only_if[0]
        ctx.report("value_not_expected", r, f.key, value, other_label=ctx.label(other),
                   other=r.get(other), allowed="、".join(f"“{v}”" for v in f.only_if[1]))
    if not _ok(r, f.key):
        return
    if f.not_after:
        limit = ctx.period_end if f.not_after == PERIOD_END else (
            r.get(f.not_after) if _ok(r, f.not_after) else None)
        if limit is not None and value > limit:
            named = "period" if f.not_after == PERIOD_END else f.not_after
            ctx.report("date_after_limit", r, f.key, value, limit_label=ctx.label(named),
                       expected=limit)
    if f.not_before and _ok(r, f.not_before) and value < r.get(f.not_before):
        ctx.report("date_before_limit", r, f.key, value, limit_label=ctx.label(f.not_before),
                   expected=r.get(f.not_before))
    if f.max_setting and value > (limit := ctx.config.limits[f.max_setting]):
        ctx.report("above_setting", r, f.key, value, expected=limit, setting=f.max_setting)
    if f.id_checks and r.get("id_type") in (None, "居民身份证"):
        _id_checks(ctx, r, value, dict(f.id_checks))


def _id_checks(ctx: SheetContext, r: Record, number: str, checks: dict[str, str]) -> None:
    """An ID column's sex and birth date against the columns ``id_checks`` names."""
    sex, birth = checks.get("sex"), checks.get("birth")
    if sex and _ok(r, sex) and r.get(sex) != resident_id_gender(number):
        ctx.report("gender_mismatch", r, sex, r.get(sex), expected=resident_id_gender(number))
    born = resident_id_birth_date(number) if birth else None
    if birth and born and _ok(r, birth) and r.get(birth) != born:
        ctx.report("birth_date_mismatch", r, birth, r.get(birth), expected=born)
