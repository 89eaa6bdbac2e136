"""A roll-up workbook (:mod:`toolkit.rollup`) proved: every row's check and the digest chained
over them in the writer's order (分会明细, 汇总, 重复会员, 来源清单, the run's facts), every
汇总 figure as its SUMIFS over 分会明细 recomputed in Decimal, and the 合计. The sources
themselves are proved by verifying each of them (their SHA-256 and digests are in 来源清单)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ..consolidate.formulas import FIRST_DATA_ROW, SUMMARY_KIND
from ..findings import Finding, finding
from ..integrity import Digest, file_sha256
from ..layout import col_letter
from ..rollup import (
    DETAIL,
    DETAIL_HEADS,
    FIGURES,
    MANIFEST,
    MANIFEST_HEADS,
    PEOPLE,
    PEOPLE_HEADS,
    SUMMARY,
    SUMMARY_HEADS,
    W,
    count_formula,
    summary_formula,
)
from .layout import number, text
from .reader import Workbook
from .scan import check_findings
from .totals import compare


def is_rollup(book: Workbook) -> bool:
    """Whether the workbook's 来源清单 says it is a roll-up."""
    sheet = book.sheet(MANIFEST) if DETAIL in book.names else None
    return sheet is not None and any(
        text(sheet.value(r, 0)) == W["fact_kind"] and text(sheet.value(r, 1)) == W["rollup_kind"]
        for r in range(len(sheet.rows)))


def verify_rollup(path: Path, book: Workbook) -> Any:
    from . import Verification

    name, digest = path.name, Digest()
    findings: list[Finding] = []
    detail = _rows(book, DETAIL, 1, len(DETAIL_HEADS))
    summary = _rows(book, SUMMARY, 1, len(SUMMARY_HEADS), stop=W["total"])
    people = _rows(book, PEOPLE, 0, len(PEOPLE_HEADS))
    sources = _rows(book, MANIFEST, 0, len(MANIFEST_HEADS))
    for sheet, rows, width in ((DETAIL, detail, len(DETAIL_HEADS)), (SUMMARY, summary, 2),
                               (PEOPLE, people, len(PEOPLE_HEADS)),
                               (MANIFEST, sources, len(MANIFEST_HEADS))):
        for r, cells, check in rows:
            digest.add(sheet, text(check))
            findings += check_findings(name, sheet, r, cells[:width], check)
    facts = _facts(book.sheet(MANIFEST), len(sources) + 1)
    for label in (W["fact_kind"], W["fact_tool"], W["period"], W["fact_parameters"]):
        digest.add(MANIFEST, f"{label}={facts.get(label, '')}")
    found, recorded = digest.hexdigest(), facts.get(W["fact_digest"], "")
    if found != recorded:
        findings.append(finding("verify_digest_mismatch", name, MANIFEST, None, None, found,
                                expected=recorded))
    more, checked = _figures(name, book.sheet(SUMMARY), summary, detail)
    findings += more
    result = Verification(str(path), file_sha256(path), facts.get(W["period"], ""), recorded,
                          found, findings)
    result.counts = {"sheets": len(book.names), "detail_rows": len(detail), "figures": checked,
                     "source_files": len(sources)}
    return result


def _rows(book: Workbook, sheet_name: str, head: int, width: int,
          stop: str | None = None) -> list[tuple[int, list, Any]]:
    """A sheet's data rows below its head row: (row, cells, check), to a blank or ``stop``."""
    sheet = book.sheet(sheet_name)
    rows, r = [], head + 1
    while sheet is not None and r < len(sheet.rows) and sheet.value(r, 0) is not None \
            and text(sheet.value(r, 0)) != stop:
        rows.append((r, [sheet.value(r, c) for c in range(width)], sheet.value(r, width)))
        r += 1
    return rows


def _facts(sheet: Any, start: int) -> dict[str, str]:
    return {text(sheet.value(r, 0)): text(sheet.value(r, 1)) for r in range(start, len(sheet.rows))
            if sheet.value(r, 0) is not None}


def _figures(name: str, sheet: Any, summary: list, detail: list) -> tuple[list[Finding], int]:
    """Each sub-federation's figures and branch count against 分会明细, and the 合计."""
    out: list[Finding] = []
    checked = 0
    totals: dict[int, Any] = {}
    for r, cells, _ in summary:
        mine = [row for _, row, _ in detail if text(row[0]) == text(cells[0])]
        values = {2: len(mine)}
        out += compare((name, sheet, r, 2), text(cells[0]), count_formula(r, len(detail)),
                       len(mine), "int")
        for j, key in enumerate(FIGURES):
            kind = "money" if SUMMARY_KIND[key] == "money" else "int"
            values[3 + j] = sum((_number(row[4 + j], kind) for row in mine), Decimal(0))
            out += compare((name, sheet, r, 3 + j), text(cells[0]),
                           summary_formula(4 + j, r, len(detail)), values[3 + j], kind)
        for c, value in values.items():
            totals[c] = totals.get(c, 0) + value
        checked += len(values)
    total = FIRST_DATA_ROW + len(summary)
    for c, value in sorted(totals.items()):
        letter = col_letter(c)
        kind = "money" if c >= 3 and SUMMARY_KIND[FIGURES[c - 3]] == "money" else "int"
        out += compare((name, sheet, total, c), W["total"],
                       f"=SUM({letter}{FIRST_DATA_ROW + 1}:{letter}{total})", value, kind)
        checked += 1
    return out, checked


def _number(value: Any, kind: str) -> Decimal:
    """A 分会明细 figure as SUMIFS counts it: a number, else nothing (未报送 is text)."""
    if isinstance(value, str) or value is None:
        return Decimal(0)
    n = number(value)
    return Decimal(0) if n is None else n
