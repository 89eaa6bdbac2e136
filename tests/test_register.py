"""The submission register: recording, re-runs, migration, concurrency, crashes, history."""

from __future__ import annotations

import json
import multiprocessing
import signal
import sqlite3
import subprocess
import sys
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX, ROOT, SAMPLE
from toolkit.cli import cli
from toolkit.findings import FileReport
from toolkit.register import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Register,
    RegisterError,
    disappeared,
    submission_matrix,
    unpaid_streaks,
)

CONFIG = str(SAMPLE / "federation.toml")


def _report(name: str, sha: str = "a" * 64, branch: str = "FH01", template: str = "roster",
            filed: date | None = date(2026, 11, 3)) -> FileReport:
    return FileReport(name, source=f"/inbox/{name}", sha256=sha, size=100, template=template,
                      branch_code=branch, period="2026-10", filed_on=filed, rows=3)


def _count(path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_rerun_adds_no_duplicates_and_a_changed_file_is_new(tmp_path):
    path = tmp_path / "r.db"
    with Register(path) as register:
        register.record_validation([_report("a.xlsx"), _report("b.xlsx")], "/inbox", {})
        register.record_validation([_report("a.xlsx"), _report("b.xlsx")], "/inbox", {})
        assert _count(path, "files") == 2 and _count(path, "runs") == 2
        register.record_validation([_report("a.xlsx", sha="b" * 64)], "/inbox", {})
        assert _count(path, "files") == 3
        seen = register.db.execute("SELECT seen FROM files WHERE sha256 = ?",
                                   ("a" * 64,)).fetchall()
        assert [s for (s,) in seen] == [2, 2]


def test_older_register_is_migrated_not_discarded(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[1]:
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO files (path, sha256, status, errors, warnings, first_seen, "
                   "last_seen) VALUES ('x.xlsx', 'f', 'ok', 0, 0, 't', 't')")
    with Register(path) as register:
        assert register.version == SCHEMA_VERSION
        assert _count(path, "files") == 1 and _count(path, "branch_periods") == 0


def test_newer_register_is_refused(tmp_path):
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RegisterError):
        Register(path)


def _record_many(path: str, tag: str, runs: int) -> None:
    with Register(path) as register:
        for i in range(runs):
            register.record_validation([_report(f"{tag}{i}-{j}.xlsx") for j in range(30)],
                                       "/inbox", {"tag": tag})


def test_two_runs_at_once_do_not_corrupt(tmp_path):
    path = str(tmp_path / "busy.db")
    Register(path).db.close()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_record_many, args=(path, tag, 15)) for tag in "xy"]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert _count(path, "runs") == 30 and _count(path, "files") == 900
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


KILLER = """
import os, signal, sys
from datetime import date
sys.path.insert(0, {root!r})
from toolkit.findings import FileReport
from toolkit.register import Register

def reports():
    for i in range(50):
        yield FileReport(f"f{{i}}.xlsx", source=f"/in/f{{i}}.xlsx", sha256=str(i), size=1,
                         template="roster", branch_code="FH01", period="2026-10")
        if i == 25:
            os.kill(os.getpid(), signal.SIGKILL)

with Register({path!r}) as register:
    register.record_validation(reports(), "/in", {{}})
"""


def test_a_run_killed_halfway_leaves_no_trace(tmp_path):
    path = tmp_path / "crash.db"
    with Register(path) as register:
        register.record_validation([_report("kept.xlsx")], "/inbox", {})
    done = subprocess.run([sys.executable, "-c", KILLER.format(root=str(ROOT), path=str(path))],
                          timeout=60)
    assert done.returncode == -signal.SIGKILL
    with Register(path) as register:
        assert _count(path, "runs") == 1 and _count(path, "files") == 1
        assert register.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_matrix_supersedes_and_flags_ties():
    files = [{"branch": "FH01", "template": "dues", "status": "errors", "path": "old",
              "filed_on": "2026-11-03"},
             {"branch": "FH01", "template": "dues", "status": "ok", "path": "new",
              "filed_on": "2026-11-05"},
             {"branch": "FH02", "template": "dues", "status": "ok", "path": "a",
              "filed_on": "2026-11-03"},
             {"branch": "FH02", "template": "dues", "status": "ok", "path": "b",
              "filed_on": "2026-11-03"}]
    files = [{**f, "sha256": f["path"] * 8, "last_seen": "2026-11-06"} for f in files]
    matrix = submission_matrix(files, ["FH01", "FH02"], ["dues", "ledger"])
    assert (matrix[("FH01", "dues")].status, matrix[("FH01", "dues")].superseded) == ("ok", 1)
    assert matrix[("FH02", "dues")].status == "duplicate"
    assert matrix[("FH01", "ledger")].status == "missing"


