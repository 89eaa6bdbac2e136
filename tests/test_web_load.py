"""Fifty uploads from ten branches at once against a real ``unionkit serve``: every one
answered and recorded once, the register whole, the inbox holding exactly the files taken."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.conftest import INBOX, SAMPLE
from tests.desk import post_upload, serving
from toolkit.register import Register

CONFIG = SAMPLE / "federation.toml"


def test_fifty_uploads_from_ten_branches_at_once(tmp_path):
    inbox, db = tmp_path / "inbox", tmp_path / "unionkit.db"
    inbox.mkdir()
    files = sorted(INBOX.glob("FH*.xlsx"))
    branches = sorted({p.name[:4] for p in files})
    with Register(db) as register:
        codes = {b: register.grant("clerk", b)[1] for b in branches}
    jobs = [(p.name[:4], p, p.name) for _ in range(2) for p in files][:50]  # names repeat
    with serving(inbox, CONFIG, db, workers=2) as url, ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda job: post_upload(url, codes[job[0]], job[1], job[2]), jobs))
    assert len(answers) == 50 and all(status in (200, 422) for status, _ in answers), answers
    taken = sorted(a["upload"]["stored"] for status, a in answers if status == 200)
    assert sorted(p.name for p in inbox.iterdir()) == taken and len(set(taken)) == len(taken)
    with Register(db) as register:
        assert register.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert len(register.uploads()) == 50
        assert sorted(u["stored"] for u in register.uploads() if u["stored"]) == taken
