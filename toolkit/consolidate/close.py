"""The period close: validate the inbox, consolidate, write the workbook and record the run.

``unionkit consolidate`` and the web desk's 汇总 button both run :func:`close_period`; each
says what happened in its own way (a terminal line, a page), from the :class:`Closed` it
returns.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..atomic import live
from ..config import FederationConfig
from ..errors import ToolkitError
from ..outputs import check_outputs, workbook_path
from ..privacy import with_key
from . import Consolidation


@dataclass
class Closed:
    """What a close did: the consolidation, the workbook it wrote (``digest`` None when
    ``strict`` refused to publish because the files it is made of have errors)."""

    result: Consolidation
    out: Path
    digest: str | None

    @property
    def errors(self) -> int:
        return self.result.counts()[0]


def close_period(inbox: Path, out: Path, config: FederationConfig, *,
                 fingerprint: str = "builtin", period: str | None = None,
                 register: Any = None, workers: int | None = None, dask: str | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 strict: bool = False, json_out: Path | None = None) -> Closed:
    """Close ``period`` (None: the latest the inbox holds) of ``inbox`` into ``out``.

    ``register`` (an open :class:`~toolkit.register.Register`, or None) gives the earlier
    periods (趋势, continuity, 本年 figures) and records the run; it is checked before anything
    is written, so a register another run holds stops the close before any output exists.
    """
    from ..audit import growing_arrears, welfare_to_date
    from ..parallel import executor_for
    from ..spool import RUN_PREFIX, Spool, sweep_stale
    from . import check_continuity, consolidate, sent_earlier
    from .workbook import write_json, write_workbook

    if not Path(inbox).exists():
        raise ToolkitError("path_not_found", path=inbox)
    out = workbook_path(Path(out))
    check_outputs([Path(inbox)], {"--out": out, "--json": json_out,
                                  "--register": register.path if register else None})
    if register is not None:
        register.ready_to_record()  # read-only or held by another run: say so now
        config = with_key(config, register.key)  # the hashes it keeps are made with it
    sweep_stale()  # what a killed run left behind a day ago
    with ExitStack() as stack:
        work = stack.enter_context(live(stack.enter_context(
            tempfile.TemporaryDirectory(prefix=RUN_PREFIX))))
        executor = stack.enter_context(executor_for(workers, dask))
        result = consolidate(Path(inbox), config, period, executor, Spool(work), progress)
        history = register.history_before(result.period) if register else {}
        check_continuity(result, history)
        if register is not None:
            sent_earlier(result, register.sent_for(result.period))
        if strict and result.used_errors():
            return Closed(result, out, None)
        options = {"period": result.period, "strict": strict, "config": fingerprint,
                   "privacy": config.privacy.mode}
        result.audit += growing_arrears(history, result) + welfare_to_date(history, result, config)
        digest = _write_and_record(partial(write_workbook, result, config, out, options,
                                           trend=history),
                                   partial(register.record_consolidation, result,
                                           str(Path(inbox).resolve()), options, str(out))
                                   if register is not None else None, out)
        if register is not None:  # what is older than the settings keep goes now
            register.prune(config.privacy.keep_months)
    if json_out is not None:
        write_json(result, digest, json_out)
    return Closed(result, out, digest)


#: What the name of an unmasked workbook says (``consolidate --full``).
FULL_MARK = "_完整"


def full_copy(out: Path) -> Path:
    """The name of the treasurer's unmasked copy of ``out``: it says what it holds."""
    out = workbook_path(Path(out))
    return out if out.stem.endswith(FULL_MARK) else out.with_name(f"{out.stem}{FULL_MARK}.xlsx")


def _write_and_record(write: Callable[[], str],
                      record: Callable[[Callable[[], tuple[str, str]]], int] | None,
                      out: Path) -> str:
    """Write the workbook while a helper thread records the run in the register (its SQL runs
    beside the writer's compression, which both leave the interpreter for); returns the data
    digest. The register's transaction waits for the workbook and rolls back if it fails."""
    from ..integrity import file_sha256

    if record is None:
        return write()
    written: Future[str] = Future()

    def sealed() -> tuple[str, str]:
        digest = written.result()
        return file_sha256(out), digest

    with ThreadPoolExecutor(1) as helper:
        recorded = helper.submit(record, sealed)
        try:
            written.set_result(write())
        except BaseException as exc:
            written.set_exception(exc)
            raise
        recorded.result()
    return written.result()
