"""One level up: the sub-federations' consolidated workbooks rolled up into one (``unionkit
rollup``) — the national roll-up, where millions of members are beyond one workbook.

Each source is read in a worker (:func:`read_source`): its 汇总 (every branch's figures as the
workbook shows them, 未报送 kept as a mark, never 0), its manifest (period, data digest, the key
its hashes were made with), optionally ``unionkit verify`` of the whole workbook, and the keyed
hashes of its members' ID numbers, written sorted to a file of its own. The roll-up merges those
files (:func:`heapq.merge`), so finding one member in two sub-federations holds one line per
source in memory, however many sources and members there are. What is written
(:func:`write_rollup`): 汇总 with a row per sub-federation as live SUMIFS over 分会明细 (every
source's branches, typed), 重复会员, and 来源清单 with each source's SHA-256, data digest and
verify result; every row with its check and the sheet's digest, as the consolidated workbook.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Any

from . import __version__
from .config import load_config
from .consolidate.formulas import (
    FIRST_DATA_ROW,
    SUMMARY_KIND,
    TOTALLED,
    WORDS,
    quoted,
)
from .findings import ERROR, Finding, finding
from .integrity import Digest, file_sha256
from .layout import col_letter
from .messages import say
from .money import round_fen
from .spec import load_spec
from .validate.rules import OUTFLOWS

W = WORDS
SUMMARY, DETAIL, PEOPLE, MANIFEST = (W["summary"], W["rollup_detail"], W["rollup_people"],
                                     W["manifest"])
#: The figures rolled up: every 汇总 column with a 合计.
FIGURES = TOTALLED
DETAIL_HEADS = (W["rollup_source"], W["col_code"], W["col_name"], W["col_kind"],
                *(W[f"col_{key}"] for key in FIGURES))
SUMMARY_HEADS = (W["rollup_source"], W["period"], W["rollup_branches"],
                 *(W[f"col_{key}"] for key in FIGURES))
PEOPLE_HEADS = (say("workbook.col_keyed", "zh", label=load_spec("roster").column(
    "id_number").label), W["rollup_source"], W["col_code"])
MANIFEST_HEADS = (W["file"], "SHA-256", W["rollup_source"], W["period"], W["rollup_branches"],
                  W["fact_digest"], W["rollup_verified"])


@dataclass
class Source:
    """One sub-federation's workbook as the roll-up reads it."""

    path: str
    sha256: str = ""
    name: str = ""
    label: str = ""  # its name on the roll-up's sheets (a name two sources share gets (2))
    period: str = ""
    digest: str = ""
    key_id: str = ""
    branches: list[list[Any]] = field(default_factory=list)  # code, name, kind, figures…
    verified: int | None = None  # its verify errors (None: not verified)
    first_error: str = ""  # the first of them
    hashes: str | None = None  # the sorted file of "hash\tbranch" lines
    findings: list[Finding] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return bool(self.period) and not any(f.code == "rollup_not_source"
                                             for f in self.findings)


@dataclass
class Rollup:
    """What :func:`rollup` found: the sources in order (those left out carry why), the period,
    and each member found in two sub-federations (hash, [(source name, branch)])."""

    period: str
    sources: list[Source]
    twice: list[tuple[str, list[tuple[str, str]]]]
    findings: list[Finding]

    @property
    def used(self) -> list[Source]:
        return [s for s in self.sources if s.usable and s.period == self.period]

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.all_findings())

    def all_findings(self) -> list[Finding]:
        return [*(f for s in self.sources for f in s.findings), *self.findings]


def read_source(job: tuple[str, int, str, bool]) -> Source:
    """Read one source (in a worker): ``job`` is (path, index, work folder, verify). Never
    raises for the file: whatever goes wrong is a rollup_not_source finding."""
    path, index, work, verify = job
    source = Source(path)
    try:
        _read(source, Path(path), Path(work) / f"{index}.hashes", verify)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # a Rust panic from python-calamine is one too
        detail = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        source.findings = [finding("rollup_not_source", path, value=path,
                                   detail=str(detail).splitlines()[0][:160])]
        source.period = ""
    return source


