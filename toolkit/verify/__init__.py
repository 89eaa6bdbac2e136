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

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import __version__
from ..audit import Rows, audit
from ..config import FederationConfig
from ..consolidate.formulas import FIRST_DATA_ROW, SUMMARY_COLUMNS, SUMMARY_KEYS, SUMMARY_VALUES
from ..consolidate.workbook import (
    AUDIT,
    AUDIT_HEADS,
    CHECK_LABEL,
    FINDINGS,
    FINDINGS_HEADS,
    MANIFEST,
    MISSING,
    MISSING_HEADS,
    SUMMARY,
    TREND,
    TREND_HEADS,
)
from ..errors import ToolkitError, UsageError
from ..findings import ERROR, Finding, finding
from ..integrity import Digest, changed_cells, file_sha256
from ..layout import a1
from ..read.workbook import Unreadable, open_book
from ..render.text import STATUS
from ..spec import load_spec
from ..validate.rules import OUTFLOWS
from .layout import Detail, Manifest, NotUnionkit, read_details, read_manifest, text
from .reader import SheetData, read_workbook
from .totals import check_detail, check_summary

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


def verify_workbook(path: Path, config: FederationConfig, sources: Path | None = None,
                    config_fingerprint: str | None = None) -> Verification:
    """Verify ``path``; raises NotUnionkit (or ToolkitError) when it cannot be verified at all."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"workbook not found: {path}")
    if sources is not None and not Path(sources).is_dir():
        raise UsageError(f"--sources is not a folder: {sources}")
    _sniff(path)
    sheets = read_workbook(path)
    manifest = read_manifest(sheets)
    params = manifest.parameters()
    details = read_details(sheets)
    name = path.name
    result = Verification(str(path), file_sha256(path), manifest.period, manifest.digest, "")
    findings = result.findings
    findings += _structure(name, sheets, details)
    uncalculated = sum(sheet.value(r, c) is None for sheet in sheets.values()
                       for r, c in sheet.formulas)
    if uncalculated:
        findings.append(finding("verify_not_calculated", name, value=uncalculated))
    digest = Digest()
    findings += _checks(name, sheets, details, manifest, digest)
    result.digest_found = digest.hexdigest()
    if result.digest_found != manifest.digest:
        findings.append(finding("verify_digest_mismatch", name, MANIFEST, None, None,
                                result.digest_found, expected=manifest.digest))
    findings += _row_counts(name, manifest, details)
    findings += _status(name, sheets, details)
    more, checked = _arithmetic(name, sheets, details, params)
    findings += more
    result.audit = audit(_audit_rows(details), config)
    result.counts = {"sheets": len(sheets), "detail_rows": sum(
        len(d.rows) for d in details.values() if d), "figures": checked,
        "source_files": len(manifest.files)}
    if sources is not None:
        findings += _provenance(name, sheets, manifest, Path(sources), config,
                                config_fingerprint)
    return result


def _arithmetic(file: str, sheets: dict[str, SheetData], details: dict[str, Detail | None],
                params: Any) -> tuple[list[Finding], int]:
    """Every subtotal, total and 汇总 figure (:mod:`.totals`); findings and cells checked."""
    findings, checked = [], 0
    for detail in (d for d in details.values() if d is not None):
        more, n = check_detail(file, detail)
        findings += more
        checked += n
    if SUMMARY in sheets:
        more, n = check_summary(file, sheets[SUMMARY], details, params)
        findings += more
        checked += n
    return findings, checked


def _sniff(path: Path) -> None:
    """Refuse early, with the reader's own guards (bombs, encryption, other formats), anything
    that cannot be a unionkit workbook — before any sheet is loaded."""
    try:
        book = open_book(path)
    except Unreadable as exc:
        reason = finding(exc.code, path.name, detail=exc.detail).message("en")
        raise ToolkitError(f"cannot read {path}: {reason}") from exc
    if book.kind != "xlsx" or MANIFEST not in book.names:
        raise NotUnionkit(f"{path.name} is not a workbook unionkit generated "
                          f"(no {MANIFEST} sheet in an .xlsx)")


def _structure(file: str, sheets: dict[str, SheetData],
               details: dict[str, Detail | None]) -> list[Finding]:
    expected = {SUMMARY: (1, [label for _, label, _ in SUMMARY_COLUMNS] + [CHECK_LABEL]),
                FINDINGS: (0, [*FINDINGS_HEADS, CHECK_LABEL]),
                AUDIT: (0, [*AUDIT_HEADS, CHECK_LABEL]),
                MISSING: (0, [*MISSING_HEADS, CHECK_LABEL]),
                TREND: (0, [*TREND_HEADS, CHECK_LABEL])}
    for template, detail in details.items():
        title = load_spec(template).title
        if detail is None:
            expected[title] = (1, [])
        else:
            expected.update({n: (1, detail.heads) for n in detail.names})
    out = []
    for sheet_name, (row, heads) in expected.items():
        sheet = sheets.get(sheet_name)
        found = [text(sheet.value(row, c)) for c in range(len(heads))] if sheet else None
        if sheet is None or found != heads:
            out.append(finding("verify_sheet_missing", file, sheet_name if sheet else None,
                               None, None, sheet_name))
    return out


def _check_rows(file: str, sheet: SheetData | None, rows: list[tuple[int, list, Any]],
                digest: Digest, first_col: int = 0,
                columns: list[int] | None = None) -> list[Finding]:
    """Row checks of one sheet; each row adds its check cell to the digest."""
    out = []
    for r, cells, check in rows:
        digest.add(sheet.name if sheet else "", text(check))
        changed = changed_cells(check, cells)
        if changed is None:
            continue
        if not check:
            out.append(finding("verify_check_missing", file, sheet.name if sheet else None,
                               a1(r, first_col), None, None))
            continue
        for i in changed:
            col = columns[i] if columns else first_col + i
            out.append(finding("verify_cell_edited", file, sheet.name if sheet else None,
                               a1(r, col), None, text(cells[i]) or "（空）"))
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


def _checks(file: str, sheets: dict[str, SheetData], details: dict[str, Detail | None],
            manifest: Manifest, digest: Digest) -> list[Finding]:
    """Every checked row, in the order the writer chained them into the digest."""
    out = []
    summary = sheets.get(SUMMARY)
    if summary is not None:
        columns = [SUMMARY_KEYS.index(k) for k in SUMMARY_VALUES]
        rows, r = [], FIRST_DATA_ROW
        while r < len(summary.rows) and summary.value(r, 0) not in (None, "合计"):
            rows.append((r, [summary.value(r, c) for c in columns],
                         summary.value(r, len(SUMMARY_COLUMNS))))
            r += 1
        out += _check_rows(file, summary, rows, digest, columns=columns)
    for detail in (d for d in details.values() if d is not None):
        for p, page in enumerate(detail.pages):
            rows = [(row.row, row.cells, row.check) for row in detail.rows if row.page == p]
            out += _check_rows(file, page, rows, digest)
    for name, heads in ((FINDINGS, FINDINGS_HEADS), (AUDIT, AUDIT_HEADS),
                        (MISSING, MISSING_HEADS), (TREND, TREND_HEADS)):
        out += _check_rows(file, sheets.get(name), _list_rows(sheets.get(name), len(heads)),
                           digest)
    out += _check_rows(file, sheets.get(MANIFEST), manifest.checks, digest)
    return out


def _row_counts(file: str, manifest: Manifest, details: dict[str, Detail | None]) -> list:
    """Rows per source file in the detail sheets against the manifest's 行数."""
    found: dict[str, int] = defaultdict(int)
    for detail in (d for d in details.values() if d is not None):
        for row in detail.rows:
            found[row.source] += 1
    out = []
    for f in manifest.files:
        wanted = (manifest.period, manifest.period[:4])
        chosen = f["template"] and f["branch"] and f["period"] in wanted \
            and not f["superseded_by"] and f["status"] not in ("unreadable", "unrecognized")
        if chosen and found.get(f["path"], 0) != f["rows"]:
            out.append(finding("verify_rows_changed", file, MANIFEST, None, None, f["path"],
                               expected=f["rows"], found=found.get(f["path"], 0)))
    return out


