"""The formulas of a consolidated workbook, built in one place for the writer and for verify.

The writer puts these formulas in the cells; ``unionkit verify`` rebuilds them from the
workbook's own layout and compares, so "each total is a formula over the right range" is
checked against the same definition that produced it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..layout import EXCEL_EPOCH, col_letter
from ..messages import say, words
from ..read.normalize import period_bounds
from ..spec import BUILTIN_IDS, Measure, load_spec, measures, template_ids
from ..validate.rules import EVENTS, JOINS, OUTFLOWS, outside_period

FIRST_DATA_ROW = 2  # 0-based: a title row, a header row, then data

#: The workbook's words (the catalog's ``workbook`` group): the workbook is written in Chinese.
WORDS = words("workbook", "zh")

#: 汇总's columns: (key, head, kind); each head is the catalog's ``workbook.col_<key>``.
SUMMARY_COLUMNS = tuple((key, WORDS[f"col_{key}"], kind) for key, kind in (
    ("code", "text"), ("name", "text"), ("kind", "text"), ("submitted", "int"),
    ("members", "int"), ("joins", "int"), ("outflows", "int"), ("activists", "int"),
    ("share", "pct"), ("women", "int"), ("migrants", "int"), ("dues_due", "money"),
    ("dues_paid", "money"), ("arrears", "money"), ("remitted", "money"), ("payroll", "money"),
    ("fund", "money"), ("fund_kept", "money"), ("fund_upper", "money"), ("opening", "money"),
    ("income", "money"), ("expense", "money"), ("closing", "money"), ("score", "points"),
    ("vetoes", "int"), ("grade", "text"), ("rank", "int"), ("errors", "int"),
    ("warnings", "int")))
SUMMARY_KEYS = tuple(key for key, _, _ in SUMMARY_COLUMNS)
SUMMARY_KIND = {key: kind for key, _, kind in SUMMARY_COLUMNS}
#: Cells typed as values on 汇总 (read from the branch files' header blocks, or counts).
SUMMARY_VALUES = ("code", "name", "kind", "submitted", "payroll", "opening", "errors", "warnings")
#: 汇总 columns drawn from each template: shown as :data:`MISSING_MARK` for a branch that did
#: not send it (missing is not zero; SUM skips the text, so 合计 covers the branches that did).
TEMPLATE_FIGURES = {
    "roster": ("members", "joins", "outflows", "activists", "share", "women", "migrants"),
    "dues": ("dues_due", "dues_paid", "arrears", "remitted", "payroll", "fund", "fund_kept",
             "fund_upper"),
    "ledger": ("opening", "income", "expense", "closing"),
}
MISSING_MARK = WORDS["missing_mark"]
#: A figure of a template a branch need not send (``expected`` on_change or optional) and did
#: not this period: not 未报送, and not 0 either.
ABSENT_MARK = WORDS["absent_mark"]
#: Columns with a 合计 (SUM) in the totals row.
TOTALLED = ("submitted", "members", "joins", "outflows", "activists", "women", "migrants",
            "dues_due", "dues_paid",
            "arrears", "remitted", "payroll", "fund", "fund_kept", "fund_upper", "opening", "income",
            "expense", "closing", "errors", "warnings")



def summary_columns(extra: Sequence[Measure] = ()) -> tuple[tuple[str, str, str], ...]:
    """汇总's columns with the templates' own figures (``[[summary]]`` of the specs) after
    the built-in ones."""
    return (*SUMMARY_COLUMNS, *((m.key, m.label, m.kind) for m in extra))


def summary_keys(extra: Sequence[Measure] = ()) -> tuple[str, ...]:
    return tuple(key for key, _, _ in summary_columns(extra))


def summary_kinds(extra: Sequence[Measure] = ()) -> dict[str, str]:
    return {key: kind for key, _, kind in summary_columns(extra)}


def template_figures(extra: Sequence[Measure] = ()) -> dict[str, tuple[str, ...]]:
    """:data:`TEMPLATE_FIGURES` and each template's own 汇总 figures."""
    out = dict(TEMPLATE_FIGURES)
    for m in extra:
        out[m.template] = (*out.get(m.template, ()), m.key)
    return out


