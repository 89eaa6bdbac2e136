"""Write the federation's workbook: 汇总, one sheet per template, 问题清单, 未报送, 来源清单.

Totals are live formulas (SUBTOTAL, SUMIFS, COUNTIFS, ROUND) written together with their exact
cached values computed in Decimal, so Excel, WPS and LibreOffice show the same numbers before
any recalculation. Clerks' text is always written as a string (a leading = stays text). Fixed
document timestamps make the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from .. import __version__
from ..atomic import atomic_path
from ..findings import ERROR, Finding, row_status
from ..integrity import Digest, row_check
from ..layout import a1, col_letter
from ..messages import say
from ..money import excel_number
from ..parallel import without_cycle_collection
from ..privacy import key_id
from ..render.text import STATUS
from ..render.text import width as text_width
from ..spec import load_spec, measures, template_ids
from ..templates import FIXED_TIMESTAMP
from . import BranchSummary, Consolidation, add_figures
from .formulas import (
    COVERAGE_LABEL,
    FIRST_DATA_ROW,
    MISSING_MARK,
    ROSTER_COUNTS,
    SUMMARY_VALUES,
    WORDS,
    Parameters,
    SummaryFormulas,
    coverage_note,
    detail_heads,
    detail_letters,
    detail_sums,
    keyed_columns,
    page_spans,
    period_serials,
    span_count,
    subtotal,
    summary_columns,
    summary_keys,
    summary_kinds,
    summary_letter,
    template_figures,
    totalled,
)
from .statement import (
    AMOUNT,
    STATEMENT,
    ZERO,
    earlier_sums,
    month_formula,
    month_sums,
    statement_heads,
    statement_lines,
    statement_rows,
    year_formula,
)
from .stats import (
    FIGURES,
    FIRST_FIGURE,
    STATS,
    YEAR_FIGURES,
    branch_formula,
    earlier_counts,
    stats_heads,
    stats_note,
    stats_rows,
    sum_formula,
)
from .stream import STYLE, STYLE_KINDS, Workbook, cell_xml, write_rows

W = WORDS  # the catalog's ``workbook`` words, in Chinese
SUMMARY = W["summary"]
FINDINGS, AUDIT, MISSING, TREND, MANIFEST = (W[k] for k in ("findings", "audit", "missing",
                                                           "trend", "manifest"))
CHECK_LABEL = W["check"]
EXCEL_MAX_ROWS = 1_048_576
FINDINGS_HEADS = tuple(W[k] for k in ("file", "sheet", "cell", "severity", "kind", "problem"))
AUDIT_HEADS = (W["col_code"], W["source_file"], W["source_row"], W["voucher"], W["amount"],
               W["flag_kind"], W["flag"])
TREND_COLUMNS = tuple((key, W["trend_fund" if key == "fund" else f"col_{key}"]) for key in (
    "members", "joins", "outflows", "dues_due", "dues_paid", "arrears", "fund", "closing"))
TREND_HEADS = (W["period"], *(label for _, label in TREND_COLUMNS))
MISSING_HEADS = (W["col_code"], W["col_name"], W["col_kind"], W["template"], W["period"])
MANIFEST_HEADS = (W["file"], "SHA-256", W["bytes"], W["template"], W["col_code"], W["period"],
                  W["rows"], W["status"], W["superseded_by"])
#: Labels of the run facts under the manifest's file list.
FACT_TOOL, FACT_PERIOD, FACT_OPTIONS, FACT_PARAMETERS, FACT_DIGEST = (
    W["fact_tool"], W["period"], W["fact_options"], W["fact_parameters"], W["fact_digest"])


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 10}
        sub = {**base, "bold": True, "bg_color": "#F2F2F2"}
        # The row styles first, so their xf indexes are the ones the workers rendered with.
        self.text = book.add_format({**base, "num_format": "@"})
        self.int = book.add_format({**base, "num_format": "0"})
        self.money = book.add_format({**base, "num_format": "#,##0.00"})
        self.points = book.add_format({**base, "num_format": "0.0"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd"})
        for kind in STYLE_KINDS:
            if getattr(self, kind)._get_xf_index() != STYLE[kind]:
                raise RuntimeError(f"xlsxwriter gave style {kind} an unexpected index")
        self.title = book.add_format({**base, "bold": True, "font_size": 14})
        self.head = book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1,
                                     "text_wrap": True, "align": "center", "valign": "vcenter"})
        self.pct = book.add_format({**base, "num_format": "0.0%"})
        self.sub_text = book.add_format(sub)
        self.sub_int = book.add_format({**sub, "num_format": "0"})
        self.sub_money = book.add_format({**sub, "num_format": "#,##0.00"})
        self.sub_points = book.add_format({**sub, "num_format": "0.0"})
        self._sub, self._book, self._counts = sub, book, {}
        self.bad = book.add_format({"bg_color": "#FFC7CE"})
        self.warn = book.add_format({"bg_color": "#FFEB9C"})
        self.wrapped = book.add_format({**base, "num_format": "@", "text_wrap": True})

    def count(self, word: str) -> Any:
        """A subtotal's count that names itself: shown as "女会员 5", a number all the same."""
        if word not in self._counts:
            self._counts[word] = self._book.add_format({**self._sub, "num_format": f'"{word} "0'})
        return self._counts[word]

    def kind(self, kind: str) -> Any:
        return {"int": self.int, "money": self.money, "points": self.points, "pct": self.pct,
                "date": self.date}.get(kind, self.text)


