"""Cell-level reading of the table: every cell parsed by its field's type, every problem found.

This is the generic part of validation — it needs only the spec. A failed conversion records
its finding and leaves the value None, so later checks never see a half-read value and the
other checks of the row still run.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..findings import CELL_LIMIT, cut, file_of
from ..ids import (
    document_number_problem,
    mobile_valid,
    resident_id_shape_ok,
    resident_id_valid,
)
from ..memo import Memos
from ..read.normalize import (
    BadValue,
    clean_text,
    first_line,
    fold_choice,
    is_blank,
    label_key,
    parse_date,
    parse_decimal,
    parse_int,
    parse_money,
    parse_period,
    parse_yesno,
)
from ..spec import PERIOD_KINDS, Field, choices, enumerations
from ..spool import in_pieces
from .context import Record, SheetContext, TotalRow

NOTE_PREFIXES = ("注", "说明", "备注：", "备注:", "附注", "提示", "温馨提示", "填表说明", "制表",
                 "审核", "负责人", "当前共导入", "共导入", "以下", "以上")
HINT_WORDS = ("必填", "选填", "格式", "填写", "示例", "如：", "例：", "下拉")
INSTRUCTIONS = "填表说明"
TOTAL_WORDS = ("合计", "总计", "小计")
#: An enumeration with at most this many values lists them in its not_in_list message.
LIST_IN_MESSAGE = 12
RESIDENT_ID = "居民身份证"


def _text(value: Any) -> str:
    return clean_text(value)



def _text_value(field: Field, raw: Any, setting: Setting) -> str:
    """Clerk text, which a workbook cell can hold only up to 32,767 characters."""
    text = _text(raw)
    if len(text) > CELL_LIMIT:
        raise BadValue("text_too_long", length=f"{len(text):,}", limit=f"{CELL_LIMIT:,}")
    return text


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
    """A dropdown value, as any accepted spelling (folded, or a synonym), made canonical."""
    text = _text(raw)
    if field.enum == "accounts":
        if text not in setting.accounts:
            raise BadValue("account_unknown", chart=setting.chart)
        return text
    accepted = choices(field.enum)
    canonical = accepted.get(fold_choice(text))
    if canonical is None:
        raise BadValue("not_in_list", **_choice_hint(field.enum, text))
    return canonical


def _choice_hint(enum: str, text: str) -> dict[str, str]:
    """What a not_in_list message offers: the values (when few) and the nearest one."""
    accepted, values = choices(enum), enumerations()[enum]
    hint = {"allowed": "、".join(values)} if len(values) <= LIST_IN_MESSAGE else {}
    near = difflib.get_close_matches(fold_choice(text), list(accepted), n=1, cutoff=0.5)
    if near:
        hint["suggestion"] = accepted[near[0]]
    return hint


@dataclass(frozen=True)
class Setting:
    """What reading a cell depends on besides the cell and its field: the file's date system,
    the template's kind of period, the federation's chart of accounts."""

    date1904: bool
    period: str
    accounts: frozenset[str]
    chart: str = ""

    @classmethod
    def of(cls, ctx: SheetContext) -> Setting:
        """The setting of a sheet; the chart of accounts is the one in force for its period."""
        chart = ctx.config.chart_for(ctx.period)
        name = chart.name if ctx.config.charts else ""
        return cls(ctx.located.sheet.date1904, ctx.spec.period, frozenset(chart.accounts), name)


#: One parser per field type (spec.FIELD_TYPES); each raises BadValue with the finding code.
_PARSERS: dict[str, Callable[[Field, Any, Setting], Any]] = {
    "text": _text_value,
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
    """A raw cell as Excel shows it (a number keeps Excel's 15 significant digits), cut to
    what a cell can hold."""
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return str(raw)
        shown = Decimal(repr(raw))  # not money: how a stored double displays
        return str(int(shown)) if raw.is_integer() else str(shown)
    return cut(clean_text(raw) if isinstance(raw, str) else str(raw), CELL_LIMIT)



def read_header(ctx: SheetContext) -> None:
    """Parse the header block; missing required values are findings at the label's value cell."""
    setting = Setting.of(ctx)
    for field in ctx.spec.header:
        found = ctx.located.header_values.get(field.key)
        if found is None or is_blank(found[0]):
            shown = _header_error(ctx, field.key)
            if shown is not None:
                ctx.report_header("cell_error", field.key, shown)
            elif field.required:
                ctx.report_header("header_missing", field.key)
            continue
        raw = found[0]
        try:
            ctx.header[field.key] = _PARSERS[field.type](field, raw, setting)
        except BadValue as exc:
            ctx.report_header(exc.code, field.key, _shown(raw), **_bad_params(exc, field, ctx))
    code = ctx.header.get("branch_code")
    if code and ctx.config.branches and ctx.config.branch(code) is None:
        ctx.report_header("branch_unknown", "branch_code", code, **_nearest_branch(ctx, code))


def _nearest_branch(ctx: SheetContext, code: str) -> dict[str, str]:
    """What a typo'd 分会代码 was meant to be: the code the file's own name carries
    (FH01_….xlsx), else the directory's closest code, with its branch name."""
    branches = ctx.config.branches
    stem = Path(file_of(ctx.file)).stem.upper()
    named = next((b for b in branches if b.code.upper() in stem), None)
    if named is not None:
        return {"named": f"{named.code}（{named.name}）"}
    close = difflib.get_close_matches(code.upper(), [b.code.upper() for b in branches], 1, 0.5)
    near = next((b for b in branches if close and b.code.upper() == close[0]), None)
    return {"closest": f"{near.code}（{near.name}）"} if near else {}


def _header_error(ctx: SheetContext, key: str) -> str | None:
    """The error value (#REF! …) in the cell right of a header label, if it shows one."""
    label = ctx.located.header_labels.get(key)
    if label is None:
        return None
    return ctx.located.sheet.error_values.get((label[0], label[1] + 1))


# --- which rows are data ------------------------------------------------------------------------
_DIGIT = re.compile(r"\d")


def _is_total_label(text: str) -> bool:
    """合计, 小计, 总计 — also “合 计：”, “本页合计”, “一车间小计”."""
    text = text.replace(" ", "").rstrip(":：")
    return (len(text) <= 12 and text.endswith(TOTAL_WORDS)) or text.startswith(TOTAL_WORDS)


def _row_kind(values: list[Any]) -> str:
    """data, blank, total, note or instructions — from a row's cells in the template's columns."""
    for value in values:  # the usual data row starts with a number or a date: nothing to ask
        if value is not None:
            if value.__class__ is not str:
                return "data"
            break
    filled = [v for v in values if v is not None and (v.__class__ is not str or not is_blank(v))]
    if not filled:
        return "blank"
    first = _text(filled[0])
    if isinstance(filled[0], str) and _is_total_label(first):
        return "total"
    if not all(isinstance(v, str) for v in filled):
        return "data"
    if first.startswith(INSTRUCTIONS):
        return "instructions"
    if first.startswith(NOTE_PREFIXES) and (len(filled) == 1 or len(first) > 8):
        return "note"
    if all(any(w in v for w in HINT_WORDS) for v in filled):
        return "note"
    return "data"


def _starts_with_text(values: list[Any]) -> bool:
    """Whether a row's first cell is text (a data row usually starts with a number: 序号)."""
    return next((v for v in values if v is not None), None).__class__ is str


def _header_like(values: list[Any]) -> bool:
    """A row that looks like the column labels of another table: two or more short texts with
    no digits (类别 / 困难标准 / 补助金额（元））, after a gap below the data."""
    filled = [v for v in values if v is not None and not is_blank(v)]
    return len(filled) >= 2 and all(
        isinstance(v, str) and len(clean_text(v)) <= 10 and not _DIGIT.search(v) for v in filled)


def _repeats_header(values: list[Any], names: dict[str, str]) -> bool:
    """A row that repeats this template's own column labels (a second pasted block)."""
    keys = {names.get(label_key(v)) for v in values if isinstance(v, str) and not is_blank(v)}
    keys.discard(None)
    return len(keys) >= 3


@dataclass
class _Rows:
    """Every non-blank row below the header, sorted out: each is data, a total (合计/小计), a note,
    a repeated header, or unread after the table ends (``stop`` and why)."""

    data: list[int]
    totals: list[int]
    notes: list[int]
    headers: list[int]
    stop: tuple[int, str, list[int]] | None  # (row, "table" | "instructions", rows not read)


def _sort_rows(ctx: SheetContext, cells: Callable[[list[Any]], list[Any]]) -> _Rows:
    located = ctx.located
    names = {label_key(n): f.key for f in ctx.spec.columns for n in f.names}
    rows = located.sheet.rows
    out = _Rows([], [], [], [], None)
    gap = False
    for r in range(located.header_row + 1, len(rows)):
        values = cells(rows[r])
        kind = _row_kind(values)
        if kind == "blank":
            gap = True
            continue
        if kind == "data" and out.data and _starts_with_text(values):
            if _repeats_header(values, names):
                kind = "header"
            elif gap and _header_like(values):
                kind = "table"
        if kind in ("table", "instructions"):
            rest = [x for x in range(r + 1, len(rows)) if _row_kind(cells(rows[x])) != "blank"]
            if rest:
                out.stop = (r, kind, [r, *rest])
                break
            kind = "note"  # the last thing in the sheet: nothing left unread below it
        gap = False
        {"data": out.data, "total": out.totals, "note": out.notes,
         "header": out.headers}[kind].append(r)
    return out


def _row_cells(ctx: SheetContext) -> Callable[[list[Any]], list[Any]]:
    """The cells of a row in the template's columns only: a cell in a column the clerk added
    never makes a row a data row."""
    cols = sorted(ctx.located.columns.values())
    if not cols:
        return lambda row: []
    pick = itemgetter(*cols)
    width = cols[-1] + 1
    if len(cols) == 1:
        return lambda row: [pick(row)] if len(row) >= width else [None]
    return lambda row: list(pick(row)) if len(row) >= width else [
        row[c] if c < len(row) else None for c in cols]


def _first_filled(ctx: SheetContext, r: int) -> tuple[str | None, Any]:
    """The key and value of a row's first non-blank cell in the template's columns."""
    for key, col in sorted(ctx.located.columns.items(), key=lambda kv: kv[1]):
        value = ctx.located.sheet.value(r, col)
        if not is_blank(value):
            return key, value
    return None, None


def _shown_text(value: Any, limit: int = 40) -> str:
    text = clean_text(first_line(value)) if isinstance(value, str) else _shown(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _report_rows(ctx: SheetContext, rows: _Rows) -> None:
    """A finding for every row that is not data: the clerk sees how each was read."""
    first, last = (rows.data[0], rows.data[-1]) if rows.data else (None, None)
    for r in rows.notes:
        key, value = _first_filled(ctx, r)
        inside = first is not None and first < r < last
        ctx.report("note_row" if inside else "note_skipped", TotalRow(r, {}), key,
                   _shown_text(value), row=r + 1)
    for r in rows.headers:
        key, _ = _first_filled(ctx, r)
        ctx.report("header_repeated", TotalRow(r, {}), key, row=r + 1)
    for r in rows.totals:
        if last is not None and r < last:
            key, value = _first_filled(ctx, r)
            ctx.report("subtotal_row", TotalRow(r, {}), key, _shown_text(value), row=r + 1)
    if rows.stop is not None:
        r, why, unread = rows.stop
        key, _ = _first_filled(ctx, r)
        read_to = max([*rows.data, *rows.totals, *rows.notes, ctx.located.header_row]) + 1
        params = {"last": read_to, "row": r + 1, "end": unread[-1] + 1}
        if why == "table":
            labels = [clean_text(first_line(v)) for v in ctx.located.sheet.rows[r]
                      if isinstance(v, str) and not is_blank(v)]
            params["labels"] = "、".join(labels[:6])
        ctx.report("table_end" if why == "table" else "instructions_end", TotalRow(r, {}), key,
                   **params)
    ctx.accounted = {"data": len(rows.data), "total": len(rows.totals), "note": len(rows.notes),
                     "header": len(rows.headers),
                     "unread": len(rows.stop[2]) if rows.stop else 0}


def read_table(ctx: SheetContext) -> None:
    """Parse every data row below the header row, and account for every other row.

    Rows are sorted out first (data, or the blank, note, 合计/小计, repeated-header rows among
    them, and where the table ends), then each column is parsed whole: this runs for every
    cell of a federation, and a column's distinct values are far fewer than its cells (see
    :func:`_parsed_column`).
    """
    located = ctx.located
    rows = _sort_rows(ctx, _row_cells(ctx))
    _report_rows(ctx, rows)
    mapped = sorted(located.columns.items(), key=lambda kv: kv[1])
    ctx.totals = [TotalRow(r, {k: located.sheet.value(r, c) for k, c in mapped})
                  for r in rows.totals]
    last_data = rows.data[-1] if rows.data else -1
    ctx.total = ctx.totals[-1] if ctx.totals and ctx.totals[-1].row > last_data else None
    # Each record's cells are its sheet row, read in place: a column's cells are replaced by
    # their values as it is parsed, and the rest are emptied, so a file of a million rows is
    # never held twice (the annotated copy reads the file again).
    width = max((col for _, col in mapped), default=-1) + 1
    index = dict(mapped)
    data = [_cells_of(located.sheet.rows[r], width) for r in rows.data]
    ctx.records = [Record(r, index, cells) for r, cells in zip(rows.data, data, strict=True)]
    located.sheet.rows = []
    setting = Setting.of(ctx)
    # 有效证件类别 first: the ID column is read by the document each row names
    for key, col in sorted(mapped, key=lambda kv: kv[0] != "id_type"):
        for cells, records in zip(in_pieces(data), in_pieces(ctx.records), strict=True):
            # a million bad cells: a piece at a time
            _read_column(ctx, ctx.spec.column(key), col, cells, records, setting)
    unmapped = sorted(set(range(width)) - set(index.values()))
    for cells in data if unmapped else ():
        for col in unmapped:
            cells[col] = None


def _read_column(ctx: SheetContext, field: Field, col: int, data: list[list[Any]],
                 records: list[Record], setting: Setting) -> None:
    """One column of some rows parsed in place, each cell that does not read reported."""
    raws = _column_raws(ctx.located, data, records, col)
    values = _parsed_column(field, raws, setting)
    if field.type == "id_number" and "id_type" in ctx.located.columns:
        values = _by_document(records, raws, values)
    if not field.required:  # a blank optional cell is simply empty: no finding to make
        values = [None if value is _BLANK else value for value in values]
    for cells, value in zip(data, values, strict=True):
        cells[col] = value
    for i in [i for i, value in enumerate(values) if value.__class__ is _Problem]:
        _report_cell(ctx, records[i], field, raws[i], values[i])
    if field.min is not None or field.max is not None:
        for record, value in zip(records, values, strict=True):
            if out_of_range := check_range(field, value):
                ctx.report(out_of_range[0], record, field.key, value, expected=out_of_range[1])


def _cells_of(row: list[Any], width: int) -> list[Any]:
    """A sheet row as a record's cells: its first ``width`` cells, then a blank one
    (:meth:`Record.get` of a key with no column reads it)."""
    if len(row) < width:
        row.extend([None] * (width - len(row)))
    else:
        del row[width:]
    row.append(None)
    return row


def _column_raws(located: Any, data: list[list[Any]], records: list[Record],
                 col: int) -> list[Any]:
    """A column's cells as read, with formulas Excel never calculated and cells showing an
    error value marked: neither has a value to read."""
    raws = [row[col] if col < len(row) else None for row in data]
    missing, errors = located.sheet.formulas_without_value, located.sheet.error_values
    if missing or errors:
        raws = [_NO_VALUE if (rec.row, col) in missing else
                _CellError(errors[(rec.row, col)]) if (rec.row, col) in errors else raw
                for rec, raw in zip(records, raws, strict=True)]
    return raws


def _by_document(records: list[Record], raws: list[Any], values: list[Any]) -> list[Any]:
    """The ID column re-read where 有效证件类别 names another document than the resident ID:
    its number is checked against that document's format, never GB 11643."""
    out = list(values)
    for i, record in enumerate(records):
        kind = record.get("id_type")
        if kind in (None, RESIDENT_ID) or raws[i] is None or raws[i].__class__ is _CellError \
                or raws[i] is _NO_VALUE or (isinstance(raws[i], str) and is_blank(raws[i])):
            continue
        text = _text(_shown(raws[i])).upper().replace(" ", "")
        problem = document_number_problem(kind, text)
        out[i] = text if problem is None else _Problem(
            "id_document_format", BadValue("id_document_format", document=kind,
                                           document_en=_DOCUMENT_EN.get(kind, kind),
                                           pattern=problem[0]))
    return out


_DOCUMENT_EN = {"护照": "passport", "军官证": "military officer's card", "士兵证": "soldier's card",
                "港澳台居民居住证": "residence permit for Hong Kong, Macao and Taiwan residents",
                "外国人永久居留身份证": "foreign permanent resident ID card",
                "港澳居民来往内地通行证": "Mainland travel permit for Hong Kong and Macao residents",
                "台湾居民来往大陆通行证": "Mainland travel permit for Taiwan residents",
                "其他": "document"}


class _Problem:
    """What a cell read as instead of a value: a finding code, and the parser's error."""

    __slots__ = ("code", "error")

    def __init__(self, code: str, error: BadValue | None = None) -> None:
        self.code, self.error = code, error


class _CellError:
    """A cell showing an error value (#DIV/0! …): what it shows, never parsed."""

    __slots__ = ("shown",)

    def __init__(self, shown: str) -> None:
        self.shown = shown


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
    if raw.__class__ is _CellError:
        return _Problem("cell_error", BadValue("cell_error"))
    if raw is None or (raw.__class__ is str and is_blank(raw)):
        return _BLANK
    try:
        return _PARSERS[field.type](field, raw, setting)
    except BadValue as exc:
        return _Problem(exc.code, exc.with_traceback(None))  # kept: no frames with it


def _report_cell(ctx: SheetContext, record: Record, field: Field, raw: Any,
                 problem: _Problem) -> None:
    """The finding for a cell that did not read as a value; the record holds None there."""
    record.set(field.key, None)
    if raw.__class__ is _CellError:
        ctx.report("cell_error", record, field.key, raw.shown)
        record.keep_raw(field.key, raw.shown)
    elif problem.code == "account_unknown" and _other_chart(ctx, record, field, raw):
        record.keep_raw(field.key, _shown(raw))
    elif problem.error is not None:
        shown = _shown(raw)
        if problem.code == "date_year_only" and isinstance(raw, date):
            shown = str(problem.error.params["year"])  # a date cell shows 2024 as 1905-07-16
        ctx.report(problem.code, record, field.key, shown,
                   **_bad_params(problem.error, field, ctx))
        record.keep_raw(field.key, shown)  # kept as typed, for the consolidated sheets
    elif problem is _NO_VALUE or field.required:
        ctx.report(problem.code, record, field.key)


def _other_chart(ctx: SheetContext, record: Record, field: Field, raw: Any) -> bool:
    """An account code that the chart in force lacks but another chart has: says which."""
    code = _text(raw)
    for chart in ctx.config.other_charts(ctx.period):
        if code in chart.accounts:
            here = ctx.config.chart_for(ctx.period)
            ctx.report("account_other_chart", record, field.key, code, other=chart.name,
                       other_name=chart.accounts[code].name, period=ctx.period or "",
                       chart=here.name)
            return True
    return False


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
    """Each clerk-typed 合计/小计 row is checked against the rows it sums, never trusted: a
    subtotal inside the table against the rows since the previous total (or all rows above
    it), the last total below the table against every row."""
    previous = -1
    for total in ctx.totals:
        above = [r for r in ctx.records if r.row < total.row]
        block = [r for r in above if r.row > previous]
        final = total is ctx.total
        for key in ctx.spec.totals:
            raw = total.values.get(key)
            if key not in ctx.located.columns or is_blank(raw):
                continue
            try:
                typed = parse_decimal(raw)
            except BadValue:
                typed = None
            sums = [_sum(above, key)] if final else [_sum(block, key), _sum(above, key)]
            if typed not in sums:
                shown = f"{typed:.2f}" if typed is not None else _shown(raw)
                ctx.report("total_row_mismatch", total, key, shown, expected=f"{sums[0]:.2f}")
        previous = total.row


def _sum(records: list[Record], key: str) -> Decimal:
    return sum((r.get(key) or Decimal(0) for r in records), Decimal(0))
