"""``unionkit verify``: prove a generated workbook to an auditor who trusts neither us nor it.

- Structure: the sheets and headers unionkit writes, and a manifest that parses.
- Integrity: every data row's check cell against its cells (an edit is named by cell), the
  chained data digest against the manifest, per-file row counts against the manifest, and the
  状态 column against 问题清单.
- Arithmetic (:mod:`.totals`): every subtotal, total and 汇总 figure recomputed in Decimal.
- Provenance, with ``sources``: each input's SHA-256, then a fresh consolidation of the sources
  compared with the workbook cell by cell.
- Audit analytics (审计提示) recomputed from the detail sheets.

Findings are data (``Finding``); the CLI renders them.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..audit import Rows, audit
from ..config import FederationConfig
from ..consolidate import wanted_period
from ..consolidate.formulas import (
    SUMMARY_KEYS,
    SUMMARY_KIND,
    SUMMARY_VALUES,
    Parameters,
    detail_letters,
    keyed_columns,
    summary_columns,
)
from ..consolidate.statement import STATEMENT, statement_heads
from ..consolidate.stats import FIRST_FIGURE, STATS, stats_heads
from ..consolidate.workbook import (
    AUDIT,
    AUDIT_HEADS,
    CHECK_LABEL,
    FINDINGS,
    FINDINGS_HEADS,
    MANIFEST,
    MANIFEST_HEADS,
    MISSING,
    MISSING_HEADS,
    RUN_FACTS,
    SUMMARY,
    TREND,
    TREND_COLUMNS,
    TREND_HEADS,
    W,
    add_run_facts,
)
from ..errors import ToolkitError, UsageError
from ..findings import ERROR, MORE, Finding, catalog, code_titled, file_of, finding, title
from ..integrity import Digest, file_sha256
from ..layout import a1
from ..parallel import without_cycle_collection
from ..read.normalize import is_month, quarter_of
from ..read.workbook import Unreadable, open_book
from ..render.text import STATUS
from ..spec import activate, load_spec, template_ids
from .formats import misleading
from .layout import Manifest, NotUnionkit, read_manifest, text
from .reader import SheetData, Workbook, read_workbook
from .rollup import is_rollup, verify_rollup
from .scan import ListedCodes, Tally, check_findings, scan_detail
from .scan import heads as detail_heads
from .statement import check_statement, statement_rows
from .stats import check_stats
from .totals import branch_rows, check_summary

__all__ = ["NotUnionkit", "Verification", "verify_workbook"]

RECONSOLIDATION_SHOWN = 50


@dataclass
class Verification:
    """What verify found about one workbook."""

    path: str
    sha256: str
    period: str
    digest_recorded: str
    digest_found: str
    findings: list[Finding] = field(default_factory=list)
    audit: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity != ERROR for f in self.findings)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"tool": "unionkit", "version": __version__, "workbook": self.path,
                "sha256": self.sha256, "period": self.period,
                "verified": self.errors == 0,
                "data_digest": {"recorded": self.digest_recorded, "found": self.digest_found},
                "checked": self.counts,
                "findings": [f.to_dict(lang) for f in self.findings],
                "audit": [{**f.to_dict(lang), "branch": dict(f.params).get("branch"),
                           "file": f.file, "source_row": dict(f.params).get("row")}
                          for f in self.audit],
                "summary": {"errors": self.errors, "warnings": self.warnings,
                            "audit_flags": len(self.audit)}}


@without_cycle_collection
def verify_workbook(path: Path, config: FederationConfig, sources: Path | None = None,
                    config_fingerprint: str | None = None) -> Verification:
    """Verify ``path``; raises NotUnionkit (or ToolkitError) when it cannot be verified at all.

    The checks run in the order the writer chained the rows into the digest: 汇总, the detail
    pages (scanned a page at a time, :mod:`.scan`), the list sheets, the manifest.
    """
    if config is not None:
        activate(config.catalog)
    path = Path(path)
    if not path.is_file():
        raise UsageError("workbook_not_found", path=path)
    if sources is not None and not Path(sources).is_dir():
        raise UsageError("sources_not_folder", path=sources)
    _sniff(path)
    book = read_workbook(path)
    if is_rollup(book):  # a roll-up of sub-federations' workbooks (toolkit.rollup)
        return verify_rollup(path, book)
    manifest = read_manifest(book)
    params = manifest.parameters()
    name = path.name
    result = Verification(str(path), file_sha256(path), manifest.period, manifest.digest, "")
    findings = result.findings
    findings += _structure(name, book, params)
    digest, tally = Digest(), Tally(period=manifest.period or None, params=params)
    findings += _summary_rows(name, book.sheet(SUMMARY), digest, params)
    codes = _error_codes(book.sheet(FINDINGS))
    known = set(template_ids())
    for template in params.templates:
        if template in known:
            findings += scan_detail(name, book, template, codes, digest, tally)
        else:  # a federation's own template: its spec comes with the configuration
            findings.append(finding("verify_template_unknown", name, None, None, None,
                                    dict(params.titles).get(template, template)))
    for sheet_name, heads in LIST_SHEETS:
        sheet = book.sheet(sheet_name)
        findings += _check_rows(name, sheet, _list_rows(sheet, len(heads)), digest)
    order = _summary_order(book.sheet(SUMMARY))
    statement = book.sheet(STATEMENT)  # a workbook made before it has none; one deleted since
    if statement is not None:          # leaves its checks out of the digest
        findings += _check_rows(name, statement, statement_rows(
            statement, len(statement_heads(order))), digest, [0, 1])
    stats = book.sheet(STATS)
    if stats is not None:
        findings += _check_rows(name, stats, statement_rows(stats, len(stats_heads()), 3),
                                digest, [0, 1, 2])
    findings += _check_rows(name, book.sheet(MANIFEST), manifest.checks, digest)
    add_run_facts(digest, ((label, manifest.facts.get(label, "")) for label in RUN_FACTS))
    result.digest_found = digest.hexdigest()
    if result.digest_found != manifest.digest:
        findings.append(finding("verify_digest_mismatch", name, MANIFEST, None, None,
                                result.digest_found, expected=manifest.digest))
    branches = _summary_codes(book.sheet(SUMMARY))
    findings += _row_counts(name, manifest, tally, branches)
    findings += [finding("verify_branch_not_in_summary", name, None, None, None, code,
                         rows=tally.branch_rows[code])
                 for code in sorted(set(tally.branch_rows) - branches)]
    checked = tally.checked
    if book.sheet(SUMMARY) is not None:
        more, n = check_summary(name, book.sheet(SUMMARY), tally.figures, tally.pages, params,
                                _missing(book.sheet(MISSING)), manifest.period or None,
                                _sent(manifest))
        findings += more
        checked += n
    if statement is not None:
        more, n = check_statement(name, statement, tally.ledger, tally.pages.get("ledger", []),
                                  order, {b for b, t in _missing(book.sheet(MISSING))
                                          if t == "ledger"})
        findings += more
        checked += n
    if stats is not None:
        more, n = check_stats(name, stats, book.sheet(SUMMARY))
        findings += more
        checked += n
    uncalculated = sum(book.uncalculated.values())
    if uncalculated:
        findings.append(finding("verify_not_calculated", name, value=uncalculated))
    result.audit = audit(Rows(dict(tally.members), dict(tally.collected), tally.dues,
                              tally.ledger), config)
    findings += _audit_listed(name, book.sheet(AUDIT), result.audit)
    findings += _formats(name, path, book, tally)
    result.counts = {"sheets": len(book.names), "detail_rows": tally.rows, "figures": checked,
                     "source_files": len(manifest.files)}
    if sources is not None:
        findings += _provenance(name, book, manifest, Path(sources), config,
                                config_fingerprint)
    return result


#: The format unionkit writes for each kind of figure (what a misleading one is shown against).
WRITTEN_FORMAT = {"money": "#,##0.00", "points": "0.0", "pct": "0.0%", "int": "0",
                  "date": "yyyy-mm-dd", "text": "@"}
_KIND = {"money": "money", "points": "points", "int": "int", "date": "date"}


def _layouts(book: Workbook, tally: Tally) -> dict[str, dict[str, str]]:
    """Every sheet's columns by kind of figure (unlisted columns hold text or counts)."""
    layouts: dict[str, dict[str, str]] = {name: {} for name in book.names}
    layouts[SUMMARY] = {a1(0, i)[:-1]: kind for i, (_, _, kind)
                        in enumerate(summary_columns(tally.params.measures))}
    layouts[AUDIT] = {"C": "int", "E": "money"}
    if STATEMENT in book.names:  # 科目编码 and 项目, then figures
        width = len(statement_heads(_summary_order(book.sheet(SUMMARY))))
        layouts[STATEMENT] = {a1(0, c)[:-1]: "money" for c in range(2, width)}
    if STATS in book.names:
        layouts[STATS] = {a1(0, c)[:-1]: "int" for c in range(FIRST_FIGURE, len(stats_heads()))}
    layouts[TREND] = {a1(0, i + 1)[:-1]: "money" for i, (key, _) in enumerate(TREND_COLUMNS)
                      if SUMMARY_KIND.get(key) == "money"}
    for template, pages in tally.pages.items():
        letters = detail_letters(template)
        kinds = {letters[c.key]: _KIND.get(c.type, "text") for c in load_spec(template).columns}
        layouts.update({page: kinds for page in pages})
    return layouts


