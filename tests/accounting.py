"""Every non-blank row below a template's header is accounted for (no row silently dropped),
counted here independently of the reader's own row sorting."""

from __future__ import annotations

from pathlib import Path

from toolkit.findings import FileReport
from toolkit.read.locate import recognise_all
from toolkit.read.normalize import is_blank
from toolkit.read.workbook import open_book

ROW_CODES = {"note_row", "note_skipped", "header_repeated"}  # subtotal rows count as totals
END_CODES = {"table_end", "instructions_end"}


def non_blank_rows(path: Path, sheet: str) -> list[int]:
    """1-based rows below the header with a value in one of the template's columns."""
    located = next(x for x in recognise_all(open_book(path)) if x.sheet.name == sheet)
    cols = list(located.columns.values())
    return [r + 1 for r in range(located.header_row + 1, len(located.sheet.rows))
            if any(not is_blank(located.sheet.value(r, c)) for c in cols)]


def assert_accounted(report: FileReport) -> None:
    """data rows + 合计 rows + rows named by a note/subtotal/header finding + the non-blank rows
    a table_end finding says were not read = the non-blank rows of the sheet."""
    if report.template is None or report.sheet is None:
        return
    rows = non_blank_rows(Path(report.source), report.sheet)
    named = {f.row for f in report.findings if f.code in ROW_CODES}
    unread = set()
    for f in report.findings:
        if f.code in END_CODES:
            params = dict(f.params)
            unread |= {r for r in rows if int(params["row"]) <= r <= int(params["end"])}
    assert not named & unread
    assert report.rows + report.accounted["total"] + len(named) + len(unread) == len(rows), (
        report.path, report.accounted)
    assert sum(report.accounted.values()) == len(rows)
