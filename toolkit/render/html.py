"""A self-contained HTML page per run: the federation, period and time it was made, the files
and their statuses, and every finding in one table that filters by branch, template and
severity and sorts by any column (a few lines of inline script; still one offline file, and
it prints on A4 without the filters)."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from datetime import datetime
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from .. import __version__
from ..findings import Report
from ..messages import LANGS, say, words
from .text import STATUS, template_titles

#: The page's headings, by language (the catalog's ``label``).
LABELS = {lang: words("label", lang) for lang in LANGS}


@cache
def script() -> str:
    """The page's filter and sort script, as it is inlined."""
    return resources.files("toolkit.render").joinpath("report.js").read_text("utf-8")


def script_hash() -> str:
    """The script's CSP source (``'sha256-…'``), so a page served with a strict policy may
    run it and nothing else."""
    digest = hashlib.sha256(script().encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def render_html(report: Report, lang: str = "zh", federation: str = "",
                period: str | None = None, generated: datetime | None = None) -> str:
    """The report page. ``period`` defaults to the one most files name."""
    if period is None:
        named = Counter(f.period for f in report.files if f.period).most_common(1)
        period = named[0][0] if named else ""
    heading = say("label.heading", lang, federation=federation, period=period).strip() \
        if federation or period else LABELS[lang]["title"]
    source = resources.files("toolkit.render").joinpath("report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source).render(
        report=report, lang=lang, t=LABELS[lang], words=STATUS[lang], titles=template_titles(),
        version=__version__, heading=heading, script=Markup(script()),
        generated=(generated or datetime.now()).strftime("%Y-%m-%d %H:%M")) + "\n"
