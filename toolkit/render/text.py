"""A readable table per file, for the terminal."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..findings import Finding, Report, escaped
from ..spec import all_specs

STATUS = {
    "zh": {"ok": "通过", "warnings": "有警告", "errors": "有错误", "unreadable": "无法读取",
           "unrecognized": "无法识别", "error": "错误", "warning": "警告", "info": "说明",
           "superseded": "已替代，所用文件为 {path}，本文件的问题不计数"},
    "en": {"ok": "ok", "warnings": "warnings", "errors": "errors", "unreadable": "unreadable",
           "unrecognized": "unrecognized", "error": "error", "warning": "warning",
           "info": "note", "superseded": "superseded by {path}; its findings are not counted"},
}
MARK = {"ok": "✓", "warnings": "!", "errors": "✗", "unreadable": "✗", "unrecognized": "?"}
TEMPLATE_TITLES = {spec.id: spec.title for spec in all_specs()}
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
    return f"    {pad(place, 16)} {pad(STATUS[lang][x.severity], 4)} {x.code:<24} {x.message(lang)}"


def render_text(report: Report, lang: str = "zh") -> str:
    words = STATUS[lang]
    lines: list[str] = []
    for f in report.files:
        what = " ".join(x for x in (TEMPLATE_TITLES.get(f.template or "", ""), f.branch_code or "",
                                     f.period or "") if x)
        rows = f" {f.rows}{'行' if lang == 'zh' else ' rows'}" if f.template else ""
        replaced = f"  ({words['superseded'].format(path=f.superseded_by)})" \
            if f.superseded_by else ""
        lines.append(f"{MARK[f.status]} {f.path}  [{words[f.status]}] {what}{rows}{replaced}")
        lines.extend(_finding_line(x, lang) for x in f.findings)
    label = ("文件 {files} 个，错误 {errors} 个，警告 {warnings} 个" if lang == "zh"
             else "{files} files, {errors} errors, {warnings} warnings")
    lines.append("")
    lines.append(label.format(files=len(report.files), errors=report.errors,
                              warnings=report.warnings))
    return "\n".join(map(terminal_safe, lines)) + "\n"


def render_verification(result: Any, lang: str = "zh") -> str:
    """verify's report: the verdict, what was checked, each discrepancy, the audit flags."""
    zh = lang == "zh"
    ok = result.errors == 0
    verdict = ("✓ 核验通过" if ok else "✗ 核验未通过") if zh else ("✓ verified" if ok else
                                                            "✗ verification failed")
    counts = result.counts
    lines = [f"{verdict}  {result.path}  ({result.period})",
             (f"  工作表 {counts.get('sheets', 0)} 张，明细行 {counts.get('detail_rows', 0)} 行，"
              f"合计与汇总数 {counts.get('figures', 0)} 个，来源文件 {counts.get('source_files', 0)} 个"
              if zh else
              f"  {counts.get('sheets', 0)} sheets, {counts.get('detail_rows', 0)} detail rows, "
              f"{counts.get('figures', 0)} totals and figures, "
              f"{counts.get('source_files', 0)} source files"),
             f"  {'数据摘要' if zh else 'data digest'}: {result.digest_found}"]
    if result.findings:
        lines.append("")
        lines.extend(_finding_line(x, lang) for x in result.findings)
    if result.audit:
        lines.append("")
        lines.append(f"{'审计提示' if zh else 'Audit flags'} ({len(result.audit)}):")
        files = max(width(x.file) for x in result.audit)
        lines.extend(f"    {pad(x.file, files)}  {x.code:<24} {x.message(lang)}"
                     for x in result.audit)
    lines.append("")
    lines.append(f"错误 {result.errors} 个，警告 {result.warnings} 个，审计提示 {len(result.audit)} 条"
                  if zh else f"{result.errors} errors, {result.warnings} warnings, "
                  f"{len(result.audit)} audit flags")
    return "\n".join(map(terminal_safe, lines)) + "\n"
