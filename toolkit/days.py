"""Days off: the federation's ``[calendar]`` for the years it lists, else the ``holidays``
package's calendar of China.

The State Council announces each year's holidays and make-up working days (调休上班) late in
the year before; a federation adds them to its configuration. For a year the configuration
does not list, the package gives the statutory holidays and, once announced, the make-up
days; :func:`known` says whether a year's make-up days are known at all, so an audit flag
for a weekend expense that year can say it may be a working day.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

WEEKEND = "周末"


@cache
def _china(year: int) -> Any:
    import holidays  # a tenth of a second, paid only by a ledger dated outside [calendar]

    return holidays.China(years=year, language="zh_CN")


def day_off(day: date, config: Any) -> str | None:
    """Why ``day`` is not a working day (the holiday's name, or :data:`WEEKEND`), or None."""
    if day.year in config.calendar_years:
        if day in config.workdays:
            return None
        if day in config.holidays:
            return config.holidays[day]
    else:
        china = _china(day.year)
        if day in china.weekend_workdays:
            return None
        if day in china:
            return china[day]
    return WEEKEND if day.weekday() >= 5 else None


@cache
def _announced(year: int) -> bool:
    """Whether the ``holidays`` package has a year's make-up working days (its list holds
    other years' too)."""
    return any(d.year == year for d in _china(year).weekend_workdays)


def known(year: int, config: Any) -> bool:
    """Whether a year's holidays and make-up working days are known: listed in the
    configuration, or announced in the ``holidays`` package."""
    return year in config.calendar_years or _announced(year)
