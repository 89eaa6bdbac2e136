"""A deterministic corpus of hostile mutants of the sample's files, for tests/test_fuzz.py.

Each mutant is one kind of damage a file can arrive with: bytes flipped inside a zip member,
a truncated file, a declared size that lies, poison numbers and control characters in cells,
odd BIFF records in an .xls. ``python -m tests.fuzz DIR`` writes the corpus to look at.
"""

from __future__ import annotations

import io
import random
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import INBOX

SEED = 20261201
SOURCES = ("FH07_技术中心分会_会员名册_2026-10.xlsx", "FH07_技术中心分会_会费收缴_2026-10.xlsx",
           "FH02_二车间分会_经费收支账_2026-10.xlsx", "FH01_一车间分会_考核评分_2026.xlsx")
XLS = "FH06_机关分会_会员名册_2026-10.xls"
POISON = ("1e27", "-1e27", "1e308", "-1e308", "NaN", "INF", "9" * 400, "1E+26", "0", "-0",
          "4294967296", "9007199254740993")
TEXT_POISON = ("\x01\x02", "\x1b[2J\x1b[32m✓ all files OK", "=1+2", "@SUM(A1)", "\ufffe\uffff",
               "长" * 33000, "\u202eevil", "<b>x</b>&amp;")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def _sheet_values(rng: random.Random, members: dict[str, bytes], values: tuple[str, ...],
                  count: int) -> dict[str, bytes]:
    """Replace the values of random numeric cells of the first sheet."""
    part = "xl/worksheets/sheet1.xml"
    xml = members[part].decode()
    cells = list(re.finditer(r'<c r="([A-Z]+\d+)"([^>]*)><v>([^<]*)</v></c>', xml))
    for match in rng.sample(cells, min(count, len(cells))):
        value = rng.choice(values)
        xml = xml.replace(match.group(0),
                          f'<c r="{match.group(1)}"{match.group(2)}><v>{value}</v></c>', 1)
    return {**members, part: xml.encode()}


def _shared_strings(rng: random.Random, members: dict[str, bytes]) -> dict[str, bytes]:
    """Replace random shared strings with hostile text."""
    part = "xl/sharedStrings.xml"
    xml = members[part].decode()
    strings = list(re.finditer(r"<t(?: [^>]*)?>([^<]*)</t>", xml))
    for match in rng.sample(strings, min(3, len(strings))):
        text = rng.choice(TEXT_POISON)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = "".join(f"&#{ord(c)};" if ord(c) < 32 else c for c in text)
        xml = xml.replace(match.group(0), f"<t>{text}</t>", 1)
    return {**members, part: xml.encode()}


def _declared(members: dict[str, bytes], count: int) -> dict[str, bytes]:
    part = "xl/sharedStrings.xml"
    xml = re.sub(rb'uniqueCount="\d+"', f'uniqueCount="{count}"'.encode(), members[part])
    return {**members, part: xml}


def _dimension(members: dict[str, bytes], ref: str) -> dict[str, bytes]:
    part = "xl/worksheets/sheet1.xml"
    xml = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), members[part])
    return {**members, part: xml}


def _flip(rng: random.Random, data: bytes, flips: int) -> bytes:
    data = bytearray(data)
    for _ in range(flips):
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
    return bytes(data)


def _zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():  # a fixed time: the same corpus every run
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0))
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _xlsx_cases(n: int, raw: bytes, members: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    for k in range(6):
        rng = random.Random(SEED + n * 100 + k)
        yield "poison_number", _zipped(_sheet_values(rng, members, POISON, 3))
    for k in range(4):
        rng = random.Random(SEED + n * 100 + 50 + k)
        yield "poison_text", _zipped(_shared_strings(rng, members))
    for count in (2_000_000_000, 10**7):
        yield "declared_strings", _zipped(_declared(members, count))
    for ref in ("A1:XFD1048576", "A1:A1", "ZZZ9:A1"):
        yield "dimension", _zipped(_dimension(members, ref))
    for k in range(6):
        yield "byte_flips", _flip(random.Random(SEED + n * 1000 + k), raw, 1 + k * 3)
    for cut in (0.1, 0.5, 0.9, 0.99):
        yield "truncated", raw[: int(len(raw) * cut)]


def mutants(folder: Path) -> Iterator[tuple[str, Path]]:
    """(kind, path) of every mutant, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(SOURCES):
        raw = (INBOX / name).read_bytes()
        for i, (kind, data) in enumerate(_xlsx_cases(n, raw, _members(INBOX / name))):
            target = folder / f"m{n}_{i:02d}_{kind}.xlsx"
            target.write_bytes(data)
            yield kind, target
    raw = (INBOX / XLS).read_bytes()
    for k in range(12):
        target = folder / f"x{k:02d}_biff.xls"
        target.write_bytes(_flip(random.Random(SEED + 7000 + k), raw, 1 + k * 2))
        yield "biff_flips", target
    for k, cut in enumerate((0.3, 0.7)):
        target = folder / f"x_trunc{k}.xls"
        target.write_bytes(raw[: int(len(raw) * cut)])
        yield "truncated", target


if __name__ == "__main__":
    written = list(mutants(Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz")))
    print(f"{len(written)} mutants")
