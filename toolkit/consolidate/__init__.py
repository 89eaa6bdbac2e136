"""Consolidation: the inbox validated, grouped by (branch, template, period), and summarised.

Recognised files are grouped by slot; a later 填报日期 supersedes an earlier file for the same
slot, equal dates are an error. Cross-branch checks run over the chosen files. The result is
data (:class:`Consolidation`); ``toolkit.consolidate.workbook`` writes it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from ..audit import Rows, audit, welfare_spent
from ..config import Branch, FederationConfig
from ..errors import UsageError
from ..findings import FileReport, Finding, Report, finding
from ..layout import a1
from ..money import fund_due, round_fen, split_fund
from ..parallel import without_cycle_collection
from ..privacy import DEFAULTS, Privacy, hashed, keyed_config, shield_files, shown
from ..read.normalize import BadValue, is_month, parse_period, quarter_of
from ..spec import load_spec, measures, template_ids
from ..spool import Spool, in_pieces
from ..validate import validate_paths
from ..validate.cross import choose
from ..validate.rules import OUTFLOWS
from .formulas import (
    ABSENT_MARK,
    MISSING_MARK,
    ROSTER_COUNTED,
    ROSTER_COUNTS,
    Parameters,
    above_max,
    rank_of,
    roster_counts,
    template_figures,
)
from .statement import account_amounts
from .stream import render_detail

ZERO = Decimal("0.00")


@dataclass
class BranchSummary:
    """One row of the 汇总 sheet, computed in Decimal from the chosen files."""

    code: str
    name: str
    kind: str
    submitted: dict[str, int] = field(default_factory=dict)
    members: int = 0
    joins: int = 0
    outflows: int = 0
    activists: int = 0
    women: int = 0
    migrants: int = 0
    dues_due: Decimal = ZERO
    dues_paid: Decimal = ZERO
    remitted: Decimal = ZERO  # dues_paid × dues.remit_share
    payroll: Decimal = ZERO
    fund: Decimal = ZERO
    fund_kept: Decimal = ZERO
    fund_upper: Decimal = ZERO
    opening: Decimal = ZERO
    income: Decimal = ZERO
    expense: Decimal = ZERO
    closing: Decimal = ZERO
    score: Decimal | None = None
    over_max: int = 0  # items whose 考评分 is above their 分值
    vetoes: int = 0
    grade: str = ""
    rank: int | None = None
    errors: int = 0
    warnings: int = 0
    unreported: frozenset[str] = frozenset()  # templates this branch did not send
    #: Templates the branch need not send (registries) and did not: their figures are unknown.
    absent: frozenset[str] = frozenset()
    #: The figures the templates' specs add to 汇总 (``[[summary]]``), by key.
    measures: dict[str, Decimal | int] = field(default_factory=dict)
    welfare: dict[str, Decimal] = field(default_factory=dict)  # spent under each yearly cap
    #: This period's amount of each income and expenditure account (收入支出表, and next
    #: month's 本年累计数 from the register).
    accounts: dict[str, Decimal] = field(default_factory=dict)

    def missing_figure(self, key: str) -> bool:
        """Whether a 汇总 figure comes from a template the branch did not send."""
        return bool(_unsent_source(key, self.unreported | self.absent))

    def mark(self, key: str) -> str:
        """What a figure :meth:`missing_figure` says is unknown shows: 未报送, or 本期未报 for
        a template the branch need not send."""
        return MISSING_MARK if _unsent_source(key, self.unreported) else ABSENT_MARK

    def figure(self, key: str) -> Any:
        """A 汇总 figure by key: a built-in one or a template's own."""
        return self.measures[key] if key in self.measures else getattr(self, key)

    @property
    def arrears(self) -> Decimal:
        return self.dues_due - self.dues_paid

    def figures(self) -> dict[str, Any]:
        """What a period keeps for history (the register, the 趋势 sheet); money as text."""
        figures = {"members": self.members, "joins": self.joins, "outflows": self.outflows,
                   "activists": self.activists, "women": self.women, "migrants": self.migrants,
                   "dues_due": f"{self.dues_due:.2f}", "dues_paid": f"{self.dues_paid:.2f}",
                   "arrears": f"{self.arrears:.2f}", "fund": f"{self.fund:.2f}",
                   "closing": f"{self.closing:.2f}",
                   "score": None if self.score is None else str(self.score), "grade": self.grade,
                   "welfare": {name: f"{spent:.2f}" for name, spent in self.welfare.items()},
                   "accounts": None if "ledger" in self.unreported else {
                       code: f"{amount:.2f}" for code, amount in self.accounts.items()}}
        # a figure of a template the branch did not send is not recorded as 0: it is unknown
        return {k: None if self.missing_figure(k) else v for k, v in figures.items()}


