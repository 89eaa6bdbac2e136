"""End to end: validating sample_data/ finds exactly the planted mistakes, no more, no fewer."""

from __future__ import annotations

import pytest

from tests.accounting import assert_accounted
from tests.conftest import INBOX
from toolkit.sample import build_sample
from toolkit.validate import validate_paths


@pytest.fixture(scope="module")
def report(sample_config):
    return validate_paths([INBOX], sample_config, base=INBOX)


def test_finds_exactly_the_planted_mistakes(report, sample_config):
    planted = {(p.file, p.sheet, p.cell, p.code) for p in build_sample(sample_config).planted}
    found = {(f.file, f.sheet, f.cell, f.code) for f in report.findings() if f.severity != "info"}
    assert found - planted == set(), "findings that were not planted"
    assert planted - found == set(), "planted mistakes that were missed"


def test_notes_under_a_table_are_reported_as_notes(report):
    """The one clerk's note below a table in the sample: read as a note (info), not data."""
    notes = [(f.file, f.cell, f.code) for f in report.findings() if f.severity == "info"]
    assert notes == [("FH09_物流中心分会_经费收支账_2026-10.xlsx", "A22", "note_skipped")]


def test_every_file_recognised(report):
    assert {f.status for f in report.files} <= {"ok", "warnings", "errors"}
    by_name = {f.path: f for f in report.files}
    pasted = by_name["质量管理部分会2026年度考核自评.xlsx"]
    assert (pasted.template, pasted.branch_code, pasted.period) == ("assessment", "FH08", "2026")
    xls = next(f for f in report.files if f.path.endswith(".xls"))
    assert (xls.template, xls.rows) == ("roster", 45)


def test_text_that_looks_like_a_formula_stays_text(report):
    roster = next(f for f in report.files if f.path.startswith("FH03_") and f.template == "roster")
    notes = [r.get("note") for r in roster.records if r.get("note")]
    assert "-已调岗，待办转出" in notes


def test_every_row_of_every_sample_file_is_accounted_for(report):
    for f in report.files:
        assert_accounted(f)
