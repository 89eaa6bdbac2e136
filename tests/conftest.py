"""Shared paths and helpers for the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
INBOX = SAMPLE / "inbox"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def sample_config():
    from toolkit.config import load_config

    return load_config(SAMPLE / "federation.toml")


@pytest.fixture(autouse=True)
def register_in_tmp(tmp_path, monkeypatch):
    """CLI runs record into a register under the test's tmp folder, never beside the sample."""
    from toolkit import register

    path = tmp_path / "register" / "unionkit.db"
    monkeypatch.setattr(register, "default_path", lambda config: path)
    return path