def _hidden_detail(template: str, keyed: tuple[str, ...]) -> set[int]:
    """The columns unionkit hides on a detail page (1-based): 行校验, and the keyed hashes
    after the spec's columns."""
    first = len(load_spec(template).columns) + 2
    return {len(detail_heads(template, keyed)),  # 行校验 is the last head
            *range(first, first + len(keyed_columns(template, keyed)))}


def _formats(file: str, path: Path, book: Workbook, tally: Tally) -> list[Finding]:
    """Cells whose number format shows another figure than they hold (:mod:`.formats`)."""
    out = []
    statement = len(statement_heads(_summary_order(book.sheet(SUMMARY))))
    hidden = {SUMMARY: {len(summary_columns(tally.params.measures)) + 1}, MANIFEST: {len(MANIFEST_HEADS) + 1},
              STATEMENT: {statement + 1}, STATS: {len(stats_heads()) + 1},
              **{name: {len(heads) + 1} for name, heads in LIST_SHEETS},
              **{page: _hidden_detail(t, tally.params.keyed) for t, pages in tally.pages.items()
                 for page in pages}}
    for bad in misleading(path, _layouts(book, tally), hidden):
        if bad.reason == "conditional":
            out.append(finding("verify_conditional_format", file))
            continue
        if bad.reason in ("hidden_row", "hidden_column"):
            out.append(finding(f"verify_{bad.reason}", file, bad.sheet, bad.cell))
            continue
        out.append(finding("verify_format_changed", file, bad.sheet, bad.cell, None, bad.code,
                           expected=WRITTEN_FORMAT[bad.kind]))
    return out


