import pytest
from click.testing import CliRunner

from toolkit.cli import cli


def test_top_level_help_is_chinese_with_examples_and_english_on_request():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "用法：" in result.output and "示例：" in result.output and "显示本帮助并退出" in result.output
    english = CliRunner().invoke(cli, ["--lang", "en", "--help"])
    assert "Examples:" in english.output and "check, consolidate and audit" in english.output


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_chinese_help_with_an_example(command):
    """Chinese by default, English with --lang en (given before --help) or UNIONKIT_LANG."""
    from toolkit.messages import say

    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "示例：" in result.output and f"unionkit {command}" in result.output
    assert say(f"help.{command}", "zh")[:12] in result.output
    assert "Show this message" not in result.output
    for args, env in (([command, "--lang", "en", "--help"], {}),
                      ([command, "--help"], {"UNIONKIT_LANG": "en"})):
        english = CliRunner().invoke(cli, args, env=env)
        assert "Examples:" in english.output, (args, env)
        assert say(f"help.{command}", "en").split()[0] in english.output


def test_templates_command(tmp_path):
    result = CliRunner().invoke(cli, ["templates", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ["assessment.xlsx", "dues.xlsx", "hardship.xlsx", "ledger.xlsx", "roster.xlsx"]


def test_missing_config_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["templates", "--out", str(tmp_path), "--config", "nope.toml"])
    assert result.exit_code == 2
    assert "找不到配置文件：nope.toml" in result.output


def _validate(*args):
    from tests.conftest import SAMPLE

    return CliRunner().invoke(cli, ["validate", *args, "--config", str(SAMPLE / "federation.toml")])


def test_validate_exit_codes(tmp_path):
    from tests.conftest import INBOX

    clean = INBOX / "FH07_技术中心分会_会员名册_2026-10.xlsx"
    assert _validate(str(clean)).exit_code == 0
    assert _validate(str(INBOX)).exit_code == 1
    missing = _validate(str(tmp_path / "nope"))
    assert missing.exit_code == 2
    assert "unionkit: 找不到：" in missing.output


def test_validate_json_contract():
    import json

    from tests.conftest import INBOX

    result = _validate(str(INBOX / "FH01_一车间分会_会员名册_2026-10.xlsx"), "--format", "json",
                       "--lang", "en")
    data = json.loads(result.stdout)
    assert set(data) == {"tool", "version", "files", "summary"}
    entry = data["files"][0]
    assert set(entry) == {"path", "sha256", "template", "branch_code", "period", "rows",
                          "status", "findings"}
    first = entry["findings"][0]
    assert set(first) == {"severity", "code", "sheet", "cell", "row", "column", "field",
                          "value", "message"}
    assert (first["code"], first["cell"], first["row"], first["column"]) == \
        ("id_checksum", "D10", 10, "D")
    assert first["message"].startswith("ID ")
    assert data["summary"] == {"files": 1, "errors": 2, "warnings": 0}


def test_validate_html_and_annotate_leave_inputs_untouched(tmp_path):
    import hashlib

    import openpyxl

    from tests.conftest import INBOX

    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in INBOX.iterdir()}
    result = _validate(str(INBOX), "--format", "html", "--annotate", str(tmp_path))
    assert result.exit_code == 1
    assert "<html" in result.output and "id_checksum" in result.output
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in INBOX.iterdir()}
    marked = openpyxl.load_workbook(tmp_path / "FH01_一车间分会_会员名册_2026-10.批注.xlsx")
    assert marked.sheetnames[0] == "问题清单"
    cell = marked["会员名册"]["D10"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "校验位" in cell.comment.text
    assert marked["问题清单"]["B2"].hyperlink.location == "'会员名册'!D10"
    xls_copy = tmp_path / "FH06_机关分会_会员名册_2026-10_xls.批注.xlsx"
    assert not xls_copy.exists()  # the .xls roster had no findings


@pytest.mark.parametrize(("toml", "line"), [
    ('[[branch]]\ncode = "FH01"\n',
     "配置 {path} 第 1 行：没有“branch”这项设置，是不是“branches”？"),
    ('[dues]\nrat = 0.005\n', "配置 {path} 第 2 行：没有“dues.rat”这项设置，是不是“rate”？"),
    ('[[branches]]\ncode = "FH01"\nname = "一车间分会"\nknd = "厂分会"\n',
     "配置 {path} 第 4 行：没有“branches.knd”这项设置，是不是“kind”？"),
    ('dues = 5\n', "配置 {path} 第 1 行：“dues”应是一个表 [dues]"),
])
def test_a_mistyped_setting_exits_2_naming_it_and_the_closest(tmp_path, toml, line):
    """A typo in the configuration is never ignored in favour of a default."""
    path = tmp_path / "federation.toml"
    path.write_text(toml, encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    result = CliRunner().invoke(cli, ["validate", str(inbox), "--config", str(path)])
    assert result.exit_code == 2
    assert f"unionkit: {line.format(path=path)}" in result.stderr


def test_the_branch_kinds_are_the_federations_own(tmp_path):
    from toolkit.config import load_config

    path = tmp_path / "federation.toml"
    path.write_text('[federation]\nbranch_kinds = ["基层工会", "联合工会"]\n'
                    '[[branches]]\ncode = "J01"\nname = "一厂工会"\nkind = "联合工会"\n',
                    encoding="utf-8")
    assert load_config(path).branches[0].kind == "联合工会"


def test_a_folder_with_no_spreadsheet_exits_2_saying_so(tmp_path):
    (tmp_path / "说明.txt").write_text("十月报表", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path), "--no-register"])
    assert result.exit_code == 2
    assert f"unionkit: {tmp_path} 中没有电子表格" in result.stderr


