"""Benchmark: the web desk's upload-to-findings latency.

Run: ``.venv/bin/python scripts/bench_web.py``. Starts ``unionkit serve`` (as a user starts it,
on loopback), then for 1, 10 and 20 concurrent clerks each sends a 1,000-row roster of its own
branch to ``POST /api/upload`` and waits for the findings; every answer's round trip is timed.
Prints p50 and p95 per level and checks that no upload was lost (each recorded once, the inbox
holding exactly the files taken). The rosters come from ``scripts/bench.py``'s synthetic
federation (cached under ``--data``). Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench import generate  # noqa: E402
from tests.desk import post_upload, serving  # noqa: E402
from toolkit.register import Register  # noqa: E402


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "bench_web")
    parser.add_argument("--levels", default="1,10,20")
    parser.add_argument("--rounds", type=int, default=3, help="uploads per clerk per level")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    inbox, config = generate(args.data, max(levels), 1000, args.workers)
    rosters = sorted(inbox.glob("*_会员名册_*.xlsx"))
    with tempfile.TemporaryDirectory() as folder:
        desk_inbox, db = Path(folder) / "inbox", Path(folder) / "unionkit.db"
        desk_inbox.mkdir()
        with Register(db) as register:
            codes = [register.grant("clerk", p.name[:5])[1] for p in rosters]
        sent = 0
        with serving(desk_inbox, config, db, args.workers) as url:
            for level in levels:
                jobs = [(codes[i], rosters[i]) for _ in range(args.rounds) for i in range(level)]
                timed: list[float] = []

                def send(job: tuple[str, Path], timed: list[float] = timed) -> int:
                    started = time.perf_counter()
                    status, _ = post_upload(url, job[0], job[1], job[1].name)
                    timed.append(time.perf_counter() - started)
                    return status

                with ThreadPoolExecutor(level) as pool:
                    statuses = list(pool.map(send, jobs))
                sent += len(jobs)
                print(f"{level:>3} concurrent: {len(jobs)} uploads, p50 "
                      f"{statistics.median(timed):.2f} s, p95 {_percentile(timed, 0.95):.2f} s, "
                      f"answered {statuses.count(200)}/{len(jobs)}")
        with Register(db) as register:
            recorded = len(register.uploads())
            whole = register.db.execute("PRAGMA integrity_check").fetchone()[0]
        stored = len(list(desk_inbox.iterdir()))
        print(f"sent {sent}, recorded {recorded}, stored {stored}, register {whole}")


if __name__ == "__main__":
    main()
