"""Row checks and the data digest: how a generated workbook proves its cells were not edited.

Every data row of a generated sheet carries a check cell (a hidden last column)::

    <row hash>:<one byte per cell>

The row hash is SHA-256 over the row's cells in canonical form (derived columns such as 状态 are
not covered: verify re-derives them), and the per-cell bytes name the edited cell. The
manifest's data digest chains every check cell in sheet order, so a changed, deleted, inserted
or re-hashed row changes it; per-file row counts in the manifest then name the file. Canonical
forms are chosen so the value written and the value read back (by openpyxl, calamine, or after
a LibreOffice round trip) give the same text.

This detects edits made after generation; it is not a signature against a forger who recomputes
the checks. For that, verify re-derives everything from the source files (``--sources``).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .layout import EXCEL_EPOCH

_FEN = Decimal("0.01")
_HEX = [f"{byte:02x}" for byte in range(256)]


def canonical(value: object) -> str:
    """The text a cell's value is checked as: numbers to the fen, dates as Excel serials."""
    if type(value) is str:  # the common cases first
        return value
    if type(value) is int:
        return f"{value}.00"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        value = (value - EXCEL_EPOCH).days
    if isinstance(value, float):
        value = Decimal(repr(value))  # not money math: a stored double read back as written
    if isinstance(value, int | Decimal):
        return str(Decimal(value).quantize(_FEN, rounding=ROUND_HALF_UP))
    return str(value)


def row_check(cells: Sequence[object]) -> str:
    """The check cell of one data row: ``<row hash>:<one byte per cell>``."""
    texts = [canonical(c) for c in cells]
    return check_of(texts, map(cell_mark, texts))


def cell_mark(text: str) -> str:
    """The byte a cell contributes to its row's check (two hex digits), from its canonical text."""
    return _HEX[zlib.crc32(text.encode()) & 0xFF]


def check_of(texts: Sequence[str], marks: Iterable[str]) -> str:
    """A row's check from its cells' canonical texts and marks (see :func:`row_check`); for
    writers that keep both per distinct value instead of recomputing them per cell."""
    return hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:16] + ":" + "".join(marks)


def parse_check(text: object) -> tuple[str, list[str]] | None:
    """(row hash, per-cell bytes) of a check cell, or None when it is not one."""
    parts = str(text or "").split(":")
    if len(parts) != 2 or len(parts[0]) != 16 or len(parts[1]) % 2:
        return None
    return parts[0], [parts[1][i:i + 2] for i in range(0, len(parts[1]), 2)]


def changed_cells(check: object, cells: Sequence[object]) -> list[int] | None:
    """Indexes of the cells that differ from what the check recorded; None when the row holds.
    A check that is missing or malformed, or a row of another width, marks every cell."""
    fresh = row_check(cells)
    if fresh == check:
        return None
    recorded, now = parse_check(check), parse_check(fresh)
    if recorded is None or now is None or len(recorded[1]) != len(now[1]):
        return list(range(len(cells)))
    changed = [i for i, (a, b) in enumerate(zip(recorded[1], now[1], strict=True)) if a != b]
    return changed or list(range(len(cells)))  # same bytes, other hash: a collision in a byte


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MB blocks (inputs and outputs are traced by it)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Digest:
    """The data digest: SHA-256 chained over (sheet, check cell) in writing order."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, sheet: str, check: str) -> None:
        self._hash.update(f"{sheet}\x1f{check}\n".encode())

    def extend(self, sheet: str, checks: Iterable[str]) -> None:
        """Many :meth:`add` in one update (a chained hash over the same bytes)."""
        self._hash.update("".join(f"{sheet}\x1f{check}\n" for check in checks).encode())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
