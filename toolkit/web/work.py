"""What the web desk runs in its worker processes: taking an upload (validate, refuse or store,
record) and making an annotated copy. Plain functions of paths and text, so a process pool
can run them; each opens what it needs (the configuration, the register) itself."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..atomic import write_new
from ..config import load_config
from ..findings import SPREADSHEET, FileReport, Finding, Report, finding
from ..layout import col_index
from ..messages import LANGS
from ..privacy import Privacy, masked_columns, owner_secret
from ..privacy import shown as mask_shown
from ..read.workbook import open_book
from ..register import Register
from ..render.annotate import annotate_file
from ..spec import load_spec
from ..validate import validate_file

#: How much of the clerk's sheet a result page shows (its findings are all listed).
PREVIEW_ROWS, PREVIEW_COLUMNS = 200, 40
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_name(filename: str) -> str:
    """A browser's file name as a plain name: no folders, no control or reserved characters,
    at most 120 characters (the stem is cut, the suffix kept)."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" .") or "upload.xlsx"
    stem, suffix = os.path.splitext(name)
    return stem[:120 - len(suffix[:16])] + suffix[:16]


def attachment(name: str) -> str:
    """A Content-Disposition for a download named ``name`` (Chinese names by RFC 5987)."""
    plain = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


def desk_secret(register_path: Path) -> str:
    """The key that signs the desk's session cookies: made on first use, in a file beside the
    register readable by its owner only, and never printed."""
    return owner_secret(Path(register_path).parent / ".unionkit-desk.key")


def _refusal(report: FileReport, branch: str | None) -> str | None:
    """Why an upload is not taken into the inbox (a catalog key), or None."""
    if report.unreadable:
        return "web.refused_unreadable"
    if report.template is None:
        return "web.refused_template"
    if branch is not None and report.branch_code != branch:
        return "web.refused_branch"
    return None


def _names(branch: str, original: str) -> Iterator[str]:
    """Names in the inbox that still say what the clerk sent, the first free one taken."""
    stem, suffix = os.path.splitext(original)
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    return (f"{stem}_{branch}_{stamp}{f'_{n}' if n else ''}{suffix}" for n in range(1000))


def take_upload(staged: str, original: str, who: dict[str, Any], config_path: str | None,
                inbox: str, register_path: str) -> dict[str, Any]:
    """Validate a staged upload, store it in the inbox unless refused, and record it; the
    staged copy is removed whatever happens. Returns the upload's id, status and refusal."""
    path = Path(staged)
    try:
        config = load_config(Path(config_path) if config_path else None)
        if path.suffix.lower() not in SPREADSHEET:
            report = FileReport(original, unreadable=True)
            refused: str | None = "web.refused_type"
        else:
            report = validate_file(path, config, original)
            refused = _refusal(report, who.get("branch"))
        stored = None
        if refused is None:  # the clerk's bytes, unchanged, under a name no other upload has
            kept = write_new(Path(inbox), _names(who["branch"] or "", original),
                             path.read_bytes())
            stored, report.source = kept.name, kept  # recorded where consolidate reads it
        shown = {"findings": [_said(f) for f in report.findings]}
        return _recorded(register_path, report, who, original, stored, refused, shown)
    finally:
        path.unlink(missing_ok=True)


def _said(f: Finding) -> dict[str, Any]:
    """A finding as the result page shows it, in both languages (the page may switch)."""
    return {"sheet": f.sheet, "cell": f.cell, "severity": f.severity, "code": f.code,
            **{f"{part}_{lang}": getattr(f, part)(lang) for part in ("title", "message", "fix")
               for lang in LANGS}}


def refused_outright(original: str, who: dict[str, Any], register_path: str) -> dict[str, Any]:
    """The record of an upload whose worker died reading it: refused as unreadable."""
    report = FileReport(original, unreadable=True)
    report.findings.append(finding("file_corrupt", original,
                                   detail="the reader's process died reading it"))
    return _recorded(register_path, report, who, original, None, "web.refused_unreadable",
                     {"findings": [_said(f) for f in report.findings]})


def _recorded(register_path: str, report: FileReport, who: dict[str, Any], original: str,
              stored: str | None, refused: str | None, shown: dict[str, Any]) -> dict[str, Any]:
    """An upload recorded in the register, and what the desk answers about it."""
    with Register(Path(register_path)) as register:
        upload = register.record_upload(report, who, original, stored, refused,
                                        json.dumps(shown, ensure_ascii=False, default=str))
    return {"id": upload, "original": original, "status": report.status,
            "errors": report.errors, "warnings": report.warnings, "refused": refused,
            "stored": stored, "contract": Report([report]).to_dict()}


def preview(stored: str, original: str, config_path: str | None,
            full: bool) -> dict[str, Any] | None:
    """The clerk's sheet of a stored upload as its result page shows it (read again from the
    file: the register keeps no copy of anyone's data). ``full`` for the clerk of its branch;
    the federation's people see the masked columns masked. None when the file is gone."""
    config = load_config(Path(config_path) if config_path else None)
    path = Path(stored)
    if not path.is_file():
        return None
    report = validate_file(path, config, original)
    return _preview(path, report, config.privacy if not full else None)


