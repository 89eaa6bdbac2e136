"""Open a clerk's file safely, or say exactly why it cannot be read.

python-calamine reads .xlsx/.xlsm/.xlsb/.xls/.ods fast and refuses most hostile input by itself
(entity expansion, cell-count bombs). Before handing it a file we check what calamine cannot
know: lock files, size, zip decompression ratio, encrypted BIFF (FILEPASS), and formats that
merely look like spreadsheets (Apple Numbers, SpreadsheetML 2003 XML). Every refusal is an
:class:`Unreadable` carrying a finding code and a detail; nothing else escapes this module.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

import python_calamine as pc

from ..layout import col_index

#: Refuse files larger than this outright (a branch report is a few MB at most).
MAX_FILE_BYTES = 100 * 1024 * 1024
#: Refuse zips that would inflate beyond this, or by more than MAX_RATIO.
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
#: Refuse sheets with more cells than this (rows x columns of the used range).
MAX_CELLS = 20_000_000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
LOCK_PREFIXES = ("~$", ".~lock.", ".~")


class Unreadable(Exception):
    """A file that cannot be read; ``code`` is the finding code, ``detail`` the reason."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


@dataclass
class Sheet:
    """One worksheet's used range with absolute positions: ``rows[r][c]`` is Excel row r+1."""

    name: str
    visible: bool
    rows: list[list[Any]]
    formulas_without_value: frozenset[tuple[int, int]] = frozenset()
    date1904: bool = False  # the workbook counts serial days from 1904 (old Mac Excel)
    #: Cells showing an error value (#DIV/0!, #N/A …), which python-calamine reads as empty.
    error_values: dict[tuple[int, int], str] = field(default_factory=dict)
    #: Label keys of the rows near the top, computed once (see ``locate``).
    top_labels: list[frozenset[str]] | None = field(default=None, repr=False, compare=False)

    def value(self, row: int, col: int) -> Any:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None


@dataclass
class Book:
    """A readable workbook: its sheet names (in order) and lazily loaded sheets."""

    path: Path
    kind: str
    names: list[str]
    visible: dict[str, bool]
    _book: Any = field(repr=False, default=None)
    _cache: dict[str, Sheet] = field(default_factory=dict, repr=False)

    def sheet(self, name: str) -> Sheet:
        if name not in self._cache:
            self._cache[name] = _load_sheet(self, name)
        return self._cache[name]

    def head(self, name: str, rows: int) -> Sheet:
        """The first ``rows`` rows of a sheet, as read for a look at it (not cached)."""
        return _load_sheet(self, name, rows)

    @cached_property
    def date1904(self) -> bool:
        """Whether serial day numbers count from 1904 (old Mac Excel); read once."""
        return _date1904(self)


def is_lock_file(path: Path) -> bool:
    return path.name.startswith(LOCK_PREFIXES)


def _sniff(path: Path, head: bytes) -> str:
    if head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and head[3:4] == b"\x00":
        return "biff2-4"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "xml"
    return "other"


_ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError, zlib.error,
               KeyError, ElementTree.ParseError)


