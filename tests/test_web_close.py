"""The period close from the desk (in process): the treasurer starts it, its page shows the
progress and then the workbook and report; auditors follow and download; clerks cannot. The
API's POST /api/consolidate and GET /api/consolidations/ID; one close at a time; a close that
cannot run, is refused by --strict, or was cut off by a restart says so. Demo mode."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest
from starlette.testclient import TestClient

from tests.conftest import INBOX, SAMPLE
from toolkit.register import Register
from toolkit.web import create_app

CONFIG = SAMPLE / "federation.toml"


@pytest.fixture
def closing(tmp_path):
    """A desk over a copy of the sample inbox, with a treasurer, an auditor and a clerk."""
    inbox, db = tmp_path / "inbox", tmp_path / "desk" / "unionkit.db"
    shutil.copytree(INBOX, inbox)
    db.parent.mkdir()
    with Register(db) as register:
        codes = {role: register.grant(role, "FH01" if role == "clerk" else None)[1]
                 for role in ("treasurer", "auditor", "clerk")}
    app = create_app(CONFIG, inbox, db, secret="test")
    with TestClient(app) as client:
        yield client, db, codes


def _bearer(code):
    return {"Authorization": f"Bearer {code}"}


def _csrf(client, url="/"):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)


def _sign_in(client, code):
    client.post("/login", data={"code": code, "csrf": _csrf(client, "/login")})


def _finished(client, url, headers=None, seconds=120):
    """A close's state once it is no longer running (polled as a page refreshing would)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(url, headers=headers or {}).json()
        if state["state"] != "running":
            return state
        time.sleep(0.3)
    raise AssertionError(f"the close did not finish: {state}")


def test_the_treasurer_closes_the_period_and_downloads_what_verifies(closing, tmp_path):
    from toolkit.config import load_config
    from toolkit.verify import verify_workbook

    client, db, codes = closing
    _sign_in(client, codes["treasurer"])
    home = client.get("/")
    assert 'id="close-form"' in home.text and "开始汇总" in home.text
    started = client.post("/consolidate", data={"csrf": _csrf(client), "period": "2026年10月"},
                          follow_redirects=False)
    assert started.status_code == 303
    page_url = started.headers["location"]
    running = client.get(page_url)
    assert running.status_code == 200 and "汇总本期" in running.text
    state = _finished(client, page_url + "?format=json")
    assert state["state"] == "done" and state["period"] == "2026-10"
    assert (state["files"], state["missing"], state["superseded"], state["errors"]) == \
        (42, 1, 1, 13)
    assert state["done"] == state["total"] == 43 and state["percent"] == 100
    page = client.get(page_url).text
    assert "汇总报表 42 份，未报送 1 项" in page and 'http-equiv="refresh"' not in page
    workbook = client.get(state["workbook"])
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert "filename*=UTF-8''2026-10_%E6%B1%87%E6%80%BB.xlsx" in \
        workbook.headers["content-disposition"]
    out = tmp_path / "下载.xlsx"
    out.write_bytes(workbook.content)
    assert verify_workbook(out, load_config(CONFIG)).errors == 0
    from toolkit.render.html import script_hash

    report = client.get(state["report"])
    policy = report.headers["content-security-policy"]
    assert report.status_code == 200 and "FH01" in report.text
    assert f"script-src {script_hash()}" in policy and "unsafe-inline'" not in policy.split(
        "script-src")[1]  # its own script, by hash, and nothing else
    with Register(db) as register:  # recorded as the CLI's close is: the matrix's history
        assert register.periods() == ["2026-10"]
    listed = client.get("/?format=json").json()["closes"]
    assert [c["id"] for c in listed] == [state["id"]] and listed[0]["workbook"]


def test_auditors_follow_and_download_clerks_do_not_and_only_the_treasurer_starts(closing):
    client, _, codes = closing
    for role in ("auditor", "clerk"):
        assert client.post("/api/consolidate", headers=_bearer(codes[role])).status_code == 403
    assert client.post("/api/consolidate").status_code == 401
    started = client.post("/api/consolidate", headers=_bearer(codes["treasurer"]),
                          json={"period": "2026-10"})
    assert started.status_code == 202 and started.json()["started"] is True
    again = client.post("/api/consolidate", headers=_bearer(codes["treasurer"]))
    assert again.status_code == 409 and again.json()["id"] == started.json()["id"]
    url = started.json()["url"]
    assert client.get(url).status_code == 401
    assert client.get(url, headers=_bearer(codes["clerk"])).status_code == 403
    state = _finished(client, url, _bearer(codes["auditor"]))
    assert client.get(state["workbook"], headers=_bearer(codes["auditor"])).status_code == 200
    assert client.get(state["workbook"], headers=_bearer(codes["clerk"])).status_code == 403
    _sign_in(client, codes["auditor"])
    assert 'id="close-form"' not in client.get("/").text  # follows, does not start
    assert client.post("/consolidate", data={"csrf": _csrf(client)}).status_code == 403
    assert client.get(f"/consolidations/{state['id']}").status_code == 200
    for wrong in ("nope", "..%2F..%2Fetc", f"{state['id']}x"):
        assert client.get(f"/api/consolidations/{wrong}",
                          headers=_bearer(codes["auditor"])).status_code == 404
    assert client.get(f"/consolidations/{state['id']}/job.json").status_code == 404


