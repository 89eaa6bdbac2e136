"""The federation configuration: rates, shares, caps, chart of accounts, indicators, branches.

Defaults live in ``toolkit/data/federation.toml`` (each with its source in RULES.md). A
federation's own TOML file overrides any subset: tables merge key by key, lists replace.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .privacy import DEFAULTS, Privacy
from .privacy import parse as parse_privacy
from .spec import Catalog, activate, make_catalog


@dataclass(frozen=True)
class Account:
    """One account of the chart: ``kind`` is income, expenditure or net_assets."""

    code: str
    name: str
    kind: str
    parent: str


@dataclass(frozen=True)
class Chart:
    """A chart of accounts and the first period it is in force for."""

    name: str
    since: str  # YYYY-MM; "" for every period
    accounts: dict[str, Account]


#: The charts unionkit ships (RULES.md): the 2009 工会会计制度 (in force 2010–2021) and its
#: 2021 revision, which base-level unions use from 2022.
BUILTIN_CHARTS = (("2010", "", "accounts_2010.csv"), ("2021", "2022-01", "accounts_2021.csv"))


@dataclass(frozen=True)
class Branch:
    """One entry of the branch directory (分会名录)."""

    code: str
    name: str
    kind: str
    contact: str = ""  # who fills the branch's forms, and their phone: for chasing reports
    phone: str = ""


@dataclass(frozen=True)
class Indicator:
    """One line of the federation's assessment scheme."""

    category: str
    content: str
    points: Decimal


@dataclass(frozen=True)
class Grade:
    """A grade and the lowest score that earns it."""

    min: Decimal
    name: str


@dataclass(frozen=True)
class WelfareCap:
    """A per-person yearly cap for one kind of welfare, found by keywords in 摘要."""

    name: str
    keywords: tuple[str, ...]
    per_person_year: Decimal


@dataclass(frozen=True)
class FederationConfig:
    """Everything federation-specific that the rules need; see ``data/federation.toml``."""

    name: str
    dues_rate: Decimal
    wage_unit: Decimal
    remit_share: Decimal
    unpaid_months_withdrawal: int
    fund_rate: Decimal
    upper_share: Decimal
    accounts: dict[str, Account]  # the chart in force today (templates' dropdowns, kinds)
    large_expense: Decimal
    cash_limit: Decimal
    welfare_caps: tuple[WelfareCap, ...]
    forbidden_welfare_forms: tuple[str, ...]
    activist_min_share: Decimal
    min_join_age: int
    grades: tuple[Grade, ...]
    indicators: tuple[Indicator, ...]
    branches: tuple[Branch, ...]
    register_path: Path | None = None
    over_max: str = "cap"  # how 汇总 counts a 考评分 above its item's 分值 (OVER_MAX)
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()
    branch_kinds: tuple[str, ...] = ()  # the kinds a branch of the directory may be

    @cached_property
    def calendar_years(self) -> frozenset[int]:
        """The years ``[calendar]`` lists holidays or make-up working days for."""
        return frozenset(d.year for d in (*self.holidays, *self.workdays))
    source: str = "builtin"
    charts: tuple[Chart, ...] = ()
    privacy: Privacy = DEFAULTS
    #: Who signs the printed 汇总: (制表人, 审核人, 负责人), each may be empty.
    signers: tuple[str, str, str] = ("", "", "")
    #: The paper 汇总 prints on (A4, with A3 when A4 would be illegible; or A3).
    paper: str = "A4"
    #: The templates in use (None: the package's); see :func:`toolkit.spec.make_catalog`.
    catalog: Catalog | None = None
    #: The settings the specs' ``max_setting`` checks name ("aid.cap" → its amount).
    limits: dict[str, Decimal] = field(default_factory=dict)

    def chart_for(self, period: str | None) -> Chart:
        """The chart of accounts in force for a period (the latest one when it is unknown)."""
        charts = self.charts or (Chart("federation", "", self.accounts),)
        if not period:
            return charts[-1]
        return [c for c in charts if c.since <= period[:7]][-1]

    def other_charts(self, period: str | None) -> tuple[Chart, ...]:
        """The charts not in force for this period: to explain a code from the wrong one."""
        here = self.chart_for(period)
        return tuple(c for c in self.charts if c is not here)

    def grade_for(self, score: Decimal, vetoed: bool = False) -> str:
        """The grade a score earns; a veto (一票否决) forces the lowest grade."""
        if vetoed:
            return self.grades[-1].name
        return next(g.name for g in self.grades if score >= g.min)

    def branch(self, code: str) -> Branch | None:
        """The directory entry for a branch code, if the directory has one."""
        return next((b for b in self.branches if b.code == code), None)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _decimal(raw: dict[str, Any], key: str, where: str) -> Decimal:
    try:
        value = Decimal(str(raw[key]))
    except (KeyError, InvalidOperation) as exc:
        raise ConfigError("not_a_number", where=where, key=key, value=repr(raw.get(key))) from exc
    if not value.is_finite() or abs(value) >= 10**12:
        raise ConfigError("not_finite", where=where, key=key, value=repr(raw[key]))
    return value


