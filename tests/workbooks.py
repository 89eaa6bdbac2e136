"""Compare workbooks cell by cell: formulas, cached values and typed values (not bytes)."""

from __future__ import annotations

from pathlib import Path

import openpyxl


def workbook_cells(path: Path) -> dict[str, dict[str, tuple]]:
    """sheet → {A1: (value or formula, cached value)} for every non-empty cell."""
    formulas = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: {c.coordinate: (c.value, cached[ws.title][c.coordinate].value)
                       for row in ws.iter_rows() for c in row if c.value is not None}
            for ws in formulas.worksheets}


def workbook_diffs(actual: Path, expected: Path) -> list[tuple]:
    """(sheet, cell, expected, found) for every cell that differs."""
    a, e = workbook_cells(actual), workbook_cells(expected)
    diffs = [(sheet, None, sheet in e, sheet in a) for sheet in sorted(set(a) ^ set(e))]
    for sheet in (s for s in e if s in a):
        for coord in sorted(set(a[sheet]) | set(e[sheet])):
            if a[sheet].get(coord) != e[sheet].get(coord):
                diffs.append((sheet, coord, e[sheet].get(coord), a[sheet].get(coord)))
    return diffs


def assert_workbook_equal(actual: Path, expected: Path) -> None:
    diffs = workbook_diffs(actual, expected)
    assert not diffs, f"{len(diffs)} cells differ, first: " + "\n".join(map(str, diffs[:15]))
