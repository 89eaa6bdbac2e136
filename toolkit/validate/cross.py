"""Checks across files of one run: dues lines against the same branch's roster for the period.

Only when that roster is among the inputs; when a branch sent two rosters for a period, the one
with the later 填报日期 is the roster (the same rule consolidation uses to supersede).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

from ..findings import FileReport, finding
from ..layout import a1
from ..spec import load_spec
from .rules import OUTFLOWS


def latest(reports: Iterable[FileReport]) -> FileReport | None:
    """The report with the latest 填报日期 (None when there is none, or a tie at the top)."""
    ranked = sorted(reports, key=lambda r: r.filed_on or date.min, reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0].filed_on == ranked[1].filed_on):
        return None
    return ranked[0]


def choose(groups: Mapping[tuple[str, str], list[FileReport]]
           ) -> tuple[dict[tuple[str, str], FileReport], list[tuple[FileReport, FileReport]]]:
    """The file used in each (branch, template) slot, and the (old, new) pairs it supersedes,
    each old file marked (:attr:`FileReport.superseded_by`). One file under two names (same
    SHA-256) is one submission; of the rest the latest 填报日期 is used; a tie at the top is a
    ``duplicate_submission`` on each file, and the last by name is used."""
    chosen, superseded = {}, []
    for (branch, template), found in sorted(groups.items()):
        files = _distinct(found)
        superseded += [(f, files[_content(f)]) for f in found if files[_content(f)] is not f]
        winner = latest(files.values())
        if winner is None and len(files) > 1:
            top = max((f.filed_on for f in files.values() if f.filed_on), default=None)
            for f in files.values():
                f.findings.append(finding("duplicate_submission", f.path, value=top, branch=branch,
                                          template=load_spec(template).title, period=f.period))
            winner = sorted(files.values(), key=lambda f: f.path)[-1]
        chosen[(branch, template)] = winner
        superseded += [(f, winner) for f in files.values() if f is not winner]
    for old, new in superseded:
        old.superseded_by = new.path
    return chosen, superseded


def supersede(files: Iterable[FileReport]) -> list[tuple[FileReport, FileReport]]:
    """Mark the files a later one replaces, slot by slot (branch, template and period), as
    consolidation would: validating an inbox counts what consolidating it counts."""
    groups: dict[tuple[str, str, str], list[FileReport]] = {}
    for f in files:
        if f.template and f.branch_code and f.period:
            groups.setdefault((f.period, f.branch_code, f.template), []).append(f)
    return [pair for (_, branch, template), found in sorted(groups.items())
            for pair in choose({(branch, template): found})[1]]


def _distinct(files: list[FileReport]) -> dict[str, FileReport]:
    """A slot's files by content (SHA-256): the first by name of each."""
    out: dict[str, FileReport] = {}
    for f in sorted(files, key=lambda f: f.path):
        out.setdefault(_content(f), f)
    return out


def _content(f: FileReport) -> str:
    return f.sha256 or f.path


def _slots(reports: Iterable[FileReport], template: str) -> dict[tuple, list[FileReport]]:
    slots: dict[tuple, list[FileReport]] = {}
    for report in reports:
        if report.template == template and report.branch_code and report.period:
            slots.setdefault((report.branch_code, report.period), []).append(report)
    return slots


class Person(NamedTuple):
    """A row's person, as the cross-file checks need it (kept small: it crosses processes)."""

    id_number: str
    row: int  # 0-based sheet row
    name: str
    change: str | None


def people(records: Iterable[Any]) -> list[Person]:
    """The people of a roster's or dues sheet's rows with a valid ID number."""
    return [Person(rec.get("id_number"), rec.row, rec.get("name") or "", rec.get("change_type"))
            for rec in records if rec.get("id_number") and "id_number" not in rec.bad]


def check_dues_against_roster(reports: list[FileReport]) -> None:
    """Dues lines for people absent from the branch's roster, or gone from it this month."""
    rosters = _slots(reports, "roster")
    for (branch, period), dues_reports in _slots(reports, "dues").items():
        roster = latest(rosters.get((branch, period), []))
        if roster is None:
            continue
        members = {p.id_number: p for p in roster.items("people")}
        for dues in dues_reports:
            sheet, col = dues.sheet, dues.columns.get("id_number")
            paying = list(dues.items("people"))
            _without_dues(dues, roster, members, {p.id_number for p in paying})
            for person in paying:
                member = members.get(person.id_number)
                if member is not None and member.change not in OUTFLOWS:
                    continue  # nearly every line: no cell address to make
                cell = a1(person.row, col) if col is not None else None
                if member is None:
                    dues.add(finding(
                        "dues_not_in_roster", dues.path, sheet, cell, "id_number",
                        person.id_number, name=person.name, period=period))
                else:
                    dues.add(finding(
                        "dues_member_left", dues.path, sheet, cell, "id_number",
                        person.id_number, name=person.name, change=member.change))
            dues.settle()


#: Names a members_without_dues finding quotes; the count says how many more there are.
NAMES_SHOWN = 5


def _without_dues(dues: FileReport, roster: FileReport, members: dict[str, Person],
                  paying: set[str]) -> None:
    """Members staying on the roster with no line at all in the dues sheet (an exempt member
    has a line, with 免缴原因): one warning on the dues file, naming the first few."""
    absent = [p for p in members.values() if p.change not in OUTFLOWS and p.id_number not in paying]
    if absent:
        names = "、".join(p.name or p.id_number for p in absent[:NAMES_SHOWN])
        dues.findings.append(finding("members_without_dues", dues.path, dues.sheet, None, None,
                                     len(absent), names=names + ("…" if len(absent) > NAMES_SHOWN
                                                                 else ""),
                                     roster=roster.path))
