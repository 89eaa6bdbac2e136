"""Template specs: one TOML file per template, the package's (``toolkit/data/specs/``) and the
federation's own (``[templates] dirs`` in its configuration).

A spec is data — the sheet, its header block, its columns (label, aliases, type, checks), the
names of the Python rules that apply, the period it covers, whether every branch must send it,
and the figures it adds to 汇总. The blank workbook (``toolkit.templates``), the reader, the
validator, the consolidated workbook and the fill-in instructions are all derived from it.
The specs in use make a :class:`Catalog`; which one is in use follows the configuration
(:func:`activate`, called by :func:`toolkit.config.load_config` and in every worker).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError, SpecError

#: Value types a field may have; each has one parser in ``toolkit.read.normalize``.
FIELD_TYPES = frozenset({
    "text", "int", "money", "points", "date", "enum", "yesno",
    "id_number", "mobile", "period", "branch_code",
})
#: Types whose cells must be stored as text in the workbook (digits a number would lose).
TEXT_FORMAT_TYPES = frozenset({"id_number", "mobile", "period", "branch_code", "text"})
#: The periods a template covers: a month, a quarter, a year, or none (a registry, kept up
#: to date).
PERIOD_KINDS = {"month": "YYYY-MM", "quarter": "YYYY-Qn", "year": "YYYY", "none": "YYYY-MM"}
#: Whether a branch must send a template (what drives 未报送): each period, once a year, only
#: when something changed, or when it has something to send.
EXPECTED = ("every_period", "yearly", "on_change", "optional")
#: Where a date column may not pass: the period's last day, or another date column.
PERIOD_END = "period_end"


@dataclass(frozen=True)
class Field:
    """One column of the table, or one value of the header block."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    type: str = "text"
    required: bool = False
    enum: str | None = None
    unique: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    width: int = 12
    input: str = ""
    #: Declared checks (docs/templates.md): required when another column holds one of some
    #: values, or expected only then (a warning otherwise); a date not after the period's end
    #: or another date, not before another date; an amount not above a setting of the
    #: configuration; a value one branch alone may have; an ID number's sex and birth date
    #: against other columns.
    required_if: tuple[str, tuple[str, ...]] | None = None
    only_if: tuple[str, tuple[str, ...]] | None = None
    not_after: str | None = None
    not_before: str | None = None
    max_setting: str | None = None
    unique_across_branches: bool = False
    id_checks: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The label first, then every alias: the spellings a clerk may use."""
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class Measure:
    """A figure a template adds to 汇总, per branch: a column's sum, the rows, or the rows
    whose columns hold given values."""

    key: str  # its 汇总 key: "<template>_<n>"
    label: str
    template: str
    sum: str | None = None
    where: tuple[tuple[str, str], ...] = ()  # count_where: (column, value) all hold

    @property
    def kind(self) -> str:
        return "money" if self.sum else "int"

    def of(self, values: Any) -> Decimal | int:
        """One detail row's part (``values`` answers ``get(key)``)."""
        if self.sum:
            value = values.get(self.sum)
            return value if isinstance(value, Decimal) else Decimal(0)
        return int(all(values.get(k) == v for k, v in self.where))

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "template": self.template,
                "sum": self.sum, "where": [list(w) for w in self.where]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Measure:
        return cls(str(raw["key"]), str(raw["label"]), str(raw["template"]), raw.get("sum"),
                   tuple((str(k), str(v)) for k, v in raw.get("where", ())))


@dataclass(frozen=True)
class TemplateSpec:
    """One federation template."""

    id: str
    version: str
    title: str
    title_en: str
    sheet: str
    sheet_aliases: tuple[str, ...]
    period: str
    header: tuple[Field, ...]
    columns: tuple[Field, ...]
    rules: tuple[str, ...]
    totals: tuple[str, ...]
    notes: tuple[str, ...]
    prefill: str | None = None
    distinctive: tuple[str, ...] = ()
    distinctive_min: int = 2
    expected: str = "every_period"
    summary: tuple[Measure, ...] = ()
    source: str = "builtin"  # the spec file, for its messages

    def title_in(self, lang: str) -> str:
        """The template's title in ``lang`` (会员名册, roster)."""
        return self.title_en if lang == "en" else self.title

    def column(self, key: str) -> Field:
        """The column with this key (a SpecError names the spec when it has none)."""
        for f in self.columns:
            if f.key == key:
                return f
        raise SpecError(f"template {self.id} has no column {key!r}")

    @property
    def demanded(self) -> bool:
        """Whether a branch that did not send it is listed 未报送."""
        return self.expected in ("every_period", "yearly")


