"""Hostile input never stops the close: one file's crash is that file's finding, numbers are
bounded at the parse, outputs never touch inputs, text stays inert. One defect per case."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import INBOX, SAMPLE
from tests.fixtures import config, plan
from toolkit.cli import cli
from toolkit.consolidate.formulas import summary_columns, summary_letter
from toolkit.layout import col_letter
from toolkit.spec import measures
from toolkit.templates import NumberStored, write_template
from toolkit.validate import _contained, validate_file, validate_paths

CONFIG = str(SAMPLE / "federation.toml")
ROSTER = INBOX / "FH07_技术中心分会_会员名册_2026-10.xlsx"
LEDGER = INBOX / "FH02_二车间分会_经费收支账_2026-10.xlsx"


def rewritten(source: Path, target: Path, part: str, change) -> Path:
    """A copy of a workbook with one zip member's XML changed (the damage a tool can do)."""
    with zipfile.ZipFile(source) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    parts[part] = change(parts[part].decode()).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


# --- one file never stops the run --------------------------------------------------------------
def test_rust_panic_is_the_files_finding(tmp_path):
    """-1e27 in a date-formatted cell makes python-calamine panic (a BaseException)."""
    bad = rewritten(LEDGER, tmp_path / "panic.xlsx", "xl/worksheets/sheet1.xml",
                    lambda x: re.sub(r'(<c r="A7"[^>]*><v>)[^<]*', r"\g<1>-1e27", x, count=1))
    shutil.copy(ROSTER, tmp_path / ROSTER.name)
    report = validate_paths([tmp_path], config(), base=tmp_path)
    by_name = {f.path: f for f in report.files}
    assert codes(by_name["panic.xlsx"]) == ["file_corrupt"]
    assert "PanicException" in by_name["panic.xlsx"].findings[0].message()
    assert by_name[ROSTER.name].status == "ok"
    assert bad.read_bytes()  # the input is still there, untouched


def test_declared_string_count_lie_is_refused_before_reading(tmp_path):
    bad = rewritten(ROSTER, tmp_path / "sst.xlsx", "xl/sharedStrings.xml",
                    lambda x: re.sub(r'uniqueCount="\d+"', 'uniqueCount="2000000000"', x))
    report = validate_file(bad, config())
    assert codes(report) == ["file_corrupt"]
    assert "declares 2000000000 strings" in report.findings[0].message()


def _dies_on_bad(job):
    if job[1] == "bad":
        os._exit(1)  # what an aborting native reader does to its process
    return [job[1]]


def test_a_dying_worker_costs_one_file(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(tmp_path / n, n) for n in ("a", "b", "bad", "c")]
    with ProcessPoolExecutor(2) as pool:
        results = list(_contained(pool, _dies_on_bad, jobs))
    assert [r[0] if isinstance(r[0], str) else r[0].findings[0].code for r in results] == [
        "a", "b", "file_corrupt", "c"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_in_the_inbox_is_refused_without_reading_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.xlsx")
    shutil.copy(ROSTER, tmp_path / ROSTER.name)
    report = validate_paths([tmp_path], config(), base=tmp_path)
    assert [(f.path, codes(f)) for f in report.files] == [
        (ROSTER.name, []), ("pipe.xlsx", ["file_not_regular"])]


# --- numbers -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "typed", "code"), [
    ("dues_paid", NumberStored("1e27"), "number_out_of_range"),
    ("dues_paid", "100000000000000000000000000", "number_out_of_range"),
    ("seq", NumberStored("1e27"), "number_out_of_range"),
    ("seq", "9" * 5000, "number_out_of_range"),
])
def test_numbers_beyond_any_sane_range_are_findings(tmp_path, key, typed, code):
    p = plan("dues")
    p.rows[3][key] = typed
    path = write_template(p.spec, config(), tmp_path / "n.xlsx", p.header, p.rows, p.layout)
    report = validate_file(path, config())
    assert (p.cell(3, key), code) in {(f.cell, f.code) for f in report.findings}


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e308, -1e27])
def test_no_number_reaches_decimal_unbounded(value):
    from toolkit.read.normalize import BadValue, parse_date, parse_decimal, parse_int

    for parse in (parse_decimal, parse_int, parse_date):
        with pytest.raises(BadValue):
            parse(value)