def _check_zip(path: Path) -> str:
    """Guard against zip bombs, lies and damage, and recognise zips that are not spreadsheets:
    the archive is opened once and every check reads from it."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _checked_zip(archive)
    except Unreadable:
        raise
    except _ZIP_ERRORS as exc:
        raise Unreadable("file_corrupt", f"zip: {exc}") from exc


def _checked_zip(archive: zipfile.ZipFile) -> str:
    infos = archive.infolist()
    names = {i.filename for i in infos}
    if len(names) != len(infos):  # Excel refuses a zip with one part twice: so do we
        twice = sorted({i.filename for i in infos if sum(j.filename == i.filename
                                                        for j in infos) > 1})
        raise Unreadable("file_corrupt", f"zip member {twice[0]} appears twice")
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNZIPPED_BYTES or (total > 50 * 1024 * 1024 and total / packed > MAX_RATIO):
        raise Unreadable("file_too_large", f"uncompressed {total / 1e6:.0f} MB")
    if any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        raise Unreadable("file_unsupported_format", "Apple Numbers (.numbers)")
    if "mimetype" in names and "content.xml" not in names:
        raise Unreadable("file_not_spreadsheet", "zip without spreadsheet content")
    if not names & {"[Content_Types].xml", "content.xml"}:
        raise Unreadable("file_not_spreadsheet", "zip archive without spreadsheet parts")
    if "content.xml" in names and "META-INF/manifest.xml" in names and \
            b"encryption-data" in archive.read("META-INF/manifest.xml")[:1 << 20]:
        raise Unreadable("file_encrypted", "ODF encryption")  # its parts are not XML
    _check_declared_counts(archive, {i.filename: i for i in infos})
    _check_small_members(archive, infos)
    if "content.xml" not in names:
        return "xlsx"
    _check_ods_repeats(archive)
    return "ods"


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
#: How many cells with content an .ods may add by repetition (number-rows-repeated,
#: number-columns-repeated) beyond those it spells out: a 4.5 KB file repeating one filled row a
#: million times would take minutes and gigabytes to expand. Empty repeated rows (LibreOffice
#: writes one for the rest of every sheet) cost nothing and are not counted.
MAX_REPEATED_CELLS = 1_000_000


def _check_ods_repeats(archive: zipfile.ZipFile) -> None:
    """Count, before python-calamine expands them, the cells an .ods repeats."""
    extra = 0
    with archive.open("content.xml") as part:
        for _, elem in ElementTree.iterparse(part):
            if elem.tag != f"{_ODS_TABLE}table-row":
                continue
            rows = int(elem.get(f"{_ODS_TABLE}number-rows-repeated", "1"))
            filled = [int(c.get(f"{_ODS_TABLE}number-columns-repeated", "1")) for c in elem
                      if c.get(f"{_ODS_OFFICE}value-type") is not None or len(c)]
            extra += rows * sum(filled) - len(filled)
            elem.clear()
            if extra > MAX_REPEATED_CELLS:
                raise Unreadable("file_too_large", f"repeated rows and columns expand to "
                                                   f"more than {MAX_REPEATED_CELLS:,} cells")


#: Zip members up to this size are CRC-checked here; larger ones (the data sheets, the shared
#: strings) python-calamine reads whole, and its zip reader checks their CRC itself.
SMALL_MEMBER = 256 * 1024
#: XML parts up to this size are also parsed (expat) for well-formedness.
SMALL_XML = 64 * 1024


def _check_small_members(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Excel refuses a workbook any part of which fails its CRC (a flipped byte in styles.xml
    or docProps): so does unionkit, rather than reading the sheets that happen to be intact."""
    for info in infos:
        if info.file_size <= SMALL_MEMBER and not info.is_dir():
            _read_through(archive, info)


