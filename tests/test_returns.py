"""``unionkit return``: one folder per branch with its annotated copies and a 退改通知 listing
exactly that branch's findings, the forms it has not sent and the resubmission rule; and the
treasurer's 催报清单.xlsx with whom to call."""

from __future__ import annotations

import hashlib
import os
import re
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX, SAMPLE
from toolkit.cli import cli

CONFIG = str(SAMPLE / "federation.toml")


def _rows(notice: str) -> int:
    return len(re.findall(r'<tr class="(?:error|warning|info)">', notice))


def test_each_branch_gets_its_own_findings_and_the_treasurer_the_chase_list(tmp_path,
                                                                          sample_config):
    from toolkit.consolidate import consolidate

    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in INBOX.iterdir()}
    out = tmp_path / "退改"
    done = CliRunner().invoke(cli, ["return", str(INBOX), "--out", str(out), "--config",
                                    CONFIG])
    assert done.exit_code == 1, done.output  # the sample has errors
    result = consolidate(INBOX, sample_config)
    expected = {}
    for f in result.report.files:
        if f.findings and not result.is_superseded(f):
            expected[f.branch_code] = expected.get(f.branch_code, 0) + len(f.findings)
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert [p.name.split("_")[0] for p in folders] == [f"FH{i:02d}" for i in range(1, 11)]
    for folder in folders:
        code = folder.name.split("_")[0]
        notice = (folder / "退改通知.html").read_text("utf-8")
        assert _rows(notice) == expected.get(code, 0), code
        assert "填报日期" in notice or "全部收到并通过" in notice
        copies = list(folder.glob("*.批注.xlsx"))
        files = {f.path for f in result.report.files if f.branch_code == code and f.findings
                 and not result.is_superseded(f)}
        assert len(copies) == len(files)
    fh07 = (next(out.glob("FH07_*")) / "退改通知.html").read_text("utf-8")
    assert "本期尚未报送" in fh07 and "经费收支账" in fh07
    chase = openpyxl.load_workbook(out / "催报清单.xlsx").active
    rows = list(chase.iter_rows(values_only=True))
    assert rows[0][:3] == ("分会代码", "分会名称", "未报送的报表")
    assert rows[1][:4] == ("FH07", "技术中心分会", "经费收支账", "2026-10")
    assert rows[1][4] and re.fullmatch(r"0512-\d{8}", rows[1][5])  # whom to call
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in INBOX.iterdir()} == before  # inputs are sacred


def test_return_in_english_and_refused_inside_the_inbox(tmp_path):
    done = CliRunner().invoke(cli, ["return", str(INBOX), "--out", str(tmp_path / "r"),
                                    "--config", CONFIG, "--lang", "en"])
    assert done.exit_code == 1
    notice = next((tmp_path / "r").glob("FH01_*")) / "return_notice.html"
    assert "Return notice" in notice.read_text("utf-8")
    assert (tmp_path / "r" / "chase_list.xlsx").exists()
    inside = CliRunner().invoke(cli, ["return", str(INBOX), "--out", str(INBOX / "退改"),
                                      "--config", CONFIG])
    assert inside.exit_code == 2 and not (INBOX / "退改").exists()


@pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                    reason="LibreOffice is not installed (.ci/run installs it)")
def test_an_annotated_xls_copy_keeps_the_clerks_layout(tmp_path):
    """An .xls (what WPS often saves) is converted by LibreOffice before it is marked: its date
    formats and its hidden sheet stay as the clerk had them, and the copy says what it is."""
    from toolkit.findings import FileReport, finding
    from toolkit.render.annotate import annotate_file

    source = next(INBOX.glob("FH06_*_会员名册_*.xls"))
    report = FileReport(source.name, source=source, template="roster", findings=[
        finding("id_checksum", source.name, "会员名册", "D10", "id_number", "x")])
    copy = annotate_file(source, report, tmp_path)
    book = openpyxl.load_workbook(copy)
    assert book["_meta"].sheet_state == "hidden"  # not shown, as in the clerk's file
    roster = book["会员名册"]
    assert roster["D10"].comment is not None and roster["D10"].fill.fgColor.rgb.endswith("FFC7CE")
    dates = [c for row in roster.iter_rows() for c in row if hasattr(c.value, "year")]
    assert dates and all("yy" in c.number_format.lower() for c in dates)  # still dates
    notes = [c.value for row in book["问题清单"].iter_rows() for c in row if c.value]
    assert any("LibreOffice" in str(v) and "已保留" in str(v) for v in notes)