#: Flags drawn from the register's history, which verify cannot recompute from the workbook.
HISTORY_FLAGS = frozenset({"audit_arrears_growing", "audit_welfare_cap_year"})


def _audit_listed(file: str, sheet: SheetData | None, recomputed: list[Finding]) -> list[Finding]:
    """审计提示 against the flags recomputed from the detail rows, code by code: a flag deleted
    (and the digest recomputed to hide it) or added shows as a different count."""
    if sheet is None:
        return []
    codes = (_code_of(text(cells[5])) for _, cells, _ in _list_rows(sheet, len(AUDIT_HEADS))
             if len(cells) > 5)
    listed = Counter(code for code in codes if code not in HISTORY_FLAGS)
    fresh = Counter(f.code for f in recomputed if f.code not in HISTORY_FLAGS)
    return [finding("verify_audit_differs", file, AUDIT, None, None,
                    title(code) if code in catalog() else code,
                    listed=listed.get(code, 0), expected=fresh.get(code, 0))
            for code in sorted(set(listed) | set(fresh)) if listed.get(code, 0) != fresh.get(code, 0)]


def _code_of(words: str) -> str:
    """The code a list sheet's 问题类型 or 提示类型 names (the words themselves when they name
    none: an edited cell, reported as a count that differs)."""
    return code_titled(words) or words