def _read_through(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read a part to its end (zipfile checks the CRC there); an XML part also goes through
    expat on the way, since Excel refuses a part that is not well-formed and python-calamine
    reads past a mismatched tag. Only parts up to :data:`SMALL_XML` (a clerk's sheet of a few
    hundred rows): parsing costs twice what reading does, which on a federation of large files
    would cost the benchmark its margin; a flipped byte in any part already fails its CRC."""
    xml = info.filename.endswith((".xml", ".rels", ".vml")) and info.file_size <= SMALL_XML
    parser = expat.ParserCreate() if xml else None
    try:
        with archive.open(info) as part:
            while chunk := part.read(1 << 16):
                if parser is not None:
                    parser.Parse(chunk, False)
        if parser is not None:
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise Unreadable("file_corrupt", f"{info.filename}: XML {exc}") from exc


#: The fewest bytes one shared string takes in sharedStrings.xml (``<si><t/></si>``).
_MIN_SHARED_STRING = 13
_DECLARED = re.compile(rb"\buniqueCount=\"(\d{1,20})\"")
_SST_TAG = re.compile(rb"<(?:\w+:)?sst\b[^>]*>")


def _check_declared_counts(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> None:
    """Refuse a workbook whose sharedStrings declares more strings than its bytes can hold:
    the Rust reader allocates for the declared count before reading (2,000,000,000 declared
    in 15 KB asks for 48 GB and aborts the process)."""
    info = infos.get("xl/sharedStrings.xml")
    if info is None:
        return
    with archive.open(info) as part:
        head = part.read(4096)
    tag = _SST_TAG.search(head)
    room = info.file_size // _MIN_SHARED_STRING + 1
    for declared in map(int, _DECLARED.findall(tag.group() if tag else b"")):
        if declared > room:
            raise Unreadable("file_corrupt", f"sharedStrings declares {declared} strings in "
                                             f"{info.file_size} bytes")


def _head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes, without reading the rest of the file."""
    with path.open("rb") as handle:
        return handle.read(size)


def _biff_globals(path: Path) -> Iterator[tuple[int, bytes]]:
    """(record type, payload) of a BIFF8 workbook's globals, up to the first BOUNDSHEET, read
    from the file's head (where the workbook stream starts)."""
    data = _head(path, 4 * 1024 * 1024)
    pos = data.find(b"\x09\x08\x10\x00\x00\x06")
    if pos < 0:
        return
    for _ in range(64):
        if pos + 4 > len(data):
            return
        kind, length = struct.unpack_from("<HH", data, pos)
        if kind == 0x0085:  # BOUNDSHEET: the globals' records that matter are behind us
            return
        yield kind, data[pos + 4:pos + 4 + length]
        pos += 4 + length


def _biff_encrypted(path: Path) -> bool:
    """True when a BIFF8 workbook stream carries a FILEPASS record (password to open)."""
    return any(kind == 0x002F for kind, _ in _biff_globals(path))


def _biff_date1904(path: Path) -> bool:
    """True when a BIFF8 workbook's DATEMODE record says the 1904 date system."""
    return any(kind == 0x0022 and payload[:2] == b"\x01\x00"
               for kind, payload in _biff_globals(path))


def _calamine_reason(exc: Exception) -> Unreadable:
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, pc.PasswordError):
        return Unreadable("file_encrypted", text)
    if "Cell limit exceeded" in text or "too large" in text.lower():
        return Unreadable("file_too_large", text)
    if "Unrecognized sheet" in text:
        return Unreadable("file_unsupported_format", f"Excel 4.0 macro or dialog sheet ({text})")
    if "Cannot detect file format" in text:
        return Unreadable("file_not_spreadsheet", "unknown file format")
    return Unreadable("file_corrupt", text)


def open_book(path: Path) -> Book:
    """Open a workbook for reading or raise :class:`Unreadable`."""
    try:
        size = path.stat().st_size
        head = _head(path, 4096)
    except OSError as exc:
        raise Unreadable("file_corrupt", exc.strerror or str(exc)) from exc
    if size == 0:
        raise Unreadable("file_corrupt", "empty file (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise Unreadable("file_too_large", f"{size / 1e6:.0f} MB")
    kind = _sniff(path, head)
    if kind == "zip":
        kind = _check_zip(path)
    elif kind == "xml":
        if b"urn:schemas-microsoft-com:office:spreadsheet" in _head(path, 65536):
            raise Unreadable("file_unsupported_format", "SpreadsheetML 2003 XML")
        raise Unreadable("file_not_spreadsheet", "XML or HTML text")
    elif kind == "biff2-4":
        raise Unreadable("file_unsupported_format", "Excel 2.x–4.0 (BIFF2-4) .xls")
    elif kind == "ole":
        if _biff_encrypted(path):
            raise Unreadable("file_encrypted", "BIFF FILEPASS")
        kind = "xls"
    elif path.suffix.lower() != ".xlsb":
        raise Unreadable("file_not_spreadsheet", "unknown file format")
    try:
        book = pc.CalamineWorkbook.from_path(str(path))
        meta = book.sheets_metadata
    except Exception as exc:  # calamine raises several types; every one is a reason
        raise _calamine_reason(exc) from exc
    worksheets = [m for m in meta if str(m.typ).endswith("WorkSheet")]
    names = [m.name for m in worksheets]
    visible = {m.name: str(m.visible).endswith(".Visible") for m in worksheets}
    return Book(path, kind, names, visible, book)


def _load_sheet(book: Book, name: str, limit: int | None = None) -> Sheet:
    """A sheet's rows (its first ``limit`` only, for a look at it: then without the cells that
    only a full read finds, formulas with no value and error cells)."""
    try:
        sheet = book._book.get_sheet_by_name(name)
        if sheet.height * sheet.width > MAX_CELLS:
            raise Unreadable("file_too_large", f"sheet {name}: {sheet.height} x {sheet.width}")
        top, left = sheet.start if sheet.start else (0, 0)
        rows: list[list[Any]] = []
        if (top + sheet.height) * (left + sheet.width) <= MAX_CELLS:
            # row by row from the sheet's first cell: a million rows are never held twice
            rows.extend(islice(([None if v == "" else v for v in r] for r in sheet.iter_rows()),
                               limit))
        else:  # a far-off used range: the rows above it stay empty instead of padded
            rows.extend(islice(([] for _ in range(top)), limit))
            rows.extend(islice(([None] * left + [None if v == "" else v for v in r]
                                for r in sheet.to_python(skip_empty_area=True)),
                               None if limit is None else max(0, limit - len(rows))))
    except Unreadable:
        raise
    except Exception as exc:
        raise _calamine_reason(exc) from exc
    missing, errors = _special_cells(book, name) if book.kind == "xlsx" and limit is None \
        else (frozenset(), {})
    return Sheet(name, book.visible.get(name, True), rows, missing, book.date1904, errors)


_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"")