def _write(ws: Any, row: int, col: int, value: Any, fmt: _Formats, kind: str) -> None:
    """A clerk's value in its own type: text always as a string, never as a formula."""
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


def row_codes(report: Any) -> Callable[[int], str | None]:
    """A row's 状态: its error codes' titles, those listed then those only counted (None:
    no error)."""
    listed: dict[int, list[str]] = {}
    for f in report.findings:
        if f.row is not None and f.severity == ERROR:
            listed.setdefault(f.row, []).append(f.code)
    counted = report.overflow.rows if report.overflow else {}

    def status(row: int) -> str | None:
        if row not in listed and row not in counted:
            return None
        return row_status((*listed.get(row, ()), *counted.get(row, ())))
    return status


class _Checked:
    """Writes data rows with their check cell (hidden last column) and feeds the digest."""

    def __init__(self, digest: Digest, fmt: _Formats) -> None:
        self.digest, self.fmt = digest, fmt

    def seal(self, sheet: str, cells: list) -> str:
        check = row_check(cells)
        self.digest.add(sheet, check)
        return check

    def row(self, ws: Any, sheet: str, r: int, cells: list, kinds: list[str],
            check_col: int) -> None:
        for c, (value, kind) in enumerate(zip(cells, kinds, strict=True)):
            _write(ws, r, c, value, self.fmt, kind)
        ws.write_string(r, check_col, self.seal(sheet, cells), self.fmt.text)


def _header(ws: Any, fmt: _Formats, heads: list[str], title: str | None) -> None:
    if title:
        ws.write_string(0, 0, title, fmt.title)
    row = FIRST_DATA_ROW - 1 if title else 0
    for c, text in enumerate(heads):
        ws.write_string(row, c, text, fmt.head)
    ws.write_string(row, len(heads), CHECK_LABEL, fmt.head)
    ws.set_column(len(heads), len(heads), 30, None, {"hidden": True})


class _Pages:
    """A detail sheet that continues on 名称(2), 名称(3)… when it reaches the row limit."""

    def __init__(self, book: Any, fmt: _Formats, template: str, caption: str,
                 keyed: tuple[str, ...], max_rows: int) -> None:
        self.book, self.fmt, self.spec = book, fmt, load_spec(template)
        self.heads, self.hashed = detail_heads(template, keyed), keyed_columns(template, keyed)
        self.caption, self.keyed, self.max_rows = caption, keyed, max_rows
        self.names: list[str] = []
        self.ends: list[int] = []
        self._open()

    def _open(self) -> None:
        if self.names:
            self._close()
        name = page_name(self.spec.title, len(self.names))
        ws = self.book.add_worksheet(name)
        _header(ws, self.fmt, self.heads, self.caption)
        keys = len(self.spec.columns)
        ws.freeze_panes(FIRST_DATA_ROW, 1)
        ws.set_column(0, 0, 10)
        for i, c in enumerate(self.spec.columns, start=1):
            ws.set_column(i, i, max(c.width, 8))
        if self.hashed:  # the keyed hashes: for matching, not for reading (docs/privacy.md)
            ws.set_column(keys + 1, keys + len(self.hashed), 18, None, {"hidden": True})
        ws.set_column(keys + len(self.hashed) + 1, keys + len(self.hashed) + 1, 36)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, FIRST_DATA_ROW - 1)
        self.names.append(name)
        self.ends.append(FIRST_DATA_ROW - 1)
        self.ws, self.row = ws, FIRST_DATA_ROW

    def _close(self) -> None:
        self.ws.autofilter(FIRST_DATA_ROW - 1, 0, max(self.ends[-1], FIRST_DATA_ROW),
                           len(self.heads) - 1)

    def take(self) -> tuple[Any, int]:
        """The sheet and 0-based row of the next row, opening a continuation when full."""
        if self.row >= self.max_rows:
            self._open()
        r, self.row = self.row, self.row + 1
        self.ends[-1] = r
        return self.ws, r

    def put(self, rows: list[tuple[bytes, str]], last_col: int,
            digest: Digest) -> tuple[int, int]:
        """Rendered (row XML, check) pairs in order, a page's worth per write, continuing on new
        pages as they fill; each check goes into the digest under its page. Returns the
        (page, row) of the first."""
        first, done = None, 0
        while done < len(rows):
            if self.row >= self.max_rows:
                self._open()
            chunk = rows[done:done + self.max_rows - self.row]
            write_rows(self.ws, self.row, [xml for xml, _ in chunk], 0, last_col)
            digest.extend(self.names[-1], (check for _, check in chunk))
            first = first or (len(self.names) - 1, self.row)
            self.row += len(chunk)
            self.ends[-1] = self.row - 1
            done += len(chunk)
        return first

    @property
    def last(self) -> tuple[int, int]:
        """(page, row) of the last row taken."""
        return len(self.names) - 1, self.ends[-1]

    def spans(self, start: tuple[int, int], end: tuple[int, int]) -> list[tuple]:
        """Row spans from ``start`` to ``end`` for a formula on the current page."""
        return page_spans(start, end, len(self.names) - 1, self.names, self.ends)

    def finish(self) -> list[str]:
        self._close()
        return self.names


def page_name(title: str, index: int) -> str:
    """The name of a detail sheet's page: 会员名册, 会员名册(2), …"""
    return title if index == 0 else f"{title}({index + 1})"