def _unsent_source(key: str, unsent: frozenset[str]) -> bool:
    """Whether 汇总 figure ``key`` comes from one of the templates ``unsent``."""
    figures = template_figures(measures())
    return any(key in figures.get(t, ()) for t in unsent)


#: The figures of a period that are not sums over its branches (a score, a grade, the
#: welfare and account breakdowns).
NOT_SUMMED = ("score", "grade", "welfare", "accounts")


def add_figures(total: dict[str, Any], figures: dict[str, Any], keys: Iterable[str]) -> None:
    """Add one branch's period figures (:meth:`BranchSummary.figures`: money as text, counts
    as ints) into a running total, for the federation's history and 趋势."""
    for key in keys:
        value = figures.get(key)
        if value is not None:
            total[key] = total.get(key, 0) + (Decimal(value) if isinstance(value, str) else value)


@dataclass
class Consolidation:
    """What one consolidation run decided."""

    period: str
    report: Report
    chosen: dict[tuple[str, str], FileReport]
    superseded: list[tuple[FileReport, FileReport]]
    excluded: list[FileReport]
    missing: list[tuple[Branch, str]]
    summaries: list[BranchSummary]
    audit: list[Finding] = field(default_factory=list)  # 审计提示: warnings with a reason
    #: The privacy settings and key the run's outputs were made with.
    privacy: Privacy = DEFAULTS
    #: Whether every file's rows were kept (``consolidate(keep_records=True)``).
    kept_records: bool = False

    def period_of(self, template: str) -> str:
        return wanted_period(self.period, template) or self.period

    @staticmethod
    def is_superseded(report: FileReport) -> bool:
        return bool(report.superseded_by)

    def counts(self) -> tuple[int, int]:
        """(errors, warnings) of the run: :attr:`Report.errors` (every file's findings but a
        superseded file's, which 问题清单 lists as 已替代). The terminal, --json, 汇总 and the
        register all show these numbers; 汇总's rows split them by branch, and
        :meth:`unattributed` is the rest."""
        return self.report.errors, self.report.warnings

    def unattributed(self) -> tuple[int, int]:
        """(errors, warnings) of counted files no 汇总 row holds: unreadable or unrecognised
        files, a branch outside the directory, another period."""
        used = {id(f) for f in self.chosen.values()}
        return _tally(f for f in self.report.files
                      if id(f) not in used and not self.is_superseded(f))

    def used_errors(self) -> int:
        """Errors in the files the workbook is made of (what --strict refuses to publish)."""
        return sum(f.errors for f in self.chosen.values())


def _pick_period(report: Report, period: str | None) -> str:
    """The period to consolidate: the one given (in any form a clerk writes it: 2026-10,
    2026/10, 2026年10月, 202610), else the one most recognised monthly files name — one typo'd
    所属期 never becomes the period; a tie goes to the later period."""
    named = Counter(f.period for f in report.files if f.template and is_month(f.period))
    quarters = {f.period for f in report.files if f.template and f.period and "Q" in f.period}
    if period:
        try:
            wanted = parse_period(period, "month")
        except BadValue:
            raise UsageError("period_not_month", period=period) from None
        if wanted not in named and quarter_of(wanted) not in quarters:
            raise UsageError("period_not_in_inbox", period=wanted,
                             have="、".join(sorted(named)) or "—")
        return wanted
    if not named:
        raise UsageError("nothing_to_consolidate")
    return max(named, key=lambda p: (named[p], p))


def wanted_period(period: str, template: str | None) -> str | None:
    """The period a template's file must name to be this consolidation's (a yearly one: the
    year; a quarterly one: the month's quarter; a registry's: any, None)."""
    kind = load_spec(template).period if template else "month"
    return {"year": period[:4], "quarter": quarter_of(period), "none": None}.get(kind, period)


def _flag_other_periods(report: Report, period: str) -> None:
    """A recognised file of another period is listed, with a warning naming both: it is
    left out of this period's sheets (never silently)."""
    for f in report.files:
        if f.template and f.period:
            wanted = wanted_period(period, f.template)
            if wanted is not None and f.period != wanted:
                f.findings.append(finding("period_other", f.path, value=f.period,
                                          expected=wanted))


