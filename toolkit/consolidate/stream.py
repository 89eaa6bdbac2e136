"""Detail rows rendered by the workers and written straight into xlsxwriter's row stream.

A federation's detail sheets hold hundreds of thousands of rows; xlsxwriter spends about 6 µs on
each cell (argument checks, a cell object, attribute escaping), in the one parent process. So the
per-file stage renders each row's cells as the XML xlsxwriter would write (inline strings,
numbers, the same style indexes, control characters and edge whitespace escaped the same way), with
a placeholder for the row number, and prepares the row's check; the writer only adds the status
and check cells and the row number.

This leans on internals, each pinned by tests (this XML against xlsxwriter's own; every
workbook read back by openpyxl, python-calamine and LibreOffice): xlsxwriter's
``_write_single_row``, ``_check_dimensions`` and ``fh`` (the row stream), its
``_write_optimized_sheet_data`` and ``_store_workbook`` (:class:`Worksheet`, :class:`Workbook`),
and zipfile's ``_ZipWriteFile._compressor`` (:class:`_Zip`).
"""

from __future__ import annotations

import os
import re
import shutil
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import xlsxwriter.workbook
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

from ..findings import FileReport
from ..integrity import canonical, cell_mark, check_of
from ..layout import EXCEL_EPOCH
from ..memo import Memos
from ..money import excel_number
from ..parallel import default_workers
from ..privacy import Privacy, hashed, shown
from ..spec import load_spec
from ..spool import in_pieces
from .formulas import detail_sums, keyed_columns

#: Cell styles by kind; the workbook registers them first, so their xf indexes are 1, 2, …
STYLE_KINDS = ("text", "int", "money", "points", "date")
STYLE = {kind: i + 1 for i, kind in enumerate(STYLE_KINDS)}
ROW = "\x00"  # stands for the row number; raw control characters never survive escaping
_ROW = ROW.encode()
_XML_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LETTERS = [xl_col_to_name(c) for c in range(64)]
_TEXT = STYLE["text"]


#: The xlsxwriter minor versions these internals are tested against (pyproject pins them; a
#: test fails, naming the version, on any other).
TESTED_XLSXWRITER = ("3.3",)

#: zlib level for the workbook's zip. xlsxwriter takes zlib's default (6); level 1 deflates a
#: federation's 380 MB of sheet XML in a third of the time (1.5 s instead of 4.4 s) into a file
#: 20% larger (61 MB instead of 51 MB). Excel, WPS and LibreOffice read any level.
ZIP_LEVEL = 1
_PIECE = 1 << 20