def _subtotal_row(pages: _Pages, label: str, start: tuple[int, int], end: tuple[int, int],
                  totals: dict[str, Decimal], template: str,
                  counts: tuple[dict[str, int], tuple[int, int] | None] | None = None) -> None:
    """A 小计 or the 合计: a SUBTOTAL of each money column; on a roster, ``counts`` (the
    figures of :data:`ROSTER_COUNTS` and the period's bounds) as COUNTIFS under their columns."""
    ws, r = pages.take()
    fmt, letters = pages.fmt, detail_letters(template)
    keys = [c.key for c in load_spec(template).columns]
    ws.write_string(r, 0, label, fmt.sub_text)
    spans = pages.spans(start, end)
    for key, total in totals.items():
        ws.write_formula(r, keys.index(key) + 1, subtotal(letters[key], spans),
                         fmt.sub_points if load_spec(template).column(key).type == "points"
                         else fmt.sub_money, excel_number(total))
    if counts is not None:
        figures, bounds = counts
        for figure, column, word in ROSTER_COUNTS:
            ws.write_formula(r, keys.index(column) + 1,
                             span_count(figure, spans, bounds, pages.keyed),
                             fmt.count(word), figures.get(figure, 0))


def _detail_sheet(book: Any, fmt: _Formats, result: Consolidation, template: str,
                  digest: Digest, max_rows: int) -> list[str]:
    """One template's rows from every chosen file, a 小计 per branch and a 合计; returns the
    names of its pages. Rows arrive rendered by the workers (:mod:`.stream`)."""
    spec = load_spec(template)
    pages = _Pages(book, fmt, template, say("workbook.detail_title", "zh", title=spec.title,
                                            period=result.period_of(template)),
                   result.privacy.mask, max_rows)
    status_col = len(pages.heads) - 1
    grand = {k: Decimal(0) for k in detail_sums(template)}
    bounds = period_serials(result.period) if template == "roster" else None
    counted: dict[str, int] = {}
    first: tuple[int, int] | None = None
    ok = cell_xml(status_col, row_status(()), "text").encode()
    for (branch, t), report in sorted(result.chosen.items()):
        if t != template:
            continue
        status, start, sums = row_codes(report), None, dict.fromkeys(grand, Decimal(0))
        for piece in report.pieces("detail"):  # a large file's rows, a piece at a time
            put = pages.put([(head + (ok if (codes := status(row)) is None else
                                      cell_xml(status_col, codes, "text").encode()) + tail, check)
                             for row, head, tail, check in piece.rows], status_col + 1, digest)
            start = start or put
            for key, total in piece.sums.items():
                sums[key] += total
        if start is None:
            continue
        first = first or start
        counts = report.load("totals") if template == "roster" else None
        _subtotal_row(pages, say("workbook.subtotal", "zh", branch=branch), start, pages.last,
                      sums, template,
                      None if counts is None else (counts, bounds))
        for key, total in sums.items():
            grand[key] += total
        for figure, n in (counts or {}).items():
            counted[figure] = counted.get(figure, 0) + n
    if first is not None:
        _subtotal_row(pages, W["total"], first, pages.last, grand, template,
                      (counted, bounds) if template == "roster" else None)
    return pages.finish()


def _summary_cells(s: BranchSummary) -> dict[str, Any]:
    """The typed (not derived) cells of a branch's 汇总 row, in column order."""
    return {key: s.mark(key) if s.missing_figure(key) else
            sum(s.submitted.values()) if key == "submitted" else getattr(s, key)
            for key in SUMMARY_VALUES}


def _cached(s: BranchSummary, key: str) -> Any:
    """The value a derived 汇总 cell shows before recalculation."""
    if key == "share":
        return s.activists / s.members if s.members else 0  # a ratio shown as %, not money
    if key == "submitted":
        return sum(s.submitted.values())
    value = s.figure(key)
    return excel_number(value) if isinstance(value, Decimal) else value


ASSESSED = ("score", "vetoes", "grade", "rank")


def _summary_rows(ws: Any, fmt: _Formats, result: Consolidation, formulas: SummaryFormulas,
                  checks: list[str], wrap: bool = False) -> None:
    """One row per branch: typed inputs as values, everything from detail rows as formulas;
    分会名称 and 类别 on two lines when ``wrap``."""
    extra = formulas.params.measures
    check_col, kinds = len(summary_columns(extra)), summary_kinds(extra)
    for i, s in enumerate(result.summaries):
        r = FIRST_DATA_ROW + i
        if wrap:  # before the row's cells: the sheet streams its rows
            ws.set_row(r, WRAPPED_HEIGHT)
        cells = _summary_cells(s)
        ws.write_string(r, check_col, checks[i], fmt.text)
        for c, key in enumerate(summary_keys(extra)):
            if s.missing_figure(key):
                ws.write_string(r, c, s.mark(key), fmt.text)
            elif wrap and key in WRAPPED:
                ws.write_string(r, c, str(cells[key]), fmt.wrapped)
            elif key in cells:
                _write(ws, r, c, cells[key], fmt, kinds[key])
            elif key in ASSESSED and s.score is None:
                continue
            else:
                ws.write_formula(r, c, formulas.formula(key, r + 1),
                                 fmt.kind(kinds[key]), _cached(s, key))


