"""Paper a federation can stamp: every sheet of the consolidated workbook set up for A4 with
its heads repeated, a header and a footer with page numbers; 汇总 in two blocks at 70 % or
more with the signing line; the printed PDF (LibreOffice) of 汇总 on two A4 pages and 问题清单
one page wide."""

from __future__ import annotations

import os
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX, SAMPLE
from toolkit.cli import cli

CONFIG = str(SAMPLE / "federation.toml")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                   reason="LibreOffice is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("print") / "2026-10.xlsx"
    CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG, "--out", str(out),
                             "--no-register"])
    assert out.exists()
    return out


def test_every_sheet_is_set_up_for_a4_with_heads_header_and_page_numbers(made):
    book = openpyxl.load_workbook(made)
    for ws in book.worksheets:
        assert ws.page_setup.paperSize in ("9", 9), ws.title  # A4
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert "华东精密机械集团有限公司工会" in ws.oddHeader.left.text
        assert ws.print_title_rows, ws.title
    summary = book["汇总"]
    assert int(summary.page_setup.scale) >= 70 and summary.page_setup.orientation == "landscape"
    assert summary.print_title_cols == "$A:$B" and len(summary.col_breaks.brk) == 1
    assert "制表人" in summary.oddFooter.left.text and "金额单位：元" in summary.oddHeader.right.text
    for name in ("问题清单", "审计提示", "会员名册"):  # a row's columns never on two pages
        ws = book[name]
        setup = ws.page_setup  # one page wide (1 is the default the file leaves out), any tall
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1)
        assert int(setup.fitToHeight) == 0


def test_the_signers_come_from_the_configuration(tmp_path):
    config = tmp_path / "federation.toml"
    config.write_text((SAMPLE / "federation.toml").read_text("utf-8").replace(
        "[register]", '[print]\npreparer = "李会计"\nreviewer = "王审计"\nhead = "赵主席"\n\n'
        "[register]"), "utf-8")
    out = tmp_path / "o.xlsx"
    CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", str(config), "--out",
                             str(out), "--no-register"])
    footer = openpyxl.load_workbook(out)["汇总"].oddFooter.left.text
    assert "制表人：李会计" in footer and "负责人：赵主席" in footer


@needs_soffice
def test_the_printed_pdf_has_summary_on_two_a4_pages_and_the_findings(made, tmp_path):
    from pypdf import PdfReader

    pdf = tmp_path / "打印.pdf"
    done = CliRunner().invoke(cli, ["pdf", str(made), "--out", str(pdf)])
    assert done.exit_code == 0, done.output
    pages = PdfReader(pdf).pages
    heads = [page.extract_text().split("\n", 1)[0] for page in pages]
    assert sum("汇总" in h for h in heads) == 2 and sum("问题清单" in h for h in heads) == 1
    a4 = (round(float(pages[0].mediabox.width)), round(float(pages[0].mediabox.height)))
    assert a4 == (842, 595)  # A4 landscape, in points
    assert "第 1 页" in pages[0].extract_text() and "数据摘要" in pages[0].extract_text()


def test_pdf_without_libreoffice_says_what_to_do(made, tmp_path, monkeypatch):
    import toolkit.consolidate.recalc as recalc

    monkeypatch.setattr(recalc.shutil, "which", lambda name: None)
    done = CliRunner().invoke(cli, ["pdf", str(made), "--out", str(tmp_path / "x.pdf")])
    assert done.exit_code == 2 and "LibreOffice" in done.stderr and "另存为 PDF" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_a3_from_the_configuration(tmp_path):
    """``[print] paper = "A3"``: 汇总 on A3 landscape (the other sheets stay A4); a paper the
    setting does not know is refused, naming the setting."""
    text = (SAMPLE / "federation.toml").read_text("utf-8")
    config = tmp_path / "federation.toml"
    config.write_text(text.replace("[register]", '[print]\npaper = "A3"\n\n[register]'), "utf-8")
    out = tmp_path / "o.xlsx"
    done = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", str(config), "--out",
                                    str(out), "--no-register"])
    assert done.exit_code == 1, done.output
    book = openpyxl.load_workbook(out)
    summary = book["汇总"]
    assert summary.page_setup.paperSize in ("8", 8) and int(summary.page_setup.scale) >= 70
    assert book["问题清单"].page_setup.paperSize in ("9", 9)
    config.write_text(text.replace("[register]", '[print]\npaper = "B5"\n\n[register]'), "utf-8")
    done = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", str(config), "--out",
                                    str(tmp_path / "x.xlsx"), "--no-register"])
    assert done.exit_code == 2 and "print.paper" in done.output and "A3" in done.output


def test_summary_wraps_branch_names_before_it_shrinks():
    """When one line per name would print 汇总 below 70 % on A4, 分会名称 and 类别 wrap on two
    lines (the rows grow) and both stay repeated on the second block."""
    from toolkit.config import load_config
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import summary_print

    layout = summary_print(consolidate(INBOX, load_config(CONFIG)))
    assert layout.paper == 9 and layout.scale >= 70 and layout.repeat == 2 and layout.wrap
    one_line = summary_print(consolidate(INBOX, load_config(CONFIG)), "A3")
    assert one_line.paper == 8 and not one_line.wrap
