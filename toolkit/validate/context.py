"""What a rule sees: one located sheet, its parsed header and records, and a way to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..config import FederationConfig
from ..findings import Finding, Overflow, finding
from ..layout import a1
from ..read.locate import Located
from ..read.normalize import period_bounds
from ..spec import TemplateSpec


@dataclass(slots=True)
class Record:
    """One data row: parsed values by column key (None when blank or unreadable).

    The values are the row's cells (its sheet row, read in place, with one blank cell after
    the last column read, where a key of no column looks) and ``index`` (column key →
    column) is shared by every record of a file: a dict per row would cost a million-row
    roster 580 MB more.
    ``bad`` (keys whose cell has an error) and ``raw`` (the text of cells that did not read)
    are empty for nearly every row, so they are made only when one is needed."""

    row: int
    index: dict[str, int]
    cells: list[Any]
    bad: frozenset[str] = frozenset()
    raw: tuple[tuple[str, str], ...] | None = None  # (key, text): rarely more than one

    def get(self, key: str) -> Any:
        return self.cells[self.index.get(key, -1)]  # the last cell is blank: no such column

    def set(self, key: str, value: Any) -> None:
        self.cells[self.index[key]] = value

    @property
    def values(self) -> dict[str, Any]:
        return {key: self.cells[col] for key, col in self.index.items()}

    def mark_bad(self, key: str) -> None:
        bad = self.bad | {key}
        self.bad = _BAD.setdefault(bad, bad)  # a million bad IDs share one frozenset

    def keep_raw(self, key: str, text: str) -> None:
        """The clerk's text of a cell that did not read, kept as typed for the detail sheets."""
        self.raw = (*(self.raw or ()), (key, text))

    def shown(self, key: str) -> str | None:
        return next((text for k, text in self.raw if k == key), None) if self.raw else None


_BAD: dict[frozenset[str], frozenset[str]] = {}


@dataclass
class TotalRow:
    """A clerk-typed 合计 row: its sheet row and the raw values under each column key."""

    row: int
    values: dict[str, Any]


@dataclass
class SheetContext:
    """Everything the rules of one file need, and the list they report into."""

    file: str
    located: Located
    config: FederationConfig
    header: dict[str, Any] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    total: TotalRow | None = None  # the 合计 row below the table, if the clerk typed one
    totals: list[TotalRow] = field(default_factory=list)  # every 合计/小计 row, in order
    accounted: dict[str, int] = field(default_factory=dict)  # rows by how they were read
    findings: list[Finding] = field(default_factory=list)
    overflow: Overflow = field(default_factory=Overflow)  # cell findings beyond the cap

    @property
    def spec(self) -> TemplateSpec:
        return self.located.spec

    @property
    def sheet(self) -> str:
        return self.located.sheet.name

    @property
    def period(self) -> str | None:
        return self.header.get("period")

    @property
    def period_end(self) -> date | None:
        return period_bounds(self.period)[1] if self.period else None

    def cell(self, row: int, key: str) -> str | None:
        col = self.located.columns.get(key)
        return None if col is None else a1(row, col)

    def header_cell(self, key: str) -> str | None:
        where = self.located.header_values.get(key)
        if where is not None:
            return a1(where[1], where[2])
        label = self.located.header_labels.get(key)
        return None if label is None else a1(label[0], label[1] + 1)

    def label(self, key: str) -> str:
        fields = {f.key: f.label for f in (*self.spec.header, *self.spec.columns)}
        return fields[key]

    def report(self, code: str, record: Record | TotalRow | None = None, key: str | None = None,
               value: Any = None, **params: Any) -> None:
        """A finding at a row's cell (or a sheet-level one when record is None)."""
        cell = self.cell(record.row, key) if record is not None and key else None
        if isinstance(record, Record) and key:
            record.mark_bad(key)
        params.setdefault("label", self.label(key) if key else "")
        if self.overflow.admit(code, None if cell is None else record.row + 1, params["label"]):
            self.findings.append(finding(code, self.file, self.sheet, cell, key, value,
                                         **params))

    def report_header(self, code: str, key: str, value: Any = None, **params: Any) -> None:
        params.setdefault("label", self.label(key))
        self.findings.append(finding(code, self.file, self.sheet, self.header_cell(key), key,
                                     value, **params))
