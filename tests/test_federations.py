"""Any federation reconciles: generated branches with a random mix of the sample's clerk
habits and mistakes, some files not sent. For each, every 汇总 total equals its detail sheet's
合计, the error count is one number in every output, the workbook verifies, and LibreOffice
recalculates every formula to its cached value."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import config
from tests.test_consolidate import _assert_recalculates, needs_soffice
from toolkit.consolidate import consolidate
from toolkit.consolidate.formulas import FIRST_DATA_ROW, SUMMARY_COLUMNS
from toolkit.consolidate.workbook import FINDINGS, SUMMARY, summary_json, write_workbook
from toolkit.sample import build_sample, write_files
from toolkit.sample.federation import HABITS
from toolkit.spec import load_spec
from toolkit.verify import verify_workbook

#: 汇总 columns and the detail column whose 合计 each must equal.
TIED = {"dues_due": ("dues", "dues_due"), "dues_paid": ("dues", "dues_paid"),
        "income": ("ledger", "income"), "expense": ("ledger", "expense")}


def _totals_row(ws) -> dict[str, object]:
    """The 合计 row of a sheet, by header label (the header is the row above the data)."""
    heads = [c.value for c in ws[FIRST_DATA_ROW]]
    row = next(r for r in ws.iter_rows(min_row=FIRST_DATA_ROW + 1, values_only=True)
               if r[0] == "合计")
    return dict(zip(heads, row, strict=False))


@needs_soffice
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6),
       habits=st.lists(st.sampled_from(range(len(HABITS))), unique=True, max_size=len(HABITS)),
       dropped=st.sets(st.integers(0, 45), max_size=5))
def test_any_federation_reconciles(tmp_path_factory, seed, habits, dropped):
    tmp = tmp_path_factory.mktemp("federation")
    sample = build_sample(config(), seed, tuple(HABITS[i] for i in sorted(habits)))
    sent = [plan for i, plan in enumerate(sample.files) if i not in dropped]
    write_files(sent, config(), tmp / "inbox")
    result = consolidate(tmp / "inbox", config())
    out = tmp / "w.xlsx"
    digest = write_workbook(result, config(), out, {"period": result.period})

    assert verify_workbook(out, config()).errors == 0
    book = openpyxl.load_workbook(out, data_only=True)
    summary = _totals_row(book[SUMMARY])
    labels = {key: label for key, label, _ in SUMMARY_COLUMNS}
    for key, (template, column) in TIED.items():
        spec = load_spec(template)
        if spec.title in book.sheetnames:
            detail = _totals_row(book[spec.title])[spec.column(column).label]
            assert Decimal(str(summary[labels[key]])) == Decimal(str(detail)), key

    errors = result.counts()[0]
    listed = sum(f.count for report in result.report.files if not result.is_superseded(report)
                 for f in report.findings if f.severity == "error")
    per_branch = sum(s.errors for s in result.summaries) + result.unattributed()[0]
    level = [r[3] for r in book[FINDINGS].iter_rows(min_row=2, values_only=True)]
    assert errors == listed == per_branch == summary_json(result, digest)["summary"]["errors"]
    assert level.count("错误") == sum(
        1 for report in result.report.files if not result.is_superseded(report)
        for f in report.findings if f.severity == "error")
    _assert_recalculates(out, tmp)