def _slots(report: Report, period: str, known: frozenset[str]) -> tuple[dict, list, list]:
    """Files by (branch, template) slot for the period; a file of a branch outside the
    directory (``known``, when the configuration has one) goes into no slot and no total."""
    groups: dict[tuple[str, str], list[FileReport]] = defaultdict(list)
    excluded = []
    for f in report.files:
        wanted = wanted_period(period, f.template)
        if f.template and f.branch_code and (wanted is None or f.period == wanted) \
                and (not known or f.branch_code in known):
            groups[(f.branch_code, f.template)].append(f)
        else:
            excluded.append(f)
    chosen, superseded = choose(groups)
    return chosen, superseded, excluded


def _cross_branch(chosen: dict[tuple[str, str], FileReport]) -> None:
    """One person in two branches' rosters; ledger dues income against dues collected."""
    seen: dict[str, str] = {}
    for (branch, template), f in sorted(chosen.items()):
        if template != "roster":
            continue
        col = f.columns.get("id_number")
        for person in f.items("people"):
            if person.change in OUTFLOWS:
                continue
            other = seen.setdefault(person.id_number, branch)
            if other != branch:
                f.add(finding("id_in_two_branches", f.path, f.sheet, a1(person.row, col),
                              "id_number", person.id_number, name=person.name, other=other))
        f.settle()
    _unique_across(chosen)
    for (branch, template), ledger in chosen.items():
        dues = chosen.get((branch, "dues"))
        if template != "ledger" or dues is None:
            continue
        booked, paid = _totals(ledger)["dues_income"], _totals(dues)["dues_paid"]
        if booked != paid:
            ledger.findings.append(finding("ledger_dues_mismatch", ledger.path,
                                           ledger.sheet, None, None, booked,
                                           expected=paid))


def _unique_across(chosen: dict[tuple[str, str], FileReport]) -> None:
    """A value of a ``unique_across_branches`` column (one person's ID number in two branches'
    registries) in the files of two branches: an error on the later branch's row."""
    seen: dict[tuple[str, str, str], str] = {}
    for (branch, template), f in sorted(chosen.items()):
        for key, match, value, name, row in f.items("unique"):
            other = seen.setdefault((template, key, match), branch)
            if other != branch:
                f.add(finding("value_in_two_branches", f.path, f.sheet,
                              a1(row, f.columns.get(key)), key, value, name=name, other=other,
                              label=load_spec(template).column(key).label,
                              title=load_spec(template).title))
        f.settle()


def _sum(records: list, key: str) -> Decimal:
    return sum((r.get(key) or ZERO for r in records), ZERO)


def file_totals(template: str, records: list, period: str | None = None) -> dict[str, Any]:
    """One file's figures for 汇总, computed where its rows are (the worker). A join or
    outflow dated outside the period is not one of the period's."""
    if template == "roster":  # counted per distinct combination: most rows share one
        counts = dict.fromkeys((figure for figure, _, _ in ROSTER_COUNTS), 0)
        cells = [records[0].index.get(key, -1) for key in ROSTER_COUNTED] if records else []
        for seen, rows in Counter(tuple(r.cells[c] for c in cells) for r in records).items():
            for figure, n in roster_counts(dict(zip(ROSTER_COUNTED, seen, strict=True)),
                                           period).items():
                counts[figure] += n * rows
        return counts
    if template == "dues":
        return {"dues_due": _sum(records, "dues_due"), "dues_paid": _sum(records, "dues_paid")}
    if template == "ledger":
        return {"income": _sum(records, "income"), "expense": _sum(records, "expense"),
                "dues_income": _sum([r for r in records if r.get("account_code") == "401"],
                                    "income")}
    if template == "assessment":  # scored in the parent, under the federation's policy
        return {"scored": [(r.get("points"), r.get("review_score")) for r in records],
                "vetoes": sum(r.get("veto") == "是" for r in records)}
    return {m.key: sum((m.of(r) for r in records), Decimal(0) if m.sum else 0)
            for m in load_spec(template).summary}