def totalled(extra: Sequence[Measure] = ()) -> tuple[str, ...]:
    """The 汇总 columns with a 合计: :data:`TOTALLED` and every template's own figure."""
    return (*TOTALLED, *(m.key for m in extra))


#: The row below 合计 says of how many branches each template's totals are made (SUM skips
#: 未报送), so a total over 9 of 10 branches says so.
COVERAGE_LABEL = WORDS["coverage"]


def coverage_note(counts: dict[str, int], branches: int,
                  over_max: Sequence[tuple[str, int]] = (), policy: str = "cap",
                  titles: dict[str, str] | None = None) -> str:
    """The note beside :data:`COVERAGE_LABEL`: ``counts`` is each template's reporting branches
    (of :func:`template_figures`, in order); ``over_max``, the branches (code, items) whose
    考评得分 holds a 考评分 above its 分值, counted as ``policy`` says; ``titles``, the titles
    of templates the catalog in use may not have (a workbook's own)."""
    titles = titles or {}
    parts = "，".join(f"{titles.get(t) or load_spec(t).title} {n}/{branches}"
                     for t, n in counts.items())
    note = say("workbook.coverage_note", "zh", parts=parts, mark=MISSING_MARK)
    if over_max:
        named = "、".join(say("workbook.over_max_item", "zh", code=code, count=n)
                         for code, n in over_max)
        note += say("workbook.coverage_over_max", "zh", policy=WORDS[f"over_max_{policy}"],
                    named=named)
    return note


#: What a roster's 小计 and 合计 rows count, each under a column of the roster with a number
#: format that names it ("女会员 5"): (figure, column, word); under a text or yes/no column,
#: so the format check of a date column holds. The same figures as 汇总's.
ROSTER_COUNTS = tuple((figure, column, WORDS[f"count_{figure}"]) for figure, column in (
    ("members", "name"), ("women", "gender"), ("migrants", "migrant"),
    ("activists", "activist"), ("joins", "change_type"), ("outflows", "change_reason")))
_FLAGS = {"women": ("gender", "女"), "migrants": ("migrant", "是"), "activists": ("activist", "是")}
_STAYING = tuple(("change_type", f'"<>{t}"') for t in OUTFLOWS)
#: The columns :func:`roster_counts` reads.
ROSTER_COUNTED = ("change_type", "change_date", *(key for key, _ in _FLAGS.values()))


def roster_counts(values: Any, period: str | None) -> dict[str, int]:
    """One roster row's part (0 or 1) in each figure of :data:`ROSTER_COUNTS`, in Python:
    what :func:`count_terms` counts in a formula. ``values`` answers ``get(key)``."""
    change = values.get("change_type")
    staying = change not in OUTFLOWS
    counted = change in EVENTS and not outside_period(values.get("change_date"), period)
    out = {"members": int(staying), "joins": int(counted and change in JOINS),
           "outflows": int(counted and not staying)}
    for figure, (key, word) in _FLAGS.items():
        out[figure] = int(staying and values.get(key) == word)
    return out


def count_terms(figure: str, bounds: tuple[int, int] | None
                ) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """The COUNTIFS that make one roster figure, as (sign, ((column, criterion), …)) terms:
    members are the rows not 转出/除名/退会; a join or outflow dated before or after the
    period (``bounds``: its first and last day as serials) is taken away (a blank date
    counts, :func:`~toolkit.validate.rules.outside_period`)."""
    if figure == "members":
        return [("+", _STAYING)]
    if figure in _FLAGS:
        key, word = _FLAGS[figure]
        return [("+", ((key, f'"{word}"'), *_STAYING))]
    terms: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for change in JOINS if figure == "joins" else OUTFLOWS:
        kind = (("change_type", f'"{change}"'),)
        terms.append(("+", kind))
        if bounds is not None:
            terms += [("-", (*kind, ("change_date", f'"<{bounds[0]}"'))),
                      ("-", (*kind, ("change_date", f'">{bounds[1]}"')))]
    return terms


