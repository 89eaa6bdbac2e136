"""Cell-level reading of the table: every cell parsed by its field's type, every problem found.

This is the generic part of validation — it needs only the spec. A failed conversion records
its finding and leaves the value None, so later checks never see a half-read value and the
other checks of the row still run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from ..ids import mobile_valid, resident_id_shape_ok, resident_id_valid
from ..memo import Memos
from ..read.normalize import (
    BadValue,
    clean_text,
    is_blank,
    parse_date,
    parse_decimal,
    parse_int,
    parse_money,
    parse_period,
    parse_yesno,
)
from ..spec import PERIOD_KINDS, Field, enumerations
from .context import Record, SheetContext, TotalRow

NOTE_PREFIXES = ("注", "说明", "备注：", "备注:", "附注", "填表说明", "制表", "审核", "负责人")
HINT_WORDS = ("必填", "选填", "格式", "填写", "示例", "如：", "例：", "下拉")


def _text(value: Any) -> str:
    return clean_text(value)


def _id_number(field: Field, raw: Any, setting: Setting) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise BadValue("id_as_number")
    text = _text(raw).upper()
    if not resident_id_shape_ok(text):
        raise BadValue("id_format")
    if not resident_id_valid(text):
        raise BadValue("id_checksum")
    return text


def _mobile(field: Field, raw: Any, setting: Setting) -> str:
    text = _text(raw).replace("-", "").replace(" ", "")
    if not mobile_valid(text):
        raise BadValue("mobile_format")
    return text


def _points(field: Field, raw: Any, setting: Setting) -> Decimal:
    points = parse_decimal(raw)
    return points.quantize(Decimal(1)) if points == points.to_integral_value() else points


def _enum(field: Field, raw: Any, setting: Setting) -> str:
    text = _text(raw)
    allowed = setting.accounts if field.enum == "accounts" else enumerations()[field.enum]
    if text not in allowed:
        raise BadValue("account_unknown" if field.enum == "accounts" else "not_in_list")
    return text


@dataclass(frozen=True)
class Setting:
    """What reading a cell depends on besides the cell and its field: the file's date system,
    the template's kind of period, the federation's chart of accounts."""

    date1904: bool
    period: str
    accounts: frozenset[str]

    @classmethod
    def of(cls, ctx: SheetContext) -> Setting:
        return cls(ctx.located.sheet.date1904, ctx.spec.period, frozenset(ctx.config.accounts))


#: One parser per field type (spec.FIELD_TYPES); each raises BadValue with the finding code.
_PARSERS: dict[str, Callable[[Field, Any, Setting], Any]] = {
    "text": lambda field, raw, setting: _text(raw),
    "branch_code": lambda field, raw, setting: _text(raw).upper(),
    "id_number": _id_number,
    "mobile": _mobile,
    "int": lambda field, raw, setting: parse_int(raw),
    "money": lambda field, raw, setting: parse_money(raw),
    "points": _points,
    "date": lambda field, raw, setting: parse_date(raw, setting.date1904),
    "yesno": lambda field, raw, setting: parse_yesno(raw),
    "period": lambda field, raw, setting: parse_period(raw, setting.period),
    "enum": _enum,
}


def check_range(field: Field, value: Any) -> tuple[str, Decimal] | None:
    if not isinstance(value, int | Decimal):
        return None
    if field.min is not None and value < field.min:
        return "below_min", field.min
    if field.max is not None and value > field.max:
        return "above_max", field.max
    return None


def _bad_params(exc: BadValue, field: Field, ctx: SheetContext) -> dict[str, Any]:
    if exc.code == "bad_period":
        return {"expected": PERIOD_KINDS[ctx.spec.period]}
    return exc.params


def _shown(raw: Any) -> str:
    """A raw cell as Excel shows it (a number keeps Excel's 15 significant digits)."""
    if isinstance(raw, float):
        shown = Decimal(repr(raw))  # not money: how a stored double displays
        return str(int(shown)) if raw.is_integer() else str(shown)
    return clean_text(raw) if isinstance(raw, str) else str(raw)


def read_header(ctx: SheetContext) -> None:
    """Parse the header block; missing required values are findings at the label's value cell."""
    setting = Setting.of(ctx)
    for field in ctx.spec.header:
        found = ctx.located.header_values.get(field.key)
        if found is None or is_blank(found[0]):
            if field.required:
                ctx.report_header("header_missing", field.key)
            continue
        raw = found[0]
        try:
            ctx.header[field.key] = _PARSERS[field.type](field, raw, setting)
        except BadValue as exc:
            ctx.report_header(exc.code, field.key, _shown(raw), **_bad_params(exc, field, ctx))
    code = ctx.header.get("branch_code")
    if code and ctx.config.branches and ctx.config.branch(code) is None:
        ctx.report_header("branch_unknown", "branch_code", code)


def _row_kind(values: list[Any]) -> str:
    """data, blank, total, note or hint — from a row's non-blank cells."""
    for value in values:  # the usual data row starts with a number or a date: nothing to ask
        if value is not None:
            if value.__class__ is not str:
                return "data"
            break
    filled = [v for v in values if v is not None and (v.__class__ is not str or not is_blank(v))]
    if not filled:
        return "blank"
    first = _text(filled[0])
    if isinstance(filled[0], str) and first.replace(" ", "") in ("合计", "总计", "小计"):
        return "total"
    if len(filled) == 1 and isinstance(filled[0], str) and first.startswith(NOTE_PREFIXES):
        return "note"
    if all(isinstance(v, str) and any(w in v for w in HINT_WORDS) for v in filled):
        return "hint"
    return "data"


def read_table(ctx: SheetContext) -> None:
    """Parse every data row below the header row until the table ends.

    Rows are sorted out first (data, or the blank, hint, 合计 and note rows around it), then
    each column is parsed whole: this runs for every cell of a federation, and a column's
    distinct values are far fewer than its cells (see :func:`_parsed_column`).
    """
    located = ctx.located
    mapped = sorted(located.columns.items(), key=lambda kv: kv[1])
    rows = located.sheet.rows
    data: list[list[Any]] = []
    for r in range(located.header_row + 1, len(rows)):
        kind = _row_kind(rows[r])
        if kind in ("blank", "hint"):
            continue
        if kind == "total":
            ctx.total = TotalRow(r, {k: located.sheet.value(r, c) for k, c in mapped})
            break
        if kind == "note":
            break
        ctx.records.append(Record(r, {}))
        data.append(rows[r])
    missing, setting = located.sheet.formulas_without_value, Setting.of(ctx)
    for key, col in mapped:
        field = ctx.spec.column(key)
        raws = [row[col] if col < len(row) else None for row in data]
        if missing:  # formulas Excel never calculated: the cell has no value to read
            raws = [_NO_VALUE if (rec.row, col) in missing else raw
                    for rec, raw in zip(ctx.records, raws, strict=True)]
        values = _parsed_column(field, raws, setting)
        for record, value in zip(ctx.records, values, strict=True):
            record.values[key] = value
        for i in [i for i, value in enumerate(values) if value.__class__ is _Problem]:
            _report_cell(ctx, ctx.records[i], field, raws[i], values[i])
        if field.min is not None or field.max is not None:
            for record, value in zip(ctx.records, values, strict=True):
                if out_of_range := check_range(field, value):
                    ctx.report(out_of_range[0], record, key, value, expected=out_of_range[1])


class _Problem:
    """What a cell read as instead of a value: a finding code, and the parser's error."""

    __slots__ = ("code", "error")

    def __init__(self, code: str, error: BadValue | None = None) -> None:
        self.code, self.error = code, error


_BLANK, _NO_VALUE = _Problem("required_missing"), _Problem("formula_no_value")


_PARSED = Memos()  # (field, setting) → (type, cell) → value or problem; see _parsed_column


def _parsed_column(field: Field, raws: list[Any], setting: Setting) -> list[Any]:
    """A column's cells parsed: values, with a :class:`_Problem` where a cell is blank or wrong.

    A parser depends only on the cell, its field and the setting, so each distinct cell is
    parsed once — in this file and in the files this process reads next (:class:`Memos`). The
    type is part of the key: 1, 1.0 and True are equal keys but not equal cells.
    """
    return _PARSED.map((field, setting), partial(_parse_cell, field, setting),
                       zip(map(type, raws), raws, strict=True))


def _parse_cell(field: Field, setting: Setting, key: tuple[type, Any]) -> Any:
    raw = key[1]
    if raw is _NO_VALUE:
        return _NO_VALUE
    if raw is None or (raw.__class__ is str and is_blank(raw)):
        return _BLANK
    try:
        return _PARSERS[field.type](field, raw, setting)
    except BadValue as exc:
        return _Problem(exc.code, exc.with_traceback(None))  # kept: no frames with it


def _report_cell(ctx: SheetContext, record: Record, field: Field, raw: Any,
                 problem: _Problem) -> None:
    """The finding for a cell that did not read as a value; the record holds None there."""
    record.values[field.key] = None
    if problem.error is not None:
        ctx.report(problem.code, record, field.key, _shown(raw),
                   **_bad_params(problem.error, field, ctx))
        record.raw[field.key] = _shown(raw)  # kept as typed, for the consolidated sheets
    elif problem is _NO_VALUE or field.required:
        ctx.report(problem.code, record, field.key)


def check_unique(ctx: SheetContext) -> None:
    """Columns marked unique: the second and later occurrences are findings."""
    for field in ctx.spec.columns:
        if not field.unique or field.key not in ctx.located.columns:
            continue
        first: dict[Any, str] = {}
        for record in ctx.records:
            value = record.get(field.key)
            if value in (None, ""):
                continue
            if value in first:
                ctx.report("duplicate_value", record, field.key, value, first=first[value])
            else:
                first[value] = ctx.cell(record.row, field.key) or ""


def check_total_row(ctx: SheetContext) -> None:
    """A clerk's 合计 row is checked against the sum of the rows, never trusted."""
    if ctx.total is None:
        return
    for key in ctx.spec.totals:
        raw = ctx.total.values.get(key)
        if key not in ctx.located.columns or is_blank(raw):
            continue
        try:
            typed = parse_decimal(raw)
        except BadValue:
            typed = None
        computed = sum((r.get(key) or Decimal(0) for r in ctx.records), Decimal(0))
        if typed != computed:
            shown = f"{typed:.2f}" if typed is not None else _shown(raw)
            ctx.report("total_row_mismatch", ctx.total, key, shown, expected=f"{computed:.2f}")