#: Settings that only make sense within a range: (where, attribute, low, high, low included).
_RANGES = (
    ("dues.rate", "dues_rate", 0, 1, False), ("dues.wage_unit", "wage_unit", 0, 10**6, False),
    ("dues.remit_share", "remit_share", 0, 1, True), ("fund.rate", "fund_rate", 0, 1, False),
    ("fund.upper_share", "upper_share", 0, 1, True),
    ("ledger.large_expense", "large_expense", 0, 10**12, True),
    ("ledger.cash_limit", "cash_limit", 0, 10**12, True),
    ("roster.activist_min_share", "activist_min_share", 0, 1, True),
    ("roster.min_join_age", "min_join_age", 0, 100, True),
    ("dues.unpaid_months_withdrawal", "unpaid_months_withdrawal", 1, 1200, True),
)
ACCOUNT_KINDS = ("income", "expenditure", "net_assets")
OVER_MAX = ("cap", "exclude", "as_is")
#: The papers 汇总 may be set to print on ([print] paper).
PAPERS = ("A4", "A3")


def _check(config: FederationConfig) -> FederationConfig:
    """Refuse impossible settings, naming them: a negative rate or a share above 1 would give
    every branch wrong figures without a word."""
    for where, attribute, low, high, closed in _RANGES:
        value = getattr(config, attribute)
        if not ((low <= value) if closed else (low < value)) or value > high:
            bound = "≥" if closed else ">"
            raise ConfigError("out_of_range", where=where, value=value, bound=bound, low=low,
                              high=high)
    codes = [b.code for b in config.branches]
    for b in config.branches:
        if not b.code.strip():
            raise ConfigError("branch_without_code", name=repr(b.name))
        if codes.count(b.code) > 1:
            raise ConfigError("branch_twice", code=b.code)
    for chart in config.charts or (Chart("federation", "", config.accounts),):
        for account in chart.accounts.values():
            if account.kind not in ACCOUNT_KINDS:
                raise ConfigError("account_kind", chart=chart.name, code=account.code,
                                  kind=repr(account.kind), kinds=", ".join(ACCOUNT_KINDS))
    for cap in config.welfare_caps:
        if cap.per_person_year < 0:
            raise ConfigError("welfare_cap_negative", name=cap.name)
    for indicator in config.indicators:
        if indicator.points <= 0:
            raise ConfigError("indicator_points", content=indicator.content)
    return config