def _summary(book: Any, ws: Any, fmt: _Formats, result: Consolidation,
             formulas: SummaryFormulas, config: Any, checks: list[str]) -> None:
    ws.set_row(1, 15 * HEAD_LINES)  # before the row is written: the sheet streams its rows
    extra = formulas.params.measures
    keys, kinds = summary_keys(extra), summary_kinds(extra)
    _header(ws, fmt, [label for _, label, _ in summary_columns(extra)],
            say("workbook.summary_title", "zh", name=config.name, period=result.period))
    layout = summary_print(result, config.paper)
    _summary_rows(ws, fmt, result, formulas, checks, layout.wrap)
    total = FIRST_DATA_ROW + len(result.summaries)
    ws.write_string(total, 0, W["total"], fmt.sub_text)
    for key in totalled(extra):
        cached = sum((Decimal(_summary_total(s, key)) for s in result.summaries), Decimal(0))
        money = kinds[key] == "money"
        ws.write_formula(total, keys.index(key), formulas.total(key),
                         fmt.sub_money if money else fmt.sub_int,
                         excel_number(cached) if money else int(cached))
    _coverage_row(ws, fmt, result, config, total + 1)
    first, last = formulas.first, formulas.last
    errors, arrears = summary_letter("errors"), summary_letter("arrears")
    ws.conditional_format(f"{errors}{first}:{errors}{last}",
                          {"type": "cell", "criteria": ">", "value": 0, "format": fmt.bad})
    ws.conditional_format(f"{arrears}{first}:{arrears}{last}",
                          {"type": "cell", "criteria": ">", "value": 0, "format": fmt.warn})
    vetoes = summary_letter("vetoes")
    ws.conditional_format(f"{vetoes}{first}:{vetoes}{last}",
                          {"type": "cell", "criteria": ">", "value": 0, "format": fmt.bad})
    ws.freeze_panes(FIRST_DATA_ROW, 2)
    _print_summary(ws, layout, total + 1)
    _charts(book, ws, first, last)


#: What a landscape page holds across at 100 % in column-width units, as LibreOffice prints it
#: (A4 and A3, measured), and the smallest scale 汇总 may print at.
ACROSS, MIN_SCALE = {9: 90, 8: 128}, 70
PAPER = {"A4": 9, "A3": 8}
#: The lines a 汇总 head wraps on (its row is as tall).
HEAD_LINES = 3
#: 汇总's text columns that may wrap onto two lines when one line would not let it print
#: legibly, and the height of a branch's row then.
WRAPPED, WRAPPED_HEIGHT = ("name", "kind"), 27


@dataclass(frozen=True)
class SummaryPrint:
    """How 汇总 prints: its column widths, whether 分会名称 and 类别 wrap on two lines, the
    paper (xlsxwriter's number), the scale, the first column of the second block and how
    many columns repeat on it."""

    widths: tuple[int, ...]
    wrap: bool
    paper: int
    scale: int
    split: int
    repeat: int