@dataclass(frozen=True)
class Catalog:
    """The templates in use, in order, and the enumerations their columns offer."""

    specs: tuple[TemplateSpec, ...]
    enums: dict[str, tuple[str, ...]]
    synonyms: dict[str, dict[str, str]] = field(default_factory=dict)
    _choices: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.specs)

    def spec(self, template_id: str) -> TemplateSpec:
        for s in self.specs:
            if s.id == template_id:
                return s
        raise SpecError(f"unknown template {template_id!r}")

    def limited(self) -> list[tuple[TemplateSpec, Field]]:
        """Every column with a ``max_setting``, with its template."""
        return [(s, f) for s in self.specs for f in s.columns if f.max_setting]

    def choices(self, enum: str) -> dict[str, str]:
        """Every accepted spelling of an enumeration's values, folded (``fold_choice``),
        mapped to its canonical value: the values themselves and their synonyms."""
        if enum not in self._choices:
            from .read.normalize import fold_choice

            accepted = {fold_choice(v): v for v in self.enums[enum]}
            for spelling, canonical in self.synonyms.get(enum, {}).items():
                accepted.setdefault(fold_choice(spelling), canonical)
            self._choices[enum] = accepted
        return self._choices[enum]


#: The built-in templates, in the federation's usual order.
BUILTIN_IDS = ("roster", "dues", "ledger", "assessment", "hardship")
_FIELD_KEYS = {"key", "label", "aliases", "type", "required", "enum", "unique", "min", "max",
               "width", "input", "required_if", "only_if", "not_after", "not_before", "max_setting",
               "unique_across_branches", "id_checks", "date_not_after"}
#: Other names a spec may use for a key: ``date_not_after`` is ``not_after``; a registry's
#: period ``once`` is ``none``.
_FIELD_SYNONYMS = {"date_not_after": "not_after"}
PERIOD_SYNONYMS = {"once": "none"}
_SPEC_KEYS = {"id", "version", "title", "title_en", "sheet", "sheet_aliases", "period", "rules",
              "totals", "notes", "prefill", "distinctive", "distinctive_min", "expected",
              "enums", "summary", "header", "columns"}
_MEASURE_KEYS = {"label", "sum", "count", "count_where"}