def _read_accounts(spec: str, base_dir: Path | None,
                   builtin: str = "accounts_2021.csv") -> dict[str, Account]:
    if spec == "builtin":
        text = resources.files("toolkit.data").joinpath(builtin).read_text("utf-8")
    else:
        path = Path(spec) if base_dir is None else base_dir / spec
        try:
            text = path.read_text("utf-8-sig")
        except OSError as exc:
            raise ConfigError("accounts_unreadable", path=path, detail=exc.strerror) from exc
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"code", "name", "kind"} <= set(rows[0]):
        raise ConfigError("accounts_columns")
    accounts: dict[str, Account] = {}
    for line, r in enumerate(rows, start=2):
        if any(r.get(k) is None or not str(r.get(k)).strip() for k in ("code", "name", "kind")):
            raise ConfigError("accounts_incomplete", path=spec, line=line)
        code = r["code"].strip()
        if code in accounts:
            raise ConfigError("accounts_twice", path=spec, line=line, code=code)
        accounts[code] = Account(code, r["name"].strip(), r["kind"].strip(),
                                 (r.get("parent") or "").strip())
    return accounts


def _charts(ledger: dict[str, Any], base_dir: Path | None) -> tuple[Chart, ...]:
    """The charts by period: the built-in ones, each replaceable under [ledger.charts]; or the
    federation's single chart when ``accounts`` names a CSV."""
    if str(ledger["accounts"]) != "builtin":
        return (Chart("federation", "", _read_accounts(str(ledger["accounts"]), base_dir)),)
    own = ledger.get("charts", {})
    unknown = set(own) - {name for name, _, _ in BUILTIN_CHARTS}
    if unknown:
        raise ConfigError("unknown_chart", name=repr(sorted(unknown)[0]),
                          charts=", ".join(n for n, _, _ in BUILTIN_CHARTS))
    return tuple(Chart(name, since, _read_accounts(str(own.get(name, "builtin")), base_dir, file))
                 for name, since, file in BUILTIN_CHARTS)


def _catalog(raw: dict[str, Any], base_dir: Path | None) -> Catalog | None:
    """The templates the configuration uses: the package's, the specs of ``[templates] dirs``
    (relative to the configuration) and the aliases and ``[enums]`` it adds."""
    templates, enums = dict(raw.get("templates") or {}), raw.get("enums") or {}
    dirs = templates.pop("dirs", [])
    if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
        raise ConfigError("templates_dirs")
    aliases = {}
    for template, table in templates.items():
        if not isinstance(table, dict) or set(table) != {"aliases"} \
                or not isinstance(table["aliases"], dict):
            raise ConfigError("templates_table", template=template)
        aliases[template] = table["aliases"]
    if not isinstance(enums, dict) or not all(isinstance(v, list) for v in enums.values()):
        raise ConfigError("enums_table")
    if not dirs and not aliases and not enums:
        return None
    folders = [Path(d) if base_dir is None or Path(d).is_absolute() else base_dir / d
               for d in dirs]
    return make_catalog(folders, aliases, enums)


def _limits(catalog: Catalog | None, raw: dict[str, Any]) -> dict[str, Decimal]:
    """The amount each spec's ``max_setting`` names, read from the configuration."""
    limits = {}
    for spec, f in catalog.limited() if catalog else ():
        value: Any = raw
        for part in f.max_setting.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            raise ConfigError("setting_missing", setting=f.max_setting, template=spec.id,
                              key=f.key)
        limits[f.max_setting] = _decimal({"v": value}, "v", f.max_setting)
    return limits


