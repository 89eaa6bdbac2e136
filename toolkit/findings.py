"""Findings are data: a stable code, a severity, a position and the values behind the message.

The catalog (``data/findings.toml``) holds each code's severity and its Chinese and English
message templates; renderers (text, JSON, HTML, annotated workbook) only read findings, and
``docs/findings.md`` is generated from the catalog (a test keeps it so).
"""

from __future__ import annotations

import pickle
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
@dataclass(frozen=True)
class Code:
    """One catalog entry."""

    code: str
    severity: str
    level: str
    title: str  # a few words naming the problem: what the workbook and text show for the code
    title_en: str
    zh: str
    en: str
    fix_zh: str
    fix_en: str
    example: dict[str, str]


@cache
def catalog() -> dict[str, Code]:
    """Every finding code, in the order of ``data/findings.toml``."""
    text = resources.files("toolkit.data").joinpath("findings.toml").read_text("utf-8")
    return {k: Code(code=k, **v) for k, v in tomllib.loads(text).items()}


def title(code: str, lang: str = "zh") -> str:
    """The words a workbook or a text report shows for a finding code (JSON keeps the code)."""
    entry = catalog()[code]
    return entry.title_en if lang == "en" else entry.title


@cache
def code_titled(words: str) -> str | None:
    """The code whose Chinese title is ``words`` (the workbook shows titles; verify reads
    them back), or None."""
    return {entry.title: code for code, entry in catalog().items()}.get(words)


#: Joins the titles of a detail row's problems in its 状态 cell.
STATUS_JOIN = "；"


@cache
def _row_ok() -> str:
    from .messages import say

    return say("status.ok", "zh")


def row_status(codes: Iterable[str]) -> str:
    """A detail row's 状态: the titles of its error codes, or the word for a row with none."""
    return STATUS_JOIN.join(map(title, codes)) or _row_ok()


def status_codes(status: str) -> list[str | None]:
    """The codes a 状态 cell names (None for words that name none); [] for a row with none."""
    if status in ("", _row_ok()):
        return []
    return [code_titled(words) for words in status.split(STATUS_JOIN)]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


_OPTIONAL = re.compile(r"\[\[(.*?)\]\]")
_PLACEHOLDER = re.compile(r"{(\w+)}")


def fill(template: str, values: dict[str, str]) -> str:
    """A catalog message with its placeholders filled; a ``[[…]]`` part is kept only when
    every placeholder in it has a value (so “did you mean …” appears only with a suggestion)."""
    values = _Blank(values)
    kept = _OPTIONAL.sub(lambda m: m.group(1) if all(values[n] for n in
                                                     _PLACEHOLDER.findall(m.group(1))) else "",
                         template)
    return kept.format_map(values)


@dataclass(frozen=True)
class Finding:
    """One problem, at a place in one file. ``cell`` is A1 in the clerk's own sheet, or None."""

    code: str
    file: str
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None
    value: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def severity(self) -> str:
        return catalog()[self.code].severity

    @property
    def count(self) -> int:
        """How many findings this one stands for: 1, or the number a ``more_*`` one counts."""
        if self.code not in MORE_CODES:
            return 1
        return int(dict(self.params)["count"].replace(",", ""))

    @property
    def row(self) -> int | None:
        return int("".join(c for c in self.cell if c.isdigit())) if self.cell else None

    @property
    def column(self) -> str | None:
        return "".join(c for c in self.cell if c.isalpha()) if self.cell else None

    def message(self, lang: str = "zh") -> str:
        entry = catalog()[self.code]
        return fill(entry.en if lang == "en" else entry.zh,
                    {"value": self.value or "", **dict(self.params)})

    def title(self, lang: str = "zh") -> str:
        return title(self.code, lang)

    def fix(self, lang: str = "zh") -> str:
        entry = catalog()[self.code]
        return fill(entry.fix_en if lang == "en" else entry.fix_zh,
                    {"value": self.value or "", **dict(self.params)})

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The JSON contract's finding object (BRIEF.md)."""
        out = {"severity": self.severity, "code": self.code, "sheet": self.sheet,
               "cell": self.cell, "row": self.row, "column": self.column, "field": self.field,
               "value": self.value, "message": self.message(lang)}
        if self.code in MORE_CODES:  # the findings of a code past the first 1,000, as one
            out["count"] = self.count
        return out


#: How much of a clerk's value a finding quotes: enough to recognise it, never a whole essay.
QUOTE_LIMIT = 200
#: Characters no workbook, terminal or XML part can carry as they are: C0 controls (but tab and
#: newline), the non-characters U+FFFE/U+FFFF (xlsxwriter writes them as “_xFFFE_”, which reads
#: back as that text) and lone surrogates.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


