"""Find the templates in a clerk's workbook, wherever the clerk moved them.

Recognition: a sheet holds a template when a row near its top carries enough of that
template's *distinctive* column labels (证件号码, 入会日期, 应缴会费, 凭证号, 分值 …, declared in
the spec): labels every table has (序号, 姓名, 电话, 备注) never count. The hidden ``_meta``
sheet, when present, names the template of the workbook's main sheet and lets it be found on
fewer labels. Every sheet that holds a template is found (a roster with the dues sheet added is
two templates). Then the column header row is the row matching most labels, the columns are
mapped by label or alias in any order, and the header block values are found next to their
labels above the table (or after the colon in the label's own cell).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from ..layout import LISTS_SHEET, META_SHEET
from ..messages import LANGS, words
from ..spec import TemplateSpec, all_specs
from .normalize import clean_text, first_line, is_blank, label_key
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


@cache
def _names(spec: TemplateSpec) -> dict[str, str]:
    return {label_key(n): f.key for f in spec.columns for n in f.names}


class Match(NamedTuple):
    """How well one row of a sheet matches a template's column labels."""

    distinctive: int
    total: int
    row: int
    keys: frozenset[str]


def _top_labels(sheet: Sheet) -> list[frozenset[str]]:
    """The label keys of the text cells of each row near the top, computed once per sheet
    (every template is matched against them)."""
    if sheet.top_labels is None:
        sheet.top_labels = [
            frozenset(label_key(v) for v in row if v.__class__ is str and not is_blank(v))
            for row in sheet.rows[:HEADER_SCAN_ROWS]]
    return sheet.top_labels


def best_match(sheet: Sheet, spec: TemplateSpec) -> Match:
    """The row near the top of the sheet that carries most of the template's labels."""
    names, distinctive = _names(spec), set(spec.distinctive)
    best = Match(0, 0, -1, frozenset())
    for r, labels in enumerate(_top_labels(sheet)):
        keys = frozenset(names[k] for k in labels if k in names)
        match = Match(len(keys & distinctive), len(keys), r, keys)
        if match[:2] > best[:2]:
            best = match
    return best


