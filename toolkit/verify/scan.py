"""One pass over a template's detail pages, a page in memory at a time.

Pages are streamed row by row (python-calamine's ``iter_rows``). Each data row is checked
where it stands (its row check into the digest, its 状态 against
问题清单) and leaves behind only what later checks need (:class:`Tally`): the sums behind each
小计 and the 合计, the branch figures for 汇总, the audit's inputs and rows per source file. So
verifying a workbook of a million detail rows holds one row, not the workbook.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..consolidate.formulas import (
    FIRST_DATA_ROW,
    ROSTER_COUNTS,
    Parameters,
    above_max,
    detail_heads,
    detail_letters,
    detail_sums,
    keyed_columns,
    page_spans,
    period_serials,
    roster_counts,
    span_count,
    subtotal,
)
from ..consolidate.workbook import CHECK_LABEL, SUBTOTAL_END, W, page_name
from ..findings import Finding, finding, row_status, status_codes
from ..integrity import Digest, changed_cells
from ..layout import a1
from ..spec import load_spec
from .layout import number, text, typed
from .reader import Workbook
from .totals import compare

#: What the audit needs of a paid dues line (kept small: a federation has millions).
DUES_KEYS = ("id_number", "id_number_key", "name", "dues_paid", "branch", "file", "row")
FIGURE_SUMS = (("dues_due", "dues_due"), ("dues_paid", "dues_paid"), ("income", "income"),
               ("expense", "expense"))


#: Scores counted as typed: the parameters of a workbook made before ``over_max``.
AS_TYPED = Parameters(Decimal(0), Decimal(0), ())


def _figures() -> defaultdict[str, Any]:
    return defaultdict(Decimal)


@dataclass
class Tally:
    """What every detail row leaves behind for the checks after the scan."""

    figures: defaultdict[str, defaultdict[str, Any]] = field(
        default_factory=lambda: defaultdict(_figures))  # branch → 汇总 figures
    members: Counter[str] = field(default_factory=Counter)
    collected: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    dues: list[dict[str, Any]] = field(default_factory=list)  # paid lines, for the audit
    ledger: list[dict[str, Any]] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)  # rows per 来源文件
    branch_rows: Counter[str] = field(default_factory=Counter)  # detail rows per 分会代码
    pages: dict[str, list[str]] = field(default_factory=dict)  # template → page names
    rows: int = 0
    checked: int = 0  # subtotals and totals checked
    period: str | None = None  # the workbook's: a join or outflow dated outside is not its
    params: Parameters = AS_TYPED  # how a 考评分 above its 分值 counts

    def add(self, template: str, values: dict[str, Any],
            counts: dict[str, int] | None = None) -> None:
        """One detail row (``counts``: a roster row's :func:`roster_counts`)."""
        branch = values["branch"]
        fig = self.figures[branch]
        self.sources[values["file"]] += 1
        self.branch_rows[branch] += 1
        self.rows += 1
        if template == "roster":
            counts = counts or roster_counts(values, self.period)
            for figure, n in counts.items():
                fig[figure] += n
            self.members[branch] += counts["members"]
        elif template == "assessment":
            fig["assessed"] = True
            fig["vetoes"] += values.get("veto") == "是"
            points, score = values.get("points"), values.get("review_score")
            fig["score"] += self.params.counted_score(points, score)
            fig["over_max"] += above_max(points, score)
        elif template == "dues" and isinstance(values.get("dues_paid"), Decimal):
            self.collected[branch] += values["dues_paid"]
            if values.get("id_number") and values["dues_paid"]:
                self.dues.append({k: values.get(k) for k in DUES_KEYS})
        elif template == "ledger":
            self.ledger.append(values)
        for key, target in FIGURE_SUMS:
            if isinstance(values.get(key), Decimal):
                fig[target] += values[key]
        for m in self.params.measures:  # the template's own 汇总 figures
            if m.template == template:
                fig[m.key] += m.of(values)


class _Page:
    """A detail page read as a stream: iterating gives (row number, row); :meth:`value` and
    :meth:`formula` answer for the current row, as :func:`.totals.compare` asks."""

    def __init__(self, name: str, rows: Any, formulas: dict[tuple[int, int], str]) -> None:
        self.name, self._rows, self.formulas = name, rows, formulas
        self._r, self._row = -1, []
        self._by_row: dict[int, list[int]] = defaultdict(list)
        for r, c in formulas:
            self._by_row[r].append(c)
        self.uncalculated = 0

    @classmethod
    def open(cls, book: Workbook, name: str) -> _Page | None:
        streamed = book.stream(name)
        return None if streamed is None else cls(name, *streamed)

    def __iter__(self) -> Any:
        for r, row in enumerate(self._rows):
            self._r, self._row = r, row
            self.uncalculated += sum(self.value(r, c) is None for c in self._by_row.get(r, ()))
            yield r, row

    def value(self, r: int, c: int) -> Any:
        return self._row[c] if r == self._r and c < len(self._row) else None

    def formula(self, r: int, c: int) -> str | None:
        return self.formulas.get((r, c))


def heads(template: str, keyed: Sequence[str] = ()) -> list[str]:
    """A detail sheet's heads as the writer made them, 行校验 included."""
    return [*detail_heads(template, keyed), CHECK_LABEL]


@dataclass
class _Block:
    """Running sums of the rows a 小计 (or the 合计) covers, and where they start and end."""

    keys: tuple[str, ...]
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None
    sums: dict[str, Decimal] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)  # a roster's :data:`ROSTER_COUNTS`

    def add(self, position: tuple[int, int], cells: list[Any], columns: dict[str, int],
            counts: dict[str, int] | None = None) -> None:
        self.start = self.start or position
        self.end = position
        for key in self.keys:
            self.sums[key] = self.sums.get(key, Decimal(0)) + (
                number(cells[columns[key]]) or Decimal(0))
        self.counts.update(counts or {})


