"""Benchmark the national roll-up: S sub-federations × B branches × M members rolled up.

Each sub-federation is generated (rosters only: what the roll-up reads besides 汇总), with its
own people (a seed of its own) and one person planted in all of them, consolidated by unionkit
with one shared privacy key (matching across them needs it), and cached in ``--data``. Then
``unionkit rollup`` runs on the first 2, 5, … S of them, each in a fresh process, timed with the
peak memory of its process tree (see scripts/bench.py). The figures go in docs/performance.md.

    .venv/bin/python scripts/bench_rollup.py --subs 10 --branches 1000 --members 300 \\
        --data /tmp/rollup-bench
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import _line, _machine, measure


def _write_branch(job: tuple[int, int, int, str, bool]) -> int:
    from toolkit.config import load_config
    from toolkit.sample.federation import synthetic_branch_files
    from toolkit.templates import write_template

    index, members, sub, folder, plant = job
    config = load_config()
    roster = next(p for p in synthetic_branch_files(index, members, config, seed=2026 + sub)
                  if p.spec.id == "roster")
    if plant:  # the same person in every sub-federation: sub 1's first member of B0001
        first = next(p for p in synthetic_branch_files(1, members, config, seed=2027)
                     if p.spec.id == "roster")
        roster.rows.append({**first.rows[0], "seq": len(roster.rows) + 1})
    write_template(roster.spec, config, Path(folder) / roster.name, roster.header, roster.rows)
    return len(roster.rows)


def generate(data: Path, sub: int, branches: int, members: int, workers: int) -> Path:
    """Sub-federation ``sub``'s consolidated workbook (cached)."""
    from toolkit.sample.federation import synthetic_branch

    folder = data / f"sub{sub:02d}"
    out, marker = folder / "2026-10.xlsx", folder / "generated.json"
    wanted = {"branches": branches, "members": members}
    if marker.exists() and json.loads(marker.read_text()) == wanted and out.exists():
        return out
    shutil.rmtree(folder, ignore_errors=True)
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        rows = sum(pool.map(_write_branch, [(i, members, sub, str(inbox), sub > 1 and i == 2)
                                            for i in range(1, branches + 1)], chunksize=8))
    lines = ["[federation]", f'name = "第{sub}区总工会"', ""]
    for i in range(1, branches + 1):
        code, name, kind, _, _ = synthetic_branch(i, members)
        lines += ["[[branches]]", f'code = "{code}"', f'name = "{name}"', f'kind = "{kind}"', ""]
    (folder / "federation.toml").write_text("\n".join(lines), encoding="utf-8")
    from toolkit.privacy import KEY_FILE

    shared = data / KEY_FILE  # one key for every sub-federation
    if not shared.exists():
        shared.write_bytes(os.urandom(32).hex().encode())
    shutil.copyfile(shared, folder / KEY_FILE)
    done = measure([sys.executable, "-c", "from toolkit.cli import main; main()", "consolidate",
                    str(inbox), "--config", str(folder / "federation.toml"), "--out", str(out),
                    "--register", str(folder / "unionkit.db"), "--workers", str(workers)])
    marker.write_text(json.dumps(wanted))
    print(f"sub {sub}: {rows:,} roster rows generated and consolidated in "
          f"{time.perf_counter() - started:.0f} s (consolidate {done[0]:.0f} s, exit {done[2]})",
          file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subs", type=int, default=10)
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data", type=Path, required=True, help="cache folder")
    parser.add_argument("--curve", default="2,5", help="sub-federation counts before all")
    parser.add_argument("--verify", action="store_true", help="also time with --verify")
    parser.add_argument("--json", type=Path, help="append the results to this JSON-lines file")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    books = [generate(args.data, s, args.branches, args.members, args.workers)
             for s in range(1, args.subs + 1)]
    result = {"machine": _machine(), "subs": args.subs, "branches": args.branches,
              "members": args.members, "workers": args.workers, "runs": []}
    counts = [*(int(k) for k in args.curve.split(",") if k and int(k) < args.subs), args.subs]
    for k, verify in [*((k, False) for k in counts), *([(args.subs, True)] if args.verify
                                                        else [])]:
        out = args.data / f"rollup{k}.xlsx"
        run = measure([sys.executable, "-c", "from toolkit.cli import main; main()", "rollup",
                       *map(str, books[:k]), "--out", str(out), "--workers", str(args.workers),
                       "--verify" if verify else "--no-verify"])
        rows = k * args.branches * args.members
        _line(f"rollup {k}{' +verify' if verify else ''}", k, rows, run)
        result["runs"].append({"subs": k, "verify": verify, "roster_rows": rows,
                               "seconds": round(run[0], 2), "peak_mb": round(run[1]),
                               "exit": run[2]})
    if args.json:
        with args.json.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