def _preview(path: Path, report: FileReport, privacy: Privacy | None) -> dict[str, Any] | None:
    """The clerk's sheet: its first rows, each cell's text (a masked column's masked, unless
    ``privacy`` is None), and the findings at each cell (their severity and messages)."""
    if report.sheet is None or report.template is None:
        return None
    try:
        sheet = open_book(path).head(report.sheet, PREVIEW_ROWS + 1)
    except Exception:  # the report already says why the file could not be read
        return None
    hidden = {report.columns[c.key]: c for c in masked_columns(load_spec(report.template),
                                                               privacy)
              if c.key in report.columns} if privacy is not None and privacy.masking else {}
    first = report.header_row + 1 if report.header_row is not None else 0
    marks: dict[tuple[int, int], list[Finding]] = {}
    for f in report.findings:
        if f.cell and f.sheet == report.sheet and f.row is not None:
            marks.setdefault((f.row - 1, col_index(f.column or "A")), []).append(f)
    shown = sheet.rows[:PREVIEW_ROWS]
    width = min(PREVIEW_COLUMNS, max((len(row) for row in shown), default=0))
    rows = [[_shown(mask_shown(value, hidden[c], privacy) if c in hidden and r >= first else
                    value) for c, value in enumerate((row + [None] * width)[:width])]
            for r, row in enumerate(shown)]
    for (r, c), at in marks.items():  # a marked cell: its text, how bad, and what is wrong
        if r < len(rows) and c < width:
            rows[r][c] = {"text": rows[r][c], "severity": "error" if any(
                f.severity == "error" for f in at) else "warning",
                "messages": {lang: [f.message(lang) for f in at] for lang in LANGS}}
    return {"sheet": report.sheet, "rows": rows, "more": len(sheet.rows) > PREVIEW_ROWS}


def _shown(value: Any) -> str:
    """A cell's value as the clerk sees it in Excel: 1 rather than the reader's 1.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def verify_upload(staged: str, original: str, config_path: str | None) -> dict[str, Any]:
    """``unionkit verify`` of a workbook an auditor uploaded (removed afterwards): whether it
    holds, what was checked, and each discrepancy; or why it cannot be verified at all."""
    from ..errors import ToolkitError
    from ..verify import verify_workbook

    path = Path(staged)
    try:
        config = load_config(Path(config_path) if config_path else None)
        try:
            result = verify_workbook(path, config)
        except ToolkitError as exc:
            return {"original": original, "holds": False, "cannot": {
                lang: exc.message(lang) for lang in LANGS}}
        return {"original": original, "holds": result.errors == 0, "period": result.period,
                "sha256": result.sha256, "counts": result.counts, "cannot": None,
                "findings": [_said(f) for f in result.findings]}
    finally:
        path.unlink(missing_ok=True)


def annotated_copy(stored: str, original: str, config_path: str | None,
                   lang: str) -> tuple[str, bytes]:
    """The annotated copy of a stored upload: (its file name, its bytes)."""
    config = load_config(Path(config_path) if config_path else None)
    report = validate_file(Path(stored), config, original)
    with tempfile.TemporaryDirectory(prefix="unionkit-desk-") as folder:
        made = annotate_file(Path(stored), report, Path(folder), lang)
        return made.name, made.read_bytes()


#: A close's files in its folder: the state the desk shows, the workbook, its JSON, the report.
JOB_FILE, WORKBOOK, SUMMARY = "job.json", "consolidated.xlsx", "consolidated.json"


def report_name(lang: str) -> str:
    return f"report.{lang}.html"


def job_state(folder: Path) -> dict[str, Any] | None:
    """What a close's folder says of it (None: no such close)."""
    try:
        return json.loads((folder / JOB_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def write_state(folder: Path, **changes: Any) -> dict[str, Any]:
    """A close's state updated and written whole (replaced by rename: a page reading it while
    the close runs sees the old state or the new, never half of one)."""
    state = {**(job_state(folder) or {}), **changes}
    temporary = folder / f".{JOB_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(state, ensure_ascii=False), "utf-8")
    os.replace(temporary, folder / JOB_FILE)
    return state


def _ticker(folder: Path) -> Callable[[int, int], None]:
    """The close's progress (files read of all), written at most twice a second and at the
    last file, when the writing of the workbook begins."""
    last = [0.0]

    def tick(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= 0.5:
            last[0] = now
            write_state(folder, done=done, total=total,
                        stage="writing" if done >= total else "reading")
    return tick


def close(folder: str, inbox: str, config_path: str | None, register_path: str,
          period: str | None, strict: bool) -> dict[str, Any]:
    """``unionkit consolidate`` of the inbox into ``folder`` (its workbook, JSON and the HTML
    report in both languages), recorded in the register; its final state, also written to
    the folder. A reason it cannot run is its state too, never an exception."""
    from ..config import config_fingerprint
    from ..consolidate.close import close_period
    from ..errors import ToolkitError
    from ..render.html import render_html

    where = Path(folder)
    try:
        config = load_config(Path(config_path) if config_path else None)
        with Register(Path(register_path)) as register:
            closed = close_period(Path(inbox), where / WORKBOOK, config,
                                  fingerprint=config_fingerprint(config_path), period=period,
                                  register=register, progress=_ticker(where), strict=strict,
                                  json_out=where / SUMMARY)
    except ToolkitError as exc:
        return write_state(where, state="failed", finished=_now(),
                           failed={lang: exc.message(lang) for lang in LANGS})
    result = closed.result
    for lang in LANGS:
        (where / report_name(lang)).write_text(
            render_html(result.report, lang, config.name, result.period), "utf-8")
    errors, warnings = result.counts()
    return write_state(where, state="done" if closed.digest else "refused", finished=_now(),
                       stage="done", period=result.period, files=len(result.chosen),
                       missing=len(result.missing), superseded=len(result.superseded),
                       errors=errors, warnings=warnings, used_errors=result.used_errors())


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