def test_poison_numbers_consolidate_and_verify(tmp_path):
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    dues = inbox / "FH07_技术中心分会_会费收缴_2026-10.xlsx"
    p = plan("dues")
    p.rows[2]["dues_paid"], p.rows[4]["seq"] = NumberStored("1e27"), NumberStored("1e27")
    write_template(p.spec, config(), dues, p.header, p.rows, p.layout)
    result = consolidate(inbox, config())
    out = tmp_path / "w.xlsx"
    write_workbook(result, config(), out, {})
    assert verify_workbook(out, config()).errors == 0


# --- outputs never touch inputs ----------------------------------------------------------------
@pytest.fixture
def inbox(tmp_path):
    copy = tmp_path / "inbox"
    shutil.copytree(INBOX, copy)
    return copy


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_out_equal_to_a_submission_is_refused(inbox):
    target = inbox / ROSTER.name
    before = target.read_bytes()
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out", str(target))
    assert result.exit_code == 2 and "unionkit 从不往输入里写" in result.output
    assert target.read_bytes() == before


def test_out_inside_the_inbox_is_refused(inbox):
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out", str(inbox / "w.xlsx"))
    assert result.exit_code == 2 and not (inbox / "w.xlsx").exists()


def test_json_equal_to_out_is_refused(inbox, tmp_path):
    out = tmp_path / "o" / "w.xlsx"
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out", str(out), "--json",
                 str(out))
    assert result.exit_code == 2 and "--json" in result.output and not out.exists()


def test_out_equal_to_the_register_is_refused(inbox, tmp_path):
    db = tmp_path / "r.db"
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out", str(db), "--register",
                 str(db))
    assert result.exit_code == 2


@pytest.mark.parametrize("name", ["w.xls", "w.ods"])
def test_out_with_another_format_suffix_is_refused(inbox, tmp_path, name):
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out", str(tmp_path / name))
    assert result.exit_code == 2 and ".xlsx" in result.output


def test_out_without_suffix_gets_xlsx(inbox, tmp_path):
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out", str(tmp_path / "w"))
    assert result.exit_code == 1, result.output
    assert (tmp_path / "w.xlsx").is_file()


def test_out_under_a_regular_file_is_one_line_exit_2(inbox, tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out",
                 str(tmp_path / "file" / "w.xlsx"), "--no-register")
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1].startswith("unionkit: ")
    assert "Traceback" not in result.output


def test_out_with_a_long_legal_name(inbox, tmp_path):
    out = tmp_path / ("汇" * 81 + ".xlsx")  # 243 + 5 bytes: legal; a temp name must stay legal
    result = run("consolidate", str(inbox), "--config", CONFIG, "--out", str(out),
                 "--no-register")
    assert result.exit_code == 1, result.output
    assert out.is_file() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_annotate_inside_the_inbox_is_refused(inbox):
    result = run("validate", str(inbox), "--config", CONFIG, "--annotate", str(inbox / "批注"))
    assert result.exit_code == 2 and not (inbox / "批注").exists()


def test_own_outputs_in_the_inbox_are_never_submissions(inbox, tmp_path):
    marked, out = tmp_path / "marked", tmp_path / "w.xlsx"
    assert run("validate", str(inbox), "--config", CONFIG, "--annotate", str(marked)).exit_code == 1
    assert run("consolidate", str(inbox), "--config", CONFIG, "--out", str(out)).exit_code == 1
    shutil.copy(out, inbox / "上月汇总.xlsx")
    copy = next(marked.iterdir())
    shutil.copy(copy, inbox / copy.name)
    report = validate_paths([inbox], config(), base=inbox)
    own = {f.path: codes(f) for f in report.files if "own_output" in codes(f)}
    assert own == {"上月汇总.xlsx": ["own_output"], copy.name: ["own_output"]}


# --- annotated copies --------------------------------------------------------------------------
def test_annotated_copy_survives_control_characters_and_formula_sheet_names(tmp_path):
    p = plan("roster")
    p.rows[2]["political"] = "党员\x01"
    p.layout = type(p.layout)(sheet_name="=1+2", meta=False)
    src = write_template(p.spec, config(), tmp_path / "x.xlsx", p.header, p.rows, p.layout)
    shutil.copy(src, tmp_path / "in.xlsx")
    out = tmp_path / "marked"
    result = run("validate", str(tmp_path / "in.xlsx"), "--config", CONFIG, "--annotate", str(out))
    assert result.exit_code == 1, result.output
    book = openpyxl.load_workbook(out / "in.批注.xlsx")
    issues = book["问题清单"]
    assert issues["A2"].value == "=1+2" and issues["A2"].data_type == "s"


