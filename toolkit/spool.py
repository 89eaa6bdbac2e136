"""Records of validated files kept on disk, so a run holds one file's rows at a time.

A worker pickles a file's records once (:meth:`FileReport.pack`); the parent writes those bytes
here unchanged and later stages read them back per file (:meth:`FileReport.load_records`). The
folder is the caller's (a temporary directory for one run).
"""

from __future__ import annotations

from pathlib import Path

from .findings import FileReport


class Spool:
    """A folder of pickled record lists, one per file, named by the file's position in the run."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def keep(self, index: int, report: FileReport) -> FileReport:
        if report.packed is None:
            report.pack()
        report.spooled = {}
        for name, data in (report.packed or {}).items():
            path = self.directory / f"{index:07d}.{name}.pickle"
            path.write_bytes(data)
            report.spooled[name] = str(path)
        report.packed = None
        return report
