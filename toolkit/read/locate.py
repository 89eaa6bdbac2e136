"""Find the template in a clerk's workbook, wherever the clerk moved it.

Recognition: the hidden ``_meta`` sheet names the template and version; without it (data pasted
into another workbook, a renamed sheet) the template is the one whose column labels best match a
row near the top of some sheet. Then the column header row is the row matching most labels, the
columns are mapped by label or alias in any order, and the header block values are found next to
their labels above the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..layout import LISTS_SHEET, META_SHEET
from ..spec import TemplateSpec, all_specs
from .normalize import clean_text, is_blank, label_key
from .workbook import Book, Sheet

#: How far down a sheet the column header row may have been moved.
HEADER_SCAN_ROWS = 60
#: How many cells right of a header-block label its value may sit (merged cells, gaps).
VALUE_SCAN_COLS = 3


@dataclass
class Located:
    """A template found in a sheet: where its header row is and which column holds what."""

    spec: TemplateSpec
    sheet: Sheet
    header_row: int
    columns: dict[str, int]
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    extras: list[int] = field(default_factory=list)
    header_values: dict[str, tuple[Any, int, int]] = field(default_factory=dict)
    header_labels: dict[str, tuple[int, int]] = field(default_factory=dict)
    meta_version: str | None = None


def _names(spec: TemplateSpec) -> dict[str, str]:
    return {label_key(n): f.key for f in spec.columns for n in f.names}


def _row_matches(row: Iterable[Any], names: dict[str, str]) -> int:
    return len({names[k] for k in (label_key(v) for v in row if not is_blank(v)) if k in names})


def _best_header_row(sheet: Sheet, spec: TemplateSpec) -> tuple[int, int]:
    names = _names(spec)
    best = (-1, 0)
    for r, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        score = _row_matches(row, names)
        if score > best[1]:
            best = (r, score)
    return best


def read_meta(book: Book) -> tuple[str, str] | None:
    """(template id, version) from the hidden meta sheet, when the workbook has one."""
    if META_SHEET not in book.names:
        return None
    meta = {clean_text(r[0]): clean_text(r[1]) for r in book.sheet(META_SHEET).rows
            if len(r) >= 2 and not is_blank(r[0])}
    if "template" not in meta:
        return None
    return meta["template"], meta.get("version", "")


def _candidate_sheets(book: Book, spec: TemplateSpec) -> list[str]:
    preferred = [n for n in book.names if clean_text(n) in (spec.sheet, *spec.sheet_aliases)]
    others = [n for n in book.names if n not in preferred and n not in (META_SHEET, LISTS_SHEET)
              and book.visible.get(n, True) and n != "填表说明"]
    return preferred + others


def recognise(book: Book, specs: Iterable[TemplateSpec] | None = None) -> Located | None:
    """The template in this workbook, or None. A meta sheet decides the template; the sheet and
    header row are then found by labels (a clerk may still have moved or renamed things)."""
    specs = tuple(specs or all_specs())
    meta = read_meta(book)
    if meta is not None:
        specs = tuple(s for s in specs if s.id == meta[0]) or specs
    best: tuple[int, TemplateSpec, str, int] | None = None
    for spec in specs:
        required = sum(c.required for c in spec.columns)
        for name in _candidate_sheets(book, spec):
            row, score = _best_header_row(book.sheet(name), spec)
            if score >= max(3, required // 2) and (best is None or score > best[0]):
                best = (score, spec, name, row)
    if best is None:
        return None
    _, spec, name, row = best
    located = _map_columns(spec, book.sheet(name), row)
    located.meta_version = meta[1] if meta and meta[0] == spec.id else None
    _find_header_values(located)
    return located


def _map_columns(spec: TemplateSpec, sheet: Sheet, header_row: int) -> Located:
    names = _names(spec)
    located = Located(spec, sheet, header_row, {})
    for col, value in enumerate(sheet.rows[header_row]):
        if is_blank(value):
            continue
        key = names.get(label_key(value))
        if key is None:
            located.extras.append(col)
        elif key in located.columns:
            located.duplicates.append((key, col))
        else:
            located.columns[key] = col
    return located


def _find_header_values(located: Located) -> None:
    """Header-block values: the first non-blank cell right of each label, above the table."""
    labels = {label_key(n): f.key for f in located.spec.header for n in f.names}
    for r in range(located.header_row):
        row = located.sheet.rows[r]
        for c, value in enumerate(row):
            key = labels.get(label_key(value)) if isinstance(value, str) else None
            if key is None or key in located.header_labels:
                continue
            located.header_labels[key] = (r, c)
            for dc in range(1, VALUE_SCAN_COLS + 1):
                candidate = located.sheet.value(r, c + dc)
                if not is_blank(candidate):
                    if isinstance(candidate, str) and label_key(candidate) in labels:
                        break  # the next label: this one's value is empty
                    located.header_values[key] = (candidate, r, c + dc)
                    break
