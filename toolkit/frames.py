"""A consolidation as pandas DataFrames, and as Parquet or CSV files, for analysts.

Reading the consolidated workbook back with pandas counts every money column three times (the
小计 and 合计 rows sit inside the data); these frames hold the detail rows only, typed: money as
an exact decimal (pyarrow ``decimal128(18, 2)``), dates as dates, counts as integers, text as
text, with the columns the privacy settings mask shown masked and their keyed hashes beside
them. Needs the ``analysis`` extra (``pip install unionkit[analysis]``: pandas and pyarrow).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from .config import FederationConfig, load_config
from .consolidate import Consolidation, consolidate
from .consolidate.formulas import summary_columns
from .findings import row_status
from .messages import say, words
from .privacy import hashed, masked_columns, shown
from .spec import load_spec, measures, template_ids

try:
    import pandas as pd
    import pyarrow as pa
except ImportError:  # the analysis extra is not installed: said when a frame is asked for
    pd = pa = None

W = words("workbook", "zh")
#: The arrow type of each kind of column.
_ARROW = {"money": 2, "points": 2, "share": 4, "int": "int64", "date": "date32"}
FORMATS = ("parquet", "csv")


def needs_pandas() -> None:
    """Raise, saying what to install, when the analysis extra is missing."""
    if pd is None:
        from .errors import UsageError

        raise UsageError("analysis_missing")


def frames(source: Path | str | Consolidation, config: FederationConfig | None = None,
           period: str | None = None) -> dict[str, Any]:
    """One DataFrame per template keyed by its Chinese title (会员名册 …), plus 汇总 and
    问题清单: the inbox ``source`` consolidated for ``period`` (None: the latest), or a
    :class:`~toolkit.consolidate.Consolidation` made with ``keep_records=True``."""
    needs_pandas()
    if isinstance(source, Consolidation):
        result = source
        if not result.kept_records:
            raise ValueError("frames() needs the rows: consolidate(..., keep_records=True), "
                             "or pass the inbox")
    else:
        result = consolidate(Path(source), config or load_config(), period, keep_records=True)
    out = {load_spec(t).title: _detail(result, t) for t in template_ids()}
    out[W["summary"]] = _summary(result)
    out[W["findings"]] = _findings(result)
    return out


def _arrow(kind: str) -> Any:
    spec = _ARROW.get(kind, "string")
    if isinstance(spec, int):  # a decimal of that many places
        return pa.decimal128(18, spec)
    return {"int64": pa.int64(), "date32": pa.date32(), "string": pa.string()}[spec]


def _typed(value: Any, kind: str) -> Any:
    """A cell as its column's arrow type holds it (a value that did not read: missing)."""
    if value is None or value == "":
        return None
    if isinstance(_ARROW.get(kind), int):
        return value if isinstance(value, Decimal) else None
    if kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "date":
        return value if hasattr(value, "year") else None
    return str(value)


def _frame(columns: dict[str, tuple[str, list[Any]]]) -> Any:
    """A DataFrame of (kind, values) columns, each of its arrow type."""
    table = pa.table({name: pa.array([_typed(v, kind) for v in values], type=_arrow(kind))
                      for name, (kind, values) in columns.items()})
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _detail(result: Consolidation, template: str) -> Any:
    """A template's detail rows from every chosen file, in the workbook's order, with 分会代码,
    来源文件, 来源行 and 状态; no 小计 or 合计."""
    from .consolidate.workbook import row_codes

    spec, privacy = load_spec(template), result.privacy
    hidden = {c.key for c in masked_columns(spec, privacy)}
    kinds = {c.key: _kind(c.type) for c in spec.columns}
    cols: dict[str, tuple[str, list[Any]]] = {W["col_code"]: ("text", [])}
    cols.update({c.label: (kinds[c.key], []) for c in spec.columns})
    hashes = {c.key: say("workbook.col_keyed", "zh", label=c.label)
              for c in masked_columns(spec, privacy)}
    cols.update({label: ("text", []) for label in hashes.values()})
    for head, kind in ((W["source_file"], "text"), (W["source_row"], "int"),
                       (W["status"], "text")):
        cols[head] = (kind, [])
    for (branch, t), report in sorted(result.chosen.items()):
        if t != template:
            continue
        status = row_codes(report)
        for rec in report.load_records():
            cols[W["col_code"]][1].append(branch)
            for c in spec.columns:
                value = rec.get(c.key)
                cols[c.label][1].append(shown(value, c, privacy) if c.key in hidden else value)
            for key, label in hashes.items():
                cols[label][1].append(hashed(rec.get(key), privacy))
            cols[W["source_file"]][1].append(report.path)
            cols[W["source_row"]][1].append(rec.row + 1)
            cols[W["status"]][1].append(status(rec.row + 1) or row_status(()))
    return _frame(cols)


def _kind(column_type: str) -> str:
    """The frame kind of a spec column type (an ID, a mobile, an enum: text)."""
    return column_type if column_type in _ARROW else "text"


def _summary(result: Consolidation) -> Any:
    """汇总: one row per branch, its figures typed; a figure from a form it did not send is
    missing (never 0)."""
    cols: dict[str, tuple[str, list[Any]]] = {}
    for key, label, kind in summary_columns(measures()):
        cols[label] = (kind if kind in _ARROW else "share" if kind == "pct" else "text",
                       [None if s.missing_figure(key) else _figure(s, key)
                        for s in result.summaries])
    return _frame(cols)


def _figure(s: Any, key: str) -> Any:
    """A 汇总 figure as the workbook's formulas make it."""
    if key == "submitted":
        return sum(s.submitted.values())
    if key == "share":
        return (Decimal(s.activists) / s.members).quantize(Decimal("0.0001")) if s.members \
            else None
    return s.figure(key)


def _findings(result: Consolidation) -> Any:
    """问题清单 as the workbook lists it, with each finding's fix and code."""
    from .consolidate.workbook import FINDINGS_HEADS, findings_rows

    heads = [*FINDINGS_HEADS, W["col_fix"], W["col_finding_code"]]
    rows = [[*row, f.fix(), f.code] for row, f in findings_rows(result)]
    return _frame({head: ("text", [r[i] for r in rows]) for i, head in enumerate(heads)})


def export(frames_by_name: dict[str, Any], out: Path, fmt: str,
           sources: list[tuple[str, str]]) -> list[Path]:
    """Each frame as ``out/<name>.parquet`` (or ``.csv``, UTF-8 with a BOM so Excel opens it
    right), and ``manifest.json``: the SHA-256 of every source and every file written."""
    from .atomic import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames_by_name.items():
        path = out / f"{name}.{fmt}"
        with atomic_path(path) as tmp:
            if fmt == "parquet":
                import pyarrow.parquet as pq

                pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
            else:
                frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        written.append(path)
    manifest = {"tool": "unionkit", "format": fmt,
                "sources": [{"path": p, "sha256": h} for p, h in sources],
                "outputs": [{"path": p.name, "sha256": hashlib.sha256(p.read_bytes())
                             .hexdigest()} for p in written]}
    with atomic_path(out / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return [*written, out / "manifest.json"]