def summary_widths(result: Consolidation, lines: int = 1) -> list[int]:
    """Each 汇总 column's width from its content: the head on three lines, every branch's
    figure and the 合计 as shown (money with thousands separators); 分会名称 and 类别 on
    ``lines`` lines."""
    def shown(s: BranchSummary, key: str, kind: str) -> str:
        if kind == "pct":  # a ratio, shown as 12.3%
            return "00.0%"
        if s.missing_figure(key):
            return s.mark(key)
        value = _summary_total(s, key)
        return f"{value:,.2f}" if kind == "money" else str(value)
    widths, extra = [], measures()
    for key, label, kind in summary_columns(extra):
        values = [shown(s, key, kind) for s in result.summaries]
        if key in totalled(extra):
            total = sum((Decimal(_summary_total(s, key)) for s in result.summaries), Decimal(0))
            values.append(f"{total:,.2f}" if kind == "money" else str(total))
        over = lines if key in WRAPPED else 1
        widths.append(max(-(-text_width(label) // HEAD_LINES) + 1,
                          *(-(-text_width(v) // over) + 1 for v in values), 5))
    return widths


def summary_print(result: Consolidation, paper: str = "A4") -> SummaryPrint:
    """How 汇总 prints: two blocks, split where the wider is narrowest, 分会代码 and 分会名称
    repeated on the second; on ``paper`` (A4 landscape; on A3 when even with 分会名称 on two
    lines, or 分会代码 alone repeated, A4 would print below 70 %), never below 70 %."""
    def widest(widths: list[int], split: int, repeat: int) -> int:
        return max(sum(widths[:split]), sum(widths[:repeat]) + sum(widths[split:]))

    def plan(on: int, lines: int, repeat: int) -> SummaryPrint:
        widths = summary_widths(result, lines)
        split = min(range(3, len(widths)), key=lambda at: widest(widths, at, repeat))
        scale = min(100, ACROSS[on] * 100 // widest(widths, split, repeat))
        return SummaryPrint(tuple(widths), lines > 1, on, scale, split, repeat)
    papers = (PAPER[paper], PAPER["A3"]) if paper == "A4" else (PAPER[paper],)
    for on in papers:
        for lines, repeat in ((1, 2), (2, 2), (2, 1)):
            layout = plan(on, lines, repeat)
            if layout.scale >= MIN_SCALE:
                return layout
    return replace(plan(papers[-1], 2, 2), scale=MIN_SCALE)


def _print_summary(ws: Any, layout: SummaryPrint, last_row: int) -> None:
    """汇总's page setup: its table (not the charts below it) in two blocks, at a scale it
    stays legible at."""
    for c, width in enumerate(layout.widths):
        ws.set_column(c, c, width)
    ws.set_paper(layout.paper)
    ws.set_landscape()
    ws.set_print_scale(layout.scale)
    ws.repeat_rows(0, 1)
    ws.repeat_columns(0, layout.repeat - 1)
    ws.set_v_pagebreaks([layout.split])
    ws.set_h_pagebreaks([last_row + 1])  # the charts below are not part of the table's pages
    ws.print_area(0, 0, last_row, len(layout.widths) - 1)


def _page_text(text: str) -> str:
    """Text for a page header or footer (its & codes escaped)."""
    return str(text).replace("&", "&&")[:60]


def _print_pages(book: Any, config: Any, period: str, digest: str) -> None:
    """Every sheet prints on A4 with its heads repeated: a header naming the federation, the
    sheet and the period, and a footer with 第 N 页 共 M 页 and the data digest (a printed page
    names the workbook it came from; a time would make the same inputs give other bytes).
    汇总's footer is the line its signers sign on."""
    pages, digest_line = W["footer"], say("workbook.print_digest", "zh", version=__version__,
                                          digest=digest[:16])
    blank = "_" * 8  # a line to sign on
    preparer, reviewer, head = (name or blank for name in config.signers)
    sign = say("workbook.print_sign", "zh", preparer=preparer, reviewer=reviewer, head=head,
               day=blank)
    for ws in book.worksheets():
        left = _page_text(config.name)
        right = W["print_unit"] if ws.name == SUMMARY else _page_text(f"{period}")
        ws.set_header(f'&L{left}&C&"宋体,Bold"&A&R{right}')
        ws.set_footer(f"&L{sign}&C{pages}&R{digest_line}" if ws.name == SUMMARY
                      else f"&L{digest_line}&C{pages}")
        if ws.name == STATS:
            ws.set_paper(9)
            ws.set_landscape()
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(0, 1)
        elif ws.name == STATEMENT:  # its figures in blocks of branches, 科目 repeated
            ws.set_paper(9)
            ws.set_landscape()
            ws.set_print_scale(85)
            ws.repeat_rows(0, 1)
            ws.repeat_columns(0, 1)
        elif ws.name not in (SUMMARY, TREND):
            ws.set_paper(9)
            ws.set_landscape()
            ws.fit_to_pages(1, 0)  # a finding's columns on one page, never split across two
            if ws.name in (FINDINGS, AUDIT, MISSING, MANIFEST):
                ws.repeat_rows(0)


def _coverage_row(ws: Any, fmt: _Formats, result: Consolidation, config: Any, r: int) -> None:
    """Below 合计: of how many branches each template's totals are made."""
    ws.write_string(r, 0, COVERAGE_LABEL, fmt.text)
    over = [(s.code, s.over_max) for s in result.summaries if s.over_max]
    ws.merge_range(r, 1, r, len(summary_columns(measures())) - 1, coverage_note(
        coverage(result.summaries), len(result.summaries), over, config.over_max), fmt.text)


def coverage(summaries: list[BranchSummary]) -> dict[str, int]:
    """How many branches sent each template whose figures 汇总 shows."""
    return {t: sum(t not in s.unreported and t not in s.absent for s in summaries)
            for t in template_figures(measures())}


def _summary_total(s: BranchSummary, key: str) -> Decimal | int:
    if s.missing_figure(key):
        return 0  # the cell holds 未报送, which SUM skips
    if key == "submitted":
        return sum(s.submitted.values())
    return s.figure(key)


def _charts(book: Any, ws: Any, first: int, last: int) -> None:
    names = f"='{SUMMARY}'!$B${first}:$B${last}"
    place = last + 2
    specs = ((W["chart_members"], ("members",), "column"),
             (W["chart_dues"], ("dues_due", "dues_paid"), "column"),
             (W["chart_score"], ("score",), "bar"))
    for i, (title, keys, kind) in enumerate(specs):
        chart = book.add_chart({"type": kind})
        for key in keys:
            letter = summary_letter(key)
            chart.add_series({"name": f"='{SUMMARY}'!${letter}$2",
                              "categories": names,
                              "values": f"='{SUMMARY}'!${letter}${first}:${letter}${last}"})
        chart.set_title({"name": title})
        chart.set_legend({"position": "bottom" if len(keys) > 1 else "none"})
        values = {"num_format": "#,##0", "min": 0}  # thousands separated, from 0
        if kind == "bar":  # 考评得分: categories up the side, scores from 0 to 100
            chart.set_x_axis({**values, "num_format": "0", "max": 100})
            chart.set_y_axis({"interval_unit": 1, "reverse": True})
        else:
            chart.set_y_axis(values)
            chart.set_x_axis({"interval_unit": 1, "num_font": {"rotation": -45}})
        ws.insert_chart(place, i * 8, chart, {"x_scale": 1.0, "y_scale": 1.0})


def _list_sheet(book: Any, fmt: _Formats, checked: _Checked, name: str, heads: tuple,
                rows: list[list]) -> Any:
    """A plain list sheet (问题清单, 未报送, 来源清单) whose rows carry check cells."""
    ws = book.add_worksheet(name)
    _header(ws, fmt, list(heads), None)
    kinds = ["text"] * len(heads)
    for r, cells in enumerate(rows, start=1):
        kinds = ["int" if isinstance(v, int) else "text" for v in cells]
        checked.row(ws, name, r, cells, kinds, len(heads))
    ws.autofilter(0, 0, max(len(rows), 1), len(heads) - 1)
    ws.freeze_panes(1, 0)
    return ws


#: 级别 of a finding in a file a later submission replaced: listed, counted nowhere.
SUPERSEDED_LEVEL = W["superseded"]
#: How a branch's 小计 label ends (verify tells a 小计 row by it).
SUBTOTAL_END = say("workbook.subtotal", "zh", branch="")


def findings_rows(result: Consolidation) -> list[tuple[list[str], Finding]]:
    """问题清单's rows (文件, 工作表, 单元格, 级别, 问题类型, 问题), each with its finding; a
    superseded file's findings are listed as 已替代."""
    return [([f.file, f.sheet or "", f.cell or "", SUPERSEDED_LEVEL if result.is_superseded(
        report) else STATUS["zh"][f.severity], f.title(), f.message("zh")], f)
            for report in result.report.files for f in report.findings]


def _findings_sheet(book: Any, fmt: _Formats, result: Consolidation, checked: _Checked) -> None:
    rows = [row for row, _ in findings_rows(result)]
    ws = _list_sheet(book, fmt, checked, FINDINGS, FINDINGS_HEADS, rows)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 12)
    ws.set_column(4, 4, 20)
    ws.set_column(5, 5, 70)


def _audit_sheet(book: Any, fmt: _Formats, result: Consolidation, checked: _Checked) -> None:
    """审计提示: the audit analytics' flags, one per row, each with its reason."""
    rows = []
    for f in result.audit:
        params = dict(f.params)
        rows.append([params.get("branch", ""), f.file, _as_number(params.get("row", ""), int),
                     params.get("voucher", ""), _amount(f.value or ""), f.title(),
                     f.message("zh")])
    ws = _list_sheet(book, fmt, checked, AUDIT, AUDIT_HEADS, rows)
    ws.set_column(1, 1, 40)
    ws.set_column(6, 6, 80)


_NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,2})?$")


def _as_number(text: str, kind: type) -> Any:
    """A flag's 来源行 or 金额 as the number it is (findings keep parameters as text), so the
    sheet sums and sorts; anything else (a voucher range, a note) stays text."""
    if not _NUMBER.match(text) or (kind is int and "." in text):
        return text
    return kind(text)


def _amount(text: str) -> Any:
    """金额 of a flag, blank when the flag's value is not an amount (a voucher gap's voucher)."""
    value = _as_number(text, Decimal)
    return "" if isinstance(value, str) else value


def trend_rows(result: Consolidation, history: dict) -> list[list]:
    """The federation's figures per period: earlier periods from the register, then this one."""
    periods: dict[str, dict[str, Any]] = {}
    figures = [(p, f) for code in sorted(history) for p, f in sorted(history[code].items())]
    figures += [(result.period, s.figures()) for s in result.summaries]
    for period, values in figures:
        add_figures(periods.setdefault(period, {}), values, (k for k, _ in TREND_COLUMNS))
    return [[period, *(_trend_figure(key, periods[period].get(key)) for key, _ in TREND_COLUMNS)]
            for period in sorted(periods)]


def _trend_figure(key: str, value: Any) -> Any:
    """A period's figure in its own type (money as Decimal, even when a register recorded a
    whole number), blank when no branch recorded it: missing is not zero."""
    if value is None or summary_kinds().get(key) != "money":
        return value
    return Decimal(value)


def _trend_sheet(book: Any, fmt: _Formats, rows: list[list], checked: _Checked) -> None:
    """趋势: one row per consolidated period, with line charts of members and dues."""
    ws = _list_sheet(book, fmt, checked, TREND, TREND_HEADS, rows)
    ws.set_column(0, 0, 10)
    ws.set_column(1, len(TREND_HEADS) - 1, 14)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_h_pagebreaks([len(rows) + 2])  # the charts on a page of their own, never cut
    last = len(rows)
    for i, keys in enumerate((("members",), ("dues_due", "dues_paid", "arrears"))):
        chart = book.add_chart({"type": "line"})
        for key in keys:
            col = 1 + [k for k, _ in TREND_COLUMNS].index(key)
            letter = col_letter(col)
            chart.add_series({"name": f"='{TREND}'!${letter}$1",
                              "categories": f"='{TREND}'!$A$2:$A${last + 1}",
                              "values": f"='{TREND}'!${letter}$2:${letter}${last + 1}",
                              "marker": {"type": "circle"}})
        chart.set_title({"name": W["trend_members"] if i == 0 else W["trend_dues"]})
        chart.set_y_axis({"num_format": "#,##0", "min": 0})
        chart.set_legend({"position": "bottom" if len(keys) > 1 else "none"})
        ws.insert_chart(last + 2, i * 8, chart)


def _statement_sheet(ws: Any, fmt: _Formats, result: Consolidation, config: Any,
                     ledger_pages: list[str], history: dict, checked: _Checked) -> None:
    """收入支出表 (:mod:`.statement`): each account's 本月数 and 本年累计数 for the federation
    and each branch, as formulas with their exact values; a branch without a ledger shows
    未报送. Each row's 科目编码 and 项目 carry a check, like the list sheets' rows."""
    lines = statement_lines(config.chart_for(result.period).accounts.values())
    branches = [s.code for s in result.summaries]
    missing = {s.code for s in result.summaries if "ledger" in s.unreported}
    ledger = [{**r.values, "branch": branch} for (branch, t), f in sorted(result.chosen.items())
              if t == "ledger" for r in f.load_records()]
    month, (earlier, periods) = month_sums(ledger, lines), earlier_sums(history, result.period,
                                                                        lines)
    heads = statement_heads(branches)
    ws.set_row(1, 30)
    _header(ws, fmt, heads, say("workbook.statement_title", "zh", name=config.name,
                                period=result.period))
    tops: dict[str, list[int]] = {kind: [] for kind in AMOUNT}
    totals: dict[str, int] = {}
    r = FIRST_DATA_ROW
    for row in statement_rows(lines):
        cells = [row.line.code if row.line else "", row.label]
        for c, value in enumerate(cells):
            ws.write_string(r, c, value, fmt.text if row.line else fmt.sub_text)
        ws.write_string(r, len(heads), checked.seal(STATEMENT, cells), fmt.text)
        for j, who in enumerate((None, *branches)):
            m, y = 2 + 2 * j, 3 + 2 * j
            if who in missing:
                ws.write_string(r, m, MISSING_MARK, fmt.text)
                ws.write_string(r, y, MISSING_MARK, fmt.text)
                continue
            if row.line is not None:
                this = month.get((row.line.code, who), ZERO)
                ws.write_formula(r, m, month_formula(ledger_pages, row.line, who), fmt.money,
                                 excel_number(this))
                before = earlier.get((row.line.code, who), ZERO)
                ws.write_formula(r, y, year_formula(a1(r, m), before), fmt.money,
                                 excel_number(this + before))
                continue
            for c in (m, y):
                formula, cached = _statement_total(row, c, tops, totals, month, earlier, who,
                                                   lines, c == y)
                ws.write_formula(r, c, formula, fmt.sub_money, cached)
        if row.line is not None and not row.line.sub:
            tops[row.line.kind].append(r)
        if row.total is not None:
            totals[row.total] = r
        r += 1
    note = say("workbook.statement_covers", "zh", periods="、".join([*periods, result.period]))
    ws.write_string(r, 0, W["statement_note"], fmt.text)
    ws.write_string(r, 1, note, fmt.text)
    ws.write_string(r, len(heads), checked.seal(STATEMENT, [W["statement_note"], note]),
                    fmt.text)
    ws.freeze_panes(FIRST_DATA_ROW, 2)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 1, 24)
    ws.set_column(2, len(heads) - 1, 13)


def _statement_total(row: Any, col: int, tops: dict, totals: dict, month: dict, earlier: dict,
                     who: str | None, lines: list, year: bool) -> tuple[str, Any]:
    """A total's (or the balance's) formula in column ``col`` and its value."""
    def value(kind: str) -> Decimal:
        return sum((month.get((line.code, who), ZERO) + (earlier.get((line.code, who), ZERO)
                                                         if year else ZERO)
                    for line in lines if line.kind == kind and not line.sub), ZERO)
    if row.balance:
        formula = f"={a1(totals['income'], col)}-{a1(totals['expenditure'], col)}"
        return formula, excel_number(value("income") - value("expenditure"))
    refs = [a1(t, col) for t in tops[row.total]]
    return "=" + ("+".join(refs) or "0"), excel_number(value(row.total))


def _stats_sheet(ws: Any, fmt: _Formats, result: Consolidation, config: Any, history: dict,
                 checked: _Checked) -> None:
    """统计年报 (:mod:`.stats`): each branch's roster figures as references to 汇总, by kind
    of branch with 小计 and 合计; 本年新入会 and 本年流出 with the year's earlier periods."""
    where = {s.code: (FIRST_DATA_ROW + i, s) for i, s in enumerate(result.summaries)}
    rows = stats_rows([(s.code, s.name, s.kind) for s in result.summaries], config.branch_kinds)
    earlier, periods = earlier_counts(history, result.period)
    heads = stats_heads()
    ws.set_row(1, 15 * HEAD_LINES)
    _header(ws, fmt, heads, say("workbook.stats_title", "zh", name=config.name,
                                year=result.period[:4], period=result.period))
    values: dict[tuple[int, int], int] = {}  # (row, col) → the figure, for the sums
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        for c, value in enumerate(row.cells):
            ws.write_string(r, c, value, fmt.text if row.code else fmt.sub_text)
        ws.write_string(r, len(heads), checked.seal(STATS, row.cells), fmt.text)
        for c, key in enumerate(FIGURES, FIRST_FIGURE):
            if row.code is None:
                value = sum(values.get((over, c), 0) for over in row.over)
                ws.write_formula(r, c, sum_formula(c, row.over, row.total), fmt.sub_int, value)
                values[(r, c)] = value
                continue
            at, s = where[row.code]
            if s.missing_figure(key):
                ws.write_string(r, c, s.mark(key), fmt.text)
                continue
            before = earlier.get((row.code, key), 0) if key in YEAR_FIGURES else 0
            values[(r, c)] = s.figure(key) + before
            ws.write_formula(r, c, branch_formula(key, at, before), fmt.int, values[(r, c)])
    r = FIRST_DATA_ROW + len(rows)
    note = stats_note(result.period, periods)
    ws.set_row(r, WRAPPED_HEIGHT)  # the note on two lines across the table, not wider
    ws.write_string(r, 0, W["statement_note"], fmt.text)
    ws.merge_range(r, 1, r, len(heads) - 1, note, fmt.wrapped)
    ws.write_string(r, len(heads), checked.seal(STATS, [W["statement_note"], note, ""]),
                    fmt.text)
    ws.freeze_panes(FIRST_DATA_ROW, 3)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 7)
    ws.set_column(2, 2, 16)
    ws.set_column(FIRST_FIGURE, len(heads) - 1, 9)


def _missing_sheet(book: Any, fmt: _Formats, result: Consolidation, checked: _Checked) -> None:
    rows = [[b.code, b.name, b.kind, load_spec(t).title, result.period_of(t)]
            for b, t in result.missing]
    _list_sheet(book, fmt, checked, MISSING, MISSING_HEADS, rows).set_column(0, 4, 14)


RUN_FACTS = (FACT_TOOL, FACT_PERIOD, FACT_OPTIONS, FACT_PARAMETERS)


def add_run_facts(digest: Digest, facts: Iterable[tuple[str, str]]) -> None:
    """The run's facts (tool, period, options with the configuration's fingerprint, the
    parameters) close the data digest, so rewriting one is detected like an edited cell."""
    for label, value in facts:
        digest.add(MANIFEST, f"{label}={value}")


def _manifest(book: Any, fmt: _Formats, result: Consolidation, options: dict,
              params: Parameters, checked: _Checked) -> None:
    superseded = {old.path: new.path for old, new in result.superseded}
    rows = [[f.path, f.sha256, f.size, load_spec(f.template).title if f.template else "",
             f.branch_code or "", f.period or "", f.rows, STATUS["zh"][f.status],
             superseded.get(f.path, "")] for f in result.report.files]
    ws = _list_sheet(book, fmt, checked, MANIFEST, MANIFEST_HEADS, rows)
    r = len(rows) + 2
    facts = [(FACT_TOOL, f"unionkit {__version__}"), (FACT_PERIOD, result.period),
             (FACT_OPTIONS, json.dumps(options, ensure_ascii=False, sort_keys=True)),
             (FACT_PARAMETERS, json.dumps(params.to_dict(), ensure_ascii=False))]
    add_run_facts(checked.digest, facts)
    facts.append((FACT_DIGEST, checked.digest.hexdigest()))
    for label, value in facts:
        ws.write_string(r, 0, label, fmt.sub_text)
        ws.write_string(r, 1, value, fmt.text)
        r += 1
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 66)


