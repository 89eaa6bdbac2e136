"""Turn what clerks type into clean values: text, integers, amounts, dates, periods, 是/否.

Each parser takes a raw cell value (as python-calamine returns it: str, float, int, bool,
date, datetime, time or None) and returns the clean value, or raises :class:`BadValue` with the
finding code that describes what is wrong. Parsers never see floats as money: a float becomes a
Decimal through :func:`toolkit.money.decimal_from_cell`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ..layout import EXCEL_EPOCH
from ..money import decimal_from_cell


class BadValue(ValueError):
    """A cell that cannot be read as its field's type; ``code`` is the finding code."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


_HALF_WIDTH = {
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff")),  # invisible: removed
    **{cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)},  # ０-９
    **{cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
    **{cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)},  # ａ-ｚ
    **{ord(c): ord(c) - 0xFEE0 for c in "．－＋／＠"},
}
_SPACES = re.compile(r"[\s\u00a0\u3000]+")
#: Anything clean_text would change inside a text: a character it translates, a space other
#: than " ", or two spaces. Most cells have none, and then only their ends need trimming.
_UNCLEAN = re.compile("[" + "".join(map(chr, _HALF_WIDTH)) + r"]|[^\S ]|  ")


def clean_text(value: Any) -> str:
    """Full-width digits and letters to half-width, invisible characters removed, runs of
    spaces (incl. full-width and no-break) collapsed, ends trimmed. Chinese punctuation stays:
    this is the clerk's text, only tidied."""
    if value.__class__ is str and not _UNCLEAN.search(value):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", str(value).translate(_HALF_WIDTH)).strip()


def first_line(value: Any) -> str:
    """A header cell's label: its first non-blank line (real templates put an instruction on
    the next lines of the same cell: “是否农民工会员\n填写“是”或“否””)."""
    text = value if isinstance(value, str) else clean_text(value)
    return next((line for line in text.splitlines() if line.strip()), "")


def label_key(value: Any) -> str:
    """A header label reduced for matching: its first line, no spaces, no required-marks, no
    trailing colon, no unit or instruction in brackets, so “ 证件号码* ”, “证件号码：”,
    “收入金额（元）” and “出生日期（格式：yyyy/MM/dd）” match their labels."""
    text = clean_text(first_line(value)).replace(" ", "")
    text = re.sub(r"[\(（][^\)）]*[\)）]$", "", text.strip("*＊:："))
    return text.strip("*＊:：").lower()


_BRACKETS = str.maketrans("（）：，", "():,")


def fold_choice(value: Any) -> str:
    """A dropdown value reduced for comparison: full-width brackets, colons and commas as
    half-width, no spaces, lower case — so 待（下）岗 and 待(下)岗 are one choice."""
    return clean_text(value).translate(_BRACKETS).replace(" ", "").lower()


