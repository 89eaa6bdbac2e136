"""The web desk, in process (Starlette's TestClient runs the app and its lifespan, worker
pool included): sign-in, sessions, CSRF, the rate limit, uploads stored or refused, a
clerk's view limited to their branch, every page also JSON."""

from __future__ import annotations

import re
import shutil

import pytest
from starlette.testclient import TestClient

from tests.conftest import CORPUS, INBOX, SAMPLE
from toolkit.register import Register
from toolkit.web import create_app

CONFIG = SAMPLE / "federation.toml"
FH01_DUES = next(INBOX.glob("FH01_*_会费收缴_*.xlsx"))
FH02_ROSTER = next(INBOX.glob("FH02_*_会员名册_*.xlsx"))


@pytest.fixture
def desk(tmp_path):
    """A desk over an empty inbox, with a clerk of FH01 and a treasurer."""
    inbox, db = tmp_path / "inbox", tmp_path / "unionkit.db"
    inbox.mkdir()
    with Register(db) as register:
        _, clerk = register.grant("clerk", "FH01", "张三")
        _, treasurer = register.grant("treasurer")
    app = create_app(CONFIG, inbox, db, max_upload=2 * 1024 * 1024, secret="test")
    with TestClient(app) as client:
        yield client, inbox, db, {"clerk": clerk, "treasurer": treasurer}


