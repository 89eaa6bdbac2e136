"""Identifier checks from national standards (RULES.md, verified by running the test vectors)."""

from __future__ import annotations

import re
from datetime import date
from operator import mul

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def resident_id_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    if len(first17) != 17:
        raise ValueError(f"17 digits expected: {first17!r}")
    return _ID_CHECK[sum(map(mul, map(int, first17), _ID_WEIGHTS)) % 11]


def resident_id_shape_ok(value: str) -> bool:
    """18 characters: 17 digits and a digit or X."""
    return bool(_ID_SHAPE.match(value))


def resident_id_valid(value: str) -> bool:
    """Shape and check character both right (GB 11643-1999)."""
    return resident_id_shape_ok(value) and resident_id_check_char(value[:17]) == value[17]


def resident_id_birth_date(value: str) -> date | None:
    """Characters 7–14 as a date, or None when they are not a real date."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def resident_id_gender(value: str) -> str:
    """男 when the 17th digit is odd, 女 when even."""
    return "男" if int(value[16]) % 2 else "女"


def make_resident_id(region: str, born: date, sequence: int) -> str:
    """Build a valid ID from a 6-digit region, a birth date and a 3-digit sequence (for samples)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def uscc_valid(value: str) -> bool:
    """Unified social credit code (GB 32100-2015) shape and check character."""
    if not _USCC_SHAPE.match(value):
        return False
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == value[17]


def mobile_valid(value: str) -> bool:
    """A mainland mobile number: 11 digits starting 13–19 (common practice)."""
    return bool(_MOBILE.match(value))
