"""Where things sit in a template sheet — shared by the blank-template writer and the samples.

A template sheet is: a title row, a header block of label/value pairs (three pairs a row), a
blank row, the column header row, then data rows. A :class:`Layout` describes how a clerk's copy
may differ (rows inserted on top, columns reordered, renamed or added, the meta sheet lost...),
and computes the A1 position of every header value and data cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import ceil

from .spec import TemplateSpec

#: Day 0 of Excel's serial dates (the 1900 system, counting its phantom 1900-02-29).
EXCEL_EPOCH = date(1899, 12, 30)
PAIRS_PER_ROW = 3
MIN_BLOCK_ROWS = 3
#: Data validation and formats cover this many data rows in a blank template.
TEMPLATE_DATA_ROWS = 5000
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
INSTRUCTIONS_SHEET = "填表说明"


def col_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """0-based index of a column's letters (A → 0, AA → 26): :func:`col_letter` undone."""
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def a1(row: int, col: int) -> str:
    """0-based (row, col) → A1 reference."""
    return f"{col_letter(col)}{row + 1}"


@dataclass(frozen=True)
class Layout:
    """How one copy of a template is laid out; the default is the blank template itself."""

    top_rows: int = 0
    order: tuple[str, ...] | None = None
    renames: tuple[tuple[str, str], ...] = ()
    extra_columns: tuple[str, ...] = ()
    meta: bool = True
    sheet_name: str | None = None
    date_style: str = "date"
    total_row: bool = False
    total_overrides: tuple[tuple[str, Decimal], ...] = ()
    notes_below: tuple[str, ...] = ()
    instructions: bool = True

    def keys(self, spec: TemplateSpec) -> tuple[str, ...]:
        """Column keys left to right, extra columns last."""
        return self.order or tuple(c.key for c in spec.columns)

    def label(self, spec: TemplateSpec, key: str) -> str:
        """The header text the clerk's copy shows for a column."""
        return dict(self.renames).get(key) or spec.column(key).label

    def header_pos(self, spec: TemplateSpec, index: int) -> tuple[int, int]:
        """(row, col) of the label of the index-th header field; its value is one to the right."""
        row, pair = divmod(index, PAIRS_PER_ROW)
        return self.top_rows + 1 + row, pair * 2

    def header_row(self, spec: TemplateSpec) -> int:
        """0-based row of the column headers."""
        block = max(MIN_BLOCK_ROWS, ceil(len(spec.header) / PAIRS_PER_ROW))
        return self.top_rows + 1 + block + 1

    def first_data_row(self, spec: TemplateSpec) -> int:
        return self.header_row(spec) + 1

    def column_index(self, spec: TemplateSpec, key: str) -> int:
        return self.keys(spec).index(key)

    def cell(self, spec: TemplateSpec, row_index: int, key: str) -> str:
        """A1 of the data cell for the row_index-th data row (0-based) and a column key."""
        return a1(self.first_data_row(spec) + row_index, self.column_index(spec, key))

    def header_value_cell(self, spec: TemplateSpec, key: str) -> str:
        """A1 of a header-block value."""
        index = [f.key for f in spec.header].index(key)
        row, col = self.header_pos(spec, index)
        return a1(row, col + 1)
