"""The message catalog: every entry in both languages, and no user-facing English left in the
code — errors are catalog keys, the CLI says what it says through the catalog."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from toolkit.errors import ConfigError, UsageError
from toolkit.messages import LANGS, catalog, say

TOOLKIT = Path(__file__).resolve().parent.parent / "toolkit"
ERRORS = {"ToolkitError", "UsageError", "ConfigError", "RegisterError", "NotUnionkit"}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_entry_has_both_languages_with_the_same_fields():
    for key, texts in catalog().items():
        assert set(texts) == set(LANGS), key
        assert _fields(texts["zh"]) == _fields(texts["en"]), key
        assert re.search(r"[\u4e00-\u9fff]", texts["zh"]), f"{key}: zh has no Chinese"


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            yield name, node


@pytest.mark.parametrize("path", sorted(TOOLKIT.rglob("*.py")), ids=lambda p: p.name)
def test_errors_are_catalog_keys(path):
    """An error unionkit raises names a catalog entry (error.<key>), never free English."""
    for name, node in _calls(path):
        if name in ERRORS:
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and f"error.{first.value}" in catalog(), \
                f"{path.name}:{node.lineno}: {name} without a catalog key"
        if name == "say" and node.args and isinstance(node.args[0], ast.Constant):
            assert node.args[0].value in catalog(), f"{path.name}:{node.lineno}"


def test_the_cli_says_nothing_outside_the_catalog():
    """What the command line prints, and its option help, comes from the catalog."""
    cli = TOOLKIT / "cli.py"
    for name, node in _calls(cli):
        if name in ("echo", "_note") and node.args:
            arg = node.args[0]
            parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
            literal = [v.value for v in parts if isinstance(v, ast.Constant)
                       and isinstance(v.value, str)]
            assert not any(re.search("[A-Za-z\u4e00-\u9fff]{2}", text.replace("unionkit", ""))
                           for text in literal), f"cli.py:{node.lineno}: {literal}"
        for keyword in node.keywords:
            assert keyword.arg != "help", f"cli.py:{node.lineno}: help= outside the catalog"


def test_an_error_says_itself_in_either_language():
    error = UsageError("path_not_found", path="收件箱")
    assert error.message("zh") == "找不到：收件箱" and str(error) == "找不到：收件箱"
    assert error.message("en") == "path not found: 收件箱"
    typo = ConfigError("unknown_key_close", path="f.toml", line=2, key="dues.rat", close="rate")
    assert "是不是“rate”" in typo.message("zh") and "did you mean rate" in typo.message("en")
    assert say("say.report_written", "en", path="r.html") == "report written to r.html"


def test_an_error_crosses_a_process_whole():
    import pickle

    error = pickle.loads(pickle.dumps(UsageError("dask_unreachable", address="tcp://x", detail="t")))
    assert error.message("en") == "cannot reach the Dask scheduler at tcp://x: t"


@pytest.mark.parametrize("path", sorted((TOOLKIT / "render").glob("*.py")), ids=lambda p: p.name)
def test_the_renderers_take_their_words_from_the_catalog(path):
    """No renderer chooses between Chinese and English literals itself."""
    text = path.read_text(encoding="utf-8")
    assert 'lang == "zh"' not in text and '"zh": {' not in text, path.name