def _status(file: str, sheets: dict[str, SheetData],
            details: dict[str, Detail | None]) -> list[Finding]:
    """The 状态 column against the error codes 问题清单 lists for each source row."""
    codes: dict[tuple[str, int], list[str]] = defaultdict(list)
    error = STATUS["zh"][ERROR]
    for _, cells, _ in _list_rows(sheets.get(FINDINGS), len(FINDINGS_HEADS)):
        where = text(cells[2])
        digits = "".join(ch for ch in where if ch.isdigit())
        if digits and text(cells[3]) == error:
            codes[(text(cells[0]), int(digits))].append(text(cells[4]))
    out = []
    for detail in (d for d in details.values() if d is not None):
        status_col = len(detail.heads) - 2
        for row in detail.rows:
            expected = ",".join(codes.get((row.source, row.source_row), [])) or "ok"
            if text(row.status) != expected:
                out.append(finding("verify_status_wrong", file, detail.pages[row.page].name,
                                   a1(row.row, status_col), None, text(row.status),
                                   expected=expected))
    return out


def _audit_rows(details: dict[str, Detail | None]) -> Rows:
    """The audit's inputs, rebuilt from the workbook's own detail sheets."""
    members: dict[str, int] = defaultdict(int)
    collected: dict[str, Decimal] = defaultdict(Decimal)
    dues, ledger = [], []
    for template, detail in details.items():
        if detail is None or template not in ("roster", "dues", "ledger"):
            continue
        for row in detail.rows:
            values = detail.values(row)
            if template == "roster":
                members[row.branch] += values.get("change_type") not in OUTFLOWS
            elif template == "dues" and isinstance(values.get("dues_paid"), Decimal):
                collected[row.branch] += values["dues_paid"]
                if values.get("id_number") and values["dues_paid"]:
                    dues.append(values)
            elif template == "ledger":
                ledger.append(values)
    return Rows(dict(members), dict(collected), dues, ledger)