def _sniff(path: Path) -> None:
    """Refuse early, with the reader's own guards (bombs, encryption, other formats), anything
    that cannot be a unionkit workbook — before any sheet is loaded."""
    try:
        opened = open_book(path)
    except Unreadable as exc:
        raise ToolkitError("workbook_unreadable", path=path,
                           detail=finding(exc.code, path.name, detail=exc.detail)) from exc
    if opened.kind != "xlsx" or MANIFEST not in opened.names:
        raise NotUnionkit("not_unionkit", name=path.name, sheet=MANIFEST)


#: The plain list sheets, in the writer's order, with their headers.
LIST_SHEETS = ((FINDINGS, FINDINGS_HEADS), (AUDIT, AUDIT_HEADS), (MISSING, MISSING_HEADS),
               (TREND, TREND_HEADS))


def _extra_sheets(file: str, book: Workbook, params: Parameters) -> list[Finding]:
    """A sheet unionkit never writes (an added “审计结论：通过”, visible or hidden) is a
    discrepancy: an auditor reads every sheet of the workbook, so verify accounts for each."""
    named = dict(params.titles)
    titles = "|".join(re.escape(named.get(t) or load_spec(t).title) for t in params.templates)
    ours = re.compile(rf"^(?:{titles})(?:\(\d+\))?$")
    known = {SUMMARY, STATEMENT, STATS, MANIFEST, *(name for name, _ in LIST_SHEETS)}
    return [finding("verify_sheet_extra", file, name, None, None, name)
            for name in book.names if name not in known and not ours.match(name)]


def _structure(file: str, book: Workbook, params: Parameters) -> list[Finding]:
    """汇总 and the list sheets exist with unionkit's headers (detail pages: :mod:`.scan`);
    no sheet is there that unionkit did not write."""
    heads = [label for _, label, _ in summary_columns(params.measures)]
    expected = {SUMMARY: (1, [*heads, CHECK_LABEL]),
                **{name: (0, [*heads, CHECK_LABEL]) for name, heads in LIST_SHEETS}}
    out = _extra_sheets(file, book, params)
    for sheet_name, (row, heads) in expected.items():
        sheet = book.sheet(sheet_name)
        found = [text(sheet.value(row, c)) for c in range(len(heads))] if sheet else None
        if sheet is None or found != heads:
            out.append(finding("verify_sheet_missing", file, sheet_name if sheet else None,
                               None, None, sheet_name))
    return out


def _check_rows(file: str, sheet: SheetData | None, rows: list[tuple[int, list, Any]],
                digest: Digest, columns: list[int] | None = None) -> list[Finding]:
    """Row checks of one sheet; each row adds its check cell to the digest."""
    name = sheet.name if sheet else None
    out = []
    for r, cells, check in rows:
        digest.add(name or "", text(check))
        out += check_findings(file, name, r, cells, check, columns)
    return out


def _list_rows(sheet: SheetData | None, width: int) -> list[tuple[int, list, Any]]:
    rows = []
    if sheet is None:
        return rows
    r = 1
    while r < len(sheet.rows) and any(sheet.value(r, c) is not None for c in range(width + 1)):
        rows.append((r, [sheet.value(r, c) for c in range(width)], sheet.value(r, width)))
        r += 1
    return rows


