"""Audit analytics (审计提示): what an auditor (经费审查委员会) looks at first.

Every flag is a warning with a reason, never a verdict. The same function runs in two places:
consolidation (over the chosen files' rows, for the workbook's 审计提示 sheet) and verify (over
the workbook's own detail sheets), so an auditor gets the flags without trusting either copy.

Rows are plain dicts keyed by the template specs' column keys, plus ``branch``, ``file`` and
``row`` (the row in the clerk's own sheet).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .config import FederationConfig
from .days import WEEKEND, day_off, known
from .findings import Finding, finding

ROUND_UNIT = Decimal("100")
ROUND_FROM = Decimal("1000")
_VOUCHER = re.compile(r"^(.*?)(\d+)$")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Rows:
    """What an audit looks at: members and dues collected per branch, the dues lines that were
    paid (read once, as a stream: a federation has millions), and the ledger lines."""

    members: dict[str, int]
    collected: dict[str, Decimal]
    dues: Iterable[dict[str, Any]]  # id_number, name, dues_paid, branch, file, row
    ledger: list[dict[str, Any]]


def _flag(code: str, row: Mapping[str, Any], amount: Any = None, **params: Any) -> Finding:
    return finding(code, row.get("file") or "", None, None, None, amount,
                   branch=row.get("branch") or "", row=row.get("row") or "",
                   voucher=row.get("voucher") or "", **params)


def _by_branch(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.get("branch") or ""].append(row)
    return grouped


def _money(value: Any) -> Decimal | None:
    return value if isinstance(value, Decimal) and value != 0 else None


def voucher_sequence(ledger: list[dict[str, Any]]) -> list[Finding]:
    """Voucher numbers missing from a branch's sequence, or used twice."""
    flags = []
    for rows in _by_branch(ledger).values():
        seen: dict[tuple[str, int], dict[str, Any]] = {}
        for row in rows:
            match = _VOUCHER.match(str(row.get("voucher") or ""))
            if not match:
                continue
            key = (match.group(1), int(match.group(2)))
            if key in seen:
                flags.append(_flag("audit_voucher_duplicate", row, row.get("voucher"),
                                   first=seen[key].get("row") or ""))
            seen.setdefault(key, row)
        numbers = sorted(seen)
        for (prefix, n), (prefix2, n2) in itertools.pairwise(numbers):
            if prefix == prefix2 and n2 > n + 1:
                flags.append(_flag("audit_voucher_gap", seen[(prefix2, n2)],
                                   seen[(prefix2, n2)].get("voucher"),
                                   missing=f"{n + 1}–{n2 - 1}" if n2 > n + 2 else f"{n + 1}"))
    return flags


def split_expenses(ledger: list[dict[str, Any]], config: FederationConfig) -> list[Finding]:
    """Expenses under the approval threshold on the same day and account that together reach
    it: a large payment split to avoid approval."""
    flags = []
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in ledger:
        expense = _money(row.get("expense"))
        if expense and expense < config.large_expense and row.get("date"):
            groups[(row.get("branch"), row.get("date"), row.get("account_code"))].append(row)
    for rows in groups.values():
        total = sum((r["expense"] for r in rows), ZERO)
        if len(rows) > 1 and total >= config.large_expense:
            for row in rows:
                flags.append(_flag("audit_split_expense", row, row["expense"], total=total,
                                   count=len(rows), threshold=config.large_expense))
    return flags


def round_amounts(ledger: list[dict[str, Any]]) -> list[Finding]:
    """Expenses of 1,000 or more in whole hundreds: estimates, not invoices, are often round."""
    return [_flag("audit_round_amount", row, row["expense"]) for row in ledger
            if (e := _money(row.get("expense"))) and e >= ROUND_FROM and e % ROUND_UNIT == 0]


def off_days(ledger: list[dict[str, Any]], config: FederationConfig) -> list[Finding]:
    """Expenses dated on a weekend or a public holiday (a make-up working day is not
    flagged); and, once per year, a year whose make-up working days are unknown (neither the
    configuration's ``[calendar]`` nor the ``holidays`` package has them): its weekend flags
    may fall on working days."""
    flags, unknown = [], {}
    for row in ledger:
        day = row.get("date")
        if not _money(row.get("expense")) or not isinstance(day, date):
            continue
        why = day_off(day, config)
        if why == WEEKEND:
            flags.append(_flag("audit_weekend", row, row["expense"], date=day))
        elif why is not None:
            flags.append(_flag("audit_holiday", row, row["expense"], date=day, holiday=why))
        if not known(day.year, config):
            unknown.setdefault(day.year, row)
    return flags + [_flag("audit_calendar_unknown", {"branch": "", "file": row.get("file")},
                          year, year=year) for year, row in sorted(unknown.items())]


def _cap_of(summary: str, config: FederationConfig) -> Any:
    """The yearly welfare cap whose keywords a 摘要 names, or None."""
    return next((c for c in config.welfare_caps if any(k in summary for k in c.keywords)), None)


