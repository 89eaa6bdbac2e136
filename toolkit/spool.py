"""Records of validated files kept on disk, so a run holds one file's rows at a time.

A worker pickles a file's records once (:meth:`FileReport.pack`); those bytes are appended here
unchanged and later stages read them back per file (:meth:`FileReport.load`). Each process
appends to a file of its own, so local workers write without locks, and a federation costs a
handful of files rather than four per source (creating a file costs this disk 25 times what
appending does). The folder is the caller's (a temporary directory for one run).
"""

from __future__ import annotations

import os
from pathlib import Path

from .findings import FileReport


class Spool:
    """A folder of append-only files, one per writing process; a part is (file, offset, size)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def keep(self, report: FileReport) -> FileReport:
        if report.packed is None:
            report.pack()
        path = str(self.directory / f"{os.getpid()}.spool")
        report.spooled = {}
        with open(path, "ab") as handle:
            offset = handle.tell()
            for name, data in (report.packed or {}).items():
                handle.write(data)
                report.spooled[name] = (path, offset, len(data))
                offset += len(data)
        report.packed = None
        return report