def test_copies_of_files_with_one_stem_do_not_overwrite_each_other(tmp_path):
    shutil.copy(INBOX / "FH06_机关分会_会员名册_2026-10.xls", tmp_path / "名册.xls")
    shutil.copy(INBOX / "FH01_一车间分会_会员名册_2026-10.xlsx", tmp_path / "名册.xlsx")
    (tmp_path / "sub").mkdir()
    shutil.copy(INBOX / "FH09_物流中心分会_会员名册_2026-10.xlsx", tmp_path / "sub" / "名册.xlsx")
    out = tmp_path.parent / f"{tmp_path.name}-marked"
    result = run("validate", str(tmp_path), "--config", CONFIG, "--annotate", str(out))
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.xlsx"))
    assert written == ["sub/名册.批注.xlsx", "名册.批注.xlsx"], result.output


def test_copy_names_keep_the_source_format():
    from toolkit.render.annotate import copy_name

    assert [str(copy_name(n, Path(n))) for n in ("x.xlsx", "x.xls", "x.ods", "x.xlsm")] == [
        "x.批注.xlsx", "x_xls.批注.xlsx", "x_ods.批注.xlsx", "x.批注.xlsm"]


# --- text stays inert --------------------------------------------------------------------------
def test_escape_sequences_from_a_cell_are_shown_not_run(tmp_path):
    p = plan("roster")
    p.rows[2]["political"] = "\x1b[2J\x1b[32m✓ all files OK\x1b]0;x\x07"
    path = write_template(p.spec, config(), tmp_path / "esc.xlsx", p.header, p.rows, p.layout)
    result = run("validate", str(path), "--config", CONFIG, "--no-register")
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[2J" in result.output


def test_an_internal_error_is_one_line_and_exit_3(monkeypatch, tmp_path):
    import importlib

    validate = importlib.import_module("toolkit.validate")  # the stage (not the API function)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(validate, "validate_paths", broken)
    result = run("validate", str(ROSTER), "--config", CONFIG, "--no-register", "--workers", "1")
    assert result.exit_code == 3
    assert result.output.strip().splitlines()[-1].startswith("unionkit: 内部错误")
    assert "Traceback" not in result.output


# --- configurations ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "named"), [
    ("[dues]\nwage_unit = 0\n", "dues.wage_unit"),
    ("[dues]\nrate = \"-0.005\"\n", "dues.rate"),
    ("[fund]\nrate = \"inf\"\n", "fund.rate"),
    ("[fund]\nupper_share = \"1.5\"\n", "fund.upper_share"),
    ("[roster]\nactivist_min_share = 2\n", "roster.activist_min_share"),
    ("[[calendar]]\nholidays = []\n", "“calendar”应是一个表"),
    ("[[branches]]\ncode = \"FH01\"\nname = \"a\"\nkind = \"厂分会\"\n"
     "[[branches]]\ncode = \"FH01\"\nname = \"b\"\nkind = \"厂分会\"\n", "代码 FH01 出现了两次"),
    ("[[branches]]\ncode = \" \"\nname = \"a\"\nkind = \"厂分会\"\n", "没有代码"),
])
def test_impossible_configurations_exit_2_naming_the_setting(tmp_path, text, named):
    (tmp_path / "f.toml").write_text(text, encoding="utf-8")
    result = run("validate", str(ROSTER), "--config", str(tmp_path / "f.toml"), "--no-register")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("unionkit: ") and named in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("csv", "named"), [
    ("code,name,kind\n401,会费收入,income\n599,奇怪,other\n", "类别 'other'"),
    ("code,name,kind\n401,会费收入\n", "第 2 行"),
])
def test_broken_charts_of_accounts_exit_2(tmp_path, csv, named):
    (tmp_path / "c.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "f.toml").write_text('[ledger]\naccounts = "c.csv"\n', encoding="utf-8")
    result = run("validate", str(ROSTER), "--config", str(tmp_path / "f.toml"), "--no-register")
    assert result.exit_code == 2 and named in result.output, result.output


def test_gbk_configuration_from_notepad_is_read(tmp_path):
    (tmp_path / "f.toml").write_bytes('[federation]\nname = "某某集团工会"\n'.encode("gbk"))
    from toolkit.config import load_config

    assert load_config(tmp_path / "f.toml").name == "某某集团工会"


def test_a_workbook_passed_as_configuration_is_named(tmp_path):
    result = run("validate", str(ROSTER), "--config", str(ROSTER), "--no-register")
    assert result.exit_code == 2 and "是一个工作簿" in result.output


# --- cells no workbook can hold -----------------------------------------------------------------
@pytest.mark.parametrize("typed", [NumberStored("0.5"), "1899-12-31", "2150-01-01",
                                   NumberStored("2958465")])
def test_dates_outside_1900_to_2100_are_not_dates(tmp_path, typed):
    p = plan("roster")
    p.rows[2]["join_date"] = typed
    path = write_template(p.spec, config(), tmp_path / "d.xlsx", p.header, p.rows, p.layout)
    found = {(f.cell, f.code) for f in validate_file(path, config()).findings}
    assert (p.cell(2, "join_date"), "bad_date") in found


def test_a_cell_longer_than_excel_allows_is_a_finding_and_cut():
    """Readers already cut what they hand over at 32,767; the parser holds the line anyway."""
    from toolkit.read.normalize import BadValue
    from toolkit.spec import load_spec
    from toolkit.validate.fields import _PARSERS, _shown

    field = load_spec("roster").column("note")
    with pytest.raises(BadValue, match="text_too_long"):
        _PARSERS["text"](field, "长" * 40_000, None)
    assert len(_shown("长" * 40_000)) == 32_767


def test_sigterm_leaves_nothing_behind(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    scratch, out = tmp_path / "tmp", tmp_path / "out"
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", "from toolkit.cli import main; main()", "consolidate", str(INBOX),
         "--config", CONFIG, "--out", str(out / "w.xlsx"), "--no-register"],
        env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not list(scratch.iterdir()) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # until the run's spool exists: interrupted mid-run
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode in (143, 1), (process.returncode, err)  # or it had finished
    assert "Traceback" not in err
    ours = [p for p in scratch.rglob("*") if p.name.startswith("unionkit-")
            or p.suffix in (".spool", ".tmp")]  # multiprocessing's own pymp-* is not ours
    assert ours == [], (err, list(scratch.rglob("*")))
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == [] if out.exists() else True


def test_consolidating_one_branch_keeps_the_others_recorded(tmp_path):
    from toolkit.consolidate import consolidate
    from toolkit.register import Register

    one = tmp_path / "one"
    one.mkdir()
    for path in INBOX.glob("FH01_*"):
        shutil.copy(path, one / path.name)
    with Register(tmp_path / "r.db") as register:
        full = consolidate(INBOX, config())
        register.record_consolidation(full, str(INBOX), {}, "w.xlsx", lambda: ("x", "y"))
        before = register.figures()["2026-10"]
        people = len(register.members())
        part = consolidate(one, config(), "2026-10")
        register.record_consolidation(part, str(one), {}, "w1.xlsx", lambda: ("x", "y"))
        assert register.figures()["2026-10"] == before
        assert len(register.members()) == people


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_zip_with_a_part_twice_is_corrupt(tmp_path):
    bad = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(ROSTER) as archive, zipfile.ZipFile(bad, "w") as out:
        for info in archive.infolist():
            out.writestr(info.filename, archive.read(info))
        out.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    assert codes(validate_file(bad, config())) == ["file_corrupt"]


def test_serial_60_is_no_date():
    from toolkit.read.normalize import BadValue, parse_date

    with pytest.raises(BadValue, match="bad_date"):
        parse_date(60.0)


def _ods(path: Path, rows: str) -> Path:
    """A minimal OpenDocument spreadsheet around the given table rows."""
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
               f'{rows}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return path


_FILLED_ROW_REPEATED = (
    '<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
    'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
    '<table:table-cell office:value-type="string"><text:p>张三</text:p></table:table-cell>'
    '</table:table-row>')
_EMPTY_ROWS_REPEATED = (
    '<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p>'
    '</table:table-cell></table:table-row>'
    '<table:table-row table:number-rows-repeated="1048575"><table:table-cell/></table:table-row>')


@pytest.mark.parametrize(("rows", "refused"), [(_FILLED_ROW_REPEATED, True),
                                               (_EMPTY_ROWS_REPEATED, False)])
def test_ods_repeats_are_counted_before_they_are_expanded(tmp_path, rows, refused):
    """A filled row repeated a million times is refused at once; LibreOffice's empty rows to
    the end of the sheet are normal."""
    report = validate_file(_ods(tmp_path / "r.ods", rows), config())
    assert (codes(report) == ["file_too_large"]) is refused


def test_spool_left_by_a_killed_run_is_swept_a_day_later(tmp_path):
    import time

    from toolkit.spool import sweep_stale

    old, fresh = tmp_path / "unionkit-old", tmp_path / "unionkit-fresh"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "1.spool").write_bytes(b"x" * 100)
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    assert sweep_stale(tmp_path) == [old]
    assert fresh.is_dir() and not old.exists()


