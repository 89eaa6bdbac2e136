"""A column's distinct values and what each maps to: the per-cell stages' one trick."""

from __future__ import annotations

from collections.abc import Callable
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