@dataclass
class ListedCodes:
    """The error codes 问题清单 lists per (source file, row), and per file the codes it has
    more of than it lists (counted in one ``more_errors`` row, their rows not named)."""

    rows: defaultdict = field(default_factory=lambda: defaultdict(list))
    capped: defaultdict = field(default_factory=lambda: defaultdict(set))

    def expected(self, source: str, row: int, status: str) -> str:
        """What a row's 状态 must say: the codes listed at it, followed, in a file with
        unlisted errors, by any of the codes counted there (which rows those are, only a
        fresh consolidation from the sources can tell)."""
        listed = self.rows.get((source, row), [])
        shown = status_codes(status)
        capped = self.capped.get(source)
        if capped and shown[:len(listed)] == listed and len(shown) > len(listed) \
                and set(shown[len(listed):]) <= capped:
            return status
        return row_status(listed)


def scan_detail(file: str, book: Workbook, template: str, codes: ListedCodes, digest: Digest,
                tally: Tally) -> list[Finding]:
    """Every page of one template's detail sheet; findings for rows and totals."""
    keyed = tally.params.keyed
    spec, expected_heads = load_spec(template), heads(template, keyed)
    width = len(expected_heads) - 2  # the cells a row check covers: up to 来源行
    keys = [c.key for c in spec.columns]
    hashed = [(c.key, len(keys) + 1 + i) for i, c in enumerate(keyed_columns(template, keyed))]
    sums = detail_sums(template)
    columns = {k: keys.index(k) + 1 for k in sums}
    names: list[str] = []
    ends: list[int] = []
    tally.pages[template] = names
    out: list[Finding] = []
    block, grand = _Block(sums), _Block(sums)
    previous: tuple[int, int] | None = None
    while (page := _Page.open(book, page_name(spec.title, len(names)))) is not None:
        p = len(names)
        names.append(page.name)
        end = FIRST_DATA_ROW - 1
        for r, row in page:
            if r == FIRST_DATA_ROW - 1 and [text(v) for v in (row + [None] * len(
                    expected_heads))[:len(expected_heads)]] != expected_heads:
                out.append(finding("verify_sheet_missing", file, page.name, None, None,
                                   page.name))
            label = text(row[0]) if r >= FIRST_DATA_ROW and row else ""
            out += _outside(file, page.name, r, row, width + 2, bool(label))
            if not label:
                continue
            end = r
            if label.endswith(SUBTOTAL_END) or label == W["total"]:
                covers = _Block(sums, grand.start, previous, grand.sums, grand.counts) \
                    if label == W["total"] else block
                out += _totals(file, page, r, label, covers, (p, names, ends), template,
                               tally.period, keyed)
                tally.checked += len(sums) + (template == "roster") * len(ROSTER_COUNTS)
                block, previous = _Block(sums), (p, r)
                continue
            cells = [page.value(r, c) for c in range(width)]
            out += _row(file, page, r, cells, page.value(r, width), page.value(r, width + 1),
                        codes, digest)
            values = {"branch": text(cells[0]), "file": text(cells[-2]),
                      "row": int(number(cells[-1]) or 0)}
            for f, value in zip(spec.columns, cells[1:len(keys) + 1], strict=True):
                values[f.key] = typed(f.type, value)
            for key, at in hashed:  # who a masked number is, for matching
                values[f"{key}_key"] = text(cells[at]) or None
            counts = roster_counts(values, tally.period) if template == "roster" else None
            tally.add(template, values, counts)
            block.add((p, r), cells, columns, counts)
            grand.add((p, r), cells, columns, counts)
            previous = (p, r)
        ends.append(end)
        book.uncalculated[page.name] = page.uncalculated
    if not names:
        out.append(finding("verify_sheet_missing", file, None, None, None, spec.title))
    return out


