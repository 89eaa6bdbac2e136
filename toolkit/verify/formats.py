"""Number formats that show a reader another figure than the cell holds.

A cell's value can be intact while its number format lies: ``0,`` shows 12,345.67 as 12,
``0.00;0.00`` hides the minus sign, ``"1"0.00`` prints a digit that is not there, a date
styled ``General`` reads 46300. The row checks see values only, so verify reads every cell's
style from the sheet XML (a byte scan, as for formulas) and judges each distinct
(column, style, value type) once against the kind of figure the column holds. What passes is
what Excel, WPS or LibreOffice may write when they re-save: any grouping, more decimals,
colours, accounting formats, ``[$-804]`` locales, 大写 numerals, zero shown as ``-``.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from ..read.workbook import sheet_parts
from .reader import _blocks

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
#: A cell's start tag, when the cell holds something (an empty ``<c …/>`` shows nothing): its
#: column, style index (absent: 0) and type (absent: a number).
_CELL = re.compile(rb'<(?:\w+:)?c\b(?![^>]*/>)(?=[^>]*?\br="([A-Z]+)\d+")'
                   rb'(?=(?:[^>]*?\bs="(\d+)")?)(?=(?:[^>]*?\bt="(\w+)")?)')
#: Built-in formats (ECMA-376 §18.8.30, with the zh-CN dates Excel uses for 27–36, 50–58).
BUILTIN = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
    11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "yyyy/m/d", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "yyyy/m/d h:mm", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_);_("$"* \\(#,##0.00\\);_("$"* "-"??_);_(@_)',
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0", 48: "##0.0E+0", 49: "@",
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy",
    31: 'yyyy"年"m"月"d"日"', 32: 'h"时"mm"分"', 33: 'h"时"mm"分"ss"秒"',
    34: '上午/下午h"时"mm"分"', 35: '上午/下午h"时"mm"分"ss"秒"', 36: 'yyyy"年"m"月"',
    50: 'yyyy"年"m"月"', 51: 'm"月"d"日"', 52: 'yyyy"年"m"月"', 53: 'm"月"d"日"',
    54: 'm"月"d"日"', 55: '上午/下午h"时"mm"分"', 56: '上午/下午h"时"mm"分"ss"秒"',
    57: 'yyyy"年"m"月"', 58: 'm"月"d"日"',
}
#: Decimals a figure of each kind needs to show itself (None: a date).
DECIMALS = {"money": 2, "points": 1, "pct": 1, "int": 0, "text": 0, "date": None}
_PLACEHOLDER = set("0#?")
_COLOUR_OR_LOCALE = re.compile(r"^(?:black|blue|cyan|green|magenta|red|white|yellow|"
                               r"color\s*\d+|\$[^\]]*|dbnum\d)$", re.I)


@dataclass(frozen=True)
class Section:
    """One ``;`` section of a format: the characters Excel interprets, and its literals."""

    live: str
    literal: str
    brackets: tuple[str, ...]


def sections(code: str) -> list[Section]:
    """Split a format code into sections, separating literals (quoted, ``\\x``) from the
    characters that format the number; ``_x`` (a space as wide as x) and ``*x`` (fill) drop."""
    out, live, literal, brackets = [], [], [], []
    i = 0
    while i < len(code):
        ch = code[i]
        if ch == '"':
            end = code.find('"', i + 1)
            end = len(code) if end < 0 else end
            literal.append(code[i + 1:end])
            i = end + 1
            continue
        if ch == "\\" and i + 1 < len(code):
            literal.append(code[i + 1])
            i += 2
            continue
        if ch in "_*":
            i += 2
            continue
        if ch == "[":
            end = code.find("]", i)
            end = len(code) if end < 0 else end
            brackets.append(code[i + 1:end])
            i = end + 1
            continue
        if ch == ";":
            out.append(Section("".join(live), "".join(literal), tuple(brackets)))
            live, literal, brackets = [], [], []
        else:
            live.append(ch)
        i += 1
    out.append(Section("".join(live), "".join(literal), tuple(brackets)))
    return out


def _decimals(live: str) -> int:
    """Digits a (non-General) section shows after the decimal point."""
    point = live.find(".")
    if point < 0:
        return 0
    count = 0
    for ch in live[point + 1:]:
        if ch not in _PLACEHOLDER:
            break
        count += 1
    return count


def _scales(live: str) -> bool:
    """A comma not followed by a digit placeholder divides by 1,000 (``0,`` and ``0,.00``)."""
    return any(ch == "," and (i + 1 == len(live) or live[i + 1] not in _PLACEHOLDER)
               and any(c in _PLACEHOLDER for c in live[:i]) for i, ch in enumerate(live))


def _odd_brackets(section: Section) -> bool:
    """A bracket other than a colour, a locale or 大写 numerals: a condition or elapsed time."""
    return any(not _COLOUR_OR_LOCALE.match(b) for b in section.brackets)


def _number_problem(section: Section, kind: str, negative: bool) -> str | None:
    if _odd_brackets(section):
        return "condition"
    if any(ch.isdigit() for ch in section.literal) or any(
            ch.isdigit() for ch in section.live if ch not in _PLACEHOLDER):
        return "literal"
    lower = section.live.lower()
    general = "general" in lower
    if not general and not any(c in _PLACEHOLDER for c in section.live):
        return "hidden" if not section.literal.strip("-— ") else "literal"
    signs = section.live + section.literal
    if negative != ("-" in signs or "(" in signs) and not (general and not negative):
        return "sign"
    if general:
        return None
    if ("%" in section.live) != (kind == "pct"):
        return "percent"
    if "e" in lower or "/" in section.live:
        return "notation"
    if _scales(section.live):
        return "scaled"
    if _decimals(section.live) < DECIMALS[kind]:
        return "rounded"
    return None


def _date_problem(section: Section) -> str | None:
    if _odd_brackets(section):
        return "not_a_date"
    lower = section.live.lower()
    if "general" in lower or any(c in _PLACEHOLDER for c in section.live):
        return "not_a_date"
    has = [any(c in lower for c in chars) for chars in ("ye", "m", "d")]
    return None if all(has) else "part_of_date"


def problem(code: str, kind: str, number: bool) -> str | None:
    """Why a cell of ``kind`` formatted with ``code`` shows another figure, or None.

    ``number`` is False for a text cell, which only a fourth section can change."""
    parts = sections(code)
    if len(parts) > 4:
        return "condition"
    if not number:
        return "literal" if len(parts) == 4 and "@" not in parts[3].live else None
    if len(parts) == 1 and parts[0].live.strip() == "@":  # a number in a text cell: General
        parts = sections("General")
    if kind == "date":
        return _date_problem(parts[0])
    if len(parts) == 1:  # negatives take the one section with a minus sign
        parts.append(Section("-" + parts[0].live, parts[0].literal, parts[0].brackets))
    for index, section in enumerate(parts[:3]):
        if index < 2:
            found = _number_problem(section, kind, negative=index == 1)
        elif any(ch.isdigit() and ch != "0" for ch in section.live + section.literal):
            found = "literal"  # zero may show as 0, 0.00, "-" or nothing more
        else:
            found = None if section.live.strip() or section.literal.strip() else "hidden"
        if found:
            return found
    return None


def _styles(archive: zipfile.ZipFile) -> tuple[list[str], bool]:
    """Each cell style's format code, and whether any conditional format sets a number
    format (unionkit's never do: a rule could restyle any figure it matches)."""
    try:
        root = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except (KeyError, ElementTree.ParseError):
        return [], False
    custom = {int(f.get("numFmtId", "0")): f.get("formatCode", "General")
              for f in root.iter(f"{_NS}numFmt")}
    xfs = root.find(f"{_NS}cellXfs")
    codes = [custom.get(int(xf.get("numFmtId", "0")),
                        BUILTIN.get(int(xf.get("numFmtId", "0")), "General"))
             for xf in (xfs if xfs is not None else [])]
    dxfs = root.find(f"{_NS}dxfs")
    conditional = dxfs is not None and any(d.find(f"{_NS}numFmt") is not None for d in dxfs)
    return codes, conditional


_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b(?=[^>]*?\bhidden="(?:1|true)")(?=[^>]*?\br="(\d+)")')
_HIDDEN_COLS = re.compile(rb'<(?:\w+:)?col\b(?=[^>]*?\bhidden="(?:1|true)")'
                          rb'(?=[^>]*?\bmin="(\d+)")(?=[^>]*?\bmax="(\d+)")')


@dataclass
class _Scan:
    """What one pass over a sheet's XML finds: distinct (column, style, is a number), the
    first hidden row, and the hidden column ranges (1-based, as the XML has them)."""

    cells: list[tuple[bytes, int, bool]]
    hidden_row: int | None
    hidden_cols: list[tuple[int, int]]


#: The start tag as Excel, LibreOffice, WPS, openpyxl and xlsxwriter write it (``r`` first):
#: its column and the attributes after, with the row number left out so a set dedups them.
_CELL_FAST = re.compile(rb'<c r="([A-Z]+)\d+"([^>]*)>')
_S, _T = re.compile(rb'\bs="(\d+)"'), re.compile(rb'\bt="(\w+)"')


def _distinct_cells(block: bytes) -> set[tuple[bytes, bytes, bytes]]:
    """(column, style, type) of the non-empty cells of a block of sheet XML. The fast pattern
    matches once per distinct (column, attributes) at C speed; a block where it misses some
    tag (another attribute order, a namespace prefix) is read with the general pattern."""
    fast = _CELL_FAST.findall(block)
    if len(fast) != block.count(b"<c ") + block.count(b"<c>"):
        return set(_CELL.findall(block))
    out = set()
    for column, rest in set(fast):
        if not rest.endswith(b"/"):
            s, t = _S.search(rest), _T.search(rest)
            out.add((column, s.group(1) if s else b"", t.group(1) if t else b""))
    return out


def _scan(stream) -> _Scan:
    seen: set[tuple[bytes, bytes, bytes]] = set()
    hidden_row, cols = None, []
    for block in _blocks(stream):
        seen |= _distinct_cells(block)
        if b'hidden="' not in block:  # nearly every block: a substring search, not a regex
            continue
        if hidden_row is None and (row := _HIDDEN_ROW.search(block)):
            hidden_row = int(row.group(1))
        cols += [(int(a), int(b)) for a, b in _HIDDEN_COLS.findall(block)]
    return _Scan(sorted((column, int(style or 0), kind in (b"", b"n"))
                        for column, style, kind in seen), hidden_row, cols)


def _first_cell(archive: zipfile.ZipFile, part: str, column: bytes, style: int) -> str:
    pattern = re.compile(rb'<(?:\w+:)?c\b(?![^>]*/>)(?=[^>]*?\br="(' + column + rb'\d+)")'
                         + (rb'(?=[^>]*?\bs="' + str(style).encode() + rb'")' if style else
                            rb'(?![^>]*?\bs="[1-9])'))
    with archive.open(part) as stream:
        for block in _blocks(stream):
            match = pattern.search(block)
            if match:
                return match.group(1).decode()
    return column.decode()


@dataclass(frozen=True)
class Misleading:
    """A cell whose format shows another figure: where, the format, and why."""

    sheet: str
    cell: str
    code: str
    kind: str
    reason: str


def misleading(path: Path, layouts: dict[str, dict[str, str]],
               hidden: dict[str, set[int]]) -> Iterable[Misleading]:
    """Cells of the sheets in ``layouts`` (sheet → column letter → kind; unlisted columns hold
    text) whose number format misrepresents their figure, one per column and style; and rows
    or columns hidden from a reader (unionkit hides only the columns of ``hidden``, 1-based:
    each sheet's 行校验 and a detail sheet's keyed hashes)."""
    with zipfile.ZipFile(path) as archive:
        codes, conditional = _styles(archive)
        parts = sheet_parts(archive)
        if conditional:
            yield Misleading("", "", "dxf", "text", "conditional")
        for sheet, kinds in layouts.items():
            part = parts.get(sheet)
            if part is None:
                continue
            with archive.open(part) as stream:
                scan = _scan(stream)
            if scan.hidden_row is not None:
                yield Misleading(sheet, f"A{scan.hidden_row}", "", "text", "hidden_row")
            allowed = hidden.get(sheet, set())
            for low, high in scan.hidden_cols:
                shown = [c for c in range(low, high + 1) if c not in allowed]
                if shown:
                    yield Misleading(sheet, f"{_letters(shown[0])}1", "", "text",
                                     "hidden_column")
            for column, style, number in scan.cells:
                code = codes[style] if style < len(codes) else "General"
                kind = kinds.get(column.decode(), "text")
                reason = problem(code, kind, number)
                if reason:
                    yield Misleading(sheet, _first_cell(archive, part, column, style), code,
                                     kind, reason)


def _letters(column: int) -> str:
    """Letters of a 1-based column number."""
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out