class _Broken(Exception):
    """A spec mistake: the key it is at and what is wrong (said with the file and line)."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(detail)
        self.key, self.detail = key, detail


def _decimal(raw: Any, key: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise _Broken(key, f"{key} must be a number, not {raw!r}") from None
    if not value.is_finite():
        raise _Broken(key, f"{key} must be a finite number")
    return value


def _field(raw: dict[str, Any], template: str, enums: dict[str, tuple[str, ...]]) -> Field:
    """One column or header value; an inline ``enum = [...]`` list becomes the enumeration
    ``<template>.<key>``."""
    if not isinstance(raw, dict) or not raw.get("key") or not raw.get("label"):
        raise _Broken("columns", "every column needs `key` and `label`")
    key = str(raw["key"])
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise _Broken(sorted(unknown)[0], f"column {key}: unknown setting {sorted(unknown)[0]!r}")
    if raw.get("type", "text") not in FIELD_TYPES:
        raise _Broken("type", f"column {key}: unknown type {raw.get('type')!r} "
                              f"(one of {', '.join(sorted(FIELD_TYPES))})")
    values = {_FIELD_SYNONYMS.get(k, k): v for k, v in raw.items()}
    if len(values) < len(raw):
        raise _Broken("not_after", f"column {key}: not_after is given twice")
    if isinstance(raw.get("enum"), list):
        values["enum"] = f"{template}.{key}"
        enums[values["enum"]] = tuple(str(v) for v in raw["enum"])
    if raw.get("type") == "enum" and not values.get("enum"):
        raise _Broken("enum", f"column {key}: an enum column needs `enum = \"...\"` or a list")
    values["aliases"] = tuple(str(a) for a in raw.get("aliases", ()))
    for bound in ("min", "max"):
        if bound in raw:
            values[bound] = _decimal(raw[bound], bound)
    for setting in ("required_if", "only_if"):
        if setting in raw:
            rule = raw[setting]
            if not isinstance(rule, dict) or set(rule) != {"field", "in"} \
                    or not isinstance(rule["in"], list):
                raise _Broken(setting, f"column {key}: {setting} = "
                                       "{field = \"...\", in = [\"...\"]}")
            values[setting] = (str(rule["field"]), tuple(str(v) for v in rule["in"]))
    if "id_checks" in raw:
        checks = raw["id_checks"]
        if not isinstance(checks, dict) or not set(checks) <= {"sex", "birth"}:
            raise _Broken("id_checks", f"column {key}: id_checks = {{sex = \"...\", "
                                       "birth = \"...\"}")
        values["id_checks"] = tuple(sorted((str(k), str(v)) for k, v in checks.items()))
    try:
        return Field(**values)
    except TypeError as exc:
        raise _Broken(key, f"column {key}: {exc}") from None


def _measures(raw: list[Any], template: str, keys: set[str]) -> tuple[Measure, ...]:
    out = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or "label" not in entry:
            raise _Broken("summary", "each [[summary]] needs a `label`")
        unknown = set(entry) - _MEASURE_KEYS
        ways = [w for w in ("sum", "count", "count_where") if w in entry]
        if unknown or len(ways) != 1:
            raise _Broken("summary", f"[[summary]] {entry['label']}: one of sum, count, "
                                     "count_where, and label")
        where: tuple[tuple[str, str], ...] = ()
        if "count_where" in entry:
            if not isinstance(entry["count_where"], dict) or not entry["count_where"]:
                raise _Broken("count_where", "count_where = {column = \"value\"}")
            where = tuple((str(k), str(v)) for k, v in entry["count_where"].items())
        named = [entry["sum"]] if "sum" in entry else [k for k, _ in where]
        for column in named:
            if column not in keys:
                raise _Broken("summary", f"[[summary]] {entry['label']}: no column {column!r}")
        out.append(Measure(f"{template}_{n}", str(entry["label"]), template,
                           str(entry["sum"]) if "sum" in entry else None, where))
    return tuple(out)


def _check_fields(spec: TemplateSpec, keys: set[str]) -> None:
    """The columns a column's declared checks name exist, and have the right type."""
    dates = {f.key for f in spec.columns if f.type == "date"}
    for f in spec.columns:
        for setting in ("required_if", "only_if"):
            rule = getattr(f, setting)
            if rule and rule[0] not in keys:
                raise _Broken(setting, f"column {f.key}: {setting} names no column {rule[0]!r}")
        for setting in ("not_after", "not_before"):
            other = getattr(f, setting)
            if other is not None and (other not in dates or f.type != "date") \
                    and not (setting == "not_after" and other == PERIOD_END and f.type == "date"):
                raise _Broken(setting, f"column {f.key}: {setting} compares a date column with "
                                       f"{PERIOD_END!r} or another date column, not {other!r}")
        if f.max_setting is not None and f.type not in ("money", "int", "points"):
            raise _Broken("max_setting", f"column {f.key}: max_setting needs a number column")
        for _, other in f.id_checks:
            if f.type != "id_number" or other not in keys:
                raise _Broken("id_checks", f"column {f.key}: id_checks belongs on an ID "
                                           f"column and names columns ({other!r})")


