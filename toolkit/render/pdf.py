"""The consolidated workbook's printed pages as one PDF (``unionkit pdf``), by LibreOffice.

Only the sheets a federation prints and stamps go in — 汇总, 收入支出表 and 问题清单 — each with the page
setup the writer gave it (A4, its heads repeated, page numbers, the signing line under 汇总).
The detail sheets stay in the workbook: LibreOffice skips a hidden sheet, so the PDF is made
from a copy in which the others are hidden.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from ..atomic import atomic_path
from ..consolidate.recalc import convert, soffice
from ..consolidate.statement import STATEMENT
from ..consolidate.workbook import FINDINGS, SUMMARY
from ..errors import ToolkitError

#: The sheets the PDF holds, in the workbook's order.
PRINTED = (SUMMARY, STATEMENT, FINDINGS)
_SHEET = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?/>')


def _only(source: Path, target: Path, sheets: tuple[str, ...]) -> None:
    """A copy of ``source`` with every sheet but ``sheets`` hidden."""
    wanted = {s.encode("utf-8") for s in sheets}

    def hide(match: re.Match) -> bytes:
        tag = match.group(0)
        if match.group(1) in wanted or b"state=" in tag:
            return tag
        return tag[:-2] + b' state="hidden"/>'
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                          zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/workbook.xml":
                data = _SHEET.sub(hide, data)
            new.writestr(item, data)


def workbook_pdf(workbook: Path, out: Path, sheets: tuple[str, ...] = PRINTED) -> Path:
    """``out``: the PDF of ``workbook``'s ``sheets`` (written atomically)."""
    if soffice() is None:
        raise ToolkitError("pdf_needs_soffice")
    with tempfile.TemporaryDirectory(prefix="unionkit-pdf-") as folder:
        copy = Path(folder) / "printed.xlsx"
        try:
            _only(workbook, copy, sheets)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ToolkitError("pdf_not_workbook", path=workbook, detail=exc) from exc
        try:
            made = convert(copy, Path(folder) / "pdf", "pdf")
        except (subprocess.SubprocessError, OSError) as exc:
            raise ToolkitError("pdf_failed", path=workbook, detail=exc) from exc
        with atomic_path(out) as tmp:
            shutil.copyfile(made, tmp)
    return out
