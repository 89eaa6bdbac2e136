"""Write the federation's workbook: 汇总, one sheet per template, 问题清单, 未报送, 来源清单.

Totals are live formulas (SUBTOTAL, SUMIFS, COUNTIFS, ROUND) written together with their exact
cached values computed in Decimal, so Excel, WPS and LibreOffice show the same numbers before
any recalculation. Clerks' text is always written as a string (a leading = stays text). Fixed
document timestamps make the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from .. import __version__
from ..atomic import atomic_path
from ..findings import ERROR
from ..layout import col_letter
from ..money import excel_number
from ..render.text import STATUS
from ..spec import TEMPLATE_IDS, load_spec
from ..templates import FIXED_TIMESTAMP
from . import BranchSummary, Consolidation

SUMMARY = "汇总"
FINDINGS, MISSING, MANIFEST = "问题清单", "未报送", "来源清单"
FIRST_DATA_ROW = 2  # 0-based: title row, header row, then data


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 10}
        self.title = book.add_format({**base, "bold": True, "font_size": 14})
        self.head = book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1,
                                     "text_wrap": True, "align": "center", "valign": "vcenter"})
        self.text = book.add_format({**base, "num_format": "@"})
        self.int = book.add_format({**base, "num_format": "0"})
        self.money = book.add_format({**base, "num_format": "#,##0.00"})
        self.points = book.add_format({**base, "num_format": "0.0"})
        self.pct = book.add_format({**base, "num_format": "0.0%"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.sub_text = book.add_format({**base, "bold": True, "bg_color": "#F2F2F2"})
        self.sub_money = book.add_format({**base, "bold": True, "bg_color": "#F2F2F2",
                                          "num_format": "#,##0.00"})
        self.bad = book.add_format({"bg_color": "#FFC7CE"})
        self.warn = book.add_format({"bg_color": "#FFEB9C"})


def _write(ws: Any, row: int, col: int, value: Any, fmt: _Formats, kind: str) -> None:
    if value is None or value == "":
        return
    if isinstance(value, Decimal):
        ws.write_number(row, col, excel_number(value), fmt.points if kind == "points" else fmt.money)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt.date)
    elif isinstance(value, int) and not isinstance(value, bool):
        ws.write_number(row, col, value, fmt.int)
    else:
        ws.write_string(row, col, str(value), fmt.text)


def _row_codes(report: Any) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = {}
    for f in report.findings:
        if f.row is not None and f.severity == ERROR:
            codes.setdefault(f.row, []).append(f.code)
    return codes


def _columns(template: str) -> dict[str, str]:
    """The detail sheet's name and the letter of each column key (分会代码 is column A)."""
    spec = load_spec(template)
    return {"sheet": spec.title, **{c.key: col_letter(i + 1) for i, c in enumerate(spec.columns)}}


