"""A column's distinct values and what each maps to: the per-cell stages' one trick."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class Memo(dict):
    """What each distinct value of a column maps to, computed on first sight. A file repeats
    its branch, source, dates, amounts and list values on many rows; mapping a column through
    ``memo.__getitem__`` leaves only the first sight of each value to Python."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value: Any) -> Any:
        made = self[value] = self.make(value)
        return made


class Memos:
    """Memos that outlive one file: kept per process, by what they map (a column's field type,
    a sheet column's kind), so a worker's later files find what its earlier ones computed —
    row numbers, dates, amounts and list items recur across a federation's files.

    A memo that keeps missing (mostly new values: IDs, names, phone numbers) is emptied once
    it holds ``limit`` values, so memory stays bounded by the recurring values; from then on
    its values are mapped without it (a memo that only misses costs a lookup and an insert per
    cell for nothing).
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._memos: dict[Any, Memo] = {}
        self._spent: set[Any] = set()

    def map(self, key: Any, make: Callable[[Any], Any], values: Iterable[Any]) -> list[Any]:
        """``make`` of each value, through the memo named ``key`` (``make`` must depend only
        on the value and the key). Values are taken ``limit`` at a time, so a column of a
        million IDs never fills the memo with them."""
        if key in self._spent:
            return list(map(make, values))
        memo = self._memos.get(key)
        if memo is None:
            memo = self._memos[key] = Memo(make)
        values = values if isinstance(values, list) else list(values)
        made: list[Any] = []
        for start in range(0, len(values), self.limit):
            before, piece = len(memo), values[start:start + self.limit]
            made.extend(map(memo.__getitem__, piece))
            if len(memo) > self.limit and (len(memo) - before) * 2 > len(piece):
                memo.clear()
                self._spent.add(key)
        return made
