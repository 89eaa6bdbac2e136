"""Validation: every file read as clerks really fill it, every mistake found at its cell.

``validate_file`` never raises for anything inside a file: an unreadable file becomes one
file-level finding, everything else a finding at its cell, and the run goes on.
``validate_paths`` validates many files (folders are walked) and adds the cross-file checks.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

from ..config import FederationConfig
from ..errors import UsageError
from ..findings import SPREADSHEET, FileReport, Finding, Report, finding, part_path
from ..integrity import file_sha256
from ..layout import a1
from ..parallel import without_cycle_collection
from ..privacy import shield, shield_files
from ..read.locate import Closest, Located, closest_template, own_output, recognise_all
from ..read.normalize import QUARTER, parse_period, quarter_of
from ..read.workbook import Unreadable, is_lock_file, open_book
from ..spec import activate
from ..spool import Spool, in_pieces
from .context import SheetContext
from .cross import check_dues_against_roster, people
from .fields import check_total_row, check_unique, read_header, read_table
from .rules import declared_checks, run_rules

__all__ = ["collect_files", "findings_only", "validate_file", "validate_parts",
           "validate_paths"]


def collect_files(paths: Iterable[Path | str]) -> list[Path]:
    """Files named, and files under folders named (recursively, sorted, hidden ones skipped
    except lock files, which get their own finding). A missing path is a usage error."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise UsageError("path_not_found", path=path)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / f for f in sorted(files)
                             if not f.startswith(".") or is_lock_file(Path(f)))
        else:
            found.append(path)
    return found


def validate_file(path: Path, config: FederationConfig, shown: str | None = None) -> FileReport:
    """Validate one file: the report of its main template (see :func:`validate_parts` for a
    workbook that holds several). ``shown`` is the path written in findings (default: as
    given)."""
    return validate_parts(path, config, shown)[0]


def validate_parts(path: Path, config: FederationConfig, shown: str | None = None,
                   sink: Spool | None = None) -> list[FileReport]:
    """Validate one file: one report per template it holds (a roster with the dues sheet
    added is two reports, each naming its sheet), or one report saying why it holds none.

    Never raises for anything inside the file: whatever escapes the reader — a Rust panic from
    python-calamine is a ``BaseException`` — becomes a file_corrupt finding for this file
    alone, and the federation's run goes on.
    """
    name = shown or str(path)
    try:
        return _validate_parts(path, config, name, sink)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        report = FileReport(name, source=path, unreadable=True)
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
        report.findings.append(finding("file_corrupt", name, detail=detail))
        return [report]


_NOT_REGULAR = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
                (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"),
                (stat.S_ISDIR, "folder"))


def _validate_parts(path: Path, config: FederationConfig, name: str,
                    sink: Spool | None) -> list[FileReport]:
    report = FileReport(name, source=path)
    try:
        mode = path.stat().st_mode  # a symlink is judged by what it points to
        kind = next((what for test, what in _NOT_REGULAR if test(mode)), None)
        if kind is not None:  # checked before anything reads it: a FIFO would block for ever
            report.unreadable = True
            report.findings.append(finding("file_not_regular", name, detail=kind))
            return [report]
        report.size = path.stat().st_size
        report.sha256 = file_sha256(path)
    except OSError:
        report.unreadable = True
        report.findings.append(finding("file_not_found", name))
        return [report]
    if is_lock_file(path):
        report.unreadable = True
        report.findings.append(finding("lock_file", name))
        return [report]
    try:
        book = open_book(path)
        if not book.names:
            raise Unreadable("file_empty")
        own = own_output(book)
        if own is not None:
            report.findings.append(finding("own_output", name, detail=own[0], detail_en=own[1]))
            return [report]
        found = recognise_all(book)
        if not found and not any(book.sheet(n).rows for n in book.names):
            raise Unreadable("file_empty")
        closest = closest_template(book) if not found else None
    except Unreadable as exc:
        report.unreadable = exc.code != "file_empty"
        if exc.code == "file_not_spreadsheet" and not path.name.lower().endswith(SPREADSHEET):
            # a 说明.txt or a scan beside the reports: listed, never an error of the period
            report.findings.append(finding("file_ignored", name, detail=exc.detail))
        else:
            report.findings.append(finding(exc.code, name, detail=exc.detail))
        return [report]
    if not found:
        report.findings.append(_unrecognized(name, closest))
        return [report]
    reports = []
    for located in found:
        sheet = located.sheet.name if len(found) > 1 else None
        part = FileReport(part_path(name, sheet) if sheet else name, source=path,
                          sha256=report.sha256, size=report.size, part=sheet, sink=sink)
        if located.meta_version is not None and located.meta_version != located.spec.version:
            part.findings.append(finding("template_version_unknown", name,
                                         value=located.spec.id, version=located.meta_version,
                                         expected=located.spec.version))
        else:
            _validate_sheet(part, located, config, path)
        reports.append(part)
    return reports