def test_a_strict_close_with_errors_publishes_nothing_and_says_why(closing):
    client, _, codes = closing
    treasurer = _bearer(codes["treasurer"])
    started = client.post("/api/consolidate", headers=treasurer, data={"strict": "1"}).json()
    state = _finished(client, started["url"], treasurer)
    assert state["state"] == "refused" and state["workbook"] is None and state["report"]
    assert state["used_errors"] == 13
    _sign_in(client, codes["treasurer"])
    assert "没有生成汇总表" in client.get(f"/consolidations/{state['id']}").text
    assert client.get(f"/consolidations/{state['id']}/workbook").status_code == 404


def test_a_close_that_cannot_run_says_why_in_both_languages(closing):
    client, _, codes = closing
    treasurer = _bearer(codes["treasurer"])
    started = client.post("/api/consolidate", headers=treasurer,
                          json={"period": "不是一个月份"}).json()
    state = _finished(client, started["url"], treasurer)
    assert state["state"] == "failed" and state["workbook"] is None
    assert re.search(r"[\u4e00-\u9fff]", state["failed"])
    english = client.get(started["url"] + "?lang=en", headers=treasurer).json()["failed"]
    assert english != state["failed"] and "not a month" in english


def test_a_close_cut_off_by_a_restart_is_shown_as_not_finished(tmp_path):
    db = tmp_path / "unionkit.db"
    folder = tmp_path / "desk-closes" / "20261203-010203-abcdef"
    folder.mkdir(parents=True)
    (folder / "job.json").write_text(json.dumps({
        "id": folder.name, "state": "running", "stage": "reading", "done": 3, "total": 40,
        "started": "2026-12-03T01:02:03"}), "utf-8")
    with Register(db) as register:
        _, auditor = register.grant("auditor")
    (tmp_path / "inbox").mkdir()
    with TestClient(create_app(CONFIG, tmp_path / "inbox", db, secret="t")) as client:
        state = client.get(f"/api/consolidations/{folder.name}", headers=_bearer(auditor)).json()
    assert state["state"] == "failed" and "被停止" in state["failed"]


def test_demo_mode_fills_its_own_inbox_and_gives_fresh_codes(tmp_path):
    from toolkit.config import load_config
    from toolkit.register import period_matrix
    from toolkit.web.demo import demo_inbox, prepare_demo

    db = tmp_path / "unionkit.db"
    inbox = demo_inbox(db)
    config = load_config(CONFIG)
    first = prepare_demo(config, inbox, db)
    assert [(role, branch) for role, branch, _ in first] == [
        ("clerk", "FH01"), ("treasurer", None), ("auditor", None)]
    assert sorted(p.name for p in inbox.iterdir()) == sorted(p.name for p in INBOX.iterdir())
    with Register(db) as register:  # the sample's period is on the matrix from the start
        matrix = period_matrix(register, config, register.periods()[-1])
        assert matrix["period"] == "2026-10"
        assert matrix["branches"][6]["slots"]["ledger"]["status"] == "missing"
    second = prepare_demo(config, inbox, db)
    with Register(db) as register:
        assert all(register.signed_in(code) is None for _, _, code in first)
        assert all(register.signed_in(code) for _, _, code in second)
        assert len(register.grants()) == 6


def test_serve_needs_an_inbox_or_the_demo_and_a_port_it_can_listen_on(tmp_path):
    import socket

    from click.testing import CliRunner

    from toolkit.cli import cli

    no_inbox = CliRunner().invoke(cli, ["serve", "--config", str(CONFIG)])
    assert no_inbox.exit_code == 2 and "--inbox" in no_inbox.stderr
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        taken = CliRunner().invoke(cli, ["serve", "--inbox", str(tmp_path), "--port",
                                         str(port), "--config", str(CONFIG), "--lang", "en"])
    assert taken.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in taken.stderr


def test_a_sign_in_link_fills_the_code_in_and_signing_in_stays_a_post(closing):
    client, _, codes = closing
    page = client.get(f"/login?code={codes['clerk']}")
    assert f'value="{codes["clerk"]}"' in page.text
    assert client.get("/", follow_redirects=False).status_code == 303  # not signed in by GET
