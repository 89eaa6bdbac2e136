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
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import INBOX, SAMPLE
from toolkit.cli import cli
from toolkit.render.pdf import browser

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
    if browser() is not None or os.environ.get("CI"):  # each notice printed on one A4 page
        from pypdf import PdfReader

        assert "退改通知另存为 PDF：10 份" in done.output
        for folder in folders:
            pages = PdfReader(folder / "退改通知.pdf").pages
            assert len(pages) == 1 and folder.name.split("_")[0] in pages[0].extract_text()
            a4 = (round(float(pages[0].mediabox.width)), round(float(pages[0].mediabox.height)))
            assert a4 == (595, 842)
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


def test_comments_have_their_own_anchors_and_amounts_like_the_sheet(tmp_path):
    """显示所有批注 shows each note beside its own cell (openpyxl alone puts them all in one
    place), and an amount in a note reads as the sheet shows it (226,367.63)."""
    import zipfile

    done = CliRunner().invoke(cli, ["validate", str(INBOX), "--config",
                                    str(SAMPLE / "federation.toml"), "--annotate",
                                    str(tmp_path)])
    assert done.exit_code == 1, done.output
    copy = next(tmp_path.glob("FH05_*经费收支账*.批注.xlsx"))
    with zipfile.ZipFile(copy) as z:
        vml = next(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    anchors = re.findall(r"<\w+:Anchor>([^<]+)</\w+:Anchor>", vml)
    rows = re.findall(r"<\w+:Row>(\d+)</\w+:Row>", vml)
    assert len(anchors) == len(rows) >= 1 and len(set(anchors)) == len(anchors)
    for anchor, row in zip(anchors, rows, strict=True):
        assert int(anchor.split(",")[2]) == max(int(row) - 1, 0)
    book = openpyxl.load_workbook(copy)
    notes = [c.comment.text for ws in book.worksheets for r in ws.iter_rows() for c in r
             if c.comment]
    assert any("226,367.63" in n for n in notes), notes


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers()),
       st.sampled_from(["#,##0.00", "#,##0", "0.00", "General"]))
def test_an_amount_in_a_note_never_breaks_the_note(value, number_format):
    """Whatever number a clerk's cell holds (1e300, -0.005), its note shows it as the sheet
    does, half up, or as the finding quoted it — never an exception."""
    from decimal import Decimal

    from toolkit.findings import finding
    from toolkit.render.annotate import _plain, like_sheet

    class Cell:
        pass
    cell = Cell()
    cell.value, cell.number_format = value, number_format
    shown = like_sheet(finding("dues_mismatch", "x.xlsx", "s", "A1", None, _plain(value),
                               expected="1234.565"), cell)
    if "#,##" in number_format and (value == 0 or 1e-6 < abs(value) < 1e12):
        places = 2 if "0.00" in number_format else 0
        assert shown.value.replace(",", "") == str(Decimal(str(value)).quantize(
            Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP"))


def test_notices_without_a_browser_stay_html_and_say_so(tmp_path, monkeypatch):
    import toolkit.render.pdf as pdf

    monkeypatch.setattr(pdf, "browser", lambda: None)
    done = CliRunner().invoke(cli, ["return", str(INBOX), "--out", str(tmp_path / "r"),
                                    "--config", CONFIG])
    assert done.exit_code == 1 and "没有找到可打印 PDF 的浏览器" in done.output
    assert not list((tmp_path / "r").glob("*/退改通知.pdf"))
    done = CliRunner().invoke(cli, ["return", str(INBOX), "--out", str(tmp_path / "n"),
                                    "--config", CONFIG, "--no-pdf", "--lang", "en"])
    assert done.exit_code == 1 and "PDF" not in done.output
    assert list((tmp_path / "n").glob("*/return_notice.html"))
