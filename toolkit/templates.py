"""Write template workbooks from the specs: the blank ones clerks fill, and filled copies.

Blank templates (``unionkit templates``) and the sample federation's files (``unionkit sample``)
come from the same writer, so a sample file is exactly what a clerk who filled the template
would send — with a :class:`~toolkit.layout.Layout` describing the clerk's departures from it.

Output is byte-for-byte reproducible: fixed document timestamps (XlsxWriter already fixes the
zip entries' times), no randomness, and the file is written to a temporary name and renamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from . import __version__
from .atomic import atomic_path
from .config import FederationConfig
from .layout import (
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    META_SHEET,
    TEMPLATE_DATA_ROWS,
    Layout,
    a1,
    col_letter,
)
from .money import excel_number
from .spec import PERIOD_KINDS, TEXT_FORMAT_TYPES, Field, TemplateSpec, enumerations

#: Fixed document timestamp: the same inputs give the same bytes.
FIXED_TIMESTAMP = datetime(2026, 1, 1)
INLINE_LIST_LIMIT = 250
TYPE_HINTS = {
    "text": "文本", "int": "整数", "money": "金额（元，两位小数）", "points": "分数",
    "date": "日期（如 2026-03-01）", "enum": "下拉选择", "yesno": "是 / 否",
    "id_number": "18位身份证号（文本）", "mobile": "11位手机号（文本）",
    "period": "所属期", "branch_code": "分会代码（文本）",
}


@dataclass(frozen=True)
class NumberStored:
    """A value a clerk's Excel stored as a number (e.g. an ID that lost its last digits)."""

    digits: str


def _date_text(value: date, style: str) -> str:
    if style == "dot":
        return f"{value.year}.{value.month}.{value.day}"
    if style == "cn":
        return f"{value.year}年{value.month}月{value.day}日"
    if style == "compact":
        return f"{value:%Y%m%d}"
    return f"{value.year}/{value.month}/{value.day}"


