"""Personal information protected (docs/privacy.md): the federation's outputs show ID and
mobile numbers masked, the register keeps keyed hashes and no raw numbers (a migrated register
included, searched as raw bytes), matching still works on the hashes, verify proves a masked
workbook and names an edited masked cell, ``--full`` is the treasurer's unmasked copy."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import INBOX, SAMPLE
from toolkit.cli import cli
from toolkit.privacy import HASH_CHARS, keyed, mask_text, scrub
from toolkit.register import MIGRATIONS, Register

CONFIG = str(SAMPLE / "federation.toml")


@pytest.fixture(scope="module")
def people():
    """Every 18-character ID number and 11-digit mobile of the sample, as its files hold them."""
    from toolkit.config import load_config
    from toolkit.validate import validate_file

    config, ids, mobiles = load_config(CONFIG), set(), set()
    for path in sorted(INBOX.iterdir()):
        for record in validate_file(path, config).records:
            if isinstance(record.get("id_number"), str) and len(record.get("id_number")) == 18:
                ids.add(record.get("id_number"))
            if isinstance(record.get("mobile"), str) and len(record.get("mobile")) == 11:
                mobiles.add(record.get("mobile"))
    assert len(ids) > 1000 and len(mobiles) > 1000
    return ids | mobiles


def _found(people: set[str], *paths: Path) -> list[str]:
    """The sample's numbers present in the raw bytes of ``paths`` (zip members unpacked)."""
    blob = b""
    for path in paths:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                blob += b"".join(archive.read(n) for n in archive.namelist())
        elif path.exists():
            blob += path.read_bytes()
    return sorted(p for p in people if p.encode() in blob)


def _register_files(db: Path) -> list[Path]:
    return [p for p in db.parent.iterdir() if p.name.startswith(db.name)]


def test_no_number_of_the_sample_in_the_workbook_the_register_or_any_report(tmp_path, people):
    db, out = tmp_path / "reg" / "unionkit.db", tmp_path / "汇总.xlsx"
    runner = CliRunner()
    made = runner.invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG, "--out", str(out),
                               "--register", str(db), "--json", str(tmp_path / "s.json")])
    assert made.exit_code == 1, made.output
    reports = []
    for fmt in ("text", "json", "html"):
        report = tmp_path / f"report.{fmt}"
        runner.invoke(cli, ["validate", str(INBOX), "--config", CONFIG, "--register", str(db),
                            "--format", fmt, "--output", str(report)])
        reports.append(report)
    terminal = runner.invoke(cli, ["validate", str(INBOX), "--config", CONFIG,
                                   "--no-register"]).output
    assert _found(people, out, *reports, tmp_path / "s.json", *_register_files(db)) == []
    assert not [p for p in people if p in terminal]
    assert re.search(r"\d{6}\*{8}\d{3}[\dX]", reports[0].read_text("utf-8"))  # quoted masked
    key = db.parent / ".unionkit-privacy.key"
    assert key.stat().st_mode & 0o777 == 0o600 and key.read_text().strip() not in made.output


def test_full_is_the_treasurers_unmasked_copy_and_says_so(tmp_path, people):
    out = tmp_path / "汇总.xlsx"
    made = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG, "--out",
                                    str(out), "--full", "--register", str(tmp_path / "u.db")])
    full = tmp_path / "汇总_完整.xlsx"
    assert made.exit_code == 1 and full.exists() and not out.exists()
    assert "只供财务本人使用" in made.stderr
    assert len(_found(people, full)) == len(people)
    with Register(tmp_path / "u.db") as register:
        options = json.loads(register.db.execute("SELECT options FROM runs").fetchone()[0])
    assert options["privacy"] == "full"
    verified = CliRunner().invoke(cli, ["verify", str(full), "--config", CONFIG, "--sources",
                                        str(INBOX)])
    assert verified.exit_code == 0, verified.output
    assert "密钥不同" in verified.output  # made under another register's key: said, not an edit


