"""Recalculate a workbook with LibreOffice (headless), for tests and for auditors' checks.

LibreOffice does not recalculate .xlsx formulas on load by default (it trusts cached values), so
a throw-away profile sets OOXMLRecalcMode to "always" before converting; the converted copy then
holds LibreOffice's own results, to compare with the cached values unionkit wrote.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ToolkitError

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(source: Path, out_dir: Path, timeout: int = 180) -> Path:
    """A copy of ``source`` opened, recalculated and saved as .xlsx by LibreOffice."""
    return convert(source, out_dir, "xlsx", timeout)


def convert(source: Path, out_dir: Path, fmt: str, timeout: int = 180) -> Path:
    """``source`` opened by LibreOffice (recalculated) and saved as ``fmt`` in ``out_dir``."""
    binary = soffice()
    if binary is None:
        raise ToolkitError("soffice_missing")
    with tempfile.TemporaryDirectory() as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([binary, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--norestore", "--convert-to", fmt, "--outdir", str(out_dir),
                        str(source)], check=True, capture_output=True, timeout=timeout)
    return out_dir / f"{source.stem}.{fmt}"