def _date1904(book: Book) -> bool:
    """Whether an .xlsx uses the 1904 date system (python-calamine converts date-formatted
    cells itself, but a bare serial typed into a date column is ours to convert)."""
    if book.kind == "xls":
        return _biff_date1904(book.path)
    if book.kind != "xlsx":
        return False
    try:
        with zipfile.ZipFile(book.path) as archive, archive.open("xl/workbook.xml") as part:
            return bool(_DATE1904.search(part.read(1 << 16)))
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Every worksheet's zip path by sheet name, through workbook.xml and its relationships
    (read once, for a caller that visits every sheet)."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(
            s.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"))
        if target:
            out[s.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def sheet_part(archive: zipfile.ZipFile, name: str) -> str | None:
    """The zip path of a worksheet, through workbook.xml and its relationships."""
    return sheet_parts(archive).get(name)


#: A formula tag, unprefixed or prefixed (``<x:f>``): two searches with a literal start run in
#: a fifth of the time of one pattern with an optional prefix, on every sheet read.
_FORMULA_TAGS = (re.compile(rb"<f[\s>/]"), re.compile(rb":f[\s>/]"))


def _has_special(stream: Any, chunk: int = 1 << 20) -> bool:
    """Whether a sheet's XML holds any formula or error cell: a byte scan, far cheaper than
    parsing."""
    tail = b""
    while block := stream.read(chunk):
        data = tail + block
        if b't="e"' in data or any(tag.search(data) for tag in _FORMULA_TAGS):
            return True
        tail = block[-16:]
    return False


def _special_cells(book: Book, name: str) -> tuple[frozenset[tuple[int, int]],
                                                   dict[tuple[int, int], str]]:
    """Cells python-calamine shows as empty although they are not: formulas with no cached
    value, and cells showing an error value (with that value, e.g. ``#DIV/0!``)."""
    missing: set[tuple[int, int]] = set()
    errors: dict[tuple[int, int], str] = {}
    try:
        with zipfile.ZipFile(book.path) as archive:
            part = sheet_part(archive, name)
            if part is None or part not in archive.namelist():
                return frozenset(), {}
            with archive.open(part) as stream:
                if not _has_special(stream):
                    return frozenset(), {}
            with archive.open(part) as stream:
                for _, elem in ElementTree.iterparse(stream):
                    if elem.tag != f"{_NS_MAIN}c":
                        continue
                    formula, value = elem.find(f"{_NS_MAIN}f"), elem.find(f"{_NS_MAIN}v")
                    text = "" if value is None else (value.text or "").strip()
                    match = _CELL_REF.match(elem.get("r", ""))
                    if match:
                        where = (int(match.group(2)) - 1, col_index(match.group(1)))
                        if elem.get("t") == "e" and text:
                            errors[where] = text[:16]
                        elif formula is not None and not text:
                            missing.add(where)
                    elem.clear()
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError, KeyError):
        return frozenset(), {}
    return frozenset(missing), errors