@without_cycle_collection
def write_workbook(result: Consolidation, config: Any, out: Path, options: dict,
                   max_rows: int = EXCEL_MAX_ROWS, trend: dict | None = None) -> str:
    """Write the consolidated workbook atomically; returns its data digest.

    Rows stream to disk (xlsxwriter ``constant_memory``), so memory stays with one file's rows.
    汇总 is the first sheet but is written after the detail sheets, whose page names its
    formulas need. ``max_rows`` is Excel's sheet limit; tests lower it to see continuations.
    ``trend`` is the register's history (branch → period → figures) for the 趋势 sheet.
    """
    params = replace(Parameters.from_config(config), keyed=result.privacy.mask,
                     masked=result.privacy.masking,  # as the workers rendered the rows
                     key_id=key_id(result.privacy.key))
    with atomic_path(Path(out)) as tmp:
        book = Workbook(str(tmp), {"strings_to_formulas": False,
                                              "strings_to_numbers": False,
                                              "strings_to_urls": False,
                                              "constant_memory": True})
        book.set_properties({"title": say("workbook.summary_title", "zh", name=config.name,
                                          period=result.period), "author": "unionkit",
                             "comments": f"unionkit {__version__}", "created": FIXED_TIMESTAMP})
        fmt = _Formats(book)
        digest = Digest()
        checked = _Checked(digest, fmt)
        summary = book.add_worksheet(SUMMARY)
        statement = book.add_worksheet(STATEMENT)  # second; written once the ledger's pages are
        stats = book.add_worksheet(STATS)
        checks = [checked.seal(SUMMARY, list(_summary_cells(s).values()))
                  for s in result.summaries]
        pages = {}
        for template in template_ids():
            pages[template] = _detail_sheet(book, fmt, result, template, digest, max_rows)
        formulas = SummaryFormulas(pages, params, len(result.summaries), result.period)
        _findings_sheet(book, fmt, result, checked)
        _audit_sheet(book, fmt, result, checked)
        _missing_sheet(book, fmt, result, checked)
        _trend_sheet(book, fmt, trend_rows(result, trend or {}), checked)
        _statement_sheet(statement, fmt, result, config, pages["ledger"], trend or {}, checked)
        _stats_sheet(stats, fmt, result, config, trend or {}, checked)
        _manifest(book, fmt, result, options, params, checked)
        _summary(book, summary, fmt, result, formulas, config, checks)
        _print_pages(book, config, result.period, digest.hexdigest())
        summary.activate()
        book.close()
    return digest.hexdigest()