def _build(raw: dict[str, Any], common: list[Any], source: str,
           enums: dict[str, tuple[str, ...]]) -> TemplateSpec:
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise _Broken(sorted(unknown)[0], f"unknown setting {sorted(unknown)[0]!r}")
    for key in ("id", "title", "sheet", "period", "columns"):
        if key not in raw:
            raise _Broken(key, f"a spec needs `{key}`")
    template = str(raw["id"])
    if not re.fullmatch(r"[a-z][a-z0-9_]*", template):
        raise _Broken("id", f"id {template!r}: lower-case letters, digits and _")
    period = PERIOD_SYNONYMS.get(str(raw["period"]), str(raw["period"]))
    if period not in PERIOD_KINDS:
        raise _Broken("period", f"period must be one of {', '.join(PERIOD_KINDS)}")
    expected = str(raw.get("expected", "yearly" if period == "year" else
                           "on_change" if period == "none" else "every_period"))
    if expected not in EXPECTED:
        raise _Broken("expected", f"expected must be one of {', '.join(EXPECTED)}")
    for name, values in (raw.get("enums") or {}).items():
        enums[str(name)] = tuple(str(v) for v in values)
    shared = [dict(f, required=False) if period == "none" and f["key"] == "period" else f
              for f in common]
    header = tuple(_field(f, template, enums) for f in [*shared, *raw.get("header", [])])
    columns = tuple(_field(f, template, enums) for f in raw["columns"])
    keys = [f.key for f in (*header, *columns)]
    if len(keys) != len(set(keys)):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise _Broken("key", f"the key {twice!r} is used twice")
    column_keys = {f.key for f in columns}
    spec = TemplateSpec(
        id=template, version=str(raw.get("version", "1")), title=str(raw["title"]),
        title_en=str(raw.get("title_en", raw["title"])), sheet=str(raw["sheet"]),
        sheet_aliases=tuple(raw.get("sheet_aliases", ())), period=period, header=header,
        columns=columns, rules=tuple(raw.get("rules", ())), totals=tuple(raw.get("totals", ())),
        notes=tuple(raw.get("notes", ())), prefill=raw.get("prefill"),
        distinctive=tuple(raw.get("distinctive", ())),
        distinctive_min=int(raw.get("distinctive_min", 2)), expected=expected,
        summary=_measures(raw.get("summary", []), template, column_keys), source=source)
    for key in (*spec.totals, *spec.distinctive):
        if key not in column_keys:
            raise _Broken("distinctive" if key in spec.distinctive else "totals",
                          f"no column {key!r}")
    if len(spec.distinctive) < spec.distinctive_min:
        raise _Broken("distinctive", f"`distinctive` must name at least {spec.distinctive_min} "
                                     "columns (labels no other table has)")
    _check_fields(spec, column_keys)
    for f in (*header, *columns):
        if f.enum and f.enum not in enums and f.enum != "accounts":
            raise _Broken("enum", f"column {f.key}: no enumeration {f.enum!r}")
    return spec


def _package(name: str) -> str:
    return resources.files("toolkit.data").joinpath(name).read_text("utf-8")


def _line(text: str, key: str) -> int | str:
    pattern = re.compile(r'^\s*(?:\[\[?\s*)?["\']?' + re.escape(key) + r'["\']?\s*(?:=|\]|\.)')
    return next((n for n, line in enumerate(text.splitlines(), start=1)
                 if pattern.match(line)), "?")


def _parse(text: str, source: str, builtin: bool) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if builtin:
            raise SpecError(f"spec {source}: {exc}") from exc
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError("spec_broken", path=source, line=line.group(1) if line else "?",
                          key="-", detail=str(exc)) from exc


def _load(text: str, source: str, common: list[Any], enums: dict[str, tuple[str, ...]],
          builtin: bool) -> TemplateSpec:
    raw = _parse(text, source, builtin)
    try:
        return _build(raw, common, source, enums)
    except _Broken as exc:
        if builtin:
            raise SpecError(f"spec {source}: {exc.detail}") from None
        raise ConfigError("spec_broken", path=source, line=_line(text, exc.key), key=exc.key,
                          detail=exc.detail) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        if builtin:
            raise SpecError(f"spec {source}: {exc}") from None
        raise ConfigError("spec_broken", path=source, line="?", key="-",
                          detail=f"{type(exc).__name__}: {exc}") from None


