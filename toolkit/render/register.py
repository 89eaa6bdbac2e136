"""The register's views for the terminal: the submission matrix and the period history."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..read.normalize import period_bounds
from ..spec import TEMPLATE_IDS, load_spec
from .text import clip, pad

WORDS = {
    "zh": {"ok": "✓ 通过", "warnings": "! 警告", "errors": "✗ 错误", "missing": "— 未报送",
           "duplicate": "✗ 重复", "unreadable": "✗ 无法读取", "unrecognized": "? 无法识别",
           "superseded": "已替代"},
    "en": {"ok": "✓ ok", "warnings": "! warnings", "errors": "✗ errors", "missing": "— missing",
           "duplicate": "✗ duplicate", "unreadable": "✗ unreadable",
           "unrecognized": "? unrecognized", "superseded": "superseded"},
}


def render_status(period: str, matrix: dict, branches: list[tuple[str, str]], today: date,
                  lang: str = "zh") -> str:
    words = WORDS[lang]
    ended = (today - period_bounds(period)[1]).days
    head = (f"所属期 {period}，截止后第 {ended} 天" if lang == "zh" and ended >= 0 else
            f"所属期 {period}，距截止还有 {-ended} 天" if lang == "zh" else
            f"period {period}: {ended} days since it ended" if ended >= 0 else
            f"period {period}: ends in {-ended} days")
    lines = [head, ""]
    titles = [load_spec(t).title for t in TEMPLATE_IDS]
    lines.append(pad("分会" if lang == "zh" else "branch", 22)
                 + "".join(pad(t, 20) for t in titles))
    counts: dict[str, int] = {}
    for code, name in branches:
        cells = []
        for template in TEMPLATE_IDS:
            slot = matrix[(code, template)]
            counts[slot.status] = counts.get(slot.status, 0) + 1
            extra = f" +{slot.superseded}{words['superseded']}" if slot.superseded else ""
            cells.append(pad(words.get(slot.status, slot.status) + extra, 20))
        lines.append(pad(clip(f"{code} {name}", 20), 22) + "".join(cells))
    lines.append("")
    lines.append("  ".join(f"{words.get(k, k)} {v}" for k, v in sorted(counts.items())))
    return "\n".join(lines) + "\n"


HISTORY_COLUMNS = (("members", "期末会员", "members"), ("joins", "入会", "joins"),
                   ("outflows", "减少", "outflows"), ("dues_due", "应缴会费", "dues due"),
                   ("dues_paid", "实缴会费", "dues paid"), ("arrears", "欠缴", "arrears"),
                   ("fund", "应拨缴经费", "fund"), ("closing", "期末余额", "closing"),
                   ("score", "考评得分", "score"))


def render_history(figures: dict[str, dict[str, Any]], streaks: list[dict], gone: list[dict],
                   months: int, branch: str | None, lang: str = "zh") -> str:
    zh = lang == "zh"
    title = (f"分会 {branch}" if branch else "全会合计") if zh else (
        f"branch {branch}" if branch else "federation totals")
    lines = [title, ""]
    heads = ["所属期" if zh else "period", *(z if zh else e for _, z, e in HISTORY_COLUMNS)]
    lines.append("".join(pad(h, 14) for h in heads))
    for period in sorted(figures):
        row = [period, *(str(figures[period].get(k, "")) if figures[period].get(k) is not None
                         else "" for k, _, _ in HISTORY_COLUMNS)]
        lines.append("".join(pad(v, 14) for v in row))
    lines.append("")
    lines.append(f"连续 {months} 个月及以上未足额缴纳会费（按规定可视为自动退会，请核实）：{len(streaks)} 人"
                  if zh else f"Dues unpaid for {months} months or more in a row (the usual "
                  f"automatic-withdrawal rule; check): {len(streaks)}")
    lines.extend(f"  ! {s['branch']} {s['name']} {s['id_number']}  {s['months']}"
                 f"{' 个月' if zh else ' months'}（至 {s['period']}）" for s in streaks)
    lines.append(f"从会员名册中消失但没有转出、退会或除名记录：{len(gone)} 人" if zh else
                  f"Gone from a roster without an outflow row: {len(gone)}")
    lines.extend(f"  ! {g['branch']} {g['name']} {g['id_number']}  {g['last_seen']} → "
                 f"{g['missing_in']}" for g in gone)
    return "\n".join(lines) + "\n"