def _holds(spec: TemplateSpec, match: Match, named_by_meta: bool) -> bool:
    """Whether a sheet's best row is this template's header: enough distinctive labels, or,
    in a workbook whose meta sheet names this template, enough labels of any kind."""
    if match.distinctive >= spec.distinctive_min:
        return True
    required = sum(c.required for c in spec.columns)
    return named_by_meta and match.total >= max(3, required // 2)


def read_meta(book: Book) -> tuple[str, str] | None:
    """(template id, version) from the hidden meta sheet, when the workbook has one."""
    if META_SHEET not in book.names:
        return None
    meta = {clean_text(r[0]): clean_text(r[1]) for r in book.sheet(META_SHEET).rows
            if len(r) >= 2 and not is_blank(r[0])}
    if "template" not in meta:
        return None
    return meta["template"], meta.get("version", "")


def _data_sheets(book: Book) -> list[str]:
    """Sheets a clerk may have put a table in: visible, not our meta, lists or instructions."""
    return [n for n in book.names if n not in (META_SHEET, LISTS_SHEET)
            and book.visible.get(n, True) and n != "填表说明"]


def recognise_all(book: Book, specs: Iterable[TemplateSpec] | None = None) -> list[Located]:
    """Every template in this workbook, one per sheet that holds one, the meta sheet's first.

    Each sheet gets the template it matches best (by distinctive labels, then by all labels);
    a template the meta sheet names is looked for on its own sheet name first.
    """
    specs = tuple(specs or all_specs())
    meta = read_meta(book)
    found: list[tuple[bool, int, Located]] = []
    for position, name in enumerate(_data_sheets(book)):
        sheet = book.sheet(name)
        best: tuple[tuple[int, int, int], TemplateSpec, Match] | None = None
        for spec in specs:
            named = meta is not None and meta[0] == spec.id
            match = best_match(sheet, spec)
            if not _holds(spec, match, named):
                continue
            preferred = named and clean_text(name) in (spec.sheet, *spec.sheet_aliases)
            rank = (int(preferred), match.distinctive, match.total)
            if best is None or rank > best[0]:
                best = (rank, spec, match)
        if best is None:
            continue
        _, spec, match = best
        located = _map_columns(spec, sheet, match.row)
        located.meta_version = meta[1] if meta and meta[0] == spec.id else None
        _find_header_values(located)
        found.append((located.meta_version is None, position, located))
    return [located for *_, located in sorted(found, key=lambda f: f[:2])]


#: The first heads of an annotated copy's 问题清单 (the catalog's ``label`` words), in either
#: language; a copy from before the 问题类型 column was named has 代码 there.
ISSUES_HEAD_KEYS = ("sheet", "cell", "severity", "kind", "message", "fix")
_ISSUES_HEADS = {*(tuple(words("label", lang)[k] for k in ISSUES_HEAD_KEYS[:4]) for lang in LANGS),
                 ("工作表", "单元格", "级别", "代码"), ("Sheet", "Cell", "Severity", "Code")}


def own_output(book: Book) -> tuple[str, str] | None:
    """(what, in English) when the workbook is one unionkit wrote — a consolidated workbook
    (汇总 and 来源清单) or an annotated copy (问题清单 first, with its column heads) — so that
    it is never read back as a clerk's submission."""
    if {"汇总", "来源清单", "问题清单"} <= set(book.names):
        return "汇总工作簿", "a consolidated workbook"
    if book.names and book.names[0] == "问题清单":
        rows = book.sheet("问题清单").rows
        if rows and tuple(clean_text(v) for v in rows[0][:4]) in _ISSUES_HEADS:
            return "批注副本", "an annotated copy"
    return None


@dataclass(frozen=True)
class Closest:
    """For a sheet no template fits: the nearest template, the labels of it that were found
    (as the clerk wrote them) and the required ones missing."""

    spec: TemplateSpec
    sheet: str
    found: tuple[str, ...]
    missing: tuple[str, ...]


def closest_template(book: Book, specs: Iterable[TemplateSpec] | None = None) -> Closest | None:
    """The template an unrecognized workbook comes nearest to, so the federation can map its
    columns; None when no sheet carries a single label of any template."""
    best: tuple[tuple[int, int], TemplateSpec, str, Match] | None = None
    for name in _data_sheets(book):
        sheet = book.sheet(name)
        for spec in tuple(specs or all_specs()):
            match = best_match(sheet, spec)
            if match.total and (best is None or match[:2] > best[0]):
                best = (match[:2], spec, name, match)
    if best is None:
        return None
    _, spec, name, match = best
    names = _names(spec)
    row = book.sheet(name).rows[match.row]
    found = tuple(dict.fromkeys(clean_text(first_line(v)) for v in row
                                if not is_blank(v) and names.get(label_key(v))))
    missing = tuple(c.label for c in spec.columns if c.required and c.key not in match.keys)
    return Closest(spec, name, found, missing)


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


def _label_and_value(value: Any) -> tuple[str, str]:
    """A header-block cell split at its first colon: “填表单位（盖章）：海口市…工会” is the
    label 填表单位 with its value typed in the same cell."""
    text = clean_text(value)
    for colon in ("：", ":"):
        if colon in text:
            label, rest = text.split(colon, 1)
            return label, rest.strip()
    return text, ""


def _find_header_values(located: Located) -> None:
    """Header-block values: the first non-blank cell right of each label, above the table,
    or the text after the colon in the label's own cell."""
    labels = {label_key(n): f.key for f in located.spec.header for n in f.names}
    for r in range(located.header_row):
        row = located.sheet.rows[r]
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            label, inline = _label_and_value(value)
            key = labels.get(label_key(value)) or labels.get(label_key(label))
            if key is None or key in located.header_labels:
                continue
            located.header_labels[key] = (r, c)
            if inline and label_key(label) in labels:
                located.header_values[key] = (inline, r, c)
                continue
            for dc in range(1, VALUE_SCAN_COLS + 1):
                candidate = located.sheet.value(r, c + dc)
                if not is_blank(candidate):
                    if isinstance(candidate, str) and label_key(candidate) in labels:
                        break  # the next label: this one's value is empty
                    located.header_values[key] = (candidate, r, c + dc)
                    break