_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def is_blank(value: Any) -> bool:
    """None, or text with nothing visible (spaces of any width, zero-width characters)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text:
        return True
    return text[0] in _INVISIBLE and clean_text(text) == ""  # rare: the full clean only then


#: Bounds every number a clerk types must stay within, checked once at the parse, so that no
#: Decimal operation later can overflow its context (28 digits) and no int conversion can hit
#: Python's digit limit: integers below 2**53 (what a spreadsheet's double holds exactly),
#: amounts and scores below 10**12 yuan.
MAX_INTEGER = 2**53
MAX_AMOUNT = Decimal(10) ** 12
_MAX_DIGITS = 16


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise BadValue("bad_integer")
    if isinstance(value, int):
        return _bounded_int(value)
    if isinstance(value, float):
        if value.is_integer():  # False for NaN and ±inf
            return _bounded_int(int(value))
        raise BadValue("bad_integer")
    text = clean_text(value).replace(",", "")
    match = re.fullmatch(r"[+-]?0*(\d+)(\.0+)?", text)
    if match:
        if len(match.group(1)) > _MAX_DIGITS:
            raise BadValue("number_out_of_range", limit=f"{MAX_INTEGER:,}")
        return _bounded_int(int(Decimal(text)))
    raise BadValue("bad_integer")


def _bounded_int(value: int) -> int:
    if abs(value) >= MAX_INTEGER:
        raise BadValue("number_out_of_range", limit=f"{MAX_INTEGER:,}")
    return value


def _bounded_amount(value: Decimal) -> Decimal:
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise BadValue("number_out_of_range", limit=f"{MAX_AMOUNT:,.0f}")
    return value


_AMOUNT_NOISE = re.compile(r"[,，\s¥￥元]|^RMB", re.IGNORECASE)


def parse_decimal(value: Any) -> Decimal:
    """An amount or score: numbers as stored, or text like “4,500.00”, “¥4500”, “4500元”."""
    if isinstance(value, (bool, date | datetime)):
        raise BadValue("bad_amount")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValue("bad_amount")  # NaN, ±inf: no number at all
    if isinstance(value, int | float):
        if abs(value) >= MAX_AMOUNT:
            raise BadValue("number_out_of_range", limit=f"{MAX_AMOUNT:,.0f}")
        return decimal_from_cell(value)
    text = _AMOUNT_NOISE.sub("", clean_text(value))
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise BadValue("bad_amount")
    whole = text.lstrip("+-").split(".")[0].lstrip("0")
    if len(whole) > 12 or len(text) > 40:
        raise BadValue("number_out_of_range", limit=f"{MAX_AMOUNT:,.0f}")
    try:
        return _bounded_amount(Decimal(text))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guards
        raise BadValue("bad_amount") from exc


_FEN = Decimal("0.01")


def parse_money(value: Any) -> Decimal:
    """An amount in yuan, at most two decimals (to the fen)."""
    amount = parse_decimal(value)
    fen = amount.quantize(_FEN)
    if fen != amount:
        raise BadValue("money_precision")
    return fen


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def serial_to_date(serial: float, date1904: bool = False) -> date:
    """An Excel serial day number (1900 system, or 1904 when the workbook says so) as a date."""
    if date1904:
        return date(1904, 1, 1) + timedelta(days=int(serial))
    return EXCEL_EPOCH + timedelta(days=int(serial))


#: A number in this range in a General-format date cell is a year the clerk typed (入会日期 =
#: 2024, as real registers do), not a serial: serial 2024 would be 1905-07-16.
YEAR_RANGE = range(1900, 2101)
_YEAR_ONLY = re.compile(r"^(\d{4})\s*年?\s*(以前|之前|前|以后|之后|后|左右|底|初|度)?$")


def parse_date(value: Any, date1904: bool = False) -> date:
    """A date from a date cell, an Excel serial (in the workbook's date system), or text such
    as 2026.3.1, 2026/3/1, 2026年3月1日, 20260301 or 2026-03-01 00:00:00. A year alone (2024
    typed as a number, “2019年”, “2023年以前”) is ``date_year_only``: the day is unknown."""
    return _plausible(_date(value, date1904))


def _plausible(day: date) -> date:
    """A date a union record can hold: 1900 to 2100 (serial 0, 9999-12-31 and the like are
    damage, not dates)."""
    if day.year not in YEAR_RANGE:
        raise BadValue("bad_date")
    return day


def _date(value: Any, date1904: bool) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        serial = (value - EXCEL_EPOCH).days
        if serial in YEAR_RANGE:  # 2024 typed into a date-formatted cell shows as 1905-07-16
            raise BadValue("date_year_only", year=serial)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise BadValue("bad_date")
        if value == int(value) and int(value) in YEAR_RANGE:
            raise BadValue("date_year_only", year=int(value))
        if 19000101 <= value <= 99991231 and value == int(value):  # 20260301 typed as a number
            return _date(str(int(value)), date1904)
        if int(value) == 60 and not date1904:  # 1900-02-29, which Excel invents and never was
            raise BadValue("bad_date")
        if 1 <= value < 2958466:  # an Excel serial, up to 9999-12-31
            return serial_to_date(value, date1904)
        raise BadValue("bad_date")
    text = clean_text(value).split(" ")[0]
    year_only = _YEAR_ONLY.match(text)
    if year_only and int(year_only.group(1)) in YEAR_RANGE:
        raise BadValue("date_year_only", year=int(year_only.group(1)))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*map(int, match.groups()))
            except ValueError as exc:
                raise BadValue("bad_date") from exc
    raise BadValue("bad_date")


_YES = {"是", "y", "yes", "true", "1", "√", "✓", "是的", "有"}
_NO = {"否", "n", "no", "false", "0", "×", "x", "无", "不是"}


def parse_yesno(value: Any) -> str:
    """是 or 否, from the many ways clerks say yes and no."""
    if isinstance(value, bool):
        return "是" if value else "否"
    text = clean_text(value).lower()
    if text in _YES:
        return "是"
    if text in _NO:
        return "否"
    raise BadValue("not_in_list")


_MONTH = re.compile(r"^(\d{4})\s*[-./年_]?\s*(\d{1,2})\s*月?(份)?$")
_YEAR = re.compile(r"^(\d{4})\s*(年|年度)?$")
_QUARTER_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
#: A quarter as clerks write it: 2026-Q4, 2026Q4, 2026年第四季度, 2026年4季度, 2026 第4季.
QUARTER = re.compile(r"(?<!\d)(20\d{2})\s*(?:[-./_年]\s*)?(?:[Qq]\s*([1-4])|第?\s*([一二三四1-4])"
                     r"\s*季度?)(?!\d)")


def quarter_of(period: str) -> str:
    """The quarter (``YYYY-Qn``) a ``YYYY-MM`` month falls in."""
    return f"{period[:4]}-Q{(int(period[5:7]) - 1) // 3 + 1}"


def is_month(period: str | None) -> bool:
    """Whether ``period`` is a month (``YYYY-MM``), not a year or a quarter."""
    return bool(period) and len(period) == 7 and period[5] != "Q"


def parse_period(value: Any, kind: str) -> str:
    """A period as ``YYYY-MM`` (month templates), ``YYYY-Qn`` (quarter templates; a month of
    the quarter names it too) or ``YYYY`` (year templates); a registry's (kind ``none``) as a
    month or a year."""
    if kind == "none":
        try:
            return parse_period(value, "month")
        except BadValue:
            return parse_period(value, "year")
    if kind == "quarter":
        match = QUARTER.fullmatch(clean_text(value)) if not isinstance(value, date) else None
        if match:
            return f"{match.group(1)}-Q{_QUARTER_DIGITS[match.group(2) or match.group(3)]}"
        return quarter_of(parse_period(value, "month"))
    if isinstance(value, date | datetime):
        return f"{value.year:04d}-{value.month:02d}" if kind == "month" else f"{value.year:04d}"
    text = clean_text(value)
    if kind == "year":
        match = _YEAR.match(text)
        if match:
            return match.group(1)
        raise BadValue("bad_period")
    match = _MONTH.match(text)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{match.group(1)}-{int(match.group(2)):02d}"
    raise BadValue("bad_period")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY`` period."""
    if len(period) == 4:
        return date(int(period), 1, 1), date(int(period), 12, 31)
    if period[5] == "Q":
        last = int(period[6]) * 3
        return period_bounds(f"{period[:4]}-{last - 2:02d}")[0], \
            period_bounds(f"{period[:4]}-{last:02d}")[1]
    year, month = int(period[:4]), int(period[5:7])
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, 1), nxt - timedelta(days=1)
