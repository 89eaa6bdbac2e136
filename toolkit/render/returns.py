"""Work handed back to the branches (``unionkit return``): for each branch a folder with its
annotated copies and a 退改通知 — a one-page notice of every finding with its cell and fix, what
it has not sent, and the rule a corrected file must follow — and for the treasurer a
``催报清单.xlsx`` of every form not sent, with whom to call.

It reads a consolidation, so a file a correction replaced is not sent back, and the missing
forms are those the 未报送 sheet lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from .. import __version__
from ..atomic import atomic_path
from ..findings import FileReport
from ..messages import say, words
from ..spec import load_spec
from .annotate import annotate_report
from .text import STATUS, template_titles

NOTICE = {"zh": "退改通知.html", "en": "return_notice.html"}
NOTICE_PDF = {"zh": "退改通知.pdf", "en": "return_notice.pdf"}
CHASE = {"zh": "催报清单.xlsx", "en": "chase_list.xlsx"}
#: The folder of files no branch can be told about (unreadable, not a form, no 分会代码).
UNATTRIBUTED = {"zh": "未识别的文件", "en": "unattributed"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


@dataclass
class BranchReturn:
    """One branch's share of the period: its files with findings and the forms it owes."""

    code: str
    name: str
    files: list[FileReport] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # template ids
    pdf: bool = False  # its notice was printed to PDF too

    @property
    def findings(self) -> int:
        return sum(len(f.findings) for f in self.files)

    def folder_name(self) -> str:
        return _UNSAFE.sub("_", f"{self.code}_{self.name}".strip("_ ")) or "_"


def branch_returns(result: Any) -> list[BranchReturn]:
    """Each branch of the directory (then any other a file names), with its files that have
    findings (a superseded file's are not sent back) and the forms it has not sent; last, the
    files no branch can be told about."""
    returns = {s.code: BranchReturn(s.code, s.name) for s in result.summaries}
    apart = BranchReturn("", "")
    for report in result.report.files:
        if not report.findings or result.is_superseded(report):
            continue
        owner = returns.get(report.branch_code or "")
        if owner is None and report.branch_code and report.template:
            owner = returns.setdefault(report.branch_code,
                                       BranchReturn(report.branch_code, ""))
        (owner or apart).files.append(report)
    for branch, template in result.missing:
        returns[branch.code].missing.append(template)
    return [*returns.values(), *([apart] if apart.files else [])]


def contacts(result: Any, config: Any) -> dict[str, tuple[str, str]]:
    """Each branch's 填表人 and 联系电话: from its files' headers this period (the latest filed
    first), else the branch directory's."""
    found = {b.code: (b.contact, b.phone) for b in config.branches}
    dated = sorted((f for f in result.report.files if f.branch_code and f.header),
                   key=lambda f: str(f.filed_on or ""))
    for f in dated:
        preparer, phone = f.header.get("preparer"), f.header.get("phone")
        if preparer or phone:
            found[f.branch_code] = (str(preparer or ""), str(phone or ""))
    return found


def render_notice(branch: BranchReturn, result: Any, config: Any, lang: str,
                  today: date) -> str:
    """The 退改通知 of one branch, as one HTML page that prints on A4."""
    source = resources.files("toolkit.render").joinpath("notice.html.j2").read_text("utf-8")
    page = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return page.from_string(source).render(
        branch=branch, federation=config.name, period=result.period, today=today.isoformat(),
        w=words("returns", lang), t=words("label", lang), status=STATUS[lang],
        titles={t: load_spec(t).title_in(lang) for t in template_titles()},
        lang=lang, version=__version__) + "\n"


def write_returns(result: Any, config: Any, out: Path, lang: str = "zh",
                  today: date | None = None, pdf: bool = True) -> list[BranchReturn]:
    """Write every branch's folder and the 催报清单 under ``out``; returns what each holds.
    With ``pdf``, each 退改通知 is printed to PDF too where a browser can print it
    (:func:`~toolkit.render.pdf.page_pdf`)."""
    from .pdf import page_pdf

    today = today or date.today()
    returns = branch_returns(result)
    for branch in returns:
        folder = out / (branch.folder_name() if branch.code else UNATTRIBUTED[lang])
        folder.mkdir(parents=True, exist_ok=True)
        annotate_report([(Path(f.source), f) for f in branch.files], folder, lang)
        with atomic_path(folder / NOTICE[lang]) as tmp:
            tmp.write_text(render_notice(branch, result, config, lang, today), "utf-8")
        branch.pdf = pdf and page_pdf(folder / NOTICE[lang], folder / NOTICE_PDF[lang])
    _chase_book(result, config, out / CHASE[lang], lang)
    return returns


def _chase_book(result: Any, config: Any, path: Path, lang: str) -> None:
    """催报清单.xlsx: each form not sent, the branch, and whom to call (text cells only)."""
    import xlsxwriter

    from ..consolidate.workbook import FIXED_TIMESTAMP

    w, people = words("returns", lang), contacts(result, config)
    heads = [w["chase_code"], w["chase_name"], w["chase_form"], w["chase_period"],
             w["chase_preparer"], w["chase_phone"]]
    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                              "strings_to_numbers": False,
                                              "strings_to_urls": False})
        book.set_properties({"created": FIXED_TIMESTAMP})  # the same inbox, the same bytes
        sheet = book.add_worksheet(w["chase_sheet"])
        head = book.add_format({"bold": True, "bg_color": "#EEF3FA", "border": 1})
        for c, text in enumerate(heads):
            sheet.write_string(0, c, text, head)
        for r, (branch, template) in enumerate(result.missing, start=1):
            preparer, phone = people.get(branch.code, ("", ""))
            title = load_spec(template).title_in(lang)
            for c, text in enumerate((branch.code, branch.name, title,
                                      result.period_of(template), preparer, phone)):
                sheet.write_string(r, c, str(text))
        sheet.set_column(0, 0, 10)
        sheet.set_column(1, 2, 18)
        sheet.set_column(3, 5, 16)
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.repeat_rows(0)
        sheet.set_footer(say("returns.footer", lang))
        book.close()
