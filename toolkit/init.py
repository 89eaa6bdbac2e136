"""``unionkit init``: a new federation set up in minutes — a commented ``federation.toml``
with the federation's name and branch directory (read from the branch list it already keeps
in Excel), an empty inbox and the blank templates.

The branch list is any sheet whose header row names 分会代码 and 分会名称 (类别, 联系人 and 电话
when it has them), wherever the header sits in the first rows, as clerks' lists do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_path
from .config import Branch, load_config
from .errors import UsageError
from .read.normalize import clean_text
from .read.workbook import Unreadable, open_book
from .spec import all_specs
from .templates import write_blank_templates

#: Header words of a branch list, by what they hold (the first found in a row wins).
HEADS = {"code": ("分会代码", "单位代码", "代码", "编码", "编号"),
         "name": ("分会名称", "单位名称", "名称", "分会"),
         "kind": ("类别", "类型", "分会类别"),
         "contact": ("联系人", "负责人"),
         "phone": ("电话", "联系电话", "手机", "手机号码")}
#: How far down a sheet its header row may sit.
HEAD_ROWS = 10


def read_branches(path: Path) -> list[Branch]:
    """The branches of the first sheet of ``path`` with a 分会代码 and a 分会名称 header."""
    try:
        book = open_book(path)
        sheets = [book.sheet(name).rows for name in book.names]
    except Unreadable as exc:
        raise UsageError("init_list_unreadable", path=path, detail=exc.code) from exc
    for rows in sheets:
        for r, row in enumerate(rows[:HEAD_ROWS]):
            cells = [clean_text(v) for v in row]
            where = {key: next((c for c, v in enumerate(cells) if v in words), None)
                     for key, words in HEADS.items()}
            if where["code"] is None or where["name"] is None:
                continue
            listed = []
            for data in rows[r + 1:]:
                got = {k: clean_text(data[c]) if c is not None and c < len(data) else ""
                       for k, c in where.items()}
                if got["code"]:
                    listed.append(Branch(got["code"], got["name"], got["kind"],
                                         got["contact"], got["phone"]))
            return listed
    raise UsageError("init_list_no_header", path=path)


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def config_text(name: str, branches: Sequence[Branch]) -> str:
    """A commented ``federation.toml``: the name, the branch kinds in use, the directory; every
    other setting keeps its default (toolkit/data/federation.toml says what each one is)."""
    kinds = list(dict.fromkeys(b.kind for b in branches if b.kind)) or \
        list(load_config().branch_kinds)
    lines = ["# 本会的 unionkit 配置（unionkit init 生成）。没有写在这里的设置都用默认值，",
             "# 每项设置的含义和依据见 toolkit/data/federation.toml。用法：--config 本文件。",
             "", "[federation]", f"name = {_toml(name)}",
             "# 分会名录里可以出现的类别",
             f"branch_kinds = [{', '.join(_toml(k) for k in kinds)}]", "",
             "[register]", "# 报送登记簿（SQLite），相对于本文件", 'path = "unionkit.db"', "",
             f"# 分会名录，共 {len(branches)} 个分会（联系人、电话用于催报）"]
    for b in branches:
        lines += ["", "[[branches]]", f"code = {_toml(b.code)}", f"name = {_toml(b.name)}",
                  f"kind = {_toml(b.kind or kinds[0])}"]
        lines += [f"contact = {_toml(b.contact)}"] if b.contact else []
        lines += [f"phone = {_toml(b.phone)}"] if b.phone else []
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Setup:
    config: Path
    inbox: Path
    templates: list[Path]
    branches: int


def init_federation(folder: Path, name: str, branches: Sequence[Branch]) -> Setup:
    """Write ``federation.toml``, ``inbox/`` and ``templates/`` into ``folder``; an existing
    configuration is never overwritten. The written configuration is loaded back, so what
    ``init`` writes is what ``validate`` accepts."""
    config = folder / "federation.toml"
    if config.exists():
        raise UsageError("init_exists", path=config)
    codes = [b.code for b in branches]
    twice = next((c for c in codes if codes.count(c) > 1), None)
    if twice is not None:
        raise UsageError("init_branch_twice", code=twice)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(config) as tmp:
        tmp.write_text(config_text(name, branches), encoding="utf-8")
        loaded = load_config(tmp)
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    made = write_blank_templates(loaded, folder / "templates", all_specs())
    return Setup(config, inbox, made, len(branches))
