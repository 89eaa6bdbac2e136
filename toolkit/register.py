"""The submission register: every file unionkit has seen and every consolidation, in SQLite.

Period close is a process: files arrive over days and clerks resubmit. The register (an embedded
SQLite file, ``unionkit.db`` beside the inbox unless the configuration says otherwise) keeps:

- ``files``: one row per (path, SHA-256) — a changed file under the same name is a new
  submission — with its template, branch, period, 填报日期, status, counts, first and last seen;
- ``runs``: every validate or consolidate run, with its options, output, digest and totals;
- ``branch_periods`` and ``members``: the figures and people of each consolidated period, for
  ``unionkit history`` and the workbook's 趋势 sheet.

Each run is recorded in one short transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) in WAL mode,
so two runs at once wait for each other instead of corrupting anything, and a run killed
halfway leaves no trace. Schema versions live in ``PRAGMA user_version``; an older register is
migrated in place, never discarded.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from . import __version__
from .consolidate import NOT_SUMMED, add_figures
from .errors import ToolkitError
from .findings import FileReport, part_path
from .privacy import key_for, keyed, scrub
from .read.normalize import quarter_of
from .spec import load_spec
from .validate.cross import latest
from .validate.rules import OUTFLOWS

FILE_NAME = "unionkit.db"
BUSY_TIMEOUT_MS = 60_000

#: Schema migrations, applied in order; each runs in its own transaction with its version.
MIGRATIONS: dict[int, tuple[str | Callable[[Register], None], ...]] = {
    1: (
        """CREATE TABLE files (
             id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL,
             size INTEGER, template TEXT, branch TEXT, period TEXT, filed_on TEXT,
             status TEXT NOT NULL, errors INTEGER NOT NULL, warnings INTEGER NOT NULL,
             first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 1,
             UNIQUE (path, sha256))""",
        "CREATE INDEX files_slot ON files (period, branch, template)",
        """CREATE TABLE runs (
             id INTEGER PRIMARY KEY, command TEXT NOT NULL, version TEXT NOT NULL,
             started TEXT NOT NULL, finished TEXT NOT NULL, inbox TEXT, period TEXT,
             options TEXT, output TEXT, output_sha256 TEXT, data_digest TEXT, totals TEXT)""",
        """CREATE TABLE run_files (
             run_id INTEGER NOT NULL REFERENCES runs (id),
             file_id INTEGER NOT NULL REFERENCES files (id), role TEXT NOT NULL,
             PRIMARY KEY (run_id, file_id))""",
    ),
    2: (
        """CREATE TABLE branch_periods (
             period TEXT NOT NULL, branch TEXT NOT NULL, run_id INTEGER REFERENCES runs (id),
             figures TEXT NOT NULL, PRIMARY KEY (period, branch))""",
        """CREATE TABLE members (
             period TEXT NOT NULL, branch TEXT NOT NULL, id_number TEXT NOT NULL,
             name TEXT, in_roster INTEGER NOT NULL, change_type TEXT,
             dues_due TEXT, dues_paid TEXT, PRIMARY KEY (period, branch, id_number))""",
    ),
    3: (  # the web desk: who may sign in (a code's hash only), and what each upload was
        """CREATE TABLE access (
             id INTEGER PRIMARY KEY, code_sha256 TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
             branch TEXT, label TEXT, created TEXT NOT NULL, revoked TEXT)""",
        """CREATE TABLE uploads (
             id INTEGER PRIMARY KEY, file_id INTEGER REFERENCES files (id),
             access_id INTEGER NOT NULL REFERENCES access (id), branch TEXT,
             original TEXT NOT NULL, stored TEXT, uploaded TEXT NOT NULL,
             status TEXT NOT NULL, errors INTEGER NOT NULL, warnings INTEGER NOT NULL,
             refused TEXT, shown TEXT)""",
    ),
    4: (  # who filled a file and their phone (its header's 填表人 and 联系电话): for 催报
        "ALTER TABLE files ADD COLUMN preparer TEXT",
        "ALTER TABLE files ADD COLUMN phone TEXT",
    ),
    5: (  # personal information: keyed hashes for people, no ID or mobile in an upload's page
        lambda register: register.hash_people(),
    ),
}
#: The first version that keeps no raw ID numbers: a register migrated to it from an earlier
#: one with people in it is vacuumed, so their numbers leave the file's free pages too.
PRIVATE_SINCE = 5
SCHEMA_VERSION = max(MIGRATIONS)


_UPLOAD = ("id", "access_id", "branch", "original", "stored", "uploaded", "status", "errors",
           "warnings", "refused")


def period_matrix(register: Register, config: Any, period: str) -> dict[str, Any]:
    """Who reported in ``period``: each branch (the configuration's, else those seen) with
    each template's slot (status, current file, how many it superseded) — what ``unionkit
    status`` and the web desk show."""
    from .spec import template_ids

    files = register.current_files(period)
    branches = [(b.code, b.name) for b in config.branches] or sorted(
        {(f["branch"], "") for f in files})
    matrix = submission_matrix(files, [code for code, _ in branches], template_ids())
    return {"period": period, "branches": [
        {"code": code, "name": name, "slots": {t: {"status": matrix[(code, t)].status,
                                                    "file": matrix[(code, t)].path,
                                                    "superseded": matrix[(code, t)].superseded}
                                               for t in template_ids()}}
        for code, name in branches]}


def chase_list(register: Register, config: Any, table: dict[str, Any]) -> list[dict[str, Any]]:
    """催报: each branch with a form missing from ``table`` (:func:`period_matrix`), the forms,
    and whom to call: the 填表人 and 联系电话 of its last submission, else the directory's."""
    contacts = register.contacts()
    directory = {b.code: (b.contact, b.phone) for b in config.branches}
    out = []
    for branch in table["branches"]:
        missing = [t for t, slot in branch["slots"].items() if slot["status"] == "missing"]
        if missing:
            preparer, phone = contacts.get(branch["code"]) or directory.get(branch["code"],
                                                                          ("", ""))
            out.append({"code": branch["code"], "name": branch["name"], "missing": missing,
                        "preparer": preparer, "phone": phone})
    return out


def code_digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


class RegisterError(ToolkitError):
    """The register cannot be opened or is from a newer unionkit."""


_TABLES = ("files", "runs", "run_files", "branch_periods", "members", "access", "uploads")
#: Who may sign in to the web desk: a clerk (for one branch), the treasurer, an auditor.
ROLES = ("clerk", "treasurer", "auditor")


def _locked(path: Path, exc: Exception) -> RegisterError:
    if "locked" in str(exc) or "busy" in str(exc):
        return RegisterError("register_busy", path=path, seconds=BUSY_TIMEOUT_MS // 1000)
    return RegisterError("register_unusable", path=path, detail=exc)


def default_path(config: Any) -> Path:
    """Where the register lives, one rule for every command: the configuration's
    ``[register] path``, else ``unionkit.db`` beside the configuration file, else in the
    current folder (never beside an inbox: ``validate dir/x.xlsx`` must not write into the
    parent of ``dir``)."""
    if config.register_path is not None:
        return config.register_path
    if config.source != "builtin":
        return Path(config.source).parent / FILE_NAME
    return Path(FILE_NAME)


#: A keyed hash, as the members table keeps it.
_HASHED = re.compile(r"[0-9a-f]{16}")


def private_page(shown: str | None) -> str | None:
    """An upload's stored page as the register may keep it: without the clerk's sheet (the
    result page reads it again from the stored file) and with IDs and mobiles masked."""
    if not shown:
        return shown
    try:
        page = json.loads(shown)
    except ValueError:
        return scrub(shown)
    if isinstance(page, dict):
        page.pop("preview", None)
    return scrub(json.dumps(page, ensure_ascii=False, default=str))


def _months_before(today: date, months: int) -> str:
    """The month ``months`` before ``today``'s, as YYYY-MM."""
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Register:
    """An open register; use as a context manager (closes the connection)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        #: A register this process may not write (a read-only file or folder) is still read:
        #: status and history work; recording a run is refused before anything is written.
        self.readonly = self.path.exists() and not (
            os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK))
        try:
            if self.readonly:
                self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                          isolation_level=None, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # one thread at a time, not always the opening one: consolidate records on a
                # helper thread while the main thread writes the workbook
                self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                          isolation_level=None, check_same_thread=False)
                self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA foreign_keys = ON")
                self.db.execute("PRAGMA secure_delete = ON")  # what is deleted is overwritten
                self.migrate()
            self.check()
        except sqlite3.OperationalError as exc:
            raise _locked(self.path, exc) from exc
        except sqlite3.DatabaseError as exc:
            raise RegisterError("register_unopenable", path=self.path, detail=exc) from exc
        except OSError as exc:
            raise RegisterError("register_unopenable", path=self.path, detail=exc.strerror) from exc

    def check(self) -> None:
        """The register's pages and tables are whole: a damaged register is found when it is
        opened, before a run's outputs exist, never after the workbook is in place."""
        result = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise RegisterError("register_damaged", path=self.path, detail=result)
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'table'")}
        missing = sorted(set(_TABLES) - tables)
        if missing and self.version:
            raise RegisterError("register_table_missing", path=self.path, table=missing[0])

    def ready_to_record(self) -> None:
        """Raise now, before any output is written, when this run could not be recorded: a
        read-only register, or one another run holds (after a bounded wait)."""
        if self.readonly:
            raise RegisterError("register_read_only", path=self.path)
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise _locked(self.path, exc) from exc

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION`, one transaction per version."""
        if self.version > SCHEMA_VERSION:
            raise RegisterError("register_newer", path=self.path, found=self.version,
                                known=SCHEMA_VERSION)
        began = self.version
        for version in range(self.version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                if self.version >= version:  # another process migrated while we waited
                    continue
                for statement in MIGRATIONS[version]:
                    if callable(statement):
                        statement(self)
                    else:
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version}")
        if 2 <= began < PRIVATE_SINCE <= self.version:
            self.vacuum()

    def vacuum(self) -> None:
        """Rewrite the file without its free pages (and empty the write-ahead log), so what
        was deleted or replaced is gone from the bytes on disk."""
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @cached_property
    def key(self) -> bytes:
        """The federation's key, beside the register (see :mod:`toolkit.privacy`)."""
        return key_for(self.path)

    def hash_people(self) -> None:
        """Migration 5: each member's ID number replaced by its keyed hash, and each upload's
        stored page without the clerk's sheet (shown again from the file) and with every ID and
        mobile in its messages masked."""
        rows = self.db.execute("SELECT rowid, id_number FROM members").fetchall()
        self.db.executemany("UPDATE members SET id_number = ? WHERE rowid = ?",
                            [(keyed(self.key, person), rowid) for rowid, person in rows
                             if not _HASHED.fullmatch(person)])
        for upload, shown in self.db.execute("SELECT id, shown FROM uploads").fetchall():
            self.db.execute("UPDATE uploads SET shown = ? WHERE id = ?",
                            (private_page(shown), upload))

    def forget_people(self) -> int:
        """Every member record dropped (their hashes were made with a key being replaced, and
        would match no one's again); the file vacuumed. Returns how many went."""
        with self.transaction():
            gone = self.db.execute("DELETE FROM members").rowcount
        self.vacuum()
        return gone

    def prune(self, keep_months: int, today: date | None = None) -> int:
        """Purge what is older than ``keep_months``: people and figures of earlier periods,
        uploads, runs and files last seen before then. Returns how many records went."""
        cutoff = _months_before(today or date.today(), keep_months)
        day = f"{cutoff}-01"
        old_period = ("(length(period) = 4 AND period < ?) OR (length(period) > 4 AND "
                      "period < ?)")
        with self.transaction():
            gone = sum(self.db.execute(sql, args).rowcount for sql, args in (
                (f"DELETE FROM members WHERE {old_period}", (cutoff[:4], cutoff)),
                (f"DELETE FROM branch_periods WHERE {old_period}", (cutoff[:4], cutoff)),
                ("DELETE FROM uploads WHERE uploaded < ?", (day,)),
                ("DELETE FROM run_files WHERE run_id IN (SELECT id FROM runs WHERE started < ?)",
                 (day,)),
                ("DELETE FROM runs WHERE started < ? AND id NOT IN (SELECT run_id FROM "
                 "branch_periods WHERE run_id IS NOT NULL)", (day,)),
                ("DELETE FROM files WHERE last_seen < ? AND id NOT IN (SELECT file_id FROM "
                 "run_files) AND id NOT IN (SELECT file_id FROM uploads WHERE file_id IS NOT "
                 "NULL)", (day,))))
        return gone

    @contextmanager
    def transaction(self):
        """One write transaction, taken before reading so concurrent runs queue."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- the web desk's access and uploads ----------------------------------------------------

    def grant(self, role: str, branch: str | None = None, label: str = "") -> tuple[int, str]:
        """A new sign-in code for ``role`` (a clerk's for one branch): (its id, the code). The
        code is shown once; only its SHA-256 is kept (it is random, 128 bits: no slow hash
        needed to keep it from being guessed back)."""
        if role not in ROLES:
            raise ToolkitError("access_role", role=role, roles="、".join(ROLES))
        if (role == "clerk") != bool(branch):
            raise ToolkitError("access_branch", role=role)
        code = secrets.token_urlsafe(16)
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO access (code_sha256, role, branch, label, created) "
                "VALUES (?, ?, ?, ?, ?)", (code_digest(code), role, branch, label, _now()))
        return cursor.lastrowid, code

    def grants(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, role, branch, label, created, revoked FROM access "
                               "ORDER BY id").fetchall()
        return [dict(zip(("id", "role", "branch", "label", "created", "revoked"), r,
                         strict=True)) for r in rows]

    def revoke(self, access_id: int) -> bool:
        """Whether a code that could sign in no longer can."""
        with self.transaction():
            cursor = self.db.execute("UPDATE access SET revoked = ? WHERE id = ? AND revoked "
                                     "IS NULL", (_now(), access_id))
        return cursor.rowcount == 1

    def signed_in(self, code: str) -> dict[str, Any] | None:
        """The access a code gives (id, role, branch), or None (unknown or revoked)."""
        row = self.db.execute("SELECT id, role, branch FROM access WHERE code_sha256 = ? AND "
                              "revoked IS NULL", (code_digest(code),)).fetchone()
        return dict(zip(("id", "role", "branch"), row, strict=True)) if row else None

    def access(self, access_id: int) -> dict[str, Any] | None:
        """A session's access as it stands now (a revoked code ends its sessions)."""
        row = self.db.execute("SELECT id, role, branch FROM access WHERE id = ? AND revoked "
                              "IS NULL", (access_id,)).fetchone()
        return dict(zip(("id", "role", "branch"), row, strict=True)) if row else None

    def record_upload(self, report: FileReport, who: dict[str, Any], original: str,
                      stored: str | None, refused: str | None = None, shown: str = "{}") -> int:
        """One upload: the file (as a validate run of its own, when stored) and who sent it
        (``who``: the access; a clerk's upload is their branch's, whatever the file says)."""
        now = _now()
        with self.transaction():
            file_id = None
            if stored is not None:
                run = self._run("upload", now, None, report.period, {})
                file_id = self._file(report, now)
                self.db.execute("INSERT OR IGNORE INTO run_files VALUES (?, ?, ?)",
                                (run, file_id, "uploaded"))
            cursor = self.db.execute(
                "INSERT INTO uploads (file_id, access_id, branch, original, stored, uploaded, "
                "status, errors, warnings, refused, shown) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (file_id, who["id"], who.get("branch") or report.branch_code, original, stored,
                 now, report.status,
                 report.errors, report.warnings, refused, private_page(shown)))
        return cursor.lastrowid

    def uploads(self, branch: str | None = None) -> list[dict[str, Any]]:
        """Uploads, newest first (one branch's, or all)."""
        where, args = ("WHERE branch = ?", (branch,)) if branch else ("", ())
        rows = self.db.execute(f"SELECT {', '.join(_UPLOAD)} FROM uploads {where} "
                               "ORDER BY id DESC", args).fetchall()
        return [dict(zip(_UPLOAD, r, strict=True)) for r in rows]

    def contacts(self) -> dict[str, tuple[str, str]]:
        """Each branch's (填表人, 联系电话) from the header of its latest file that names one."""
        rows = self.db.execute(
            "SELECT branch, preparer, phone FROM files WHERE branch IS NOT NULL AND "
            "(preparer IS NOT NULL OR phone IS NOT NULL) ORDER BY last_seen, id").fetchall()
        return {branch: (preparer or "", phone or "") for branch, preparer, phone in rows}

    def upload(self, upload_id: int) -> dict[str, Any] | None:
        """One upload, with what its result page shows (``shown``: findings and preview)."""
        row = self.db.execute(f"SELECT {', '.join(_UPLOAD)}, shown FROM uploads WHERE id = ?",
                              (upload_id,)).fetchone()
        if row is None:
            return None
        found = dict(zip(_UPLOAD, row[:-1], strict=True))
        found["shown"] = json.loads(row[-1] or "{}")
        return found

    # --- recording -------------------------------------------------------------------------

    def _file(self, report: FileReport, now: str) -> int:
        source = str(Path(report.source).resolve()) if report.source else report.path
        if report.part:
            source = part_path(source, report.part)  # one template of a workbook with several
        row = (source, report.sha256, report.size, report.template, report.branch_code,
               report.period, _text(report.filed_on), report.status, report.errors,
               report.warnings, now, now, _text(report.header.get("preparer")),
               _text(report.header.get("phone")))
        self.db.execute(
            """INSERT INTO files (path, sha256, size, template, branch, period, filed_on,
                                  status, errors, warnings, first_seen, last_seen, preparer,
                                  phone)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (path, sha256) DO UPDATE SET
                 status = excluded.status, errors = excluded.errors,
                 warnings = excluded.warnings, template = excluded.template,
                 branch = excluded.branch, period = excluded.period,
                 filed_on = excluded.filed_on, last_seen = excluded.last_seen,
                 preparer = excluded.preparer, phone = excluded.phone,
                 seen = seen + 1""", row)
        return self.db.execute("SELECT id FROM files WHERE path = ? AND sha256 = ?",
                               (source, report.sha256)).fetchone()[0]

    def _run(self, command: str, started: str, inbox: str | None, period: str | None,
             options: dict, **more: Any) -> int:
        cursor = self.db.execute(
            """INSERT INTO runs (command, version, started, finished, inbox, period, options,
                                 output, output_sha256, data_digest, totals)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (command, __version__, started, _now(), inbox, period,
             json.dumps(options, ensure_ascii=False, sort_keys=True), more.get("output"),
             more.get("output_sha256"), more.get("data_digest"),
             json.dumps(more.get("totals"), ensure_ascii=False) if more.get("totals") else None))
        return cursor.lastrowid

    def record_validation(self, reports: Iterable[FileReport], inbox: str | None,
                          options: dict, started: str | None = None) -> int:
        """One validate run and every file it saw."""
        started = started or _now()
        with self.transaction():
            run = self._run("validate", started, inbox, None, options)
            for report in reports:
                self.db.execute("INSERT OR IGNORE INTO run_files VALUES (?, ?, ?)",
                                (run, self._file(report, started), "validated"))
        return run

    def record_consolidation(self, result: Any, inbox: str, options: dict, output: str,
                             written: Callable[[], tuple[str, str]],
                             started: str | None = None) -> int:
        """One consolidate run: its files (chosen, superseded, excluded), figures and people.

        ``written`` waits for the workbook and gives its (SHA-256, data digest), so the caller
        can write it meanwhile; if it raises, nothing of the run is recorded.
        """
        started = started or _now()
        roles = {id(f): "chosen" for f in result.chosen.values()}
        roles.update({id(old): "superseded" for old, _ in result.superseded})
        totals = {s.code: s.figures() for s in result.summaries}
        with self.transaction():
            run = self._run("consolidate", started, inbox, result.period, options,
                            output=output, totals=totals)
            for report in result.report.files:
                self.db.execute("INSERT OR IGNORE INTO run_files VALUES (?, ?, ?)",
                                (run, self._file(report, started),
                                 roles.get(id(report), "excluded")))
            # only the branches this run read: consolidating part of a federation (one
            # branch's files) keeps what was recorded for the others
            reported = {code for code, _ in result.chosen}
            self.db.executemany(
                "INSERT OR REPLACE INTO branch_periods VALUES (?, ?, ?, ?)",
                [(result.period, code, run, json.dumps(figures, ensure_ascii=False))
                 for code, figures in totals.items() if code in reported])
            self.db.executemany("DELETE FROM members WHERE period = ? AND branch = ?",
                                [(result.period, code) for code in sorted(reported)])
            self.db.executemany("INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                _members(result, self.key))
            output_sha256, digest = written()
            self.db.execute("UPDATE runs SET output_sha256 = ?, data_digest = ?, finished = ? "
                            "WHERE id = ?", (output_sha256, digest, _now(), run))
        return run

    # --- reading ---------------------------------------------------------------------------

    def periods(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT period FROM files WHERE length(period) = 7 "
                               "AND period NOT LIKE '%Q%' ORDER BY period").fetchall()
        return [r[0] for r in rows]

    def current_files(self, period: str) -> list[dict[str, Any]]:
        """For each path, its latest version seen, among the files of ``period`` (and its year
        for yearly templates)."""
        rows = self.db.execute(
            """SELECT path, sha256, template, branch, period, filed_on, status, errors,
                      warnings, last_seen FROM files
               WHERE period IN (?, ?, ?) AND template IS NOT NULL AND branch IS NOT NULL
               ORDER BY path, last_seen, id""", (period, period[:4], quarter_of(period))
        ).fetchall()
        keys = ("path", "sha256", "template", "branch", "period", "filed_on", "status",
                "errors", "warnings", "last_seen")
        latest_by_path: dict[str, dict[str, Any]] = {}
        for row in rows:
            latest_by_path[row[0]] = dict(zip(keys, row, strict=True))
        return list(latest_by_path.values())

    def sent_for(self, period: str) -> set[tuple[str, str, str]]:
        """(branch, template, period) of every recognised file seen for the year or the
        quarter of the month ``period`` (a 考核评分 sent in an earlier month's inbox)."""
        rows = self.db.execute(
            "SELECT DISTINCT branch, template, period FROM files WHERE period IN (?, ?) AND "
            "template IS NOT NULL AND branch IS NOT NULL AND status NOT IN ('unreadable', "
            "'unrecognized')", (period[:4], quarter_of(period))).fetchall()
        return {(branch, template, p) for branch, template, p in rows}

    def figures(self, branch: str | None = None) -> dict[str, dict[str, Any]]:
        """period → figures (one branch's, or the federation's totals)."""
        out: dict[str, dict[str, Any]] = {}
        for period, code, figures in self.db.execute(
                "SELECT period, branch, figures FROM branch_periods ORDER BY period, branch"):
            if branch is not None and code != branch:
                continue
            values = json.loads(figures)
            total = out.setdefault(period, {})
            add_figures(total, values, (k for k in values if k not in NOT_SUMMED))
            if branch is not None:  # a score and a grade do not add up across branches
                total.update(score=values.get("score"), grade=values.get("grade"))
        return out

    def history_before(self, period: str) -> dict[str, dict[str, dict[str, Any]]]:
        """branch → period → figures, for the consolidated periods before ``period``."""
        out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for p, code, figures in self.db.execute(
                "SELECT period, branch, figures FROM branch_periods WHERE period < ? "
                "ORDER BY period, branch", (period,)):
            out[code][p] = json.loads(figures)
        return dict(out)

    def members(self, branch: str | None = None) -> list[tuple]:
        query = ("SELECT period, branch, id_number, name, in_roster, change_type, dues_due, "
                 "dues_paid FROM members")
        if branch is not None:
            return self.db.execute(query + " WHERE branch = ? ORDER BY period",
                                   (branch,)).fetchall()
        return self.db.execute(query + " ORDER BY period").fetchall()


def _members(result: Any, key: bytes) -> Iterator[tuple]:
    """Each person of the period, branch by branch (so memory holds one branch): on the roster
    (with its change) and/or on the dues sheet; known by the keyed hash of their ID number."""
    for branch in sorted({b for b, _ in result.chosen}):
        people: dict[str, list[Any]] = {}
        roster, dues = result.chosen.get((branch, "roster")), result.chosen.get((branch, "dues"))
        for p in roster.items("people") if roster else []:
            people[keyed(key, p.id_number)] = [p.name, 1, p.change, None, None]
        for line in dues.items("dues_lines") if dues else []:
            entry = people.setdefault(line["id_number_key"],
                                      [line["name"], 0, None, None, None])
            entry[3], entry[4] = _text(line["dues_due"]), _text(line["dues_paid"])
        yield from ((result.period, branch, person, *values)
                    for person, values in sorted(people.items()))


@dataclass
class SlotStatus:
    """One cell of the submission matrix."""

    status: str  # ok, warnings, errors, missing, duplicate
    path: str | None = None
    superseded: int = 0


def submission_matrix(files: list[dict[str, Any]], branches: list[str],
                      templates: Iterable[str]) -> dict[tuple[str, str], SlotStatus]:
    """branch × template → the current file's status (a later 填报日期 supersedes)."""
    slots: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in files:
        slots[(f["branch"], f["template"])].append(f)
    matrix = {}
    for branch in branches:
        for template in templates:
            # the same file seen under two names (next month's inbox) is one submission
            found = list({f["sha256"]: f for f in sorted(
                slots.get((branch, template), []), key=lambda f: f["last_seen"])}.values())
            if not found:  # a registry a branch sends when it changes is not missing
                matrix[(branch, template)] = SlotStatus(
                    "missing" if load_spec(template).demanded else "not_due")
                continue
            ranked = [_Filed(f) for f in found]
            winner = latest(ranked)
            if winner is None and len(ranked) > 1:
                matrix[(branch, template)] = SlotStatus("duplicate", None, 0)
                continue
            chosen = (winner or ranked[0]).file
            matrix[(branch, template)] = SlotStatus(chosen["status"], chosen["path"],
                                                    len(found) - 1)
    return matrix


class _Filed:
    """A register row seen through the 填报日期 rule consolidation uses."""

    def __init__(self, file: dict[str, Any]) -> None:
        self.file = file
        self.filed_on = date.fromisoformat(file["filed_on"]) if file["filed_on"] else None


def unpaid_streaks(members: list[tuple], months: int) -> list[dict[str, Any]]:
    """Members whose dues went unpaid for ``months`` or more consecutive periods (up to the
    latest period each was seen in)."""
    by_person: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for row in members:
        by_person[(row[1], row[2])].append(row)
    out = []
    for (branch, person), rows in sorted(by_person.items()):
        streak = 0
        for row in sorted(rows):
            due, paid = Decimal(row[6] or "0"), Decimal(row[7] or "0")
            streak = streak + 1 if due > 0 and paid < due else 0
        if streak >= months:
            out.append({"branch": branch, "id_number": person, "name": rows[-1][3],
                        "months": streak, "period": sorted(rows)[-1][0]})
    return out


def disappeared(members: list[tuple]) -> list[dict[str, Any]]:
    """People on a branch's roster one period and gone from its next roster without an outflow
    row (转出, 除名, 退会)."""
    rosters: dict[tuple[str, str], dict[str, tuple]] = defaultdict(dict)
    for row in members:
        if row[4]:
            rosters[(row[1], row[0])][row[2]] = row
    out = []
    branches = sorted({b for b, _ in rosters})
    for branch in branches:
        periods = sorted(p for b, p in rosters if b == branch)
        for before, after in itertools.pairwise(periods):
            stayed = {k: v for k, v in rosters[(branch, before)].items()
                      if v[5] not in OUTFLOWS}
            for person, row in sorted(stayed.items()):
                if person not in rosters[(branch, after)]:
                    out.append({"branch": branch, "id_number": person, "name": row[3],
                                "last_seen": before, "missing_in": after})
    return out