def countifs(terms: list[tuple[str, tuple[tuple[str, str], ...]]], places: int,
             ref: Any, fixed: Sequence[tuple[str, str]]) -> str:
    """:func:`count_terms` as a formula over ``places`` ranges (a detail page each, or a
    span of rows): ``ref(i, column)`` is column's range in place ``i``; ``fixed`` are
    conditions every COUNTIFS carries (the branch, or that the row is a detail row)."""
    out = ""
    for sign, conditions in terms:
        group = "+".join("COUNTIFS(" + ",".join(f"{ref(i, key)},{criterion}" for key, criterion
                                                in (*fixed, *conditions)) + ")"
                         for i in range(places))
        out += group if len(terms) == 1 else f"{sign}({group})"
    return out.lstrip("+")


def span_count(figure: str, spans: Sequence[tuple[str | None, int, int]],
               bounds: tuple[int, int] | None, keyed: Sequence[str] = ()) -> str:
    """A roster 小计 or 合计 cell: the rows of ``spans`` (as :func:`subtotal`'s) that count in
    ``figure``; a row with a 来源行 is a detail row, so the 小计 rows inside a 合计 are not."""
    letters = {**detail_letters("roster"), "source_row": source_row_letter("roster", keyed)}

    def ref(i: int, key: str) -> str:
        sheet, first, last = spans[i]
        return (f"{quoted(sheet)}!" if sheet else "") + \
            f"{letters[key]}{first + 1}:{letters[key]}{last + 1}"
    return "=" + countifs(count_terms(figure, bounds), len(spans), ref,
                          (("source_row", '">0"'),))


def period_serials(period: str | None) -> tuple[int, int] | None:
    """The period's first and last day as spreadsheet serials (None: no period)."""
    return tuple((d - EXCEL_EPOCH).days for d in period_bounds(period)) if period else None


def summary_letter(key: str) -> str:
    """The letter of a built-in 汇总 column (the templates' own come after them all)."""
    return col_letter(SUMMARY_KEYS.index(key))


def detail_letters(template: str) -> dict[str, str]:
    """Column letters of a detail sheet: 分会代码 is A, the spec's columns follow."""
    return {c.key: col_letter(i + 1) for i, c in enumerate(load_spec(template).columns)}


def keyed_columns(template: str, keyed: Sequence[str]) -> list[Any]:
    """The columns of ``template`` the run masked, in the spec's order (``keyed``: the masked
    keys, :attr:`Parameters.keyed`): each has a hidden column of its keyed hash after the
    spec's columns."""
    return [c for c in load_spec(template).columns if c.key in keyed]


def detail_heads(template: str, keyed: Sequence[str] = ()) -> list[str]:
    """A detail sheet's heads: 分会代码, the spec's columns, the hidden keyed hashes, 来源文件,
    来源行, 状态 (行校验 follows, hidden)."""
    return [WORDS["col_code"], *(c.label for c in load_spec(template).columns),
            *(say("workbook.col_keyed", "zh", label=c.label)
              for c in keyed_columns(template, keyed)),
            WORDS["source_file"], WORDS["source_row"], WORDS["status"]]


def source_row_letter(template: str, keyed: Sequence[str] = ()) -> str:
    """The 来源行 column of a detail sheet: after 分会代码, the spec's columns, the keyed hashes
    and 来源文件."""
    return col_letter(len(load_spec(template).columns) + len(keyed_columns(template, keyed)) + 2)


def detail_sums(template: str) -> tuple[str, ...]:
    """The columns a detail sheet subtotals: money and points."""
    return tuple(c.key for c in load_spec(template).columns if c.type in ("money", "points"))


def quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def subtotal(letter: str, spans: Sequence[tuple[str | None, int, int]]) -> str:
    """SUBTOTAL(9, …) over 0-based row spans; a span's sheet is None on the formula's own sheet.

    SUBTOTAL skips the 小计 rows inside its range, so a 合计 covers detail rows only.
    """
    refs = [(f"{quoted(sheet)}!" if sheet else "") + f"{letter}{first + 1}:{letter}{last + 1}"
            for sheet, first, last in spans]
    return f"=SUBTOTAL(9,{','.join(refs)})"


