"""Where unionkit may write: never onto or inside an input, and no two outputs on one path.

Inputs are sacred (a clerk's submission is never overwritten, and an output written into the
inbox would be read back as a submission next time), so every command checks its outputs here
before it writes anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import UsageError


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_outputs(inputs: Iterable[Path], outputs: Mapping[str, Path | None]) -> None:
    """Raise :class:`UsageError` naming the option when an output is an input, lies inside an
    input folder, or is the same path as another output."""
    sources = [Path(p).resolve() for p in inputs]
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        target = Path(path).resolve()
        for source in sources:
            if _inside(target, source):
                raise UsageError("output_inside_input", option=option, path=path, source=source)
        if target in seen:
            raise UsageError("output_same_path", option=option, path=path, other=seen[target])
        seen[target] = option


def workbook_path(path: Path) -> Path:
    """The --out of a workbook: ``.xlsx`` added when it has no suffix; any other suffix (a
    ``.xls`` would hold xlsx bytes under a name Excel opens as another format) is refused."""
    if path.suffix == "":
        return path.with_suffix(".xlsx")
    if path.suffix.lower() != ".xlsx":
        raise UsageError("out_not_xlsx", path=path)
    return path
