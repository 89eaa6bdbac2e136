"""The library's public functions, as ``import toolkit`` gives them (see docs/api.md).

Each is a stage of the pipeline the command line runs, with the defaults a script wants: the
built-in configuration when none is given, the federation's key beside its register, no
register written. ``toolkit.consolidate`` and its like are these functions when called and
their stage packages otherwise (see ``toolkit/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .config import FederationConfig
from .config import load_config as _load_config


def load_config(path: Path | str | None = None) -> FederationConfig:
    """The federation's configuration: the defaults, overridden by the TOML file at ``path``."""
    return _load_config(path)


def validate(paths: Path | str | Iterable[Path | str],
             config: FederationConfig | None = None) -> Any:
    """Check files or folders (searched recursively) against their templates: a
    :class:`~toolkit.findings.Report` whose files each hold their findings (file, sheet, cell,
    code, message in Chinese and English). A file a later correction replaces is marked so."""
    from .validate import validate_paths
    from .validate.cross import supersede

    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    folder = Path(paths[0]) if len(paths) == 1 and Path(paths[0]).is_dir() else None
    report = validate_paths([Path(p) for p in paths], config or _load_config(), base=folder)
    supersede(report.files)
    return report


def consolidate(inbox: Path | str, config: FederationConfig | None = None,
                period: str | None = None, keep_records: bool = False) -> Any:
    """Validate an inbox and decide what goes into the federation's workbook for ``period``
    (None: the one most files name): a :class:`~toolkit.consolidate.Consolidation` with the
    files chosen, superseded and missing, each branch's 汇总 figures in Decimal, the audit
    flags. ``keep_records`` keeps every row, for :func:`frames`."""
    from .consolidate import consolidate as run

    return run(Path(inbox), config or _load_config(), period, keep_records=keep_records)


def write_workbook(consolidation: Any, out: Path | str, config: FederationConfig | None = None,
                   options: dict | None = None) -> str:
    """Write the consolidated workbook to ``out`` (atomically); returns its data digest."""
    from .consolidate.workbook import write_workbook as write

    return write(consolidation, config or _load_config(), Path(out),
                 {"period": consolidation.period, **(options or {})})


def verify(path: Path | str, config: FederationConfig | None = None,
           sources: Path | str | None = None) -> Any:
    """Prove a generated workbook: a :class:`~toolkit.verify.Verification` (``.errors`` 0 when
    every total, formula, row and source holds; each discrepancy a finding)."""
    from .verify import verify_workbook

    return verify_workbook(Path(path), config or _load_config(),
                           Path(sources) if sources is not None else None)


def frames(source: Any, config: FederationConfig | None = None,
           period: str | None = None) -> dict[str, Any]:
    """The consolidation as pandas DataFrames (see :func:`toolkit.frames.frames`)."""
    from .frames import frames as make

    return make(source, config, period)