def _many_wrong_ids(tmp_path: Path, count: int) -> Path:
    """An inbox holding one dues file of ``count`` rows, every ID's check digit wrong."""
    from toolkit.ids import resident_id_check_char

    p = plan("dues")
    rows = []
    for i in range(count):
        first17 = f"11010519800{1 + i // 1000}01{i % 1000:03d}"
        wrong = "0" if resident_id_check_char(first17) != "0" else "1"
        rows.append({**p.rows[0], "seq": i + 1, "id_number": first17 + wrong})
    p.header["payroll"] = sum(r["wage"] for r in rows)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_template(p.spec, config(), inbox / p.name, p.header, rows, p.layout)
    return inbox


def test_a_file_of_wrong_rows_lists_a_thousand_per_code_and_counts_the_rest(tmp_path,
                                                                          monkeypatch):
    """Findings are capped per code per file (a million wrong rows would hold a million
    findings); the counts, 汇总 and every row's 状态 still say all of them, in pieces."""
    import toolkit.spool
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.findings import FINDINGS_PER_CODE
    from toolkit.spool import Spool
    from toolkit.verify import verify_workbook

    monkeypatch.setattr(toolkit.spool, "PIECE_ROWS", 500)  # three pieces of this file
    inbox = _many_wrong_ids(tmp_path, FINDINGS_PER_CODE + 200)
    result = consolidate(inbox, config(), spool=Spool(tmp_path / "spool"))
    dues = result.chosen[("FH07", "dues")]
    assert codes(dues).count("id_checksum") == FINDINGS_PER_CODE
    more = [f for f in dues.findings if f.code == "more_errors"]
    assert len(more) == 1 and more[0].count == 200 and "身份证号校验位错误" in more[0].message()
    assert "ID check digit wrong" in more[0].message("en")
    assert dues.errors == FINDINGS_PER_CODE + 200 == result.counts()[0]
    assert len(list(dues.pieces("detail"))) == 3 and len(list(dues.items("people"))) == 0
    out = tmp_path / "out.xlsx"
    write_workbook(result, config(), out, {"period": "2026-10", "strict": False})
    sheet = openpyxl.load_workbook(out, read_only=True)["会费收缴"]
    status = [row[-2] for row in sheet.iter_rows(min_row=3, values_only=True)
              if row[0] == "FH07"]
    assert status == ["身份证号校验位错误"] * (FINDINGS_PER_CODE + 200)
    summary = {r[0]: r for r in openpyxl.load_workbook(out, read_only=True)["汇总"].iter_rows(
        values_only=True)}
    assert FINDINGS_PER_CODE + 200 in summary["FH07"]
    assert verify_workbook(out, config()).findings == []


