"""Write-then-rename, so a crash never leaves half a file where a finished one is expected."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: Temporary files and folders this process has open right now: what a SIGTERM handler
#: removes before the process ends (it cannot unwind the stack safely; see ``cli``).
LIVE: set[Path] = set()


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it into place.

    The temporary file lives in the target's folder so the rename is atomic (same filesystem).
    On any exception the temporary file is removed and the target is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = target.stem.encode()[:64].decode(errors="ignore")  # a legal 245-byte name stays legal
    fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=target.suffix[:16] + ".tmp",
                                dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    LIVE.add(tmp)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a finished file gets the usual mode
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:  # a full disk, a quota: name the file the user asked for
        if exc.filename in (None, str(tmp), tmp):
            raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
        raise
    finally:
        LIVE.discard(tmp)
        if tmp.exists():
            tmp.unlink()


def write_new(folder: Path, names: Iterable[str], data: bytes) -> Path:
    """``data`` as a new file in ``folder`` under the first of ``names`` that no file has,
    never overwriting one: written to a hidden temporary file, then linked under its name (a
    link fails where a file exists, so two writers at once never take one name), so the name
    only ever holds the whole file."""
    fd, name = tempfile.mkstemp(prefix=".upload.", suffix=".tmp", dir=folder)
    tmp = Path(name)
    LIVE.add(tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        for candidate in names:
            target = Path(folder) / candidate
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            return target
        raise FileExistsError(errno.EEXIST, "every name is taken", str(folder))
    finally:
        LIVE.discard(tmp)
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextmanager
def live(path: Path | str) -> Iterator[Path]:
    """Keep ``path`` (a run's temporary folder) in :data:`LIVE` while it is in use."""
    path = Path(path)
    LIVE.add(path)
    try:
        yield path
    finally:
        LIVE.discard(path)


def remove_live() -> None:
    """Remove every temporary file and folder still open (the SIGTERM path)."""
    for path in list(LIVE):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