def _provenance(file: str, sheets: dict[str, SheetData], manifest: Manifest, sources: Path,
                config: FederationConfig, fingerprint: str | None) -> list[Finding]:
    """Each input's SHA-256, then a fresh consolidation compared cell by cell."""
    from ..consolidate import consolidate
    from ..consolidate.workbook import write_workbook
    from ..parallel import executor_for
    from ..spool import Spool

    out = []
    listed = {f["path"] for f in manifest.files}
    for f in manifest.files:
        source = sources / f["path"]
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
    with tempfile.TemporaryDirectory(prefix="unionkit-verify-") as tmp, \
            executor_for() as executor:
        fresh_path = Path(tmp) / "fresh.xlsx"
        fresh = consolidate(sources, config, manifest.period or None, executor,
                            Spool(Path(tmp) / "spool"))
        write_workbook(fresh, config, fresh_path, manifest.options)
        out += _differences(file, read_workbook(fresh_path), sheets, len(manifest.files))
    return out


def _differences(file: str, fresh: dict[str, SheetData], sheets: dict[str, SheetData],
                 files: int) -> list[Finding]:
    """Cells where the workbook differs from a fresh consolidation (the first few). 趋势 and
    审计提示 are left out — they also draw on the register's history, which the sources do not
    hold (verify recomputes the audit flags itself) — and so are the manifest's run facts."""
    out: list[Finding] = []
    for name, new in fresh.items():
        if name in (TREND, AUDIT):
            continue
        old = sheets.get(name)
        if old is None:
            out.append(finding("verify_sheet_missing", file, None, None, None, name))
            continue
        rows = files + 1 if name == MANIFEST else max(len(new.rows), len(old.rows))
        for r in range(rows):
            width = max(len(new.rows[r]) if r < len(new.rows) else 0,
                        len(old.rows[r]) if r < len(old.rows) else 0)
            for c in range(width):
                a, b = new.value(r, c), old.value(r, c)
                if text(a) != text(b):
                    out.append(finding("verify_reconsolidation_differs", file, name, a1(r, c),
                                       None, text(b) or "（空）", expected=text(a) or "（空）"))
                    if len(out) >= RECONSOLIDATION_SHOWN:
                        return out
    return out
