"""Cell-level reading of the table: every cell parsed by its field's type, every problem found.

This is the generic part of validation — it needs only the spec. A failed conversion records
its finding and leaves the value None, so later checks never see a half-read value and the
other checks of the row still run.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..ids import mobile_valid, resident_id_shape_ok, resident_id_valid
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


def _id_number(field: Field, raw: Any, ctx: SheetContext) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise BadValue("id_as_number")
    text = _text(raw).upper()
    if not resident_id_shape_ok(text):
        raise BadValue("id_format")
    if not resident_id_valid(text):
        raise BadValue("id_checksum")
    return text


def _mobile(field: Field, raw: Any, ctx: SheetContext) -> str:
    text = _text(raw).replace("-", "").replace(" ", "")
    if not mobile_valid(text):
        raise BadValue("mobile_format")
    return text


def _points(field: Field, raw: Any, ctx: SheetContext) -> Decimal:
    points = parse_decimal(raw)
    return points.quantize(Decimal(1)) if points == points.to_integral_value() else points


def _enum(field: Field, raw: Any, ctx: SheetContext) -> str:
    text = _text(raw)
    allowed = ctx.config.accounts if field.enum == "accounts" else enumerations()[field.enum]
    if text not in allowed:
        raise BadValue("account_unknown" if field.enum == "accounts" else "not_in_list")
    return text


#: One parser per field type (spec.FIELD_TYPES); each raises BadValue with the finding code.
_PARSERS: dict[str, Callable[[Field, Any, SheetContext], Any]] = {
    "text": lambda field, raw, ctx: _text(raw),
    "branch_code": lambda field, raw, ctx: _text(raw).upper(),
    "id_number": _id_number,
    "mobile": _mobile,
    "int": lambda field, raw, ctx: parse_int(raw),
    "money": lambda field, raw, ctx: parse_money(raw),
    "points": _points,
    "date": lambda field, raw, ctx: parse_date(raw, ctx.located.sheet.date1904),
    "yesno": lambda field, raw, ctx: parse_yesno(raw),
    "period": lambda field, raw, ctx: parse_period(raw, ctx.spec.period),
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
    for field in ctx.spec.header:
        found = ctx.located.header_values.get(field.key)
        if found is None or is_blank(found[0]):
            if field.required:
                ctx.report_header("header_missing", field.key)
            continue
        raw = found[0]
        try:
            ctx.header[field.key] = _PARSERS[field.type](field, raw, ctx)
        except BadValue as exc:
            ctx.report_header(exc.code, field.key, _shown(raw), **_bad_params(exc, field, ctx))
    code = ctx.header.get("branch_code")
    if code and ctx.config.branches and ctx.config.branch(code) is None:
        ctx.report_header("branch_unknown", "branch_code", code)


def _row_kind(values: list[Any]) -> str:
    """data, blank, total, note or hint — from a row's non-blank cells."""
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
    """Parse every data row below the header row until the table ends."""
    located = ctx.located
    mapped = sorted(located.columns.items(), key=lambda kv: kv[1])
    fields = [(ctx.spec.column(key), col) for key, col in mapped]
    readers = [(field, col, _reader(field, ctx), field.min is not None or field.max is not None)
               for field, col in fields]
    missing_values = located.sheet.formulas_without_value
    rows = located.sheet.rows
    for r in range(located.header_row + 1, len(rows)):
        row = rows[r]
        kind = _row_kind(row)
        if kind in ("blank", "hint"):
            continue
        if kind == "total":
            ctx.total = TotalRow(r, {k: located.sheet.value(r, c) for k, c in mapped})
            break
        if kind == "note":
            break
        record = Record(r, {})
        _read_row(ctx, record, row, readers, missing_values)
        ctx.records.append(record)


def _read_row(ctx: SheetContext, record: Record, row: list[Any],
              readers: list[tuple[Field, int, Callable[[Any], Any], bool]],
              missing_values: frozenset[tuple[int, int]]) -> None:
    """One data row's cells into ``record``; this loop runs for every cell of a federation."""
    values, width = record.values, len(row)
    for field, col, read, ranged in readers:
        if missing_values and (record.row, col) in missing_values:
            ctx.report("formula_no_value", record, field.key)
            continue
        raw = row[col] if col < width else None
        if raw is None or (raw.__class__ is str and is_blank(raw)):
            if field.required:
                ctx.report("required_missing", record, field.key)
            values[field.key] = None
            continue
        value = read(raw)
        if value.__class__ is BadValue:
            ctx.report(value.code, record, field.key, _shown(raw), **_bad_params(value, field, ctx))
            values[field.key] = None
            record.raw[field.key] = _shown(raw)  # kept as typed, for the consolidated sheets
            continue
        if ranged and (out_of_range := check_range(field, value)):
            ctx.report(out_of_range[0], record, field.key, value, expected=out_of_range[1])
        values[field.key] = value


def _reader(field: Field, ctx: SheetContext) -> Callable[[Any], Any]:
    """The field's parser as a function of the raw cell, returning the value or the BadValue.

    A column repeats its values (list items, dates, amounts), and a parser depends only on the
    cell and the file, so each distinct cell of a column is parsed once — except in columns of
    unique values, where remembering would only cost.
    """
    parse = _PARSERS[field.type]

    def read(raw: Any) -> Any:
        try:
            return parse(field, raw, ctx)
        except BadValue as exc:
            return exc

    if field.unique:
        return read
    seen: dict[tuple[type, Any], Any] = {}

    def remembered(raw: Any) -> Any:
        key = (raw.__class__, raw)  # 1, 1.0 and True are equal keys, not equal cells
        try:
            return seen[key]
        except KeyError:
            value = seen[key] = read(raw)
            return value

    return remembered


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