# --- registers ---------------------------------------------------------------------------------
def _recorded_register(tmp_path: Path) -> Path:
    db = tmp_path / "r.db"
    result = run("validate", str(INBOX), "--config", CONFIG, "--register", str(db))
    assert result.exit_code == 1, result.output
    return db


def test_register_with_a_dropped_table_exits_2_before_any_output(tmp_path):
    import sqlite3

    db = _recorded_register(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute("DROP TABLE members")
    out = tmp_path / "o" / "w.xlsx"
    result = run("consolidate", str(INBOX), "--config", CONFIG, "--out", str(out), "--register",
                 str(db))
    assert result.exit_code == 2 and "缺少数据表 members" in result.output
    assert not out.exists()


def test_register_with_corrupt_pages_exits_2_before_any_output(tmp_path):
    db = _recorded_register(tmp_path)
    import sqlite3

    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    data[page + 200: page * 3] = b"\xff" * (page * 3 - page - 200)  # damage past the header
    db.write_bytes(bytes(data))
    out = tmp_path / "o" / "w.xlsx"
    result = run("consolidate", str(INBOX), "--config", CONFIG, "--out", str(out), "--register",
                 str(db))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("unionkit: ") and not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_read_only_register_is_read_by_status(tmp_path):
    db = _recorded_register(tmp_path)
    db.chmod(0o444)
    assert run("status", "--register", str(db), "--config", CONFIG).exit_code == 0


def test_read_only_register_is_read_by_status_as_root_too(tmp_path, monkeypatch):
    """What a read-only register looks like to a process that may not write it."""
    db = _recorded_register(tmp_path)
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real(p, mode))
    assert run("status", "--register", str(db), "--config", CONFIG).exit_code == 0
    out = tmp_path / "o" / "w.xlsx"
    result = run("consolidate", str(INBOX), "--config", CONFIG, "--out", str(out), "--register",
                 str(db))
    assert result.exit_code == 2 and "是只读的" in result.output and not out.exists()