def _summary_rows(file: str, summary: SheetData | None, digest: Digest,
                  params: Parameters) -> list[Finding]:
    """The row checks of 汇总's typed cells (its formulas are checked by :mod:`.totals`)."""
    if summary is None:
        return []
    columns = [SUMMARY_KEYS.index(k) for k in SUMMARY_VALUES]
    check = len(summary_columns(params.measures))
    rows = [(r, [summary.value(r, c) for c in columns], summary.value(r, check))
            for r in branch_rows(summary)]
    return _check_rows(file, summary, rows, digest, columns=columns)


def _missing(sheet: SheetData | None) -> set[tuple[str, str]]:
    """(branch, template) pairs 未报送 lists (its rows are checked like every list's)."""
    titles = {load_spec(t).title: t for t in template_ids()}
    return {(text(cells[0]), titles.get(text(cells[3]), ""))
            for _, cells, _ in _list_rows(sheet, len(MISSING_HEADS))}


def _sent(manifest: Manifest) -> set[tuple[str, str]]:
    """(branch, template) of the files 来源清单 lists that the period's sheets are made of:
    read, not replaced, of the workbook's period (a registry's: any)."""
    known, period = set(template_ids()), manifest.period or ""
    sent = set()
    for f in manifest.files:
        t = f["template"]
        if t not in known or f["superseded_by"] or f["status"] in ("unreadable", "unrecognized"):
            continue
        if wanted_period(period, t) in (None, f["period"]):
            sent.add((f["branch"], t))
    return sent


def _summary_order(summary: SheetData | None) -> list[str]:
    """汇总's branch codes in its order (the statement's columns follow it)."""
    return [text(summary.value(r, 0)) for r in branch_rows(summary)] if summary else []


def _summary_codes(summary: SheetData | None) -> set[str]:
    """The branch codes 汇总 has a row for: the directory the workbook was made with."""
    return {text(summary.value(r, 0)) for r in branch_rows(summary)}


def _row_counts(file: str, manifest: Manifest, tally: Tally, branches: set[str]) -> list[Finding]:
    """Rows per source file in the detail sheets against the manifest's 行数 (a file of a
    branch outside the directory has none: it was refused)."""
    out = []
    wanted = (manifest.period, manifest.period[:4], quarter_of(manifest.period)) \
        if is_month(manifest.period) else (manifest.period,)
    for f in manifest.files:
        chosen = f["template"] and f["branch"] in branches and f["period"] in wanted \
            and not f["superseded_by"] and f["status"] not in ("unreadable", "unrecognized")
        if chosen and tally.sources.get(f["path"], 0) != f["rows"]:
            out.append(finding("verify_rows_changed", file, MANIFEST, None, None, f["path"],
                               expected=f["rows"], found=tally.sources.get(f["path"], 0)))
    return out


def _error_codes(sheet: SheetData | None) -> ListedCodes:
    """What 问题清单 lists: each (source file, row)'s error codes, what 状态 must say, and
    the codes a file has more of than it lists (a ``more_errors`` row names each)."""
    listed = ListedCodes()
    error = STATUS["zh"][ERROR]
    for _, cells, _ in _list_rows(sheet, len(FINDINGS_HEADS)):
        digits = "".join(ch for ch in text(cells[2]) if ch.isdigit())
        if digits and text(cells[3]) == error:
            listed.rows[(text(cells[0]), int(digits))].append(_code_of(text(cells[4])))
        elif text(cells[4]) == title(MORE[ERROR]):
            listed.capped[text(cells[0])].update(
                code for words in text(cells[5]).replace("（", " ").replace("）", " ").split()
                if (code := code_titled(words)) is not None)
    return listed


