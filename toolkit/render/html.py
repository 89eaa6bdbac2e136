"""A self-contained HTML page per run: files, statuses, findings grouped by file and sheet."""

from __future__ import annotations

from importlib import resources

import jinja2

from .. import __version__
from ..findings import Report
from ..messages import LANGS, words
from .text import STATUS, TEMPLATE_TITLES

#: The page's headings, by language (the catalog's ``label``).
LABELS = {lang: words("label", lang) for lang in LANGS}


def render_html(report: Report, lang: str = "zh") -> str:
    source = resources.files("toolkit.render").joinpath("report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source).render(report=report, lang=lang, t=LABELS[lang],
                                          words=STATUS[lang], titles=TEMPLATE_TITLES,
                                          version=__version__) + "\n"