def _read(source: Source, path: Path, hashes: Path, verify: bool) -> None:
    from .verify import verify_workbook
    from .verify.layout import read_manifest
    from .verify.reader import read_workbook
    from .verify.totals import branch_rows

    book = read_workbook(path)
    manifest = read_manifest(book)
    params = manifest.parameters()
    summary = book.sheet(SUMMARY)
    if summary is None:
        raise ValueError(SUMMARY)
    source.sha256, source.period = file_sha256(path), manifest.period
    source.digest, source.key_id = manifest.digest, params.key_id or ""
    title = str(summary.value(0, 0) or "")
    source.name = title.removesuffix(f" {manifest.period} {SUMMARY}").strip() or path.stem
    heads = [str(summary.value(1, c) or "") for c in range(len(summary.rows[1]))]
    cols = [heads.index(W[f"col_{key}"]) for key in FIGURES]
    for r in branch_rows(summary):
        source.branches.append([str(summary.value(r, c) or "") for c in range(3)] +
                               [_figure(key, summary.value(r, c))
                                for key, c in zip(FIGURES, cols, strict=True)])
    book.release(SUMMARY)
    if "id_number" in params.keyed:
        source.hashes = str(hashes)
        _write_hashes(book, params.keyed, hashes)
    if verify:
        checked = verify_workbook(path, load_config())  # the sub-federation's own is not here
        source.verified = checked.errors
        source.first_error = next((f.code for f in checked.findings if f.severity == ERROR), "")


def _figure(key: str, value: Any) -> Any:
    """A 汇总 figure as rolled up: money in Decimal to the fen, a count as int, a mark (未报送,
    本期未报) as the text it is, a blank as None."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float):
        return round_fen(Decimal(str(value))) if SUMMARY_KIND[key] == "money" else int(value)
    return str(value)


def _write_hashes(book: Any, keyed: Sequence[str], out: Path) -> None:
    """Each staying member's keyed ID hash and branch, sorted, one per line (a member whose
    row says 转出, 退会 or 除名 has left: the union they joined has them now). Only those
    three columns of the roster pages are read (:func:`~toolkit.verify.reader.column_texts`)."""
    from .consolidate.formulas import detail_heads
    from .consolidate.workbook import page_name
    from .verify.reader import column_texts

    heads = detail_heads("roster", keyed)
    spec = load_spec("roster")
    columns = [0, heads.index(PEOPLE_HEADS[0]), heads.index(spec.column("change_type").label)]
    found = []
    index = 0
    while page_name(spec.title, index) in book.names:
        for r, (code, h, change) in column_texts(book.path, page_name(spec.title, index),
                                                 columns):
            if r >= FIRST_DATA_ROW and h and (change or "") not in OUTFLOWS:
                found.append(f"{h}\t{code}\n")
        index += 1
    found.sort()
    out.write_text("".join(found), "utf-8")


def rollup(paths: Sequence[Path], period: str | None = None, executor: Executor | None = None,
           work: Path | None = None, verify: bool = True,
           progress: Callable[[int, int], None] | None = None) -> Rollup:
    """Read every source (in ``executor``'s workers) and find the members in two of them.
    ``work`` is a folder for the sorted hash files (it must be shared with the workers)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="unionkit-rollup-", dir=work) as folder:
        jobs = [(str(p), i, folder, verify) for i, p in enumerate(paths)]
        reading = executor.map(read_source, jobs) if executor else map(read_source, jobs)
        sources = []
        for source in reading:
            sources.append(source)
            if progress:
                progress(len(sources), len(jobs))
        chosen = _period(sources, period)
        _match_keys(sources, chosen)
        used = [s for s in sources if s.usable and s.period == chosen]
        for source, label in zip(used, source_labels(used), strict=True):
            source.label = label
        twice = list(_twice([s for s in sources if s.usable and s.period == chosen and
                             s.hashes and not any(f.code == "rollup_keys_differ"
                                                  for f in s.findings)]))
    for source in sources:
        source.hashes = None  # the files went with the folder
        if source.verified:
            source.findings.append(finding("rollup_source_unverified", source.path,
                                           value=source.path, errors=source.verified,
                                           first=source.first_error))
    findings = [finding("rollup_member_in_two", "", value=h, first=f"{a[0]} {a[1]}",
                         second=f"{b[0]} {b[1]}") for h, (a, b, *_) in twice]
    return Rollup(chosen, sources, twice, findings)


def _period(sources: list[Source], period: str | None) -> str:
    """The period rolled up: the one given, else the one most sources are for (a tie: the
    later); a source of another period is listed and left out."""
    periods = [s.period for s in sources if s.usable]
    chosen = period or max(sorted(set(periods)), key=periods.count, default="")
    for s in sources:
        if s.usable and s.period != chosen:
            s.findings.append(finding("rollup_period_other", s.path, value=s.path,
                                      found=s.period, expected=chosen))
    return chosen