def _provenance(file: str, book: Workbook, manifest: Manifest, sources: Path,
                config: FederationConfig, fingerprint: str | None) -> list[Finding]:
    """Each input's SHA-256, then a fresh consolidation compared cell by cell."""
    from ..consolidate import consolidate
    from ..consolidate.workbook import write_workbook
    from ..parallel import executor_for
    from ..privacy import in_mode, key_id
    from ..spool import Spool

    out = []
    listed = {file_of(f["path"]) for f in manifest.files}
    for f in manifest.files:
        source = sources / file_of(f["path"])
        if not source.is_file():
            out.append(finding("verify_source_missing", f["path"]))
        elif file_sha256(source) != f["sha256"]:
            out.append(finding("verify_source_changed", f["path"], value=f["sha256"]))
    for extra in sorted(p for p in sources.rglob("*") if p.is_file()
                        and not p.name.startswith(".")):
        if str(extra.relative_to(sources)) not in listed:
            out.append(finding("verify_source_extra", str(extra.relative_to(sources))))
    used = manifest.options.get("config")
    if used and fingerprint and used != fingerprint:
        out.append(finding("verify_config_differs", file, value=fingerprint[:12],
                           expected=used[:12]))
    config = in_mode(config, manifest.options.get("privacy", "masked"))  # as it was made
    with tempfile.TemporaryDirectory(prefix="unionkit-verify-") as tmp, \
            executor_for() as executor:
        fresh_path = Path(tmp) / "fresh.xlsx"
        fresh = consolidate(sources, config, manifest.period or None, executor,
                            Spool(Path(tmp) / "spool"))
        write_workbook(fresh, config, fresh_path, manifest.options)
        made_with = manifest.parameters()
        unknown: dict[str, set[int]] = {}
        if made_with.key_id and made_with.key_id != key_id(fresh.privacy.key):
            out.append(finding("verify_key_differs", file))
            unknown = _keyed_cells(book.names, made_with.keyed)
        out += _differences(file, read_workbook(fresh_path), book, len(manifest.files), unknown)
    return out


def _keyed_cells(names: list[str], keyed: tuple[str, ...]) -> dict[str, set[int]]:
    """The columns (0-based) of each detail page that another key makes differ: the keyed
    hashes and the row checks over them."""
    out = {}
    for template in template_ids():
        title, first = load_spec(template).title, len(load_spec(template).columns) + 1
        columns = {*range(first, first + len(keyed_columns(template, keyed))),
                   len(detail_heads(template, keyed)) - 1}
        out.update({name: columns for name in names
                    if name == title or re.fullmatch(rf"{re.escape(title)}\(\d+\)", name)})
    return out


def _differences(file: str, fresh: Workbook, book: Workbook, files: int,
                 unknown: dict[str, set[int]]) -> list[Finding]:
    """Cells where the workbook differs from a fresh consolidation (the first few). 趋势 and
    审计提示 are left out — they also draw on the register's history, which the sources do not
    hold (verify recomputes the audit flags itself) — and so are the manifest's run facts."""
    out: list[Finding] = []
    for name in fresh.names:
        if name in (TREND, AUDIT):
            continue
        new, old = fresh.sheet(name), book.sheet(name)
        if old is None:
            out.append(finding("verify_sheet_missing", file, None, None, None, name))
            continue
        rows = files + 1 if name == MANIFEST else max(len(new.rows), len(old.rows))
        for r in range(rows):
            width = max(len(new.rows[r]) if r < len(new.rows) else 0,
                        len(old.rows[r]) if r < len(old.rows) else 0)
            skipped = unknown.get(name, ())
            for c in range(width):
                a, b = new.value(r, c), old.value(r, c)
                if text(a) != text(b) and c not in skipped:
                    out.append(finding("verify_reconsolidation_differs", file, name, a1(r, c),
                                       None, text(b) or W["empty"], expected=text(a) or W["empty"]))
                    if len(out) >= RECONSOLIDATION_SHOWN:
                        return out
        fresh.release(name)
        book.release(name)
    return out