def _detail_sheet(book: Any, fmt: _Formats, result: Consolidation, template: str) -> None:
    """One template's rows from every chosen file, a 小计 per branch and a 合计."""
    spec = load_spec(template)
    ws = book.add_worksheet(spec.title)
    keys = [c.key for c in spec.columns]
    heads = ["分会代码", *(c.label for c in spec.columns), "来源文件", "来源行", "状态"]
    ws.write_string(0, 0, f"{spec.title}（{result.period_of(template)}）汇总明细", fmt.title)
    for c, text in enumerate(heads):
        ws.write_string(1, c, text, fmt.head)
    sums = {c.key for c in spec.columns if c.type in ("money", "points")}
    letters = {k: col_letter(i + 1) for i, k in enumerate(keys)}
    row = FIRST_DATA_ROW
    grand: dict[str, Decimal] = {k: Decimal(0) for k in sums}
    for (branch, t), report in sorted(result.chosen.items()):
        if t != template:
            continue
        start, codes = row, _row_codes(report)
        block: dict[str, Decimal] = {k: Decimal(0) for k in sums}
        for rec in report.records:
            ws.write_string(row, 0, branch, fmt.text)
            for i, key in enumerate(keys, start=1):
                value = rec.get(key)
                _write(ws, row, i, value if value is not None else rec.raw.get(key), fmt,
                       spec.columns[i - 1].type)
                if key in sums and isinstance(value, Decimal):
                    block[key] += value
            ws.write_string(row, len(keys) + 1, report.path, fmt.text)
            ws.write_number(row, len(keys) + 2, rec.row + 1, fmt.int)
            status = ",".join(codes.get(rec.row + 1, []))
            ws.write_string(row, len(keys) + 3, status or "ok", fmt.text)
            row += 1
        ws.write_string(row, 0, f"{branch} 小计", fmt.sub_text)
        for key, total in block.items():
            letter = letters[key]
            ws.write_formula(row, keys.index(key) + 1,
                             f"=SUBTOTAL(9,{letter}{start + 1}:{letter}{row})", fmt.sub_money,
                             excel_number(total))
            grand[key] += total
        row += 1
    ws.write_string(row, 0, "合计", fmt.sub_text)
    for key, total in grand.items():
        letter = letters[key]
        ws.write_formula(row, keys.index(key) + 1,
                         f"=SUBTOTAL(9,{letter}{FIRST_DATA_ROW + 1}:{letter}{row})",
                         fmt.sub_money, excel_number(total))
    ws.freeze_panes(FIRST_DATA_ROW, 1)
    ws.autofilter(1, 0, max(row - 1, 1), len(heads) - 1)
    ws.set_column(0, 0, 10)
    ws.set_column(1, len(keys), 12)
    ws.set_column(len(keys) + 1, len(keys) + 1, 36)


SUMMARY_COLUMNS = (
    ("code", "分会代码"), ("name", "分会名称"), ("kind", "类别"), ("submitted", "报送份数"),
    ("members", "期末会员数"), ("joins", "本期入会/转入"), ("outflows", "本期转出/退会/除名"),
    ("activists", "积极分子"), ("share", "积极分子占比"), ("dues_due", "应缴会费"),
    ("dues_paid", "实缴会费"), ("arrears", "欠缴会费"), ("payroll", "工资总额"),
    ("fund", "应拨缴经费(2%)"), ("fund_kept", "分会留成"), ("fund_upper", "上解上级"),
    ("opening", "期初余额"), ("income", "本期收入"), ("expense", "本期支出"),
    ("closing", "期末余额"), ("score", "考评得分"), ("grade", "考核等级"), ("rank", "名次"),
    ("errors", "错误数"), ("warnings", "警告数"),
)
_COL = {key: i for i, (key, _) in enumerate(SUMMARY_COLUMNS)}


def _L(key: str) -> str:
    return col_letter(_COL[key])


