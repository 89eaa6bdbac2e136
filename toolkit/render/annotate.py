"""``validate --annotate DIR``: the clerk's own workbook handed back with the bad cells marked.

For each file with findings, a copy (never the original) where every cell with a finding is
filled red (error) or amber (warning) and carries a comment saying what is wrong and how to fix
it, plus a 问题清单 sheet listing every finding with a link to its cell. .xlsx/.xlsm files keep
their own formatting (openpyxl); .xls/.ods files are converted to .xlsx by LibreOffice where it
is installed (their layout kept), else rebuilt from their values — the copy's 问题清单 says
which.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink

from ..atomic import atomic_path
from ..errors import UsageError
from ..findings import CELL_LIMIT, ERROR, FileReport, Finding, cut, escaped, file_of
from ..messages import say, words
from ..read.locate import ISSUES_HEAD_KEYS
from ..read.workbook import open_book
from .text import STATUS

FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"),
         "warning": PatternFill("solid", fgColor="FFEB9C"),
         "info": PatternFill("solid", fgColor="DDEBF7")}
ISSUES_SHEET = "问题清单"


def cell_text(value: str) -> str:
    """Text as a workbook cell can hold it: characters XML forbids (U+0001 from legacy
    exports) shown as \\xNN, cut to Excel's 32,767 characters with a mark."""
    return cut(escaped(ILLEGAL_CHARACTERS_RE, value), CELL_LIMIT)


def _put_text(ws, row: int, col: int, value: str) -> None:
    """A string into a cell as a string, never a formula (a sheet named “=1+2”)."""
    cell = ws.cell(row, col)
    cell.value = cell_text(value)
    cell.data_type = "s"


def _load(path: Path) -> tuple[Workbook, str | None]:
    """The clerk's workbook with its formatting, and what the copy must say about itself: an
    .xls or .ods converted by LibreOffice (widths, formats, dropdowns, hidden sheets kept), or
    a values-only rebuild where neither openpyxl nor LibreOffice can open it."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            return openpyxl.load_workbook(path, keep_vba=suffix == ".xlsm"), None
        except Exception:  # openpyxl rejects some valid files: fall back to the values
            pass
    converted = _converted(path)
    if converted is not None:
        return converted, "annotate.note_converted"
    return _rebuilt(path), "annotate.note_values" if suffix != ".xlsx" else None


def _converted(path: Path) -> Workbook | None:
    """The workbook as LibreOffice saves it as .xlsx (None: no LibreOffice, or it failed)."""
    import subprocess
    import tempfile

    from ..consolidate.recalc import convert, soffice

    if soffice() is None or path.suffix.lower() not in (".xls", ".ods", ".xlsb"):
        return None
    with tempfile.TemporaryDirectory(prefix="unionkit-annotate-") as folder:
        try:
            made = convert(path, Path(folder), "xlsx")
            return openpyxl.load_workbook(made)
        except (subprocess.SubprocessError, OSError, ValueError, KeyError):
            return None


def _rebuilt(path: Path) -> Workbook:
    """A values-only copy of a workbook (its formatting is not kept)."""
    book = open_book(path)
    out = openpyxl.Workbook()
    out.remove(out.active)
    for name in book.names:
        ws = out.create_sheet(name[:31])
        for r, row in enumerate(book.sheet(name).rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, str):
                    _put_text(ws, r, c, value)
                elif value is not None:
                    ws.cell(r, c).value = value
    return out


def _mark(book: Workbook, findings: list[Finding], lang: str) -> None:
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet in book.sheetnames and f.cell:
            by_cell[(f.sheet, f.cell)].append(f)
    fix = say("annotate.fix", lang)
    for (sheet, cell), items in by_cell.items():
        target = book[sheet][cell]
        worst = ERROR if any(f.severity == ERROR for f in items) else "warning"
        target.fill = FILLS[worst]
        text = "\n".join(f"【{STATUS[lang][f.severity]}】{like_sheet(f, target).message(lang)}"
                         f"\n{fix}{f.fix(lang)}" for f in items)
        target.comment = Comment(cell_text(text), "unionkit", width=NOTE_WIDTH,
                                 height=60 + 50 * len(items))


#: A computed amount as findings carry it (Decimal to the fen, as text).
_AMOUNT = re.compile(r"^-?\d{1,15}\.\d{2}$")


def like_sheet(f: Finding, cell: Any) -> Finding:
    """The finding with its amounts shown as the clerk's sheet shows them (1,234.50 under a
    "#,##0.00" format): the cell's own value, and the amounts the check computed, in a cell
    the sheet formats with thousands separators."""
    shown = str(cell.number_format or "")
    if "#,##" not in shown or not isinstance(cell.value, int | float | Decimal) or \
            isinstance(cell.value, bool):
        return f
    places = len(shown.split(".", 1)[1].split(";")[0].rstrip("_)")) if "." in shown else 0

    def money(text: str | None) -> str | None:
        if text != _plain(cell.value) and not _AMOUNT.match(str(text)):
            return text
        try:  # half up, as the sheet shows it; a number too large to show stays as it was
            number = Decimal(str(text)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        except ArithmeticError:
            return text
        return f"{number:,}"
    return replace(f, value=money(f.value),
                   params=tuple((k, money(v) if _AMOUNT.match(str(v)) else v)
                                for k, v in f.params))


def _plain(value: Any) -> str:
    """A number as a finding quotes a cell's value (12.5, 1200)."""
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except ArithmeticError:
        return str(value)


#: A comment box's size (px) and how it sits in the sheet: to the right of its cell, over
#: about this many columns and rows (Excel and LibreOffice place a shown note by its anchor).
NOTE_WIDTH, NOTE_COLUMNS, ROW_PX = 320, 4, 20
_VML = "urn:schemas-microsoft-com:vml"
_EXCEL = "urn:schemas-microsoft-com:office:excel"


