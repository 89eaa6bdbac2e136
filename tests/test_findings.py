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