def extract(report: FileReport, privacy: Privacy = DEFAULTS, keep: bool = False) -> None:
    """The per-file stage's extract for consolidation (runs in the worker): the file's
    figures, and its detail rows rendered for the workbook. Of the rows themselves only a
    ledger's go on (the audit reads them); the rest would be pickled for nothing. A dues
    line's person is matched on the keyed hash and quoted masked (as the workbook shows it)."""
    if report.template is not None:
        report.extras["totals"] = file_totals(report.template, report.records, report.period)
        render_detail(report, privacy)
    if report.template == "dues":
        column = load_spec("dues").column("id_number")
        for records in in_pieces(report.records):
            report.add_piece("dues_lines", [
                {"id_number": shown(r.get("id_number"), column, privacy),
                 "id_number_key": hashed(r.get("id_number"), privacy), "name": r.get("name") or "",
                 "dues_due": r.get("dues_due"), "dues_paid": r.get("dues_paid"),
                 "branch": report.branch_code, "file": report.path, "row": r.row + 1}
                for r in records if r.get("id_number")])
    if report.template is not None:
        _unique_lines(report, privacy)
    if report.template != "ledger" and not keep:
        report.records = []


def _unique_lines(report: FileReport, privacy: Privacy) -> None:
    """The values of a template's ``unique_across_branches`` columns, for the check across
    branches in the parent: matched on the keyed hash of a masked column, quoted as shown."""
    columns = [c for c in load_spec(report.template).columns if c.unique_across_branches]
    for records in in_pieces(report.records) if columns else ():
        report.add_piece("unique", [
            (c.key, hashed(value, privacy) if c.key in privacy.mask else value,
             shown(value, c, privacy), r.get("name") or "", r.row)
            for r in records for c in columns
            if (value := r.get(c.key)) not in (None, "") and c.key not in r.bad])


def _totals(report: FileReport) -> dict[str, Any]:
    return report.load("totals") or {}  # see extract: every file with a template has them


def _tally(files: Iterable[FileReport]) -> tuple[int, int]:
    """(errors, warnings) of some files."""
    counted = list(files)
    return sum(f.errors for f in counted), sum(f.warnings for f in counted)


def _count(s: BranchSummary, chosen: dict) -> None:
    """A branch's 错误数 and 警告数: its files used (see :meth:`Consolidation.counts`)."""
    s.errors, s.warnings = _tally(f for (code, _), f in chosen.items() if code == s.code)


def previous_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"


def check_continuity(result: Consolidation, history: dict[str, dict[str, dict]]) -> None:
    """期初余额 of each ledger used against its branch's 期末余额 of the month before, as the
    register recorded it (``history``: branch → period → figures): a gap between two months'
    books is an error naming both. A month the register does not hold is not checked."""
    before = previous_month(result.period)
    for (code, template), ledger in result.chosen.items():
        closing = history.get(code, {}).get(before, {}).get("closing")
        opening = ledger.header.get("opening")
        if template != "ledger" or closing is None or opening is None:
            continue
        if Decimal(closing) != opening:
            ledger.findings.append(finding("opening_differs", ledger.path, ledger.sheet, None,
                                           "opening", opening, expected=closing, period=before))
    for s in result.summaries:
        _count(s, result.chosen)


def _unreported(summaries: list[BranchSummary], missing: list[tuple[Branch, str]]) -> None:
    for s in summaries:
        s.unreported = frozenset(t for b, t in missing if b.code == s.code)


def sent_earlier(result: Consolidation, sent: set[tuple[str, str, str]]) -> None:
    """A yearly or quarterly template (考核评分) a branch already sent for this month's year
    or quarter, as the register saw it in an earlier month's inbox (``sent``: (branch,
    template, period)), is not missing this month: it is expected once a year (a quarter).
    Its figures are not this month's, so 汇总 leaves them blank."""
    result.missing = [(b, t) for b, t in result.missing
                      if load_spec(t).period not in ("year", "quarter")
                      or (b.code, t, wanted_period(result.period, t)) not in sent]
    _unreported(result.summaries, result.missing)


