"""Shared paths and helpers for the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
INBOX = SAMPLE / "inbox"
CORPUS = ROOT.parent / "shared" / "corpus"


#: The key of the sample's tests (a real federation's is random, beside its register).
TEST_KEY = b"unionkit tests: not a real federation key"


@pytest.fixture(scope="session")
def sample_config():
    """The sample's configuration, with a fixed key: its keyed hashes (the workbook's hidden
    columns) are the same in every test, so workbooks made in two tests are byte-identical."""
    from toolkit.config import load_config
    from toolkit.privacy import with_key

    return with_key(load_config(SAMPLE / "federation.toml"), TEST_KEY)


@pytest.fixture(autouse=True)
def register_in_tmp(tmp_path, monkeypatch):
    """CLI runs record into a register under the test's tmp folder, never beside the sample."""
    from toolkit import register

    path = tmp_path / "register" / "unionkit.db"
    monkeypatch.setattr(register, "default_path", lambda config: path)
    return path