def _match_keys(sources: list[Source], period: str) -> None:
    """Which sources' hashes can be matched: those made with the key most of them share
    (the others, and a source without hashes, are told so)."""
    used = [s for s in sources if s.usable and s.period == period]
    for s in used:
        if not s.hashes:
            s.findings.append(finding("rollup_no_hashes", s.path, value=s.path))
    keys = [s.key_id for s in used if s.hashes]
    common = max(sorted(set(keys)), key=keys.count, default="")
    for s in used:
        if s.hashes and s.key_id != common:
            s.findings.append(finding("rollup_keys_differ", s.path, value=s.path,
                                      found=s.key_id[:8], expected=common[:8]))


def _twice(sources: list[Source]) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Each hash found in two or more sources, with where: a merge of the sorted files."""
    def lines(source: Source) -> Iterator[tuple[str, str, str]]:
        with open(source.hashes or "", encoding="utf-8") as stream:
            for line in stream:
                h, branch = line.rstrip("\n").split("\t", 1)
                yield h, source.label, branch
    merged = heapq.merge(*(lines(s) for s in sources))
    for h, group in groupby(merged, key=lambda item: item[0]):
        where = sorted({(name, branch) for _, name, branch in group})
        if len({name for name, _ in where}) > 1:
            yield h, where


#: SUMIFS reads * ? ~ in its criterion as wildcards: a name shows them full-width.
_WILDCARDS = str.maketrans("*?~", "＊？～")


def source_labels(sources: Sequence[Source]) -> list[str]:
    """Each source's name as the roll-up shows it (the criterion of its SUMIFS, so never a
    wildcard); a name two sources share gets (2), (3)."""
    seen: dict[str, int] = {}
    out = []
    for s in sources:
        name = s.name.translate(_WILDCARDS)
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}({seen[name]})")
    return out


def summary_formula(key_col: int, row: int, detail_rows: int) -> str:
    """A sub-federation's figure on 汇总: a SUMIFS over its branches on 分会明细 (a mark
    there, 未报送, is skipped: the total is of the branches that sent it)."""
    letter = col_letter(key_col)
    end = FIRST_DATA_ROW + detail_rows
    q = quoted(DETAIL)
    return (f"=SUMIFS({q}!${letter}$3:${letter}${end},{q}!$A$3:$A${end},$A{row + 1})")


def count_formula(row: int, detail_rows: int) -> str:
    end = FIRST_DATA_ROW + detail_rows
    return f"=COUNTIFS({quoted(DETAIL)}!$A$3:$A${end},$A{row + 1})"


def write_rollup(result: Rollup, name: str, out: Path) -> str:
    """Write the roll-up workbook atomically; returns its data digest."""
    import xlsxwriter

    from .atomic import atomic_path
    from .integrity import row_check
    from .money import excel_number
    from .templates import FIXED_TIMESTAMP

    used = result.used
    digest = Digest()
    with atomic_path(Path(out)) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                              "strings_to_numbers": False,
                                              "strings_to_urls": False})
        book.set_properties({"title": say("workbook.rollup_title", "zh", name=name,
                                          period=result.period), "author": "unionkit",
                             "created": FIXED_TIMESTAMP})
        base = {"font_name": "宋体", "font_size": 10}
        fmt = {"text": book.add_format({**base, "num_format": "@"}),
               "int": book.add_format({**base, "num_format": "0"}),
               "money": book.add_format({**base, "num_format": "#,##0.00"}),
               "head": book.add_format({**base, "bold": True, "bg_color": "#DDEBF7",
                                        "border": 1, "text_wrap": True}),
               "title": book.add_format({**base, "bold": True, "font_size": 14})}
        summary, detail = book.add_worksheet(SUMMARY), book.add_worksheet(DETAIL)
        people, manifest = book.add_worksheet(PEOPLE), book.add_worksheet(MANIFEST)

        def sealed(ws: Any, sheet: str, r: int, cells: list, width: int) -> None:
            check = row_check(cells)
            digest.add(sheet, check)
            ws.write_string(r, width, check, fmt["text"])

        def heads(ws: Any, row: int, names: Sequence[str]) -> None:
            for c, head in enumerate((*names, W["check"])):
                ws.write_string(row, c, head, fmt["head"])
            ws.set_column(len(names), len(names), 30, None, {"hidden": True})

        # 分会明细: every source's branches, typed
        summary.write_string(0, 0, say("workbook.rollup_title", "zh", name=name,
                                       period=result.period), fmt["title"])
        detail.write_string(0, 0, DETAIL, fmt["title"])
        heads(detail, 1, DETAIL_HEADS)
        r = FIRST_DATA_ROW
        sums: dict[tuple[str, str], Any] = {}
        for s in used:
            for branch in s.branches:
                cells = [s.label, *branch]
                for c, value in enumerate(cells):
                    key = FIGURES[c - 4] if c >= 4 else None
                    if isinstance(value, str) or value is None:
                        detail.write_string(r, c, value or "", fmt["text"])
                    else:
                        money = SUMMARY_KIND[key] == "money"
                        detail.write_number(r, c, excel_number(value) if money else value,
                                            fmt["money" if money else "int"])
                        sums[(s.label, key)] = sums.get((s.label, key), 0) + value
                sealed(detail, DETAIL, r, cells, len(DETAIL_HEADS))
                r += 1
        rows = r - FIRST_DATA_ROW
        # 汇总: a row per sub-federation, formulas over 分会明细, and 合计
        heads(summary, 1, SUMMARY_HEADS)
        for i, s in enumerate(used):
            r = FIRST_DATA_ROW + i
            cells = [s.label, s.period]
            for c, value in enumerate(cells):
                summary.write_string(r, c, value, fmt["text"])
            summary.write_formula(r, 2, count_formula(r, rows), fmt["int"], len(s.branches))
            for j, key in enumerate(FIGURES):
                money = SUMMARY_KIND[key] == "money"
                value = sums.get((s.label, key), 0)
                summary.write_formula(r, 3 + j, summary_formula(4 + j, r, rows),
                                      fmt["money" if money else "int"],
                                      excel_number(value) if money else value)
            sealed(summary, SUMMARY, r, cells, len(SUMMARY_HEADS))
        total = FIRST_DATA_ROW + len(used)
        summary.write_string(total, 0, W["total"], fmt["text"])
        for c in range(2, len(SUMMARY_HEADS)):
            key = FIGURES[c - 3] if c >= 3 else None
            money = key is not None and SUMMARY_KIND[key] == "money"
            value = sum((sums.get((s.label, key), 0) for s in used), 0) if key else \
                sum(len(s.branches) for s in used)
            letter = col_letter(c)
            formula = f"=SUM({letter}{FIRST_DATA_ROW + 1}:{letter}{total})"
            summary.write_formula(total, c, formula, fmt["money" if money else "int"],
                                  excel_number(value) if money else value)
        summary.set_column(0, 0, 22)
        summary.set_column(1, len(SUMMARY_HEADS) - 1, 12)
        detail.set_column(0, 3, 14)
        detail.set_column(4, len(DETAIL_HEADS) - 1, 12)
        # 重复会员: one row per place a member found twice is registered
        heads(people, 0, PEOPLE_HEADS)
        r = 1
        for h, where in result.twice:
            for place in where:
                cells = [h, *place]
                for c, value in enumerate(cells):
                    people.write_string(r, c, value, fmt["text"])
                sealed(people, PEOPLE, r, cells, len(PEOPLE_HEADS))
                r += 1
        people.set_column(0, 2, 22)
        # 来源清单: each source, then the run's facts and the digest
        heads(manifest, 0, MANIFEST_HEADS)
        r = 1
        for s in result.sources:
            cells = [s.path, s.sha256, s.label or s.name, s.period,
                     str(len(s.branches)), s.digest, _verified(s)]
            for c, value in enumerate(cells):
                manifest.write_string(r, c, value, fmt["text"])
            sealed(manifest, MANIFEST, r, cells, len(MANIFEST_HEADS))
            r += 1
        facts = [(W["fact_kind"], W["rollup_kind"]), (W["fact_tool"], f"unionkit {__version__}"),
                 (W["period"], result.period),
                 (W["fact_parameters"], json.dumps({"figures": list(FIGURES)}))]
        for label, value in facts:
            digest.add(MANIFEST, f"{label}={value}")
        facts.append((W["fact_digest"], digest.hexdigest()))
        for label, value in facts:
            manifest.write_string(r + 1, 0, label, fmt["text"])
            manifest.write_string(r + 1, 1, value, fmt["text"])
            r += 1
        manifest.set_column(0, 0, 40)
        manifest.set_column(1, 1, 66)
        summary.activate()
        book.close()
    return digest.hexdigest()


def _verified(source: Source) -> str:
    if source.verified is None:
        return W["rollup_not_checked"]
    return W["rollup_ok"] if source.verified == 0 else say(
        "workbook.rollup_failed", "zh", errors=source.verified)