def _enum_file() -> dict[str, Any]:
    return tomllib.loads(_package("enums.toml"))


def make_catalog(dirs: Iterable[Path] = (), aliases: dict[str, dict[str, list[str]]] | None = None,
                 enums: dict[str, list[str]] | None = None) -> Catalog:
    """The package's templates, then every ``*.toml`` spec in ``dirs`` (a spec with a
    built-in template's id replaces it); ``aliases`` adds column spellings to any template
    (template → column key → names), ``enums`` adds or replaces enumerations."""
    raw_enums = _enum_file()
    values = {k: tuple(v) for k, v in raw_enums.items() if k != "synonyms"}
    values.update({str(k): tuple(str(x) for x in v) for k, v in (enums or {}).items()})
    common = tomllib.loads(_package("specs/common.toml"))["header"]
    specs = {t: _load(_package(f"specs/{t}.toml"), f"{t}.toml", common, values, True)
             for t in BUILTIN_IDS}
    for folder in dirs:
        if not folder.is_dir():
            raise ConfigError("templates_dir_missing", path=folder)
        for path in sorted(folder.glob("*.toml")):
            try:
                text = path.read_text("utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError("spec_broken", path=path, line="?", key="-",
                                  detail=str(exc)) from exc
            spec = _load(text, str(path), common, values, False)
            specs[spec.id] = spec
    for template, columns in (aliases or {}).items():
        specs[template] = _with_aliases(specs, template, columns)
    synonyms = {k: dict(v) for k, v in raw_enums.get("synonyms", {}).items()}
    for enum, mapping in synonyms.items():
        for spelling, canonical in mapping.items():
            if canonical not in values.get(enum, ()):
                raise SpecError(f"enums.toml: synonym {spelling!r} maps to {canonical!r}, "
                                f"which is not a value of {enum}")
    return Catalog(tuple(specs.values()), values, synonyms)


def _with_aliases(specs: dict[str, TemplateSpec], template: str,
                  columns: dict[str, list[str]]) -> TemplateSpec:
    if template not in specs:
        raise ConfigError("aliases_unknown_template", template=template,
                          templates=", ".join(specs))
    spec = specs[template]
    known = {f.key for f in (*spec.header, *spec.columns)}
    for key in columns:
        if key not in known:
            raise ConfigError("aliases_unknown_column", template=template, key=key,
                              keys=", ".join(sorted(known)))

    def more(f: Field) -> Field:
        added = tuple(str(a) for a in columns.get(f.key, ()) if a not in f.names)
        return replace(f, aliases=(*f.aliases, *added)) if added else f
    return replace(spec, header=tuple(map(more, spec.header)),
                   columns=tuple(map(more, spec.columns)))


_BUILTIN: Catalog | None = None
_active: Catalog | None = None


def builtin() -> Catalog:
    """The package's templates alone."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = make_catalog()
    return _BUILTIN


def activate(catalog: Catalog | None) -> None:
    """Make ``catalog`` the templates in use in this process (None: the package's)."""
    global _active
    _active = catalog


def active() -> Catalog:
    """The templates in use: the configuration's, once one is loaded; else the package's."""
    return _active or builtin()


def template_ids() -> tuple[str, ...]:
    """The ids of the templates in use, in order."""
    return active().ids


def load_spec(template_id: str) -> TemplateSpec:
    """One template of the catalog in use."""
    return active().spec(template_id)


def all_specs() -> tuple[TemplateSpec, ...]:
    """Every template in use, in the federation's usual order."""
    return active().specs


def measures() -> tuple[Measure, ...]:
    """What the templates in use add to 汇总, in template order."""
    return tuple(m for s in active().specs for m in s.summary)


def enumerations() -> dict[str, tuple[str, ...]]:
    """The enumerations in use: the national-standard ones (``data/enums.toml``) and the
    templates' and configuration's own; canonical values, in order."""
    return active().enums


def choices(enum: str) -> dict[str, str]:
    """Every accepted spelling of an enumeration's values (:meth:`Catalog.choices`)."""
    return active().choices(enum)