def _unrecognized(name: str, closest: Closest | None) -> Finding:
    """template_unrecognized, naming the nearest template and what it lacks, when any."""
    if closest is None:
        return finding("template_unrecognized", name)
    return finding("template_unrecognized", name, closest=closest.spec.title,
                   closest_en=closest.spec.title_en, where=closest.sheet,
                   found="、".join(closest.found), missing="、".join(closest.missing))


def _structure(ctx: SheetContext) -> None:
    located = ctx.located
    row = located.header_row
    for key, col in located.duplicates:
        ctx.findings.append(finding("duplicate_column", ctx.file, ctx.sheet, a1(row, col), key,
                                    located.sheet.value(row, col), label=ctx.label(key)))
    for col in located.extras:
        ctx.findings.append(finding("extra_column", ctx.file, ctx.sheet, a1(row, col), None,
                                    located.sheet.value(row, col)))
    for field in ctx.spec.columns:
        if field.required and field.key not in located.columns:
            ctx.findings.append(finding("missing_column", ctx.file, ctx.sheet, None, field.key,
                                        None, label=field.label))


def _validate_sheet(report: FileReport, located: Located, config: FederationConfig,
                    path: Path) -> None:
    ctx = SheetContext(report.path, located, config)
    _structure(ctx)
    read_header(ctx)
    read_table(ctx)
    if not ctx.records:
        ctx.report("no_data_rows")
    check_unique(ctx)
    check_total_row(ctx)
    run_rules(ctx)
    declared_checks(ctx)
    _check_file_name(ctx, path)
    report.template, report.rows = located.spec.id, len(ctx.records)
    report.branch_code, report.period = ctx.header.get("branch_code"), ctx.period
    report.filed_on = ctx.header.get("filed_on")
    report.header, report.sheet, report.columns = ctx.header, ctx.sheet, located.columns
    report.header_row = located.header_row
    report.records = ctx.records
    report.accounted = ctx.accounted
    if "id_number" in located.columns:
        for records in in_pieces(ctx.records):
            report.add_piece("people", people(records))
    types = {c.key: c.type for c in located.spec.columns}
    report.findings.extend(sorted(shield(ctx.findings, types, config.privacy), key=_position))
    if ctx.overflow.more:
        report.overflow = ctx.overflow
        report.settle()


_MONTH_IN_NAME = re.compile(r"(?<!\d)(20\d{2})\s*[-._年]\s*(0?[1-9]|1[0-2])(?!\d)")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def _check_file_name(ctx: SheetContext, path: Path) -> None:
    """The name the clerk gave the file, against its content (a warning: content wins)."""
    stem, period = path.stem, ctx.period
    if period and ctx.spec.period != "none":
        months = {f"{y}-{int(m):02d}" for y, m in _MONTH_IN_NAME.findall(stem)}
        if ctx.spec.period == "quarter":  # 2026-Q4, 2026年第四季度, or a month of it
            months = {parse_period(m.group(0), "quarter") for m in QUARTER.finditer(stem)} \
                or {quarter_of(m) for m in months}
        elif ctx.spec.period == "year":
            months = set(_YEAR_IN_NAME.findall(stem))
        if months and period not in months:
            ctx.findings.append(finding("filename_mismatch", ctx.file, None, None, "period",
                                        sorted(months)[0], what="所属期", expected=period))
    code = ctx.header.get("branch_code")
    named = [b.code for b in ctx.config.branches if b.code in stem.upper()]
    if code and named and code not in named:
        ctx.findings.append(finding("filename_mismatch", ctx.file, None, None, "branch_code",
                                    named[0], what="分会代码", expected=code))


