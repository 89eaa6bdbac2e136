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