def test_without_config_a_line_says_the_defaults_are_used(tmp_path):
    result = CliRunner().invoke(cli, ["templates", "--out", str(tmp_path / "t")])
    assert result.exit_code == 0
    assert "unionkit: 未指定 --config，使用内置默认设置" in result.stderr


def test_text_columns_line_up_where_names_are_chinese():
    """Padding counts what a terminal shows: a Chinese character takes two columns."""
    from toolkit.render.text import clip, pad, width

    assert width("会员名册!D10") == 12 and width("Sheet1!D10") == 10
    assert width(pad("会员名册!D10", 16)) == width(pad("Sheet1!D10", 16)) == 16
    assert clip("FH01 一车间分会", 10) == "FH01 一车" and width(clip("一车间", 5)) == 4


def test_paths_with_spaces_and_chinese_characters(tmp_path):
    """An inbox and an output named as a Windows user names folders."""
    import shutil

    from tests.conftest import INBOX, SAMPLE

    inbox = tmp_path / "2026年 10月" / "分会 报表"
    shutil.copytree(INBOX, inbox)
    out = tmp_path / "汇总 结果" / "十月 汇总.xlsx"
    config = str(SAMPLE / "federation.toml")
    made = CliRunner().invoke(cli, ["consolidate", str(inbox), "--config", config,
                                    "--out", str(out), "--no-register"])
    assert made.exit_code == 1 and out.exists(), made.output
    checked = CliRunner().invoke(cli, ["verify", str(out), "--config", config,
                                       "--sources", str(inbox)])
    assert checked.exit_code == 0, checked.output


def test_the_groups_lang_reaches_the_command_and_english_errors_are_english(tmp_path):
    from tests.conftest import INBOX

    roster = str(next(INBOX.glob("FH01_*_会费收缴_*.xlsx")))
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", roster, "--no-register"])
    assert "1 files, 0 errors" in result.stdout and "next: no errors" in result.stderr
    missing = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope")],
                                 env={"UNIONKIT_LANG": "en"})
    assert missing.exit_code == 2 and "unionkit: path not found:" in missing.stderr


def _main(monkeypatch, capsys, *args):
    """The console script itself (``main``), as a user's shell runs it."""
    import sys

    from toolkit.cli import main

    monkeypatch.setattr(sys, "argv", ["unionkit", *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    return stopped.value.code, capsys.readouterr()


@pytest.mark.parametrize(("args", "line"), [
    (["consolidate"], "错误：缺少参数 INBOX"),
    (["consolidate", "in", "--out"], "错误：选项 --out 后面要跟一个值"),
    (["consolidate", "in", "--outt", "x.xlsx"], "错误：没有选项 --outt，您是不是要用 --out？"),
    (["consolidate", "in", "--out", "x.xlsx", "more"], "错误：多余的参数：more"),
    (["consolid"], "错误：没有命令 consolid，您是不是要用 consolidate？"),
    (["validate", "in", "--format", "pdf"], "错误：--format 只能是：text、json、html"),
    (["consolidate", "in", "--out", "x.xlsx", "--workers", "two"], "错误：--workers 须为整数"),
    (["consolidate", "in", "--out", "."], "错误：--out 应为文件，不能是文件夹"),
    (["validate", "in", "--lang", "fr"], "错误：--lang 只能是：zh、en"),
])
def test_click_cannot_parse_says_so_in_chinese_with_the_usage(monkeypatch, capsys, args, line):
    code, out = _main(monkeypatch, capsys, *args)
    assert code == 2 and line in out.err.splitlines(), out.err
    assert out.err.startswith("用法： unionkit") and "查看用法：unionkit" in out.err
    assert "Error" not in out.err and "Usage" not in out.err and "Traceback" not in out.err


def test_click_errors_are_english_with_lang_en(monkeypatch, capsys):
    code, out = _main(monkeypatch, capsys, "--lang", "en", "consolidate", "in", "--outt", "x")
    assert code == 2 and "Error: No such option: --outt. Did you mean --out?" in out.err
    assert out.err.startswith("Usage: unionkit consolidate")


def test_defaults_in_help_are_said_in_the_users_language():
    result = CliRunner().invoke(cli, ["templates", "--help"])
    assert "[默认：templates_xlsx]" in result.output and "default:" not in result.output
    english = CliRunner().invoke(cli, ["templates", "--lang", "en", "--help"])
    assert "[default: templates_xlsx]" in english.output
