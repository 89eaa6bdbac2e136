"""A readable table per file, for the terminal."""

from __future__ import annotations

from ..findings import Report
from ..spec import all_specs

STATUS = {
    "zh": {"ok": "通过", "warnings": "有警告", "errors": "有错误", "unreadable": "无法读取",
           "unrecognized": "无法识别", "error": "错误", "warning": "警告"},
    "en": {"ok": "ok", "warnings": "warnings", "errors": "errors", "unreadable": "unreadable",
           "unrecognized": "unrecognized", "error": "error", "warning": "warning"},
}
MARK = {"ok": "✓", "warnings": "!", "errors": "✗", "unreadable": "✗", "unrecognized": "?"}
TEMPLATE_TITLES = {spec.id: spec.title for spec in all_specs()}


def render_text(report: Report, lang: str = "zh") -> str:
    words = STATUS[lang]
    lines: list[str] = []
    for f in report.files:
        what = " ".join(x for x in (TEMPLATE_TITLES.get(f.template or "", ""), f.branch_code or "",
                                     f.period or "") if x)
        rows = f" {f.rows}{'行' if lang == 'zh' else ' rows'}" if f.template else ""
        lines.append(f"{MARK[f.status]} {f.path}  [{words[f.status]}] {what}{rows}")
        for x in f.findings:
            place = f"{x.sheet or ''}!{x.cell}" if x.cell else (x.sheet or "—")
            lines.append(f"    {place:<16} {words[x.severity]:<4} {x.code:<24} {x.message(lang)}")
    label = ("文件 {files} 个，错误 {errors} 个，警告 {warnings} 个" if lang == "zh"
             else "{files} files, {errors} errors, {warnings} warnings")
    lines.append("")
    lines.append(label.format(files=len(report.files), errors=report.errors,
                              warnings=report.warnings))
    return "\n".join(lines) + "\n"