def _csrf(client: TestClient, url: str = "/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)


def _sign_in(client: TestClient, code: str):
    reply = client.post("/login", data={"code": code, "csrf": _csrf(client)},
                        follow_redirects=False)
    assert reply.status_code == 303, reply.text
    return reply


def _send(client: TestClient, *paths, json=False):
    files = [("files", (p.name, p.read_bytes(),
                        "application/octet-stream")) for p in paths]
    return client.post("/upload" + ("?format=json" if json else ""),
                       data={"csrf": _csrf(client, "/")}, files=files, follow_redirects=False)


def test_signing_in_needs_a_valid_code_and_the_session_is_http_only(desk):
    client, _, db, codes = desk
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    wrong = client.post("/login", data={"code": "nope", "csrf": _csrf(client)})
    assert wrong.status_code == 401 and "登录码不对或已停用" in wrong.text
    cookie = _sign_in(client, codes["clerk"]).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "FH01" in home.text and "报送报表" in home.text
    with Register(db) as register:
        assert codes["clerk"] not in db.read_bytes().decode("latin-1")
        register.revoke(1)
    assert client.get("/", follow_redirects=False).status_code == 303  # a revoked code: out


def test_a_form_without_its_csrf_token_is_refused(desk):
    client, _, _, codes = desk
    client.get("/login")
    assert client.post("/login", data={"code": codes["clerk"]}).status_code == 403
    _sign_in(client, codes["clerk"])
    files = [("files", (FH01_DUES.name, FH01_DUES.read_bytes(), "application/octet-stream"))]
    assert client.post("/upload", data={"csrf": "forged"}, files=files).status_code == 403


def test_sign_in_attempts_are_limited(desk):
    client, _, _, codes = desk
    for _ in range(5):
        client.post("/login", data={"code": "guess", "csrf": _csrf(client)})
    blocked = client.post("/login", data={"code": codes["clerk"], "csrf": _csrf(client)})
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text


def test_an_upload_is_stored_checked_recorded_and_shown_with_its_marks(desk):
    client, inbox, db, codes = desk
    _sign_in(client, codes["clerk"])
    reply = _send(client, FH01_DUES)
    assert reply.status_code == 303
    page = client.get(reply.headers["location"])
    assert page.status_code == 200 and FH01_DUES.name in page.text
    stored = list(inbox.iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == FH01_DUES.read_bytes()
    assert stored[0].name.startswith(FH01_DUES.stem) and "_FH01_" in stored[0].name
    shown = client.get(reply.headers["location"] + "?format=json").json()
    assert shown["stored"] == stored[0].name and shown["refused"] is None
    assert shown["preview"]["rows"] and shown["status"] in ("ok", "warnings", "errors")
    texts = [c if isinstance(c, str) else c["text"] for r in shown["preview"]["rows"] for c in r]
    assert "1" in texts and "1.0" not in texts  # 序号 as the clerk typed it
    copy = client.get(reply.headers["location"] + "/annotated")
    assert copy.status_code == 200 and copy.content[:2] == b"PK"
    assert "filename*=UTF-8''" in copy.headers["content-disposition"]
    with Register(db) as register:
        assert register.uploads("FH01")[0]["stored"] == stored[0].name
        current = register.current_files("2026-10")
        assert [(f["branch"], f["path"]) for f in current] == [("FH01", str(stored[0].resolve()))]
    history = client.get("/?format=json").json()
    assert history["uploads"][0]["original"] == FH01_DUES.name


def test_a_file_of_another_branch_or_not_a_report_is_refused_and_not_stored(desk, tmp_path):
    client, inbox, _, codes = desk
    _sign_in(client, codes["clerk"])
    other = _send(client, FH02_ROSTER, json=True).json()["uploads"][0]
    assert other["refused"] == "web.refused_branch" and other["stored"] is None
    text = tmp_path / "说明.txt"
    text.write_text("not a report", encoding="utf-8")
    assert _send(client, text, json=True).json()["uploads"][0]["refused"] == "web.refused_type"
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert _send(client, broken, json=True).json()["uploads"][0]["refused"] == \
        "web.refused_unreadable"
    assert list(inbox.iterdir()) == []
    page = client.get(f"/result/{other['id']}")
    assert "分会代码不是您的分会" in page.text


def test_an_upload_over_the_limit_is_refused_as_it_streams_in(desk, tmp_path):
    client, inbox, _, codes = desk
    _sign_in(client, codes["clerk"])
    big = tmp_path / "大.xlsx"
    big.write_bytes(b"0" * (3 * 1024 * 1024))
    reply = _send(client, big)
    assert reply.status_code == 413 and "超过 2 MB" in reply.text
    assert list(inbox.iterdir()) == []


def test_a_clerk_sees_only_their_branch_and_the_treasurer_sees_every_branch(desk, tmp_path):
    client, _, _, codes = desk
    _sign_in(client, codes["clerk"])
    mine = _send(client, FH01_DUES, json=True).json()["uploads"][0]["id"]
    home = client.get("/?format=json").json()
    assert [b["code"] for b in home["branches"]] == ["FH01"]
    client.post("/logout", data={"csrf": _csrf(client, "/")})
    _sign_in(client, codes["treasurer"])
    every = client.get("/?format=json").json()
    assert len(every["branches"]) == 10 and every["role"] == "treasurer"
    assert client.get(f"/result/{mine}").status_code == 200
    assert _send(client, FH01_DUES).status_code == 403  # the treasurer does not upload


def test_a_clerk_cannot_see_another_branchs_upload(desk):
    client, _, db, codes = desk
    with Register(db) as register:
        _, other = register.grant("clerk", "FH02")
    _sign_in(client, codes["clerk"])
    mine = _send(client, FH01_DUES, json=True).json()["uploads"][0]["id"]
    client.post("/logout", data={"csrf": _csrf(client, "/")})
    _sign_in(client, other)
    assert client.get(f"/result/{mine}").status_code == 404
    assert client.get(f"/result/{mine}/annotated").status_code == 404


def test_pages_switch_to_english(desk):
    client, _, _, codes = desk
    assert "Sign-in code" in client.get("/login?lang=en").text
    _sign_in(client, codes["clerk"])
    assert "Send a report" in client.get("/").text


def test_access_codes_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    db = str(tmp_path / "unionkit.db")
    added = CliRunner().invoke(cli, ["access", "add", "--role", "clerk", "--branch", "FH01",
                                     "--register", db, "--config", str(CONFIG)])
    assert added.exit_code == 0 and "/login?code=" in added.output
    code = re.search(r"登录码（只显示这一次）：(\S+)", added.output).group(1)
    listed = CliRunner().invoke(cli, ["access", "list", "--register", db, "--config",
                                      str(CONFIG)])
    assert "clerk FH01" in listed.output and code not in listed.output
    assert CliRunner().invoke(cli, ["access", "add", "--role", "clerk", "--register", db,
                                    "--config", str(CONFIG)]).exit_code == 2
    assert CliRunner().invoke(cli, ["access", "revoke", "1", "--register", db, "--config",
                                    str(CONFIG)]).exit_code == 0
    with Register(db) as register:
        assert register.signed_in(code) is None


def test_the_desk_refuses_an_inbox_that_does_not_exist(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--inbox", str(tmp_path / "nope"),
                                      "--config", str(CONFIG)])
    assert result.exit_code == 2 and "收件箱文件夹不存在" in result.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_the_api_takes_a_bearer_code_and_answers_the_validate_contract(desk):
    client, inbox, _, codes = desk
    files = {"file": (FH01_DUES.name, FH01_DUES.read_bytes(), "application/octet-stream")}
    assert client.post("/api/upload", files=files).status_code == 401
    assert client.post("/api/upload", files=files,
                       headers={"Authorization": "Bearer nope"}).status_code == 401
    treasurer = {"Authorization": f"Bearer {codes['treasurer']}"}
    assert client.post("/api/upload", files=files, headers=treasurer).status_code == 403
    clerk = {"Authorization": f"Bearer {codes['clerk']}"}
    reply = client.post("/api/upload", files=files, headers=clerk)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["tool"] == "unionkit" and body["files"][0]["template"] == "dues"
    assert set(body["summary"]) == {"files", "errors", "warnings"}
    assert body["upload"]["stored"] in {p.name for p in inbox.iterdir()}
    copy = client.get(body["upload"]["annotated"], headers=clerk)
    assert copy.status_code == 200 and copy.content[:2] == b"PK"
    other = {"file": (FH02_ROSTER.name, FH02_ROSTER.read_bytes(), "application/octet-stream")}
    refused = client.post("/api/upload", files=other, headers=clerk)
    assert refused.status_code == 422 and refused.json()["upload"]["refused"] == \
        "web.refused_branch"
    status = client.get("/api/status?period=2026-10", headers=clerk).json()
    assert [b["code"] for b in status["branches"]] == ["FH01"]
    assert status["branches"][0]["slots"]["dues"]["status"] in ("ok", "warnings", "errors")
    assert len(client.get("/api/status", headers=treasurer).json()["branches"]) == 10
    assert client.get("/api/status").status_code == 401


def test_an_auditor_verifies_a_generated_workbook_in_the_browser(desk, tmp_path):
    from toolkit.config import load_config
    from toolkit.consolidate import consolidate
    from toolkit.consolidate.workbook import write_workbook

    client, _, db, _ = desk
    with Register(db) as register:
        _, auditor = register.grant("auditor")
    out = tmp_path / "汇总.xlsx"
    write_workbook(consolidate(INBOX, load_config(CONFIG)), load_config(CONFIG), out,
                   {"period": "2026-10", "strict": False})
    _sign_in(client, auditor)

    def check(path):
        return client.post("/verify?format=json", data={"csrf": _csrf(client, "/")},
                           files={"workbook": (path.name, path.read_bytes())}).json()
    held = check(out)
    assert held["holds"] is True and held["counts"]["sheets"] > 5 and held["findings"] == []
    not_ours = check(FH01_DUES)
    assert not_ours["holds"] is False and "来源清单" in not_ours["cannot"]
    page = client.post("/verify", data={"csrf": _csrf(client, "/")},
                       files={"workbook": (out.name, out.read_bytes())})
    assert "核验通过" in page.text


def test_the_treasurer_sees_whom_to_chase_with_the_last_preparer_and_the_codes(desk):
    client, _, _, codes = desk
    _sign_in(client, codes["clerk"])
    _send(client, FH01_DUES)
    client.post("/logout", data={"csrf": _csrf(client, "/")})
    _sign_in(client, codes["treasurer"])
    home = client.get("/?format=json").json()
    chase = {c["code"]: c for c in home["chase"]}
    assert "dues" not in chase["FH01"]["missing"] and "roster" in chase["FH01"]["missing"]
    assert chase["FH01"]["preparer"] and chase["FH01"]["phone"]  # from the dues file's header
    assert len(chase) == 10 and [g["role"] for g in home["codes"]] == ["clerk", "treasurer"]
    assert all("code" not in g and "code_sha256" not in g for g in home["codes"])
    assert "催报" in client.get("/").text


def test_a_file_that_kills_its_worker_is_refused_and_the_desk_goes_on(desk, monkeypatch):
    """A reader that aborts its process (a native crash) breaks the worker pool: the upload is
    refused as unreadable and the next one is checked in a new pool."""
    import toolkit.web.work as work

    client, inbox, _, codes = desk
    _sign_in(client, codes["clerk"])
    app_desk = client.app.state.desk
    real = app_desk.run
    calls = []

    async def dying(function, *args):
        calls.append(function)
        if len(calls) == 1:
            from concurrent.futures.process import BrokenProcessPool
            raise BrokenProcessPool("a worker died")
        return await real(function, *args)
    monkeypatch.setattr(app_desk, "run", dying)
    first = _send(client, FH01_DUES, json=True).json()["uploads"][0]
    assert first["refused"] == "web.refused_unreadable" and first["stored"] is None
    second = _send(client, FH01_DUES, json=True).json()["uploads"][0]
    assert second["refused"] is None and len(list(inbox.iterdir())) == 1
    assert calls == [work.take_upload, work.take_upload]


@pytest.mark.skipif(not (CORPUS / "qax-os+excelize" / "encryptAES.xlsx").exists(),
                    reason="shared/corpus is not beside the project")
def test_a_password_protected_file_is_refused_with_what_to_do(desk):
    client, inbox, _, codes = desk
    _sign_in(client, codes["clerk"])
    locked = CORPUS / "qax-os+excelize" / "encryptAES.xlsx"
    reply = _send(client, locked, json=True).json()["uploads"][0]
    assert reply["refused"] == "web.refused_unreadable" and reply["stored"] is None
    page = client.get(f"/result/{reply['id']}").text
    assert "文件有密码" in page and "取消文件密码" in page  # what, and how to fix it
    assert list(inbox.iterdir()) == []