def summary_json(result: Consolidation, digest: str) -> dict[str, Any]:
    """The summary figures (money as strings with two decimals), missing, excluded, superseded."""
    def plain(value: Any) -> Any:
        return f"{value:.2f}" if isinstance(value, Decimal) else value
    branches = []
    for s in result.summaries:
        row = {key: None if s.missing_figure(key) else plain(s.figure(key))
               for key in summary_keys(measures()) if key not in ("submitted", "share", "score")}
        row["submitted"] = s.submitted
        row["score"] = None if s.score is None else str(s.score)
        branches.append(row)
    return {"tool": "unionkit", "version": __version__, "period": result.period,
            "branches": branches,
            "missing": [{"branch_code": b.code, "template": t} for b, t in result.missing],
            "excluded": [{"path": f.path, "status": f.status} for f in result.excluded],
            "superseded": [{"path": old.path, "superseded_by": new.path}
                           for old, new in result.superseded],
            "summary": dict(zip(("errors", "warnings"), result.counts(), strict=True)),
            "data_digest": digest}


def write_json(result: Consolidation, digest: str, out: Path) -> Path:
    with atomic_path(Path(out)) as tmp:
        tmp.write_text(json.dumps(summary_json(result, digest), ensure_ascii=False, indent=2)
                       + "\n", encoding="utf-8")
    return Path(out)