#: The most characters a workbook cell holds (Excel's limit).
CELL_LIMIT = 32_767


def escaped(pattern: re.Pattern[str], text: str) -> str:
    """Every character ``pattern`` matches shown as an escape (\\x01, \\uffff)."""
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                       else f"\\u{ord(m.group()):04x}", text)


def cut(text: str, limit: int) -> str:
    """``text`` cut at ``limit`` characters, with a mark where it was cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quoted(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """A value as a finding quotes it: unshowable characters as escapes, cut at ``limit``
    characters with a mark — what unionkit writes, it reads back the same."""
    return cut(escaped(_UNSHOWABLE, str(value)), limit)


def finding(code: str, file: str, sheet: str | None = None, cell: str | None = None,
            field: str | None = None, value: Any = None, **params: Any) -> Finding:
    """Build a finding; params become the message's placeholders (all as text, quoted)."""
    if code not in catalog():
        raise KeyError(f"unknown finding code {code!r}")
    return Finding(code, file, sheet, cell, field, None if value is None else quoted(value),
                   tuple(sorted((k, quoted(v, 4 * QUOTE_LIMIT)) for k, v in params.items())))


#: Joins a file and a sheet in a report's path when the workbook holds several templates, as
#: Excel's own links do (``名册.xlsx#会费收缴``): each template is a submission of its own.
PART_MARK = "#"
#: What a spreadsheet file may be called.
SPREADSHEET = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def part_path(path: str, sheet: str) -> str:
    return f"{path}{PART_MARK}{sheet}"


def file_of(path: str) -> str:
    """The file a report's path names: ``a.xlsx#会费收缴`` is ``a.xlsx``."""
    head, mark, _ = path.rpartition(PART_MARK)
    return head if mark and head.lower().endswith(SPREADSHEET) else path


#: Findings of one code one file lists; the rest are counted in one ``more_*`` finding (a
#: file of a million wrong rows would otherwise hold, pickle and print a million findings).
FINDINGS_PER_CODE = 1000
MORE = {ERROR: "more_errors", WARNING: "more_warnings", INFO: "more_notices"}
MORE_CODES = frozenset(MORE.values())


@dataclass
class Overflow:
    """Cell findings of a file beyond :data:`FINDINGS_PER_CODE` for their code: counted, and
    the rows of the errors among them kept (the detail sheets' 状态 still names them)."""

    listed: Counter = field(default_factory=Counter)
    more: Counter = field(default_factory=Counter)
    labels: dict[str, str] = field(default_factory=dict)
    rows: dict[int, tuple[str, ...]] = field(default_factory=dict)  # Excel row → error codes

    def admit(self, code: str, row: int | None, label: str = "") -> bool:
        """Whether a finding is listed; one at no row always is."""
        if row is None or self.listed[code] < FINDINGS_PER_CODE:
            self.listed[code] += row is not None
            return True
        self.more[code] += 1
        self.labels.setdefault(code, label)
        if catalog()[code].severity == ERROR:
            codes = (*self.rows.get(row, ()), code)
            self.rows[row] = _CODES.setdefault(codes, codes)  # shared by a million rows
        return False

    def findings(self, file: str, sheet: str | None) -> list[Finding]:
        return [finding(MORE[catalog()[code].severity], file, sheet, count=f"{n:,}",
                        shown=f"{FINDINGS_PER_CODE:,}",
                        kind=f"{title(code)} {self.labels[code]}".strip(),
                        kind_en=f"{title(code, 'en')}: {self.labels[code]}".rstrip(": "))
                for code, n in sorted(self.more.items())]


_CODES: dict[tuple[str, ...], tuple[str, ...]] = {}


class Pieces(list):
    """A part kept in memory as its pieces (see :meth:`FileReport.add_piece`)."""


def _as_pieces(part: Any) -> list[Any]:
    if part is None:
        return []
    return part if isinstance(part, Pieces) else [part]


def _spooled(path: str, offset: int, size: int) -> Any:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return pickle.loads(handle.read(size))  # our own spool, written by this run


