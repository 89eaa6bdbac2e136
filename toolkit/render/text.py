"""A readable table per file, for the terminal."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..findings import Finding, Report, escaped
from ..messages import LANGS, say, words
from ..spec import all_specs

#: A file's status and a finding's severity in words, by language (the catalog's ``status``).
STATUS = {lang: words("status", lang) for lang in LANGS}
MARK = {"ok": "✓", "warnings": "!", "errors": "✗", "unreadable": "✗", "unrecognized": "?"}
def template_titles() -> dict[str, str]:
    """Each template in use by id: its Chinese title."""
    return {spec.id: spec.title for spec in all_specs()}
#: Characters a terminal acts on: C0 and C1 controls (ESC starts colour, cursor and OSC
#: sequences), DEL, and the bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def width(text: str) -> int:
    """Columns a terminal gives ``text``: two for a wide (CJK) character, none for a
    combining mark, one for the rest."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` left-justified to ``columns`` as shown, so a table keeps its columns where a
    file name or a sheet name is Chinese."""
    return text + " " * max(columns - width(text), 0)


def clip(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` as shown."""
    out, used = "", 0
    for ch in text:
        used += width(ch)
        if used > columns:
            break
        out += ch
    return out


def terminal_safe(text: str) -> str:
    """Clerk text made inert for a terminal: every control character shown as an escape
    (\\x1b), so a cell can never clear the screen or print a fake “all files OK”."""
    return escaped(_CONTROL, text)


def _finding_line(x: Finding, lang: str) -> str:
    place = f"{x.sheet or ''}!{x.cell}" if x.cell else (x.sheet or x.file or "—")
    severity, kind = pad(STATUS[lang][x.severity], 4), pad(x.title(lang), 20)
    return f"    {pad(place, 16)} {severity} {kind} {x.message(lang)}"


#: The members in two sub-federations the terminal lists (the workbook's 重复会员 has all).
SHOWN_TWICE = 20


def render_rollup(result: Any, out: object, lang: str = "zh") -> str:
    """rollup's report: each finding, then what was rolled up."""
    found = result.all_findings()
    twice = [x for x in found if x.code == "rollup_member_in_two"]
    lines = [_finding_line(x, lang) for x in found if x.code != "rollup_member_in_two"]
    lines += [_finding_line(x, lang) for x in twice[:SHOWN_TWICE]]
    if len(twice) > SHOWN_TWICE:
        lines.append("    " + say("text.more_twice", lang, count=len(twice) - SHOWN_TWICE))
    lines.append(say("say.rolled_up", lang, out=out, sources=len(result.used),
                     branches=sum(len(s.branches) for s in result.used), period=result.period,
                     people=len(result.twice)))
    return "\n".join(map(terminal_safe, lines)) + "\n"


def render_text(report: Report, lang: str = "zh") -> str:
    shown = STATUS[lang]
    lines: list[str] = []
    for f in report.files:
        what = " ".join(x for x in (template_titles().get(f.template or "", ""), f.branch_code or "",
                                     f.period or "") if x)
        rows = f" {say('text.rows', lang, rows=f.rows)}" if f.template else ""
        replaced = f"  ({say('status.superseded', lang, path=f.superseded_by)})" \
            if f.superseded_by else ""
        lines.append(f"{MARK[f.status]} {f.path}  [{shown[f.status]}] {what}{rows}{replaced}")
        lines.extend(_finding_line(x, lang) for x in f.findings)
    lines.append("")
    lines.append(say("text.validate_summary", lang, files=len(report.files),
                     errors=report.errors, warnings=report.warnings))
    return "\n".join(map(terminal_safe, lines)) + "\n"


def render_verification(result: Any, lang: str = "zh") -> str:
    """verify's report: the verdict, what was checked, each discrepancy, the audit flags."""
    verdict = say("text.verify_ok" if result.errors == 0 else "text.verify_failed", lang)
    counts = result.counts
    lines = [f"{verdict}  {result.path}  ({result.period})",
             "  " + say("text.verify_counts", lang, sheets=counts.get("sheets", 0),
                        rows=counts.get("detail_rows", 0), figures=counts.get("figures", 0),
                        sources=counts.get("source_files", 0)),
             f"  {say('text.digest', lang)}: {result.digest_found}"]
    if result.findings:
        lines.append("")
        lines.extend(_finding_line(x, lang) for x in result.findings)
    if result.audit:
        lines.append("")
        lines.append(f"{say('text.audit_flags', lang)} ({len(result.audit)}):")
        files = max(width(x.file) for x in result.audit)
        lines.extend(f"    {pad(x.file, files)}  {x.code:<24} {x.message(lang)}"
                     for x in result.audit)
    lines.append("")
    lines.append(say("text.verify_summary", lang, errors=result.errors,
                     warnings=result.warnings, flags=len(result.audit)))
    return "\n".join(map(terminal_safe, lines)) + "\n"