def test_register_held_by_another_run_is_a_clear_exit_2(tmp_path, monkeypatch):
    import sqlite3

    from toolkit import register

    db = _recorded_register(tmp_path)
    monkeypatch.setattr(register, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        out = tmp_path / "o" / "w.xlsx"
        result = run("consolidate", str(INBOX), "--config", CONFIG, "--out", str(out),
                     "--register", str(db))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2 and "正被另一个 unionkit 运行占用" in result.output
    assert not out.exists()


# --- verify sees what a reader sees ------------------------------------------------------------
@pytest.mark.parametrize("hidden", [False, True])
def test_a_sheet_added_after_generation_is_named(tmp_path, hidden):
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    assert verify_workbook(out, config()).errors == 0
    book = openpyxl.load_workbook(out)
    added = book.create_sheet("审计结论")
    added["A1"] = "审计结论：通过"
    added.sheet_state = "hidden" if hidden else "visible"
    book.save(out)
    found = {(f.code, f.sheet) for f in verify_workbook(out, config()).findings}
    assert ("verify_sheet_extra", "审计结论") in found


@pytest.mark.parametrize(("sheet", "cell", "value"), [
    ("会费收缴", "F1", 10000), ("会费收缴", "O5", "看过"), ("会费收缴", "F5000", 10000),
    ("汇总", "K1", 10000), ("汇总", f"{col_letter(len(summary_columns(measures())) + 1)}4", "已审"),
    ("汇总", "K40", 10000), ("汇总", f"{summary_letter('share')}13", 0.5),
    ("汇总", f"{summary_letter('score')}13", 99)])
def test_a_figure_outside_the_table_is_named(tmp_path, sheet, cell, value):
    """A ghost value in the title row (a whole-column SUMIFS counts it after a recalculation),
    right of 行校验 (会费收缴's is N: its keyed hash of 证件号码 comes before 来源文件), below the
    table, or in the totals row's untotalled columns."""
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    book = openpyxl.load_workbook(out)
    book[sheet][cell] = value
    book.save(out)
    found = {(f.code, f.sheet, f.cell) for f in verify_workbook(out, config()).findings}
    assert ("verify_cell_outside", sheet, cell) in found


def test_an_audit_flag_deleted_is_named(tmp_path):
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    book = openpyxl.load_workbook(out)
    flags = book["审计提示"]
    code = flags.cell(flags.max_row, 6).value
    flags.delete_rows(flags.max_row)
    book.save(out)
    found = {(f.code, f.value) for f in verify_workbook(out, config()).findings}
    assert ("verify_audit_differs", code) in found


@pytest.mark.parametrize("fact", ["所属期", "选项", "工具"])
def test_run_facts_are_inside_the_digest(tmp_path, fact):
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {"strict": True})
    assert verify_workbook(out, config()).errors == 0
    book = openpyxl.load_workbook(out)
    manifest = book["来源清单"]
    row = next(c.row for c in manifest["A"] if str(c.value or "").startswith(fact))
    manifest.cell(row, 2).value = {"所属期": "2026-09", "选项": '{"strict": false}',
                                   "工具": "unionkit 9.9.9"}[fact]
    book.save(out)
    found = {f.code for f in verify_workbook(out, config()).findings}
    assert "verify_digest_mismatch" in found