def page_spans(start: tuple[int, int], end: tuple[int, int], here: int, names: Sequence[str],
               ends: Sequence[int]) -> list[tuple[str | None, int, int]]:
    """Row spans from ``start`` to ``end`` ((page, row), inclusive) page by page, for a formula
    on page ``here`` (its own spans carry no sheet name); ``ends`` is each page's last row."""
    return [(None if p == here else names[p],
             start[1] if p == start[0] else FIRST_DATA_ROW,
             end[1] if p == end[0] else ends[p])
            for p in range(start[0], end[0] + 1)]


def normalize_formula(text: str) -> str:
    """A formula reduced to its meaning for comparison: no spaces or quotes around sheet names,
    numbers in shortest form (LibreOffice rewrites 0.40 as 0.4 when it saves)."""
    out = []
    for string, sheet, number, other in _TOKENS.findall(text.lstrip("=")):
        if string:
            out.append(string)
        elif sheet:
            out.append(sheet[:-1].strip("'").replace("''", "'") + "!")
        elif number:
            out.append(format(Decimal(number).normalize(), "f"))
        else:
            out.append(other.strip().upper())
    return "=" + "".join(out)


_TOKENS = re.compile(
    r"(\"(?:[^\"]|\"\")*\")"                                # a string literal
    r"|('(?:[^']|'')+'!|[^\W\d][\w.]*!)"                    # a sheet name, quoted or not
    r"|((?<![A-Za-z$\d])\d+\.\d+|(?<![A-Za-z$\d:])\d+(?![\d:]))"  # a number, not a reference
    r"|([^\"']+?|.)")


@dataclass(frozen=True)
class Parameters:
    """Federation figures the formulas use; recorded in the manifest so verify can rebuild them."""

    fund_rate: Decimal
    upper_share: Decimal
    grades: tuple[tuple[Decimal, str], ...]  # (lowest score, grade), highest first
    #: How a 考评分 above its item's 分值 counts (config ``assessment.over_max``), and the
    #: scheme's distinct 分值, which the capped formula counts by. A workbook made before the
    #: setting counted scores as typed.
    over_max: str = "as_is"
    points: tuple[Decimal, ...] = ()
    remit_share: Decimal = Decimal(0)  # of dues paid, handed to the company union
    #: The columns with a hidden keyed hash (config ``[privacy] mask``), and whether their
    #: values are shown masked; a workbook made before privacy settings has neither.
    keyed: tuple[str, ...] = ()
    masked: bool = False
    key_id: str = ""  # which key made the hashes (:func:`toolkit.privacy.key_id`)
    #: The templates the workbook holds, in order, and the 汇总 figures they add (a workbook
    #: made before templates were data holds the first four, and adds none).
    templates: tuple[str, ...] = BUILTIN_IDS[:4]
    measures: tuple[Measure, ...] = ()
    #: Each template's title, for one the catalog in use may not have.
    titles: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict:
        return {"fund_rate": str(self.fund_rate), "upper_share": str(self.upper_share),
                "grades": [[str(low), name] for low, name in self.grades],
                "over_max": self.over_max, "points": [str(p) for p in self.points],
                "remit_share": str(self.remit_share), "keyed": list(self.keyed),
                "masked": self.masked, "key_id": self.key_id, "templates": list(self.templates),
                "measures": [m.to_dict() for m in self.measures],
                "titles": dict(self.titles)}

    @classmethod
    def from_dict(cls, raw: dict) -> Parameters:
        return cls(Decimal(raw["fund_rate"]), Decimal(raw["upper_share"]),
                   tuple((Decimal(low), name) for low, name in raw["grades"]),
                   raw.get("over_max", "as_is"), tuple(Decimal(p) for p in raw.get("points", ())),
                   Decimal(raw.get("remit_share", "0")),
                   tuple(str(k) for k in raw.get("keyed", ())), bool(raw.get("masked", False)),
                   str(raw.get("key_id", "")),
                   tuple(str(t) for t in raw.get("templates", BUILTIN_IDS[:4])),
                   tuple(Measure.from_dict(m) for m in raw.get("measures", ())),
                   tuple((str(k), str(v)) for k, v in (raw.get("titles") or {}).items()))

    @classmethod
    def from_config(cls, config) -> Parameters:
        return cls(config.fund_rate, config.upper_share,
                   tuple((g.min, g.name) for g in config.grades), config.over_max,
                   tuple(sorted({i.points for i in config.indicators})), config.remit_share,
                   config.privacy.mask, config.privacy.masking, "",
                   template_ids(), measures(),
                   tuple((t, load_spec(t).title) for t in template_ids()))

    def counted_score(self, points: object, score: object) -> Decimal:
        """What one 考核评分 row adds to its branch's 考评得分. Under ``cap`` and ``exclude``
        only rows whose 分值 is one of the scheme's count (a changed 分值 is an error of its
        own), a score up to its 分值 as typed, one above it as the 分值 or as nothing."""
        if not isinstance(score, Decimal):
            return Decimal(0)
        if self.over_max == "as_is":
            return score
        if not isinstance(points, Decimal) or points not in self.points:
            return Decimal(0)
        if score <= points:
            return score
        return points if self.over_max == "cap" else Decimal(0)


