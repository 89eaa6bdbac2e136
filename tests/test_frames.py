"""The analyst's API (docs/api.md): ``toolkit.frames`` against an independent read of the
sample files, exports that round-trip through pyarrow and pandas with reproducible bytes, and
the public functions of ``import toolkit``."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from click.testing import CliRunner

import toolkit
from tests.conftest import INBOX, SAMPLE
from toolkit.spec import load_spec, template_ids

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
CONFIG = SAMPLE / "federation.toml"


@pytest.fixture(scope="module")
def tables(sample_config):
    result = toolkit.consolidate(INBOX, sample_config, keep_records=True)
    return result, toolkit.frames(result)


def _money(value) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "")) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _independent(path: Path, template: str) -> tuple[int, dict[str, Decimal]]:
    """(data rows, each money column's sum) of one file read with python-calamine alone: the
    row holding every required label is the header; data rows run to the first blank 序号
    cell with no name, skipping 合计/小计 rows."""
    import python_calamine

    spec = load_spec(template)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(next(n for n in book.sheet_names if not n.startswith("_")
                                       and n not in ("填表说明",))).to_python()
    labels = {name: c for c in spec.columns for name in (c.label, *c.aliases)}
    head = next(i for i, r in enumerate(rows) if sum(str(v).strip() in labels for v in r) >= 3)
    cols = {labels[str(v).strip()].key: j for j, v in enumerate(rows[head])
            if str(v).strip() in labels}
    money = [c.key for c in spec.columns if c.type == "money" and c.key in cols]
    count, sums = 0, dict.fromkeys(money, Decimal(0))
    for r in rows[head + 1:]:
        text = "".join(str(v) for v in r).strip()
        if not text:
            continue
        if re.search(r"合\s*计|小\s*计|填表人|说明|注[:：]", text):
            continue
        count += 1
        for key in money:
            value = _money(r[cols[key]] if cols[key] < len(r) else None)
            sums[key] += value or 0
    return count, sums


def test_frames_equal_an_independent_read_of_the_sample(tables):
    result, frames = tables
    assert set(frames) == {*(load_spec(t).title for t in template_ids()), "汇总", "问题清单"}
    for template in ("dues", "ledger"):
        spec, frame = load_spec(template), frames[load_spec(template).title]
        chosen = [f for (_, t), f in sorted(result.chosen.items()) if t == template]
        expected_rows, expected = 0, {}
        for f in chosen:
            n, sums = _independent(INBOX / f.path, template)
            expected_rows += n
            for key, total in sums.items():
                expected[key] = expected.get(key, Decimal(0)) + total
        assert len(frame) == expected_rows
        for c in spec.columns:
            if c.type == "money":
                assert frame[c.label].dtype == pd.ArrowDtype(pa.decimal128(18, 2))
                assert Decimal(str(frame[c.label].sum())) == expected[c.key], c.label
        assert not frame["分会代码"].str.contains("小计|合计").any()
    dues = frames["会费收缴"]
    assert Decimal(str(dues["实缴会费"].sum())) == Decimal("46444.60")  # not three times it
    assert len(frames["会员名册"]) == sum(f.rows for (_, t), f in result.chosen.items()
                                      if t == "roster")


def test_frames_carry_provenance_status_masking_and_dates(tables):
    _, frames = tables
    roster = frames["会员名册"]
    assert {"分会代码", "来源文件", "来源行", "状态", "证件号码（密钥摘要）"} <= set(roster.columns)
    assert roster["证件号码"].dropna().str.fullmatch(r"\d{6}\*+\d{3}[\dX]").all()
    assert roster["证件号码（密钥摘要）"].dropna().str.fullmatch(r"[0-9a-f]{16}").all()
    assert str(roster["入会日期"].dtype).startswith("date32")
    assert (roster["状态"] != "通过").sum() > 0 and (roster["状态"] == "通过").sum() > 1000
    summary = frames["汇总"]
    assert len(summary) == 10 and summary["期末余额"].isna().sum() == 1  # FH07 sent no ledger
    assert len(frames["问题清单"]) == 24


def test_export_round_trips_and_is_reproducible(tmp_path):
    import pyarrow.parquet as pq

    runner = CliRunner()
    for fmt in ("parquet", "csv"):
        for out in (tmp_path / f"{fmt}1", tmp_path / f"{fmt}2"):
            done = runner.invoke(_cli(), ["export", str(INBOX), "--format", fmt, "--out",
                                          str(out), "--config", str(CONFIG)])
            assert done.exit_code == 0, done.output
        first, second = tmp_path / f"{fmt}1", tmp_path / f"{fmt}2"
        assert [p.read_bytes() for p in sorted(first.iterdir())] == \
            [p.read_bytes() for p in sorted(second.iterdir())]
        manifest = json.loads((first / "manifest.json").read_text("utf-8"))
        assert len(manifest["sources"]) == 43
        for entry in manifest["outputs"]:
            assert hashlib.sha256((first / entry["path"]).read_bytes()).hexdigest() == \
                entry["sha256"]
    dues = pq.read_table(tmp_path / "parquet1" / "会费收缴.parquet")
    assert dues.schema.field("实缴会费").type == pa.decimal128(18, 2)
    assert str(pd.read_parquet(tmp_path / "parquet1" / "会费收缴.parquet")["实缴会费"].sum()) \
        == "46444.60"
    raw = (tmp_path / "csv1" / "会费收缴.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 with a BOM right
    assert pd.read_csv(tmp_path / "csv1" / "会费收缴.csv", encoding="utf-8-sig",
                       dtype=str)["实缴会费"].map(Decimal).sum() == Decimal("46444.60")


def _cli():
    from toolkit.cli import cli

    return cli


def test_the_public_functions(tmp_path, sample_config):
    report = toolkit.validate(INBOX, sample_config)
    assert report.errors == 13
    result = toolkit.consolidate(INBOX, sample_config)
    out = tmp_path / "汇总.xlsx"
    digest = toolkit.write_workbook(result, out, sample_config)
    assert len(digest) == 64
    assert toolkit.verify(out, sample_config).errors == 0
    assert toolkit.load_config(CONFIG).name == sample_config.name
    from toolkit.consolidate.workbook import write_workbook  # the stage, by its full name

    assert callable(write_workbook) and callable(toolkit.consolidate)
    with pytest.raises(ValueError, match="keep_records"):
        toolkit.frames(result)


def test_the_examples_of_docs_api_run(tmp_path, monkeypatch):
    """Every Python block of docs/api.md, run in order in a folder holding the sample."""
    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    (tmp_path / "sample_data").symlink_to(SAMPLE)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    for block in blocks:
        exec(compile(block, "docs/api.md", "exec"), scope)  # our own docs, in order


def test_export_without_the_analysis_extra_says_what_to_install(tmp_path, monkeypatch):
    import importlib

    monkeypatch.setattr(importlib.import_module("toolkit.frames"), "pd", None)
    done = CliRunner().invoke(_cli(), ["export", str(INBOX), "--out", str(tmp_path / "x"),
                                       "--config", str(CONFIG)])
    assert done.exit_code == 2 and "unionkit[analysis]" in done.stderr
