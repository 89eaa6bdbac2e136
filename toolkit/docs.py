"""Generate ``docs/findings.md`` from the findings catalog: ``python -m toolkit.docs``."""

from __future__ import annotations

import sys
from pathlib import Path

from .findings import catalog
from .findings import fill as fill_message

LEVELS = {"file": "file 文件", "sheet": "sheet 工作表", "cell": "cell 单元格"}


def findings_markdown() -> str:
    lines = [
        "# Finding codes · 问题代码",
        "",
        "Generated from `toolkit/data/findings.toml` by `python -m toolkit.docs` — do not edit.",
        "Every finding unionkit reports has one of these codes. `error` makes `validate` exit 1;",
        "`warning` does not; `info` (a row read as a note) counts as neither. `level` says where it",
        "points: a whole file, a sheet, or one cell. Workbooks, annotated copies and text reports",
        "show a code as its title (问题类型: the detail sheets' 状态 column, 问题清单, 审计提示);",
        "JSON keeps the code (BRIEF.md's contract).",
        "",
        "| code | 问题类型 / title | severity | level | 问题（示例） | example message | 怎么改 / fix |",
        "|---|---|---|---|---|---|---|",
    ]
    for code in catalog().values():
        values = {"value": "", **code.example}

        def fill(template: str, values: dict = values) -> str:
            return fill_message(template, values).replace("|", "\\|")
        lines.append(f"| `{code.code}` | {code.title} · {code.title_en} | {code.severity} | "
                     f"{LEVELS[code.level]} | "
                     f"{fill(code.zh)} | {fill(code.en)} | {fill(code.fix_zh)} {fill(code.fix_en)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/findings.md")
    target.write_text(findings_markdown(), encoding="utf-8")
    print(target)


if __name__ == "__main__":
    main()
