"""A self-contained HTML page per run: files, statuses, findings grouped by file and sheet."""

from __future__ import annotations

from importlib import resources

import jinja2

from .. import __version__
from ..findings import Report
from .text import STATUS, TEMPLATE_TITLES

LABELS = {
    "zh": {"title": "unionkit 校验报告", "files": "文件", "errors": "错误", "warnings": "警告",
           "file": "文件", "template": "报表", "branch": "分会代码", "period": "所属期",
           "rows": "行数", "status": "状态", "cell": "单元格", "severity": "级别",
           "code": "代码", "message": "问题", "fix": "怎么改"},
    "en": {"title": "unionkit validation report", "files": "Files", "errors": "Errors",
           "warnings": "Warnings", "file": "File", "template": "Template", "branch": "Branch",
           "period": "Period", "rows": "Rows", "status": "Status", "cell": "Cell",
           "severity": "Severity", "code": "Code", "message": "Problem", "fix": "How to fix"},
}


def render_html(report: Report, lang: str = "zh") -> str:
    source = resources.files("toolkit.render").joinpath("report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source).render(report=report, lang=lang, t=LABELS[lang],
                                          words=STATUS[lang], titles=TEMPLATE_TITLES,
                                          version=__version__) + "\n"
