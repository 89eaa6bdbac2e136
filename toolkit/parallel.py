"""Where the per-file stage runs: this process, local worker processes, or a Dask cluster.

Every choice is a ``concurrent.futures.Executor`` (or none), so the pipeline has one code path:
``executor.map`` keeps input order, and the output is the same whichever runs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from .errors import UsageError

DASK_CONNECT_TIMEOUT = "10s"


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def executor_for(workers: int | None = None, dask: str | None = None) -> Iterator[Executor | None]:
    """The executor for ``--workers N`` (1 = this process) or ``--dask ADDRESS``."""
    if dask:
        with _dask_executor(dask) as executor:
            yield executor
        return
    count = default_workers() if workers is None else workers
    if count < 1:
        raise UsageError("--workers must be 1 or more")
    if count == 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=count) as pool:
        yield pool


@contextmanager
def _dask_executor(address: str) -> Iterator[Executor]:
    try:
        from distributed import Client
    except ImportError as exc:
        raise UsageError("--dask needs dask.distributed: pip install 'unionkit[dask]'") from exc
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    with client:
        yield client.get_executor()