def _summary_row(ws: Any, fmt: _Formats, r: int, s: BranchSummary, sheets: dict,
                 result: Consolidation, config: Any) -> None:
    """One branch: inputs as values, everything derived from detail rows as formulas."""
    n = r + 1
    roster, dues = sheets.get("roster"), sheets.get("dues")
    ledger, assess = sheets.get("ledger"), sheets.get("assessment")
    ws.write_string(r, _COL["code"], s.code, fmt.text)
    ws.write_string(r, _COL["name"], s.name, fmt.text)
    ws.write_string(r, _COL["kind"], s.kind, fmt.text)
    ws.write_number(r, _COL["submitted"], sum(s.submitted.values()), fmt.int)

    def count(extra: str) -> str:
        return (f"COUNTIFS('{roster['sheet']}'!$A:$A,$A{n}{extra})")
    change = f"'{roster['sheet']}'!${roster['change_type']}:${roster['change_type']}"
    staying = "".join(f',{change},"<>{t}"' for t in ("转出", "除名", "退会"))
    ws.write_formula(r, _COL["members"], "=" + count(staying), fmt.int, s.members)
    ws.write_formula(r, _COL["joins"], "=" + "+".join(count(f',{change},"{t}"')
                                                      for t in ("入会", "转入")), fmt.int, s.joins)
    ws.write_formula(r, _COL["outflows"], "=" + "+".join(count(f',{change},"{t}"')
                                                         for t in ("转出", "除名", "退会")),
                     fmt.int, s.outflows)
    act = f"'{roster['sheet']}'!${roster['activist']}:${roster['activist']}"
    ws.write_formula(r, _COL["activists"], "=" + count(f',{act},"是"{staying}'), fmt.int,
                     s.activists)
    share = s.activists / s.members if s.members else 0  # not money: a ratio shown as %
    ws.write_formula(r, _COL["share"],
                     f"=IF({_L('members')}{n}=0,0,{_L('activists')}{n}/{_L('members')}{n})",
                     fmt.pct, share)

    def sumifs(sheet: dict, key: str) -> str:
        return (f"=SUMIFS('{sheet['sheet']}'!${sheet[key]}:${sheet[key]},"
                f"'{sheet['sheet']}'!$A:$A,$A{n})")
    ws.write_formula(r, _COL["dues_due"], sumifs(dues, "dues_due"), fmt.money,
                     excel_number(s.dues_due))
    ws.write_formula(r, _COL["dues_paid"], sumifs(dues, "dues_paid"), fmt.money,
                     excel_number(s.dues_paid))
    ws.write_formula(r, _COL["arrears"], f"={_L('dues_due')}{n}-{_L('dues_paid')}{n}",
                     fmt.money, excel_number(s.arrears))
    ws.write_number(r, _COL["payroll"], excel_number(s.payroll), fmt.money)
    ws.write_formula(r, _COL["fund"], f"=ROUND({_L('payroll')}{n}*{config.fund_rate},2)",
                     fmt.money, excel_number(s.fund))
    ws.write_formula(r, _COL["fund_upper"], f"=ROUND({_L('fund')}{n}*{config.upper_share},2)",
                     fmt.money, excel_number(s.fund_upper))
    ws.write_formula(r, _COL["fund_kept"], f"={_L('fund')}{n}-{_L('fund_upper')}{n}",
                     fmt.money, excel_number(s.fund_kept))
    ws.write_number(r, _COL["opening"], excel_number(s.opening), fmt.money)
    ws.write_formula(r, _COL["income"], sumifs(ledger, "income"), fmt.money,
                     excel_number(s.income))
    ws.write_formula(r, _COL["expense"], sumifs(ledger, "expense"), fmt.money,
                     excel_number(s.expense))
    ws.write_formula(r, _COL["closing"],
                     f"={_L('opening')}{n}+{_L('income')}{n}-{_L('expense')}{n}", fmt.money,
                     excel_number(s.closing))
    if s.score is not None:
        ws.write_formula(r, _COL["score"], sumifs(assess, "review_score"), fmt.points,
                         excel_number(s.score))
        ws.write_string(r, _COL["grade"], s.grade, fmt.text)
        first, last = FIRST_DATA_ROW + 1, FIRST_DATA_ROW + len(result.summaries)
        col = _L("score")
        ws.write_formula(r, _COL["rank"], f"=RANK({col}{n},{col}${first}:{col}${last})", fmt.int,
                         s.rank)
    ws.write_number(r, _COL["errors"], s.errors, fmt.int)
    ws.write_number(r, _COL["warnings"], s.warnings, fmt.int)


TOTALLED = ("submitted", "members", "joins", "outflows", "activists", "dues_due", "dues_paid",
            "arrears", "payroll", "fund", "fund_kept", "fund_upper", "opening", "income",
            "expense", "closing", "errors", "warnings")


