"""Draw the benchmark results (JSON lines from ``scripts/bench.py --json``) as an SVG chart.

Run: ``.venv/bin/python scripts/plot_bench.py results.jsonl docs/performance.svg``. Seconds
against rows, one line per federation shape for unionkit, points for the pandas baseline. Plain
SVG, no plotting library.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

WIDTH, HEIGHT, PAD = 640, 360, 56
COLOURS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd")


def _scale(value: float, top: float, length: int) -> float:
    return value / top * length if top else 0


def plot(results: list[dict]) -> str:
    series = []
    for r in results:
        rows_per_branch = r["rows"] / r["branches"]
        points = [(c["branches"] * rows_per_branch, c["seconds"]) for c in r["curve"]]
        points.append((r["rows"], r["unionkit"]["seconds"]))
        series.append((f"unionkit, {r['branches']} × {r['members']}", sorted(points),
                       (r["rows"], r["pandas"]["seconds"]) if "pandas" in r else None))
    top_x = max(x for _, pts, _ in series for x, _ in pts)
    top_y = max([y for _, pts, _ in series for _, y in pts]
                + [b[1] for _, _, b in series if b]) * 1.1
    w, h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def xy(x: float, y: float) -> str:
        return f"{PAD + _scale(x, top_x, w):.1f},{HEIGHT - PAD - _scale(y, top_y, h):.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
             'stroke="black"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="black"/>',
             f'<text x="{WIDTH / 2}" y="{HEIGHT - 14}" text-anchor="middle">rows consolidated'
             '</text>',
             f'<text x="16" y="{HEIGHT / 2}" transform="rotate(-90 16 {HEIGHT / 2})" '
             'text-anchor="middle">seconds (wall clock)</text>']
    for i in range(5):
        x, y = top_x * i / 4, top_y * i / 4
        parts.append(f'<text x="{PAD + _scale(x, top_x, w):.0f}" y="{HEIGHT - PAD + 16}" '
                     f'text-anchor="middle">{x / 1000:.0f}k</text>')
        parts.append(f'<text x="{PAD - 6}" y="{HEIGHT - PAD - _scale(y, top_y, h) + 4:.0f}" '
                     f'text-anchor="end">{y:.0f}</text>')
    for i, (label, points, baseline) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(xy(x, y) for x, y in [(0, 0), *points])
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     'stroke-width="2"/>')
        parts.extend(f'<circle cx="{xy(x, y).split(",")[0]}" cy="{xy(x, y).split(",")[1]}" '
                     f'r="3" fill="{colour}"/>' for x, y in points)
        ly = PAD + 16 * i
        parts.append(f'<text x="{PAD + 12}" y="{ly}" fill="{colour}">— {label}</text>')
        if baseline:
            cx, cy = xy(*baseline).split(",")
            parts.append(f'<rect x="{float(cx) - 4}" y="{float(cy) - 4}" width="8" height="8" '
                         f'fill="none" stroke="{colour}" stroke-width="2"/>')
            parts.append(f'<text x="{float(cx) - 8}" y="{float(cy) - 8}" text-anchor="end" '
                         f'fill="{colour}">pandas baseline {baseline[1]:.0f} s</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    results = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    target.write_text(plot(results), encoding="utf-8")


if __name__ == "__main__":
    main()