def above_max(points: object, score: object) -> bool:
    """Whether a 考核评分 row's 考评分 is above its 分值."""
    return isinstance(points, Decimal) and isinstance(score, Decimal) and score > points


class SummaryFormulas:
    """The formula of each derived 汇总 cell, given the detail sheets' pages."""

    def __init__(self, pages: dict[str, Sequence[str]], params: Parameters, branches: int,
                 period: str | None = None):
        self.pages, self.params = pages, params
        self.first, self.last = FIRST_DATA_ROW + 1, FIRST_DATA_ROW + branches  # 1-based rows
        self.bounds = period_serials(period)

    def _count(self, figure: str, n: int) -> str:
        """A roster figure of the branch on row ``n``, over whole columns of every page."""
        pages, letters = self.pages["roster"], {**detail_letters("roster"), "branch": "A"}

        def ref(i: int, key: str) -> str:
            return f"{quoted(pages[i])}!${letters[key]}:${letters[key]}"
        return countifs(count_terms(figure, self.bounds), len(pages), ref,
                        (("branch", f"$A{n}"),))

    def _sumifs(self, template: str, key: str, n: int) -> str:
        col = detail_letters(template)[key]
        return "+".join(f"SUMIFS({quoted(p)}!${col}:${col},{quoted(p)}!$A:$A,$A{n})"
                        for p in self.pages[template])

    def formula(self, key: str, n: int) -> str | None:
        """The formula of column ``key`` on 1-based row ``n`` (None for a typed value)."""
        L = {k: f"{summary_letter(k)}{n}" for k in SUMMARY_KEYS}
        veto = detail_letters("assessment")["veto"]
        by_key = {
            **{figure: (lambda f=figure: self._count(f, n)) for figure, _, _ in ROSTER_COUNTS},
            "share": lambda: f"IF({L['members']}=0,0,{L['activists']}/{L['members']})",
            "dues_due": lambda: self._sumifs("dues", "dues_due", n),
            "dues_paid": lambda: self._sumifs("dues", "dues_paid", n),
            "arrears": lambda: f"{L['dues_due']}-{L['dues_paid']}",
            "remitted": lambda: f"ROUND({L['dues_paid']}*{self.params.remit_share},2)",
            "fund": lambda: f"ROUND({L['payroll']}*{self.params.fund_rate},2)",
            "fund_upper": lambda: f"ROUND({L['fund']}*{self.params.upper_share},2)",
            "fund_kept": lambda: f"{L['fund']}-{L['fund_upper']}",
            "income": lambda: self._sumifs("ledger", "income", n),
            "expense": lambda: self._sumifs("ledger", "expense", n),
            "closing": lambda: f"{L['opening']}+{L['income']}-{L['expense']}",
            "score": lambda: self._score(n),
            "vetoes": lambda: "+".join(
                f'COUNTIFS({quoted(p)}!$A:$A,$A{n},{quoted(p)}!${veto}:${veto},"是")'
                for p in self.pages["assessment"]),
            "grade": lambda: self._grade(L["score"], L["vetoes"]),
            "rank": lambda: self._rank(L["score"], L["vetoes"]),
            **{m.key: (lambda m=m: self._measure(m, n)) for m in self.params.measures},
        }
        build = by_key.get(key)
        return None if build is None else "=" + build()

    def _measure(self, m: Measure, n: int) -> str:
        """A template's own 汇总 figure: SUMIFS of its column, or COUNTIFS of its rows (those
        whose columns hold the values ``count_where`` gives) of the branch on row ``n``."""
        if m.sum:
            return self._sumifs(m.template, m.sum, n)
        letters = detail_letters(m.template)
        terms = []
        for p in self.pages[m.template]:
            q = quoted(p)
            where = "".join(f',{q}!${letters[k]}:${letters[k]},"{v.replace(chr(34), chr(34) * 2)}"'
                            for k, v in m.where)
            terms.append(f"COUNTIFS({q}!$A:$A,$A{n}{where})")
        return "+".join(terms) or "0"

    def _score(self, n: int) -> str:
        """考评得分 under the policy for scores above their 分值
        (:meth:`Parameters.counted_score`), with SUMIFS and COUNTIFS alone: a score cell the
        clerk typed as text is skipped, never an error."""
        if self.params.over_max == "as_is":
            return self._sumifs("assessment", "review_score", n)
        cols = detail_letters("assessment")
        g, f = cols["review_score"], cols["points"]
        terms = []
        for p in self.pages["assessment"]:
            q = quoted(p)
            where = f"{q}!$A:$A,$A{n},{q}!${f}:${f},"
            for v in self.params.points:
                terms.append(f'SUMIFS({q}!${g}:${g},{where}{v},{q}!${g}:${g},"<={v}")')
                if self.params.over_max == "cap":
                    terms.append(f'{v}*COUNTIFS({where}{v},{q}!${g}:${g},">{v}")')
        return "+".join(terms) or "0"

    def _rank(self, score: str, vetoes: str) -> str:
        """A branch's place: among the branches without a 一票否决 by score; a vetoed branch
        after every one of them (:func:`rank_of` is the same rule in Decimal)."""
        u, v = summary_letter("score"), summary_letter("vetoes")
        scores, vetoed = f"${u}${self.first}:${u}${self.last}", f"${v}${self.first}:${v}${self.last}"
        above = f'COUNTIFS({vetoed},0,{scores},">"&{score})'
        after = (f'COUNTIFS({vetoed},0,{scores},"<>")+COUNTIFS({vetoed},">0",{scores},'
                 f'">"&{score})')
        return f"IF({vetoes}>0,{after},{above})+1"

    def _grade(self, score: str, vetoes: str) -> str:
        """Nested IFs over the grade thresholds; any 一票否决 gives the lowest grade."""
        grades = self.params.grades
        text = f'"{grades[-1][1]}"'
        for low, name in reversed(grades[:-1]):
            text = f'IF({score}>={low},"{name}",{text})'
        return f'IF({vetoes}>0,"{grades[-1][1]}",{text})'

    def total(self, key: str) -> str:
        letter = col_letter(summary_keys(self.params.measures).index(key))
        return f"=SUM({letter}{self.first}:{letter}{self.last})"


def rank_of(score: Decimal, vetoed: bool, field: list[tuple[Decimal, bool]]) -> int:
    """A branch's 名次 among ``field`` (every assessed branch's score and veto): branches
    without a 一票否决 by score, ties sharing a place; a vetoed branch after all of them."""
    clean = [s for s, v in field if not v]
    if not vetoed:
        return 1 + sum(s > score for s in clean)
    return 1 + len(clean) + sum(s > score for s, v in field if v)
