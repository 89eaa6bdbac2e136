"""The catalog of what unionkit says to its users outside the findings: command help, what a
command says as it runs, and why a run cannot go on (``data/messages.toml``; the findings'
own words are in ``data/findings.toml``). Chinese first; ``--lang en`` or ``UNIONKIT_LANG=en``
for English. The CLI and, later, the web desk and the printed sheets take their words here.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("zh", "en")


@cache
def catalog() -> dict[str, dict[str, str]]:
    """Every entry, by its dotted key (``error.path_not_found``): language → text."""
    raw = tomllib.loads(resources.files("toolkit.data").joinpath("messages.toml")
                        .read_text("utf-8"))
    return {f"{group}.{name}": texts for group, entries in raw.items()
            for name, texts in entries.items()}


def default_lang() -> str:
    """``UNIONKIT_LANG`` when it names a language, else Chinese."""
    lang = os.environ.get("UNIONKIT_LANG", "")
    return lang if lang in LANGS else "zh"


def say(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The entry ``key`` in ``lang`` (default :func:`default_lang`), its ``{name}`` parts
    filled from ``params``; a parameter that can say itself (a finding, an error) says itself
    in the same language."""
    lang = lang if lang in LANGS else default_lang()
    shown = {k: v.message(lang) if hasattr(v, "message") else v for k, v in params.items()}
    return catalog()[key][lang].format(**shown)


def words(group: str, lang: str | None = None) -> dict[str, str]:
    """Every entry of one group (``status``, ``label`` …) in ``lang``, as written: a
    renderer's table of words, its ``{name}`` parts still to fill."""
    lang = lang if lang in LANGS else default_lang()
    prefix = f"{group}."
    return {key[len(prefix):]: texts[lang] for key, texts in catalog().items()
            if key.startswith(prefix)}
