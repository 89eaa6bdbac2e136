"""The national roll-up (issue #20): two generated federations consolidated with one shared key
and rolled up — 汇总 is the sum of theirs, each source traced by its SHA-256 and data digest,
the person planted in both found by the keyed hashes; the roll-up verifies and names an edit;
a source that is not a consolidated workbook, of another period or with another key is told
apart and the run goes on; the same sources give the same bytes."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX
from toolkit.cli import cli
from toolkit.config import load_config
from toolkit.integrity import file_sha256
from toolkit.privacy import KEY_FILE
from toolkit.rollup import FIGURES
from toolkit.sample.federation import synthetic_branch, synthetic_branch_files
from toolkit.templates import write_template
from toolkit.verify import verify_workbook

BRANCHES, MEMBERS = 3, 12


def _federation(folder: Path, name: str, seed: int, key: Path, planted: dict | None = None,
                period_day: str = "") -> Path:
    """A clean generated federation of three branches, consolidated; ``planted`` (a roster
    row) is added to its second branch's roster."""
    config = load_config()
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    for index in range(1, BRANCHES + 1):
        for plan in synthetic_branch_files(index, MEMBERS, config, seed=seed):
            if planted and index == 2 and plan.spec.id == "roster":
                plan.rows.append({**planted, "seq": len(plan.rows) + 1})
            write_template(plan.spec, config, inbox / plan.name, plan.header, plan.rows)
    lines = ["[federation]", f'name = "{name}"', ""]
    for index in range(1, BRANCHES + 1):
        code, branch, kind, _, _ = synthetic_branch(index, MEMBERS)
        lines += ["[[branches]]", f'code = "{code}"', f'name = "{branch}"', f'kind = "{kind}"',
                  ""]
    (folder / "federation.toml").write_text("\n".join(lines), "utf-8")
    shutil.copyfile(key, folder / KEY_FILE)
    out = folder / "2026-11.xlsx"
    done = CliRunner().invoke(cli, ["consolidate", str(inbox), "--config",
                                    str(folder / "federation.toml"), "--out", str(out),
                                    "--register", str(folder / "unionkit.db"), "--workers", "1"])
    assert out.exists(), done.output
    return out


def _first_member(seed: int) -> dict:
    roster = next(p for p in synthetic_branch_files(1, MEMBERS, load_config(), seed=seed)
                  if p.spec.id == "roster")
    return roster.rows[0]


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rollup")
    key = folder / "shared.key"
    key.write_text("ab" * 32)
    a = _federation(folder / "甲区", "甲区总工会", 11, key)
    b = _federation(folder / "乙区", "乙区总工会", 12, key, planted=_first_member(11))
    out = folder / "市总" / "2026-11.xlsx"
    done = CliRunner().invoke(cli, ["rollup", str(a), str(b), "--out", str(out),
                                    "--workers", "1"])
    return {"folder": folder, "key": key, "a": a, "b": b, "out": out, "done": done}


def _totals(path: Path) -> dict[str, float]:
    """A workbook's 汇总 合计 row, by head."""
    ws = openpyxl.load_workbook(path, data_only=True)["汇总"]
    heads = [c.value for c in ws[2]]
    total = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "合计")
    return {h: v for h, v in zip(heads, total, strict=False) if h}


def test_the_rollup_is_the_sum_of_its_sources(two):
    assert two["done"].exit_code == 1, two["done"].output  # the planted person is an error
    mine, a, b = _totals(two["out"]), _totals(two["a"]), _totals(two["b"])
    heads = [c.value for c in openpyxl.load_workbook(two["out"])["汇总"][2]]
    assert heads[:3] == ["下级工会", "所属期", "分会数"] and len(heads) == 3 + len(FIGURES) + 1
    for head in heads[3:-1]:
        expected = Decimal(str(a.get(head) or 0)) + Decimal(str(b.get(head) or 0))
        assert Decimal(str(mine[head])).quantize(Decimal("0.01")) == expected, head
    assert mine["分会数"] == 2 * BRANCHES
    rows = {r[0]: r for r in openpyxl.load_workbook(two["out"], data_only=True)["汇总"]
            .iter_rows(min_row=3, values_only=True)}
    assert rows["甲区总工会"][3:] [:len(FIGURES)] == tuple(a.get(h) for h in heads[3:-1])


