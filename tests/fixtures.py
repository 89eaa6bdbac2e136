"""One-defect fixtures: a clean sample file, one change, written with the template writer.

Each fixture starts from a branch file the sample federation generates without planted
mistakes, applies exactly one defect, and returns the flattened findings (sheet, cell, code).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from pathlib import Path

from tests.accounting import assert_accounted
from tests.conftest import SAMPLE
from toolkit.config import load_config
from toolkit.sample import build_sample
from toolkit.sample.federation import FilePlan
from toolkit.templates import write_template
from toolkit.validate import validate_file

#: Clean files of the sample (no planted mistake in these).
CLEAN = {"roster": "FH07_技术中心分会_会员名册_2026-10.xlsx",
         "dues": "FH07_技术中心分会_会费收缴_2026-10.xlsx",
         "ledger": "FH02_二车间分会_经费收支账_2026-10.xlsx",
         "assessment": "FH01_一车间分会_考核评分_2026.xlsx"}


@cache
def config():
    return load_config(SAMPLE / "federation.toml")


@cache
def _plans() -> dict[str, FilePlan]:
    return {p.name: p for p in build_sample(config()).files}


def plan(template: str) -> FilePlan:
    return copy.deepcopy(_plans()[CLEAN[template]])


def findings(path: Path) -> set[tuple[str | None, str | None, str]]:
    report = validate_file(path, config())
    assert_accounted(report)
    return {(f.sheet, f.cell, f.code) for f in report.findings}


def case(tmp_path: Path, template: str, defect: Callable[[FilePlan], object],
         name: str = "case.xlsx") -> tuple[FilePlan, set]:
    p = plan(template)
    defect(p)
    path = write_template(p.spec, config(), tmp_path / name, p.header, p.rows, p.layout)
    return p, findings(path)