def _build(raw: dict[str, Any], base_dir: Path | None, source: str,
           catalog: Catalog | None = None) -> FederationConfig:
    dues, fund, ledger = raw["dues"], raw["fund"], raw["ledger"]
    assessment, roster = raw["assessment"], raw["roster"]
    branches = tuple(Branch(str(b["code"]), str(b["name"]), str(b.get("kind", "")),
                            str(b.get("contact", "")), str(b.get("phone", "")))
                     for b in raw.get("branches", []))
    kinds = tuple(str(k) for k in raw["federation"]["branch_kinds"])
    for b in branches:
        if b.kind not in kinds:
            raise ConfigError("branch_kind", code=b.code, kinds="、".join(kinds), kind=repr(b.kind))
    indicators = tuple(Indicator(i["category"], i["content"], _decimal(i, "points", "indicator"))
                       for i in assessment["indicators"])
    charts = _charts(ledger, base_dir)
    grades = tuple(sorted((Grade(_decimal(g, "min", "grade"), g["name"])
                           for g in assessment["grades"]), key=lambda g: -g.min))
    if not grades or grades[-1].min > 0:
        raise ConfigError("grades_zero")
    paper = str(raw.get("print", {}).get("paper", "A4"))
    if paper not in PAPERS:
        raise ConfigError("paper", values=", ".join(PAPERS), value=repr(paper))
    over_max = str(assessment.get("over_max", "cap"))
    if over_max not in OVER_MAX:
        raise ConfigError("over_max", values=", ".join(OVER_MAX), value=repr(over_max))
    return FederationConfig(
        name=raw["federation"]["name"],
        dues_rate=_decimal(dues, "rate", "dues"),
        wage_unit=_decimal(dues, "wage_unit", "dues"),
        remit_share=_decimal(dues, "remit_share", "dues"),
        unpaid_months_withdrawal=int(dues["unpaid_months_withdrawal"]),
        fund_rate=_decimal(fund, "rate", "fund"),
        upper_share=_decimal(fund, "upper_share", "fund"),
        accounts=charts[-1].accounts,
        charts=charts,
        large_expense=_decimal(ledger, "large_expense", "ledger"),
        cash_limit=_decimal(ledger, "cash_limit", "ledger"),
        welfare_caps=tuple(WelfareCap(c["name"], tuple(c["keywords"]),
                                      _decimal(c, "per_person_year", "welfare_caps"))
                           for c in raw.get("welfare_caps", [])),
        forbidden_welfare_forms=tuple(raw["welfare"]["forbidden_forms"]),
        activist_min_share=_decimal(roster, "activist_min_share", "roster"),
        min_join_age=int(roster["min_join_age"]),
        grades=grades,
        indicators=indicators,
        branches=branches,
        register_path=_register_path(raw.get("register", {}), base_dir),
        over_max=over_max,
        holidays=_holidays(raw.get("calendar", {})),
        branch_kinds=kinds,
        workdays=frozenset(_day(d, "calendar.workdays")
                           for d in raw.get("calendar", {}).get("workdays", [])),
        source=source,
        privacy=parse_privacy(raw.get("privacy", {}), _column_keys(catalog)),
        signers=tuple(str(raw.get("print", {}).get(k, "")) for k in ("preparer", "reviewer",
                                                                      "head")),
        paper=paper,
        catalog=catalog, limits=_limits(catalog, raw),
    )


def _column_keys(catalog: Catalog | None) -> set[str]:
    """Every column key of every template: what ``[privacy] mask`` may name."""
    from .spec import builtin

    return {c.key for spec in (catalog or builtin()).specs for c in spec.columns}


def _register_path(register: dict[str, Any], base_dir: Path | None) -> Path | None:
    path = str(register.get("path") or "")
    if not path:
        return None
    return (base_dir / path) if base_dir is not None and not Path(path).is_absolute() \
        else Path(path)