def _contained(executor: Executor, stage: Callable, jobs: list[tuple[Path, str]]):
    """``executor.map(stage, jobs)``, surviving a worker that dies (a reader that aborts the
    process: an allocation it cannot make, a crash in native code). The pool is then broken;
    the files not yet done are read one by one, each in a process of its own, and a file whose
    process dies gets a file_corrupt finding — the rest of the federation is still read."""
    done = 0
    try:
        for result in executor.map(stage, jobs):
            done += 1
            yield result
    except BrokenProcessPool:
        for job in jobs[done:]:
            yield _alone(stage, job)


def _alone(stage: Callable, job: tuple[Path, str]) -> list[FileReport]:
    with ProcessPoolExecutor(max_workers=1) as single:
        try:
            return single.submit(stage, job).result()
        except BrokenProcessPool:
            report = FileReport(job[1], source=job[0], unreadable=True)
            report.findings.append(finding("file_corrupt", job[1],
                                           detail="the reader's process died reading it"))
            return [report]


def _position(f) -> tuple:
    return (f.row or 0, f.column or "", f.code)


def findings_only(report: FileReport) -> None:
    """The extract of a run that reports findings alone (``unionkit validate``): a file's
    rows stay in the worker instead of crossing to the parent, a million at a time."""
    report.records = []


@without_cycle_collection
def _stage(job: tuple[Path, str], config: FederationConfig, pack: bool,
           extract: Callable[[FileReport], None] | None, spool: Spool | None) -> FileReport:
    """The per-file stage as a worker runs it: read, normalise, validate, extract. A worker on
    this machine writes the file's rows to the spool itself and returns only the report."""
    path, shown = job
    activate(config.catalog)  # a worker process: the configuration's templates
    reports = validate_parts(path, config, shown, spool)  # pieces go to the spool as made
    for report in reports:
        if extract is not None:
            extract(report)
        if spool is not None:
            spool.keep(report)
        elif pack:
            report.pack()
    return reports


@without_cycle_collection
def validate_paths(paths: Sequence[Path | str], config: FederationConfig,
                   progress: Callable[[int, int], None] | None = None,
                   base: Path | None = None, executor: Executor | None = None,
                   spool: Spool | None = None,
                   extract: Callable[[FileReport], None] | None = None) -> Report:
    """Validate every file under ``paths`` and run the cross-file checks.

    With an ``executor`` (local processes, or a Dask cluster's) the per-file stage runs there;
    results come back in input order, so the report is the same as a serial run's. With a
    ``spool``, each file's records go to disk as they arrive instead of staying in memory.
    ``extract`` (a module-level function, so workers can receive it) runs on each report in the
    worker, for what a later stage needs from the file's rows (see ``FileReport.extras``).
    """
    activate(config.catalog)
    files = collect_files(paths)
    jobs = [(path, str(path.relative_to(base)) if base and path.is_relative_to(base)
             else str(path)) for path in files]
    local = executor is None or isinstance(executor, ProcessPoolExecutor)
    stage = partial(_stage, config=config, pack=executor is not None, extract=extract,
                    spool=spool if local else None)
    results = _contained(executor, stage, jobs) if executor is not None else map(stage, jobs)
    reports = []
    for i, parts in enumerate(results, start=1):
        for report in parts:
            if spool is not None and report.spooled is None:
                spool.keep(report)  # from a remote worker: its rows came back with it
            elif report.packed is not None:
                report.unpack()
            reports.append(report)
        if progress:
            progress(i, len(files))
    check_dues_against_roster(reports)
    shield_files(reports, config.privacy)
    return Report(reports)