class _Formats:
    """The handful of cell formats a template uses, created once per workbook."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}
        self.title = book.add_format({**base, "bold": True, "font_size": 16, "align": "center"})
        self.label = book.add_format({**base, "bold": True, "align": "right"})
        self.head = book.add_format({**base, "bold": True, "align": "center", "border": 1,
                                     "text_wrap": True, "bg_color": "#DDEBF7"})
        self.head_required = book.add_format({**base, "bold": True, "align": "center", "border": 1,
                                              "text_wrap": True, "bg_color": "#FCE4D6"})
        self.text = book.add_format({**base, "num_format": "@"})
        self.general = book.add_format(base)
        self.money = book.add_format({**base, "num_format": "#,##0.00"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.wrap = book.add_format({**base, "text_wrap": True, "valign": "top"})
        self.bold = book.add_format({**base, "bold": True})

    def for_field(self, field: Field) -> Any:
        if field.type in ("money", "points"):
            return self.money if field.type == "money" else self.general
        if field.type == "date":
            return self.date
        if field.type in TEXT_FORMAT_TYPES or field.type in ("enum", "yesno"):
            return self.text
        return self.general


def _write_value(ws: Worksheet, row: int, col: int, value: Any, fmt: Any, date_style: str) -> None:
    """Write one value with the type it has; strings always as strings (never formulas)."""
    if value is None or value == "":
        return
    if isinstance(value, NumberStored):
        ws.write_number(row, col, float(value.digits), fmt)  # not money: a clerk's lost ID
    elif isinstance(value, Decimal):
        ws.write_number(row, col, excel_number(value), fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", fmt)
    elif isinstance(value, int):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, date):
        if date_style == "date":
            ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
        else:
            ws.write_string(row, col, _date_text(value, date_style), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


class _TemplateWriter:
    """Writes one template workbook; ``write`` is the only entry point."""

    def __init__(self, spec: TemplateSpec, config: FederationConfig, layout: Layout) -> None:
        self.spec, self.config, self.layout = spec, config, layout
        self.keys = layout.keys(spec)

    def enum_values(self, field: Field) -> tuple[str, ...]:
        if field.type == "yesno":
            return ("是", "否")
        if field.enum == "accounts":
            return tuple(self.config.accounts)
        return enumerations()[field.enum] if field.enum else ()

    def write(self, path: Path, header: Mapping[str, Any] | None,
              rows: Sequence[Mapping[str, Any]] | None) -> None:
        with atomic_path(path) as tmp:
            book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                                  "strings_to_numbers": False,
                                                  "strings_to_urls": False})
            book.set_properties({"title": f"{self.spec.title}（模板 v{self.spec.version}）",
                                 "author": "unionkit", "comments": f"unionkit {__version__}",
                                 "created": FIXED_TIMESTAMP})
            fmt = _Formats(book)
            ws = book.add_worksheet(self.layout.sheet_name or self.spec.sheet)
            lists = book.add_worksheet(LISTS_SHEET) if self._needs_lists() else None
            self._sheet(ws, fmt, header or {}, rows if rows is not None else self._prefill(), lists)
            if self.layout.instructions:
                self._instructions(book.add_worksheet(INSTRUCTIONS_SHEET), fmt)
            if lists is not None:
                lists.hide()
            if self.layout.meta:
                meta = book.add_worksheet(META_SHEET)
                for r, (k, v) in enumerate((("template", self.spec.id),
                                            ("version", self.spec.version),
                                            ("title", self.spec.title))):
                    meta.write_string(r, 0, k)
                    meta.write_string(r, 1, v)
                meta.hide()
            ws.activate()
            book.close()

    def _needs_lists(self) -> bool:
        return any(len(",".join(self.enum_values(self.spec.column(k)))) > INLINE_LIST_LIMIT
                   for k in self.keys if self.spec.column(k).type in ("enum", "yesno"))

    def _prefill(self) -> list[dict[str, Any]]:
        if self.spec.prefill != "indicators":
            return []
        return [{"seq": i, "category": ind.category, "content": ind.content, "points": ind.points}
                for i, ind in enumerate(self.config.indicators, start=1)]

    def _sheet(self, ws: Worksheet, fmt: _Formats, header: Mapping[str, Any],
               rows: Sequence[Mapping[str, Any]], lists: Worksheet | None) -> None:
        spec, layout = self.spec, self.layout
        labels = [*(layout.label(spec, k) for k in self.keys), *layout.extra_columns]
        ncols = len(labels)
        for col, key in enumerate(self.keys):
            field = spec.column(key)
            width = max(field.width, 10) if col < 6 and col % 2 == 0 else field.width
            ws.set_column(col, col, width, fmt.for_field(field))
        ws.merge_range(layout.top_rows, 0, layout.top_rows, ncols - 1,
                       self.config.name + spec.title if header else spec.title, fmt.title)
        ws.set_row(layout.top_rows, 30)
        self._header_block(ws, fmt, header)
        hrow = layout.header_row(spec)
        for col, text in enumerate(labels):
            key = self.keys[col] if col < len(self.keys) else None
            required = key is not None and spec.column(key).required
            ws.write_string(hrow, col, text, fmt.head_required if required else fmt.head)
        ws.set_row(hrow, 30)
        ws.freeze_panes(hrow + 1, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(hrow)
        first = layout.first_data_row(spec)
        for i, row in enumerate(rows):
            for col, key in enumerate(self.keys):
                _write_value(ws, first + i, col, row.get(key), fmt.for_field(spec.column(key)),
                             layout.date_style)
            for j, label in enumerate(layout.extra_columns):
                _write_value(ws, first + i, len(self.keys) + j, row.get(label), fmt.general,
                             layout.date_style)
        end = first + len(rows)
        if layout.total_row:
            end = self._total_row(ws, fmt, rows, end)
        for k, note in enumerate(layout.notes_below):
            ws.write_string(end + 1 + k, 0, note)
        self._validations(ws, lists, first)

    def _header_block(self, ws: Worksheet, fmt: _Formats, values: Mapping[str, Any]) -> None:
        for index, field in enumerate(self.spec.header):
            row, col = self.layout.header_pos(self.spec, index)
            ws.write_string(row, col, field.label + "：", fmt.label)
            value_fmt = fmt.money if field.type == "money" else (
                fmt.date if field.type == "date" else fmt.text)
            _write_value(ws, row, col + 1, values.get(field.key), value_fmt, self.layout.date_style)
            if not values and field.key == "period":
                ws.data_validation(row, col + 1, row, col + 1, {
                    "validate": "any", "input_title": "所属期",
                    "input_message": f"格式：{PERIOD_KINDS[self.spec.period]}"})

    def _total_row(self, ws: Worksheet, fmt: _Formats, rows: Sequence[Mapping[str, Any]],
                   row: int) -> int:
        """A clerk-typed 合计 row: typed numbers (as clerks do), checked by the validator."""
        ws.write_string(row, 0, "合计", fmt.bold)
        typed = dict(self.layout.total_overrides)
        for key in self.spec.totals:
            total = typed.get(key, sum((r.get(key) or Decimal(0) for r in rows), Decimal(0)))
            ws.write_number(row, self.keys.index(key), excel_number(total), fmt.money)
        return row + 1

    def _validations(self, ws: Worksheet, lists: Worksheet | None, first: int) -> None:
        last = first + TEMPLATE_DATA_ROWS - 1
        list_col = 0
        for col, key in enumerate(self.keys):
            field = self.spec.column(key)
            options: dict[str, Any] = {}
            if field.type in ("enum", "yesno"):
                values = self.enum_values(field)
                if lists is not None and len(",".join(values)) > INLINE_LIST_LIMIT:
                    for r, v in enumerate(values):
                        lists.write_string(r, list_col, v)
                    letter = col_letter(list_col)
                    source = f"={LISTS_SHEET}!${letter}$1:${letter}${len(values)}"
                    list_col += 1
                else:
                    source = list(values)
                options = {"validate": "list", "source": source,
                           "error_type": "warning", "error_title": field.label,
                           "error_message": f"请从下拉列表中选择{field.label}。"}
            elif field.input:
                options = {"validate": "any"}
            if not options:
                continue
            if field.input:
                options.update(input_title=field.label[:32], input_message=field.input[:255])
            ws.data_validation(first, col, last, col, options)

    def _instructions(self, ws: Worksheet, fmt: _Formats) -> None:
        spec = self.spec
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 22)
        ws.set_column(2, 2, 6)
        ws.set_column(3, 3, 60)
        ws.write_string(0, 0, f"{spec.title} 填表说明（模板 {spec.id} v{spec.version}）", fmt.title)
        row = 2
        for i, note in enumerate(spec.notes, start=1):
            ws.merge_range(row, 0, row, 3, f"{i}. {note}", fmt.wrap)
            ws.set_row(row, 32)
            row += 1
        row += 1
        for col, text in enumerate(("栏目", "填写格式", "必填", "可选值 / 说明（可识别的别名）")):
            ws.write_string(row, col, text, fmt.head)
        row += 1
        for field in (*spec.header, *spec.columns):
            ws.write_string(row, 0, field.label, fmt.general)
            ws.write_string(row, 1, TYPE_HINTS[field.type], fmt.general)
            ws.write_string(row, 2, "是" if field.required else "", fmt.general)
            ws.write_string(row, 3, self._field_help(field), fmt.wrap)
            row += 1
        if spec.prefill == "indicators":
            row = self._grades(ws, fmt, row + 1)
        if any(f.enum == "accounts" for f in spec.columns):
            self._accounts(ws, fmt, row + 1)

    def _field_help(self, field: Field) -> str:
        parts = []
        values = self.enum_values(field)
        if values and field.enum != "accounts":
            parts.append("、".join(values))
        if field.enum == "accounts":
            parts.append("见下方科目表")
        if field.type == "period":
            parts.append(f"格式 {PERIOD_KINDS[self.spec.period]}")
        if field.input:
            parts.append(field.input)
        if field.aliases:
            parts.append("（别名：" + "、".join(field.aliases) + "）")
        return "；".join(parts)

    def _grades(self, ws: Worksheet, fmt: _Formats, row: int) -> int:
        ws.write_string(row, 0, "考核等级", fmt.bold)
        for grade in self.config.grades:
            row += 1
            ws.write_string(row, 0, grade.name)
            ws.write_string(row, 1, f"考评分 ≥ {grade.min}")
        return row + 1

    def _accounts(self, ws: Worksheet, fmt: _Formats, row: int) -> None:
        ws.write_string(row, 0, "会计科目表（《工会会计制度》）", fmt.bold)
        kinds = {"income": "收入", "expenditure": "支出", "net_assets": "净资产"}
        for account in self.config.accounts.values():
            row += 1
            ws.write_string(row, 0, account.code, fmt.text)
            ws.write_string(row, 1, account.name)
            ws.write_string(row, 2, kinds.get(account.kind, account.kind))


def write_template(spec: TemplateSpec, config: FederationConfig, path: Path,
                   header: Mapping[str, Any] | None = None,
                   rows: Sequence[Mapping[str, Any]] | None = None,
                   layout: Layout | None = None) -> Path:
    """Write a template workbook: blank by default, or filled with header values and rows."""
    _TemplateWriter(spec, config, layout or Layout()).write(path, header, rows)
    return path


def write_blank_templates(config: FederationConfig, out_dir: Path,
                          specs: Iterable[TemplateSpec]) -> list[Path]:
    """``unionkit templates``: one blank workbook per spec, named ``<id>.xlsx``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_template(spec, config, out_dir / f"{spec.id}.xlsx") for spec in specs]


__all__ = ["NumberStored", "a1", "write_blank_templates", "write_template"]