def _day(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError("not_a_date", where=where, value=repr(value)) from exc


def _holidays(calendar: dict[str, Any]) -> dict[date, str]:
    """Each day of each configured holiday, with its name."""
    days: dict[date, str] = {}
    for h in calendar.get("holidays", []):
        day, last = _day(h["from"], "calendar.holidays"), _day(h["to"], "calendar.holidays")
        while day <= last:
            days[day] = h["name"]
            day += timedelta(days=1)
    return days


@cache
def _defaults() -> dict[str, Any]:
    text = resources.files("toolkit.data").joinpath("federation.toml").read_text("utf-8")
    return tomllib.loads(text)


def _config_text(path: Path) -> str:
    """The configuration's text: UTF-8 (with or without a BOM), or GBK as Notepad on Chinese
    Windows saves it; a workbook or other binary file is refused by name."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError("config_unreadable", path=path, detail=exc.strerror) from exc
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ConfigError("config_is_workbook", path=path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError("config_not_utf8", path=path)


#: Lists of tables whose entries the defaults leave empty: the keys an entry may have.
ENTRY_KEYS = {"branches": ("code", "name", "kind", "contact", "phone")}
#: Tables whose keys the federation names (each checked where it is read).
FREE_TABLES = ("ledger.charts", "templates", "enums")


def check_keys(override: dict[str, Any], text: str, source: str,
               defaults: dict[str, Any] | None = None, where: str = "",
               free: frozenset[str] = frozenset()) -> None:
    """Refuse a setting the defaults do not have (a typo such as ``[[branch]]`` or
    ``rat = 0.005`` would otherwise be ignored and the default used without a word), naming
    the key, its line and the closest valid key; and a table or list where the defaults have
    the other."""
    defaults = _defaults() if defaults is None else defaults
    for key, value in override.items():
        here = f"{where}.{key}" if where else key
        if here in FREE_TABLES or here in free:
            continue
        if key not in defaults and here not in ENTRY_KEYS:
            raise _unknown(source, text, here, key, [*defaults, *ENTRY_KEYS])
        known = defaults.get(key, [])
        entries = ENTRY_KEYS.get(here) or (
            tuple({k for e in known if isinstance(e, dict) for k in e})
            if isinstance(known, list) and known and isinstance(known[0], dict) else None)
        if isinstance(known, dict):
            if not isinstance(value, dict):
                raise ConfigError("not_a_table", path=source, line=_line(text, key), key=here)
            check_keys(value, text, source, known, here)
        elif entries is not None:
            if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
                raise ConfigError("not_tables", path=source, line=_line(text, key), key=here)
            for entry in value:
                for name in entry:
                    if name not in entries:
                        raise _unknown(source, text, f"{here}.{name}", name, list(entries))


def _unknown(source: str, text: str, here: str, key: str, valid: list[str]) -> ConfigError:
    close = difflib.get_close_matches(key, valid, 1, 0.5)
    if close:
        return ConfigError("unknown_key_close", path=source, line=_line(text, key), key=here,
                           close=close[0])
    return ConfigError("unknown_key", path=source, line=_line(text, key), key=here,
                       valid="、".join(sorted(valid)))


def _line(text: str, key: str) -> int | str:
    """The first line that sets or opens ``key`` (a key, a [table] or a [[list]])."""
    pattern = re.compile(r'^\s*(?:\[\[?\s*(?:[\w."\']+\.)?)?["\']?' + re.escape(key)
                         + r'["\']?\s*(?:=|\]|\.)')
    return next((n for n, line in enumerate(text.splitlines(), start=1)
                 if pattern.match(line)), "?")


def load_config(path: Path | str | None = None) -> FederationConfig:
    """The defaults, overridden by the TOML file at ``path`` when given; impossible settings
    are refused with the setting named."""
    if path is None:
        return _activated(_check(_build(_defaults(), None, "builtin")))
    path = Path(path)
    text = _config_text(path)
    try:
        override = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config_not_toml", path=path, detail=exc) from exc
    catalog = _catalog(override, path.parent)  # a broken spec is said first: it is the cause
    own = frozenset(f.max_setting.split(".")[0] for _, f in catalog.limited()) if catalog \
        else frozenset()  # the federation's own settings its specs name ("aid" of "aid.cap")
    check_keys(override, text, str(path), free=own)
    try:
        return _activated(_check(_build(_merge(_defaults(), override), path.parent, str(path),
                                        catalog)))
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise ConfigError("config_malformed", path=path,
                          detail=f"{type(exc).__name__}: {exc}") from exc


def _activated(config: FederationConfig) -> FederationConfig:
    """The configuration, its templates made the ones in use in this process."""
    activate(config.catalog)
    return config


def config_fingerprint(path: Path | str | None) -> str:
    """SHA-256 of the configuration file a run used ("builtin" for the defaults alone)."""
    if path is None:
        return "builtin"
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
