"""Identifier checks from national standards (RULES.md, verified by running the test vectors)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
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
    return _birth_date(value[6:14])


@lru_cache(maxsize=1 << 15)
def _birth_date(digits: str) -> date | None:
    """A YYYYMMDD as a date (birthdays recur: a federation's members share some 30,000)."""
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
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


#: Number formats of the identity documents a 会员实名制 register accepts besides the resident
#: ID: (pattern, description in Chinese, in English). 港澳台居民居住证 and the 2017+ 外国人永久居留
#: 身份证 are 18-character numbers with the GB 11643 check character, like a resident ID.
DOCUMENT_FORMATS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "护照": (re.compile(r"^[A-Z0-9]{5,17}$"), "5–17位字母或数字", "5–17 letters or digits"),
    "港澳居民来往内地通行证": (re.compile(r"^[HM]\d{8}(\d{2})?$"), "H或M加8位或10位数字",
                               "H or M and 8 or 10 digits"),
    "台湾居民来往大陆通行证": (re.compile(r"^\d{8}(\d{2})?$"), "8位或10位数字", "8 or 10 digits"),
    "港澳台居民居住证": (re.compile(r"^8[123]0000\d{11}[\dX]$"), "以810000、820000或830000开头的18位号码",
                         "18 characters starting 810000, 820000 or 830000"),
    "外国人永久居留身份证": (re.compile(r"^([A-Z]{3}\d{12}|9\d{16}[\dX]|\d{17}[\dX])$"),
                             "15位（3个字母加12位数字）或18位号码",
                             "15 (3 letters and 12 digits) or 18 characters"),
}
_ANY_DOCUMENT = (re.compile(r"^[0-9A-Z\-()（）第字号]{4,30}$"), "4–30位字母、数字或汉字“第、字、号”",
                 "4–30 letters, digits or 第/字/号")
_CHECKED = ("港澳台居民居住证",)


def document_number_problem(kind: str, value: str) -> tuple[str, str] | None:
    """For a document other than the resident ID: None when its number has that document's
    format, else (Chinese, English) descriptions of the format expected."""
    pattern, zh, en = DOCUMENT_FORMATS.get(kind, _ANY_DOCUMENT)
    if not pattern.match(value):
        return zh, en
    if (kind in _CHECKED or (kind == "外国人永久居留身份证" and len(value) == 18)) \
            and not resident_id_valid(value):
        return zh + "，校验位正确", en + ", with a valid check character"
    return None