def test_the_person_planted_in_both_is_found(two):
    assert "在两个下级登记的会员 1 人" in two["done"].output
    ws = openpyxl.load_workbook(two["out"])["重复会员"]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(rows) == 2 and rows[0][0] == rows[1][0] and len(rows[0][0]) == 16
    assert {(r[1], r[2]) for r in rows} == {("甲区总工会", "B0001"), ("乙区总工会", "B0002")}
    raw = _first_member(11)["id_number"]
    assert raw not in two["out"].read_bytes().decode("latin-1")  # only the keyed hash


def test_each_source_is_traced_and_the_rollup_verifies(two):
    ws = openpyxl.load_workbook(two["out"])["来源清单"]
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[1]}
    for name, path in (("甲区总工会", two["a"]), ("乙区总工会", two["b"])):
        assert rows[name][1] == file_sha256(path) and rows[name][6] == "通过"
        assert rows[name][5] == verify_workbook(path, load_config()).digest_recorded
    done = CliRunner().invoke(cli, ["verify", str(two["out"])])
    assert done.exit_code == 0, done.output


def test_an_edit_to_the_rollup_is_named(two, tmp_path):
    book = openpyxl.load_workbook(two["out"])
    detail = book["分会明细"]
    cell = detail.cell(3, 6)  # a branch's 期末会员数
    cell.value = 999
    summary = book["汇总"]
    summary.cell(3, 5).value = "=12"
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    found = {(f.code, f.sheet, f.cell) for f in verify_workbook(edited, load_config()).findings}
    assert ("verify_cell_edited", "分会明细", cell.coordinate) in found
    assert ("verify_formula_wrong", "汇总", summary.cell(3, 5).coordinate) in found


def test_the_same_sources_give_the_same_bytes(two, tmp_path):
    again = tmp_path / "again.xlsx"
    CliRunner().invoke(cli, ["rollup", str(two["a"]), str(two["b"]), "--out", str(again),
                             "--workers", "1", "--no-verify"])
    first = tmp_path / "first.xlsx"
    CliRunner().invoke(cli, ["rollup", str(two["a"]), str(two["b"]), "--out", str(first),
                             "--workers", "1", "--no-verify"])
    assert again.read_bytes() == first.read_bytes()


def test_sources_told_apart_and_the_run_goes_on(two, tmp_path):
    other_key = tmp_path / "other.key"
    other_key.write_text("cd" * 32)
    c = _federation(tmp_path / "丙区", "丙区总工会", 13, other_key)
    clerk = next(INBOX.glob("FH01_*会员名册*.xlsx"))  # a branch's file, not a consolidation
    done = CliRunner().invoke(cli, ["rollup", str(two["a"]), str(two["b"]), str(c), str(clerk),
                                    "--out", str(tmp_path / "up.xlsx"), "--workers", "2",
                                    "--no-verify", "--lang", "en"])
    assert done.exit_code == 1, done.output
    assert "keys differ" in done.output or "another key" in done.output
    assert "not a workbook consolidated by unionkit" in done.output
    assert "3 sub-federations" in done.output  # the clerk's file left out, the others in


def test_an_output_inside_a_source_folder_is_refused(two):
    done = CliRunner().invoke(cli, ["rollup", str(two["a"].parent), "--out",
                                    str(two["a"].parent / "up.xlsx")])
    assert done.exit_code == 2 and "--out" in done.output


@pytest.mark.skipif(shutil.which("soffice") is None and not __import__("os").environ.get("CI"),
                    reason="LibreOffice is not installed (.ci/run installs it)")
def test_the_hash_scan_reads_a_workbook_libreoffice_saved(two, tmp_path):
    """A source an auditor opened and saved in LibreOffice holds shared strings, not inline
    ones: the roster's columns read the same."""
    from toolkit.consolidate.recalc import convert
    from toolkit.verify.reader import column_texts

    saved = convert(two["a"], tmp_path, "xlsx")
    ours = list(column_texts(two["a"], "会员名册", [0, 2, 5]))
    theirs = list(column_texts(saved, "会员名册", [0, 2, 5]))
    assert ours == theirs and len(ours) > BRANCHES * MEMBERS