def _outside(file: str, sheet: str, r: int, row: list[Any], width: int,
             labelled: bool) -> list[Finding]:
    """Cells unionkit never writes: beside the title, right of 行校验, or anywhere in a row
    below the header without a 分会代码 (every row unionkit writes there has one). A figure
    typed there is what a whole-column SUMIFS would count after a recalculation."""
    start = 1 if r < FIRST_DATA_ROW - 1 else width if labelled or r < FIRST_DATA_ROW else 0
    return [finding("verify_cell_outside", file, sheet, a1(r, c), None, text(v))
            for c, v in enumerate(row[start:], start) if text(v)]


def _totals(file: str, page: Any, r: int, label: str, covers: _Block, layout: tuple,
            template: str, period: str | None, keyed: Sequence[str]) -> list[Finding]:
    """A 小计 or 合计 row: each sum a SUBTOTAL over exactly the rows it covers; on a roster,
    each count a COUNTIFS over them (:func:`span_count`)."""
    if covers.start is None or covers.end is None:
        return []
    here, names, ends = layout
    spans = page_spans(covers.start, covers.end, here, names, ends)
    keys = [c.key for c in load_spec(template).columns]
    letters = detail_letters(template)
    out = []
    for key in covers.keys:
        out += compare((file, page, r, keys.index(key) + 1), label,
                       subtotal(letters[key], spans), covers.sums.get(key, Decimal(0)), "money")
    if template == "roster":
        bounds = period_serials(period)
        for figure, column, _ in ROSTER_COUNTS:
            out += compare((file, page, r, keys.index(column) + 1), label,
                           span_count(figure, spans, bounds, keyed), covers.counts[figure],
                           "int")
    return out


def check_findings(file: str, sheet: str | None, r: int, cells: list[Any], check: Any,
                   columns: list[int] | None = None) -> list[Finding]:
    """A row against its check cell: nothing when it holds, else each edited cell named (at
    ``columns[i]`` when the checked cells are not the row's first ones)."""
    changed = changed_cells(check, cells)
    if changed is None:
        return []
    if not check:
        return [finding("verify_check_missing", file, sheet, a1(r, 0), None, None)]
    return [finding("verify_cell_edited", file, sheet, a1(r, columns[i] if columns else i), None,
                    text(cells[i]) or W["empty"]) for i in changed]


def _row(file: str, page: Any, r: int, cells: list[Any], status: Any, check: Any,
         codes: ListedCodes, digest: Digest) -> list[Finding]:
    """A data row's check (edits named by cell) and its 状态 against 问题清单."""
    digest.add(page.name, text(check))
    out = check_findings(file, page.name, r, cells, check)
    expected = codes.expected(text(cells[-2]), int(number(cells[-1]) or 0), text(status))
    if text(status) != expected:
        out.append(finding("verify_status_wrong", file, page.name, a1(r, len(cells)), None,
                           text(status), expected=expected))
    return out