class _Deflate:
    """A zip member's compressor that deflates 1 MB pieces on threads (zlib lets go of the
    interpreter while it works). Each piece ends on a sync flush, so the pieces join into one
    valid deflate stream; the pieces are fixed, so the same bytes compress to the same bytes."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool

    def compress(self, data: bytes) -> bytes:
        view = memoryview(data)
        return b"".join(self.pool.map(_deflate_piece, (view[i:i + _PIECE]
                                                       for i in range(0, len(view), _PIECE))))

    def flush(self) -> bytes:
        return zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15).flush()  # the final empty block


def _deflate_piece(piece: memoryview) -> bytes:
    deflate = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
    return deflate.compress(piece) + deflate.flush(zlib.Z_SYNC_FLUSH)


#: A sheet's XML file → (the byte offset of its rows, the file holding them): see
#: :meth:`Worksheet._write_optimized_sheet_data`.
Splices = dict[str, tuple[int, str]]


class _Zip(ZipFile):
    """The zip xlsxwriter writes the workbook into: deflated at :data:`ZIP_LEVEL`, on every
    core (xlsxwriter's sheets are files; it adds them with ``write``, one at a time); a sheet
    whose rows are in a file of their own (``splices``) is read in three parts."""

    def __init__(self, *args: Any, splices: Splices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = ThreadPoolExecutor(default_workers())
        self.splices = {} if splices is None else splices

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,
              compresslevel: Any = None) -> None:
        del compress_type, compresslevel  # every member deflates at ZIP_LEVEL, in pieces
        info = ZipInfo.from_file(filename, arcname, strict_timestamps=self._strict_timestamps)
        info.compress_type = ZIP_DEFLATED
        at, rows = self.splices.pop(str(filename), (None, None))
        if rows is not None:
            info.file_size += os.path.getsize(rows)  # zip64 is decided from the size
        with open(filename, "rb") as source, self.open(info, "w") as member:
            member._compressor = _Deflate(self.pool)
            if rows is not None:
                member.write(source.read(at))  # the sheet's XML before its rows: a few KB
                with open(rows, "rb") as spliced:
                    shutil.copyfileobj(spliced, member, 4 * _PIECE)
                os.unlink(rows)
            shutil.copyfileobj(source, member, 4 * _PIECE)

    def close(self) -> None:
        super().close()
        self.pool.shutdown()


#: Functions Excel has always had (no ``_xlfn.`` prefix): the ones unionkit's formulas use.
PLAIN_FUNCTIONS = frozenset({"COUNTIFS", "IF", "ROUND", "SUBTOTAL", "SUM", "SUMIFS"})
_FUNCTION = re.compile(r"\b([A-Z][A-Z0-9._]*)\(")

_RENDERED = Memos()  # (column, kind) → (type, value) → (XML, canonical text, check mark)


class Worksheet(xlsxwriter.worksheet.Worksheet):
    """xlsxwriter's ``constant_memory`` worksheet, whose rows go into the sheet's XML as bytes.

    xlsxwriter copies a sheet's temporary row file into the sheet's XML through text files,
    decoding and encoding every byte again: 1.5 s for a federation's 380 MB of rows. Here the
    rows stay in their file and the zip reads them in place (``splices``, set by
    :class:`Workbook`): a federation's rows are written once and read once.
    """

    splices: Splices | None = None

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        """A formula as xlsxwriter stores it. xlsxwriter tries 30 rewrites on each one (Excel's
        newer functions take an ``_xlfn.`` prefix), a second of a federation's 6,000 汇总 and
        小计 formulas; a formula of only :data:`PLAIN_FUNCTIONS` needs none of them."""
        body = formula[1:] if formula.startswith("=") else formula
        if formula.startswith("{") or formula.endswith("}") \
                or not set(_FUNCTION.findall(body)) <= PLAIN_FUNCTIONS:
            return super()._prepare_formula(formula, expand_future_functions)
        return body

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None or not hasattr(self.fh, "buffer") or self.splices is None:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.close()  # flushed: the bytes are all on disk
        self.row_data_fh_closed = True
        self.fh.flush()  # the rows go here, when the zip reads this file
        self.splices[self.fh.name] = (self.fh.buffer.tell(), self.row_data_filename)
        self._xml_end_tag("sheetData")


class Workbook(xlsxwriter.Workbook):
    """xlsxwriter's workbook, zipped by :class:`_Zip` (it has no option for the zip), its
    worksheets copying their rows as bytes (:class:`Worksheet`)."""

    worksheet_class = Worksheet

    def _store_workbook(self) -> None:
        splices: Splices = {}
        for sheet in self.worksheets():
            sheet.splices = splices
        zip_file = xlsxwriter.workbook.ZipFile
        xlsxwriter.workbook.ZipFile = partial(_Zip, splices=splices)
        try:
            super()._store_workbook()
        finally:
            xlsxwriter.workbook.ZipFile = zip_file
            for _, rows in splices.values():  # a write that failed: its rows are still here
                with suppress(FileNotFoundError):
                    os.unlink(rows)


def cell_xml(col: int, value: Any, kind: str) -> str:
    """One cell's XML with the row number left as :data:`ROW` ("" for a blank)."""
    return _cell(f'<c r="{_LETTERS[col]}{ROW}"', kind, value)


def _cell(ref: str, kind: str, value: Any) -> str:
    body = _body(value, kind)
    return ref + body if body else ""


def _encoded(ref: str, kind: str, key: tuple[type, Any]) -> tuple[str, str, str]:
    """A cell's XML, canonical text and check mark (:mod:`toolkit.integrity`)."""
    value = key[1]
    if value.__class__ is str and value:  # the common case first: text is its own canonical
        return ref + _string_body(value), value, cell_mark(value)
    text = canonical(value)
    return _cell(ref, kind, value), text, cell_mark(text)


def _body(value: Any, kind: str) -> str:
    """A cell's XML after its reference: attributes and value ("" for a blank)."""
    if value is None or value == "":
        return ""
    if type(value) is str:  # the common case first
        return _string_body(value)
    if isinstance(value, Decimal):
        style = STYLE["points" if kind == "points" else "money"]
        return f' s="{style}"><v>{excel_number(value):.16G}</v></c>'
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f' s="{STYLE["date"]}"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f' s="{STYLE["int"]}"><v>{value}</v></c>'
    return _string_body(str(value))


def _string_body(text: str) -> str:
    if not text.isprintable() or "_x" in text:  # control characters become _xHHHH_
        text = XMLwriter._escape_control_characters(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return (f' s="{_TEXT}" t="inlineStr"><is><t{space}>'
            f"{text.translate(_XML_SPECIAL)}</t></is></c>")


def render_columns(columns: Sequence[Sequence[Any]],
                   kinds: Sequence[str]) -> tuple[list[str], list[str]]:
    """Rows given column by column, as (each row's cells XML, each row's check —
    :func:`row_check`). Each distinct (type, value) of a column is rendered once, in a memo
    a worker keeps from file to file (:class:`Memos`); the type is in the key because 0,
    0.00 and False are equal keys but not equal cells."""
    if not columns or not columns[0]:
        return [], []
    encoded = [zip(*_RENDERED.map((col, kind), partial(_encoded, f'<c r="{_LETTERS[col]}{ROW}"',
                                                        kind),
                                  zip(map(type, values), values, strict=True)), strict=True)
               for col, (values, kind) in enumerate(zip(columns, kinds, strict=True))]
    xml_cols, text_cols, mark_cols = zip(*encoded, strict=True)
    xml = list(map("".join, zip(*xml_cols, strict=True)))
    checks = list(map(check_of, zip(*text_cols, strict=True),
                      map("".join, zip(*mark_cols, strict=True))))
    return xml, checks


def cells_xml(cells: Sequence[Any], kinds: Sequence[str], first_col: int = 0) -> str:
    return "".join(cell_xml(first_col + i, v, k) for i, (v, k) in enumerate(zip(cells, kinds,
                                                                                  strict=True)))


def write_rows(ws: Any, row: int, rows: Sequence[bytes], first_col: int, last_col: int) -> None:
    """Rendered rows (UTF-8) as rows ``row``, ``row + 1``, … (0-based) of a ``constant_memory``
    worksheet, in one write; every row spans ``first_col`` to ``last_col``. Rows arrive as
    bytes so the writer only splices them (the workers encoded them)."""
    if not rows:
        return
    ws._write_single_row(row)  # flush the row xlsxwriter holds, as its own writes do
    ws._check_dimensions(row, first_col)
    ws._check_dimensions(row + len(rows) - 1, last_col)
    ws.fh.flush()  # what xlsxwriter wrote as text, then these bytes
    ws.fh.buffer.write(b"".join(b'<row r="%d">%s</row>' % (n, xml.replace(_ROW, b"%d" % n))
                                for n, xml in enumerate(rows, start=row + 1)))


def write_cells(ws: Any, row: int, cells: Sequence[Any], kinds: Sequence[str]) -> None:
    """Typed values as a row (blanks skipped; an all-blank row writes nothing)."""
    filled = [c for c, value in enumerate(cells) if value is not None and value != ""]
    if filled:
        write_rows(ws, row, [cells_xml(cells, kinds).encode()], filled[0], filled[-1])


@dataclass
class DetailRows:
    """Some of one file's rows for its template's detail sheet, rendered by the worker, and
    their subtotals."""

    #: (source row, cells up to 来源行, the check cell, the check): 状态 goes between; the
    #: cells are UTF-8, ready for :func:`write_rows`.
    rows: list[tuple[int, bytes, bytes, str]] = field(default_factory=list)
    sums: dict[str, Decimal] = field(default_factory=dict)


def detail_kinds(template: str, keyed: Sequence[str] = ()) -> list[str]:
    """Kinds of a detail sheet's columns: 分会代码, the spec's, the keyed hashes, 来源文件,
    来源行, 状态, 行校验."""
    return ["text", *(c.type for c in load_spec(template).columns),
            *["text"] * len(keyed_columns(template, keyed)), "text", "int", "text", "text"]


def render_detail(report: FileReport, privacy: Privacy) -> None:
    """A file's rows rendered for its detail sheet (all but the 状态 cell, which depends on
    every file's findings), with their checks and subtotals, as pieces of
    :data:`PIECE_ROWS` rows: ``report.pieces("detail")``. A masked column's cells are shown
    masked and its keyed hashes follow the spec's columns (see :mod:`toolkit.privacy`)."""
    if report.template is None or not report.records:
        return
    spec = load_spec(report.template)
    keys = [c.key for c in spec.columns]
    masked = keyed_columns(report.template, privacy.mask)
    kinds = detail_kinds(report.template, privacy.mask)[:-2]
    check_ref = f'<c r="{_LETTERS[len(kinds) + 1]}{ROW}" s="{_TEXT}" t="inlineStr"><is><t>'
    summed = detail_sums(report.template)
    for records in in_pieces(report.records):
        count = len(records)
        columns = [[report.branch_code] * count]
        for key in keys:  # a file's records share one index: read its cells by column
            col = records[0].index.get(key, -1)
            column = [rec.cells[col] for rec in records]
            if None in column:  # a value that did not read: the clerk's text, as typed
                column = [rec.shown(key) if v is None else v
                          for rec, v in zip(records, column, strict=True)]
            columns.append(column)
        for c in masked:  # from the values as read, before they are masked
            columns.append([hashed(v, privacy) for v in columns[1 + keys.index(c.key)]])
        for c in masked:
            at = 1 + keys.index(c.key)
            columns[at] = [shown(v, c, privacy) for v in columns[at]]
        columns += [[report.path] * count, [rec.row + 1 for rec in records]]
        xml, checks = render_columns(columns, kinds)
        report.add_piece("detail", DetailRows(
            [(rec.row + 1, cells.encode(), f"{check_ref}{check}</t></is></c>".encode(), check)
             for rec, cells, check in zip(records, xml, checks, strict=True)],
            {key: sum((v for v in columns[1 + keys.index(key)] if isinstance(v, Decimal)),
                      Decimal(0)) for key in summed}))