def welfare_spent(ledger: list[dict[str, Any]], config: FederationConfig
                  ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each branch's expenses under each yearly welfare cap (found by its keywords in 摘要):
    (branch, cap) → the ledger rows."""
    spent: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in ledger:
        cap = _cap_of(str(row.get("summary") or ""), config)
        if cap is not None and _money(row.get("expense")):
            spent[(row.get("branch") or "", cap.name)].append(row)
    return spent


def _per_member(total: Decimal, members: int) -> Decimal:
    """Spending per member (all of it when the member count is unknown)."""
    return (total / members).quantize(Decimal("0.01")) if members else total


def welfare(rows: Rows, config: FederationConfig) -> list[Finding]:
    """Welfare spending per member above the yearly caps; welfare paid in cash or cards."""
    flags = []
    for row in rows.ledger:
        expense, summary = _money(row.get("expense")), str(row.get("summary") or "")
        if not expense:
            continue
        cap = _cap_of(summary, config)
        card = any(f in summary for f in config.forbidden_welfare_forms)
        if card or (cap is not None and row.get("settlement") == "现金"):
            flags.append(_flag("audit_cash_welfare", row, expense,
                               kind=cap.name if cap else "福利"))
    caps = {c.name: c for c in config.welfare_caps}
    for (branch, name), items in welfare_spent(rows.ledger, config).items():
        total = sum((r["expense"] for r in items), ZERO)
        count = rows.members.get(branch, 0)
        per_member = _per_member(total, count)
        if per_member > caps[name].per_person_year:
            flags.append(_flag("audit_welfare_cap", items[-1], total, kind=name,
                               per_member=per_member, members=count,
                               cap=caps[name].per_person_year))
    return flags


def welfare_to_date(history: Mapping[str, Mapping[str, Mapping[str, Any]]], result: Any,
                    config: FederationConfig) -> list[Finding]:
    """The yearly caps against the year's welfare spending to date: this period's (each
    branch's ``welfare``, by cap) with the earlier months of the same year as the register
    recorded them (``history``: branch → period → figures). A cap this period's spending
    passes alone is :func:`welfare`'s flag; this one is for the year that passes it."""
    caps = {c.name: c.per_person_year for c in config.welfare_caps}
    year, flags = result.period[:4], []
    for s in result.summaries:
        months = {p: f for p, f in history.get(s.code, {}).items()
                  if p[:4] == year and p < result.period}
        for name, spent in sorted(s.welfare.items()):
            earlier = sum((Decimal(f.get("welfare", {}).get(name) or 0)
                           for f in months.values()), ZERO)
            total = earlier + spent
            if name not in caps or not earlier or _per_member(spent, s.members) > caps[name] \
                    or _per_member(total, s.members) <= caps[name]:
                continue
            ledger = result.chosen.get((s.code, "ledger"))
            flags.append(_flag("audit_welfare_cap_year",
                               {"branch": s.code, "file": ledger.path if ledger else ""},
                               total, kind=name, spent=spent, earlier=earlier,
                               months=len(months), per_member=_per_member(total, s.members),
                               members=s.members, cap=caps[name]))
    return flags


def dues_in_two_branches(dues: Iterable[dict[str, Any]]) -> list[Finding]:
    """One person whose dues were paid in two branches (one pass; keeps only ID → branch),
    matched on the keyed hash where the workbook has one (its ID numbers are masked)."""
    first: dict[str, str] = {}
    flags = []
    for row in dues:
        person, paid = row.get("id_number_key") or row.get("id_number"), _money(row.get("dues_paid"))
        if not person or not paid:
            continue
        branch = row.get("branch") or ""
        other = first.setdefault(person, branch)
        if other != branch:
            flags.append(_flag("audit_dues_two_branches", row, paid, name=row.get("name") or "",
                               id_number=row.get("id_number"), other=other))
    return flags


def ledger_against_dues(rows: Rows) -> list[Finding]:
    """A branch's 401 dues income that differs from the dues it collected."""
    collected = rows.collected
    booked: dict[str, Decimal] = defaultdict(lambda: ZERO)
    where: dict[str, dict[str, Any]] = {}
    for row in rows.ledger:
        if row.get("account_code") == "401":
            booked[row.get("branch")] += row.get("income") or ZERO
            where.setdefault(row.get("branch"), row)
    return [_flag("audit_ledger_dues", where.get(b) or {"branch": b}, booked[b],
                  collected=collected.get(b, ZERO))
            for b in sorted(set(collected) & ({r.get("branch") for r in rows.ledger}))
            if booked[b] != collected[b]]


def audit(rows: Rows, config: FederationConfig) -> list[Finding]:
    """Every flag, in a stable order: by branch, then by kind."""
    flags = [*voucher_sequence(rows.ledger), *split_expenses(rows.ledger, config),
             *round_amounts(rows.ledger), *off_days(rows.ledger, config), *welfare(rows, config),
             *dues_in_two_branches(rows.dues), *ledger_against_dues(rows)]  # dues: read once
    return sorted(flags, key=lambda f: (dict(f.params).get("branch", ""), f.code,
                                        f.file, int(dict(f.params).get("row") or 0)))


GROWING_PERIODS = 3


def growing_arrears(history: Mapping[str, Mapping[str, Mapping[str, Any]]],
                    result: Any) -> list[Finding]:
    """Branches whose dues arrears rose in each of the last periods (from the register's
    history and this consolidation)."""
    flags = []
    for s in result.summaries:
        if s.missing_figure("arrears"):
            continue
        past = history.get(s.code, {})
        recorded = [past[p].get("arrears") for p in sorted(past)]
        if None in recorded:  # a month without a dues sheet breaks the run: unknown, not 0
            recorded = recorded[len(recorded) - recorded[::-1].index(None):]
        series = [Decimal(v) for v in recorded][-(GROWING_PERIODS - 1):]
        series.append(s.arrears)
        if len(series) == GROWING_PERIODS and all(b > a for a, b in itertools.pairwise(series)):
            flags.append(_flag("audit_arrears_growing", {"branch": s.code}, s.arrears,
                               months=GROWING_PERIODS - 1))
    return flags