def test_unpaid_streaks_and_disappeared_members():
    periods = [f"2026-{m:02d}" for m in range(3, 11)]
    rows = [(p, "FH01", "A", "甲", 1, None, "30.00", "0.00") for p in periods]
    rows += [(p, "FH01", "B", "乙", 1, None, "30.00", "30.00" if p != "2026-05" else "0")
             for p in periods]
    rows += [(p, "FH01", "C", "丙", 1, None, "30.00", "30.00") for p in periods[:-1]]
    rows += [(periods[-2], "FH01", "D", "丁", 1, "转出", None, None)]
    streaks = unpaid_streaks(rows, 6)
    assert [(s["id_number"], s["months"]) for s in streaks] == [("A", 8)]
    assert [(g["id_number"], g["missing_in"]) for g in disappeared(rows)] == [("C", "2026-10")]


def test_cli_records_runs_and_shows_status_history_and_trend(tmp_path, register_in_tmp):
    runner = CliRunner()
    out = tmp_path / "o.xlsx"
    args = ["consolidate", str(INBOX), "--config", CONFIG, "--out", str(out)]
    assert runner.invoke(cli, args).exit_code == 1
    with Register(register_in_tmp) as register:  # two earlier periods with growing arrears
        for period, arrears in (("2026-08", "1.00"), ("2026-09", "3.00")):
            register.db.execute("INSERT INTO branch_periods VALUES (?, 'FH04', NULL, ?)",
                                (period, json.dumps({"members": 290, "arrears": arrears,
                                                     "dues_due": "100.00"})))
    assert runner.invoke(cli, args).exit_code == 1
    assert _count(register_in_tmp, "runs") == 2 and _count(register_in_tmp, "files") == 43
    book = openpyxl.load_workbook(out)
    assert [r[0] for r in book["趋势"].iter_rows(min_row=2, values_only=True)] == [
        "2026-08", "2026-09", "2026-10"]
    assert any(r[5] == "欠缴连续增加" and r[0] == "FH04"
               for r in book["审计提示"].iter_rows(min_row=2, values_only=True))
    verified = runner.invoke(cli, ["verify", str(out), "--sources", str(INBOX), "--config",
                                   CONFIG])
    assert verified.exit_code == 0, verified.output  # history is not a source difference
    status = runner.invoke(cli, ["status", "--config", CONFIG, "--register",
                                 str(register_in_tmp), "--format", "json"])
    fh07 = next(b for b in json.loads(status.stdout)["branches"] if b["code"] == "FH07")
    assert fh07["ledger"]["status"] == "missing"
    history = runner.invoke(cli, ["history", "--branch", "FH04", "--register",
                                  str(register_in_tmp), "--config", CONFIG])
    assert history.exit_code == 0 and "2026-09" in history.output


def test_no_register_and_missing_register(tmp_path, register_in_tmp):
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(INBOX), "--config", CONFIG, "--no-register"])
    assert result.exit_code == 1 and not register_in_tmp.exists()
    missing = runner.invoke(cli, ["status", "--register", str(tmp_path / "none.db")])
    assert missing.exit_code == 2




def test_the_same_file_seen_under_two_names_is_one_submission():
    """A yearly 考核评分 dropped again into the next month's inbox is not a duplicate."""
    from toolkit.register import submission_matrix

    seen = {"sha256": "ab" * 32, "template": "assessment", "branch": "FH01", "period": "2026",
            "filed_on": "2026-10-20", "status": "ok", "errors": 0, "warnings": 0}
    files = [{**seen, "path": "2026-10/FH01_考核评分_2026.xlsx", "last_seen": "2026-10-21"},
             {**seen, "path": "2026-11/FH01_考核评分_2026.xlsx", "last_seen": "2026-11-21"}]
    slot = submission_matrix(files, ["FH01"], ["assessment"])[("FH01", "assessment")]
    assert slot.status == "ok" and slot.path == "2026-11/FH01_考核评分_2026.xlsx"
    assert slot.superseded == 0
