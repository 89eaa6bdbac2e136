"""Write a filled template as legacy ``.xls`` (BIFF8), as a clerk with an old Excel would send.

Only the sample federation needs this; it mirrors the xlsx writer's layout (same cells), without
dropdowns or formats beyond dates, as an ``.xls`` saved from a copied template would look.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlwt

from ..atomic import atomic_path
from ..layout import META_SHEET, Layout
from ..money import excel_number
from ..spec import TemplateSpec


def _cell(ws: Any, row: int, col: int, value: Any, date_style: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, Decimal):
        ws.write(row, col, excel_number(value))
    elif isinstance(value, bool):
        ws.write(row, col, "是" if value else "否")
    elif isinstance(value, int | date):
        ws.write(row, col, value, date_style if isinstance(value, date) else xlwt.Style.default_style)
    else:
        ws.write(row, col, str(value))


def write_xls(spec: TemplateSpec, path: Path, title: str, header: Mapping[str, Any],
              rows: Sequence[Mapping[str, Any]], layout: Layout | None = None) -> Path:
    """A filled template as BIFF8 with the hidden meta sheet (template id and version)."""
    layout = layout or Layout()
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(layout.sheet_name or spec.sheet)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    ws.write(layout.top_rows, 0, title)
    for index, field in enumerate(spec.header):
        row, col = layout.header_pos(spec, index)
        ws.write(row, col, field.label + "：")
        _cell(ws, row, col + 1, header.get(field.key), date_style)
    keys = layout.keys(spec)
    for col, key in enumerate(keys):
        ws.write(layout.header_row(spec), col, layout.label(spec, key))
    first = layout.first_data_row(spec)
    for i, values in enumerate(rows):
        for col, key in enumerate(keys):
            _cell(ws, first + i, col, values.get(key), date_style)
    meta = book.add_sheet(META_SHEET)
    for r, (k, v) in enumerate((("template", spec.id), ("version", spec.version),
                                ("title", spec.title))):
        meta.write(r, 0, k)
        meta.write(r, 1, v)
    meta.visibility = 1
    with atomic_path(path) as tmp:
        book.save(str(tmp))
    return path
