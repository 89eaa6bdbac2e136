"""Template specs: one TOML file per template under ``toolkit/data/specs/``.

A spec is data — the sheet, its header block, its columns (label, aliases, type, rules) and the
names of the row/sheet rules that apply. The blank workbook (``toolkit.templates``), the reader,
the validator and the fill-in instructions are all derived from it; adding a template means adding
a spec file (and, only if it needs a rule no other template has, one rule function).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from .errors import SpecError

#: Value types a field may have; each has one parser in ``toolkit.read.normalize``.
FIELD_TYPES = frozenset({
    "text", "int", "money", "points", "date", "enum", "yesno",
    "id_number", "mobile", "period", "branch_code",
})
#: Types whose cells must be stored as text in the workbook (digits a number would lose).
TEXT_FORMAT_TYPES = frozenset({"id_number", "mobile", "period", "branch_code", "text"})
PERIOD_KINDS = {"month": "YYYY-MM", "year": "YYYY"}


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

    @property
    def names(self) -> tuple[str, ...]:
        """The label first, then every alias: the spellings a clerk may use."""
        return (self.label, *self.aliases)


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

    def title_in(self, lang: str) -> str:
        """The template's title in ``lang`` (会员名册, roster)."""
        return self.title_en if lang == "en" else self.title

    def column(self, key: str) -> Field:
        """The column with this key (a SpecError names the spec when it has none)."""
        for field in self.columns:
            if field.key == key:
                return field
        raise SpecError(f"template {self.id} has no column {key!r}")


TEMPLATE_IDS = ("roster", "dues", "ledger", "assessment")
_FIELD_KEYS = {"key", "label", "aliases", "type", "required", "enum", "unique", "min", "max",
               "width", "input"}


def _field(raw: dict[str, Any], where: str) -> Field:
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown field settings {sorted(unknown)}")
    if raw.get("type", "text") not in FIELD_TYPES:
        raise SpecError(f"{where}: unknown type {raw.get('type')!r}")
    if raw.get("type") == "enum" and not raw.get("enum"):
        raise SpecError(f"{where}: an enum field needs `enum = \"...\"`")
    values = dict(raw)
    values["aliases"] = tuple(raw.get("aliases", ()))
    for bound in ("min", "max"):
        if bound in raw:
            values[bound] = Decimal(str(raw[bound]))
    return Field(**values)


def _read(name: str) -> dict[str, Any]:
    path = resources.files("toolkit.data").joinpath("specs", f"{name}.toml")
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"spec {name}: {exc}") from exc


@cache
def load_spec(template_id: str) -> TemplateSpec:
    """Load and check one spec; the common header block comes first in every template."""
    if template_id not in TEMPLATE_IDS:
        raise SpecError(f"unknown template {template_id!r}")
    raw = _read(template_id)
    common = _read("common")["header"]
    header = tuple(_field(f, f"{template_id}.header") for f in [*common, *raw.get("header", [])])
    columns = tuple(_field(f, f"{template_id}.columns") for f in raw["columns"])
    keys = [f.key for f in (*header, *columns)]
    if len(keys) != len(set(keys)):
        raise SpecError(f"spec {template_id}: duplicate field keys")
    if raw["period"] not in PERIOD_KINDS:
        raise SpecError(f"spec {template_id}: period must be one of {sorted(PERIOD_KINDS)}")
    spec = TemplateSpec(
        id=raw["id"], version=str(raw["version"]), title=raw["title"], title_en=raw["title_en"],
        sheet=raw["sheet"], sheet_aliases=tuple(raw.get("sheet_aliases", ())),
        period=raw["period"], header=header, columns=columns,
        rules=tuple(raw.get("rules", ())), totals=tuple(raw.get("totals", ())),
        notes=tuple(raw.get("notes", ())), prefill=raw.get("prefill"),
        distinctive=tuple(raw.get("distinctive", ())),
        distinctive_min=int(raw.get("distinctive_min", 2)),
    )
    for key in (*spec.totals, *spec.distinctive):
        spec.column(key)
    if len(spec.distinctive) < spec.distinctive_min:
        raise SpecError(f"spec {template_id}: `distinctive` must name at least "
                        f"{spec.distinctive_min} columns (labels no other table has)")
    return spec


def all_specs() -> tuple[TemplateSpec, ...]:
    """Every template, in the federation's usual order."""
    return tuple(load_spec(t) for t in TEMPLATE_IDS)


@cache
def _enums_file() -> dict[str, Any]:
    return tomllib.loads(resources.files("toolkit.data").joinpath("enums.toml").read_text("utf-8"))


@cache
def enumerations() -> dict[str, tuple[str, ...]]:
    """The national-standard enumerations (``data/enums.toml``): canonical values, in order."""
    return {k: tuple(v) for k, v in _enums_file().items() if k != "synonyms"}


@cache
def choices(enum: str) -> dict[str, str]:
    """Every accepted spelling of an enumeration's values, folded (``fold_choice``), mapped to
    its canonical value: the values themselves and their synonyms."""
    from .read.normalize import fold_choice

    synonyms = _enums_file().get("synonyms", {}).get(enum, {})
    accepted = {fold_choice(v): v for v in enumerations()[enum]}
    for spelling, canonical in synonyms.items():
        if canonical not in enumerations()[enum]:
            raise SpecError(f"enums.toml: synonym {spelling!r} maps to {canonical!r}, "
                            f"which is not a value of {enum}")
        accepted.setdefault(fold_choice(spelling), canonical)
    return accepted
