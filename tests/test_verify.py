"""verify: a clean workbook holds; each kind of tampering is detected and named."""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX, SAMPLE
from tests.test_consolidate import needs_soffice
from toolkit.cli import cli
from toolkit.config import config_fingerprint
from toolkit.consolidate import consolidate
from toolkit.consolidate.formulas import summary_letter
from toolkit.consolidate.recalc import recalculate
from toolkit.consolidate.workbook import write_workbook
from toolkit.verify import NotUnionkit, verify_workbook

CONFIG = SAMPLE / "federation.toml"


@pytest.fixture(scope="module")
def made(sample_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("made") / "2026-10.xlsx"
    options = {"period": "2026-10", "strict": False, "config": config_fingerprint(CONFIG)}
    write_workbook(consolidate(INBOX, sample_config), sample_config, out, options)
    return out


@pytest.fixture
def copy(made, tmp_path):
    target = tmp_path / made.name
    shutil.copy(made, target)
    return target


def _codes(result):
    return {(f.code, f.sheet, f.cell) for f in result.findings}


def _edit_xml(path, sheet: str, pattern: str, replacement: str) -> None:
    """Change a sheet's XML in place, as a program that keeps cached values would save it."""
    from toolkit.verify.formats import sheet_parts

    with zipfile.ZipFile(path) as archive:
        part = sheet_parts(archive)[sheet]
        items = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    xml, count = re.subn(pattern, replacement, items[part].decode(), count=1)
    assert count == 1
    items[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in items.items():
            archive.writestr(name, data)


def test_clean_workbook_verifies(made, sample_config):
    result = verify_workbook(made, sample_config)
    assert result.errors == 0 and result.findings == []
    assert result.digest_found == result.digest_recorded
    assert result.counts["figures"] > 250 and result.counts["detail_rows"] > 2500
    assert {"audit_holiday", "audit_welfare_cap", "audit_cash_welfare"} <= {
        f.code for f in result.audit}


def test_edited_detail_value_is_named_by_cell(copy, sample_config):
    # 会费收缴 is sheet 3; the first 实缴 (column G) cell of FH01
    _edit_xml(copy, "会费收缴", r'(<c r="G3" s="\d+"><v>)([\d.]+)(</v>)', r"\g<1>99.99\g<3>")
    codes = _codes(verify_workbook(copy, sample_config))
    assert ("verify_cell_edited", "会费收缴", "G3") in codes
    assert any(c == "verify_value_wrong" and s == "会费收缴" for c, s, _ in codes)  # its 小计


def test_edited_total_is_detected(copy, sample_config):
    book = openpyxl.load_workbook(copy, read_only=True)
    row = next(r[0].row for r in book["会费收缴"].iter_rows(min_col=1, max_col=1)
               if r[0].value == "FH01 小计")
    _edit_xml(copy, "会费收缴", rf'(<c r="G{row}" s="\d+"><f>[^<]*</f><v>)([\d.]+)(</v>)',
              r"\g<1>1.23\g<3>")
    assert ("verify_value_wrong", "会费收缴", f"G{row}") in _codes(
        verify_workbook(copy, sample_config))


def test_formula_replaced_by_a_number(copy, sample_config):
    book = openpyxl.load_workbook(copy)
    ws = book["汇总"]
    cell = f"{summary_letter('dues_paid')}3"
    ws[cell] = 1000  # 实缴会费 of FH01, typed over its SUMIFS
    book.save(copy)
    result = verify_workbook(copy, sample_config)
    assert ("verify_not_formula", "汇总", cell) in _codes(result)
    assert "verify_not_calculated" in {f.code for f in result.findings}  # openpyxl drops values


def test_deleted_row_is_detected(copy, sample_config):
    book = openpyxl.load_workbook(copy)
    book["会员名册"].delete_rows(10)
    book.save(copy)
    codes = {c for c, _, _ in _codes(verify_workbook(copy, sample_config))}
    assert {"verify_rows_changed", "verify_digest_mismatch"} <= codes


def test_swapped_source_is_named(made, sample_config, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    target = inbox / "FH05_热处理车间分会_会费收缴_2026-10.xlsx"
    shutil.copy(INBOX / "FH10_后勤服务分会_会费收缴_2026-10.xlsx", target)
    result = verify_workbook(made, sample_config, inbox, config_fingerprint(CONFIG))
    codes = {(f.code, f.file) for f in result.findings}
    assert ("verify_source_changed", target.name) in codes
    assert any(f.code == "verify_reconsolidation_differs" for f in result.findings)


def test_sources_reproduce_the_workbook(made, sample_config):
    result = verify_workbook(made, sample_config, INBOX, config_fingerprint(CONFIG))
    assert result.findings == []


def test_missing_source_and_other_config(made, sample_config, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    (inbox / "FH10_后勤服务分会_考核评分_2026.xlsx").unlink()
    result = verify_workbook(made, sample_config, inbox, "0" * 64)
    codes = {f.code for f in result.findings}
    assert {"verify_source_missing", "verify_config_differs"} <= codes


def test_another_tools_workbook_is_refused(tmp_path):
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    with pytest.raises(NotUnionkit):
        verify_workbook(other, None)
    result = CliRunner().invoke(cli, ["verify", str(other)])
    assert result.exit_code == 2 and "unionkit" in result.output


def test_cli_json_and_exit_codes(made, copy):
    ok = CliRunner().invoke(cli, ["verify", str(made), "--format", "json", "--config",
                                  str(CONFIG)])
    assert ok.exit_code == 0
    data = json.loads(ok.stdout)
    assert data["verified"] is True and data["summary"]["errors"] == 0
    _edit_xml(copy, "会费收缴", r'(<c r="G3" s="\d+"><v>)([\d.]+)(</v>)', r"\g<1>99.99\g<3>")
    assert CliRunner().invoke(cli, ["verify", str(copy)]).exit_code == 1
    assert CliRunner().invoke(cli, ["verify", str(copy.with_name("none.xlsx"))]).exit_code == 2


@needs_soffice
def test_libreoffice_round_trip_still_verifies(made, sample_config, tmp_path):
    resaved = recalculate(made, tmp_path / "lo")
    result = verify_workbook(resaved, sample_config)
    assert [f for f in result.findings if f.severity == "error"] == []


def test_continuation_pages_verify(sample_config, tmp_path):
    out = tmp_path / "paged.xlsx"
    write_workbook(consolidate(INBOX, sample_config), sample_config, out, {}, max_rows=40)
    result = verify_workbook(out, sample_config)
    assert result.findings == [] and result.counts["sheets"] > 60


def test_status_in_a_file_with_counted_errors_may_name_only_the_counted_codes():
    """Past 1,000 errors of a code 问题清单 counts the rest: 状态 may name that code on rows
    it does not list, never another code, never in another file."""
    from toolkit.verify.scan import ListedCodes

    listed = ListedCodes()
    listed.rows[("a.xlsx", 5)] = ["id_format"]
    listed.capped["a.xlsx"] = {"id_checksum"}
    both = "身份证号格式错误；身份证号校验位错误"
    assert listed.expected("a.xlsx", 5, both) == both
    assert listed.expected("a.xlsx", 7, "身份证号校验位错误") == "身份证号校验位错误"
    assert listed.expected("a.xlsx", 7, "日期无效") == "通过"
    assert listed.expected("a.xlsx", 5, "身份证号校验位错误") == "身份证号格式错误"
    assert listed.expected("b.xlsx", 7, "身份证号校验位错误") == "通过"
