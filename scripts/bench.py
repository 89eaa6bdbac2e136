"""Benchmark: ``unionkit consolidate`` against the pandas script a treasurer would write.

Run: ``.venv/bin/python scripts/bench.py --branches 200 --members 1000``. Speed targets live
here, not in timed tests. The script generates a clean synthetic federation (N branches, each
sending 会员名册, 会费收缴 and 经费收支账 in the project's own templates), then runs, each in a
fresh process and measured the same way (wall time, peak RSS of the largest process):

- ``unionkit``: ``unionkit consolidate INBOX --out F --workers W``;
- ``pandas``: ``pandas.read_excel`` (openpyxl engine) of every file, ``concat`` per template,
  ``to_excel`` — no checks at all. Twice: with the xlsxwriter writer (pandas' choice when
  xlsxwriter is installed, as it is here) and with the openpyxl writer (what a treasurer gets
  from ``pip install pandas openpyxl``, the minimum ``read_excel`` needs).

Peak memory is the resident memory of the whole process tree (workers included), sampled.

``--curve 25,50,100`` also times unionkit on the first k branches, to show how time grows with
the number of files. ``--json F`` appends the results for docs/performance.md; ``--svg F`` draws
the curve. Generated inboxes are cached under ``--data`` (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ("roster", "dues", "ledger")

BASELINE = r"""
import sys
from pathlib import Path
import pandas as pd

inbox, out = Path(sys.argv[1]), sys.argv[2]
frames = {}
for path in sorted(inbox.glob("*.xlsx")):
    template = path.stem.split("_")[-2]
    frame = pd.read_excel(path, sheet_name=0, header=5, engine="openpyxl")
    frame.insert(0, "来源文件", path.name)
    frames.setdefault(template, []).append(frame)
with pd.ExcelWriter(out, engine=sys.argv[3]) as writer:
    for template, parts in frames.items():
        pd.concat(parts, ignore_index=True).to_excel(writer, sheet_name=template, index=False)
"""


def _write_branch(job: tuple[int, int, str]) -> int:
    from toolkit.config import load_config
    from toolkit.sample.federation import synthetic_branch_files
    from toolkit.templates import write_template

    index, members, folder = job
    config = load_config()
    rows = 0
    for plan in synthetic_branch_files(index, members, config):
        if plan.spec.id in TEMPLATES:
            write_template(plan.spec, config, Path(folder) / plan.name, plan.header, plan.rows)
            rows += len(plan.rows)
    return rows


def generate(folder: Path, branches: int, members: int, workers: int) -> tuple[Path, Path]:
    """The inbox and its federation.toml (cached: a marker file records the sizes)."""
    inbox, marker = folder / "inbox", folder / "generated.json"
    wanted = {"branches": branches, "members": members, "templates": list(TEMPLATES)}
    if marker.exists() and json.loads(marker.read_text())["sizes"] == wanted:
        return inbox, folder / "federation.toml"
    inbox.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        rows = sum(pool.map(_write_branch, [(i, members, str(inbox))
                                            for i in range(1, branches + 1)], chunksize=4))
    from toolkit.sample.federation import synthetic_branch

    lines = ['[federation]', 'name = "基准测试工会"', ""]
    for i in range(1, branches + 1):
        code, name, kind, _, _ = synthetic_branch(i, members)
        lines += ["[[branches]]", f'code = "{code}"', f'name = "{name}"', f'kind = "{kind}"', ""]
    (folder / "federation.toml").write_text("\n".join(lines), encoding="utf-8")
    marker.write_text(json.dumps({"sizes": wanted, "rows": rows}))
    print(f"generated {branches * len(TEMPLATES)} files, {rows:,} rows in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return inbox, folder / "federation.toml"


def _tree_rss(pid: int) -> int:
    """Resident memory (kB) of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines()
                              if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def measure(command: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB of the whole process tree, exit code) of one fresh process;
    memory is sampled every 20 ms, so it counts worker processes too."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.02)
    return time.perf_counter() - started, peak / 1024, process.returncode


def unionkit(inbox: Path, config: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-c", "from toolkit.cli import main; main()", "consolidate",
            str(inbox), "--config", str(config), "--out", str(out), "--workers", str(workers)]


def subset(inbox: Path, folder: Path, branches: int) -> Path:
    """A folder of links to the first ``branches`` branches' files."""
    target = folder / f"first{branches}"
    if not target.exists():
        target.mkdir()
        codes = {f"B{i:04d}" for i in range(1, branches + 1)}
        for f in inbox.iterdir():
            if f.name[:5] in codes:
                (target / f.name).symlink_to(f)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data", type=Path, help="cache folder for the generated inbox")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas run")
    parser.add_argument("--curve", default="", help="comma-separated branch counts to time")
    parser.add_argument("--json", type=Path, help="append the results to this JSON-lines file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        inbox, config = generate(data, args.branches, args.members, args.workers)
        files = len(list(inbox.iterdir()))
        rows = json.loads((data / "generated.json").read_text())["rows"]
        ours = measure(unionkit(inbox, config, Path(tmp) / "unionkit.xlsx", args.workers))
        result = {"machine": _machine(), "branches": args.branches, "members": args.members,
                  "files": files, "rows": rows, "workers": args.workers,
                  "unionkit": {"seconds": round(ours[0], 2), "peak_mb": round(ours[1]),
                               "exit": ours[2],
                               "bytes": (Path(tmp) / "unionkit.xlsx").stat().st_size}}
        _line("unionkit", files, rows, ours)
        for writer in () if args.no_baseline else ("xlsxwriter", "openpyxl"):
            base = measure([sys.executable, "-c", BASELINE, str(inbox),
                            str(Path(tmp) / "pandas.xlsx"), writer])
            key = "pandas" if writer == "xlsxwriter" else "pandas_openpyxl"
            _line(f"pandas ({writer} writer)", files, rows, base)
            result[key] = {"seconds": round(base[0], 2), "peak_mb": round(base[1]),
                           "exit": base[2], "speedup": round(base[0] / ours[0], 1)}
            print(f"unionkit is {result[key]['speedup']}x faster than pandas with the "
                  f"{writer} writer")
        result["curve"] = []
        for k in (int(x) for x in args.curve.split(",") if x):
            part = subset(inbox, data, k)
            point = measure(unionkit(part, config, Path(tmp) / f"c{k}.xlsx", args.workers))
            _line(f"unionkit {k} branches", k * len(TEMPLATES), rows * k // args.branches, point)
            result["curve"].append({"branches": k, "files": k * len(TEMPLATES),
                                    "seconds": round(point[0], 2), "peak_mb": round(point[1])})
        if args.json:
            with args.json.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(result, ensure_ascii=False) + "\n")


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.machine()) \
        if Path("/proc/cpuinfo").exists() else platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _line(label: str, files: int, rows: int, run: tuple[float, float, int]) -> None:
    seconds, peak, code = run
    print(f"{label:>22}: {files} files, {rows:,} rows in {seconds:.1f} s -> "
          f"{files / seconds:.1f} files/s, {rows / seconds:,.0f} rows/s; "
          f"peak memory {peak:.0f} MB (exit {code})")


if __name__ == "__main__":
    main()
