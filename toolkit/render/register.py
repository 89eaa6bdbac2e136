"""The register's views for the terminal: the submission matrix and the period history."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..messages import LANGS, say, words
from ..read.normalize import period_bounds
from ..spec import load_spec, template_ids
from .text import clip, pad

#: A slot of the submission matrix in words, by language (the catalog's ``matrix``).
WORDS = {lang: words("matrix", lang) for lang in LANGS}


def render_status(table: dict[str, Any], today: date, lang: str = "zh") -> str:
    """The submission matrix (:func:`~toolkit.register.period_matrix`) as text."""
    shown, period = WORDS[lang], table["period"]
    ended = (today - period_bounds(period)[1]).days
    head = say("text.status_after" if ended >= 0 else "text.status_before", lang,
               period=period, days=abs(ended))
    lines = [head, ""]
    titles = [load_spec(t).title for t in template_ids()]
    lines.append(pad(say("text.branch", lang), 22)
                 + "".join(pad(t, 20) for t in titles))
    counts: dict[str, int] = {}
    for branch in table["branches"]:
        cells = []
        for template in template_ids():
            slot = branch["slots"][template]
            counts[slot["status"]] = counts.get(slot["status"], 0) + 1
            extra = f" +{slot['superseded']}{shown['superseded']}" if slot["superseded"] else ""
            cells.append(pad(shown.get(slot["status"], slot["status"]) + extra, 20))
        lines.append(pad(clip(f"{branch['code']} {branch['name']}", 20), 22) + "".join(cells))
    lines.append("")
    lines.append("  ".join(f"{shown.get(k, k)} {v}" for k, v in sorted(counts.items())))
    return "\n".join(lines) + "\n"


#: The history's columns (their words are the catalog's ``history``).
HISTORY_COLUMNS = ("members", "joins", "outflows", "dues_due", "dues_paid", "arrears", "fund",
                   "closing", "score")


def render_history(figures: dict[str, dict[str, Any]], streaks: list[dict], gone: list[dict],
                   months: int, branch: str | None, lang: str = "zh") -> str:
    title = say("text.history_branch", lang, branch=branch) if branch else \
        say("text.history_all", lang)
    lines = [title, ""]
    columns = words("history", lang)
    heads = [say("label.period", lang), *(columns[k] for k in HISTORY_COLUMNS)]
    lines.append("".join(pad(h, 14) for h in heads))
    for period in sorted(figures):
        row = [period, *(str(figures[period].get(k, "")) if figures[period].get(k) is not None
                         else "" for k in HISTORY_COLUMNS)]
        lines.append("".join(pad(v, 14) for v in row))
    lines.append("")
    lines.append(say("text.unpaid", lang, months=months, count=len(streaks)))
    lines.extend(f"  ! {s['branch']} {s['name']} {s['id_number']}  "
                 + say("text.unpaid_person", lang, months=s["months"], period=s["period"])
                 for s in streaks)
    lines.append(say("text.gone", lang, count=len(gone)))
    lines.extend(f"  ! {g['branch']} {g['name']} {g['id_number']}  {g['last_seen']} → "
                 f"{g['missing_in']}" for g in gone)
    return "\n".join(lines) + "\n"
