"""Checks across files of one run: dues lines against the same branch's roster for the period.

Only when that roster is among the inputs; when a branch sent two rosters for a period, the one
with the later 填报日期 is the roster (the same rule consolidation uses to supersede).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..findings import FileReport, finding
from ..layout import a1
from .rules import OUTFLOWS


def latest(reports: Iterable[FileReport]) -> FileReport | None:
    """The report with the latest 填报日期 (None when there is none, or a tie at the top)."""
    ranked = sorted(reports, key=lambda r: r.filed_on or date.min, reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0].filed_on == ranked[1].filed_on):
        return None
    return ranked[0]


def _slots(reports: Iterable[FileReport], template: str) -> dict[tuple, list[FileReport]]:
    slots: dict[tuple, list[FileReport]] = {}
    for report in reports:
        if report.template == template and report.branch_code and report.period:
            slots.setdefault((report.branch_code, report.period), []).append(report)
    return slots


def check_dues_against_roster(reports: list[FileReport]) -> None:
    """Dues lines for people absent from the branch's roster, or gone from it this month."""
    rosters = _slots(reports, "roster")
    for (branch, period), dues_reports in _slots(reports, "dues").items():
        roster = latest(rosters.get((branch, period), []))
        if roster is None:
            continue
        people = {rec.get("id_number"): rec for rec in roster.load_records() if rec.get("id_number")}
        for dues in dues_reports:
            sheet, col = dues.sheet, dues.columns.get("id_number")
            for rec in dues.load_records():
                person_id = rec.get("id_number")
                if not person_id or "id_number" in rec.bad:
                    continue
                cell = a1(rec.row, col) if col is not None else None
                member = people.get(person_id)
                if member is None:
                    dues.findings.append(finding(
                        "dues_not_in_roster", dues.path, sheet, cell, "id_number", person_id,
                        name=rec.get("name") or "", period=period))
                elif member.get("change_type") in OUTFLOWS:
                    dues.findings.append(finding(
                        "dues_member_left", dues.path, sheet, cell, "id_number", person_id,
                        name=rec.get("name") or "", change=member.get("change_type")))
