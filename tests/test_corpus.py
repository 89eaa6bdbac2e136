"""Every real-world file in ../shared/corpus gets a clear answer, never an exception."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from toolkit.config import load_config
from toolkit.findings import catalog
from toolkit.validate import validate_file

MANIFEST = CORPUS / "MANIFEST.tsv"
FILES = ([row["path"] for row in csv.DictReader(MANIFEST.open(encoding="utf-8"), delimiter="\t")]
         if MANIFEST.exists() else [])
EXPECTED = {
    "SheetJS+test_files/password_2002_40_xor.xls": "file_encrypted",
    "SheetJS+test_files/password_2002_128_strong.xls": "file_encrypted",
    "qax-os+excelize/encryptAES.xlsx": "file_encrypted",
    "tafia+calamine/pass_protected.xlsx": "file_encrypted",
    "tafia+calamine/pass_protected.ods": "file_encrypted",
    "tafia+calamine/issue_594_dos.ods": "file_too_large",
    "SheetJS+test_files/minimal_112.numbers": "file_unsupported_format",
    "SheetJS+test_files/wps_write.xml": "file_unsupported_format",
    "python-excel+xlrd/biff4_no_format_no_window2.xls": "file_unsupported_format",
    "apache+poi/fuzz-truncated-no-central-dir.xlsx": "file_corrupt",
    "dimastbk+python-calamine/empty_file.xlsx": "file_corrupt",
    "apache+poi/poc-xmlbomb.xlsx": "file_corrupt",
    "tafia+calamine/too_small.xls": "file_not_spreadsheet",
    "apache+poi/empty.xls": "file_empty",
}
pytestmark = pytest.mark.skipif(not FILES, reason="shared/corpus is not beside the project")


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_gets_a_clear_answer(name):
    report = validate_file(CORPUS / name, load_config(), name)
    assert report.status in ("unreadable", "unrecognized")
    assert report.findings, "a refused file must say why"
    first = report.findings[0]
    assert catalog()[first.code].level == "file"
    assert first.message("zh") and first.message("en")
    if name in EXPECTED:
        assert first.code == EXPECTED[name]


def test_manifest_lists_every_file():
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()
               and p.parent.name != "LICENSES" and p.parent != CORPUS}
    assert on_disk == set(FILES)


def test_lock_files_are_refused(tmp_path: Path):
    lock = tmp_path / "~$会员名册.xlsx"
    lock.write_bytes(b"\x00" * 165)
    report = validate_file(lock, load_config())
    assert (report.status, report.findings[0].code) == ("unreadable", "lock_file")


@pytest.mark.parametrize("name", FILES)
def test_verify_refuses_every_corpus_file_clearly(name):
    """None of these was made by unionkit: verify says so (exit 2), never a traceback."""
    from click.testing import CliRunner

    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["verify", str(CORPUS / name)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("unionkit: ") and "Traceback" not in result.output
