"""Read a generated workbook back, a sheet at a time: values (python-calamine) and formulas.

python-calamine gives cached values fast but no formulas; the formulas come from a byte scan of
each sheet's XML, streamed in blocks, so a sheet of a million rows is never held as a tree.
Shared formulas (Excel writes them when a formula was filled down) are expanded with openpyxl's
translator.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import coordinate_from_string
from python_calamine import CalamineWorkbook

from ..errors import ToolkitError
from ..layout import col_letter
from ..read.workbook import sheet_part

_CELL_WITH_FORMULA = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)>\s*<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


@dataclass
class SheetData:
    """One sheet: values by (row, col), 0-based as Excel shows them, and formulas by cell."""

    name: str
    rows: list[list[Any]]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    def value(self, row: int, col: int) -> Any:
        if row < len(self.rows) and col < len(self.rows[row]):
            value = self.rows[row][col]
            return None if value == "" else value
        return None

    def formula(self, row: int, col: int) -> str | None:
        return self.formulas.get((row, col))


class Workbook:
    """A workbook read one sheet at a time: :meth:`sheet` loads a sheet's values and formulas,
    :meth:`release` forgets it, so a detail sheet of a million rows is in memory alone."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._book = CalamineWorkbook.from_path(str(path))
            self.names: list[str] = list(self._book.sheet_names)
        except Exception as exc:  # calamine raises its own error types for every unreadable file
            raise ToolkitError("not_xlsx", path=path, detail=exc) from exc
        self._cache: dict[str, SheetData] = {}
        self.uncalculated: dict[str, int] = {}  # formulas without a cached value, per sheet

    def sheet(self, name: str) -> SheetData | None:
        """The sheet called ``name`` (None when there is none)."""
        if name not in self.names:
            return None
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def release(self, name: str) -> None:
        self._cache.pop(name, None)

    def stream(self, name: str) -> tuple[Iterator[list[Any]], dict[tuple[int, int], str]] | None:
        """A sheet too large to hold: its rows one at a time (0-based from A1, blanks as None)
        and its formulas; None when there is no such sheet. The caller counts uncalculated
        formulas into :attr:`uncalculated`."""
        if name not in self.names:
            return None
        try:
            sheet = self._book.get_sheet_by_name(name)
        except Exception as exc:  # calamine's errors for a sheet it cannot read
            raise ToolkitError("sheet_unreadable", path=self.path, sheet=name, detail=exc) from exc
        top, left = sheet.start or (0, 0)

        def rows() -> Iterator[list[Any]]:
            yield from ([] for _ in range(top))
            for row in sheet.iter_rows():
                yield [None] * left + [None if v == "" else v for v in row]
        return rows(), self._formulas(name)

    def _formulas(self, name: str) -> dict[tuple[int, int], str]:
        try:
            with zipfile.ZipFile(self.path) as archive:
                part = sheet_part(archive, name)
                if part is None:
                    return {}
                with archive.open(part) as stream:
                    return dict(_formulas(stream))
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise ToolkitError("formulas_unreadable", path=self.path, detail=exc) from exc

    def _load(self, name: str) -> SheetData:
        try:
            data = SheetData(name, self._book.get_sheet_by_name(name).to_python(
                skip_empty_area=False))
        except Exception as exc:  # calamine's errors for a sheet it cannot read
            raise ToolkitError("sheet_unreadable", path=self.path, sheet=name, detail=exc) from exc
        data.formulas = self._formulas(name)
        self.uncalculated[name] = sum(data.value(r, c) is None for r, c in data.formulas)
        return data


def read_workbook(path: Path) -> Workbook:
    """An .xlsx to read sheet by sheet. Raises ToolkitError when it cannot be opened."""
    return Workbook(path)


def _blocks(stream: Any, size: int = 1 << 22) -> Iterator[bytes]:
    """The sheet XML in blocks that end at a row boundary (no cell is ever cut in two)."""
    rest = b""
    while block := stream.read(size):
        data = rest + block
        cut = max((m.end() for m in _ROW_END.finditer(data, max(0, len(data) - size))),
                  default=0)
        yield data[:cut]
        rest = data[cut:]
    yield rest


def _formulas(stream: Any) -> Iterator[tuple[tuple[int, int], str]]:
    masters: dict[bytes, tuple[str, str]] = {}
    for block in _blocks(stream):
        for match in _CELL_WITH_FORMULA.finditer(block):
            cell_attrs, f_attrs = dict(_ATTR.findall(match.group(1))), dict(
                _ATTR.findall(match.group(2)))
            ref = cell_attrs.get(b"r", b"").decode()
            if not ref or match.group(1).endswith(b"/"):
                continue
            text = html.unescape((match.group(3) or b"").decode("utf-8"))
            if f_attrs.get(b"t") == b"shared":
                key = f_attrs.get(b"si", b"")
                if text:
                    masters[key] = ("=" + text, ref)
                elif key in masters:
                    formula, origin = masters[key]
                    text = Translator(formula, origin=origin).translate_formula(ref)[1:]
            if text:
                column, row = coordinate_from_string(ref)
                yield (row - 1, _column_index(column)), "=" + text


_TEXT_RUN = re.compile(rb"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)


def column_texts(path: Path, name: str,
                 columns: Sequence[int]) -> Iterator[tuple[int, list[str | None]]]:
    """A few columns of a sheet as text, row by row (0-based rows; a row holding none of them
    is left out), from a byte scan of its XML: memory holds a block, not the sheet, where
    python-calamine would load every cell of every column (a 300,000-row roster: 700 MB).
    Inline strings (unionkit's) and shared strings (a workbook Excel or LibreOffice saved)."""
    letters = [col_letter(c).encode() for c in columns]
    where = {letter: i for i, letter in enumerate(letters)}
    cell = re.compile(rb'<(?:\w+:)?c r="(' + b"|".join(letters) + rb')(\d+)"([^>]*?)'
                      rb"(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
    with zipfile.ZipFile(path) as archive:
        part = sheet_part(archive, name)
        if part is None:
            return
        shared: list[str] | None = None
        row, values = -1, [None] * len(columns)
        with archive.open(part) as stream:
            for block in _blocks(stream):
                for match in cell.finditer(block):
                    r = int(match.group(2)) - 1
                    if r != row:
                        if row >= 0:
                            yield row, values
                        row, values = r, [None] * len(columns)
                    body, attrs = match.group(4) or b"", match.group(3)
                    if b't="s"' in attrs:
                        shared = _shared(archive) if shared is None else shared
                        found = _VALUE.search(body)
                        text = shared[int(found.group(1))] if found else None
                    else:
                        runs = _TEXT_RUN.findall(body) or _VALUE.findall(body)
                        text = html.unescape(b"".join(runs).decode("utf-8")) if runs else None
                    values[where[match.group(1)]] = text
        if row >= 0:
            yield row, values


def _shared(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's shared strings (each item's text runs joined)."""
    try:
        data = archive.read("xl/sharedStrings.xml")
    except KeyError:
        return []
    items = re.findall(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>", data, re.S)
    return [html.unescape(b"".join(_TEXT_RUN.findall(item)).decode("utf-8")) for item in items]


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


__all__ = ["SheetData", "Workbook", "read_workbook"]