def anchor_notes(path: Path) -> None:
    """Give each comment of the saved workbook its own anchor beside its cell. openpyxl
    writes every note box at the same place on the sheet, so 显示所有批注 stacks them all in
    the top left corner; this rewrites its VML drawings (the notes' text and cells are
    untouched)."""
    with zipfile.ZipFile(path) as old:
        parts = [(item, old.read(item)) for item in old.infolist()]
    if not any(item.filename.endswith(".vml") for item, _ in parts):
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item, data in parts:
            if item.filename.startswith("xl/drawings/") and item.filename.endswith(".vml"):
                data = _anchored(data)
            new.writestr(item, data)


def _anchored(vml: bytes) -> bytes:
    root = ElementTree.fromstring(vml)
    for shape in root.iter(f"{{{_VML}}}shape"):
        data = shape.find(f"{{{_EXCEL}}}ClientData")
        if data is None or data.find(f"{{{_EXCEL}}}Row") is None:
            continue
        row = int(data.findtext(f"{{{_EXCEL}}}Row") or 0)
        col = int(data.findtext(f"{{{_EXCEL}}}Column") or 0)
        height = int(re.search(r"height:(\d+)px", shape.get("style", "")).group(1))
        rows = -(-height // ROW_PX)
        top = max(row - 1, 0)
        shape.set("style", f"position:absolute;margin-left:{(col + 1) * 48 + 8}pt;"
                           f"margin-top:{top * 15 + 2}pt;width:{NOTE_WIDTH}px;"
                           f"height:{height}px;z-index:{row + 1};visibility:hidden")
        anchor = ElementTree.Element(f"{{{_EXCEL}}}Anchor")
        anchor.text = f"{col + 1}, 15, {top}, 2, {col + 1 + NOTE_COLUMNS}, 15, {top + rows}, 2"
        at = [child.tag for child in data].index(f"{{{_EXCEL}}}AutoFill") \
            if data.find(f"{{{_EXCEL}}}AutoFill") is not None else len(data)
        data.insert(at, anchor)
    return ElementTree.tostring(root)


def _issues_sheet(book: Workbook, findings: list[Finding], lang: str,
                  note: str | None = None) -> None:
    if ISSUES_SHEET in book.sheetnames:
        del book[ISSUES_SHEET]
    ws = book.create_sheet(ISSUES_SHEET, 0)
    label = words("label", lang)
    heads = tuple(label[k] for k in ISSUES_HEAD_KEYS)
    for col, head in enumerate(heads, start=1):
        _put_text(ws, 1, col, head)
        ws.cell(1, col).font = Font(bold=True)
    for f in findings:
        row = ws.max_row + 1
        for col, text in enumerate((f.sheet or "", f.cell or "", STATUS[lang][f.severity],
                                    f.title(lang), f.message(lang), f.fix(lang)), start=1):
            _put_text(ws, row, col, text)
        if f.cell and f.sheet in book.sheetnames:
            link = ws.cell(ws.max_row, 2)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{f.sheet}'!{f.cell}")
            link.font = Font(color="0563C1", underline="single")
        ws.cell(ws.max_row, 3).fill = FILLS[f.severity]
    if note is not None:  # what this copy is, below the findings
        _put_text(ws, ws.max_row + 2, 1, say(note, lang))
    for col, width in zip("ABCDEF", (12, 8, 6, 22, 60, 50), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    book.active = 0


def copy_name(shown: str, source: Path) -> Path:
    """The annotated copy's path under the output folder: the clerk's sub-folder kept, the
    source's format in the name unless it is .xlsx — ``sub1/y.批注.xlsx``, ``x_xls.批注.xlsx``
    — so that copies of different files never share a name."""
    shown_path = Path(file_of(shown))
    folder = Path() if shown_path.is_absolute() else shown_path.parent
    ext = source.suffix.lower()
    suffix = ".xlsm" if ext == ".xlsm" else ".xlsx"
    stem = source.stem if ext in (".xlsx", ".xlsm") else f"{source.stem}_{ext.lstrip('.')}"
    return folder / f"{stem}.批注{suffix}"


def annotate_file(source: Path, report: FileReport, out_dir: Path, lang: str = "zh",
                  name: Path | None = None) -> Path:
    """Write the annotated copy of one file under ``out_dir`` (see :func:`copy_name`)."""
    book, note = _load(source)
    _mark(book, report.findings, lang)
    _issues_sheet(book, report.findings, lang, note)
    target = out_dir / (name or copy_name(report.path, source))
    if target.resolve() == source.resolve():
        raise UsageError("overwrite_input", path=source)
    with atomic_path(target) as tmp:
        book.save(tmp)
        anchor_notes(tmp)
    return target


def annotate_report(files: list[tuple[Path, FileReport]], out_dir: Path,
                    lang: str = "zh") -> list[Path]:
    """Annotated copies for every readable, recognised file that has findings: one copy per
    file, with the findings of every template in it (a workbook may hold two)."""
    grouped: dict[Path, FileReport] = {}
    for source, report in files:
        if not report.findings or report.template is None:
            continue
        if source in grouped:
            grouped[source].findings.extend(report.findings)
        else:
            grouped[source] = FileReport(report.path, source=source, template=report.template,
                                         findings=list(report.findings))
    written, names = [], set()
    for source, report in grouped.items():
        name = copy_name(report.path, source)
        while name in names:  # two sources with one name after all: number the later one
            name = name.with_name(f"{name.stem.removesuffix('.批注')}_{len(names)}.批注{name.suffix}")
        names.add(name)
        written.append(annotate_file(source, report, out_dir, lang, name))
    return written
