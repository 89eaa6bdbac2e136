"""``unionkit init``: a branch list in Excel becomes a configuration validate and consolidate
accept, end to end."""

from __future__ import annotations

import shutil

import openpyxl
from click.testing import CliRunner

from tests.conftest import INBOX
from toolkit.cli import cli
from toolkit.config import load_config
from toolkit.sample.federation import BRANCHES


def _branch_list(path, rows=BRANCHES):
    """The list as an office keeps it: a title above the header, a phone typed as a number."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["华东精密机械集团有限公司工会 分会名录"])
    ws.append(["序号", "分会代码", "分会名称", "类别", "联系人", "联系电话"])
    for i, (code, name, kind, *_rest) in enumerate(rows, start=1):
        ws.append([i, code, name, kind, f"联系人{i}", 13900000000 + i])
    book.save(path)


def test_init_from_a_branch_list_gives_a_configuration_that_consolidates(tmp_path):
    _branch_list(tmp_path / "分会名录.xlsx")
    folder = tmp_path / "本会"
    made = CliRunner().invoke(cli, ["init", str(folder), "--name", "华东精密机械集团有限公司工会",
                                    "--branches", str(tmp_path / "分会名录.xlsx"), "--yes"])
    assert made.exit_code == 0, made.output
    assert "（10 个分会）" in made.stdout and "下一步：把空白模板发给各分会" in made.stderr
    config = load_config(folder / "federation.toml")
    assert config.name == "华东精密机械集团有限公司工会" and len(config.branches) == 10
    assert config.branches[0].phone == "13900000001" and config.branches[0].contact == "联系人1"
    assert config.register_path == folder / "unionkit.db"
    assert sorted(p.name for p in (folder / "templates").iterdir()) == \
        ["assessment.xlsx", "dues.xlsx", "hardship.xlsx", "ledger.xlsx", "roster.xlsx"]
    assert (folder / "inbox").is_dir()
    inbox = folder / "inbox"
    shutil.rmtree(inbox)
    shutil.copytree(INBOX, inbox)
    cfg = str(folder / "federation.toml")
    checked = CliRunner().invoke(cli, ["validate", str(inbox), "--config", cfg])
    assert checked.exit_code == 1 and "错误 13 个" in checked.stdout
    out = tmp_path / "汇总.xlsx"
    done = CliRunner().invoke(cli, ["consolidate", str(inbox), "--config", cfg, "--out", str(out)])
    assert done.exit_code == 1 and out.exists() and "未报送 1 份" in done.stdout


def test_init_asks_what_it_is_not_told(tmp_path):
    made = CliRunner().invoke(cli, ["init", str(tmp_path / "f")], input="某某工会\n\n")
    assert made.exit_code == 0, made.output
    assert load_config(tmp_path / "f" / "federation.toml").name == "某某工会"


def test_init_never_overwrites_and_refuses_a_list_without_its_header(tmp_path):
    (tmp_path / "federation.toml").write_text("", encoding="utf-8")
    again = CliRunner().invoke(cli, ["init", str(tmp_path), "--name", "某某工会", "--yes"])
    assert again.exit_code == 2 and "已存在，不会覆盖" in again.stderr
    book = openpyxl.Workbook()
    book.active.append(["名称", "人数"])
    book.save(tmp_path / "list.xlsx")
    bad = CliRunner().invoke(cli, ["init", str(tmp_path / "g"), "--name", "某某工会",
                                   "--branches", str(tmp_path / "list.xlsx"), "--yes"])
    assert bad.exit_code == 2 and "找不到含“分会代码”和“分会名称”的表头行" in bad.stderr
    twice = tmp_path / "twice.xlsx"
    _branch_list(twice, BRANCHES[:2] + BRANCHES[:1])
    dup = CliRunner().invoke(cli, ["init", str(tmp_path / "h"), "--name", "某某工会",
                                   "--branches", str(twice), "--yes"])
    assert dup.exit_code == 2 and "代码 FH01 出现了两次" in dup.stderr
    nameless = CliRunner().invoke(cli, ["init", str(tmp_path / "i"), "--yes"])
    assert nameless.exit_code == 2 and "--yes 时必须用 --name" in nameless.stderr