def _summary(book: Any, fmt: _Formats, result: Consolidation, sheets: dict, config: Any) -> Any:
    ws = book.add_worksheet(SUMMARY)
    ws.write_string(0, 0, f"{config.name} {result.period} 汇总", fmt.title)
    for c, (_, label) in enumerate(SUMMARY_COLUMNS):
        ws.write_string(1, c, label, fmt.head)
    for i, s in enumerate(result.summaries):
        _summary_row(ws, fmt, FIRST_DATA_ROW + i, s, sheets, result, config)
    total = FIRST_DATA_ROW + len(result.summaries)
    ws.write_string(total, 0, "合计", fmt.sub_text)
    for key in TOTALLED:
        letter = _L(key)
        cached = sum((_value(s, key) for s in result.summaries), Decimal(0))
        number = excel_number(cached) if isinstance(cached, Decimal) and key not in (
            "submitted", "members", "joins", "outflows", "activists", "errors", "warnings") \
            else int(cached)
        ws.write_formula(total, _COL[key], f"=SUM({letter}{FIRST_DATA_ROW + 1}:{letter}{total})",
                         fmt.sub_money if isinstance(number, float) else fmt.sub_text, number)
    first, last = FIRST_DATA_ROW + 1, total
    ws.conditional_format(f"{_L('errors')}{first}:{_L('errors')}{last}",
                          {"type": "cell", "criteria": ">", "value": 0, "format": fmt.bad})
    ws.conditional_format(f"{_L('arrears')}{first}:{_L('arrears')}{last}",
                          {"type": "cell", "criteria": ">", "value": 0, "format": fmt.warn})
    ws.freeze_panes(FIRST_DATA_ROW, 2)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 1, 16)
    ws.set_column(2, len(SUMMARY_COLUMNS) - 1, 14)
    ws.set_row(1, 30)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    _charts(book, ws, first, last)
    return ws


def _value(s: BranchSummary, key: str) -> Decimal:
    if key == "submitted":
        return Decimal(sum(s.submitted.values()))
    return Decimal(getattr(s, key))


def _charts(book: Any, ws: Any, first: int, last: int) -> None:
    names = f"='{SUMMARY}'!$B${first}:$B${last}"
    place = last + 2
    specs = (("期末会员数", ("members",), "column"), ("应缴与实缴会费", ("dues_due", "dues_paid"),
                                                    "column"), ("考评得分", ("score",), "bar"))
    for i, (title, keys, kind) in enumerate(specs):
        chart = book.add_chart({"type": kind})
        for key in keys:
            letter = _L(key)
            chart.add_series({"name": f"='{SUMMARY}'!${letter}$2",
                              "categories": names,
                              "values": f"='{SUMMARY}'!${letter}${first}:${letter}${last}"})
        chart.set_title({"name": title})
        chart.set_legend({"position": "bottom" if len(keys) > 1 else "none"})
        ws.insert_chart(place, i * 8, chart, {"x_scale": 1.0, "y_scale": 1.0})


def _findings_sheet(book: Any, fmt: _Formats, result: Consolidation) -> None:
    ws = book.add_worksheet(FINDINGS)
    heads = ("文件", "工作表", "单元格", "级别", "代码", "问题")
    for c, text in enumerate(heads):
        ws.write_string(0, c, text, fmt.head)
    r = 1
    for f in result.report.findings():
        for c, value in enumerate((f.file, f.sheet or "", f.cell or "", STATUS["zh"][f.severity],
                                   f.code, f.message("zh"))):
            ws.write_string(r, c, value, fmt.text)
        r += 1
    ws.autofilter(0, 0, max(r - 1, 1), len(heads) - 1)
    ws.freeze_panes(1, 0)
    ws.set_column(0, 0, 40)
    ws.set_column(5, 5, 70)


def _missing_sheet(book: Any, fmt: _Formats, result: Consolidation) -> None:
    ws = book.add_worksheet(MISSING)
    for c, text in enumerate(("分会代码", "分会名称", "类别", "报表", "所属期")):
        ws.write_string(0, c, text, fmt.head)
    for r, (branch, template) in enumerate(result.missing, start=1):
        for c, value in enumerate((branch.code, branch.name, branch.kind,
                                   load_spec(template).title, result.period_of(template))):
            ws.write_string(r, c, value, fmt.text)
    ws.set_column(0, 4, 14)


