"""Write-then-rename, so a crash never leaves half a file where a finished one is expected."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
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
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a finished file gets the usual mode
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