@dataclass
class FileReport:
    """What validation learned about one file; ``records`` feed consolidation."""

    path: str
    source: Any = None
    sha256: str = ""
    size: int = 0
    template: str | None = None
    branch_code: str | None = None
    period: str | None = None
    filed_on: Any = None
    header: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None
    columns: dict[str, int] = field(default_factory=dict)
    header_row: int | None = None  # 0-based, in the clerk's sheet
    rows: int = 0
    #: How every non-blank row below the header was read: data, total, note, header, unread.
    accounted: dict[str, int] = field(default_factory=dict)
    #: The sheet, when the workbook holds more than one template (one report per template).
    part: str | None = None
    unreadable: bool = False
    findings: list[Finding] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # what a later stage extracted
    packed: dict[str, bytes] | None = field(default=None, repr=False)
    #: part → where its bytes are in the spool: (file, offset, size), one per piece
    spooled: dict[str, list[tuple[str, int, int]]] | None = None
    #: the spool a worker writes pieces into as it makes them (see :meth:`add_piece`)
    sink: Any = field(default=None, repr=False, compare=False)

    overflow: Overflow | None = None
    #: The file that replaces this one in its slot (same branch, template and period): its
    #: findings stay listed, marked 已替代, and count nowhere (:attr:`Report.errors`).
    superseded_by: str = ""

    def add(self, found: Finding) -> None:
        """A finding made after validation (the cross-file checks), capped like the file's
        own (see :class:`Overflow`); :meth:`settle` then recounts the rest."""
        if self.overflow is None:
            self.overflow = Overflow()
        if self.overflow.admit(found.code, found.row, dict(found.params).get("label", "")):
            self.findings.append(found)

    def settle(self) -> None:
        """The ``more_*`` findings recounted from :attr:`overflow`."""
        if self.overflow is not None and self.overflow.more:
            kept = [f for f in self.findings if f.code not in MORE_CODES]
            self.findings = kept + self.overflow.findings(self.path, self.sheet)

    def pack(self) -> None:
        """Pickle records and extras into ``packed``: one transfer from a worker, stored as is."""
        self.packed = {name: pickle.dumps(part, protocol=5)
                       for name, part in (("records", self.records), *self.extras.items())}
        self.records, self.extras = [], {}

    def unpack(self) -> None:
        for name, data in (self.packed or {}).items():
            part = pickle.loads(data)  # our own worker's bytes
            if name == "records":
                self.records = part
            else:
                self.extras[name] = part
        self.packed = None

    def add_piece(self, part: str, piece: Any) -> None:
        """One piece of a part made in pieces (a million-row file's detail rows, a few
        thousand rows at a time): written to the worker's spool at once when it has one, so
        neither the worker nor the writer ever holds more than a piece of a large file."""
        if self.sink is not None:
            self.sink.append(self, part, pickle.dumps(piece, protocol=5))
        else:
            self.extras.setdefault(part, Pieces()).append(piece)

    def pieces(self, part: str) -> Iterator[Any]:
        """The pieces of a part made by :meth:`add_piece`, one at a time, in order."""
        for where in (self.spooled or {}).get(part, ()):
            yield from _as_pieces(_spooled(*where))
        yield from _as_pieces(self.extras.get(part))

    def items(self, part: str) -> Iterator[Any]:
        """Every item of a part whose pieces are lists (people, dues lines), in order."""
        for piece in self.pieces(part):
            yield from piece

    def load(self, part: str = "records") -> Any:
        """A part (records, or an extra made whole), from memory or from the spool."""
        if self.spooled and part in self.spooled:
            return _spooled(*self.spooled[part][0])
        return self.records if part == "records" else self.extras.get(part)

    def load_records(self) -> list[Any]:
        return self.load("records")

    @property
    def errors(self) -> int:
        return sum(f.count for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(f.count for f in self.findings if f.severity == WARNING)

    @property
    def notices(self) -> int:
        return sum(f.count for f in self.findings if f.severity == INFO)

    @property
    def status(self) -> str:
        if self.unreadable:
            return "unreadable"
        if self.template is None:
            return "unrecognized"
        return "errors" if self.errors else ("warnings" if self.warnings else "ok")

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "template": self.template,
                **({"sheet": self.part} if self.part else {}),
                "branch_code": self.branch_code, "period": self.period, "rows": self.rows,
                "status": self.status,
                **({"superseded_by": self.superseded_by} if self.superseded_by else {}),
                "findings": [f.to_dict(lang) for f in self.findings]}


@dataclass
class Report:
    """A validation run over many files."""

    files: list[FileReport]

    @property
    def errors(self) -> int:
        """Errors of the files that count: all but those another file supersedes. The one
        count the terminal, JSON, HTML, 汇总, 问题清单 and the register show."""
        return sum(f.errors for f in self.files if not f.superseded_by)

    @property
    def warnings(self) -> int:
        return sum(f.warnings for f in self.files if not f.superseded_by)

    def findings(self) -> Iterable[Finding]:
        for f in self.files:
            yield from f.findings

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        from . import __version__

        return {"tool": "unionkit", "version": __version__,
                "files": [f.to_dict(lang) for f in self.files],
                "summary": {"files": len(self.files), "errors": self.errors,
                            "warnings": self.warnings}}
