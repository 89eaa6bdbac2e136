"""The hostile corpus (tests/fuzz.py): no crash, no hang, no input changed, nothing mutilated
read as ok, and the federation's workbook still written and verified beside the mutants."""

from __future__ import annotations

import hashlib
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import INBOX, SAMPLE
from tests.fuzz import mutants
from toolkit.config import load_config
from toolkit.validate import validate_parts

CONFIG = SAMPLE / "federation.toml"
#: Damage a reader must always see (a byte flipped in an .xls can land where nothing reads it).
NEVER_OK = {"byte_flips", "truncated", "declared_strings"}
SECONDS_PER_FILE = 10
MEMORY_LIMIT = 3 * 1024**3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[str, Path]]:
    return list(mutants(tmp_path_factory.mktemp("fuzz")))


def test_corpus_is_deterministic(corpus, tmp_path):
    again = list(mutants(tmp_path))
    assert [(k, p.name, p.read_bytes()) for k, p in again] == [
        (k, p.name, p.read_bytes()) for k, p in corpus]
    assert len(corpus) >= 100


def test_every_mutant_gets_an_answer_in_time(corpus):
    config = load_config(CONFIG)
    for kind, path in corpus:
        before = path.read_bytes()
        started = time.monotonic()
        reports = validate_parts(path, config)
        assert time.monotonic() - started < SECONDS_PER_FILE, path.name
        assert path.read_bytes() == before, path.name
        for report in reports:
            assert report.status in ("ok", "warnings", "errors", "unreadable", "unrecognized")
            for f in report.findings:
                assert f.message("zh") and f.message("en")
            if kind in NEVER_OK and not path.name.endswith(".xls"):
                assert report.status != "ok", (kind, path.name)


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _sha(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _unionkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from toolkit.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=600, preexec_fn=_limited)


def test_the_federation_closes_with_the_mutants_in_its_inbox(corpus, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    for _, path in corpus:
        shutil.copy(path, inbox / path.name)
    before = _sha(inbox)
    out = tmp_path / "out" / "w.xlsx"
    result = _unionkit("consolidate", str(inbox), "--config", str(CONFIG), "--out", str(out),
                       "--period", "2026-10", "--no-register", "--workers", "2")
    assert result.returncode in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert _sha(inbox) == before
    assert out.is_file()
    verified = _unionkit("verify", str(out), "--config", str(CONFIG))
    assert verified.returncode == 0, verified.stdout + verified.stderr
