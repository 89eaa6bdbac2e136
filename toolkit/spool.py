"""Records of validated files kept on disk, so a run holds one file's rows at a time.

A worker pickles a file's records once (:meth:`FileReport.pack`); those bytes are appended here
unchanged and later stages read them back per file (:meth:`FileReport.load`). Each process
appends to a file of its own, so local workers write without locks, and a federation costs a
handful of files rather than four per source (creating a file costs this disk 25 times what
appending does). The folder is the caller's (a temporary directory for one run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .findings import FileReport

#: Rows of a file a stage handles at a time where it can (people, dues lines, rendered detail
#: rows): each piece is spooled as it is made, so a process holds a piece of a large file.
PIECE_ROWS = 20_000


def in_pieces(rows: list) -> Iterator[list]:
    """``rows`` :data:`PIECE_ROWS` at a time."""
    for start in range(0, len(rows), PIECE_ROWS):
        yield rows[start:start + PIECE_ROWS]


class Spool:
    """A folder of append-only files, one per writing process; a part is where its pieces
    are: (file, offset, size) each."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def append(self, report: FileReport, part: str, data: bytes) -> None:
        """The bytes of one piece of a report's part, recorded in ``report.spooled``."""
        self._write(report, [(part, data)])

    def keep(self, report: FileReport) -> FileReport:
        """The report's records and extras moved to the spool (pieces already there stay)."""
        if report.packed is None:
            report.pack()
        self._write(report, list((report.packed or {}).items()))
        report.packed, report.sink = None, None
        return report

    def _write(self, report: FileReport, parts: list[tuple[str, bytes]]) -> None:
        path = str(self.directory / f"{os.getpid()}.spool")
        spooled = report.spooled = report.spooled or {}
        try:
            with open(path, "ab") as handle:
                offset = handle.tell()
                for name, data in parts:
                    handle.write(data)
                    spooled.setdefault(name, []).append((path, offset, len(data)))
                    offset += len(data)
        except OSError as exc:  # a full temporary disk: say which folder (TMPDIR) it is
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.directory)) from exc


#: Temporary folders of runs are named so; one older than this was left by a killed run.
RUN_PREFIX = "unionkit-"
STALE_SECONDS = 24 * 3600


def sweep_stale(folder: Path | str | None = None, now: float | None = None) -> list[Path]:
    """Remove run folders a SIGKILLed run left behind (nothing else cleans them): only
    ``unionkit-*`` folders in the temporary folder untouched for a day, so a run in progress
    is never touched. Returns what was removed."""
    base = Path(folder or tempfile.gettempdir())
    cutoff = (now or time.time()) - STALE_SECONDS
    removed = []
    for path in base.glob(f"{RUN_PREFIX}*"):
        try:
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except OSError:
            continue
    return removed