@pytest.mark.parametrize("encoding", ["gbk", "cp936"])
@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_a_chinese_windows_console_never_crashes_the_report(tmp_path, encoding, fmt):
    """What Python does on Chinese Windows when output is redirected: ✗ and − cannot be
    encoded there, and the report must still be written whole."""
    result = subprocess.run(
        [sys.executable, "-c", "from toolkit.cli import main; main()", "validate", str(INBOX),
         "--config", CONFIG, "--no-register", "--format", fmt],
        capture_output=True, env={**os.environ, "PYTHONIOENCODING": encoding}, timeout=300)
    assert result.returncode == 1, result.stderr.decode(encoding, "replace")
    # JSON and HTML are UTF-8 whatever the console (the HTML's charset says so); text takes
    # the console's encoding, ✗ shown as ×
    out = result.stdout.decode(encoding if fmt == "text" else "utf-8")
    assert "Traceback" not in result.stderr.decode(encoding, "replace")
    assert {"text": "× FH01_一车间分会_会员名册", "json": '"files": 43',
            "html": '<meta charset="utf-8">'}[fmt] in out
    assert {"text": "文件 43 个", "json": "id_checksum", "html": "</html>"}[fmt] in out


def test_every_command_reports_whole_under_a_gbk_console(tmp_path):
    """consolidate, verify, status and history, each format, under PYTHONIOENCODING=gbk: no
    traceback and a complete report; ``--output`` writes UTF-8 whatever the console."""
    register, out = tmp_path / "r.db", tmp_path / "w.xlsx"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from toolkit.cli import main; main()",
                               *args], capture_output=True, timeout=300,
                              env={**os.environ, "PYTHONIOENCODING": "gbk"})
    made = run("consolidate", str(INBOX), "--config", CONFIG, "--out", str(out),
               "--register", str(register))
    assert made.returncode == 1 and "错误 13 个" in made.stdout.decode("gbk"), made.stderr
    runs = {
        ("verify", "text"): ("verify", str(out), "--config", CONFIG),
        ("verify", "json"): ("verify", str(out), "--config", CONFIG, "--format", "json"),
        ("status", "text"): ("status", "--config", CONFIG, "--register", str(register)),
        ("status", "json"): ("status", "--config", CONFIG, "--register", str(register),
                             "--format", "json"),
        ("history", "text"): ("history", "--config", CONFIG, "--register", str(register)),
    }
    ends = {("verify", "text"): "审计提示", ("verify", "json"): '"audit_flags": 11',
            ("status", "text"): "FH10", ("status", "json"): '"FH10"',
            ("history", "text"): "2026-10"}
    for (command, fmt), args in runs.items():
        result = run(*args)
        assert result.returncode in (0, 1), (command, fmt, result.stderr.decode("gbk"))
        assert b"Traceback" not in result.stderr
        text = result.stdout.decode("gbk" if fmt == "text" else "utf-8")
        assert ends[(command, fmt)] in text, (command, fmt)
    report = tmp_path / "核验.json"
    run("verify", str(out), "--config", CONFIG, "--format", "json", "--output", str(report))
    assert '"errors": 0' in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(("sheet", "cell", "fmt"), [
    ("会费收缴", "G5", "0,"),            # divided by a thousand
    ("会费收缴", "G6", '"1"#,##0.00'),   # a digit that is not there
    ("汇总", f"{summary_letter('dues_paid')}4", "0.00;0.00"),  # the minus sign hidden
    ("汇总", f"{summary_letter('dues_paid')}5", "0"),          # the fen dropped
    ("会员名册", "O4", "General"),       # a date read as 41336
    ("会员名册", "F5", "yyyy-mm"),       # the day dropped
])
def test_a_number_format_showing_another_figure_is_named(tmp_path, sheet, cell, fmt):
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    book = openpyxl.load_workbook(out)
    assert book[sheet][cell].value is not None
    book[sheet][cell].number_format = fmt
    book.save(out)
    found = {(f.code, f.sheet, f.cell) for f in verify_workbook(out, config()).findings}
    assert ("verify_format_changed", sheet, cell) in found


@pytest.mark.parametrize(("fmt", "kind"), [
    ("#,##0.00", "money"), ("General", "money"), ("#,##0.00;[Red]-#,##0.00", "money"),
    ('_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)', "money"), ("0.000", "money"),
    ('#,##0.00" 元"', "money"), ("[$-804]#,##0.00", "money"), ("YYYY\\-MM\\-DD", "date"),
    ('[$-804]yyyy"年"m"月"d"日"', "date"), ("0.0%", "pct"), ("#,##0", "int"), ("@", "int"),
])
def test_formats_a_resave_may_write_are_honest(fmt, kind):
    from toolkit.verify.formats import problem

    assert problem(fmt, kind, number=True) is None


