"""The JSON contract of ``validate --format json`` (BRIEF.md)."""

from __future__ import annotations

import json

from ..findings import Report


def render_json(report: Report, lang: str = "zh") -> str:
    return json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2) + "\n"
