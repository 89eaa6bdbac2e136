"""Benchmarks: how fast unionkit validates (and, later, consolidates) a federation's files.

Run: ``.venv/bin/python scripts/bench.py [--branches N] [--repeat R]``. Speed targets live here,
not in timed tests. It generates N copies of the sample federation's branch files (each copy a
different branch code) into a temporary folder, then validates them all and prints files/s,
rows/s and peak memory (RSS).
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from toolkit.config import load_config
from toolkit.validate import validate_paths

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


def _copies(target: Path, copies: int) -> int:
    files = sorted((SAMPLE / "inbox").iterdir())
    for n in range(copies):
        folder = target / f"batch{n:03d}"
        folder.mkdir()
        for f in files:
            shutil.copy(f, folder / f.name)
    return len(files) * copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5, help="copies of the sample inbox")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = parser.parse_args()
    config = load_config(SAMPLE / "federation.toml")
    with tempfile.TemporaryDirectory() as tmp:
        count = _copies(Path(tmp), args.copies)
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = validate_paths([tmp], config)
            best = min(best, time.perf_counter() - start)
        rows = sum(f.rows for f in report.files)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}")
    print(f"validate: {count} files, {rows} rows in {best:.2f} s (best of {args.repeat}) -> "
          f"{count / best:.1f} files/s, {rows / best:,.0f} rows/s; peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
