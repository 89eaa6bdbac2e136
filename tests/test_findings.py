import re

from tests.conftest import ROOT
from toolkit.docs import findings_markdown
from toolkit.findings import catalog, finding


def test_docs_findings_is_generated_from_the_catalog():
    committed = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert committed == findings_markdown(), "run `python -m toolkit.docs`"


def test_every_code_used_in_the_code_is_in_the_catalog():
    used = set()
    for path in (ROOT / "toolkit").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:report|report_header|finding|BadValue|Unreadable)\(\s*"([a-z_]+)"',
                               text))
    used -= {"label"}
    assert used <= set(catalog()), used - set(catalog())


def test_every_message_formats_with_its_example():
    for code in catalog().values():
        f = finding(code.code, "x.xlsx", value=code.example.get("value"),
                    **{k: v for k, v in code.example.items() if k != "value"})
        assert "{" not in f.message("zh") and "{" not in f.message("en")
        assert f.fix("zh") and f.fix("en")
        assert code.severity in ("error", "warning", "info")


def test_every_code_has_a_title_of_its_own_that_reads_back():
    """The workbook shows a code's title (问题类型) and verify reads it back: titles are unique
    in each language, hold no space (a ``more_errors`` message lists them between spaces) and
    not the 状态 cell's separator."""
    from toolkit.findings import STATUS_JOIN, catalog, code_titled, row_status, status_codes

    entries = catalog().values()
    assert len({e.title for e in entries}) == len({e.title_en for e in entries}) == len(entries)
    for entry in entries:
        assert entry.title and entry.title_en and " " not in entry.title
        assert STATUS_JOIN not in entry.title and code_titled(entry.title) == entry.code
    both = row_status(["id_format", "id_checksum"])
    assert both == "身份证号格式错误；身份证号校验位错误"
    assert status_codes(both) == ["id_format", "id_checksum"] and status_codes("通过") == []
