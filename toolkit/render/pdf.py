"""The consolidated workbook's printed pages as one PDF (``unionkit pdf``), by LibreOffice.

Only the sheets a federation prints and stamps go in — 汇总, 收入支出表, 统计年报 and 问题清单 — each with
the page setup the writer gave it (A4, its heads repeated, page numbers, the signing line under
汇总).
The detail sheets stay in the workbook: LibreOffice skips a hidden sheet, so the PDF is made
from a copy in which the others are hidden.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from ..atomic import atomic_path
from ..consolidate.recalc import convert, soffice
from ..consolidate.statement import STATEMENT
from ..consolidate.stats import STATS
from ..consolidate.workbook import FINDINGS, SUMMARY
from ..errors import ToolkitError

#: The sheets the PDF holds, in the workbook's order.
PRINTED = (SUMMARY, STATEMENT, STATS, FINDINGS)
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


#: Chromium-family browsers that print a page to PDF headless: Microsoft Edge is on every
#: Windows 10 and 11 desk, Chromium in CI.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome", "msedge")
_WINDOWS_EDGE = ("Microsoft/Edge/Application/msedge.exe", "Google/Chrome/Application/chrome.exe")


def browser() -> str | None:
    """A browser that prints HTML as the clerk sees it (its print CSS, one A4 page), or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    for root in filter(None, (os.environ.get("PROGRAMFILES(X86)"),
                              os.environ.get("PROGRAMFILES"))):
        for tail in _WINDOWS_EDGE:
            if (Path(root) / tail).is_file():
                return str(Path(root) / tail)
    return None


def page_pdf(page: Path, out: Path, timeout: int = 60) -> bool:
    """``out``: the PDF of an HTML ``page`` as a browser prints it (written atomically);
    False when no browser is found or it fails, and the page stays HTML only. LibreOffice's
    HTML import drops a page's print CSS (the 退改通知 came out on two pages with its table
    squeezed), so the PDF is the browser's."""
    binary = browser()
    if binary is None:
        return False
    with tempfile.TemporaryDirectory(prefix="unionkit-page-") as folder:
        printed = Path(folder) / "page.pdf"
        sandbox = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        try:
            subprocess.run([binary, "--headless", "--disable-gpu", *sandbox,
                            f"--user-data-dir={Path(folder) / 'profile'}",
                            "--no-pdf-header-footer", f"--print-to-pdf={printed}",
                            page.resolve().as_uri()],
                           check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError):
            return False
        if not printed.is_file() or printed.stat().st_size == 0:
            return False
        with atomic_path(out) as tmp:
            shutil.copyfile(printed, tmp)
    return True


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