def test_a_conditional_number_format_is_named(tmp_path):
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat

    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    book = openpyxl.load_workbook(out)
    rule = CellIsRule(operator="greaterThan", formula=["0"])
    rule.dxf = DifferentialStyle(numFmt=NumberFormat(200, "0,"))
    book["汇总"].conditional_formatting.add("K3:K20", rule)
    book.save(out)
    assert "verify_conditional_format" in {f.code for f in verify_workbook(out, config()).findings}


@pytest.mark.parametrize("damage", [
    lambda xml: xml.replace("</row>", "</rox>", 1),          # a mismatched tag
    lambda xml: xml.replace("<sheetData>", "<sheetData><row>", 1),  # an unclosed element
])
def test_a_sheet_that_is_not_well_formed_xml_is_corrupt(tmp_path, damage):
    """Excel refuses (or “repairs”) such a part; python-calamine reads past a mismatched tag,
    so the reader checks the XML itself."""
    path = rewritten(LEDGER, tmp_path / "x.xlsx", "xl/worksheets/sheet1.xml", damage)
    assert "file_corrupt" in codes(validate_file(path, config()))


def test_a_full_disk_while_writing_the_workbook_is_one_line_exit_2(tmp_path, monkeypatch):
    """ENOSPC as xlsxwriter finishes the file: the path the user gave is named, nothing is
    left beside it, and the register records no run for a workbook that does not exist."""
    import errno

    from toolkit.consolidate import workbook as writer

    def full(self):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(writer.Workbook, "close", full)
    out, db = tmp_path / "out" / "2026-10.xlsx", tmp_path / "r.db"
    result = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG,
                                      "--out", str(out), "--register", str(db)])
    assert result.exit_code == 2
    assert f"{out}: No space left on device" in result.output
    assert list(out.parent.iterdir()) == []
    history = CliRunner().invoke(cli, ["history", "--register", str(db)])
    assert "2026-10.xlsx" not in history.output


def test_a_full_temporary_disk_names_the_folder_and_leaves_nothing(tmp_path):
    """A real write limit (RLIMIT_FSIZE: writes past it fail with EFBIG, as on a full disk)
    hits the spool of records first: exit 2, one line naming the temporary folder."""
    import resource

    temp = tmp_path / "tmp"
    temp.mkdir()

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
    result = subprocess.run(
        [sys.executable, "-c", "from toolkit.cli import main; main()", "consolidate",
         str(INBOX), "--config", CONFIG, "--out", str(tmp_path / "o.xlsx"),
         "--register", str(tmp_path / "r.db")],
        capture_output=True, text=True, preexec_fn=limited, timeout=300,
        env={**os.environ, "TMPDIR": str(temp)})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"unionkit: {temp}") and "Traceback" not in result.stderr
    assert list(temp.iterdir()) == [] and not (tmp_path / "o.xlsx").exists()


@pytest.mark.parametrize(("sheet", "hide", "cell", "code"), [
    ("会费收缴", lambda ws: setattr(ws.row_dimensions[7], "hidden", True), "A7", "verify_hidden_row"),
    ("汇总", lambda ws: setattr(ws.column_dimensions["L"], "hidden", True), "L1",
     "verify_hidden_column"),
])
def test_rows_and_columns_hidden_from_a_reader_are_named(tmp_path, sheet, hide, cell, code):
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    out = tmp_path / "w.xlsx"
    write_workbook(consolidate(INBOX, config()), config(), out, {})
    book = openpyxl.load_workbook(out)
    hide(book[sheet])
    book.save(out)
    found = {(f.code, f.sheet, f.cell) for f in verify_workbook(out, config()).findings}
    assert (code, sheet, cell) in found


@pytest.mark.parametrize("heads", [("工作表", "单元格", "级别", "问题类型"),
                                   ("工作表", "单元格", "级别", "代码"),
                                   ("Sheet", "Cell", "Severity", "Kind")])
def test_an_annotated_copy_old_or_new_is_never_a_submission(tmp_path, heads):
    """Copies made before the 问题类型 column was named (代码) are unionkit's own too."""
    book = openpyxl.Workbook()
    book.active.title = "问题清单"
    book.active.append([*heads, "问题", "怎么改"])
    book.save(tmp_path / "名册.批注.xlsx")
    assert codes(validate_file(tmp_path / "名册.批注.xlsx", config())) == ["own_output"]