def data_digest(result: Consolidation) -> str:
    """SHA-256 over the consolidated rows in a canonical form (what an auditor re-derives)."""
    digest = hashlib.sha256()
    for (branch, template), report in sorted(result.chosen.items()):
        for rec in report.records:
            values = {k: str(v) for k, v in sorted(rec.values.items()) if v is not None}
            digest.update(json.dumps([branch, template, report.path, rec.row, values],
                                     ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def _manifest(book: Any, fmt: _Formats, result: Consolidation, options: dict) -> None:
    ws = book.add_worksheet(MANIFEST)
    heads = ("文件", "SHA-256", "字节", "报表", "分会代码", "所属期", "行数", "状态", "被替代于")
    for c, text in enumerate(heads):
        ws.write_string(0, c, text, fmt.head)
    superseded = {old.path: new.path for old, new in result.superseded}
    for r, f in enumerate(result.report.files, start=1):
        row = (f.path, f.sha256, f.size, f.template or "", f.branch_code or "", f.period or "",
               f.rows, f.status, superseded.get(f.path, ""))
        for c, value in enumerate(row):
            if isinstance(value, int):
                ws.write_number(r, c, value, fmt.int)
            else:
                ws.write_string(r, c, value, fmt.text)
    r = len(result.report.files) + 2
    for label, value in (("工具", f"unionkit {__version__}"), ("所属期", result.period),
                         ("选项", json.dumps(options, ensure_ascii=False, sort_keys=True)),
                         ("数据摘要 SHA-256", data_digest(result))):
        ws.write_string(r, 0, label, fmt.sub_text)
        ws.write_string(r, 1, value, fmt.text)
        r += 1
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 66)


def write_workbook(result: Consolidation, config: Any, out: Path, options: dict) -> Path:
    """Write the consolidated workbook atomically; returns its path."""
    with atomic_path(Path(out)) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                              "strings_to_numbers": False,
                                              "strings_to_urls": False})
        book.set_properties({"title": f"{config.name} {result.period} 汇总", "author": "unionkit",
                             "comments": f"unionkit {__version__}", "created": FIXED_TIMESTAMP})
        fmt = _Formats(book)
        ws = _summary(book, fmt, result, {t: _columns(t) for t in TEMPLATE_IDS}, config)
        for template in TEMPLATE_IDS:
            _detail_sheet(book, fmt, result, template)
        _findings_sheet(book, fmt, result)
        _missing_sheet(book, fmt, result)
        _manifest(book, fmt, result, options)
        ws.activate()
        book.close()
    return Path(out)


def summary_json(result: Consolidation) -> dict[str, Any]:
    """The summary figures (money as strings with two decimals), missing, excluded, superseded."""
    def money(value: Decimal) -> str:
        return f"{value:.2f}"
    branches = []
    for s in result.summaries:
        branches.append({
            "code": s.code, "name": s.name, "kind": s.kind, "submitted": s.submitted,
            "members": s.members, "joins": s.joins, "outflows": s.outflows,
            "activists": s.activists, "dues_due": money(s.dues_due),
            "dues_paid": money(s.dues_paid), "arrears": money(s.arrears),
            "payroll": money(s.payroll), "fund": money(s.fund), "fund_kept": money(s.fund_kept),
            "fund_upper": money(s.fund_upper), "opening": money(s.opening),
            "income": money(s.income), "expense": money(s.expense), "closing": money(s.closing),
            "score": None if s.score is None else str(s.score), "grade": s.grade,
            "rank": s.rank, "errors": s.errors, "warnings": s.warnings})
    return {"tool": "unionkit", "version": __version__, "period": result.period,
            "branches": branches,
            "missing": [{"branch_code": b.code, "template": t} for b, t in result.missing],
            "excluded": [{"path": f.path, "status": f.status} for f in result.excluded],
            "superseded": [{"path": old.path, "superseded_by": new.path}
                           for old, new in result.superseded],
            "data_digest": data_digest(result)}


def write_json(result: Consolidation, out: Path) -> Path:
    with atomic_path(Path(out)) as tmp:
        tmp.write_text(json.dumps(summary_json(result), ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
    return Path(out)