def _first_id(sheet) -> tuple[int, int, str]:
    """(row, column, value) of the first ID number under a roster's 证件号码 head."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == "证件号码":
                below = sheet.cell(cell.row + 1, cell.column)
                return below.row, below.column, below.value
    raise AssertionError("no 证件号码 column")


def _one_person_in_two_branches(inbox: Path) -> Path:
    """The sample, with FH01's first member also on FH02's roster (planted for the test)."""
    import openpyxl

    shutil.copytree(INBOX, inbox)
    fh01 = openpyxl.load_workbook(next(inbox.glob("FH01_*_会员名册_*.xlsx"))).active
    fh02_path = next(inbox.glob("FH02_*_会员名册_*.xlsx"))
    fh02 = openpyxl.load_workbook(fh02_path)
    row, column, _ = _first_id(fh02.active)
    fh02.active.cell(row, column).value = _first_id(fh01)[2]
    fh02.save(fh02_path)
    return inbox


def test_matching_works_on_masked_data_and_verify_proves_the_masked_workbook(tmp_path,
                                                                           sample_config):
    import openpyxl

    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook
    from toolkit.verify import verify_workbook

    result = consolidate(_one_person_in_two_branches(tmp_path / "inbox"), sample_config)
    codes = {f.code for r in result.report.files for f in r.findings}
    assert {"id_in_two_branches", "dues_not_in_roster"} <= codes  # the planted cases
    quoted = [f.value for r in result.report.files for f in r.findings
              if f.code == "id_in_two_branches"]
    assert quoted and all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", v) for v in quoted)
    out = tmp_path / "masked.xlsx"
    write_workbook(result, sample_config, out, {"period": result.period})
    assert verify_workbook(out, sample_config).errors == 0
    book = openpyxl.load_workbook(out)
    roster = book["会员名册"]
    heads = [c.value for c in roster[2]]
    at = heads.index("证件号码")
    hashed = heads.index("证件号码（密钥摘要）")
    assert roster.column_dimensions[openpyxl.utils.get_column_letter(hashed + 1)].hidden
    row = next(r for r in roster.iter_rows(min_row=3) if r[at].value)
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", row[at].value)
    assert re.fullmatch(f"[0-9a-f]{{{HASH_CHARS}}}", row[hashed].value)
    row[at].value = "110105********0000"  # an edit to a masked cell
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    found = verify_workbook(edited, sample_config)
    assert any(f.code == "verify_cell_edited" and f.cell == row[at].coordinate
               for f in found.findings), [f.code for f in found.findings][:5]


def test_a_register_of_the_last_version_is_migrated_and_keeps_no_raw_number(tmp_path, people):
    """A register as unionkit 0.1 wrote it (version 4: raw IDs in members, a desk page with the
    clerk's sheet): migrated, its people hashed, nothing raw left in the file's bytes."""
    db = tmp_path / "unionkit.db"
    raw = sorted(p for p in people if len(p) == 18)[:200]
    with sqlite3.connect(db) as old:
        for version in (1, 2, 3, 4):
            for statement in MIGRATIONS[version]:
                old.execute(statement)
        old.execute("PRAGMA user_version = 4")
        old.executemany("INSERT INTO members VALUES ('2026-09', 'FH01', ?, '张三', 1, NULL, "
                        "NULL, NULL)", [(p,) for p in raw])
        old.execute("INSERT INTO access (code_sha256, role, branch, created) VALUES "
                    "('x', 'clerk', 'FH01', 't')")
        page = {"findings": [{"message_zh": f"证件号码“{raw[0]}”校验位不对"}],
                "preview": {"rows": [[raw[1], "13912345678"]]}}
        old.execute("INSERT INTO uploads (access_id, original, uploaded, status, errors, "
                    "warnings, shown) VALUES (1, 'a.xlsx', 't', 'ok', 0, 0, ?)",
                    (json.dumps(page, ensure_ascii=False),))
    assert _found(set(raw), db)  # before: there
    with Register(db) as register:
        kept = [r[0] for r in register.db.execute("SELECT id_number FROM members")]
        shown = json.loads(register.db.execute("SELECT shown FROM uploads").fetchone()[0])
        assert sorted(kept) == sorted(keyed(register.key, p) for p in raw)
    assert "preview" not in shown
    assert raw[0][:6] + "********" + raw[0][-4:] in shown["findings"][0]["message_zh"]
    assert _found(set(raw) | {"13912345678"}, *_register_files(db)) == []


def test_prune_purges_what_is_older_than_the_settings_keep(tmp_path):
    db = tmp_path / "unionkit.db"
    with Register(db) as register:
        for period in ("2023-12", "2024-11", "2026-10"):
            register.db.execute("INSERT INTO members VALUES (?, 'FH01', 'abcdef0123456789', "
                                "'张三', 1, NULL, NULL, NULL)", (period,))
            register.db.execute("INSERT INTO branch_periods VALUES (?, 'FH01', NULL, '{}')",
                                (period,))
        assert register.prune(24, date(2026, 12, 3)) == 4  # 2023-12 and 2024-11 go
        assert [r[0] for r in register.db.execute("SELECT period FROM members")] == ["2026-10"]
    pruned = CliRunner().invoke(cli, ["register", "prune", "--keep-months", "1", "--register",
                                      str(db), "--config", CONFIG])
    assert pruned.exit_code == 0 and "2" in pruned.output


def test_rotating_the_key_forgets_the_people_kept_under_the_old_one(tmp_path):
    db = tmp_path / "unionkit.db"
    with Register(db) as register:
        old = register.key
        register.db.execute("INSERT INTO members VALUES ('2026-10', 'FH01', ?, '张三', 1, NULL, "
                            "NULL, NULL)", (keyed(old, "11010519491231002X"),))
    declined = CliRunner().invoke(cli, ["privacy", "rotate", "--register", str(db), "--config",
                                        CONFIG], input="n\n")
    assert declined.exit_code == 2
    rotated = CliRunner().invoke(cli, ["privacy", "rotate", "--yes", "--register", str(db),
                                       "--config", CONFIG])
    assert rotated.exit_code == 0 and "1" in rotated.output
    with Register(db) as register:
        assert register.key != old
        assert register.db.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_the_settings_are_checked(tmp_path):
    from toolkit.config import load_config
    from toolkit.errors import ConfigError

    for bad in ('mask = ["身份证"]', 'mode = "open"', "keep_months = 0"):
        path = tmp_path / "federation.toml"
        path.write_text(f"[privacy]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError):
            load_config(path)
    path.write_text('[privacy]\nmask = ["id_number", "name"]\n', encoding="utf-8")
    assert load_config(path).privacy.mask == ("id_number", "name")


def test_the_desk_shows_a_clerk_their_own_sheet_in_full_and_the_treasurer_it_masked(tmp_path,
                                                                                    people):
    from starlette.testclient import TestClient

    from toolkit.web import create_app

    inbox, db = tmp_path / "inbox", tmp_path / "unionkit.db"
    inbox.mkdir()
    with Register(db) as register:
        codes = {role: register.grant(role, "FH01" if role == "clerk" else None)[1]
                 for role in ("clerk", "treasurer")}
    roster = next(INBOX.glob("FH01_*_会员名册_*.xlsx"))
    with TestClient(create_app(SAMPLE / "federation.toml", inbox, db, secret="t")) as client:
        sent = client.post("/api/upload", headers={"Authorization": f"Bearer {codes['clerk']}"},
                           files={"file": (roster.name, roster.read_bytes())}).json()
        url = f"/result/{sent['upload']['id']}?format=json"

        def cells(role):
            client.cookies.clear()
            client.post("/login", data={"code": codes[role], "csrf": re.search(
                r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)})
            rows = client.get(url).json()["preview"]["rows"]
            return {c if isinstance(c, str) else c["text"] for r in rows for c in r}
        mine, theirs = cells("clerk"), cells("treasurer")
    assert mine & people and not theirs & people
    assert any(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", c) for c in theirs)
    assert _found(people, *_register_files(db)) == []


@given(st.text(min_size=0, max_size=40), st.binary(min_size=1, max_size=32),
       st.binary(min_size=1, max_size=32))
def test_masking_and_hashing_are_deterministic_for_a_key_and_differ_across_keys(text, a, b):
    assert mask_text(text) == mask_text(text) and len(mask_text(text)) == len(text)
    assert mask_text(mask_text(text)) == mask_text(text)  # masking twice changes nothing
    assert keyed(a, text) == keyed(a, text) and len(keyed(a, text)) == HASH_CHARS
    if a != b:  # 64 bits: two keys giving one hash would be a 1 in 2**64 event
        assert keyed(a, text) != keyed(b, text)


def test_numbers_inside_free_text_are_masked():
    said = scrub("张三（11010519491231002X）手机 13912345678，凭证 记-006")
    assert said == "张三（110105********002X）手机 139****5678，凭证 记-006"


def test_members_gone_across_periods_are_found_on_the_hashes(tmp_path, people):
    """The register knows people only by their keyed hashes: a member of last month still on
    this month's roster is matched, one who left without an outflow row is named."""
    from toolkit.config import load_config
    from toolkit.register import disappeared
    from toolkit.validate import validate_file

    db = tmp_path / "unionkit.db"
    roster = next(INBOX.glob("FH01_*_会员名册_*.xlsx"))
    stays = next(r.get("id_number") for r in validate_file(roster, load_config(CONFIG)).records
                 if isinstance(r.get("id_number"), str) and len(r.get("id_number")) == 18)
    with Register(db) as register:
        register.db.executemany(
            "INSERT INTO members VALUES ('2026-09', 'FH01', ?, ?, 1, NULL, NULL, NULL)",
            [(keyed(register.key, stays), "留下的人"),
             (keyed(register.key, "11010519491231002X"), "离开的人")])
    made = CliRunner().invoke(cli, ["consolidate", str(INBOX), "--config", CONFIG, "--out",
                                    str(tmp_path / "o.xlsx"), "--register", str(db)])
    assert made.exit_code == 1, made.output
    with Register(db) as register:
        gone = disappeared(register.members("FH01"))
    assert [g["name"] for g in gone] == ["离开的人"]
    history = CliRunner().invoke(cli, ["history", "--branch", "FH01", "--register", str(db),
                                       "--config", CONFIG])
    assert "离开的人" in history.output and "11010519491231002X" not in history.output
    assert _found(people, *_register_files(db)) == []