def _summarise(branch: Branch, chosen: dict, config: FederationConfig, params: Parameters,
               files: list[FileReport]) -> BranchSummary:
    s = BranchSummary(branch.code, branch.name, branch.kind)
    s.submitted = {t: sum(f.branch_code == branch.code and f.template == t for f in files)
                   for t in template_ids()}
    _count(s, chosen)
    dues = chosen.get((branch.code, "dues"))
    ledger, assess = chosen.get((branch.code, "ledger")), chosen.get((branch.code, "assessment"))
    own = {m.key for m in measures()}
    for template in template_ids():
        report = chosen.get((branch.code, template))
        for key, value in (_totals(report) if report is not None else {}).items():
            if key in own:
                s.measures[key] = value
            elif hasattr(s, key):
                setattr(s, key, value)
    if dues:
        s.remitted = round_fen(s.dues_paid * config.remit_share)
        s.payroll = dues.header.get("payroll") or ZERO
        s.fund = fund_due(s.payroll, config.fund_rate)
        s.fund_kept, s.fund_upper = split_fund(s.fund, config.upper_share)
    if ledger:
        s.opening = ledger.header.get("opening") or ZERO
        s.closing = s.opening + s.income - s.expense
    if assess:
        scored = _totals(assess)["scored"]
        s.score = sum((params.counted_score(p, v) for p, v in scored),
                      Decimal(0)).quantize(Decimal("0.1"))
        s.over_max = sum(above_max(p, v) for p, v in scored)
        s.grade = config.grade_for(s.score, s.vetoes > 0)
    return s


@without_cycle_collection
def consolidate(inbox: Path, config: FederationConfig, period: str | None = None,
                executor: Executor | None = None, spool: Spool | None = None,
                progress: Callable[[int, int], None] | None = None,
                keep_records: bool = False) -> Consolidation:
    """Validate the inbox and decide what goes into the federation's workbook.

    ``executor`` runs the per-file stage (see :func:`validate_paths`); ``spool`` keeps records
    on disk, so memory grows with the largest file rather than with the federation.
    ``keep_records`` keeps every file's rows (``FileReport.load_records``), for
    :func:`toolkit.frames.frames`; the workbook needs only the ledgers'.
    """
    if not Path(inbox).is_dir():
        raise UsageError("inbox_not_folder", path=inbox)
    config = keyed_config(config)  # the key the hidden hash columns are made with
    report = validate_paths([inbox], config, progress, base=Path(inbox), executor=executor,
                            spool=spool, extract=partial(extract, privacy=config.privacy,
                                                           keep=keep_records))
    period = _pick_period(report, period)
    _flag_other_periods(report, period)
    chosen, superseded, excluded = _slots(report, period,
                                          frozenset(b.code for b in config.branches))
    _cross_branch(chosen)
    shield_files(chosen.values(), config.privacy)
    codes = [b.code for b in config.branches] or sorted({b for b, _ in chosen})
    directory = config.branches or tuple(Branch(c, c, "") for c in codes)
    in_period = [f for f in report.files if f not in excluded]
    params = Parameters.from_config(config)
    summaries = [_summarise(b, chosen, config, params, in_period) for b in directory]
    field = [(s.score, s.vetoes > 0) for s in summaries if s.score is not None]
    for s in summaries:
        if s.score is not None:
            s.rank = rank_of(s.score, s.vetoes > 0, field)
    missing = [(b, t) for b in directory for t in template_ids()
               if (b.code, t) not in chosen and load_spec(t).demanded]
    _unreported(summaries, missing)
    for s in summaries:
        s.absent = frozenset(t for t in template_ids()
                             if not load_spec(t).demanded and (s.code, t) not in chosen)
    rows = _audit_rows(chosen, summaries)
    flags = audit(rows, config)
    by_code = {s.code: s for s in summaries}
    for (code, name), lines in sorted(welfare_spent(rows.ledger, config).items()):
        if code in by_code:
            by_code[code].welfare[name] = sum((r["expense"] for r in lines), ZERO)
    chart = config.chart_for(period).accounts
    for code, amounts in account_amounts(rows.ledger, chart).items():
        if code in by_code:
            by_code[code].accounts = dict(sorted(amounts.items()))
    return Consolidation(period, report, chosen, superseded, excluded, missing, summaries, flags,
                         config.privacy, keep_records)


def _audit_rows(chosen: dict[tuple[str, str], FileReport],
                summaries: list[BranchSummary]) -> Rows:
    """What the audit analytics read: ledgers in full, dues lines streamed file by file."""
    def paid() -> Iterator[dict[str, Any]]:
        for (_, template), f in sorted(chosen.items()):
            if template == "dues":
                yield from (line for line in f.items("dues_lines") if line["dues_paid"])
    ledger = [{**r.values, "branch": branch, "file": f.path, "row": r.row + 1}
              for (branch, template), f in sorted(chosen.items()) if template == "ledger"
              for r in f.load_records()]
    return Rows({s.code: s.members for s in summaries},
                {s.code: s.dues_paid for s in summaries if (s.code, "dues") in chosen},
                paid(), ledger)
