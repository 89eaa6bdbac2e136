import pytest
from click.testing import CliRunner

from toolkit.cli import cli


def test_top_level_help_has_examples():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert cli.commands[command].help


def test_templates_command(tmp_path):
    result = CliRunner().invoke(cli, ["templates", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ["assessment.xlsx", "dues.xlsx", "ledger.xlsx", "roster.xlsx"]


def test_missing_config_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["templates", "--out", str(tmp_path), "--config", "nope.toml"])
    assert result.exit_code == 2
    assert "configuration not found" in result.output


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
    assert "path not found" in missing.output


def test_validate_json_contract():
    import json

    from tests.conftest import INBOX

    result = _validate(str(INBOX / "FH01_一车间分会_会员名册_2026-10.xlsx"), "--format", "json",
                       "--lang", "en")
    data = json.loads(result.output)
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
